"""The stored counts of published claims (claims.figures) that the home page, the conditions list, the tag list
and the disagreements page show stay equal to a fresh count after every kind of write, and never count drafts."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.db import transaction
from django.db.models import Count
from taggit.models import Tag

from claims import figures, services
from claims.models import DISPUTED, Claim, PublishedCount, TaggedClaim
from tests.factories import AssertionFactory, ClaimFactory, ConditionFactory, SourceFactory

pytestmark = pytest.mark.django_db

Kind = PublishedCount.Kind


def _fresh() -> dict[str, dict[str, int]]:
    """What the pages counted before the counts were stored: every published claim, counted now."""
    published = Claim.objects.published()
    links = Claim.conditions.through.objects.filter(claim__status="published")
    tagged = TaggedClaim.objects.filter(content_object__status="published")
    return {
        Kind.GRADE: dict(published.values_list("grade").annotate(n=Count("id")).order_by()),
        Kind.CONDITION: {str(k): n for k, n in links.values_list("condition_id").annotate(n=Count("id")).order_by()},
        Kind.TAG: {str(k): n for k, n in tagged.values_list("tag_id").annotate(n=Count("id")).order_by()},
        Kind.DISPUTED: {"": published.filter(DISPUTED).count()},
    }


def _stored() -> dict[str, dict[str, int]]:
    counts = figures.counts_of(*Kind.values)
    counts[Kind.DISPUTED].setdefault("", 0)  # no row yet (a flushed database) reads as 0, as the page reads it
    return {kind: {key: n for key, n in found.items() if n or kind == Kind.DISPUTED} for kind, found in counts.items()}


def _assert_current(step: str) -> None:
    assert _stored() == _fresh(), step


def test_the_stored_counts_stay_right_through_every_kind_of_write(users):
    ptsd, depression = ConditionFactory(name="PTSD"), ConditionFactory(name="Depression")
    claim = ClaimFactory(grade="low")
    _assert_current("a published claim")
    claim.conditions.add(ptsd, depression)
    claim.tags.add("nmda", "onset")
    _assert_current("conditions and tags added")
    other = ClaimFactory(grade="moderate")
    other.conditions.add(ptsd)
    other.tags.add("nmda")
    _assert_current("a second claim")
    claim.grade = "high"
    claim.save()
    _assert_current("a grade edited")
    AssertionFactory(claim=claim, source=SourceFactory(), stance="supports")
    against = AssertionFactory(claim=claim, source=SourceFactory(), stance="contradicts")
    _assert_current("assertions that make the claim disputed")
    assert _stored()[Kind.DISPUTED] == {"": 1}
    against.delete()
    _assert_current("an assertion deleted: no longer disputed")
    services.return_to_draft(claim, users["reviewer"], "Needs another look.")
    _assert_current("returned to draft through the workflow")
    assert _stored()[Kind.CONDITION] == {str(ptsd.pk): 1}
    claim.status, claim.last_edited_by = "in_review", users["editor"]
    claim.save()
    services.publish(claim, users["reviewer"])
    _assert_current("published through the workflow")
    claim.conditions.remove(depression)
    claim.tags.remove("onset")
    _assert_current("a condition and a tag removed")
    other.conditions.clear()
    other.tags.clear()
    _assert_current("links cleared")
    ptsd.claims.add(other)
    _assert_current("a claim added from the condition's side")
    Tag.objects.get(name="nmda").delete()
    _assert_current("a tag deleted")
    claim.delete()
    _assert_current("a claim deleted")
    assert _stored()[Kind.CONDITION] == {str(ptsd.pk): 1}


def test_drafts_never_count_in_the_public_figures(client):
    ptsd = ConditionFactory(name="PTSD", slug="ptsd")
    published = ClaimFactory(text="Ketamine helps PTSD")
    published.conditions.add(ptsd)
    published.tags.add("ptsd")
    draft = ClaimFactory(text="Ketamine cures PTSD", status="draft", grade="high")
    draft.conditions.add(ptsd)
    draft.tags.add("ptsd", "cure")
    AssertionFactory(claim=draft, source=SourceFactory(), stance="supports")
    AssertionFactory(claim=draft, source=SourceFactory(), stance="contradicts")
    assert _stored() == _fresh()
    assert _stored()[Kind.TAG] == {str(Tag.objects.get(name="ptsd").pk): 1}
    assert _stored()[Kind.DISPUTED] == {"": 0}
    home = client.get("/").content.decode()
    assert "1 published claim<" in home and "No published claim is disputed" in home
    assert "1 published claim<" in client.get("/conditions/").content.decode()
    tags = client.get("/tags/").content.decode()
    assert '>ptsd</a> <span class="muted">1</span>' in tags and "cure" not in tags


def test_refresh_figures_repairs_counts_after_writes_that_bypass_the_orm():
    claim = ClaimFactory(grade="low")
    claim.tags.add("nmda")
    PublishedCount.objects.update(n=99)
    out = StringIO()
    call_command("refresh_figures", stdout=out)
    _assert_current("after refresh_figures")
    assert "changed" in out.getvalue()


def test_the_disagreements_page_counts_its_pages_from_the_stored_count(client):
    sources = SourceFactory(), SourceFactory()
    for n in range(21):  # one more than a page
        claim = ClaimFactory(text=f"Disputed claim {n:02d}")
        AssertionFactory(claim=claim, source=sources[0], stance="supports")
        AssertionFactory(claim=claim, source=sources[1], stance="qualifies")
    assert _stored()[Kind.DISPUTED] == {"": 21}
    html = client.get("/disagreements/?page=2").content.decode()
    assert "Disputed claim 20" in html and "Disputed claim 00" not in html


def test_the_tag_list_reads_its_counts_in_one_query(client, django_assert_num_queries):
    for n in range(3):
        ClaimFactory().tags.add("nmda", f"tag-{n}")
    ClaimFactory(status="draft").tags.add("draft-only")
    with django_assert_num_queries(1):  # the tags with their stored counts
        html = client.get("/tags/").content.decode()
    assert '>nmda</a> <span class="muted">3</span>' in html and "draft-only" not in html


@pytest.mark.django_db(transaction=True)  # real commits
def test_the_counts_a_transaction_touched_are_recounted_once_more_after_it_commits():
    ptsd = ConditionFactory(name="PTSD")
    with transaction.atomic():  # as an editor's save in the admin
        claim = ClaimFactory(grade="moderate")
        claim.conditions.add(ptsd)
        claim.tags.add("nmda")
        # What another transaction's recount wrote meanwhile, counting before this one committed:
        PublishedCount.objects.update(n=0)
        pending = [func for _, func, _ in transaction.get_connection().run_on_commit]
        assert sum(getattr(func, "__name__", "") == "after_commit" for func in pending) == 1  # one for all writes
    _assert_current("after the commit")
    assert _stored()[Kind.CONDITION] == {str(ptsd.pk): 1}
