"""Anonymous public pages are cached, every edit invalidates them, and editors never see stale pages."""

from __future__ import annotations

import pytest
from django.urls import reverse

from claims import services
from tests.factories import AssertionFactory

pytestmark = pytest.mark.django_db


def test_an_anonymous_repeat_visit_is_served_from_the_cache_without_queries(
    client, site_content, django_assert_num_queries
):
    first = client.get("/conditions/ptsd/")
    assert first["X-Page-Cache"] == "miss"
    with django_assert_num_queries(0):
        second = client.get("/conditions/ptsd/")
    assert second["X-Page-Cache"] == "hit"
    assert second.content == first.content


def test_query_strings_are_cached_separately(client, site_content):
    client.get("/conditions/ptsd/")
    filtered = client.get("/conditions/ptsd/?grade=very_low")
    assert filtered["X-Page-Cache"] == "miss"
    assert b"Ketamine reduces PTSD symptoms</a>" not in filtered.content.split(b'id="disagree-title"')[0]


def test_editing_a_claim_invalidates_the_cached_pages(client, site_content):
    claim = site_content["helps"]
    assert b"Low certainty" in client.get(claim.get_absolute_url()).content
    claim.grade = "moderate"
    claim.save()
    response = client.get(claim.get_absolute_url())
    assert response["X-Page-Cache"] == "miss"
    assert b"Moderate certainty" in response.content


def test_publishing_through_the_workflow_invalidates_the_cached_pages(client, users, site_content):
    draft = site_content["draft"]
    assert b"cures PTSD permanently" not in client.get("/conditions/ptsd/").content
    draft.grade = "very_low"
    draft.status = "in_review"
    draft.save()
    services.publish(draft, users["reviewer"])
    assert b"cures PTSD permanently" in client.get("/conditions/ptsd/").content


def test_a_new_effect_estimate_and_a_published_bottom_line_invalidate_the_condition_page(client, users, site_content):
    from claims.models import EffectEstimate

    ptsd, helps = site_content["ptsd"], site_content["helps"]
    assert b"Summary of findings" in client.get("/conditions/ptsd/").content
    EffectEstimate.objects.create(
        study=site_content["rct"], claim=helps, condition=ptsd, outcome="PTSD severity (IES-R)",
        measure="mean_difference", value=12.7, excerpt="IES-R was 12.7 points lower.", excerpt_url="https://x.org/a",
    )  # fmt: skip
    response = client.get("/conditions/ptsd/")
    assert response["X-Page-Cache"] == "miss" and b"PTSD severity (IES-R)" in response.content
    services.save_bottom_line(ptsd, users["editor"], "Small trials only.")
    ptsd.save()
    services.submit_bottom_line(ptsd, users["editor"])
    assert b"Small trials only." not in client.get("/conditions/ptsd/").content  # a draft stays private
    services.publish_bottom_line(ptsd, users["reviewer"])
    assert b"Small trials only." in client.get("/conditions/ptsd/").content


def test_a_new_assertion_invalidates_the_source_page(client, site_content):
    source = site_content["review"]
    assert b"Side effects are common.</mark>" in client.get(source.get_absolute_url()).content
    AssertionFactory(claim=site_content["helps"], source=source, quote="Evidence that ketamine helps PTSD")
    assert client.get(source.get_absolute_url())["X-Page-Cache"] == "miss"


def test_signed_in_editors_bypass_the_cache(client, users, site_content):
    client.get("/conditions/ptsd/")
    client.force_login(users["editor"])
    response = client.get("/conditions/ptsd/")
    assert "X-Page-Cache" not in response


def test_not_found_pages_and_the_admin_are_never_cached(client, users, site_content):
    assert client.get("/claims/ketamine-cures-ptsd/").status_code == 404
    site_content["draft"].status = "published"
    site_content["draft"].save()
    assert client.get("/claims/ketamine-cures-ptsd/").status_code == 200
    client.force_login(users["editor"])
    assert "X-Page-Cache" not in client.get(reverse("admin:claims_claim_changelist"))
