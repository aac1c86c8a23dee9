"""Answer-first public pages (issue 13): a claim page leads with its verdict, certainty, summary and key numbers; a
condition page answers the clinical questions in order, with a Summary of Findings and its conditions' hierarchy."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest
from django.urls import reverse
from django.utils import timezone

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

SVG = "{http://www.w3.org/2000/svg}"

CLINIC_TEXT = (
    "Ketamine relieves depression immediately. You will feel better the moment the infusion ends. "
    "Ketamine works for treatment-resistant depression. Its benefits last for months. "
    "Side effects pass within hours. Ketamine resets brain connections."
)


def _says(source, claim, quote: str, stance: str = "supports"):
    """``source`` states ``claim`` with ``quote`` (verbatim from its text), so the claim counts as stated."""
    return AssertionFactory(claim=claim, source=source, quote=quote, offset=source.text.index(quote), stance=stance)


def _section(html: str, heading_id: str) -> str:
    """The HTML of the section a heading with ``heading_id`` opens, up to the section's end."""
    assert f'id="{heading_id}"' in html, f"no heading {heading_id!r} on the page"
    return html.split(f'id="{heading_id}"', 1)[1].split("</section>", 1)[0]


def _words(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def _claim_links(html: str) -> list[str]:
    """The claims a list links to (claim rows), in the order shown."""
    return re.findall(r'<a class="claim-link" href="/claims/([^/"]+)/">', html)


@pytest.fixture
def kb(db):
    """Depression with treatment-resistant depression (TRD) within it, and PTSD beside them; a clinic that states
    most claims; claims of every kind a condition page sorts, including general, draft and contradicted ones."""
    depression = ConditionFactory(name="Depression", slug="depression")
    trd = ConditionFactory(name="Treatment-resistant depression", slug="trd", parent=depression)
    ptsd = ConditionFactory(name="PTSD", slug="ptsd")
    clinic = SourceFactory(
        title="Bright Mind Clinic",
        slug="bright-mind",
        kind="clinic",
        commercial_interest=True,
        commercial_interest_note="Sells ketamine infusions.",
        text=CLINIC_TEXT,
    )
    meta = StudyFactory(label="McIntyre et al. 2021", design="meta_analysis_rct", year=2021)
    trial = StudyFactory(label="Murrough et al. 2013", design="rct", year=2013)

    works = ClaimFactory(
        text="Ketamine relieves treatment-resistant depression", slug="works", category="efficacy",
        grade="moderate", verdict="supported", summary="About half respond within a day, against a third on placebo.",
    )  # fmt: skip
    works.conditions.add(trd)
    EvidenceFactory(claim=works, study=meta)
    EvidenceFactory(claim=works, study=trial)
    _says(clinic, works, "Ketamine works for treatment-resistant depression.")
    pooled = EffectEstimateFactory(
        claim=works, study=meta, condition=trd, outcome="Response", measure="risk_ratio", value=3.0, ci_low=1.8,
        ci_high=5.0, participants=500, studies=5, timepoint="24 hours",
        excerpt="Response at 24 hours: RR 3.0 (95% CI 1.8 to 5.0), 5 trials, 500 participants.",
        excerpt_url="https://pubmed.example.org/meta",
    )  # fmt: skip
    single = EffectEstimateFactory(
        claim=works, study=trial, condition=trd, outcome="Response", measure="risk_ratio", value=2.5, ci_low=1.2,
        ci_high=5.2, participants=72, studies=1, timepoint="24 hours",
        excerpt="Response at 24 hours was 64% versus 28% (RR 2.5, 95% CI 1.2 to 5.2; n = 72).",
        excerpt_url="https://journal.example.org/trial",
    )  # fmt: skip

    immediate = ClaimFactory(
        text="Ketamine relieves depression immediately", slug="immediate", category="onset", grade="moderate",
        verdict="contradicted", summary="Trials show relief begins within hours of an infusion, not at once.",
        rationale="Moderate certainty that onset takes **hours**.",
    )  # fmt: skip
    immediate.conditions.add(depression)
    EvidenceFactory(claim=immediate, study=trial, direction="contradicts")
    _says(clinic, immediate, "Ketamine relieves depression immediately.")
    _says(clinic, immediate, "You will feel better the moment the infusion ends.")
    madrs = EffectEstimateFactory(
        claim=immediate, study=trial, condition=depression, outcome="Depression severity (MADRS)",
        measure="mean_difference", value=-5.0, ci_low=-7.9, ci_high=-2.1, participants=72, studies=1,
        timepoint="24 hours", excerpt="MADRS at 24 hours: MD −5.0 (95% CI −7.9 to −2.1; n = 72).",
        excerpt_url="https://journal.example.org/trial-madrs",
    )  # fmt: skip

    lasting = ClaimFactory(
        text="The benefits of ketamine last for months", slug="lasting", category="duration", grade="low",
        verdict="partly_supported",
    )  # fmt: skip
    lasting.conditions.add(depression)
    _says(clinic, lasting, "Its benefits last for months.")
    mechanism = ClaimFactory(
        text="Ketamine resets brain connections", slug="resets", category="mechanism", grade="very_low",
        verdict="insufficient_evidence",
    )  # fmt: skip
    mechanism.conditions.add(depression)
    _says(clinic, mechanism, "Ketamine resets brain connections.")

    general = ClaimFactory(
        text="Dissociation is common during a ketamine session", slug="general-dissociation",
        category="side_effect", grade="low", verdict="supported", applies_generally=True,
    )  # fmt: skip
    EvidenceFactory(claim=general, study=trial)
    _says(clinic, general, "Side effects pass within hours.", stance="qualifies")
    general_draft = ClaimFactory(
        text="Ketamine raises blood pressure for an hour", slug="general-draft", category="safety",
        status="draft", grade="low", applies_generally=True,
    )  # fmt: skip
    _says(clinic, general_draft, "Side effects pass within hours.", stance="contradicts")

    draft = ClaimFactory(
        text="Ketamine brings lasting remission", slug="remission-draft", category="efficacy", status="draft",
        grade="low",
    )  # fmt: skip
    draft.conditions.add(depression)
    EvidenceFactory(claim=draft, study=trial)
    _says(clinic, draft, "Its benefits last for months.")
    draft_estimate = EffectEstimateFactory(
        claim=draft, study=trial, condition=depression, outcome="Remission", measure="risk_ratio", value=2.0,
        ci_low=1.1, ci_high=3.6, participants=72, studies=1, timepoint="day 7",
        excerpt="Remission on day 7: RR 2.0 (95% CI 1.1 to 3.6), 72 patients.",
        excerpt_url="https://journal.example.org/draft-remission",
    )  # fmt: skip
    return {
        "depression": depression, "trd": trd, "ptsd": ptsd, "clinic": clinic, "meta": meta, "trial": trial,
        "works": works, "immediate": immediate, "lasting": lasting, "mechanism": mechanism, "general": general,
        "general_draft": general_draft, "draft": draft, "pooled": pooled, "single": single, "madrs": madrs,
        "draft_estimate": draft_estimate,
    }  # fmt: skip


def _forest_plots(html: str) -> list[ET.Element]:
    """The SVG of each forest plot on the page, parsed."""
    figures = re.findall(r'<figure class="forest".*?(<svg.*?</svg>)', html, re.S)
    return [ET.fromstring(svg) for svg in figures]


def _ticks(svg: ET.Element) -> dict[str, float]:
    return {t.text: float(t.get("x")) for t in svg.iter(f"{SVG}text") if t.get("class") == "forest-tick"}


def _no_effect_line(svg: ET.Element) -> ET.Element | None:
    return next((line for line in svg.iter(f"{SVG}line") if line.get("class") == "forest-null"), None)


def _point_x(svg: ET.Element, study_label: str) -> float:
    """The centre of the square drawn for the row of ``study_label``."""
    for row in svg.iter(f"{SVG}g"):
        labels = [t.text for t in row.iter(f"{SVG}text") if t.get("class") == "forest-label"]
        if labels == [study_label]:
            point = next(r for r in row.iter(f"{SVG}rect") if r.get("class") == "forest-point")
            return float(point.get("x")) + float(point.get("width")) / 2
    raise AssertionError(f"no row for {study_label!r} in the plot")


# --- claim page ----------------------------------------------------------------------------------------------


def test_a_contradicted_claim_shows_its_verdict_and_its_moderate_certainty_side_by_side(client, kb):
    html = client.get("/claims/immediate/").content.decode()
    answer = html.split('<div class="answer">', 1)[1].split("</div>", 1)[0]
    line = answer.split('<p class="answer-line">', 1)[1].split("</p>", 1)[0]
    # Two answers that say different things: the claim is wrong, and we are fairly sure of the evidence saying so.
    assert "✗</span> Contradicted" in line and "⊕⊕⊕◯</span> Moderate certainty" in line
    assert line.index("Contradicted") < line.index("Moderate certainty")
    assert "Trials show relief begins within hours of an infusion, not at once." in answer
    assert "<title>Ketamine relieves depression immediately" in html
    assert 'content="Contradicted, moderate certainty: Ketamine relieves depression immediately"' in html


def test_a_claim_page_leads_with_the_summary_then_the_numbers_then_the_reasons_and_the_sources_wording(client, kb):
    html = client.get("/claims/immediate/").content.decode().split("<main", 1)[1]
    order = [
        "Trials show relief begins within hours",  # the one-sentence summary
        'id="numbers-title"',
        'id="why-title"',
        'id="evidence-title"',
        'id="wording-title"',
    ]
    positions = [html.index(marker) for marker in order]
    assert positions == sorted(positions), dict(zip(order, positions, strict=True))
    assert html.index("<h1>") < positions[0]


def test_key_numbers_quote_each_excerpt_and_link_to_the_page_it_was_read_from(client, kb):
    html = client.get("/claims/works/").content.decode()
    numbers = _section(html, "numbers-title")
    for estimate in (kb["pooled"], kb["single"]):
        quoted = f'<blockquote class="excerpt" cite="{estimate.excerpt_url}"><p>“{estimate.excerpt}”</p></blockquote>'
        assert quoted in numbers
        assert f'<a href="{estimate.excerpt_url}" rel="nofollow">' in numbers
    rows = numbers.split("<tbody>", 1)[1].split("</tbody>", 1)[0].split("<tr>")[1:]
    assert len(rows) == 2
    pooled_row = next(row for row in rows if "McIntyre et al. 2021" in row)
    assert "Risk ratio 3 (95 % CI 1.8 to 5)" in pooled_row and "500" in pooled_row


def test_a_forest_plot_of_ratios_is_an_image_with_a_title_a_row_per_study_and_no_effect_at_1_on_a_log_scale(client, kb):
    html = client.get("/claims/works/").content.decode()
    plots = _forest_plots(html)
    assert len(plots) == 1
    svg = plots[0]
    assert svg.get("role") == "img"
    title, desc = svg.find(f"{SVG}title"), svg.find(f"{SVG}desc")
    assert title.text == "Forest plot: Response, risk ratio"
    assert "logarithmic scale" in desc.text and "dashed line: no effect" in desc.text
    assert svg.get("aria-labelledby").split() == [title.get("id"), desc.get("id")]
    assert len([g for g in svg.iter(f"{SVG}g") if g.get("class") == "forest-row"]) == 2
    ticks = _ticks(svg)
    line = _no_effect_line(svg)
    assert line is not None and float(line.get("x1")) == float(line.get("x2")) == ticks["1"]
    # On a log scale doubling is the same distance wherever it starts.
    assert ticks["2"] - ticks["1"] == pytest.approx(ticks["4"] - ticks["2"], abs=0.2)
    assert "(log scale)" in "".join(svg.itertext())
    # The larger effect sits further right; both lie right of no effect.
    assert ticks["1"] < _point_x(svg, "Murrough et al. 2013") < _point_x(svg, "McIntyre et al. 2021")


def test_a_forest_plot_of_differences_has_its_no_effect_line_at_0_on_a_linear_scale(client, kb):
    second = StudyFactory(label="Fava et al. 2020", design="rct", year=2020)
    EvidenceFactory(claim=kb["immediate"], study=second, direction="contradicts")
    EffectEstimateFactory(
        claim=kb["immediate"], study=second, condition=kb["depression"], outcome="Depression severity (MADRS)",
        measure="mean_difference", value=-3.0, ci_low=-6.0, ci_high=0.5, participants=99, studies=1,
        timepoint="24 hours", excerpt="MADRS change at 24 hours: −3.0 (95% CI −6.0 to 0.5), 99 patients.",
        excerpt_url="https://journal.example.org/fava",
    )  # fmt: skip
    html = client.get("/claims/immediate/").content.decode()
    (svg,) = _forest_plots(html)
    assert svg.find(f"{SVG}title").text == "Forest plot: Depression severity (MADRS), mean difference"
    assert "logarithmic" not in svg.find(f"{SVG}desc").text and "(log scale)" not in "".join(svg.itertext())
    ticks = _ticks(svg)
    line = _no_effect_line(svg)
    assert line is not None and float(line.get("x1")) == ticks["0"]
    # A reduction in MADRS is drawn left of no effect.
    assert _point_x(svg, "Murrough et al. 2013") < _point_x(svg, "Fava et al. 2020") < ticks["0"]


def test_no_forest_plot_is_drawn_for_one_estimate_or_for_estimates_of_different_measures(client, kb):
    html = client.get("/claims/immediate/").content.decode()
    assert '<figure class="forest"' not in html and "<svg" not in html
    assert kb["madrs"].excerpt in _section(html, "numbers-title")  # the one number is still in the table

    odds = StudyFactory(label="Odds et al. 2019", design="rct", year=2019)
    EvidenceFactory(claim=kb["immediate"], study=odds)
    EffectEstimateFactory(
        claim=kb["immediate"], study=odds, outcome="Depression severity (MADRS)",
        measure="standardised_mean_difference",
        value=-0.6, ci_low=-1.0, ci_high=-0.2, participants=None, studies=1, timepoint="24 hours",
        excerpt="SMD −0.6 (95% CI −1.0 to −0.2) at 24 hours.", excerpt_url="https://journal.example.org/odds",
    )  # fmt: skip
    html = client.get("/claims/immediate/").content.decode()
    assert '<figure class="forest"' not in html
    assert len(_section(html, "numbers-title").split("<tbody>", 1)[1].split("</tbody>")[0].split("<tr>")) - 1 == 2


def test_a_sources_commercial_interest_is_noted_once_however_many_of_its_quotes_are_shown(client, kb):
    html = client.get("/claims/immediate/").content.decode()
    wording = _section(html, "wording-title")
    assert "Ketamine relieves depression immediately." in wording
    assert "You will feel better the moment the infusion ends." in wording
    assert wording.count("Sells ketamine infusions.") == 1
    assert wording.count("Commercial interest") == 1
    assert html.count("Sells ketamine infusions.") == 1


@pytest.mark.parametrize(("publisher", "role"), [("reviewer", "a reviewer"), ("admin", "an administrator")])
def test_a_published_claim_says_when_it_was_last_reviewed_and_by_which_role_but_not_by_whom(
    client, users, publisher, role
):
    claim = ClaimFactory(
        text="Ketamine reduces suicidal thoughts within a day", slug="suicidal-thoughts", status="draft",
        grade="low", verdict="partly_supported", last_edited_by=users["editor"],
    )  # fmt: skip
    client.force_login(users["editor"])
    client.post(reverse("admin:claims_claim_transition", args=["submit"]), {"ids": str(claim.pk)})
    client.force_login(users[publisher])
    client.post(reverse("admin:claims_claim_transition", args=["publish"]), {"ids": str(claim.pk), "comment": "OK"})
    client.logout()
    html = client.get(claim.get_absolute_url()).content.decode()
    today = timezone.localdate()
    reviewed = html.split('<p class="muted reviewed">', 1)[1].split("</p>", 1)[0]
    assert _words(reviewed).startswith(f"Last reviewed {today.day} {today:%B %Y} by {role}.")
    assert f'<time datetime="{today:%Y-%m-%d}">' in reviewed
    page = _words(html.split("<main", 1)[1])
    for user in users.values():
        assert not re.search(rf"\b{user.username}\b", page), user.username


def test_a_claim_never_reviewed_since_it_was_published_does_not_pretend_it_was(client, kb):
    html = client.get("/claims/lasting/").content.decode()
    reviewed = html.split('<p class="muted reviewed">', 1)[1].split("</p>", 1)[0]
    assert "Last reviewed" not in reviewed and "Not reviewed since it was published." in reviewed


# --- condition page: questions in clinical order -----------------------------------------------------------------


def test_a_condition_page_answers_the_clinical_questions_in_order_after_the_bottom_line_and_findings(client, kb):
    html = client.get("/conditions/depression/").content.decode()
    headings = re.findall(r'<h2 id="([^"]+)"', html)
    clinical = [
        "bottom-line-title", "sof-title", "q-works", "q-timing", "q-risks", "q-given", "q-who", "q-why", "q-history",
    ]  # fmt: skip
    assert [h for h in headings if h in clinical] == clinical
    assert "q-wrong" in headings and headings.index("q-wrong") > headings.index("sof-title")
    titles = {h: _words(html.split(f'id="{h}">', 1)[1].split("</h2>", 1)[0]) for h in clinical[2:]}
    assert titles["q-works"] == "Does it work?" and titles["q-risks"] == "What are the risks?"
    assert titles["q-history"] == "History"


def test_a_contradicted_claim_is_listed_only_under_what_the_articles_get_wrong(client, kb):
    html = client.get("/conditions/depression/").content.decode()
    wrong = _section(html, "q-wrong")
    assert "What the articles get wrong" in html.split('id="q-wrong"', 1)[1].split("</h2>", 1)[0]
    assert _claim_links(wrong) == ["immediate"]
    assert "✗</span> Contradicted" in wrong
    assert _claim_links(html).count("immediate") == 1
    assert "immediate" not in _claim_links(_section(html, "q-timing"))
    # The onset question still answers with what is not contradicted.
    assert _claim_links(_section(html, "q-timing")) == ["lasting"]


def _about_ptsd(kb) -> None:
    """A published claim about PTSD: with claims about ketamine in general only, its page would be private
    (claims.public: general claims make no condition public)."""
    claim = ClaimFactory(text="Ketamine was first tried for PTSD in 2014", slug="ptsd-history", category="history")
    claim.conditions.add(kb["ptsd"])


@pytest.mark.parametrize("slug", ["depression", "trd", "ptsd"])
def test_a_claim_about_ketamine_in_general_is_a_risk_on_every_condition_page_and_a_draft_one_on_none(client, kb, slug):
    _about_ptsd(kb)
    html = client.get(f"/conditions/{slug}/").content.decode()
    risks = _section(html, "q-risks")
    assert "general-dissociation" in _claim_links(risks)
    row = risks.split('href="/claims/general-dissociation/"', 1)[1].split("</li>", 1)[0]
    assert "About ketamine in general" in row
    assert "general-draft" not in html and "raises blood pressure" not in html


def test_a_parent_condition_page_shows_its_childs_claims_and_findings_and_links_to_it(client, kb):
    html = client.get("/conditions/depression/").content.decode()
    hierarchy = html.split('<p class="hierarchy">', 1)[1].split("</p>", 1)[0]
    assert '<a href="/conditions/trd/">Treatment-resistant depression</a>' in hierarchy
    assert "works" in _claim_links(_section(html, "q-works"))
    findings = _section(html, "sof-title")
    assert "Response" in findings and "McIntyre et al. 2021" in findings
    assert "Depression severity (MADRS)" in findings  # and its own


def test_a_child_condition_page_links_to_its_parent_and_shows_only_its_own_findings(client, kb):
    html = client.get("/conditions/trd/").content.decode()
    hierarchy = html.split('<p class="hierarchy">', 1)[1].split("</p>", 1)[0]
    assert 'Part of <a href="/conditions/depression/">Depression</a>' in hierarchy
    breadcrumb = html.split('class="breadcrumb">', 1)[1].split("</nav>", 1)[0]
    assert '<a href="/conditions/depression/">Depression</a>' in breadcrumb
    assert "works" in _claim_links(html)
    assert "immediate" not in _claim_links(html) and "lasting" not in _claim_links(html)
    assert "MADRS" not in _section(html, "sof-title")


def test_a_condition_page_on_its_own_names_no_hierarchy(client, kb):
    _about_ptsd(kb)
    response = client.get("/conditions/ptsd/")
    assert response.status_code == 200
    html = response.content.decode()
    assert '<p class="hierarchy">' not in html


# --- condition page: Summary of Findings -------------------------------------------------------------------------


def _finding_rows(html: str) -> list[tuple[str, str]]:
    """(outcome and time point, the rest of the row in words) for each Summary of Findings row."""
    body = _section(html, "sof-title").split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    rows = []
    for row in body.split("<tr>")[1:]:
        head, rest = row.split("</th>", 1)
        rows.append((_words(head), _words(rest)))
    return rows


def test_summary_of_findings_has_a_row_per_outcome_and_time_point_patient_important_outcomes_first(client, db):
    bipolar = ConditionFactory(name="Bipolar depression", slug="bipolar")
    claim = ClaimFactory(text="Ketamine helps bipolar depression", slug="bipolar-helps", verdict="supported")
    claim.conditions.add(bipolar)
    meta = StudyFactory(label="Meta 2022", design="meta_analysis_rct", year=2022)
    trial = StudyFactory(label="Trial 2015", design="rct", year=2015)
    cohort = StudyFactory(label="Registry 2023", design="cohort", year=2023)
    for study in (meta, trial, cohort):
        EvidenceFactory(claim=claim, study=study)

    def estimate(study, outcome, timepoint, participants, measure="risk_ratio", value=2.0):
        excerpt = f"{outcome} at {timepoint}: {value} (95% CI 1.1 to 3.6), n = {participants}."
        return EffectEstimateFactory(
            claim=claim, study=study, condition=bipolar, outcome=outcome, timepoint=timepoint, measure=measure,
            value=value, ci_low=1.1, ci_high=3.6, participants=participants, studies=None, excerpt=excerpt,
        )  # fmt: skip

    estimate(trial, "Blood pressure (systolic)", "30 minutes", 40, measure="mean_change")
    estimate(trial, "Depression severity (MADRS)", "24 hours", 40, measure="mean_difference")
    estimate(trial, "Response", "day 7", 40)
    estimate(trial, "Remission", "24 hours", 40)
    # Three estimates of one outcome at one time point: the meta-analysis is shown, though the registry is larger.
    estimate(trial, "Response", "24 hours", 40, value=1.9)
    estimate(cohort, "Response", "24 hours", 2000, value=1.4)
    estimate(meta, "Response", "24 hours", 600, value=2.2)

    rows = _finding_rows(client.get("/conditions/bipolar/").content.decode())
    assert [head for head, _ in rows] == [
        "Response 24 hours",
        "Response day 7",
        "Remission 24 hours",
        "Depression severity (MADRS) 24 hours",
        "Blood pressure (systolic) 30 minutes",
    ]
    first = rows[0][1]
    assert "Meta 2022" in first and "RR 2.2 (95 % CI 1.1 to 3.6)" in first
    assert "Registry 2023" not in first and "Trial 2015" not in first
    assert "2 more estimates of this outcome and time point" in first
    assert "more estimate" not in rows[1][1]


def test_summary_of_findings_row_shows_certainty_verdict_participants_and_where_the_number_comes_from(client, kb):
    rows = dict(_finding_rows(client.get("/conditions/trd/").content.decode()))
    assert list(rows) == ["Response 24 hours"]
    row = rows["Response 24 hours"]
    assert "RR 3 (95 % CI 1.8 to 5)" in row and "500 (5 studies)" in row
    assert "Moderate certainty" in row and "Supported" in row
    assert "About half respond within a day, against a third on placebo." in row
    html = client.get("/conditions/trd/").content.decode()
    assert '<a href="https://pubmed.example.org/meta" rel="nofollow">source of the number</a>' in html


@pytest.mark.parametrize("status", ["draft", "in_review"])
def test_an_estimate_of_an_unpublished_claim_never_appears_in_a_summary_of_findings(client, kb, status):
    kb["draft"].status = status
    kb["draft"].save()
    for slug in ("depression", "trd"):
        html = client.get(f"/conditions/{slug}/").content.decode()
        assert "Remission" not in _section(html, "sof-title")
        assert "draft-remission" not in html and "brings lasting remission" not in html


# --- condition page: filters and empty states --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "count", "shown"),
    [
        ({"question": "wrong"}, "1 published claim matches.", {"immediate"}),
        ({"question": "risks"}, "1 published claim matches.", {"general-dissociation"}),
        ({"verdict": "supported"}, "2 published claims match.", {"works", "general-dissociation"}),
        ({"grade": "moderate"}, "2 published claims match.", {"works", "immediate"}),
        ({"category": "onset"}, "1 published claim matches.", {"immediate"}),
        ({"grade": "moderate", "verdict": "supported"}, "1 published claim matches.", {"works"}),
        ({"verdict": "contradicted", "category": "efficacy"}, "0 published claims match.", set()),
    ],
)
def test_a_filtered_condition_page_says_how_many_claims_match_and_lists_them(client, kb, query, count, shown):
    html = client.get("/conditions/depression/", query).content.decode()
    result = _section(html, "claims-title")
    assert count in _words(result)
    assert set(_claim_links(result)) == shown


