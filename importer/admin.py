"""The import page and the review queue of candidate assertions."""

from __future__ import annotations

from functools import partial

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.http import url_has_allowed_host_and_scheme

from claims.models import Claim, Stance
from importer import services, tasks
from importer.extract import MATCH_SCORE, stance_toward
from importer.forms import AttachForm, ImportForm, NewClaimForm, RejectForm
from importer.models import Candidate, Job, SourceSnapshot
from revisions.models import Revision


def can_import(user) -> bool:
    """Who may import articles, and so see the import jobs and queue jobs."""
    return user.has_perm("sources.add_source")


@admin.register(SourceSnapshot)
class SourceSnapshotAdmin(admin.ModelAdmin):
    list_display = ["source", "imported_at", "original_name", "original_format", "sha256", "imported_by"]
    list_select_related = ["source", "imported_by"]
    list_filter = ["source"]
    readonly_fields = ["source", "text", "sha256", "original_name", "original_format", "imported_by", "imported_at"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Candidate)
class CandidateAdmin(admin.ModelAdmin):
    list_display = ["short_quote", "source_title", "category", "stance", "best_suggestion", "status"]
    actions = ["refresh_suggestions"]
    list_filter = ["status", "category", "source"]
    list_select_related = ["source"]
    search_fields = ["quote", "sentence"]
    change_form_template = "admin/importer/candidate/review.html"

    def has_add_permission(self, request) -> bool:
        return False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("source", "cited_study")

    @admin.display(description="Clause")
    def short_quote(self, obj: Candidate) -> str:
        return obj.quote if len(obj.quote) <= 90 else obj.quote[:89] + "…"

    @admin.display(description="Source", ordering="source__title")
    def source_title(self, obj: Candidate) -> str:
        """The source's title as text that wraps (Django keeps a foreign key's cell on one line, and a long title
        pushed the list 179 px past 1,280)."""
        return obj.source.title

    @admin.display(description="Most likely claim")
    def best_suggestion(self, obj: Candidate) -> str:
        if not obj.suggestions:
            return "— (probably a new claim)"
        top = obj.suggestions[0]
        return f"{top.get('text', '')[:70]} ({top['score']:.2f})"

    def get_list_display(self, request):
        """Without the Source column when the list is filtered by one source (it would repeat on every row, and the
        list must fit 1,280 px without sideways scrolling)."""
        if "source__id__exact" in request.GET:
            return [name for name in self.list_display if name != "source_title"]
        return self.list_display

    @admin.action(description="Refresh suggestions: re-rank against today’s claims", permissions=["change"])
    def refresh_suggestions(self, request, queryset):
        """A job: re-ranking builds the ranking index of every claim (seconds at 10,000 claims, more with
        embeddings to compute), too slow for a request. The job's page links back to this list."""
        ids = list(queryset.values_list("pk", flat=True))
        count = len(ids)
        back = request.get_full_path()
        job = tasks.queue_refresh(ids, title=f"{count} candidate{'s' if count != 1 else ''}", back=back,
                                  user=request.user)  # fmt: skip
        return HttpResponseRedirect(reverse("admin:importer_job_change", args=[job.pk]))

    def get_urls(self):
        return [
            path("import/", self.admin_site.admin_view(self.import_view), name="importer_import"),
            path(
                "<path:object_id>/stance/",
                self.admin_site.admin_view(self.stance_view),
                name="importer_candidate_stance",
            ),
            *super().get_urls(),
        ]

    def stance_view(self, request: HttpRequest, object_id) -> JsonResponse:
        """The candidate's stance toward one claim (``?claim=<id>``), judged against that claim's wording as each
        suggestion's is: the review page's script asks for it when the editor picks a claim by searching its words.
        Two queries: the candidate, the claim."""
        candidate = get_object_or_404(Candidate.objects.only("pk", "quote", "source_id"), pk=object_id)
        if not self.has_view_or_change_permission(request, candidate):
            raise PermissionDenied
        claim_id = request.GET.get("claim", "")
        if not claim_id.isdigit():
            return JsonResponse({"error": "Name a claim by its id: ?claim=<id>."}, status=400)
        claim = get_object_or_404(Claim.objects.only("pk", "text"), pk=int(claim_id))
        stance = stance_toward(candidate.quote, claim)
        return JsonResponse({"claim": claim.pk, "stance": stance, "label": Stance(stance).label})

    def changelist_view(self, request, extra_context=None):
        extra_context = {**(extra_context or {}), "import_url": reverse("admin:importer_import")}
        return super().changelist_view(request, extra_context)

    def import_view(self, request: HttpRequest):
        """The import form: checked here (bad input is refused at once), then queued as a job; the editor is sent
        to the job's page, which shows its progress and its summary."""
        if not can_import(request.user):
            raise PermissionDenied("You may not import articles.")
        form = ImportForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            job = tasks.queue_import(
                data["raw"], name=data["name"], fmt=data["format"], title=data["title"], url=data["url"],
                author=data["author"], publisher=data["publisher"], kind=data["kind"], user=request.user,
            )  # fmt: skip
            return HttpResponseRedirect(reverse("admin:importer_job_change", args=[job.pk]))
        context = {**self.admin_site.each_context(request), "title": "Import an article", "form": form,
                   "opts": self.model._meta}  # fmt: skip
        return TemplateResponse(request, "admin/importer/candidate/import.html", context)

    def change_view(self, request: HttpRequest, object_id, form_url="", extra_context=None):
        """The review page: the clause in context, suggested claims, and attach / new claim / reject."""
        candidate = get_object_or_404(
            Candidate.objects.select_related("source", "cited_study", "snapshot", "decided_by"), pk=object_id
        )
        if not self.has_view_or_change_permission(request, candidate):
            raise PermissionDenied
        can_decide = self.has_change_permission(request, candidate) and request.user.has_perm("claims.add_assertion")
        became = list(candidate.assertions.select_related("claim").order_by("pk"))
        # Statements of published claims wait for review as revisions (importer.services.attach_many names the
        # candidate in their reason).
        waiting = list(
            Revision.objects.filter(reason__endswith=f"(import candidate #{candidate.pk}).")
            .exclude(state__in=[Revision.State.REJECTED, Revision.State.WITHDRAWN])
            .select_related("claim")
            .order_by("pk")
        )
        ids = [s["claim"] for s in candidate.suggestions]
        claims = Claim.objects.in_bulk(ids)
        # Suggested claims the clause does not state yet (it may have become assertions of some already).
        stated = {assertion.claim_id for assertion in became} | {revision.claim_id for revision in waiting}
        suggestions = [
            (claims[s["claim"]], s["score"], s.get("stance", ""))
            for s in candidate.suggestions
            if s["claim"] in claims and s["claim"] not in stated
        ]
        # Under a list's lead-in about who should or should not have ketamine, its candidacy claims are listed first
        # whatever their scores (``extract.rank_clause``): the page says so, so that the order and the scores agree.
        offered_first = {s["claim"] for s in candidate.suggestions if s.get("offered_first")}
        # The best suggestion is ticked only when it scores at least the match threshold: below it, the clause
        # probably states a new claim, and a ticked box is a decision the editor did not take.
        pretick = [suggestions[0][0].pk] if suggestions and not became and suggestions[0][1] >= MATCH_SCORE else []
        # A claim found by search takes the clause's stance toward its wording unless the editor chose one.
        attaching = {"suggestions": suggestions, "stance": candidate.stance,
                     "judge": partial(stance_toward, candidate.quote),
                     "stance_url": reverse("admin:importer_candidate_stance", args=[candidate.pk])}  # fmt: skip
        attach_form = AttachForm(initial={"quote": candidate.quote, "claims": pretick}, **attaching)
        likely = candidate.likely_categories()
        new_form = NewClaimForm(
            initial={
                "text": "",
                "category": candidate.category,
                "conditions": candidate.conditions,
                "quote": candidate.quote,
            },
            likely=likely,
        )
        reject_form = RejectForm()
        if request.method == "POST":
            if not can_decide:
                raise PermissionDenied
            decision = request.POST.get("decision")
            try:
                if decision == "attach":
                    attach_form = AttachForm(request.POST, **attaching)
                    if attach_form.is_valid():
                        d = attach_form.cleaned_data
                        made = services.attach_many(candidate, d["choices"], request.user, quote=d["quote"])
                        names = "; ".join(f"“{claim}” ({stance})" for claim, stance in d["choices"])
                        pending = [row for row in made if isinstance(row, Revision)]
                        if pending:  # statements of published claims wait for a second reviewer
                            names += (
                                f". On {'a published claim' if len(pending) == 1 else 'published claims'} the "
                                "statement waits for review as revision "
                                + ", ".join(f"#{row.pk}" for row in pending)
                                + ": readers see it once another reviewer approves it"
                            )
                        return self._decided(request, candidate, f"Attached to {names}.")
                elif decision == "refresh":  # a job, like the list's action; its page links back here
                    job = tasks.queue_refresh(
                        [candidate.pk], title=f"“{candidate}”", back=request.path, user=request.user
                    )
                    return HttpResponseRedirect(reverse("admin:importer_job_change", args=[job.pk]))
                elif decision == "new":
                    if not request.user.has_perm("claims.add_claim"):
                        raise PermissionDenied("You may not create claims.")
                    new_form = NewClaimForm(request.POST, likely=likely)
                    if new_form.is_valid():
                        d = new_form.cleaned_data
                        assertion = services.create_claim_from(
                            candidate, request.user, text=d["text"], category=d["category"],
                            condition_slugs=[c.slug for c in d["conditions"]], quote=d["quote"],
                        )  # fmt: skip
                        text = assertion.claim.text
                        link = format_html(
                            'Created a new draft claim from it: <a href="{}">{}</a>{}',
                            reverse("admin:claims_claim_change", args=[assertion.claim_id]),
                            text,
                            "" if text.rstrip().endswith((".", "!", "?")) else ".",  # not "…it works..": one stop
                        )
                        return self._decided(request, candidate, link)
                elif decision == "reject":
                    reject_form = RejectForm(request.POST)
                    if reject_form.is_valid():
                        services.reject(candidate, request.user, reject_form.cleaned_data["note"])
                        return self._decided(request, candidate, "Rejected.")
            except services.DecisionError as exc:
                self.message_user(request, str(exc), messages.ERROR)
        before, after = candidate.context()
        context = {
            **self.admin_site.each_context(request),
            "title": "Review a candidate assertion",
            "opts": self.model._meta,
            "original": candidate,
            "candidate": candidate,
            "before": before,
            "after": after,
            "clause_start": candidate.offset - candidate.sentence_offset,
            "suggestions": suggestions,
            "offered_first": offered_first.intersection(claim.pk for claim, _, _ in suggestions),
            "next_categories": [Claim.Category(c).label.lower() for c in likely[1:]],
            "attach_form": attach_form,
            "new_form": new_form,
            "reject_form": reject_form,
            "became": became,
            "waiting": [r for r in waiting if r.state == Revision.State.PENDING],
            "can_decide": can_decide and candidate.status != Candidate.Status.REJECTED,
            "can_reject": can_decide and candidate.status == Candidate.Status.PENDING,
            "can_create_claim": request.user.has_perm("claims.add_claim"),
            "next_pending": self._next_pending(candidate),
        }
        return TemplateResponse(request, self.change_form_template, context)

    def _next_pending(self, candidate: Candidate) -> Candidate | None:
        return (
            Candidate.objects.pending()
            .filter(source=candidate.source, offset__gt=candidate.offset)
            .exclude(pk=candidate.pk)
            .order_by("offset", "pk")
            .first()
        )

    def _decided(self, request, candidate: Candidate, message: str):
        self.message_user(request, message, messages.SUCCESS)
        following = self._next_pending(candidate)
        if following:
            return HttpResponseRedirect(reverse("admin:importer_candidate_change", args=[following.pk]))
        url = reverse("admin:importer_candidate_changelist")
        return HttpResponseRedirect(f"{url}?source__id__exact={candidate.source_id}")


