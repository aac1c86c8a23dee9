"""Audit of issue 18 ("every public change reviewed and recorded"), by an outside reviewer: each test shows one path by
which something readers see changes without a second person, or a change that leaves no history. A test marked
``xfail(strict=True)`` demonstrates a gap that is still open (it fails for the reason given); one without the mark
pins a gap that was fixed."""

from __future__ import annotations

import pytest
from django.urls import reverse

from claims.models import Assertion, Claim
from revisions import services as revisions
from revisions.models import Revision
from sources.models import Source
from tests.factories import (
    AssertionFactory,
    ClaimFactory,
    ConditionFactory,
    SourceFactory,
    StudyFactory,
)
from tests.test_workflow import _admin_form_data

pytestmark = pytest.mark.django_db


def _form_data(form) -> dict:
    """What an admin form posts back unchanged (no inlines)."""
    data: dict = {}
    for name in form.fields:
        value = form[name].value()
        if value is None:
            continue
        if name == "tags" and not isinstance(value, str):
            data[name] = ", ".join(getattr(t, "name", str(t)) for t in value)
        elif isinstance(value, bool):
            if value:
                data[name] = "on"
        elif isinstance(value, list | tuple):
            data[name] = [str(getattr(v, "pk", v)) for v in value]
        else:
            data[name] = str(value)
    return data


# --- 1. The history's version page still saved (SIMPLE_HISTORY_REVERT_DISABLED only hides the button): fixed -------


def test_posting_a_published_claims_history_version_page_changes_none_of_its_tags(client, users, published):
    """simple-history's version page (History → a version) answered a POST by saving the form: ``save_model`` proposed
    a revision, but it then called ``form.save_m2m()`` itself, so a published claim's tags, conditions and conflicting
    claims changed at once, without review. A POST is now refused (403)."""
    published.tags.add("suicide")
    version = published.history.latest()
    url = reverse("admin:claims_claim_simple_history", args=[published.pk, version.history_id])
    client.force_login(users["editor"])
    page = client.get(url)
    assert page.status_code == 200
    data = {**_form_data(page.context["adminform"].form), "tags": "miracle cure", "change_reason": "Retag."}
    assert client.post(url, data).status_code == 403  # fixed: the version page is read-only, as the docs say
    published.refresh_from_db()
    assert sorted(published.tags.names()) == ["suicide"]  # readers keep the published tags until approval
    client.logout()
    assert b"miracle cure" not in client.get(published.get_absolute_url()).content


# --- 2. Publishing is the review, but it only knows who last saved the claim's own form ---------------------------


def _publish(client, claim):
    url = reverse("admin:claims_claim_transition", args=["publish"])
    return client.post(url, {"ids": str(claim.pk), "comment": "Checked."}, follow=True)


def test_a_reviewer_cannot_publish_a_claim_whose_statement_they_changed_on_its_own_page(client, users):
    """A claim in review is edited directly, and its publisher must be someone other than its last editor. But the
    statement, evidence and estimate pages do not set ``last_edited_by``: a reviewer turns a source's "qualifies" into
    "supports" on the statement's page, then publishes the claim alone (its last editor is still the author)."""
    claim = ClaimFactory(text="Ketamine helps PTSD", slug="ptsd", status="in_review", last_edited_by=users["editor"])
    source = SourceFactory(text="Ketamine helps PTSD within hours.")
    assertion = AssertionFactory(
        claim=claim, source=source, quote="Ketamine helps PTSD within hours.", stance="qualifies"
    )
    client.force_login(users["reviewer"])
    url = reverse("admin:claims_assertion_change", args=[assertion.pk])
    data = {**_form_data(client.get(url).context["adminform"].form), "stance": "supports"}
    assert client.post(url, data).status_code == 302
    assert Assertion.objects.get(pk=assertion.pk).stance == "supports"  # saved directly: the claim is in review
    _publish(client, claim)
    claim.refresh_from_db()
    assert claim.status == "in_review"  # another reviewer must see the reviewer's own change first


