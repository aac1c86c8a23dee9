"""Every public page through the Django test client: content, status codes, drafts hidden, query counts."""

from __future__ import annotations

import json
import re

import pytest
from django.urls import reverse

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


def _jsonld(response) -> dict:
    match = re.search(rb'<script type="application/ld\+json">(.*?)</script>', response.content, re.S)
    assert match, "no JSON-LD on the page"
    return json.loads(match.group(1))


def _key_study(html: str, claim_text: str) -> str:
    row = html.split(claim_text, 1)[1].split("</li>", 1)[0]
    return re.sub(r"<[^>]+>", "", row.split('<span class="key-study">', 1)[1]).strip()


# --- home -------------------------------------------------------------------------------------------------


def test_home_lists_conditions_with_published_claim_counts_and_disputed_claims(client, site_content):
    response = client.get("/")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'href="/conditions/ptsd/"' in html
    assert "3 published claims" in html  # the draft claim is not counted
    assert "Ketamine has a low risk of side effects" in html  # disputed: asserted and contradicted
    assert 'action="/search/"' in html


def test_home_has_empty_states_for_an_empty_knowledge_base(client, db):
    html = client.get("/").content.decode()
    assert "No conditions have been added yet." in html
    assert "No published claim is disputed" in html


def test_home_query_count_is_fixed(client, site_content, django_assert_num_queries):
    with django_assert_num_queries(3):  # conditions + stored counts, stored grade counts, disputed claims
        client.get("/")


# --- conditions list ----------------------------------------------------------------------------------------


def test_conditions_list_shows_each_condition_with_its_published_claims_most_first(
    client, site_content, django_assert_num_queries
):
    # OCD has no claim of its own but is public: an estimate of a published claim was measured in it.
    ocd = ConditionFactory(name="OCD", slug="ocd", aliases=["obsessive-compulsive disorder"])
    EffectEstimateFactory(claim=site_content["helps"], study=site_content["rct"], condition=ocd)
    with django_assert_num_queries(1):  # the same one query with conditions as without (no query per row)
        html = client.get(reverse("claims:condition_list")).content.decode()
    assert '<a href="/conditions/ptsd/">PTSD</a>' in html
    assert "3 published claims" in html  # the draft claim is not counted
    assert "(obsessive-compulsive disorder)</span> — no published claims yet" in html
    assert html.index("/conditions/ptsd/") < html.index("/conditions/ocd/")


def test_conditions_list_has_an_empty_state_and_one_query(client, db, django_assert_num_queries):
    with django_assert_num_queries(1):  # conditions with their published claim counts
        html = client.get(reverse("claims:condition_list")).content.decode()
    assert "No conditions have been added yet." in html


def test_condition_pages_link_back_to_the_conditions_list(client, site_content):
    html = client.get("/conditions/ptsd/").content.decode()
    assert '<a href="/conditions/">Conditions</a> › PTSD</nav>' in html
    assert '<li><a href="/conditions/">Conditions</a></li>' in html  # main navigation


def test_condition_names_do_not_repeat_an_alias_the_name_already_shows(client, db):
    depression = ConditionFactory(
        name="Depression (major depressive disorder)", slug="depression", aliases=["Major depressive disorder", "MDD"]
    )
    ClaimFactory().conditions.add(depression)  # a condition is public once a published claim is about it
    listing = client.get(reverse("claims:condition_list")).content.decode()
    assert 'Depression (major depressive disorder)</a> <span class="muted">(MDD)</span>' in listing
    page = client.get("/conditions/depression/").content.decode()
    assert "Also called: MDD</p>" in page
    ClaimFactory().conditions.add(ConditionFactory(name="PTSD", slug="ptsd", aliases=["ptsd"]))
    assert "Also called" not in client.get("/conditions/ptsd/").content.decode()


@pytest.mark.parametrize("url", ["/", "/search/?q=ketamine"])
def test_each_search_landmark_has_its_own_label(client, db, url):
    html = client.get(url).content.decode()
    forms = re.findall(r'<form[^>]*role="search"[^>]*>', html)
    labels = [re.search(r'aria-label="([^"]+)"', form) for form in forms]
    assert len(forms) == 2 and all(labels) and len({label.group(1) for label in labels}) == 2


# --- condition page -----------------------------------------------------------------------------------------