@admin.register(Job)
class JobAdmin(admin.ModelAdmin):
    """Background jobs: each one's page shows its progress, then its summary or its error, and retries a failed
    one. Whoever may import sees every job; a job is retried by whoever queued it, or by a user given "Can change
    job"."""

    list_display = ["title", "kind", "state", "created_by", "created_at", "finished_at"]
    list_filter = ["status", "kind"]
    list_select_related = ["created_by"]
    search_fields = ["title"]
    change_form_template = "admin/importer/job/job.html"
    change_list_template = "admin/importer/job/change_list.html"

    def has_module_permission(self, request) -> bool:
        return can_import(request.user)

    def has_view_permission(self, request, obj=None) -> bool:
        return can_import(request.user)

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        if not can_import(request.user):
            return False
        if obj is None:
            return True
        return obj.created_by_id == request.user.pk or request.user.has_perm("importer.change_job")

    @admin.display(description="Status", ordering="status")
    def state(self, job: Job) -> str:
        """ "Lost" for a running job whose worker went silent (one cache read per running job: as many as there
        are workers at most)."""
        if job.status == Job.Status.RUNNING and tasks.is_lost(job, tasks.cached_heartbeat(job)):
            return "Lost"
        return job.get_status_display()

    def get_urls(self):
        return [
            path("queue/<str:kind>/", self.admin_site.admin_view(self.queue_view), name="importer_job_queue"),
            *super().get_urls(),
        ]

    def changelist_view(self, request, extra_context=None):
        extra_context = {
            **(extra_context or {}),
            "import_url": reverse("admin:importer_import"),
            "queue_kinds": [(kind, Job.Kind(kind).label) for kind in (Job.Kind.EMBED, Job.Kind.REINDEX)],
        }
        return super().changelist_view(request, extra_context)

    def queue_view(self, request: HttpRequest, kind: str):
        """Queue an embedding warm-up or a rebuild of the search index (POST from the jobs list)."""
        if not can_import(request.user):
            raise PermissionDenied("You may not queue jobs.")
        if request.method != "POST" or kind not in (Job.Kind.EMBED, Job.Kind.REINDEX):
            return HttpResponseRedirect(reverse("admin:importer_job_changelist"))
        job = tasks.queue_job(kind, request.user)
        return HttpResponseRedirect(reverse("admin:importer_job_change", args=[job.pk]))

    def change_view(self, request: HttpRequest, object_id, form_url="", extra_context=None):
        job = get_object_or_404(Job.objects.select_related("created_by", "source"), pk=object_id)
        if not self.has_view_permission(request, job):
            raise PermissionDenied
        may_retry = self.has_change_permission(request, job)
        if request.method == "POST":
            if request.POST.get("decision") != "retry" or not may_retry:
                raise PermissionDenied("You may not retry this job.")
            if tasks.retry(job):
                self.message_user(request, "Queued again.", messages.SUCCESS)
            else:
                self.message_user(
                    request, "This job is neither failed nor lost: it was not queued again.", messages.WARNING
                )
            return HttpResponseRedirect(request.path)
        phase, done, total, lost = tasks.live_progress(job)
        back = str(job.params.get("back", ""))
        context = {
            **self.admin_site.each_context(request),
            "title": str(job),
            "opts": self.model._meta,
            "original": job,
            "job": job,
            "phase": phase,
            "done": done,
            "total": total,
            "percent": done * 100 // total if total else None,
            "lost": lost,
            "lost_after": tasks.lost_after_words(),
            "last_heartbeat": tasks.last_heartbeat(job) if lost else None,
            "may_retry": may_retry,
            "can_retry": may_retry and (job.status == Job.Status.FAILED or lost),
            "review_url": (
                f"{reverse('admin:importer_candidate_changelist')}?source__id__exact={job.source_id}"
                "&status__exact=pending"
                if job.source_id
                else ""
            ),
            # A refresh of suggestions links back to the page it was asked from (a path of this admin).
            "back_url": back if job.kind == Job.Kind.REFRESH and url_has_allowed_host_and_scheme(back, None) else "",
        }
        return TemplateResponse(request, self.change_form_template, context)
