"""The permission matrix (issue 18, item 5): who may do what, from one table per kind of view.

Every URL the project serves is named in exactly one table below; ``test_every_url_is_in_the_matrix`` walks the URL
configuration, so a new view without an entry fails until someone decides who may use it.

Roles: the anonymous reader, an editor (group Editor), a reviewer (group Reviewer) and a superuser.
"""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from claims.models import Claim
from importer.models import Candidate, Job, SourceSnapshot
from revisions import services as revisions
from revisions.models import Revision

pytestmark = pytest.mark.django_db

ROLES = ("anonymous", "editor", "reviewer", "superuser")
PRODUCTION_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}

# --- Public pages, open data and exports: the same answer for every role --------------------------------------
# name: (arguments, by name of a site_content object or literal, expected status for every role)
PUBLIC = {
    "home": ({}, 200),
    "favicon": ({}, 302),  # to the static file
    "healthz": ({}, 200),
    "sitemap": ({}, 200),
    "claims:condition_list": ({}, 200),
    "claims:condition_detail": ({"slug": "ptsd"}, 200),
    "claims:condition_csv": ({"slug": "ptsd"}, 200),
    "claims:condition_cite": ({"slug": "ptsd", "fmt": "ris"}, 200),
    "claims:condition_feed": ({"slug": "ptsd"}, 200),
    "claims:claim_detail": ({"slug": "ketamine-reduces-ptsd-symptoms"}, 200),
    "claims:claim_cite": ({"slug": "ketamine-reduces-ptsd-symptoms", "fmt": "bib"}, 200),
    "claims:feed": ({}, 200),
    "claims:disagreements": ({}, 200),
    "claims:matrix": ({}, 200),
    "claims:tag_list": ({}, 200),
    "claims:tag_detail": ({"slug": "infusion"}, 200),
    "claims:search": ({}, 200),
    "claims:about_grading": ({}, 200),
    "sources:source_list": ({}, 200),
    "sources:source_detail": ({"slug": "clinic-page"}, 200),
    "sources:study_list": ({}, 200),
    "sources:study_detail": ({"slug": "feder-et-al-2014"}, 200),
    "sources:study_cite": ({"slug": "feder-et-al-2014", "fmt": "json"}, 200),
    "sources:compare": ({}, 200),
    "api:api-root": ({}, 404),  # not an endpoint: its JSON answer points to /api/docs
    "api:openapi-json": ({}, 200),
    "api:openapi-view": ({}, 200),
    "api:list_conditions": ({}, 200),
    "api:get_condition": ({"slug": "ptsd"}, 200),
    "api:list_claims": ({}, 200),
    "api:get_claim": ({"slug": "ketamine-reduces-ptsd-symptoms"}, 200),
    "api:list_assertions": ({"slug": "ketamine-reduces-ptsd-symptoms"}, 200),
    "api:list_sources": ({}, 200),
    "api:get_source": ({"slug": "clinic-page"}, 200),
    "api:list_studies": ({}, 200),
    "api:get_study": ({"slug": "feder-et-al-2014"}, 200),
}
# A draft is not public for anyone, signed in or not (editors preview it in the admin).
DRAFTS = {
    "claims:claim_detail": {"slug": "ketamine-cures-ptsd"},
    "claims:claim_cite": {"slug": "ketamine-cures-ptsd", "fmt": "ris"},
    "api:get_claim": {"slug": "ketamine-cures-ptsd"},
    "api:list_assertions": {"slug": "ketamine-cures-ptsd"},
}

