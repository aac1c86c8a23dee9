"""Conditions and studies that only draft claims use stay private: pages, lists, the matrix, the sitemap, search.

The rule is the API's (``claims.public``, ``Study.objects.public()``); the pages and the API must agree.
"""

from __future__ import annotations

import pytest
from django.urls import reverse

from claims import services
from claims.search import search
from tests.factories import ClaimFactory, ConditionFactory, EffectEstimateFactory, EvidenceFactory, StudyFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def draft_only(site_content):
    """A condition and a study that only the fixture's draft claim uses."""
    draft = site_content["draft"]
    secret = ConditionFactory(name="Tinnitus", slug="tinnitus", description="DRAFTSECRET condition")
    draft.conditions.add(secret)
    study = StudyFactory(label="Hidden et al. 2024", slug="hidden-et-al-2024", summary="DRAFTSECRET summary")
    EvidenceFactory(claim=draft, study=study)
    return {"draft": draft, "condition": secret, "study": study}


def _hits(query: str) -> list[str]:
    return [hit.url for hit in search(query)[0]]


def test_a_condition_only_a_draft_uses_has_no_page_and_is_in_no_list(client, draft_only):
    assert client.get("/conditions/tinnitus/").status_code == 404
    assert client.get("/api/conditions/tinnitus").status_code == 404  # the page and the API agree
    for url in ("/", reverse("claims:condition_list"), reverse("claims:matrix"), "/sitemap.xml"):
        html = client.get(url).content.decode()
        assert "/conditions/ptsd/" in html or 'value="ptsd"' in html, url  # the public one is there
        assert "tinnitus" not in html.lower(), url


def test_the_matrix_refuses_a_private_condition_without_naming_it(client, draft_only):
    html = client.get(reverse("claims:matrix") + "?condition=tinnitus").content.decode()
    assert "That choice is not one of the available choices." in html
    assert "Tinnitus" not in html


def test_a_study_only_a_draft_uses_has_no_page_and_is_in_no_list_or_search(client, draft_only):
    assert client.get("/studies/hidden-et-al-2024/").status_code == 404
    assert client.get("/api/studies/hidden-et-al-2024").status_code == 404
    for url in (reverse("sources:study_list"), "/sitemap.xml"):
        assert "hidden-et-al-2024" not in client.get(url).content.decode(), url
    assert _hits("DRAFTSECRET") == []
    assert "/studies/hidden-et-al-2024/" not in client.get("/search/?q=DRAFTSECRET").content.decode()
    assert client.get("/studies/feder-et-al-2014/").status_code == 200  # a published claim's study stays public


def test_publishing_the_draft_makes_its_condition_and_study_public_and_returning_it_hides_them(
    client, draft_only, users
):
    draft = draft_only["draft"]
    draft.grade = "low"
    draft.save()
    services.submit_for_review(draft, users["editor"])
    services.publish(draft, users["reviewer"])
    assert client.get("/conditions/tinnitus/").status_code == 200
    assert client.get("/studies/hidden-et-al-2024/").status_code == 200
    assert "/conditions/tinnitus/" in client.get("/sitemap.xml").content.decode()
    assert _hits("DRAFTSECRET") == ["/studies/hidden-et-al-2024/"]  # re-indexed on publishing
    services.return_to_draft(draft, users["reviewer"], "The trial is not peer-reviewed yet.")
    assert client.get("/conditions/tinnitus/").status_code == 404
    assert client.get("/studies/hidden-et-al-2024/").status_code == 404
    assert _hits("DRAFTSECRET") == []  # and dropped on returning it to draft


def test_a_study_becomes_searchable_when_a_published_claim_cites_it_or_rests_on_it(draft_only, site_content):
    study = draft_only["study"]
    evidence = EvidenceFactory(claim=site_content["common"], study=study)  # a published claim's evidence base
    assert _hits("DRAFTSECRET") == ["/studies/hidden-et-al-2024/"]
    evidence.delete()
    assert _hits("DRAFTSECRET") == []
    assertion = site_content["a2"]  # a statement of a published claim, citing no study yet
    assertion.cited_study = study
    assertion.save()
    assert _hits("DRAFTSECRET") == ["/studies/hidden-et-al-2024/"]
    assertion.cited_study = None
    assertion.save()
    assert _hits("DRAFTSECRET") == []


def test_published_claims_about_ketamine_in_general_make_no_condition_public(client, draft_only):
    ClaimFactory(text="Ketamine raises blood pressure", slug="blood-pressure", applies_generally=True)
    assert client.get("/conditions/tinnitus/").status_code == 404
    assert client.get("/api/conditions/tinnitus").status_code == 404


def test_a_condition_is_public_through_a_condition_within_it_or_an_estimate_measured_in_it(client, site_content):
    ClaimFactory(text="Ketamine raises blood pressure", slug="blood-pressure", applies_generally=True)
    anxiety = ConditionFactory(name="Anxiety", slug="anxiety")
    social = ConditionFactory(name="Social anxiety", slug="social-anxiety", parent=anxiety)
    ocd = ConditionFactory(name="OCD", slug="ocd")
    for slug in ("anxiety", "social-anxiety", "ocd"):
        assert client.get(f"/conditions/{slug}/").status_code == 404
    ClaimFactory().conditions.add(social)  # a published claim about the condition within it
    claim, study = ClaimFactory(), StudyFactory()
    EvidenceFactory(claim=claim, study=study)
    EffectEstimateFactory(claim=claim, study=study, condition=ocd)  # measured in OCD; the claim is not about it
    for slug in ("anxiety", "social-anxiety", "ocd"):
        assert client.get(f"/conditions/{slug}/").status_code == 200, slug
        assert client.get(f"/api/conditions/{slug}").status_code == 200, slug
    # The parent links only the public conditions within it.
    ConditionFactory(name="Panic", slug="panic", parent=anxiety)
    html = client.get("/conditions/anxiety/").content.decode()
    assert "/conditions/social-anxiety/" in html and "/conditions/panic/" not in html