def test_a_reviewer_cannot_change_a_published_claims_evidence_alone_by_returning_it_to_draft(client, users, published):
    """The same hole reached from a published claim: return it to draft (immediate, judged acceptable), add a study
    on the evidence page (a draft's rows are edited directly), submit and publish it again, all as one reviewer."""
    Claim.objects.filter(pk=published.pk).update(last_edited_by=users["editor"])
    client.force_login(users["reviewer"])
    transition = reverse("admin:claims_claim_transition", args=["return"])
    client.post(transition, {"ids": str(published.pk), "comment": "One more study."})
    study = StudyFactory(label="Invented for the audit", slug="audit-study")
    add = reverse("admin:claims_evidence_add")
    assert client.post(add, {"claim": published.pk, "study": study.pk, "direction": "supports"}).status_code == 302
    client.post(reverse("admin:claims_claim_transition", args=["submit"]), {"ids": str(published.pk)})
    _publish(client, published)
    published.refresh_from_db()
    assert published.status != "published" or not published.evidence.filter(study=study).exists()


# --- 3. The public change log shows a draft's internal edits as "reviewed changes since publication" -------------


def test_the_public_change_log_holds_no_edit_made_while_the_claim_was_a_draft(client, users):
    """The claim page says "Every change since publication was reviewed by a second person", and lists every grade,
    verdict and rationale ``ClaimChange`` of the claim, including those written while it was a draft, with the
    reason its editor typed for colleagues: nobody reviewed that text for readers."""
    claim = ClaimFactory(text="Ketamine helps PTSD", slug="ptsd", status="draft", grade="low")
    client.force_login(users["editor"])
    url = reverse("admin:claims_claim_change", args=[claim.pk])
    page = client.get(url)
    data = {**_admin_form_data(page), "grade": "very_low", "grade_override_reason": "Too few patients.",
            "change_reason": "INTERNAL: Bob says downgrade, ask him why"}  # fmt: skip
    assert client.post(url, data).status_code == 302
    Claim.objects.filter(pk=claim.pk).update(status="in_review")
    claim.refresh_from_db()
    client.force_login(users["reviewer"])
    _publish(client, claim)
    claim.refresh_from_db()
    assert claim.status == "published"
    client.logout()
    assert "INTERNAL" not in client.get(claim.get_absolute_url()).content.decode()


# --- 4. Writes in bulk that left no history: fixed -----------------------------------------------------------------


def test_approving_a_public_sources_new_text_records_its_quotes_new_places_in_their_history(users):
    """Approving a public source's new text moves its public quotes (``_recheck_assertions``: ``bulk_update`` of
    quote, offset and source_changed): readers saw the quote at its new place, but the statement's history had no
    version with it, nor who approved it and why. Fixed with simple-history's ``bulk_update_with_history``."""
    from importer import services as importer

    url = "https://clinic.example/ketamine"
    old = "Ketamine works within hours for many patients.\n"
    importer.import_article(old.encode(), name="v1.txt", title="Clinic page", url=url, user=users["editor"])
    source = Source.objects.get(url=url)
    claim = ClaimFactory(text="Ketamine's effect begins within hours", slug="onset")
    assertion = Assertion(claim=claim, source=source, quote="Ketamine works within hours", stance="supports")
    assertion.full_clean()
    assertion.save()
    versions = assertion.history.count()
    revision = importer.import_article(
        ("Updated in December.\n" + old).encode(), name="v2.txt", title="Clinic page", url=url, user=users["editor"]
    ).revision
    revisions.approve(revision, users["reviewer"])
    assertion.refresh_from_db()
    assert assertion.offset == len("Updated in December.\n")  # moved: readers see the new place
    assert assertion.history.count() == versions + 1
    latest = assertion.history.first()
    assert latest.offset == assertion.offset and latest.history_user == users["reviewer"]
    assert f"revision #{revision.pk}" in latest.history_change_reason


# --- 5. A public condition was recognised by the slug the form had already changed: fixed ------------------------


def test_changing_a_public_conditions_slug_with_its_description_waits_for_review(client, users, published):
    """``is_public(condition)`` looked the condition up by ``obj.slug``, which by ``save_model`` already held the
    form's new slug: a public condition whose slug was changed in the same save was taken for a private one, and its
    new description, names and slug went live at once (the form asked for a reason, then saved no revision). Fixed:
    it is looked up by primary key."""
    condition = ConditionFactory(name="Depression", slug="depression", description="Helps some patients.")
    published.conditions.add(condition)
    client.force_login(users["editor"])
    url = reverse("admin:claims_condition_change", args=[condition.pk])
    data = {**_form_data(client.get(url).context["adminform"].form), "slug": "depression-all",
            "description": "MIRACLE: cures everyone.", "change_reason": "Better slug."}  # fmt: skip
    assert client.post(url, data).status_code == 302
    condition.refresh_from_db()
    assert condition.description == "Helps some patients." and condition.slug == "depression"
    revision = Revision.objects.get()
    assert revision.proposed == {"slug": "depression-all", "description": "MIRACLE: cures everyone."}
    client.logout()
    assert b"MIRACLE" not in client.get(reverse("claims:condition_detail", args=["depression-all"])).content