def test_a_condition_with_nothing_published_yet_has_no_page_and_one_with_only_a_measurement_says_so(client, db):
    ocd = ConditionFactory(name="OCD", slug="ocd")
    ClaimFactory(text="Ketamine helps OCD", slug="ocd-draft", status="draft").conditions.add(ocd)
    assert client.get("/conditions/ocd/").status_code == 404  # only a draft is about it: private (claims.public)
    # An estimate of a published claim measured in OCD makes it public; no published claim is about it yet.
    claim, study = ClaimFactory(slug="anxiety-trial"), StudyFactory()
    EvidenceFactory(claim=claim, study=study)
    EffectEstimateFactory(claim=claim, study=study, condition=ocd)
    html = client.get("/conditions/ocd/").content.decode()
    bottom = _words(_section(html, "bottom-line-title"))
    assert "Editors have not yet written a bottom line for OCD" in bottom and "Not reviewed yet." in bottom
    assert "Response" in _words(_section(html, "sof-title"))
    assert "No published claims about OCD yet." in _words(_section(html, "claims-title"))
    assert 'id="q-works"' not in html  # no empty question sections


def test_a_condition_with_claims_but_no_numbers_or_bottom_line_says_which_is_missing(client, kb):
    _about_ptsd(kb)
    html = client.get("/conditions/ptsd/").content.decode()
    assert "Editors have not yet written a bottom line for PTSD" in _words(_section(html, "bottom-line-title"))
    assert "No effect estimate for PTSD is recorded yet" in _words(_section(html, "sof-title"))
    assert "No published claim answers this for PTSD yet." in _words(_section(html, "q-works"))


