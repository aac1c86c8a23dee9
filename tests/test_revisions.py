"""Moderated revisions (issue 18, item 1): every change to published content waits for a second person, with a
reason, and is recorded; readers keep the published version until then."""

from __future__ import annotations

import pytest
from django.urls import reverse

from claims.models import Assertion, Claim, ClaimChange, Evidence
from revisions import services
from revisions.models import Revision
from sources.models import Source, Study
from tests.factories import (
    AssertionFactory,
    ClaimFactory,
    ConditionFactory,
    EffectEstimateFactory,
    SourceFactory,
    StudyFactory,
)
from tests.test_workflow import _admin_form_data

pytestmark = pytest.mark.django_db


def _edit_claim(client, claim, **changes):
    url = reverse("admin:claims_claim_change", args=[claim.pk])
    form = _admin_form_data(client.get(url))
    form.update(changes)
    return client.post(url, form)


def _decide(client, revision, decision, **extra):
    url = reverse("admin:revisions_revision_change", args=[revision.pk])
    return client.post(url, {"decision": decision, **extra}, follow=True)


# --- proposing ---------------------------------------------------------------------------------------------------


def test_an_editors_change_to_a_published_claim_waits_as_a_revision(client, users, published):
    client.force_login(users["editor"])
    response = _edit_claim(client, published, text="Ketamine cures suicidal ideation", change_reason="Sharper.")
    revision = Revision.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:revisions_revision_change", args=[revision.pk])
    published.refresh_from_db()
    assert published.text == "Ketamine reduces suicidal ideation"  # readers keep the published version
    page = client.get(published.get_absolute_url()).content.decode()
    assert "Ketamine reduces suicidal ideation" in page and "cures" not in page
    assert revision.state == "pending" and revision.author == users["editor"] and revision.claim == published
    assert revision.proposed == {"text": "Ketamine cures suicidal ideation"}
    assert revision.base == {"text": "Ketamine reduces suicidal ideation"}
    assert revision.reason == "Sharper."


def test_a_browsers_crlf_line_endings_in_an_untouched_text_are_not_proposed_as_a_change(client, users, published):
    Claim.objects.filter(pk=published.pk).update(rationale="First line.\nSecond line.")
    published.refresh_from_db()
    client.force_login(users["editor"])
    # A browser posts a textarea's lines with CRLF; only the wording was changed.
    _edit_claim(client, published, text="Ketamine cures suicidal ideation", rationale="First line.\r\nSecond line.",
                change_reason="Sharper.")  # fmt: skip
    assert Revision.objects.get().proposed == {"text": "Ketamine cures suicidal ideation"}


def test_a_change_to_published_content_without_a_reason_is_refused_and_nothing_is_saved(client, users, published):
    client.force_login(users["reviewer"])
    response = _edit_claim(client, published, text="Ketamine cures suicidal ideation", change_reason="")
    assert response.status_code == 200
    assert "a revision needs a reason" in response.content.decode()
    assert not Revision.objects.exists()
    published.refresh_from_db()
    assert published.text == "Ketamine reduces suicidal ideation"


def test_a_draft_is_edited_directly_without_a_revision(client, users, published):
    Claim.objects.filter(pk=published.pk).update(status="draft")
    published.refresh_from_db()
    client.force_login(users["editor"])
    assert _edit_claim(client, published, text="Ketamine lowers suicidal ideation").status_code == 302
    published.refresh_from_db()
    assert published.text == "Ketamine lowers suicidal ideation"
    assert not Revision.objects.exists()


def test_tags_and_conditions_of_a_published_claim_are_part_of_the_revision(client, users, published):
    ptsd = ConditionFactory(name="PTSD", slug="ptsd")
    client.force_login(users["editor"])
    _edit_claim(client, published, tags="suicide, rapid", conditions=[str(ptsd.pk)], change_reason="Tagging.")
    revision = Revision.objects.get()
    assert revision.proposed == {"conditions": [ptsd.pk], "tags": ["rapid", "suicide"]}
    assert list(published.tags.names()) == [] and not published.conditions.exists()
    client.force_login(users["reviewer"])
    _decide(client, revision, "approve")
    assert sorted(published.tags.names()) == ["rapid", "suicide"]
    assert list(published.conditions.all()) == [ptsd]