# --- The admin's model pages: what each role may do, per registered model --------------------------------------
# v: view (list, page, history), a: add, c: change (the form can be saved), d: delete (a row that is not public).
ADMIN_MODELS = {
    "auth.group": {"editor": "", "reviewer": "", "superuser": "vacd"},
    "auth.user": {"editor": "", "reviewer": "", "superuser": "vacd"},
    "axes.accessattempt": {"editor": "", "reviewer": "", "superuser": "vcd"},
    "axes.accesslog": {"editor": "", "reviewer": "", "superuser": "vcd"},  # django-axes' admin: fields read-only
    "axes.accessfailurelog": {"editor": "", "reviewer": "", "superuser": "vcd"},
    "claims.claim": {"editor": "vac", "reviewer": "vacd", "superuser": "vacd"},
    "claims.assertion": {"editor": "vacd", "reviewer": "vacd", "superuser": "vacd"},
    "claims.evidence": {"editor": "vacd", "reviewer": "vacd", "superuser": "vacd"},
    "claims.effectestimate": {"editor": "vacd", "reviewer": "vacd", "superuser": "vacd"},
    "claims.condition": {"editor": "vac", "reviewer": "vac", "superuser": "vacd"},
    "claims.claimchange": {"editor": "v", "reviewer": "v", "superuser": "v"},  # a record: never edited
    "sources.source": {"editor": "vac", "reviewer": "vac", "superuser": "vacd"},
    "sources.study": {"editor": "vac", "reviewer": "vac", "superuser": "vacd"},
    "taggit.tag": {"editor": "vac", "reviewer": "vac", "superuser": "vacd"},
    "importer.sourcesnapshot": {"editor": "v", "reviewer": "v", "superuser": "vd"},
    "importer.candidate": {"editor": "vc", "reviewer": "vc", "superuser": "vcd"},
    # Import jobs: whoever may import sees them; retrying (its own page's button) is tested in tests/test_jobs.py.
    "importer.job": {"editor": "v", "reviewer": "v", "superuser": "vd"},
    "django_tasks_database.dbtaskresult": {"editor": "", "reviewer": "", "superuser": "v"},  # the task queue's rows
    "revisions.revision": {"editor": "v", "reviewer": "v", "superuser": "v"},  # decided on its page, never edited
}

# --- The admin's own views: the roles that may open them (others: 403; anonymous: the login page) ---------------
ADMIN_VIEWS = {
    "admin:index": ({}, {"editor", "reviewer", "superuser"}),
    "admin:app_list": ({"app_label": "claims"}, {"editor", "reviewer", "superuser"}),
    "admin:claims_claim_queue": ({}, {"editor", "reviewer", "superuser"}),
    "admin:importer_import": ({}, {"editor", "reviewer", "superuser"}),
    "admin:taggit_tag_merge_tags": ({}, {"editor", "reviewer", "superuser"}),
    "admin:password_change": ({}, {"editor", "reviewer", "superuser"}),  # one's own password
    "admin:password_change_done": ({}, {"editor", "reviewer", "superuser"}),
}
# Names the matrix covers by other tests or that are not pages of their own.
NOT_PAGES = {
    "admin:login",  # the login page (tests/test_login_throttling.py)
    "admin:logout",  # POST only
    "admin:jsi18n",  # the admin's translations script
    "admin:view_on_site",  # a redirect to a public page
    "admin:autocomplete",  # JSON for the admin's search boxes (tests/test_import_pages.py)
    "admin:claims_claim_preview",  # POST only: test_preview_is_for_staff_only below
    "admin:claims_claim_transition",  # the workflow steps: WORKFLOW below
    "admin:auth_user_password_change",  # another user's password: superusers (Django's own UserAdmin)
    "admin:importer_job_queue",  # POST only, from the jobs list (tests/test_jobs.py)
    "admin:importer_candidate_stance",  # JSON for the review page's claim search (tests/test_import_pages.py)
}

# --- Workflow steps and revision decisions: which roles may take them --------------------------------------------
WORKFLOW = {
    "submit": {"editor", "reviewer", "superuser"},
    "publish": {"reviewer", "superuser"},
    "return": {"reviewer", "superuser"},
}
APPROVE_REVISION = {"reviewer", "superuser"}  # of someone else's revision; never of one's own (but see override)


def _walk(patterns, namespace=""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}:{pattern.namespace}" if namespace and pattern.namespace else pattern.namespace
            yield from _walk(pattern.url_patterns, inner or namespace)
        elif isinstance(pattern, URLPattern) and pattern.name:
            yield f"{namespace}:{pattern.name}" if namespace else pattern.name


def _admin_model_url_names() -> set[str]:
    names = set()
    for model in admin.site._registry:
        prefix = f"admin:{model._meta.app_label}_{model._meta.model_name}"
        names |= {f"{prefix}_{view}" for view in ("changelist", "add", "change", "delete", "history")}
        names |= {f"{prefix}_simple_history"}
    return names