def test_condition_page_groups_published_claims_by_category_with_grades_and_counts(client, site_content):
    response = client.get("/conditions/ptsd/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "<h1>Ketamine for PTSD</h1>" in html
    # Organised by clinical question, with what the evidence contradicts apart.
    assert html.index('id="q-works"') < html.index('id="q-timing"') < html.index('id="q-risks"')
    works = html.split('id="q-works"')[1].split("</section>")[0]
    wrong = html.split('id="q-wrong"')[1].split("</section>")[0]
    assert "Ketamine reduces PTSD symptoms" in works and "✓</span> Supported" in works
    assert "Ketamine has a low risk of side effects" in wrong and "Ketamine has a low risk" not in works
    assert "Ketamine reduces PTSD symptoms" in html
    assert "⊕⊕◯◯</span> Low certainty" in html  # grade as symbol and text, not colour alone
    assert "2 sources · 2 statements: 1 supports, 0 contradict, 1 qualifies" in html
    assert _key_study(html, "Ketamine reduces PTSD symptoms") == (
        "Key study (supports): Feder et al. 2014 (Randomised controlled trial)"
    )
    assert "Ketamine cures PTSD permanently" not in html  # draft


def test_condition_page_shows_where_sources_disagree_and_conflicting_claims(client, site_content):
    html = client.get("/conditions/ptsd/").content.decode()
    section = html.split('id="disagree-title"')[1]
    assert "Ketamine has a low risk of side effects" in section
    assert "<strong>versus</strong>" in section and "Side effects of ketamine are common" in section


def test_condition_page_filters_by_grade_and_category(client, site_content):
    html = client.get("/conditions/ptsd/?grade=very_low").content.decode()
    claims_section = html.split('id="claims-title"')[1].split('id="disagree-title"')[0]
    assert "Ketamine has a low risk of side effects" in claims_section
    assert "Ketamine reduces PTSD symptoms" not in claims_section
    html = client.get("/conditions/ptsd/?category=efficacy").content.decode()
    claims_section = html.split('id="claims-title"')[1].split('id="disagree-title"')[0]
    assert "Ketamine reduces PTSD symptoms" in claims_section
    assert "low risk of side effects" not in claims_section


def test_condition_page_says_when_no_claim_matches_the_filters(client, site_content):
    html = client.get("/conditions/ptsd/?grade=high").content.decode()
    assert "No published claim about PTSD matches these filters." in html


def test_condition_page_explains_an_unknown_filter_value_and_shows_everything(client, site_content):
    html = client.get("/conditions/ptsd/?grade=excellent").content.decode()
    assert "Some filters were not understood" in html
    assert "Ketamine reduces PTSD symptoms" in html


def test_condition_page_draws_an_accessible_grade_chart(client, site_content):
    html = client.get("/conditions/ptsd/").content.decode()
    assert '<svg role="img" aria-labelledby="condition-chart-title condition-chart-desc"' in html
    assert "3 claims — High: 0, Moderate: 0, Low: 2, Very low: 1, Not yet graded: 0" in html


def test_condition_page_for_an_unknown_slug_is_404(client, db):
    assert client.get("/conditions/nope/").status_code == 404


def test_condition_without_published_claims_has_an_empty_state(client, db):
    # Public through an estimate measured in it (claims.public), though no published claim is about it.
    ocd = ConditionFactory(name="OCD", slug="ocd")
    claim, study = ClaimFactory(), StudyFactory()
    EvidenceFactory(claim=claim, study=study)
    EffectEstimateFactory(claim=claim, study=study, condition=ocd)
    html = client.get("/conditions/ocd/").content.decode()
    assert "No published claims about OCD yet." in html
    assert "The sources do not disagree" in html


def test_condition_page_paginates_long_lists(client, db):
    condition = ConditionFactory(slug="depression", name="Depression")
    source = SourceFactory()
    for n in range(55):
        claim = ClaimFactory(text=f"Claim {n:02d} about depression", slug=f"dep-{n}")
        claim.conditions.add(condition)
        AssertionFactory(claim=claim, source=source)
    first = client.get("/conditions/depression/").content.decode()
    # The question shows its first 25 claims and links to all of them, paged.
    assert "Claim 24 about depression" in first and "Claim 25 about depression" not in first
    assert '<a href="?question=works">Show all 55 claims in “Does it work?”</a>' in first
    all_of_them = client.get("/conditions/depression/?question=works").content.decode()
    assert "55 published claims match." in all_of_them
    assert "Page 1 of 2" in all_of_them and "Claim 49 about depression" in all_of_them and "Claim 50" not in all_of_them
    second = client.get("/conditions/depression/?question=works&page=2").content.decode()
    assert "Claim 54 about depression" in second


def test_a_condition_page_links_its_parent_its_children_and_related_conditions(client, site_content):
    ptsd = site_content["ptsd"]
    anxiety = ConditionFactory(name="Anxiety and trauma", slug="anxiety")
    combat = ConditionFactory(name="Combat PTSD", slug="combat-ptsd", parent=ptsd)
    ptsd.parent = anxiety
    ptsd.save()
    depression = ConditionFactory(name="Depression", slug="depression")
    ptsd.related.add(depression)
    for condition in (combat, depression):  # public: a published claim is about each
        ClaimFactory().conditions.add(condition)
    html = client.get("/conditions/ptsd/").content.decode()
    line = html.split('class="hierarchy"')[1].split("</p>")[0]
    assert 'Part of <a href="/conditions/anxiety/">Anxiety and trauma</a>' in line
    assert '<a href="/conditions/combat-ptsd/">Combat PTSD</a>' in line
    assert 'See also <a href="/conditions/depression/">Depression</a>' in line
    # Related is symmetrical; the child page names its parent in the breadcrumb too.
    assert 'See also <a href="/conditions/ptsd/">PTSD</a>' in client.get("/conditions/depression/").content.decode()
    child = client.get(combat.get_absolute_url()).content.decode()
    assert '› <a href="/conditions/ptsd/">PTSD</a> › Combat PTSD' in child


def test_claims_no_source_states_are_shown_as_what_the_articles_leave_out(client, site_content):
    silent = ClaimFactory(
        text="Frequent ketamine use can damage the bladder", slug="bladder", category="safety",
        applies_generally=True, verdict="supported",
    )  # fmt: skip
    html = client.get("/conditions/ptsd/").content.decode()
    left_out = html.split('id="q-left_out"')[1].split("</section>")[0]
    assert "Frequent ketamine use can damage the bladder" in left_out
    assert "No source article states this" in left_out and "About ketamine in general" in left_out
    assert silent.text not in html.split('id="q-risks"')[1].split("</section>")[0]
    assert html.index('id="q-risks"') < html.index('id="q-left_out"') < html.index('id="q-given"')


def test_claim_rows_escape_markup_and_say_when_a_claim_has_no_study_or_grade(client, db):
    condition = ConditionFactory(slug="ocd", name="OCD")
    claim = ClaimFactory(text="Ketamine <b>cures</b> OCD & more", slug="ocd-claim", grade="not_graded")
    claim.conditions.add(condition)
    AssertionFactory(claim=claim, quote="Ketamine cures OCD.")
    html = client.get("/conditions/ocd/").content.decode()
    assert 'href="/claims/ocd-claim/">Ketamine &lt;b&gt;cures&lt;/b&gt; OCD &amp; more</a>' in html
    assert "<b>cures</b>" not in html
    assert "⊕⊕◯◯" not in html and "Not yet graded</span>" in html  # no "certainty" after "Not yet graded"
    assert "1 source · 1 statement: 1 supports, 0 contradict, 0 qualify" in html
    assert "No study in its evidence base" in html


def test_a_claim_rows_key_study_is_the_strongest_one_and_says_which_way_it_points(client, db):
    condition = ConditionFactory(slug="ocd", name="OCD")
    claim = ClaimFactory(text="Ketamine helps OCD", slug="ocd-claim")
    claim.conditions.add(condition)
    claim.tags.add("ocd")
    meta = StudyFactory(label="Meta et al. 2020", slug="meta", design="meta_analysis_rct", year=2020)
    EvidenceFactory(claim=claim, study=meta, direction="contradicts")  # strongest design, against the claim
    for label, year, design in [("Old et al. 2010", 2010, "rct"), ("New et al. 2015", 2015, "rct"),
                                ("Cohort et al. 2022", 2022, "cohort")]:  # fmt: skip
        EvidenceFactory(claim=claim, study=StudyFactory(label=label, slug=label.split()[0].lower(), year=year,
                                                        design=design), direction="supports")  # fmt: skip
    for url in ("/conditions/ocd/", "/tags/ocd/"):
        html = client.get(url).content.decode()
        assert _key_study(html, "Ketamine helps OCD") == (
            "Key study (contradicts): Meta et al. 2020 (Meta-analysis of RCTs)"
        ), url
    html = client.get("/conditions/ocd/").content.decode()
    assert '<span class="direction direction-contradicts">contradicts</span>' in html


def test_a_claim_rows_key_study_of_equal_design_is_the_newest_then_the_supporting_one(client, db):
    condition = ConditionFactory(slug="ocd", name="OCD")
    claim = ClaimFactory(text="Ketamine helps OCD", slug="ocd-claim")
    claim.conditions.add(condition)
    for label, year, direction in [("Old et al. 2010", 2010, "supports"), ("Against et al. 2015", 2015,
                                   "inconclusive"), ("For et al. 2015", 2015, "supports")]:  # fmt: skip
        EvidenceFactory(claim=claim, study=StudyFactory(label=label, slug=label.split()[0].lower(), year=year),
                        direction=direction)  # fmt: skip
    html = client.get("/conditions/ocd/").content.decode()
    assert _key_study(html, "Ketamine helps OCD") == (
        "Key study (supports): For et al. 2015 (Randomised controlled trial)"
    )
    EvidenceFactory(claim=claim, study=StudyFactory(label="Later et al. 2016", slug="later", year=2016),
                    direction="inconclusive")  # fmt: skip
    html = client.get("/conditions/ocd/").content.decode()
    assert _key_study(html, "Ketamine helps OCD") == (
        "Key study (inconclusive): Later et al. 2016 (Randomised controlled trial)"
    )


def test_condition_page_query_count_does_not_grow_with_claims(client, site_content, django_assert_num_queries):
    # all conditions (which are public, the hierarchy: claims.public.PublicConditions; it also gives the condition
    # and its parent, once a query of their own), related conditions, the page's stored figures (claims.figures),
    # the claims shown (the first of each question, read from the page's stored entries), their key studies,
    # Summary of Findings (its stored rows with their estimates, studies and claims), disputed, conflicts
    ptsd = site_content["ptsd"]
    EffectEstimateFactory(claim=site_content["helps"], study=site_content["rct"], condition=ptsd)
    with django_assert_num_queries(8):
        client.get("/conditions/ptsd/")
    child = ConditionFactory(name="Combat PTSD", slug="combat-ptsd", parent=ptsd)
    for n in range(20):
        claim = ClaimFactory(slug=f"extra-{n}", category=["efficacy", "onset", "safety", "mechanism"][n % 4])
        claim.conditions.add(ptsd if n % 2 else child)
        AssertionFactory(claim=claim, source=site_content["clinic"], quote="Ketamine helps PTSD within hours.")
        study = StudyFactory()
        EvidenceFactory(claim=claim, study=study)
        EffectEstimateFactory(claim=claim, study=study, condition=ptsd, outcome=f"Outcome {n}")
    ClaimFactory(slug="general-risk", category="side_effect", applies_generally=True)
    ptsd.related.add(ConditionFactory(), ConditionFactory())
    with django_assert_num_queries(8):
        client.get("/conditions/ptsd/")
    with django_assert_num_queries(8):  # filtered: the page of matching claims instead of each question's first
        client.get("/conditions/ptsd/?verdict=not_assessed&grade=low")


# --- claim page ---------------------------------------------------------------------------------------------


def test_claim_page_shows_every_sources_wording_side_by_side(client, site_content):
    html = client.get("/claims/ketamine-reduces-ptsd-symptoms/").content.decode()
    assert "Ketamine helps PTSD within hours." in html
    assert "Evidence that ketamine helps PTSD is limited to small trials." in html
    assert "Clinic page" in html and "Harm reduction guide" in html
    assert "Commercial interest</strong>: Links to a ketamine clinic." in html
    assert "Commercial clinic page" in html and "Reference / harm-reduction site" in html
    assert 'citation <span class="fidelity fidelity-overstated">overstated</span>: The trial measured 24 hours.' in html
    a1 = site_content["a1"]
    assert f'href="/sources/clinic-page/#q{a1.pk}"' in html


def test_claim_page_counts_sources_per_stance_and_says_when_one_takes_several(client, site_content):
    html = client.get("/claims/ketamine-reduces-ptsd-symptoms/").content.decode()
    assert "2 sources discuss it: 1 supports, 0 contradict, 1 qualifies; 2 statements in all." in html
    claim, review = site_content["helps"], site_content["review"]
    # The guide also supports the claim in a second statement, and a third source contradicts it twice.
    AssertionFactory(claim=claim, source=review, quote="Side effects are common.", offset=62)
    other = SourceFactory(title="Sceptic")
    AssertionFactory(claim=claim, source=other, quote="It does not.", stance="contradicts")
    AssertionFactory(claim=claim, source=other, quote="It really does not.", stance="contradicts")
    html = client.get("/claims/ketamine-reduces-ptsd-symptoms/").content.decode()
    assert (
        "3 sources discuss it: 2 support, 1 contradicts, 1 qualifies (1 of them takes more than one stance in "
        "different statements, and counts under each); 5 statements in all."
    ) in html
    assert "Stated by" not in html


def test_claim_page_shows_grade_judgments_rationale_and_evidence_links(client, site_content):
    html = client.get("/claims/ketamine-reduces-ptsd-symptoms/").content.decode()
    assert "<strong>small</strong>" in html  # Markdown rationale rendered
    assert '<th scope="row">Risk of bias</th>' in html
    assert 'href="https://doi.org/10.1001/jamapsychiatry.2014.62"' in html
    assert 'href="https://pubmed.ncbi.nlm.nih.gov/24740528/"' in html
    assert "n = 41" in html and "Randomised controlled trial" in html
    assert 'href="/tags/infusion/"' in html


def test_claim_page_explains_a_grade_that_differs_from_the_arithmetic(client, site_content):
    claim = site_content["helps"]
    claim.grade_override_reason = "Crossover trials with functional unblinding."
    claim.save()
    html = client.get(claim.get_absolute_url()).content.decode()
    assert "Why the certainty differs from the arithmetic (very low):" in html


def test_claim_page_carries_claimreview_jsonld(client, site_content):
    data = _jsonld(client.get("/claims/ketamine-reduces-ptsd-symptoms/"))
    assert data["@type"] == "ClaimReview"
    assert data["claimReviewed"] == "Ketamine reduces PTSD symptoms"
    assert data["url"] == "http://testserver/claims/ketamine-reduces-ptsd-symptoms/"
    assert data["itemReviewed"]["@type"] == "Claim"
    # The guide only qualifies the claim: it is not where the claim appears.
    assert [a["name"] for a in data["itemReviewed"]["appearance"]] == ["Clinic page"]
    assert data["itemReviewed"]["firstAppearance"]["name"] == "Clinic page"
    rating = data["reviewRating"]
    # The verdict is the rating (5 supported … 1 contradicted); the certainty is named beside it.
    assert (rating["ratingValue"], rating["bestRating"], rating["worstRating"]) == (5, 5, 1)
    assert rating["alternateName"] == "Supported (low certainty)"
    assert rating["ratingExplanation"] == (
        "Two small trials found less PTSD severity a day after an infusion. Two small crossover trials."
    )
    assert data["author"]["@type"] == "Organization"


def test_claimreview_appearances_are_only_the_sources_that_assert_the_claim(client, site_content):
    from datetime import date

    claim, review = site_content["low_risk"], site_content["review"]
    # The guide contradicts the claim and was published first; a later article asserts it, and the clinic page
    # (undated) asserts it too.
    review.published_on = date(2019, 1, 1)
    review.save()
    later = SourceFactory(title="Later article", published_on=date(2022, 5, 1), url="https://example.org/later")
    AssertionFactory(claim=claim, source=later, quote="Ketamine is low risk.")
    data = _jsonld(client.get(claim.get_absolute_url()))
    item = data["itemReviewed"]
    assert {a["name"] for a in item["appearance"]} == {"Clinic page", "Later article"}
    assert item["firstAppearance"] == {"@type": "CreativeWork", "url": "https://example.org/later",
                                       "name": "Later article"}  # fmt: skip
    assert data["reviewRating"]["alternateName"] == "Contradicted (very low certainty)"
    assert data["reviewRating"]["ratingValue"] == 1


def test_a_claim_without_a_verdict_carries_no_claimreview(client, site_content):
    claim = ClaimFactory(text="Ketamine helps tinnitus", slug="tinnitus", grade="low", verdict="not_assessed")
    html = client.get(claim.get_absolute_url()).content.decode()
    assert "application/ld+json" not in html
    assert "–</span> Not assessed yet" in html


def test_claimreview_of_a_claim_no_source_asserts_names_no_appearance(client, site_content):
    claim = ClaimFactory(text="Ketamine is harmless", slug="harmless", grade="moderate", verdict="contradicted")
    AssertionFactory(claim=claim, source=site_content["review"], quote="Side effects are common.",
                     stance="contradicts")  # fmt: skip
    data = _jsonld(client.get(claim.get_absolute_url()))
    assert data["itemReviewed"] == {"@type": "Claim"}
    assert data["reviewRating"]["alternateName"] == "Contradicted (moderate certainty)"


def test_claimreview_cannot_break_out_of_its_script_element(client, site_content):
    claim = site_content["helps"]
    claim.text = "Ketamine </script><script>alert(1)</script>"
    claim.save()
    html = client.get(claim.get_absolute_url()).content.decode()
    script = html.split('<script type="application/ld+json">')[1].split("</script>")[0]
    assert "<" not in script
    assert json.loads(script)["claimReviewed"] == claim.text


def test_claimreview_explanation_carries_ampersands_and_angle_brackets_once_unescaped(client, site_content):
    claim = site_content["helps"]
    claim.summary = ""
    claim.rationale = "Morgan & Curran found that 1 < 2 and 3 > 2 (*Lancet* & co)."
    claim.save()
    html = client.get(claim.get_absolute_url()).content.decode()
    script = html.split('<script type="application/ld+json">')[1].split("</script>")[0]
    assert "&amp;" not in script and "<" not in script  # escaped as \\u0026 and \\u003c, never as entities
    explanation = json.loads(script)["reviewRating"]["ratingExplanation"]
    assert explanation == "Morgan & Curran found that 1 < 2 and 3 > 2 (Lancet & co)."


def test_claim_page_links_related_and_conflicting_claims(client, site_content):
    html = client.get("/claims/ketamine-low-risk-side-effects/").content.decode()
    conflict = html.split('id="conflict-title"')[1].split("</section>")[0]
    assert "Side effects of ketamine are common" in conflict
    related = html.split('id="related-title"')[1]
    assert "Ketamine reduces PTSD symptoms" in related
    assert "Ketamine cures PTSD permanently" not in html


def test_draft_and_in_review_claims_are_404(client, site_content):
    assert client.get("/claims/ketamine-cures-ptsd/").status_code == 404
    site_content["draft"].status = "in_review"
    site_content["draft"].save()
    assert client.get("/claims/ketamine-cures-ptsd/").status_code == 404
    assert client.get("/claims/unknown-claim/").status_code == 404


def test_claim_page_query_count_is_fixed(client, site_content, django_assert_num_queries):
    # claim, effect estimates + studies + conditions, assertions + sources + studies, evidence + studies, tags,
    # conditions, conflicting, related, verdict and grade history
    with django_assert_num_queries(9):
        client.get("/claims/ketamine-reduces-ptsd-symptoms/")
    for n in range(15):
        source = SourceFactory()
        AssertionFactory(claim=site_content["helps"], source=source, quote="Ketamine works by blocking NMDA")
        EffectEstimateFactory(claim=site_content["helps"], study=site_content["rct"], timepoint=f"day {n}")
    with django_assert_num_queries(9):
        client.get("/claims/ketamine-reduces-ptsd-symptoms/")


# --- source page --------------------------------------------------------------------------------------------


def test_the_source_page_regions_have_distinct_labels(client, site_content):
    html = client.get(site_content["review"].get_absolute_url()).content.decode()
    labelled_by = re.findall(r'<(?:section|div)[^>]*aria-labelledby="([^"]+)"', html)
    labels = re.findall(r'<div[^>]*role="region"[^>]*aria-label="([^"]+)"', html)
    assert len(labelled_by) == len(set(labelled_by)) and labels and not set(labels) & set(labelled_by)


def test_a_source_is_public_only_once_it_states_a_published_claim(client, users):
    from claims import services
    from claims.search import search

    source = SourceFactory(title="Fresh import about ketamine", slug="fresh-import")
    assertion = AssertionFactory(source=source, claim=ClaimFactory(status="draft"))
    urls = {"list": reverse("sources:source_list"), "sitemap": "/sitemap.xml", "compare": reverse("sources:compare")}

    def visible() -> dict:
        pages = {name: "/sources/fresh-import/" in client.get(url).content.decode() for name, url in urls.items()}
        pages["compare"] = 'value="fresh-import"' in client.get(urls["compare"]).content.decode()
        pages["page"] = client.get("/sources/fresh-import/").status_code == 200
        pages["search"] = any(hit.url == "/sources/fresh-import/" for hit in search("Fresh import")[0])
        return pages

    assert not any(visible().values())  # just imported, its only statement is of a draft claim
    claim = assertion.claim
    services.submit_for_review(claim, users["editor"])  # the workflow writes the status with update()
    assert not any(visible().values())
    services.publish(claim, users["reviewer"])
    assert all(visible().values())
    services.return_to_draft(claim, users["reviewer"], "Needs another look.")
    assert not any(visible().values())  # the source has no published statement left
    claim.refresh_from_db()
    claim.status = "published"  # a plain save that publishes (the shell, an import) re-indexes it too
    claim.save()
    assert all(visible().values())


def test_source_page_shows_metadata_claims_citations_and_highlighted_text(client, site_content):
    html = client.get("/sources/clinic-page/").content.decode()
    assert "Commercial clinic page" in html
    assert "Links to a ketamine clinic." in html
    a1 = site_content["a1"]
    assert f'<span id="q{a1.pk}" class="anchor"></span><mark>Ketamine helps PTSD within hours.</mark>' in html
    assert "Feder et al. 2014</a>, cited for" in html and "overstated" in html
    assert "Ketamine cures PTSD permanently" not in html  # the draft claim's assertion stays hidden
    assert (
        "It discusses 2 published claims in 2 statements. Of these claims, it supports 2, contradicts 0 and "
        "qualifies 0."
    ) in html


def test_source_page_counts_the_claims_it_supports_apart_from_those_it_only_discusses(client, site_content):
    review = site_content["review"]
    # The guide qualifies "helps", contradicts "low risk" and supports "common"; now it also supports "helps".
    AssertionFactory(claim=site_content["helps"], source=review, quote="Side effects are common.", offset=62)
    html = client.get(review.get_absolute_url()).content.decode()
    assert (
        "It discusses 3 published claims in 4 statements. Of these claims, it supports 2, contradicts 1 and "
        "qualifies 1 (1 claim it takes more than one stance on, in different statements, counts under each)."
    ) in html
    assert "It makes" not in html


def test_source_list_says_how_many_claims_each_source_discusses_and_supports(
    client, site_content, django_assert_num_queries
):
    with django_assert_num_queries(2):  # count, page of sources with both counts
        html = client.get("/sources/").content.decode()
    assert "Reference / harm-reduction site · discusses 3 published claims, supports 1</span>" in html
    assert "Commercial clinic page · discusses 2 published claims, supports 2</span>" in html  # not the draft


def test_source_page_highlights_overlapping_quotes_once_with_an_anchor_for_each(client, site_content):
    source = site_content["review"]
    claim = ClaimFactory(slug="small-trials")
    quote = "limited to small trials"
    inner = AssertionFactory(claim=claim, source=source, quote=quote, offset=source.text.index(quote))
    html = client.get(source.get_absolute_url()).content.decode()
    a2 = site_content["a2"]
    assert (
        f'<span id="q{a2.pk}" class="anchor"></span><span id="q{inner.pk}" class="anchor"></span>'
        "<mark>Evidence that ketamine helps PTSD is limited to small trials.</mark>"
    ) in html


def test_markers_of_quotes_that_start_together_read_in_number_order(client, db):
    text = "Ketamine works within hours for many patients. It is given as an infusion."
    source = SourceFactory(text=text, slug="markers")
    long = AssertionFactory(source=source, quote="Ketamine works within hours for many patients.", offset=0)
    short = AssertionFactory(source=source, quote="Ketamine works within hours", offset=0)
    for assertion in (long, short):
        assertion.claim.status = "published"
        assertion.claim.save()
    html = client.get(source.get_absolute_url()).content.decode()
    markers = re.findall(r'class="qref"[^>]*>\[(\d+)\]</a>', html)
    assert markers == ["1", "2"]


def test_source_page_query_count_is_fixed(client, site_content, django_assert_num_queries):
    with django_assert_num_queries(2):  # source, assertions + claims + cited studies
        client.get("/sources/clinic-page/")


def test_source_list_paginates_and_flags_commercial_interest(client, site_content):
    html = client.get("/sources/").content.decode()
    assert "Clinic page" in html and "Commercial interest" in html


# --- study page ---------------------------------------------------------------------------------------------


def test_study_page_shows_record_links_claims_and_citing_articles(client, site_content):
    html = client.get("/studies/feder-et-al-2014/").content.decode()
    assert "JAMA Psychiatry" in html
    assert 'href="https://doi.org/10.1001/jamapsychiatry.2014.62"' in html
    assert "Ketamine reduces PTSD symptoms" in html
    assert "Clinic page</a>: “Ketamine helps PTSD within hours.”" in html
    assert "overstated 1" in html


def test_study_page_says_how_the_record_was_checked_with_links(client, site_content):
    study = site_content["rct"]
    study.verified_from = "PubMed: https://pubmed.ncbi.nlm.nih.gov/24740528/ ; sample size only on a weak page."
    study.save()
    html = client.get(study.get_absolute_url()).content.decode()
    section = html.split('id="checked-title"')[1].split("</section>")[0]
    assert '<a href="https://pubmed.ncbi.nlm.nih.gov/24740528/"' in section and "only on a weak page" in section


def test_study_page_query_count_is_fixed(client, site_content, django_assert_num_queries):
    # study, count of claims, page of claims, citations by fidelity, page of citations + sources + claims
    with django_assert_num_queries(5):
        client.get("/studies/feder-et-al-2014/")
    study = site_content["rct"]
    for n in range(60):
        EvidenceFactory(claim=ClaimFactory(slug=f"more-{n}"), study=study)
        AssertionFactory(claim=site_content["helps"], cited_study=study)
    with django_assert_num_queries(5):
        client.get("/studies/feder-et-al-2014/")


def test_study_page_pages_its_claims_and_its_citations_separately(client, site_content):
    study = site_content["rct"]
    for n in range(55):
        EvidenceFactory(claim=ClaimFactory(text=f"Claim {n:02d} resting on Feder", slug=f"feder-{n}"), study=study)
    for n in range(51):
        AssertionFactory(source=SourceFactory(title=f"Article {n:02d}"), claim=site_content["helps"],
                         cited_study=study, citation_fidelity="accurate")  # fmt: skip
    html = client.get("/studies/feder-et-al-2014/").content.decode()
    assert "56 published claims, 50 a page." in html  # 55 + the seed's PTSD claim
    assert "52 citations: accurate 51 · overstated 1" in html  # counted over all pages (a tally: "wrong study 2")
    assert 'href="?claims_page=2"' in html and 'href="?citations_page=2"' in html
    assert 'aria-label="Pages of claims"' in html and 'aria-label="Pages of citations"' in html
    # Turning one list's page keeps the other's.
    html = client.get("/studies/feder-et-al-2014/?claims_page=2&citations_page=2").content.decode()
    assert "Claim 54 resting on Feder" in html and "Claim 00 resting on Feder" not in html
    assert 'href="?citations_page=2&amp;claims_page=1"' in html
    assert 'href="?claims_page=2&amp;citations_page=1"' in html
    citations = html.split('id="cited-title"')[1]
    assert "Article 00" not in citations and "Clinic page" in citations  # "Clinic page" sorts after "Article 50"


def test_study_page_without_claims_or_citations_has_empty_states(client, db):
    # A study is public once a published claim uses it (Study.objects.public()): cited by a statement of one, or in
    # its evidence base; the page says which of the two lists is empty.
    cited = StudyFactory(label="Lonely et al. 2020", slug="lonely")
    AssertionFactory(cited_study=cited)
    html = client.get("/studies/lonely/").content.decode()
    assert "No published claim lists this study in its evidence base." in html
    EvidenceFactory(study=StudyFactory(label="Listed et al. 2021", slug="listed"))
    html = client.get("/studies/listed/").content.decode()
    assert "No article in the knowledge base cites this study." in html
    assert client.get(StudyFactory(slug="unused").get_absolute_url()).status_code == 404


# --- compare, matrix, disagreements -------------------------------------------------------------------------


def test_compare_shows_shared_claims_one_sided_claims_and_disagreements(client, site_content):
    html = client.get(reverse("sources:compare"), {"a": "clinic-page", "b": "harm-reduction-guide"}).content.decode()
    disagree = html.split('id="disagree-title"')[1].split('id="both-title"')[0]
    assert "Ketamine reduces PTSD symptoms" in disagree  # supports vs qualifies
    assert "Ketamine has a low risk of side effects" in disagree  # supports vs contradicts
    only_b = html.split('id="only-b-title"')[1]
    assert "Side effects of ketamine are common" in only_b


def _sections(html: str) -> dict[str, str]:
    """The compare page's sections by heading id (the text up to the next section heading)."""
    ids = ["disagree-title", "both-title", "neither-title", "only-a-title", "only-b-title"]
    found = sorted((html.index(f'id="{i}"'), i) for i in ids if f'id="{i}"' in html)
    ends = [start for start, _ in found[1:]] + [len(html)]
    return {name: html[start:end] for (start, name), end in zip(found, ends, strict=True)}


@pytest.fixture
def two_sources(db):
    """Two sources and claims they support, contradict and qualify, with a pair of conflicting claims."""
    a, b = SourceFactory(title="Source A", slug="a"), SourceFactory(title="Source B", slug="b")
    claims = {slug: ClaimFactory(text=f"Claim {slug}", slug=slug) for slug in
              ("both-support", "both-contradict", "c-vs-q", "a-contradicts-only", "a-supports-only",
               "hours", "immediate")}  # fmt: skip
    rows = [
        (a, "both-support", "supports", "A says both-support."),
        (b, "both-support", "supports", "B says both-support."),
        (a, "both-contradict", "contradicts", "A denies both-contradict."),
        (b, "both-contradict", "contradicts", "B denies both-contradict."),
        (a, "c-vs-q", "contradicts", "A denies c-vs-q."),
        (b, "c-vs-q", "qualifies", "B hedges c-vs-q."),
        (a, "a-contradicts-only", "contradicts", "A denies a-contradicts-only."),
        (a, "a-supports-only", "supports", "A says a-supports-only."),
        # Conflicting claims: A asserts "hours" and denies "immediate"; B the other way round.
        (a, "hours", "supports", "A: within hours."),
        (a, "immediate", "contradicts", "A: not immediately."),
        (b, "immediate", "supports", "B: immediately."),
        (b, "hours", "contradicts", "B: not within hours."),
    ]
    for source, slug, stance, quote in rows:
        AssertionFactory(source=source, claim=claims[slug], stance=stance, quote=quote)
    claims["hours"].conflicting_claims.add(claims["immediate"])
    return {"a": a, "b": b, **claims}


def test_compare_counts_a_claim_as_made_only_by_a_source_that_supports_it(client, two_sources):
    html = client.get(reverse("sources:compare"), {"a": "a", "b": "b"}).content.decode()
    sections = _sections(html)
    assert "Claims both make (1)" in sections["both-title"]
    assert "Claim both-support" in sections["both-title"]
    assert "Claim both-contradict" not in sections["both-title"]
    # Claims both discuss without asserting: listed apart, each source's stance shown.
    neither = sections["neither-title"]
    assert "Claims both discuss but neither asserts (2)" in neither
    assert "Claim both-contradict" in neither and "Claim c-vs-q" in neither
    assert "Source A: " in neither and "Contradicts" in neither and "Qualifies" in neither
    # Contradicting one claim and qualifying it is no disagreement: neither source asserts it.
    assert "Claim c-vs-q" not in sections["disagree-title"]
    only_a = sections["only-a-title"]
    made, against = only_a.split("Claims it only contradicts or qualifies (1)")
    assert "Claims it makes (1)" in made and "Claim a-supports-only" in made
    assert "Claim a-contradicts-only" not in made
    assert "Claim a-contradicts-only" in against and "✗</span> Contradicts" in against


def test_compare_shows_conflicting_claims_only_with_the_quotes_that_assert_them(client, two_sources):
    html = client.get(reverse("sources:compare"), {"a": "a", "b": "b"}).content.decode()
    disagree = _sections(html)["disagree-title"]
    conflicts = disagree[disagree.index("<h3>Conflicting claims</h3>") :]
    assert conflicts.count("<h3>Conflicting claims</h3>") == 1  # not again with the sides swapped
    assert 'Source A asserts <a href="/claims/hours/">Claim hours</a>' in conflicts
    assert 'Source B asserts <a href="/claims/immediate/">Claim immediate</a>' in conflicts
    assert "A: within hours." in conflicts and "B: immediately." in conflicts
    assert "not immediately" not in conflicts and "not within hours" not in conflicts  # contradicting quotes
    # Where one source asserts a claim the other contradicts, each quote says which way it goes.
    row = disagree[disagree.index("Claim hours</a></h3>") : disagree.index("<h3>Conflicting claims</h3>")]
    assert "A: within hours.</p><footer>" + '<span class="stance stance-supports">' in row
    assert "B: not within hours.</p><footer>" + '<span class="stance stance-contradicts">' in row


def test_compare_shows_the_grade_of_each_claim_they_disagree_on(client, two_sources):
    for slug, grade in (("c-vs-q", "low"), ("hours", "moderate"), ("immediate", "very_low")):
        two_sources[slug].grade = grade
        two_sources[slug].save()
    html = client.get(reverse("sources:compare"), {"a": "a", "b": "b"}).content.decode()
    disagree = _sections(html)["disagree-title"]
    row = disagree[disagree.index("Claim hours</a></h3>") : disagree.index("<h3>Conflicting claims</h3>")]
    assert '<span class="grade grade-moderate">' in row and "Moderate certainty" in row
    conflicts = disagree[disagree.index("<h3>Conflicting claims</h3>") :]
    a_side, b_side = conflicts.split("Source B asserts", 1)
    assert "Moderate certainty" in a_side and "Very low certainty" in b_side


def test_compare_query_count_is_fixed_with_every_kind_of_section(client, two_sources, django_assert_num_queries):
    # the source choices (once for both lists), the two sources, their assertions + claims, conflicting pairs
    with django_assert_num_queries(4):
        client.get(reverse("sources:compare"), {"a": "a", "b": "b"})


def test_compare_refuses_the_same_source_twice_with_a_message(client, site_content):
    html = client.get(reverse("sources:compare"), {"a": "clinic-page", "b": "clinic-page"}).content.decode()
    assert "Choose two different sources to compare." in html


def test_compare_reports_an_unknown_source(client, site_content):
    html = client.get(reverse("sources:compare"), {"a": "clinic-page", "b": "<nope>"}).content.decode()
    assert "There is no source “&lt;nope&gt;”: choose one from the list." in html
    assert 'id="disagree-title"' not in html


def test_compare_lists_every_source_once_per_select_and_keeps_the_choice(client, site_content):
    AssertionFactory(source=SourceFactory(title='Quotes "and" <tags>', slug="odd-title"))  # public: it states a claim
    html = client.get(reverse("sources:compare"), {"a": "clinic-page"}).content.decode()
    assert '<select id="id_a" name="a" required>' in html and '<select id="id_b" name="b" required>' in html
    assert html.count('<option value="odd-title">Quotes &quot;and&quot; &lt;tags&gt;</option>') == 2
    assert html.count('<option value="clinic-page" selected>') == 1  # in the first list only
    assert html.count('<option value="" selected>Choose a source</option>') == 1  # the second list
    assert "This field is required" not in html  # one source chosen so far (a link from a source page): no error


def test_compare_says_when_the_one_source_named_does_not_exist(client, site_content):
    html = client.get(reverse("sources:compare"), {"a": "gone"}).content.decode()
    assert "There is no source “gone”: choose one from the list." in html
    assert "This field is required" not in html


def test_a_source_page_links_to_the_comparison_with_the_source_chosen(client, site_content):
    html = client.get("/sources/clinic-page/").content.decode()
    assert 'href="/compare/?a=clinic-page">Compare this article with another source</a>' in html


def test_compare_query_count_does_not_grow_with_sources(client, site_content, django_assert_num_queries):
    url = reverse("sources:compare")
    params = {"a": "clinic-page", "b": "harm-reduction-guide"}
    # the source choices (once for both lists), the two sources, their assertions + claims, conflicting pairs
    with django_assert_num_queries(4):
        client.get(url, params)
    for n in range(30):
        SourceFactory(slug=f"more-{n}")
    with django_assert_num_queries(4):
        client.get(url, params)


def test_matrix_shows_stances_per_source_and_filters_by_condition_and_category(client, site_content):
    html = client.get(reverse("claims:matrix")).content.decode()
    assert "<caption" in html and "Clinic page" in html
    assert '<span class="visually-hidden">contradicts</span>' in html
    html = client.get(reverse("claims:matrix"), {"category": "side_effect"}).content.decode()
    assert "Side effects of ketamine are common" in html and "Ketamine reduces PTSD symptoms" not in html


def test_matrix_shows_each_claims_verdict_and_filters_by_it(client, site_content):
    html = client.get(reverse("claims:matrix")).content.decode()
    row = html.split('href="/claims/ketamine-low-risk-side-effects/"')[1].split("</tr>")[0]
    assert "✗</span> Contradicted" in row
    html = client.get(reverse("claims:matrix"), {"verdict": "contradicted"}).content.decode()
    assert "Ketamine has a low risk of side effects" in html and "Ketamine reduces PTSD symptoms" not in html
    html = client.get(reverse("claims:matrix"), {"verdict": "nonsense"}).content.decode()
    assert "Some filters were not understood" in html


def test_matrix_heads_its_columns_with_short_labels_and_a_key_naming_each_source(client, site_content):
    html = client.get(reverse("claims:matrix")).content.decode()
    key = html.split('<dl class="source-key">', 1)[1].split("</dl>", 1)[0]
    head = html.split("<thead>", 1)[1].split("</thead>", 1)[0]
    labels = re.findall(r"<dt>(S\d+)</dt><dd><a href=\"(/sources/[^\"]+/)\">([^<]+)</a></dd>", key)
    assert [label for label, _, _ in labels] == [f"S{n}" for n in range(1, len(labels) + 1)]
    assert ("/sources/clinic-page/", "Clinic page") in [(url, title) for _, url, title in labels]
    for label, url, title in labels:
        # The header shows the short label and names the source in full to screen readers and on hover.
        link = f'<a href="{url}" aria-label="{label}: {title}"><abbr title="{title}">{label}</abbr></a>'
        assert f'<th scope="col">{link}</th>' in head
    no_tags = re.sub(r"<[^>]+>", "", head)
    assert no_tags == "Claim" + "Verdict" + "".join(label for label, _, _ in labels)  # no long titles


def test_matrix_query_count_is_fixed(client, site_content, django_assert_num_queries):
    with django_assert_num_queries(4):  # condition choices, page count, page of claims, assertions + sources
        client.get(reverse("claims:matrix"))


def test_disagreements_page_puts_conflicting_quotes_side_by_side(client, site_content):
    html = client.get(reverse("claims:disagreements")).content.decode()
    assert "Ketamine has a low risk of side effects." in html and "Side effects are common." in html
    assert "Conflicting claims" in html
    assert "cures PTSD" not in html


def test_disagreements_query_count_is_fixed(client, site_content, django_assert_num_queries):
    # the stored number of disputed claims, disputed claims, their assertions, conflicting pairs, their quotes
    with django_assert_num_queries(5):
        client.get(reverse("claims:disagreements"))


# --- tags, about, sitemap -----------------------------------------------------------------------------------


def test_tag_page_lists_only_published_claims(client, site_content):
    html = client.get("/tags/ptsd/").content.decode()
    assert "Ketamine reduces PTSD symptoms" in html
    assert "cures PTSD" not in html
    listing = client.get("/tags/").content.decode()
    assert 'href="/tags/ptsd/"' in listing


def test_tag_page_groups_its_claims_under_category_headings(client, db):
    for text, category in [("Ketamine acts within hours", "onset"), ("Ketamine blocks NMDA receptors", "mechanism"),
                           ("Ketamine raises glutamate release", "mechanism")]:  # fmt: skip
        ClaimFactory(text=text, category=category, status="published").tags.add("grouped")
    html = client.get("/tags/grouped/").content.decode()
    assert html.index("<h2>Mechanism</h2>") < html.index("Ketamine blocks NMDA") < html.index("Ketamine raises")
    assert html.index("Ketamine raises") < html.index("<h2>Onset</h2>") < html.index("Ketamine acts within hours")


def test_tag_with_only_draft_claims_is_404(client, site_content):
    site_content["draft"].tags.add("draft-only")
    assert client.get("/tags/draft-only/").status_code == 404
    assert client.get("/tags/never-used/").status_code == 404


def test_about_grading_explains_levels_and_judgments(client, db):
    html = client.get("/about/grading/").content.decode()
    for phrase in ("Risk of bias", "Indirectness", "Large effect", "Very low", "wrong study"):
        assert phrase in html
    # Verdict and certainty are two answers, each explained.
    assert 'id="verdicts"' in html and "✗</span> Contradicted" in html and "◐</span> Partly supported" in html
    assert "A claim the evidence contradicts" in html and "the certainty rates the evidence for what is" in html


def test_sitemap_lists_public_pages_but_not_drafts(client, site_content):
    xml = client.get("/sitemap.xml").content.decode()
    assert "/claims/ketamine-reduces-ptsd-symptoms/" in xml
    assert "/conditions/ptsd/" in xml and "/sources/clinic-page/" in xml and "/studies/feder-et-al-2014/" in xml
    assert "/tags/ptsd/" in xml and "/conditions/</loc>" in xml
    assert "ketamine-cures-ptsd" not in xml


def test_unknown_page_gets_a_helpful_404(client, db):
    response = client.get("/no/such/page/")
    assert response.status_code == 404
    assert b"Page not found" in response.content


def test_a_server_error_gets_a_plain_page_with_the_site_name_and_a_way_home(client, db, monkeypatch, settings):
    from django.test import Client

    def broken() -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr("claims.views.grade_levels", broken)
    settings.KB_SITE_NAME = "Test KB"
    response = Client(raise_request_exception=False).get("/about/grading/")
    assert response.status_code == 500
    html = response.content.decode()
    assert "<title>Server error · Test KB</title>" in html
    assert '<a href="/">Test KB</a>' in html and '<a href="/">Go to the home page</a>' in html
    assert '<a href="/conditions/">Conditions</a>' in html


def test_the_500_template_renders_without_a_request_or_context(settings):
    from django.template.loader import render_to_string

    settings.KB_SITE_NAME = "Another KB"
    html = render_to_string("500.html")  # as django.views.defaults.server_error does: no context processors
    assert "<title>Server error · Another KB</title>" in html


def test_bad_requests_and_refusals_get_pages_with_the_site_navigation(rf, db, settings):
    from django.core.exceptions import PermissionDenied, SuspiciousOperation
    from django.views.defaults import bad_request, permission_denied

    settings.KB_SITE_NAME = "Test KB"
    for view, exception, status, heading in (
        (bad_request, SuspiciousOperation("bad"), 400, "<h1>Bad request</h1>"),
        (permission_denied, PermissionDenied("no"), 403, "<h1>Access denied</h1>"),
    ):
        response = view(rf.get("/somewhere/"), exception)
        html = response.content.decode()
        assert response.status_code == status
        assert heading in html
        assert '<a class="site-name" href="/">Test KB</a>' in html  # base.html's header and navigation
        assert '<li><a href="/conditions/">Conditions</a></li>' in html


# --- form errors --------------------------------------------------------------------------------------------


def _described_by_missing(html: str) -> list[str]:
    """ids named by aria-describedby that no element on the page carries."""
    named = {i for value in re.findall(r'aria-describedby="([^"]*)"', html) for i in value.split()}
    return sorted(i for i in named if f'id="{i}"' not in html)


INVALID_CHOICE = "Select a valid choice. {} is not one of the available choices."


@pytest.mark.parametrize(
    "url, message",
    [
        ("/search/?q=%00", "Search: Null characters are not allowed."),
        ("/search/?q=x&kind=bogus", "Show: " + INVALID_CHOICE.format("bogus")),
        ("/conditions/ptsd/?grade=bogus", "Certainty: " + INVALID_CHOICE.format("bogus")),
        ("/conditions/ptsd/?category=nope", "Category: " + INVALID_CHOICE.format("nope")),
        ("/matrix/?condition=nope", "Condition: " + INVALID_CHOICE.format("That choice")),
    ],
)
def test_form_errors_name_the_field_by_its_label(client, site_content, url, message):
    html = client.get(url).content.decode()
    assert f'_error">{message}</li>' in html
    assert "qNull" not in html and "kindSelect" not in html and "gradeSelect" not in html
    assert 'aria-invalid="true"' in html
    assert _described_by_missing(html) == []


def test_compare_errors_are_the_descriptions_their_fields_point_to(client, site_content):
    html = client.get(reverse("sources:compare"), {"a": "nope", "b": ""}).content.decode()
    assert 'aria-describedby="id_a_error"' in html and 'aria-describedby="id_b_error"' in html
    assert '<span class="error" id="id_a_error">There is no source “nope”: choose one from the list.</span>' in html
    assert '<span class="error" id="id_b_error">This field is required.</span>' in html
    assert _described_by_missing(html) == []


# --- wording ------------------------------------------------------------------------------------------------


def test_evidence_directions_read_as_sentences_on_claim_and_study_pages(client, site_content):
    claim, rct = site_content["helps"], site_content["rct"]
    EvidenceFactory(claim=claim, study=StudyFactory(label="Null et al. 2019", slug="null"), direction="inconclusive")
    EvidenceFactory(
        claim=claim, study=StudyFactory(label="Against et al. 2021", slug="against"), direction="contradicts"
    )
    html = client.get(claim.get_absolute_url()).content.decode()
    assert "This study <strong>supports</strong> the claim" in html
    assert "This study <strong>contradicts</strong> the claim" in html
    assert "This study <strong>is inconclusive about</strong> the claim" in html
    assert "Inconclusive</strong> the claim" not in html
    html = client.get(rct.get_absolute_url()).content.decode()
    assert "— this study <strong>supports</strong> it: Midazolam-controlled crossover.</li>" in html


def test_citations_read_as_sentences_whatever_the_verdict_and_claim_punctuation(client, site_content):
    claim, rct, a1 = site_content["helps"], site_content["rct"], site_content["a1"]
    claim.text = "Ketamine reduces PTSD symptom severity."  # claim texts are sentences, often with a full stop
    claim.save()
    a1.citation_fidelity, a1.fidelity_note = "wrong_study", "A depression review."
    a1.save()
    html = client.get(rct.get_absolute_url()).content.decode()
    assert "Ketamine reduces PTSD symptom severity</a>. Citation <span" in html and "severity.</a>." not in html
    assert (
        'Citation <span class="fidelity fidelity-wrong_study">of the wrong study</span>: A depression review.' in html
    )
    html = client.get(claim.get_absolute_url()).content.decode()
    assert (
        'citation <span class="fidelity fidelity-wrong_study">of the wrong study</span>: A depression review.' in html
    )
    html = client.get(site_content["clinic"].get_absolute_url()).content.decode()
    assert '” — citation <span class="fidelity fidelity-wrong_study">of the wrong study</span>' in html
    a1.citation_fidelity = "not_checked"
    a1.save()
    html = client.get(claim.get_absolute_url()).content.decode()
    assert 'citation <span class="fidelity fidelity-not_checked">not checked yet</span>' in html