def test_renaming_a_tag_a_published_claim_carries_is_a_revision_and_an_unused_one_is_renamed_at_once(
    client, users, published
):
    from taggit.models import Tag

    published.tags.add("rapid")
    ClaimFactory(text="A draft", slug="a-draft", status="draft").tags.add("draft only")
    public, private = Tag.objects.get(name="rapid"), Tag.objects.get(name="draft only")
    client.force_login(users["editor"])
    url = reverse("admin:taggit_tag_change", args=[public.pk])
    response = client.post(url, {"name": "rapid onset", "slug": "rapid-onset", "change_reason": ""})
    assert response.status_code == 200 and "a revision needs a reason" in response.content.decode()
    response = client.post(url, {"name": "rapid onset", "slug": "rapid-onset", "change_reason": "Clearer."})
    revision = Revision.objects.get()
    assert response.status_code == 302 and revision.proposed == {"name": "rapid onset", "slug": "rapid-onset"}
    public.refresh_from_db()
    assert public.name == "rapid" and b"rapid onset" not in client.get(published.get_absolute_url()).content
    # A public tag cannot be deleted directly: it would come off published claims without review.
    assert client.post(reverse("admin:taggit_tag_delete", args=[public.pk]), {"post": "yes"}).status_code == 403
    client.force_login(users["reviewer"])
    _decide(client, revision, "approve")
    public.refresh_from_db()
    assert public.name == "rapid onset" and b"rapid onset" in client.get(published.get_absolute_url()).content
    assert public.history.latest().history_user == users["reviewer"]
    # A tag only drafts carry is not public: renamed at once.
    client.force_login(users["editor"])
    url = reverse("admin:taggit_tag_change", args=[private.pk])
    assert client.post(url, {"name": "draft tag", "slug": "draft-tag"}).status_code == 302
    private.refresh_from_db()
    assert private.name == "draft tag" and Revision.objects.count() == 1


# --- deciding ----------------------------------------------------------------------------------------------------


def test_another_reviewer_approves_and_the_change_log_shows_it_without_names(client, users, published):
    client.force_login(users["editor"])
    _edit_claim(client, published, text="Ketamine cures suicidal ideation", change_reason="Clearer wording.")
    revision = Revision.objects.get()
    # The author cannot approve their own revision (an editor cannot approve at all).
    response = _decide(client, revision, "approve")
    assert "Only reviewers can approve revisions." in response.content.decode()
    client.force_login(users["reviewer"])
    response = _decide(client, revision, "approve")
    assert "approved" in response.content.decode()
    published.refresh_from_db()
    revision.refresh_from_db()
    assert published.text == "Ketamine cures suicidal ideation"
    assert revision.state == "approved" and revision.decided_by == users["reviewer"]
    assert published.last_edited_by == users["editor"]  # the author may not publish it later either
    change = ClaimChange.objects.get(claim=published, field="text")
    assert change.before == "Ketamine reduces suicidal ideation" and change.reason == "Clearer wording."
    client.logout()
    page = client.get(published.get_absolute_url()).content.decode()
    assert "Change log" in page and "wording changed from “Ketamine reduces suicidal ideation”" in page
    assert "Clearer wording." in page
    assert "edna" not in page and "rex" not in page
    feed = client.get(reverse("claims:feed")).content.decode()
    assert "Wording changed from “Ketamine reduces suicidal ideation”" in feed and "Clearer wording." in feed
    # Django's simple history records who and why.
    assert published.history.filter(history_change_reason="Clearer wording.", history_user=users["reviewer"]).exists()


