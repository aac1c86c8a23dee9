"""The admin side of moderated revisions: saving a change to published content as a pending revision
(``ModeratedAdmin``, mixed into the content models' admins) and the reviewers' queue with its side-by-side diff."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import flatten_fieldsets
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import HttpRequest, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html

from claims.models import Claim
from revisions import services
from revisions.models import Revision

REASON_HELP = (
    "Why this change is needed. This content is public, so the change is saved as a pending revision: readers keep "
    "the published version until another reviewer approves it."
)


class ModeratedAdmin:
    """Saving a change to published content (``services.is_moderated``) proposes a revision instead of saving it.
    The form gets a required reason (``change_reason``) and, for a claim's statements, evidence and estimates, a
    "propose removal" box; deleting public rows directly is not offered."""

    def _claim_in(self, data: dict) -> Claim | None:
        claim = data.get("claim")
        return claim if isinstance(claim, Claim) else None

    def moderated(self, obj, data: dict | None = None) -> bool:
        return services.is_moderated(obj, self._claim_in(data or {}))

    def get_form(self, request, obj=None, change=False, **kwargs):
        base = kwargs.get("form", self.form)
        extra = {}
        if "change_reason" not in base.base_fields:
            extra["change_reason"] = forms.CharField(
                label="Reason for this change",
                required=False,
                widget=forms.Textarea(attrs={"rows": 2}),
                help_text=REASON_HELP,
            )
        if self.model in services.CHILDREN_OF_CLAIMS and obj is not None:
            extra["propose_removal"] = forms.BooleanField(
                required=False,
                label="Propose removing it",
                help_text="On a published claim, removal waits for a reviewer like any other change.",
            )
        admin_ = self

        def clean(form_self):
            data = super(moderated_form, form_self).clean()
            if form_self.errors or not (admin_.real_changes(form_self) or data.get("propose_removal")):
                return data
            if admin_.moderated(form_self.instance, data) and not (data.get("change_reason") or "").strip():
                form_self.add_error(
                    "change_reason",
                    "Say why: this content is public, so your change goes to a reviewer as a pending revision, "
                    "and a revision needs a reason.",
                )
            return data

        moderated_form = type(base.__name__, (base,), {**extra, "clean": clean})
        kwargs["form"] = moderated_form
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        names = set(flatten_fieldsets(fieldsets))
        missing = [name for name in ("change_reason",) if name not in names]
        if self.model in services.CHILDREN_OF_CLAIMS and obj is not None and "propose_removal" not in names:
            missing.append("propose_removal")
        if not missing:
            return fieldsets
        return [*fieldsets, ("Reason for this change", {"fields": missing})]

    def real_changes(self, form) -> dict:
        """The form's values that differ from the stored row (for a new row: those given), as JSON by field name.
        The form's own ``changed_data`` is not enough: it reports an untouched empty JSON list as changed. Worked out
        once per form (its ``clean()`` asks, then ``propose_revision``)."""
        if hasattr(form, "_kb_real_changes"):
            return form._kb_real_changes
        form._kb_real_changes = self._real_changes(form)
        return form._kb_real_changes

    def _real_changes(self, form) -> dict:
        instance, data = form.instance, form.cleaned_data
        names = services.proposable_fields(self.model, form.changed_data if instance.pk else data)
        values = {name: services.cleaned_value(instance, name, data[name]) for name in names if name in data}
        if instance.pk is None:
            return {name: value for name, value in values.items() if value not in (None, "", [])}
        stored = self.model.objects.get(pk=instance.pk)
        return {
            name: value
            for name, value in values.items()
            if not services.same(value, services.stored_value(stored, name))
        }

    def propose_revision(self, request, obj, form, change: bool) -> bool:
        """Propose the form's change as a revision when ``obj`` is published content; True when done (nothing of
        ``obj`` is saved then)."""
        data = form.cleaned_data
        if not self.moderated(obj, data):
            return False
        reason = data.get("change_reason", "")
        if data.get("propose_removal"):
            request._kb_revision = services.propose(obj, {}, request.user, reason, action=Revision.Action.DELETE)
            return True
        proposed = self.real_changes(form)
        if not proposed:
            return False
        action = Revision.Action.CHANGE if change else Revision.Action.ADD
        try:
            request._kb_revision = services.propose(
                obj, proposed, request.user, reason, action=action, claim=self._claim_in(data) if not change else None
            )
        except services.RevisionError as exc:
            request._kb_revision_note = str(exc)
        return True

    def save_model(self, request, obj, form, change):
        if not self.propose_revision(request, obj, form, change):
            claims_before = self._claims_of(obj)
            super().save_model(request, obj, form, change)
            self._edited_claims(request, claims_before | self._claims_of(obj))

    def delete_model(self, request, obj):
        claims = self._claims_of(obj)
        super().delete_model(request, obj)
        self._edited_claims(request, claims)

    def _claims_of(self, obj) -> set[int]:
        """The claim a statement, evidence row or estimate belongs to, as stored and as the form sets it."""
        if self.model not in services.CHILDREN_OF_CLAIMS:
            return set()
        ids = {obj.claim_id} if obj.claim_id else set()
        if obj.pk:
            ids |= set(self.model.objects.filter(pk=obj.pk).values_list("claim_id", flat=True))
        return ids

    def _edited_claims(self, request, claim_ids: set[int]) -> None:
        # A change saved directly to a draft's (or a claim in review's) statements, evidence or estimates is an edit
        # of that claim: its editor may not also publish it (no self-approval), as for the claim's own form.
        if claim_ids:
            Claim.objects.filter(pk__in=claim_ids).update(last_edited_by=request.user)

    def _proposed(self, request) -> bool:
        return hasattr(request, "_kb_revision") or hasattr(request, "_kb_revision_note")

    def save_related(self, request, form, formsets, change):
        if not self._proposed(request):  # the M2M values are in the revision
            super().save_related(request, form, formsets, change)

    def construct_change_message(self, request, form, formsets, add=False):
        if self._proposed(request):
            return []  # nothing was saved (the formsets were not either): the revision is the record
        return super().construct_change_message(request, form, formsets, add)

    def log_addition(self, request, obj, message):
        if not self._proposed(request):
            return super().log_addition(request, obj, message)
        return None

    def log_change(self, request, obj, message):
        if not self._proposed(request):
            return super().log_change(request, obj, message)
        return None

    def _revision_response(self, request, obj):
        note = getattr(request, "_kb_revision_note", None)
        if note is not None:
            self.message_user(request, note, messages.WARNING)
            if obj.pk:
                return HttpResponseRedirect(
                    reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_change", args=[obj.pk])
                )
            return HttpResponseRedirect(reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_changelist"))
        revision = request._kb_revision
        self.message_user(
            request,
            format_html(
                'Your change was saved as <a href="{}">revision #{}</a>, pending review. Readers keep seeing the '
                "published version until another reviewer approves it.",
                reverse("admin:revisions_revision_change", args=[revision.pk]),
                revision.pk,
            ),
            messages.SUCCESS,
        )
        return HttpResponseRedirect(reverse("admin:revisions_revision_change", args=[revision.pk]))

    def response_add(self, request, obj, post_url_continue=None):
        if self._proposed(request):
            return self._revision_response(request, obj)
        return super().response_add(request, obj, post_url_continue)

    def response_change(self, request, obj):
        if self._proposed(request):
            return self._revision_response(request, obj)
        return super().response_change(request, obj)

    def has_delete_permission(self, request, obj=None):
        if obj is not None and services.is_public(obj):
            return False  # removal of public content is proposed (a claim's rows) or follows unpublishing
        return super().has_delete_permission(request, obj)

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)  # it would remove public rows without review
        return actions

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        # SIMPLE_HISTORY_REVERT_DISABLED only hides the button: simple-history still saves a posted version page,
        # and calls form.save_m2m() itself, which would put a published claim's tags and conditions live at once.
        if request.method == "POST":
            raise PermissionDenied("Reverting from the history is off: change the row on its own page instead.")
        return super().history_form_view(request, object_id, version_id, extra_context)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        obj = self.get_object(request, object_id)
        if obj is not None and request.method == "GET" and services.is_public(obj):
            pending = services.pending_for(obj)
            text = (
                "This is published content: saving proposes a revision, which readers see only once another "
                "reviewer approves it."
            )
            if pending:
                links = format_html(
                    ", ".join(['<a href="{}">#{}</a>'] * len(pending)),
                    *[x for r in pending for x in (reverse("admin:revisions_revision_change", args=[r.pk]), r.pk)],
                )
                text = format_html("{} Pending revisions of it: {}.", text, links)
            messages.info(request, text)
        return super().change_view(request, object_id, form_url, extra_context)


class StateFilter(admin.SimpleListFilter):
    title = "state"
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return [*Revision.State.choices, ("all", "All")]

    def choices(self, changelist):
        # Pending by default: the queue.
        value = self.value() or Revision.State.PENDING
        for lookup, title in self.lookup_choices:
            yield {
                "selected": value == lookup,
                "query_string": changelist.get_query_string({self.parameter_name: lookup}),
                "display": title,
            }

    def queryset(self, request, queryset):
        value = self.value() or Revision.State.PENDING
        return queryset if value == "all" else queryset.filter(state=value)


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(choices=[("approve", "Approve"), ("reject", "Reject"), ("withdraw", "Withdraw")])
    note = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Required to reject (its author reads it) and for a superuser's self-approval.",
    )
    override_self_approval = forms.BooleanField(required=False, label="Self-approval override (superusers only)")


@admin.register(Revision)
class RevisionAdmin(admin.ModelAdmin):
    list_display = ["__str__", "claim_link", "action", "author", "created_at", "state", "decided_by"]
    list_filter = [StateFilter, "action", "content_type"]
    list_select_related = ["author", "decided_by", "claim", "content_type"]
    search_fields = ["object_repr", "reason", "claim__text"]
    date_hierarchy = "created_at"

    @admin.display(description="Claim")
    def claim_link(self, obj: Revision):
        if obj.claim_id is None:
            return "—"
        return format_html('<a href="{}">{}</a>', reverse("admin:claims_claim_change", args=[obj.claim_id]), obj.claim)

    def has_add_permission(self, request) -> bool:
        return False  # revisions are proposed by saving published content

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # a revision is part of the record

    def has_change_permission(self, request, obj=None) -> bool:
        return False  # decided through the review page, never edited

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        if services.may_review(request.user):
            return qs
        return qs.filter(Q(author=request.user) | Q(state=Revision.State.PENDING))

    def change_view(self, request: HttpRequest, object_id, form_url="", extra_context=None):
        """The review page: the published and the proposed values side by side, and the decision."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        revision = get_object_or_404(
            self.get_queryset(request).select_related("author", "decided_by", "content_type", "claim"), pk=object_id
        )
        form = DecisionForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            decision, note = form.cleaned_data["decision"], form.cleaned_data["note"]
            try:
                if decision == "approve":
                    approved = services.approve(
                        revision, request.user, override=form.cleaned_data["override_self_approval"], note=note
                    )
                    self.message_user(
                        request, f"Revision #{revision.pk} approved: readers see it now.", messages.SUCCESS
                    )
                    for text in getattr(approved, "follow_ups", []) if approved is not None else []:
                        self.message_user(request, text, messages.INFO)
                elif decision == "reject":
                    services.reject(revision, request.user, note)
                    self.message_user(request, f"Revision #{revision.pk} rejected.", messages.SUCCESS)
                else:
                    services.withdraw(revision, request.user)
                    self.message_user(request, f"Revision #{revision.pk} withdrawn.", messages.SUCCESS)
                return HttpResponseRedirect(reverse("admin:revisions_revision_change", args=[revision.pk]))
            except services.RevisionError as exc:
                self.message_user(request, f"Nothing was changed: {exc}", messages.ERROR)
                revision.refresh_from_db()
        model = revision.content_type.model_class()
        target_url = None
        if revision.object_id is not None and model.objects.filter(pk=revision.object_id).exists():
            target_url = reverse(
                f"admin:{model._meta.app_label}_{model._meta.model_name}_change", args=[revision.object_id]
            )
        rows = services.diff(revision)
        context = {
            **self.admin_site.each_context(request),
            "title": str(revision),
            "opts": self.opts,
            "revision": revision,
            "model_name": model._meta.verbose_name,
            "target_url": target_url,
            "rows": rows,
            "has_conflict": any(row.conflict for row in rows),
            "form": form,
            "may_review": services.may_review(request.user) and revision.is_pending,
            "is_author": revision.author_id == request.user.pk,
            "can_override": request.user.is_superuser and revision.author_id == request.user.pk,
        }
        return TemplateResponse(request, "admin/revisions/revision/review.html", context)
