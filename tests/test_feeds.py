"""Atom feeds of claims newly published and regraded, for all claims and per condition, read with an XML parser."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import timedelta

import pytest
from django.utils import timezone

from claims import services
from claims.models import Claim, ClaimChange
from tests.factories import ClaimFactory, ConditionFactory

pytestmark = pytest.mark.django_db

ATOM = "{http://www.w3.org/2005/Atom}"


def _entries(response) -> list[dict]:
    assert response.status_code == 200
    assert response["Content-Type"] == "application/atom+xml; charset=utf-8"
    feed = ET.fromstring(response.content)
    assert feed.tag == f"{ATOM}feed"
    return [
        {
            "title": entry.findtext(f"{ATOM}title"),
            "id": entry.findtext(f"{ATOM}id"),
            "link": entry.find(f"{ATOM}link").get("href"),
            "updated": entry.findtext(f"{ATOM}updated"),
            "summary": entry.findtext(f"{ATOM}summary"),
        }
        for entry in feed.findall(f"{ATOM}entry")
    ]


def _change(claim, field, before, after, *, ago=0, reason=""):
    change = ClaimChange.objects.create(
        claim=claim, field=field, before=before, after=after, reason=reason, public=True
    )
    ClaimChange.objects.filter(pk=change.pk).update(changed_at=timezone.now() - timedelta(days=ago))
    return change


def test_feed_says_what_changed_newest_first(client, site_content, django_assert_num_queries):
    helps = site_content["helps"]
    _change(helps, "status", "in_review", "published", ago=10)
    _change(helps, "grade", "very_low", "low", ago=1, reason="A second trial was added.")
    with django_assert_num_queries(2):  # recorded publications and regradings, claims published without a record
        entries = _entries(client.get("/feeds/claims.atom"))
    regraded, published = [e for e in entries if e["link"].endswith("/claims/ketamine-reduces-ptsd-symptoms/")]
    assert regraded["title"] == "Certainty Very low → Low: Ketamine reduces PTSD symptoms"
    assert "Why: A second trial was added." in regraded["summary"]
    assert "Now: Supported, low certainty." in regraded["summary"]
    assert published["title"] == "Published: Ketamine reduces PTSD symptoms"
    assert regraded["updated"] > published["updated"]
    assert regraded["id"] != published["id"] and regraded["id"].startswith("http://testserver/claims/")


def test_changes_saved_together_are_one_entry(client, site_content):
    low_risk = site_content["low_risk"]
    _change(low_risk, "grade", "low", "very_low")
    _change(low_risk, "verdict", "partly_supported", "contradicted")
    [entry] = [
        e for e in _entries(client.get("/feeds/claims.atom")) if e["id"].endswith("change-" + _first_change_id())
    ]
    assert entry["title"] == (
        "Certainty Low → Very low; verdict Partly supported → Contradicted: Ketamine has a low risk of side effects"
    )


def _first_change_id() -> str:
    return str(ClaimChange.objects.order_by("pk").first().pk)


def test_claims_published_without_a_record_have_one_entry(client, site_content):
    entries = _entries(client.get("/feeds/claims.atom"))
    assert sorted(e["title"] for e in entries) == [
        "Published: Ketamine has a low risk of side effects",
        "Published: Ketamine reduces PTSD symptoms",
        "Published: Side effects of ketamine are common",
    ]


def test_published_through_the_workflow_the_claim_enters_the_feed(client, site_content, users):
    draft = site_content["draft"]
    draft.grade = "very_low"
    draft.save()
    services.submit_for_review(draft, users["editor"])
    assert "Ketamine cures PTSD permanently" not in client.get("/feeds/claims.atom").content.decode()
    services.publish(draft, users["reviewer"])
    titles = [e["title"] for e in _entries(client.get("/feeds/claims.atom"))]
    assert "Published: Ketamine cures PTSD permanently" in titles


def test_no_draft_reaches_a_feed(client, site_content, users):
    draft = site_content["draft"]
    _change(draft, "grade", "not_graded", "low")
    _change(draft, "verdict", "not_assessed", "supported")
    for url in ("/feeds/claims.atom", "/conditions/ptsd/feed.atom"):
        assert "Ketamine cures PTSD permanently" not in client.get(url).content.decode()
    # A published claim returned to draft leaves the feed with its history.
    helps = site_content["helps"]
    _change(helps, "grade", "very_low", "low")
    services.return_to_draft(helps, users["reviewer"], "Check the second trial.")
    assert "Ketamine reduces PTSD symptoms" not in client.get("/feeds/claims.atom").content.decode()


def test_condition_feed_has_the_claims_of_its_page(client, site_content, django_assert_num_queries):
    general = ClaimFactory(text="Ketamine raises blood pressure", applies_generally=True)
    ClaimFactory(text="Ketamine helps OCD").conditions.add(ConditionFactory(name="OCD", slug="ocd"))
    with django_assert_num_queries(3):  # conditions, recorded changes, claims published without a record
        entries = _entries(client.get("/conditions/ptsd/feed.atom"))
    titles = {e["title"] for e in entries}
    assert f"Published: {general.text}" in titles
    assert "Published: Ketamine helps OCD" not in titles
    assert "Published: Ketamine reduces PTSD symptoms" in titles
    feed = ET.fromstring(client.get("/conditions/ptsd/feed.atom").content)
    assert feed.findtext(f"{ATOM}title").endswith("ketamine for PTSD, claims published and regraded")


def test_condition_feed_of_an_unknown_or_draft_only_condition_is_404(client, site_content):
    site_content["draft"].conditions.add(ConditionFactory(name="Tinnitus", slug="tinnitus"))
    assert client.get("/conditions/tinnitus/feed.atom").status_code == 404
    assert client.get("/conditions/nope/feed.atom").status_code == 404


def test_an_empty_knowledge_base_has_a_valid_empty_feed(client, db):
    assert _entries(client.get("/feeds/claims.atom")) == []


def test_feed_keeps_to_the_latest_fifty_entries(client, db):
    claims = ClaimFactory.create_batch(55)
    Claim.objects.filter(pk=claims[0].pk).update(published_at=timezone.now() - timedelta(days=400))
    entries = _entries(client.get("/feeds/claims.atom"))
    assert len(entries) == 50
    assert claims[0].text not in {e["title"].split(": ", 1)[1] for e in entries}