# --- verdicts beside grades on the lists of disputed claims ------------------------------------------------------


def test_the_home_page_shows_the_verdict_of_each_disputed_claim(client, site_content):
    html = client.get("/").content.decode()
    helps = html.split('href="/claims/ketamine-reduces-ptsd-symptoms/"', 1)[1].split("</li>", 1)[0]
    low_risk = html.split('href="/claims/ketamine-low-risk-side-effects/"', 1)[1].split("</li>", 1)[0]
    assert "✓</span> Supported" in helps and "Low certainty" in helps
    assert "✗</span> Contradicted" in low_risk and "Very low certainty" in low_risk


def test_the_disagreements_page_shows_the_verdict_of_each_disputed_and_conflicting_claim(client, site_content):
    html = client.get(reverse("claims:disagreements")).content.decode()
    helps = html.split('href="/claims/ketamine-reduces-ptsd-symptoms/"', 1)[1].split("</p>", 1)[0]
    assert "✓</span> Supported" in helps
    common = html.split('<a href="/claims/side-effects-common/">', 1)[1].split("</p>", 1)[0]
    assert "–</span> Not assessed yet" in common
    low_risk = html.split('<a href="/claims/ketamine-low-risk-side-effects/">')
    assert len(low_risk) >= 3 and all("✗</span> Contradicted" in part.split("</p>", 1)[0] for part in low_risk[1:])