def test_a_reviewer_cannot_approve_their_own_revision_but_a_superuser_may_with_a_reason(client, users, published):
    client.force_login(users["reviewer"])
    _edit_claim(client, published, summary="Fewer thoughts of suicide within a day.", change_reason="Summary.")
    revision = Revision.objects.get()
    response = _decide(client, revision, "approve")
    assert "You proposed this revision, so another reviewer must approve it." in response.content.decode()
    revision.refresh_from_db()
    assert revision.state == "pending"

    client.force_login(users["admin"])
    _edit_claim(client, published, rationale="New rationale.", change_reason="Rationale.")
    own = Revision.objects.filter(author=users["admin"]).get()
    with pytest.raises(services.RevisionError, match="override"):
        services.approve(own, users["admin"])
    with pytest.raises(services.RevisionError, match="written reason"):
        services.approve(own, users["admin"], override=True)
    response = _decide(client, own, "approve", override_self_approval="on", note="Typo fix at night.")
    own.refresh_from_db()
    assert own.state == "approved" and own.self_approval_override and own.decision_note == "Typo fix at night."
    assert "superuser self-approval override" in response.content.decode()


def test_approving_a_revision_whose_base_changed_shows_the_conflict_and_applies_nothing(client, users, published):
    client.force_login(users["editor"])
    _edit_claim(client, published, text="Ketamine cures suicidal ideation", change_reason="First.")
    first = Revision.objects.get()
    published.refresh_from_db()
    _edit_claim(client, published, text="Ketamine lowers suicidal thoughts", change_reason="Second.")
    second = Revision.objects.exclude(pk=first.pk).get()
    client.force_login(users["reviewer"])
    _decide(client, first, "approve")
    page = client.get(reverse("admin:revisions_revision_change", args=[second.pk])).content.decode()
    assert "changed after this revision was proposed" in page and "Changed since: now" in page
    response = _decide(client, second, "approve")
    assert "Nothing was changed: The published version changed" in response.content.decode()
    published.refresh_from_db()
    second.refresh_from_db()
    assert published.text == "Ketamine cures suicidal ideation" and second.state == "pending"


def test_rejecting_needs_a_note_and_only_the_author_withdraws(client, users, published):
    client.force_login(users["editor"])
    _edit_claim(client, published, text="Ketamine cures suicidal ideation", change_reason="Why not.")
    revision = Revision.objects.get()
    client.force_login(users["reviewer"])
    assert "Say why the revision is rejected" in _decide(client, revision, "reject").content.decode()
    assert "Only its author can withdraw" in _decide(client, revision, "withdraw").content.decode()
    _decide(client, revision, "reject", note="Overstates the evidence.")
    revision.refresh_from_db()
    assert revision.state == "rejected" and revision.decision_note == "Overstates the evidence."
    published.refresh_from_db()
    assert published.text == "Ketamine reduces suicidal ideation"
    assert "already rejected" in _decide(client, revision, "approve").content.decode()

    client.force_login(users["editor"])
    _edit_claim(client, published, text="Ketamine may reduce suicidal ideation", change_reason="Hedge.")
    other = Revision.objects.pending().get()
    _decide(client, other, "withdraw")
    other.refresh_from_db()
    assert other.state == "withdrawn"


def test_the_queue_lists_pending_revisions_and_the_review_page_shows_both_versions(client, users, published):
    client.force_login(users["editor"])
    _edit_claim(client, published, text="Ketamine cures suicidal ideation", change_reason="Sharper.")
    revision = Revision.objects.get()
    client.force_login(users["reviewer"])
    queue = client.get(reverse("admin:revisions_revision_changelist")).content.decode()
    assert f"(#{revision.pk})" in queue
    work = client.get(reverse("admin:claims_claim_queue")).content.decode()
    assert "waiting for review (1)" in work and "Sharper." in work
    page = client.get(reverse("admin:revisions_revision_change", args=[revision.pk])).content.decode()
    assert "Published and proposed values, side by side" in page
    assert "Ketamine reduces suicidal ideation" in page and "Ketamine cures suicidal ideation" in page
    assert "Sharper." in page
    # Decided revisions leave the default (pending) view of the queue.
    _decide(client, revision, "reject", note="No.")
    queue = client.get(reverse("admin:revisions_revision_changelist")).content.decode()
    assert f"(#{revision.pk})" not in queue
    assert (
        f"(#{revision.pk})"
        in client.get(reverse("admin:revisions_revision_changelist") + "?state=all").content.decode()
    )


