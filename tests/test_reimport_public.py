"""A new version of a public source's text (issue 18): the re-import is a pending revision of the source; readers
keep the archived text, its quotes and its candidates until a reviewer other than the importer approves it; then
the quotes are moved or flagged and a job proposes the new text's candidates."""

from __future__ import annotations

import pytest
from django.urls import reverse

from claims.models import Assertion
from importer import services
from importer.models import Candidate, Job, SourceSnapshot
from revisions import services as revisions
from revisions.models import Revision
from sources.models import Source
from tests.factories import AssertionFactory, ClaimFactory

pytestmark = pytest.mark.django_db

URL = "https://clinic.example/ketamine"
ARTICLE = (
    "Ketamine for depression\n"
    "Ketamine works within hours for many patients with treatment-resistant depression. "
    "It may also reduce suicidal thoughts in the first days.\n"
    "Some clinics now offer nasal spray ketamine at home, although the effects fade within a week.\n"
)
NEW_TEXT = (
    "Updated in December.\n"
    + ARTICLE.replace("Some clinics now offer nasal spray ketamine at home", "Our clinic treats everyone in person")
    + "Ketamine infusions are given over forty minutes in our clinic.\n"
)


@pytest.fixture
def public_source(users):
    """An imported clinic page that is public: one of its statements is of a published claim (and one of a draft,
    whose quote the new version drops)."""
    services.import_article(ARTICLE.encode(), name="v1.txt", title="Clinic page", url=URL, user=users["editor"])
    source = Source.objects.get(url=URL)
    onset = ClaimFactory(text="Ketamine's antidepressant effect begins within hours", slug="onset")
    nasal = ClaimFactory(text="Ketamine can be given as a nasal spray at home", slug="nasal", status="draft")
    kept = AssertionFactory(source=source, claim=onset, quote="Ketamine works within hours", offset=24)
    lost = AssertionFactory(source=source, claim=nasal, quote="nasal spray ketamine at home", offset=None)
    lost.refresh_from_db()
    assert revisions.is_public(source)
    return {"source": source, "kept": kept, "lost": lost}


def _reimport(user, text=NEW_TEXT):
    return services.import_article(text.encode(), name="v2.txt", title="Clinic page", url=URL, user=user)


def test_a_public_source_s_new_text_waits_for_review_and_readers_keep_the_archived_one(client, users, public_source):
    source = public_source["source"]
    before = {
        "assertions": list(Assertion.objects.filter(source=source).values_list("pk", "offset", "quote")),
        "candidates": list(source.candidates.pending().values_list("pk", flat=True)),
    }
    summary = _reimport(users["editor"])
    source.refresh_from_db()
    assert source.text == ARTICLE  # unchanged
    revision = Revision.objects.get(state="pending")
    assert summary.revision == revision and revision.author == users["editor"]
    assert revision.proposed["text"] == NEW_TEXT and revision.base["text"] == ARTICLE
    assert "New version of the article imported from v2.txt" in revision.reason
    assert "found again in it: 1; no longer found: 1" in revision.reason
    # Nothing readers see, and nothing the quotes or candidates rest on, has changed.
    assert list(Assertion.objects.filter(source=source).values_list("pk", "offset", "quote")) == before["assertions"]
    assert not Assertion.objects.filter(source=source, source_changed=True).exists()
    assert list(source.candidates.pending().values_list("pk", flat=True)) == before["candidates"]
    assert SourceSnapshot.objects.filter(source=source, text=NEW_TEXT).exists()  # kept, not public
    page = client.get(source.get_absolute_url()).content.decode()
    assert "treats everyone in person" not in page and "nasal spray ketamine at home" in page
    lines = " ".join(summary.lines())
    assert f"waits for review as revision #{revision.pk}" in lines
    assert "1 of the existing quotes are found again and 1 are not" in lines


def test_importing_the_same_new_text_again_does_not_propose_it_twice(users, public_source):
    first = _reimport(users["editor"]).revision
    again = _reimport(users["reviewer"])
    assert again.already_waiting and again.revision == first
    assert Revision.objects.count() == 1
    assert "already waits for review" in " ".join(again.lines())


def test_the_importer_cannot_approve_the_new_text(users, public_source):
    revision = _reimport(users["reviewer"]).revision
    with pytest.raises(revisions.RevisionError, match="another reviewer must approve it"):
        revisions.approve(revision, users["reviewer"])
    public_source["source"].refresh_from_db()
    assert public_source["source"].text == ARTICLE


