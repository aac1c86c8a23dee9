"""The read-only JSON API under /api/: published content only, filters, pages, errors, ETags, CORS, query counts."""

from __future__ import annotations

import pytest

from claims.models import Assertion, Claim, ClaimChange
from tests.factories import (
    AssertionFactory,
    ClaimFactory,
    ConditionFactory,
    EffectEstimateFactory,
    EvidenceFactory,
    SourceFactory,
    StudyFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def drafts(site_content):
    """Things linked only to drafts: a source stating only the draft claim, a study and a condition used only by it,
    and an estimate of it."""
    draft = site_content["draft"]
    hidden_source = SourceFactory(title="Draft-only article", slug="draft-only-article")
    AssertionFactory(claim=draft, source=hidden_source)
    hidden_study = StudyFactory(label="Hidden et al. 2024", slug="hidden-et-al-2024", title="A study only drafts use")
    EvidenceFactory(claim=draft, study=hidden_study)
    hidden_condition = ConditionFactory(name="Tinnitus", slug="tinnitus")
    draft.conditions.add(hidden_condition)
    draft.tags.add("draft-only")
    EffectEstimateFactory(claim=draft, study=hidden_study, condition=site_content["ptsd"], outcome="Cure rate")
    return {"source": hidden_source, "study": hidden_study, "condition": hidden_condition}


def _slugs(response) -> list[str]:
    return [item["slug"] for item in response.json()["results"]]


# --- claims -------------------------------------------------------------------------------------------------------


def test_claims_list_serves_published_claims_with_their_evidence_in_seven_queries(
    client, site_content, django_assert_num_queries
):
    EffectEstimateFactory(claim=site_content["helps"], study=site_content["rct"], condition=site_content["ptsd"])
    # count, page of claims, conditions, tags, evidence + studies, estimates + studies + conditions, conflicts
    with django_assert_num_queries(7):
        response = client.get("/api/claims")
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 3 and body["pages"] == 1
    helps = next(c for c in body["results"] if c["slug"] == "ketamine-reduces-ptsd-symptoms")
    assert helps["certainty"] == "low" and helps["certainty_level"] == 2 and helps["verdict"] == "supported"
    assert helps["conditions"] == [{"slug": "ptsd", "name": "PTSD", "url": "http://testserver/conditions/ptsd/"}]
    assert helps["tags"] == ["infusion", "ptsd"]
    assert helps["evidence"][0]["study"]["slug"] == "feder-et-al-2014"
    assert helps["evidence"][0]["direction"] == "supports"
    assert helps["estimates"][0]["value"] == 3.5 and helps["estimates"][0]["condition"] == "ptsd"
    assert helps["stance_counts"] == {"supports": 1, "contradicts": 0, "qualifies": 1, "sources": 2}
    assert helps["judgments"]["risk_of_bias"] == "none"
    low_risk = next(c for c in body["results"] if c["slug"] == "ketamine-low-risk-side-effects")
    assert low_risk["conflicts_with"] == ["side-effects-common"]


def test_claims_list_query_count_does_not_grow_with_the_page(client, site_content, django_assert_num_queries):
    for _ in range(5):
        claim = ClaimFactory()
        claim.conditions.add(site_content["ptsd"])
        claim.tags.add("extra")
        EvidenceFactory(claim=claim)
    with django_assert_num_queries(7):  # the same seven queries for eight claims as for three
        assert client.get("/api/claims").json()["count"] == 8


def test_no_draft_claim_reaches_the_api(client, site_content, drafts):
    everything = b"".join(
        client.get(url).content
        for url in (
            "/api/claims?per_page=100",
            "/api/conditions",
            "/api/conditions/ptsd",
            "/api/sources",
            "/api/studies",
            "/api/claims/ketamine-reduces-ptsd-symptoms/assertions",
        )
    )
    assert b"ketamine-cures-ptsd" not in everything
    assert b"Ketamine cures PTSD permanently" not in everything
    assert b"Cure rate" not in everything  # the draft's estimate is no row of the Summary of Findings
    assert client.get("/api/claims/ketamine-cures-ptsd").status_code == 404
    assert client.get("/api/claims/ketamine-cures-ptsd/assertions").status_code == 404
    site_content["draft"].status = Claim.Status.IN_REVIEW
    site_content["draft"].save()
    assert client.get("/api/claims/ketamine-cures-ptsd").status_code == 404


def test_sources_studies_and_conditions_used_only_by_drafts_are_not_served(client, site_content, drafts):
    assert "draft-only-article" not in _slugs(client.get("/api/sources"))
    assert client.get("/api/sources/draft-only-article").status_code == 404
    assert "hidden-et-al-2024" not in _slugs(client.get("/api/studies"))
    assert client.get("/api/studies/hidden-et-al-2024").status_code == 404
    assert "tinnitus" not in _slugs(client.get("/api/conditions"))
    assert client.get("/api/conditions/tinnitus").status_code == 404
    # Published, they are served.
    draft = site_content["draft"]
    draft.status = Claim.Status.PUBLISHED
    draft.save()
    assert client.get("/api/sources/draft-only-article").status_code == 200
    assert client.get("/api/studies/hidden-et-al-2024").status_code == 200
    assert client.get("/api/conditions/tinnitus").status_code == 200


def test_signed_in_reviewers_see_only_published_content_through_the_api(client, site_content, users):
    client.force_login(users["reviewer"])
    assert "ketamine-cures-ptsd" not in _slugs(client.get("/api/claims"))
    assert client.get("/api/claims/ketamine-cures-ptsd").status_code == 404


def test_claim_detail_and_its_assertions(client, site_content, django_assert_num_queries):
    with django_assert_num_queries(6):  # claim, conditions, tags, evidence + studies, estimates, conflicts
        claim = client.get("/api/claims/ketamine-reduces-ptsd-symptoms").json()
    assert claim["text"] == "Ketamine reduces PTSD symptoms"
    assert claim["rationale"] == "Two **small** crossover trials."
    assert claim["assertions_url"] == "http://testserver/api/claims/ketamine-reduces-ptsd-symptoms/assertions"
    with django_assert_num_queries(3):  # claim, count, page of assertions with sources and cited studies
        assertions = client.get(claim["assertions_url"]).json()
    assert assertions["count"] == 2
    by_source = {a["source"]["slug"]: a for a in assertions["results"]}
    cited = by_source["clinic-page"]
    assert cited["quote"] == "Ketamine helps PTSD within hours." and cited["offset"] == 0
    assert cited["stance"] == "supports" and cited["cited_study"]["slug"] == "feder-et-al-2014"
    assert cited["citation_fidelity"] == "overstated" and cited["fidelity_note"] == "The trial measured 24 hours."
    assert by_source["harm-reduction-guide"]["stance"] == "qualifies"


# --- filters ----------------------------------------------------------------------------------------------------


def test_claims_filter_by_category_grade_verdict_and_tag(client, site_content):
    assert _slugs(client.get("/api/claims?category=safety")) == ["ketamine-low-risk-side-effects"]
    assert _slugs(client.get("/api/claims?grade=very_low")) == ["ketamine-low-risk-side-effects"]
    assert _slugs(client.get("/api/claims?verdict=supported")) == ["ketamine-reduces-ptsd-symptoms"]
    assert _slugs(client.get("/api/claims?tag=infusion")) == ["ketamine-reduces-ptsd-symptoms"]
    assert _slugs(client.get("/api/claims?tag=ptsd&grade=high")) == []


def test_condition_filter_gives_the_claims_its_page_lists(client, site_content):
    general = ClaimFactory(slug="dissociation-common", category="side_effect", applies_generally=True)
    other = ClaimFactory(slug="about-ocd")
    other.conditions.add(ConditionFactory(name="OCD", slug="ocd"))
    child = ConditionFactory(name="Combat PTSD", slug="combat-ptsd", parent=site_content["ptsd"])
    within = ClaimFactory(slug="about-combat-ptsd")
    within.conditions.add(child)
    slugs = _slugs(client.get("/api/claims?condition=ptsd"))
    assert set(slugs) == {
        "ketamine-reduces-ptsd-symptoms", "ketamine-low-risk-side-effects", "side-effects-common",
        general.slug, within.slug,
    }  # fmt: skip
    assert "about-ocd" not in slugs


def test_updated_since_gives_claims_changed_at_or_after_it(client, site_content):
    Claim.objects.update(updated_at="2024-01-01T00:00:00Z")
    Assertion.objects.update(updated_at="2024-01-01T00:00:00Z")
    helps = site_content["helps"]
    Claim.objects.filter(pk=helps.pk).update(updated_at="2025-03-01T12:00:00Z")
    assert _slugs(client.get("/api/claims?updated_since=2025-03-01")) == [helps.slug]
    assert _slugs(client.get("/api/claims?updated_since=2025-03-01T12:00:01Z")) == []
    # A statement added to a claim counts as a change of it.
    AssertionFactory(claim=site_content["common"], source=site_content["clinic"], quote="Ketamine helps PTSD")
    assert site_content["common"].slug in _slugs(client.get("/api/claims?updated_since=2025-03-02"))


@pytest.mark.parametrize(
    ("query", "parameter", "allowed"),
    [
        ("grade=medium", "grade", ["high", "moderate", "low", "very_low", "not_graded"]),
        ("verdict=true", "verdict", ["supported", "partly_supported", "insufficient_evidence", "contradicted",
                                     "not_assessed"]),
        ("category=cure", "category", None),
        ("condition=nope", "condition", ["ptsd"]),
        ("tag=never-used", "tag", ["infusion", "ptsd"]),
    ],
)  # fmt: skip
def test_unknown_filter_values_are_400_with_the_allowed_values(client, site_content, query, parameter, allowed):
    response = client.get(f"/api/claims?{query}")
    assert response.status_code == 400
    body = response.json()
    assert parameter in body["detail"] or parameter in str(body.get("errors"))
    if allowed is not None:
        assert body["allowed"][parameter] == allowed
    else:
        assert "efficacy" in body["allowed"][parameter]


def test_drafts_never_show_among_the_allowed_values(client, site_content, drafts):
    assert "tinnitus" not in client.get("/api/claims?condition=nope").json()["allowed"]["condition"]
    response = client.get("/api/claims?tag=draft-only")  # only a draft carries it
    assert response.status_code == 400
    assert "draft-only" not in response.json()["allowed"]["tag"]


@pytest.mark.parametrize("query", ["page=0", "page=x", "per_page=0", "per_page=1000", "updated_since=yesterday"])
def test_malformed_parameters_are_400_in_the_api_error_shape(client, site_content, query):
    response = client.get(f"/api/claims?{query}")
    assert response.status_code == 400
    assert response.json()["errors"][0]["parameter"] == query.split("=")[0]


# --- pages ------------------------------------------------------------------------------------------------------


def test_pages_are_stable_and_link_to_each_other(client, site_content):
    first = client.get("/api/claims?per_page=2&grade=low").json()
    assert first["count"] == 2  # "helps" and "common" (the factory's default grade)
    first = client.get("/api/claims?per_page=2").json()
    assert first["pages"] == 2 and first["links"]["previous"] is None
    assert first["links"]["next"] == "http://testserver/api/claims?per_page=2&page=2"
    second = client.get(first["links"]["next"]).json()
    assert second["links"]["next"] is None
    assert second["links"]["previous"] == "http://testserver/api/claims?per_page=2&page=1"
    slugs = [c["slug"] for c in first["results"] + second["results"]]
    assert slugs == list(Claim.objects.published().order_by("pk").values_list("slug", flat=True))


def test_a_page_past_the_end_is_empty_with_links_back(client, site_content, django_assert_num_queries):
    with django_assert_num_queries(1):  # the count only: no page to read
        response = client.get("/api/claims?page=9&grade=low")
    assert response.status_code == 200
    body = response.json()
    assert body["results"] == [] and body["page"] == 9 and body["pages"] == 1
    assert body["links"]["previous"] == body["links"]["last"] == "http://testserver/api/claims?page=1&grade=low"
    assert body["links"]["first"] == "http://testserver/api/claims?page=1&grade=low"
    assert body["links"]["next"] is None


def test_an_empty_knowledge_base_answers_empty_lists(client, db):
    for url in ("/api/claims", "/api/conditions", "/api/sources", "/api/studies"):
        body = client.get(url).json()
        assert body["count"] == 0 and body["results"] == [] and body["pages"] == 1, url


# --- conditions, sources, studies -------------------------------------------------------------------------------


def test_condition_detail_has_the_published_bottom_line_and_the_summary_of_findings(
    client, site_content, drafts, django_assert_num_queries
):
    ptsd = site_content["ptsd"]
    ptsd.bottom_line = "Ketamine **may** reduce PTSD symptoms briefly."
    ptsd.bottom_line_draft = "UNPUBLISHED DRAFT: ketamine cures PTSD."
    ptsd.save()
    EffectEstimateFactory(claim=site_content["helps"], study=site_content["rct"], condition=ptsd)
    with django_assert_num_queries(2):  # conditions, estimates of published claims with studies and claims
        response = client.get("/api/conditions/ptsd")
    body = response.json()
    assert body["bottom_line"] == "Ketamine **may** reduce PTSD symptoms briefly."
    assert b"UNPUBLISHED DRAFT" not in response.content
    assert b"UNPUBLISHED DRAFT" not in client.get("/api/conditions").content
    [row] = body["findings"]
    assert row["outcome"] == "Response" and row["measure"] == "odds_ratio" and row["value"] == 3.5
    assert row["effect"] == "3.5 (95 % CI 2.1 to 5.8)"
    assert row["claim"] == "ketamine-reduces-ptsd-symptoms" and row["certainty"] == "low"
    assert row["study"]["slug"] == "feder-et-al-2014"
    assert body["csv_url"] == "http://testserver/conditions/ptsd/claims.csv"


def test_condition_list_shows_the_hierarchy_in_one_query(client, site_content, django_assert_num_queries):
    child = ConditionFactory(name="Combat PTSD", slug="combat-ptsd", parent=site_content["ptsd"])
    ClaimFactory().conditions.add(child)
    ConditionFactory(name="Unused", slug="unused")  # no published claim: not served
    with django_assert_num_queries(1):
        body = client.get("/api/conditions").json()
    by_slug = {c["slug"]: c for c in body["results"]}
    assert set(by_slug) == {"ptsd", "combat-ptsd"}
    assert by_slug["ptsd"]["children"] == ["combat-ptsd"] and by_slug["combat-ptsd"]["parent"] == "ptsd"


def test_a_parent_condition_is_public_through_the_conditions_within_it(client, site_content):
    depression = ConditionFactory(name="Depression", slug="depression")
    trd = ConditionFactory(name="Treatment-resistant depression", slug="trd", parent=depression)
    ClaimFactory(slug="trd-claim").conditions.add(trd)
    assert client.get("/api/conditions/depression").json()["children"] == ["trd"]
    assert _slugs(client.get("/api/claims?condition=depression")) == ["trd-claim"]


def test_sources_and_studies_lists_and_details(client, site_content, django_assert_num_queries):
    with django_assert_num_queries(2):  # count, page
        sources = client.get("/api/sources").json()
    assert _slugs_of(sources) == ["clinic-page", "harm-reduction-guide"]
    assert "text" not in sources["results"][0]
    with django_assert_num_queries(1):
        clinic = client.get("/api/sources/clinic-page").json()
    assert clinic["commercial_interest"] is True and clinic["text"].startswith("Ketamine helps PTSD")
    with django_assert_num_queries(2):  # count, page
        studies = client.get("/api/studies").json()
    assert _slugs_of(studies) == ["feder-et-al-2014"]
    with django_assert_num_queries(1):
        study = client.get("/api/studies/feder-et-al-2014").json()
    assert study["doi"] == "10.1001/jamapsychiatry.2014.62" and study["pmid"] == 24740528
    assert study["cite"]["ris"] == "http://testserver/studies/feder-et-al-2014/cite.ris"


def _slugs_of(body: dict) -> list[str]:
    return [item["slug"] for item in body["results"]]


@pytest.mark.parametrize("kind", ["claims", "conditions", "sources", "studies"])
def test_unknown_slugs_are_404_in_the_api_error_shape(client, site_content, kind):
    response = client.get(f"/api/{kind}/no-such-thing")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json")
    assert "no-such-thing" in response.json()["detail"]


def test_unknown_api_paths_are_404_json(client, db):
    response = client.get("/api/nothing-here")
    assert response.status_code == 404 and response.json()["detail"].startswith("No such API endpoint")


# --- read-only, ETag, CORS, documentation -------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_the_api_refuses_writes_even_from_a_superuser(client, site_content, users, method):
    client.force_login(users["admin"])
    for url in ("/api/claims", "/api/claims/ketamine-reduces-ptsd-symptoms"):
        response = getattr(client, method)(url, data={}, content_type="application/json")
        assert response.status_code == 405
        assert response["Allow"] == "GET"
        assert response.json()["detail"] == "The API is read-only: use GET."
    assert Claim.objects.count() == 4


def test_etag_answers_304_without_a_query_until_the_content_changes(client, site_content, django_assert_num_queries):
    response = client.get("/api/claims")
    etag = response["ETag"]
    assert etag and "no-cache" in response["Cache-Control"]
    with django_assert_num_queries(0):
        again = client.get("/api/claims", HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 304 and again.content == b""
    assert client.get("/api/claims?page=1", HTTP_IF_NONE_MATCH=etag).status_code == 200  # another URL
    ClaimChange.objects.create(claim=site_content["helps"], field="grade", before="low", after="moderate", public=True)
    changed = client.get("/api/claims", HTTP_IF_NONE_MATCH=etag)
    assert changed.status_code == 200 and changed["ETag"] != etag


def test_cors_lets_any_page_read_the_api_with_get_only(client, site_content):
    response = client.get("/api/claims", HTTP_ORIGIN="https://tool.example")
    assert response["Access-Control-Allow-Origin"] == "*"
    assert "ETag" in response["Access-Control-Expose-Headers"]
    preflight = client.options(
        "/api/claims", HTTP_ORIGIN="https://tool.example", HTTP_ACCESS_CONTROL_REQUEST_METHOD="GET",
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS="if-none-match",
    )  # fmt: skip
    assert preflight["Access-Control-Allow-Methods"] == "GET, OPTIONS"
    assert "if-none-match" in preflight["Access-Control-Allow-Headers"]
    page = client.get("/claims/ketamine-reduces-ptsd-symptoms/", HTTP_ORIGIN="https://tool.example")
    assert "Access-Control-Allow-Origin" not in page  # only the API is shared across origins


def test_openapi_schema_and_docs_are_served_without_a_cdn(client, db):
    schema = client.get("/api/openapi.json").json()
    assert {"/api/claims", "/api/claims/{slug}/assertions", "/api/conditions/{slug}", "/api/studies"} <= set(
        schema["paths"]
    )
    grade = next(p for p in schema["paths"]["/api/claims"]["get"]["parameters"] if p["name"] == "grade")
    assert "very_low" in str(grade["schema"])
    assert "400" in schema["paths"]["/api/claims"]["get"]["responses"]
    docs = client.get("/api/docs").content.decode()
    assert "/static/ninja/swagger-ui-bundle.js" in docs
    assert "cdn." not in docs and "unpkg" not in docs