def test_a_long_text_change_is_shown_as_a_line_diff_with_the_text_escaped(users, published):
    rationale = "\n".join(f"Line {n} of the rationale." for n in range(12))
    Claim.objects.filter(pk=published.pk).update(rationale=rationale)
    published.refresh_from_db()
    revision = services.propose(
        published, {"rationale": rationale.replace("Line 5", "<script>alert(1)</script>")}, users["editor"], "Fix."
    )
    row = services.diff(revision)[0]
    html = str(row.inline_diff)
    assert "&lt;script&gt;" in html and "<script>" not in html


def test_revisions_are_visible_to_staff_only(client, users, published):
    revision = services.propose(published, {"text": "Changed"}, users["editor"], "Because.")
    url = reverse("admin:revisions_revision_change", args=[revision.pk])
    assert client.get(url).status_code == 302  # to the login page
    client.force_login(users["editor"])
    assert client.get(url).status_code == 200
    assert client.get(reverse("admin:revisions_revision_add")).status_code == 403


# --- statements, evidence, estimates -----------------------------------------------------------------------------


def test_a_statement_added_to_a_published_claim_keeps_its_source_private_until_approved(client, users, published):
    source = SourceFactory(title="Commercial clinic page", slug="clinic")
    client.force_login(users["editor"])
    data = {
        "claim": published.pk, "source": source.pk, "quote": "Its effects typically begin within a few hours.",
        "stance": "supports", "cited_study": "", "citation_fidelity": "not_checked", "fidelity_note": "", "note": "",
        "change_reason": "Found in the clinic page.",
    }  # fmt: skip
    response = client.post(reverse("admin:claims_assertion_add"), data)
    assert response.status_code == 302
    revision = Revision.objects.get()
    assert revision.action == "add" and revision.claim == published
    assert not Assertion.objects.exists()
    assert not Source.objects.public().filter(pk=source.pk).exists()
    assert client.get(source.get_absolute_url()).status_code == 404
    client.force_login(users["reviewer"])
    _decide(client, revision, "approve")
    assertion = Assertion.objects.get()
    assert assertion.offset == 56 and assertion.quote == "Its effects typically begin within a few hours."
    revision.refresh_from_db()
    assert revision.object_id == assertion.pk
    assert Source.objects.public().filter(pk=source.pk).exists()
    published.refresh_from_db()
    assert published.n_supports == 1
    log = ClaimChange.objects.get(claim=published, field="statement")
    assert log.public_words == "statement of Commercial clinic page added"


def test_a_statement_whose_quote_is_not_in_the_source_is_refused_before_any_revision(client, users, published):
    client.force_login(users["editor"])
    data = {
        "claim": published.pk, "source": SourceFactory().pk, "quote": "Ketamine is not addictive at clinical doses.",
        "stance": "supports", "cited_study": "", "citation_fidelity": "not_checked", "fidelity_note": "", "note": "",
        "change_reason": "Seen there.",
    }  # fmt: skip
    response = client.post(reverse("admin:claims_assertion_add"), data)
    assert response.status_code == 200 and "This quote is not in the archived text" in response.content.decode()
    assert not Revision.objects.exists()


