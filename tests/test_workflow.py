"""The editorial workflow: roles, review and publication, self-approval, history, conflicts, quotes."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.management import CommandError, call_command
from django.urls import reverse

from claims import services
from claims.models import Assertion, Claim, ClaimChange
from tests.factories import AssertionFactory, ClaimFactory, SourceFactory, StudyFactory

pytestmark = pytest.mark.django_db


def _admin_form_data(response) -> dict:
    """Everything the admin change form would post back unchanged (main form and every inline)."""
    data: dict = {}

    def add(form):
        for name in form.fields:
            value = form[name].value()
            key = form.add_prefix(name)
            if value is None:
                continue
            if name == "tags" and not isinstance(value, str):
                data[key] = ", ".join(getattr(t, "name", str(t)) for t in value)
            elif isinstance(value, bool):
                if value:
                    data[key] = "on"
            elif isinstance(value, list | tuple):
                data[key] = [str(getattr(v, "pk", v)) for v in value]
            else:
                data[key] = str(value)

    add(response.context["adminform"].form)
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        for name in formset.management_form.fields:
            data[formset.management_form.add_prefix(name)] = formset.management_form[name].value()
        for form in formset.forms:
            add(form)
    return data


@pytest.fixture
def graded_draft(db):
    claim = ClaimFactory(
        text="Ketamine reduces suicidal ideation", slug="suicidal-ideation", status="draft", grade="very_low"
    )
    return claim


# --- roles -------------------------------------------------------------------------------------------------


def test_groups_give_editors_submit_and_reviewers_publish(users):
    editor, reviewer = users["editor"], users["reviewer"]
    assert editor.has_perm("claims.change_claim") and editor.has_perm("claims.submit_claim")
    assert not editor.has_perm("claims.publish_claim")
    assert reviewer.has_perm("claims.publish_claim") and reviewer.has_perm("sources.change_source")


@pytest.mark.parametrize(
    ("role", "status"),
    [("anonymous", 302), ("editor", 200), ("reviewer", 200), ("admin", 200)],
)
def test_admin_claim_list_is_for_staff_only(client, users, role, status):
    if role != "anonymous":
        client.force_login(users[role])
    assert client.get(reverse("admin:claims_claim_changelist")).status_code == status


ALLOWED = {
    "editor": {"submit"},
    "reviewer": {"submit", "publish", "return"},
    "admin": {"submit", "publish", "return"},
}


@pytest.mark.parametrize("action", ["submit", "publish", "return"])
@pytest.mark.parametrize("role", ["editor", "reviewer", "admin"])
def test_workflow_steps_are_offered_only_to_the_roles_allowed_them(client, users, graded_draft, role, action):
    allowed = action in ALLOWED[role]
    client.force_login(users[role])
    url = reverse("admin:claims_claim_transition", args=[action]) + f"?ids={graded_draft.pk}"
    assert client.get(url).status_code == (200 if allowed else 403)
    changelist = client.get(reverse("admin:claims_claim_changelist")).content.decode()
    assert (f'value="{action}_selected"' in changelist) == allowed


@pytest.mark.parametrize("action", ["submit", "publish", "return"])
def test_anonymous_readers_are_sent_to_the_login_page_for_workflow_steps(client, graded_draft, action):
    url = reverse("admin:claims_claim_transition", args=[action]) + f"?ids={graded_draft.pk}"
    response = client.get(url)
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
    response = client.post(url, {"ids": str(graded_draft.pk), "comment": "x"})
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
    graded_draft.refresh_from_db()
    assert graded_draft.status == "draft"


PUBLIC_PAGES = [
    "/", "/conditions/ptsd/", "/claims/ketamine-reduces-ptsd-symptoms/", "/sources/clinic-page/",
    "/studies/feder-et-al-2014/", "/disagreements/", "/matrix/", "/tags/ptsd/", "/search/?q=ptsd",
    "/compare/?a=clinic-page&b=harm-reduction-guide", "/sitemap.xml",
]  # fmt: skip


@pytest.mark.parametrize("role", ["anonymous", "editor", "reviewer", "admin"])
def test_every_role_sees_the_public_pages_and_no_role_sees_drafts_there(client, users, site_content, role):
    if role != "anonymous":
        client.force_login(users[role])
    for path in PUBLIC_PAGES:
        response = client.get(path)
        assert response.status_code == 200, path
        assert b"cures PTSD permanently" not in response.content, path
        assert b"ketamine-cures-ptsd" not in response.content, path
    assert client.get("/claims/ketamine-cures-ptsd/").status_code == 404


# --- transitions -------------------------------------------------------------------------------------------


def test_editor_submits_then_another_reviewer_publishes(client, users, graded_draft):
    graded_draft.last_edited_by = users["editor"]
    graded_draft.save()
    client.force_login(users["editor"])
    response = client.post(
        reverse("admin:claims_claim_transition", args=["submit"]), {"ids": str(graded_draft.pk)}, follow=True
    )
    assert "1 claim submitted for review." in response.content.decode()
    graded_draft.refresh_from_db()
    assert graded_draft.status == "in_review"
    assert client.get(graded_draft.get_absolute_url()).status_code == 404  # still not public

    client.force_login(users["reviewer"])
    response = client.post(
        reverse("admin:claims_claim_transition", args=["publish"]),
        {"ids": str(graded_draft.pk), "comment": "Checked against Wilkinson 2018."},
        follow=True,
    )
    assert "1 claim published." in response.content.decode()
    graded_draft.refresh_from_db()
    assert graded_draft.status == "published" and graded_draft.published_at is not None
    client.logout()
    assert client.get(graded_draft.get_absolute_url()).status_code == 200


def test_a_reviewer_cannot_publish_a_claim_they_last_edited(client, users, graded_draft):
    reviewer = users["reviewer"]
    graded_draft.status, graded_draft.last_edited_by = "in_review", reviewer
    graded_draft.save()
    client.force_login(reviewer)
    response = client.post(
        reverse("admin:claims_claim_transition", args=["publish"]), {"ids": str(graded_draft.pk)}, follow=True
    )
    assert "you cannot publish it yourself" in response.content.decode()
    graded_draft.refresh_from_db()
    assert graded_draft.status == "in_review"
    assert not ClaimChange.objects.filter(claim=graded_draft, field="status").exists()


def test_a_superuser_may_self_approve_only_with_an_explicit_logged_override(users, graded_draft):
    admin = users["admin"]
    graded_draft.status, graded_draft.last_edited_by = "in_review", admin
    graded_draft.save()
    with pytest.raises(services.WorkflowError, match="self-approval override"):
        services.publish(graded_draft, admin)
    with pytest.raises(services.WorkflowError, match="written reason"):
        services.publish(graded_draft, admin, override=True, reason=" ")
    services.publish(graded_draft, admin, override=True, reason="Sole editor on call; urgent correction.")
    change = ClaimChange.objects.get(claim=graded_draft, field="status")
    assert change.self_approval_override and change.changed_by == admin
    assert (change.before, change.after) == ("in_review", "published")


def test_superuser_override_through_the_admin_confirmation(client, users, graded_draft):
    admin = users["admin"]
    graded_draft.status, graded_draft.last_edited_by = "in_review", admin
    graded_draft.save()
    client.force_login(admin)
    url = reverse("admin:claims_claim_transition", args=["publish"])
    page = client.get(url + f"?ids={graded_draft.pk}").content.decode()
    assert "You edited 1 of these claims last yourself" in page and "override_self_approval" in page
    client.post(url, {"ids": str(graded_draft.pk), "override_self_approval": "on", "comment": "Typo fix."})
    graded_draft.refresh_from_db()
    assert graded_draft.status == "published"


def test_a_reviewer_returns_a_claim_to_draft_with_a_comment(client, users, graded_draft):
    graded_draft.status = "in_review"
    graded_draft.save()
    client.force_login(users["reviewer"])
    url = reverse("admin:claims_claim_transition", args=["return"])
    response = client.post(url, {"ids": str(graded_draft.pk), "comment": ""}, follow=True)
    assert "needs a comment" in response.content.decode()
    client.post(url, {"ids": str(graded_draft.pk), "comment": "Evidence base misses Wilkinson 2018."})
    graded_draft.refresh_from_db()
    assert graded_draft.status == "draft"
    change = ClaimChange.objects.get(claim=graded_draft, field="status")
    assert change.reason == "Evidence base misses Wilkinson 2018."


def test_only_drafts_can_be_submitted_and_only_claims_in_review_published(users, graded_draft):
    with pytest.raises(services.WorkflowError, match="Only claims in review"):
        services.publish(graded_draft, users["reviewer"])
    graded_draft.status = "published"
    graded_draft.save()
    with pytest.raises(services.WorkflowError, match="Only drafts"):
        services.submit_for_review(graded_draft, users["editor"])


def test_an_ungraded_claim_cannot_be_submitted(users):
    claim = ClaimFactory(status="draft", grade="not_graded")
    with pytest.raises(services.WorkflowError, match="Grade the claim"):
        services.submit_for_review(claim, users["editor"])


def test_bulk_action_reports_each_refusal(client, users):
    ok = ClaimFactory(status="draft", grade="low", text="Fine claim")
    bad = ClaimFactory(status="draft", grade="not_graded", text="Ungraded claim")
    client.force_login(users["editor"])
    response = client.post(
        reverse("admin:claims_claim_changelist"),
        {"action": "submit_selected", "_selected_action": [ok.pk, bad.pk]},
    )
    assert response.status_code == 302
    confirm = response["Location"]
    page = client.get(confirm).content.decode()
    assert "Fine claim" in page and "Ungraded claim" in page
    result = client.post(confirm.split("?")[0], {"ids": f"{ok.pk},{bad.pk}"}, follow=True).content.decode()
    assert "1 claim submitted for review." in result
    assert "“Ungraded claim” was not submitted for review: Grade the claim" in result


def test_services_refuse_users_without_permission(graded_draft):
    with pytest.raises(services.WorkflowError):
        services.submit_for_review(graded_draft, AnonymousUser())


# --- editing: grading form, history, conflicts -------------------------------------------------------------


def test_claim_form_shows_the_grade_assessment_and_a_sanitized_rationale_preview(client, users, graded_draft):
    graded_draft.rationale = "**Bold** <script>alert(1)</script>"
    graded_draft.save()
    client.force_login(users["editor"])
    html = client.get(reverse("admin:claims_claim_change", args=[graded_draft.pk])).content.decode()
    assert "GRADE assessment" in html and "Suggested certainty" in html
    assert "<strong>Bold</strong>" in html and "<script>alert(1)</script>" not in html


def test_saving_records_who_changed_the_grade_and_why(client, users, graded_draft):
    client.force_login(users["editor"])
    url = reverse("admin:claims_claim_change", args=[graded_draft.pk])
    data = _admin_form_data(client.get(url))
    data.update(grade="low", grade_override_reason="Two consistent RCTs not yet linked.", change_reason="Regraded")
    response = client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    change = ClaimChange.objects.get(claim=graded_draft, field="grade")
    assert (change.before, change.after, change.changed_by, change.reason) == (
        "very_low", "low", users["editor"], "Regraded"
    )  # fmt: skip
    graded_draft.refresh_from_db()
    assert graded_draft.last_edited_by == users["editor"] and graded_draft.version == 2


def test_a_grade_that_differs_from_the_suggestion_needs_a_reason(client, users, graded_draft):
    client.force_login(users["editor"])
    url = reverse("admin:claims_claim_change", args=[graded_draft.pk])
    data = _admin_form_data(client.get(url))
    data.update(grade="high", grade_override_reason="")
    response = client.post(url, data)
    assert response.status_code == 200
    assert "differs from the suggested certainty (very low)" in response.content.decode()
    graded_draft.refresh_from_db()
    assert graded_draft.grade == "very_low"


def test_adding_randomised_evidence_changes_the_start_and_is_checked_on_save(client, users, graded_draft):
    rct = StudyFactory(design="rct")
    client.force_login(users["editor"])
    url = reverse("admin:claims_claim_change", args=[graded_draft.pk])
    data = _admin_form_data(client.get(url))
    data.update({"evidence-TOTAL_FORMS": "1", "evidence-0-study": str(rct.pk), "evidence-0-direction": "supports"})
    response = client.post(url, data)
    # With an RCT the suggestion becomes high; the saved grade (very low) now needs a reason.
    assert response.status_code == 200
    assert "starting level becomes high" in response.content.decode()
    data.update(grade="high")
    response = client.post(url, data)
    assert response.status_code == 302, (
        response.context["adminform"].form.errors,
        [f.non_form_errors() for f in response.context["inline_admin_formsets"] for f in [f.formset]],
        [f.formset.errors for f in response.context["inline_admin_formsets"]],
    )
    graded_draft.refresh_from_db()
    assert (graded_draft.starting_level, graded_draft.suggested_grade) == ("high", "high")


def test_the_second_of_two_concurrent_saves_fails_and_loses_nothing(client, users, graded_draft):
    url = reverse("admin:claims_claim_change", args=[graded_draft.pk])
    client.force_login(users["editor"])
    editor_form = _admin_form_data(client.get(url))
    client.force_login(users["reviewer"])
    reviewer_form = _admin_form_data(client.get(url))

    reviewer_form.update(rationale="Reviewer's rationale.")
    assert client.post(url, reviewer_form).status_code == 302

    client.force_login(users["editor"])
    editor_form.update(rationale="Editor's rationale.")
    response = client.post(url, editor_form)
    assert response.status_code == 200
    html = response.content.decode()
    assert "This claim was changed by rex" in html and "Your changes were not saved" in html
    assert "Editor&#x27;s rationale." in html or "Editor's rationale." in html  # still in the form
    graded_draft.refresh_from_db()
    assert graded_draft.rationale == "Reviewer's rationale."


def test_public_claim_page_shows_grade_history_without_names(client, users, graded_draft):
    # A draft's regrading (and its reason) is internal: nobody reviewed it for readers.
    before = services.Snapshot.of(graded_draft)
    graded_draft.grade = "moderate"
    services.save_edit(graded_draft, users["editor"], before=before, reason="Internal: ask Bob")
    Claim.objects.filter(pk=graded_draft.pk).update(status="published", grade="very_low")
    graded_draft.refresh_from_db()
    # A change while it is published is public.
    before = services.Snapshot.of(graded_draft)
    graded_draft.grade = "low"
    services.save_edit(graded_draft, users["editor"], before=before, reason="New trial")
    html = client.get(graded_draft.get_absolute_url()).content.decode()
    history = html.split('id="history-title"')[1].split("</section>")[0]
    assert "Very low → Low" in history and "New trial" in history
    assert "edna" not in history and "Internal" not in history and "Moderate" not in history


def test_admin_claim_page_lists_the_history_with_names(client, users, graded_draft):
    before = services.Snapshot.of(graded_draft)
    graded_draft.grade = "low"
    services.save_edit(graded_draft, users["editor"], before=before, reason="New trial")
    client.force_login(users["reviewer"])
    html = client.get(reverse("admin:claims_claim_change", args=[graded_draft.pk])).content.decode()
    assert "History (grade, status and rationale changes)" in html and "edna" in html


# --- quotes ------------------------------------------------------------------------------------------------


def test_saving_an_assertion_verifies_the_quote_whitespace_insensitively(client, users, graded_draft):
    source = SourceFactory(text="Ketamine works by blocking NMDA\nreceptors in the brain.")
    client.force_login(users["editor"])
    url = reverse("admin:claims_assertion_add")
    data = {
        "claim": graded_draft.pk,
        "source": source.pk,
        "quote": "blocking NMDA receptors   in the brain",
        "stance": "supports",
        "citation_fidelity": "not_checked",
    }
    assert client.post(url, data).status_code == 302
    assertion = Assertion.objects.get(claim=graded_draft)
    assert assertion.quote == "blocking NMDA\nreceptors in the brain"
    assert assertion.offset == 18


def test_a_quote_that_is_not_in_the_source_is_refused_with_a_message(client, users, graded_draft):
    source = SourceFactory(title="Clinic blog", text="Ketamine works fast.")
    client.force_login(users["editor"])
    response = client.post(
        reverse("admin:claims_assertion_add"),
        {
            "claim": graded_draft.pk,
            "source": source.pk,
            "quote": "Ketamine is completely safe.",
            "stance": "supports",
            "citation_fidelity": "not_checked",
        },
    )
    assert response.status_code == 200
    assert "This quote is not in the archived text of “Clinic blog”" in response.content.decode()
    assert not Assertion.objects.exists()


# --- admin lists and queue ---------------------------------------------------------------------------------


def test_claim_changelist_filters_and_shows_disagreement(client, users, site_content):
    client.force_login(users["editor"])
    url = reverse("admin:claims_claim_changelist")
    html = client.get(url, {"disagreement": "yes"}).content.decode()
    assert "Ketamine has a low risk of side effects" in html and "Side effects of ketamine are common" not in html
    claim = site_content["helps"]
    Claim.objects.filter(pk=claim.pk).update(grade="high", suggested_grade="low")
    html = client.get(url, {"suggestion": "differs"}).content.decode()
    assert "Ketamine reduces PTSD symptoms" in html and "low risk of side effects" not in html
    assert "Ketamine reduces PTSD symptoms" in client.get(url, {"tag": "infusion"}).content.decode()


def test_claim_changelist_query_count_does_not_grow_with_rows(
    client, users, site_content, django_assert_max_num_queries
):
    client.force_login(users["editor"])
    url = reverse("admin:claims_claim_changelist")
    client.get(url)
    with django_assert_max_num_queries(14) as first:
        client.get(url)
    for n in range(30):
        claim = ClaimFactory(slug=f"more-{n}")
        claim.conditions.add(site_content["ptsd"])
        AssertionFactory(claim=claim, source=site_content["clinic"], quote="Ketamine helps PTSD within hours.")
    with django_assert_max_num_queries(len(first.captured_queries)):
        client.get(url)


@pytest.mark.parametrize("model", ["source", "study", "assertion"])
def test_other_changelists_have_a_fixed_query_count(client, users, site_content, model, django_assert_max_num_queries):
    client.force_login(users["editor"])
    url = reverse(f"admin:{'sources' if model != 'assertion' else 'claims'}_{model}_changelist")
    client.get(url)
    with django_assert_max_num_queries(12) as first:
        client.get(url)
    for n in range(10):
        source = SourceFactory()
        study = StudyFactory()
        AssertionFactory(
            source=source, cited_study=study, claim=site_content["helps"], quote=f"Ketamine works by{n}"[:17]
        )
    with django_assert_max_num_queries(len(first.captured_queries)):
        client.get(url)


def test_study_list_finds_missing_dois_and_unchecked_citations(client, users, site_content):
    StudyFactory(label="No DOI study", doi="")
    client.force_login(users["editor"])
    url = reverse("admin:sources_study_changelist")
    assert "No DOI study" in client.get(url, {"ids": "no_doi"}).content.decode()
    AssertionFactory(
        cited_study=site_content["rct"],
        claim=site_content["helps"],
        source=site_content["review"],
        quote="Side effects are common.",
    )
    html = client.get(url, {"fidelity": "unchecked"}).content.decode()
    assert "Feder et al. 2014" in html


def test_work_queue_lists_ungraded_in_review_and_changed_source_claims(client, users, site_content):
    ClaimFactory(text="Ungraded one", status="draft", grade="not_graded")
    ClaimFactory(text="Waiting one", status="in_review")
    Assertion.objects.filter(pk=site_content["a1"].pk).update(source_changed=True)
    client.force_login(users["editor"])
    html = client.get(reverse("admin:claims_claim_queue")).content.decode()
    assert "Ungraded one" in html and "Waiting one" in html
    changed = html.split("Sources changed")[1].split("<h2>")[0]
    assert "Ketamine reduces PTSD symptoms" in changed


# --- create_editor -----------------------------------------------------------------------------------------


def test_create_editor_reads_the_password_from_the_environment(monkeypatch, db):
    monkeypatch.setenv("KB_EDITOR_PASSWORD", "a-long-Unusual-passphrase-42")
    call_command("create_editor", "nora", reviewer=True)
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.get(username="nora")
    assert user.is_staff and user.check_password("a-long-Unusual-passphrase-42")
    assert user.has_perm("claims.publish_claim")


def test_create_editor_never_uses_a_default_password(monkeypatch, db):
    monkeypatch.delenv("KB_EDITOR_PASSWORD", raising=False)
    monkeypatch.setattr("claims.management.commands.create_editor.Command.stdin_is_interactive", lambda self: False)
    with pytest.raises(CommandError, match="No password"):
        call_command("create_editor", "nora")


def test_create_editor_refuses_a_weak_password_and_an_existing_user(monkeypatch, users):
    monkeypatch.setenv("KB_EDITOR_PASSWORD", "123")
    with pytest.raises(CommandError, match="too weak"):
        call_command("create_editor", "newbie")
    monkeypatch.setenv("KB_EDITOR_PASSWORD", "a-long-Unusual-passphrase-42")
    with pytest.raises(CommandError, match="already exists"):
        call_command("create_editor", "edna")


def test_rationale_preview_renders_sanitized_markdown_for_staff_only(client, users):
    url = reverse("admin:claims_claim_preview")
    assert client.post(url, {"text": "x"}).status_code == 302  # anonymous: to the login page
    client.force_login(users["editor"])
    html = client.post(url, {"text": "**Low** <script>alert(1)</script>"}).content.decode()
    assert "<strong>Low</strong>" in html and "<script" not in html
    assert client.get(url).status_code == 405


def test_a_source_text_cannot_be_edited_in_the_admin_so_its_quotes_stay_true(client, users):
    source = SourceFactory(text="Ketamine blocks NMDA receptors. It works within hours.")
    assertion = AssertionFactory(source=source, quote="It works within hours.", offset=32)
    client.force_login(users["editor"])
    url = reverse("admin:sources_source_change", args=[source.pk])
    page = client.get(url).content.decode()
    assert 'name="text"' not in page and "import it again" in page
    data = {
        "title": source.title, "slug": source.slug, "url": source.url, "author": "", "publisher": "",
        "kind": source.kind, "published_on": "", "accessed_on": "", "commercial_interest": source.commercial_interest,
        "commercial_interest_note": "", "archive_name": "", "notes": "", "text": "Something else entirely.",
    }  # fmt: skip
    response = client.post(url, data)
    assert response.status_code == 302
    source.refresh_from_db()
    assert source.text.startswith("Ketamine blocks NMDA receptors.")
    assertion.refresh_from_db()
    assert source.text[assertion.offset :].startswith(assertion.quote)
    # A new source is still written by hand, text included.
    assert 'name="text"' in client.get(reverse("admin:sources_source_add")).content.decode()


def test_the_source_admin_links_to_the_public_page_only_when_there_is_one(client, users):
    source = SourceFactory()
    assertion = AssertionFactory(source=source, claim=ClaimFactory(status="draft"))
    client.force_login(users["editor"])
    url = reverse("admin:sources_source_change", args=[source.pk])
    assert "View on site" not in client.get(url).content.decode()
    Claim.objects.filter(pk=assertion.claim_id).update(status="published")
    assert "View on site" in client.get(url).content.decode()