def test_approving_the_new_text_moves_and_flags_quotes_and_proposes_its_candidates(
    client, users, public_source, django_capture_on_commit_callbacks
):
    source, kept, lost = public_source["source"], public_source["kept"], public_source["lost"]
    old_pending = set(source.candidates.pending().values_list("pk", flat=True))
    assert old_pending
    revision = _reimport(users["editor"]).revision
    with django_capture_on_commit_callbacks(execute=True):
        changed = revisions.approve(revision, users["reviewer"])
    source.refresh_from_db()
    assert source.text == NEW_TEXT and source.accessed_on is not None
    kept.refresh_from_db()
    lost.refresh_from_db()
    assert NEW_TEXT[kept.offset :].startswith(kept.quote) and not kept.source_changed
    assert lost.source_changed
    # The earlier version's undecided candidates are gone; the job proposed the new text's.
    job = Job.objects.get(kind=Job.Kind.PROPOSE)
    assert job.status == Job.Status.SUCCEEDED, job.error
    assert job.source == source and job.created_by == users["editor"]
    assert f"job #{job.pk}" in changed.follow_ups[0]
    pending = list(source.candidates.pending())
    assert pending and not old_pending & {c.pk for c in pending}
    for candidate in pending:
        assert NEW_TEXT[candidate.offset : candidate.offset + len(candidate.quote)] == candidate.quote
    assert any("forty minutes" in c.quote for c in pending)
    assert "Proposed candidates for the approved new text of" in job.summary[0]
    # Readers see the new text; history says who and why.
    page = client.get(source.get_absolute_url()).content.decode()
    assert "treats everyone in person" in page
    record = source.history.first()
    assert record.history_user == users["reviewer"] and "New version of the article" in record.history_change_reason


def test_a_rejected_new_text_changes_nothing(users, public_source):
    source = public_source["source"]
    pending = set(source.candidates.pending().values_list("pk", flat=True))
    revision = _reimport(users["editor"]).revision
    revisions.reject(revision, users["reviewer"], "The clinic's page is the same; a cookie banner changed.")
    source.refresh_from_db()
    assert source.text == ARTICLE
    assert set(source.candidates.pending().values_list("pk", flat=True)) == pending
    assert not Job.objects.filter(kind=Job.Kind.PROPOSE).exists()


def test_a_new_text_approved_after_another_one_is_refused_as_a_conflict(users, public_source):
    first = _reimport(users["editor"]).revision
    second = _reimport(users["editor"], NEW_TEXT + "A third version.\n").revision
    revisions.approve(first, users["reviewer"])
    with pytest.raises(revisions.RevisionConflict):
        revisions.approve(second, users["reviewer"])
    public_source["source"].refresh_from_db()
    assert public_source["source"].text == NEW_TEXT


def test_a_private_source_s_new_text_is_still_applied_at_once(users, public_source):
    Assertion.objects.filter(source=public_source["source"]).delete()
    assert not revisions.is_public(public_source["source"])
    summary = _reimport(users["editor"])
    assert summary.revision is None and not Revision.objects.exists()
    public_source["source"].refresh_from_db()
    assert public_source["source"].text == NEW_TEXT


def test_through_the_admin_the_import_job_says_it_waits_and_the_reviewer_is_told_of_the_candidates_job(
    client, users, public_source, django_capture_on_commit_callbacks
):
    client.force_login(users["editor"])
    response = client.post(
        reverse("admin:importer_import"),
        {"title": "Clinic page", "url": URL, "text": NEW_TEXT, "format": "text", "kind": "other"},
        follow=True,
    )
    assert response.status_code == 200
    page = response.content.decode()
    revision = Revision.objects.get(state="pending")
    assert f"waits for review as revision #{revision.pk}" in page
    client.force_login(users["reviewer"])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("admin:revisions_revision_change", args=[revision.pk]), {"decision": "approve"}, follow=True
        )
    page = response.content.decode()
    job = Job.objects.get(kind=Job.Kind.PROPOSE)
    assert "approved: readers see it now" in page and f"job #{job.pk}" in page
    assert Candidate.objects.filter(source=public_source["source"], status="pending").exists()