def test_removing_evidence_of_a_published_claim_is_proposed_then_applied(client, users, published):
    evidence = Evidence.objects.get(claim=published)
    client.force_login(users["editor"])
    url = reverse("admin:claims_evidence_change", args=[evidence.pk])
    assert client.get(reverse("admin:claims_evidence_delete", args=[evidence.pk])).status_code == 403
    form = _admin_form_data(client.get(url))
    response = client.post(url, {**form, "propose_removal": "on", "change_reason": "Wrong population."})
    assert response.status_code == 302
    revision = Revision.objects.get()
    assert revision.action == "delete" and Evidence.objects.filter(pk=evidence.pk).exists()
    client.force_login(users["reviewer"])
    _decide(client, revision, "approve")
    assert not Evidence.objects.filter(pk=evidence.pk).exists()
    published.refresh_from_db()
    assert published.starting_level == "very_low"  # grading recomputed without the RCT
    assert ClaimChange.objects.get(claim=published, field="evidence").public_words == (
        "Wilkinson et al. 2018 removed in the evidence base"
    )


def test_an_effect_estimate_change_on_a_published_claim_waits_for_review(client, users, published):
    study = published.evidence.get().study
    estimate = EffectEstimateFactory(claim=published, study=study)
    client.force_login(users["editor"])
    url = reverse("admin:claims_effectestimate_change", args=[estimate.pk])
    form = _admin_form_data(client.get(url))
    response = client.post(url, {**form, "timepoint": "1 week", "change_reason": "Misread."})
    assert response.status_code == 302
    estimate.refresh_from_db()
    assert estimate.timepoint == "24 hours"
    assert Revision.objects.get().proposed == {"timepoint": "1 week"}


def test_inlines_of_a_published_claim_are_read_only_for_everyone(client, users, published):
    client.force_login(users["reviewer"])
    html = client.get(reverse("admin:claims_claim_change", args=[published.pk])).content.decode()
    assert 'name="evidence-0-direction"' not in html
    assert "as revisions too" in html


# --- conditions, sources, studies --------------------------------------------------------------------------------


def test_a_public_condition_description_waits_but_a_bottom_line_draft_saves_as_before(client, users, published):
    condition = ConditionFactory(name="Depression", slug="depression", description="Old.")
    published.conditions.add(condition)
    client.force_login(users["editor"])
    url = reverse("admin:claims_condition_change", args=[condition.pk])
    form = _admin_form_data(client.get(url))
    assert client.post(url, {**form, "bottom_line_draft": "Helps some."}).status_code == 302
    condition.refresh_from_db()
    assert condition.bottom_line_draft == "Helps some." and not Revision.objects.exists()
    form = _admin_form_data(client.get(url))
    client.post(url, {**form, "description": "New.", "change_reason": "Update."})
    condition.refresh_from_db()
    assert condition.description == "Old."
    assert Revision.objects.get().proposed == {"description": "New."}


def test_a_private_condition_source_and_study_are_edited_directly(client, users):
    condition = ConditionFactory(description="Old.")
    study = StudyFactory()
    client.force_login(users["editor"])
    url = reverse("admin:claims_condition_change", args=[condition.pk])
    client.post(url, {**_admin_form_data(client.get(url)), "description": "New."})
    url = reverse("admin:sources_study_change", args=[study.pk])
    client.post(url, {**_admin_form_data(client.get(url)), "population": "adults"})
    condition.refresh_from_db()
    study.refresh_from_db()
    assert condition.description == "New." and study.population == "adults"
    assert not Revision.objects.exists()


def test_public_source_and_study_fields_are_moderated_and_not_deletable(client, users, published):
    assertion = AssertionFactory(claim=published)
    study = published.evidence.get().study
    client.force_login(users["editor"])
    url = reverse("admin:sources_source_change", args=[assertion.source_id])
    client.post(url, {**_admin_form_data(client.get(url)), "publisher": "Acme", "change_reason": "Masthead."})
    url = reverse("admin:sources_study_change", args=[study.pk])
    client.post(url, {**_admin_form_data(client.get(url)), "year": "2019", "change_reason": "Publication year."})
    assert Source.objects.get(pk=assertion.source_id).publisher == ""
    assert Study.objects.get(pk=study.pk).year == 2010
    assert [r.proposed for r in Revision.objects.order_by("pk")] == [{"publisher": "Acme"}, {"year": 2019}]
    client.force_login(users["admin"])
    assert client.get(reverse("admin:sources_study_delete", args=[study.pk])).status_code == 403