# --- 6. "Save" on a published claim with nothing changed wrote to it directly: fixed ------------------------------


def test_saving_a_published_claim_unchanged_from_a_browser_writes_nothing_readers_see(client, users, published):
    """A browser posts a text box's lines with CRLF. ``same()`` rightly says the rationale did not change, so no
    revision is proposed; but ``save_model`` then fell through to ``save_edit``, which saved the CRLF text into the
    published claim and wrote a ``ClaimChange`` for the rationale: the public change log and the Atom feed announced
    a change, with no reason, that no reviewer saw. Fixed: a published claim with no real change is not written."""
    Claim.objects.filter(pk=published.pk).update(rationale="First line.\nSecond line.")
    client.force_login(users["editor"])
    url = reverse("admin:claims_claim_change", args=[published.pk])
    data = {**_admin_form_data(client.get(url)), "rationale": "First line.\r\nSecond line."}
    assert client.post(url, data).status_code == 302
    assert not published.changes.filter(field="rationale").exists()
    assert Claim.objects.get(pk=published.pk).rationale == "First line.\nSecond line."
    assert not Revision.objects.exists()
    client.logout()
    assert "rationale" not in client.get(reverse("claims:feed")).content.decode().lower()


# --- 7. Approved changes that the public change log or the other claim's history leave out ------------------------


def test_an_approved_change_of_a_published_claims_conditions_shows_in_its_public_change_log(client, users, published):
    """The public change log names approved changes of wording, summary, verdict, certainty, rationale, judgments,
    statements and evidence (``LOGGED_CLAIM_FIELDS``), but not of the claim's conditions, conflicting claims, tags,
    category, kind of statement or "applies to ketamine in general": the claim moves to another condition's page (or
    onto every one) with no entry in its log or the feeds, though it was reviewed and is in the admin history."""
    depression = ConditionFactory(name="Depression", slug="depression")
    client.force_login(users["editor"])
    url = reverse("admin:claims_claim_change", args=[published.pk])
    data = {**_admin_form_data(client.get(url)), "conditions": [str(depression.pk)], "change_reason": "Scope."}
    assert client.post(url, data).status_code == 302
    revisions.approve(Revision.objects.get(), users["reviewer"])
    assert list(published.conditions.all()) == [depression]
    assert published.changes.filter(reason="Scope.").exists()


def test_an_approved_conflict_is_in_the_history_of_both_claims(users, published):
    """``conflicting_claims`` is symmetrical: approving "P conflicts with Q" on P also links Q, whose public page now
    shows the conflict; P's history records it (``m2m_fields``), Q's has no version with it."""
    other = ClaimFactory(text="Ketamine increases suicidal ideation", slug="si-up")
    versions = other.history.count()
    revision = revisions.propose(published, {"conflicting_claims": [other.pk]}, users["editor"], "They clash.")
    revisions.approve(revision, users["reviewer"])
    assert list(other.conflicting_claims.all()) == [published]  # on Q's public page
    assert other.history.count() == versions + 1


# --- 8. taggit's "Merge selected tags" action, kept on the tags' admin ------------------------------------------------


def test_merging_a_public_tag_does_not_report_a_merge_that_did_not_happen(client, users, published):
    """Fixed: the tags' admin merges claims' tags (through ``TaggedClaim``), and refuses, in words, to merge a tag a
    published claim carries (it would change published claims without review)."""
    from taggit.models import Tag

    published.tags.add("suicide")
    tag = Tag.objects.get(name="suicide")
    client.force_login(users["editor"])
    changelist = reverse("admin:taggit_tag_changelist")
    client.post(changelist, {"action": "render_tag_form", "_selected_action": [str(tag.pk)]})
    response = client.post(changelist + "merge-tags/", {"new_tag_name": "suicidality"}, follow=True)
    html = response.content.decode()
    assert "Tags have been merged" not in html and "Not merged: published claims carry “suicide”" in html
    assert sorted(published.tags.names()) == ["suicide"] and not Tag.objects.filter(name="suicidality").exists()