def test_every_url_is_in_the_matrix():
    covered = set(PUBLIC) | set(ADMIN_VIEWS) | NOT_PAGES | _admin_model_url_names()
    missing = sorted(set(_walk(get_resolver().url_patterns)) - covered)
    assert not missing, f"Add these views to the permission matrix (tests/test_permissions.py): {missing}"
    registered = {f"{m._meta.app_label}.{m._meta.model_name}" for m in admin.site._registry}
    assert registered == set(ADMIN_MODELS), "Every model in the admin needs a row in ADMIN_MODELS."


@pytest.fixture
def login(client, users):
    def as_role(role: str):
        client.logout()
        if role != "anonymous":
            client.force_login(users["admin" if role == "superuser" else role])
        return client

    return as_role


@pytest.mark.parametrize("role", ROLES)
def test_public_pages_and_open_data_answer_every_role_alike(login, site_content, role):
    client = login(role)
    for name, (kwargs, status) in PUBLIC.items():
        response = client.get(reverse(name, kwargs=kwargs))
        assert response.status_code == status, (name, role, response.status_code)
    for name, kwargs in DRAFTS.items():
        assert client.get(reverse(name, kwargs=kwargs)).status_code == 404, (name, role)


def _instances(site_content, users) -> dict:
    """A stored row of every model in the admin, private where that matters (deleting a public row is refused)."""
    from axes.models import AccessAttempt, AccessFailureLog, AccessLog
    from django.contrib.auth.models import Group
    from django.utils import timezone
    from django_tasks_db.models import DBTaskResult
    from taggit.models import Tag

    from tests.factories import ClaimFactory, ConditionFactory, SourceFactory, StudyFactory

    private_claim = ClaimFactory(status="draft", grade="not_graded")
    source = SourceFactory()
    snapshot = SourceSnapshot.objects.create(source=source, text=source.text, sha256="0" * 64)
    candidate = Candidate.objects.create(
        source=source, snapshot=snapshot, quote="Ketamine works.", offset=0, sentence="Ketamine works.",
        sentence_offset=0, category="efficacy", stance="supports",
    )  # fmt: skip
    from tests.factories import AssertionFactory, EffectEstimateFactory, EvidenceFactory

    study = StudyFactory()
    return {
        "auth.group": Group.objects.get(name="Editor"),
        "auth.user": users["editor"],
        "axes.accessattempt": AccessAttempt.objects.create(
            username="x", ip_address="127.0.0.1", failures_since_start=1
        ),
        "axes.accesslog": AccessLog.objects.create(username="x", ip_address="127.0.0.1"),
        "axes.accessfailurelog": AccessFailureLog.objects.create(username="x", ip_address="127.0.0.1"),
        "claims.claim": private_claim,
        "claims.assertion": AssertionFactory(claim=private_claim, source=source),
        "claims.evidence": EvidenceFactory(claim=private_claim, study=study),
        "claims.effectestimate": EffectEstimateFactory(claim=private_claim, study=study),
        "claims.condition": ConditionFactory(),
        "claims.claimchange": site_content["helps"].changes.create(field="grade", before="low", after="moderate"),
        "sources.source": source,
        "sources.study": study,
        "taggit.tag": Tag.objects.create(name="unused", slug="unused"),
        "importer.sourcesnapshot": snapshot,
        "importer.candidate": candidate,
        "importer.job": Job.objects.create(kind="reindex", title="Search index", status="succeeded"),
        "django_tasks_database.dbtaskresult": DBTaskResult.objects.create(
            args_kwargs={"args": [], "kwargs": {}},
            task_path="importer.tasks.run_job",
            backend_name="default",
            run_after=timezone.now(),
            exception_class_path="",
            traceback="",
        ),  # fmt: skip
        "revisions.revision": revisions.propose(site_content["helps"], {"text": "Changed"}, users["editor"], "Why."),
    }