# --- the importer ------------------------------------------------------------------------------------------------


def test_the_importer_proposes_statements_of_published_claims_as_revisions(users, published):
    from importer import services as importer
    from importer.models import Candidate

    source = SourceFactory(title="Imported page", slug="imported")
    sentence = "Its effects typically begin within a few hours."
    candidate = Candidate.objects.create(
        source=source,
        sentence=sentence,
        sentence_offset=56,
        quote=sentence,
        offset=56,
        category="onset",
        stance="supports",
    )
    draft = ClaimFactory(status="draft")
    made = importer.attach_many(candidate, [(published, "supports"), (draft, "qualifies")], users["editor"])
    assert isinstance(made[0], Revision) and isinstance(made[1], Assertion)
    assert made[0].reason == f"Imported from “Imported page” (import candidate #{candidate.pk})."
    assert list(Assertion.objects.values_list("claim_id", flat=True)) == [draft.pk]
    assert not Source.objects.public().filter(pk=source.pk).exists()
    services.approve(made[0], users["reviewer"])
    assert Assertion.objects.filter(claim=published, source=source, offset=56).exists()


# --- the review page's queries -----------------------------------------------------------------------------------


def _review_queries(client, revision) -> list[str]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("admin:revisions_revision_change", args=[revision.pk]))
    assert response.status_code == 200
    return [q["sql"] for q in queries.captured_queries]


def test_the_review_page_reads_related_names_once_per_related_model_not_per_field(client, users):
    from claims.models import Condition

    parent, *related = (ConditionFactory(name=f"Condition {n}", slug=f"c{n}") for n in range(4))
    one = services.propose(Condition(name="New"), {"name": "New", "parent": parent.pk}, users["editor"], "One.",
                           action="add")  # fmt: skip
    two = services.propose(
        Condition(name="Newer"),
        {"name": "Newer", "parent": parent.pk, "related": [c.pk for c in related]},
        users["editor"],
        "Two.",
        action="add",
    )
    client.force_login(users["reviewer"])
    assert len(_review_queries(client, two)) == len(_review_queries(client, one))
    page = client.get(reverse("admin:revisions_revision_change", args=[two.pk])).content.decode()
    assert "Condition 0" in page and "Condition 1, Condition 2, Condition 3" in page


def test_the_review_page_of_a_claim_revision_touching_several_relation_fields_has_a_pinned_query_count(
    client, users, published, django_assert_num_queries
):
    ptsd, depression = ConditionFactory(name="PTSD", slug="ptsd"), ConditionFactory(name="Depression", slug="dep")
    rival = ClaimFactory(text="Ketamine worsens suicidal ideation", slug="worse")
    published.conditions.add(depression)
    revision = services.propose(
        published,
        {"conditions": [ptsd.pk, depression.pk], "conflicting_claims": [rival.pk], "tags": ["suicide"]},
        users["editor"],
        "Linking.",
    )
    client.force_login(users["reviewer"])
    with django_assert_num_queries(12):
        # session, user, the user's and the groups' permissions; the revision with its author, claim and content
        # type; whether the claim still exists (the link to it); the claim as stored, its conditions, conflicting
        # claims and tags (the current values: one per many-to-many field); the names of the conditions and of the
        # claims (one per related model, for the published, proposed and current values together).
        response = client.get(reverse("admin:revisions_revision_change", args=[revision.pk]))
    html = response.content.decode()
    assert "PTSD, Depression" in html or "Depression, PTSD" in html
    assert "Ketamine worsens suicidal ideation" in html and "suicide" in html