@pytest.mark.parametrize("role", ROLES)
def test_admin_model_pages_follow_the_matrix(login, site_content, users, role, settings):
    settings.TASKS = PRODUCTION_TASKS  # the task rows' admin reads their backend (tests run tasks immediately)
    instances = _instances(site_content, users)
    client = login(role)
    for label, row in ADMIN_MODELS.items():
        allowed = row.get(role, "")
        obj = instances[label]
        prefix = f"admin:{obj._meta.app_label}_{obj._meta.model_name}"
        pages = {
            "v": [reverse(f"{prefix}_changelist"), reverse(f"{prefix}_history", args=[obj.pk])],
            "a": [reverse(f"{prefix}_add")],
            "d": [reverse(f"{prefix}_delete", args=[obj.pk])],
        }
        for letter, urls in pages.items():
            for url in urls:
                status = client.get(url).status_code
                if role == "anonymous":
                    assert status == 302, (label, url, role, status)  # to the login page
                else:
                    assert (status == 200) == (letter in allowed), (label, url, role, status)
        change = client.get(reverse(f"{prefix}_change", args=[obj.pk]))
        if role == "anonymous":
            assert change.status_code == 302
        elif "v" not in allowed:
            assert change.status_code in (302, 403), (label, role, change.status_code)
        else:
            assert change.status_code == 200, (label, role, change.status_code)
            editable = 'name="_save"' in change.content.decode()
            if label == "revisions.revision":  # decided with its own buttons, never saved as a form
                editable = 'value="approve"' in change.content.decode()
                assert editable == (role in APPROVE_REVISION), (label, role)
            elif label == "importer.job":  # retried with its own button, when it failed
                continue
            elif label == "importer.candidate":  # the import review: decided with its own buttons
                editable = 'name="decision"' in change.content.decode()
                assert editable == ("c" in allowed), (label, role, editable)
            else:
                assert editable == ("c" in allowed), (label, role, editable)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("admin_view", sorted(ADMIN_VIEWS))
def test_admin_views_follow_the_matrix(login, role, admin_view, db):
    kwargs, allowed = ADMIN_VIEWS[admin_view]
    status = login(role).get(reverse(admin_view, kwargs=kwargs)).status_code
    if role == "anonymous":
        assert status == 302
    else:
        assert (status == 200) == (role in allowed), (admin_view, role, status)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("step", sorted(WORKFLOW))
def test_workflow_steps_follow_the_matrix(login, role, step, users):
    from tests.factories import ClaimFactory

    status_before = {"submit": "draft", "publish": "in_review", "return": "in_review"}[step]
    claim = ClaimFactory(status=status_before, grade="low", last_edited_by=None)
    client = login(role)
    url = reverse("admin:claims_claim_transition", args=[step]) + f"?ids={claim.pk}"
    response = client.get(url)
    if role == "anonymous":
        assert response.status_code == 302
        return
    assert response.status_code == (200 if role in WORKFLOW[step] else 403), (step, role)
    if role in WORKFLOW[step]:
        client.post(url, {"ids": str(claim.pk), "comment": "Looked at it."})
        claim.refresh_from_db()
        assert claim.status == {"submit": "in_review", "publish": "published", "return": "draft"}[step]


@pytest.mark.parametrize("role", ROLES)
def test_revision_decisions_follow_the_matrix(login, site_content, users, role):
    author = users["editor"] if role != "editor" else users["reviewer"]
    revision = revisions.propose(site_content["helps"], {"text": "Ketamine eases PTSD"}, author, "Plainer.")
    client = login(role)
    response = client.post(reverse("admin:revisions_revision_change", args=[revision.pk]), {"decision": "approve"})
    revision.refresh_from_db()
    if role == "anonymous":
        assert response.status_code == 302 and revision.state == "pending"
        return
    assert (revision.state == "approved") == (role in APPROVE_REVISION), role
    assert Claim.objects.get(pk=site_content["helps"].pk).text == (
        "Ketamine eases PTSD" if role in APPROVE_REVISION else "Ketamine reduces PTSD symptoms"
    )


@pytest.mark.parametrize("role", ROLES)
def test_nobody_approves_their_own_revision_without_the_recorded_override(login, site_content, users, role):
    if role == "anonymous":
        return
    user = users["admin" if role == "superuser" else role]
    revision = revisions.propose(site_content["helps"], {"text": "Ketamine eases PTSD"}, user, "Plainer.")
    login(role).post(reverse("admin:revisions_revision_change", args=[revision.pk]), {"decision": "approve"})
    revision.refresh_from_db()
    assert revision.state == "pending" and Revision.objects.filter(state="approved").count() == 0


@pytest.mark.parametrize("role", ROLES)
def test_preview_is_for_staff_only(login, role, db):
    status = login(role).post(reverse("admin:claims_claim_preview"), {"text": "**x**"}).status_code
    assert status == (302 if role == "anonymous" else 200)
