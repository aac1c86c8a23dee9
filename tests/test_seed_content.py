"""The seed content: five articles taken apart, quoted verbatim, cited, graded — checked as data."""

from __future__ import annotations

import copy
import io
import json
import re
from collections import Counter, defaultdict
from pathlib import Path

import pytest
from django.core.management import call_command

from claims.exchange import export_document, import_document
from claims.grading import Judgments, starting_level_for_designs, suggested_level
from claims.models import Assertion, Claim, Condition, EffectEstimate, Evidence
from claims.seed import build_document
from sources.models import DOI_PATTERN, Source, Study

ROOT = Path(__file__).resolve().parent.parent
FIXTURE = ROOT / "fixtures" / "kb.json"
SEEDS = ROOT / "fixtures" / "seed" / "texts"


@pytest.fixture(scope="module")
def doc() -> dict:
    return json.loads(FIXTURE.read_text(encoding="utf-8"))


def test_the_fixture_is_exactly_what_the_authoring_files_build(doc):
    assert build_document() == doc, "run `make fixture` after editing fixtures/seed/*.json"


def test_the_five_sources_archive_their_seed_files_unchanged(doc):
    assert len(doc["sources"]) == 5
    for source in doc["sources"]:
        path = SEEDS / source["archive_name"]
        assert source["text"] == path.read_text(encoding="utf-8")
        assert source["title"] and source["kind"]
    assert sorted(p.name for p in SEEDS.iterdir()) == sorted(s["archive_name"] for s in doc["sources"])


def test_commercial_interest_is_recorded_where_the_text_shows_it(doc):
    flagged = {s["archive_name"][:3] for s in doc["sources"] if s["commercial_interest"]}
    assert {"002", "004"} <= flagged
    for source in doc["sources"]:
        if source["commercial_interest"]:
            assert source["commercial_interest_note"]


def test_every_quote_is_verbatim_at_its_offset(doc):
    texts = {s["id"]: s["text"] for s in doc["sources"]}
    for a in doc["assertions"]:
        assert "\n" not in a["quote"]
        assert texts[a["source"]][a["offset"] : a["offset"] + len(a["quote"])] == a["quote"], a


def test_every_reference_resolves_and_identifiers_are_valid_and_unique(doc):
    claims = {c["id"] for c in doc["claims"]}
    sources = {s["id"] for s in doc["sources"]}
    studies = {s["id"]: s for s in doc["studies"]}
    for a in doc["assertions"]:
        assert a["claim"] in claims and a["source"] in sources
        assert a["cited_study"] is None or a["cited_study"] in studies
    for c in doc["claims"]:
        for e in c["evidence"]:
            assert e["study"] in studies
    dois = [s["doi"] for s in studies.values() if s["doi"]]
    pmids = [s["pmid"] for s in studies.values() if s["pmid"]]
    assert all(re.match(DOI_PATTERN, d) for d in dois)
    assert all(p.isdigit() for p in pmids)
    assert len(dois) == len({d.lower() for d in dois}) and len(pmids) == len(set(pmids))


def test_rationales_and_notes_name_articles_by_a_link_a_reader_can_follow(doc):
    """The editors refer to the seed articles by number ("article 004"); readers see titles, so every such
    number links to the article's page, and every link names a real source."""
    slugs = {source["slug"] for source in doc["sources"]}
    texts = [claim["rationale"] for claim in doc["claims"]] + [source["notes"] for source in doc["sources"]]
    links = [slug for text in texts for slug in re.findall(r"\]\(/sources/([^/)]+)/\)", text)]
    assert len(links) > 100 and set(links) <= slugs
    for text in texts:
        unlinked = re.findall(r"\b[Aa]rticles? \d{3}\b|(?<=[ (–])00[0-4](?![\d\]])", text)
        assert not unlinked, text[:80]


def test_every_sentence_was_read_enough_claims_and_assertions(doc):
    assert 80 <= len(doc["claims"]) <= 110
    assert len(doc["assertions"]) > 250
    per_source = Counter(a["source"] for a in doc["assertions"])
    assert all(per_source[s["id"]] >= 30 for s in doc["sources"])
    asserted = {a["claim"] for a in doc["assertions"]}
    # Every claim is stated by a source, except what the articles leave out: claims about ketamine in general that
    # editors added from the evidence (published, with studies behind them) so that readers see the silence.
    silent = [c for c in doc["claims"] if c["id"] not in asserted]
    for claim in silent:
        assert claim["applies_generally"] and claim["status"] == "published" and claim["evidence"], claim["slug"]


def test_the_cited_studies_are_recorded_with_their_fidelity(doc):
    studies = {s["id"]: s for s in doc["studies"]}
    cited = {studies[a["cited_study"]]["label"] for a in doc["assertions"] if a["cited_study"]}
    for label in ("Zarate et al. 2006", "Feder et al. 2014", "Caddy et al. 2015"):
        assert any(c.startswith(label) for c in cited), label
    for a in doc["assertions"]:
        if a["cited_study"]:
            # Checked, or explicitly left unchecked with a note saying what could not be confirmed.
            assert a["fidelity_note"], a
    caddy = [
        a for a in doc["assertions"] if a["cited_study"] and studies[a["cited_study"]]["label"].startswith("Caddy")
    ]
    assert caddy and all(a["citation_fidelity"] == "wrong_study" for a in caddy)  # a depression review, not suicide
    zarate = [
        a for a in doc["assertions"] if a["cited_study"] and studies[a["cited_study"]]["label"].startswith("Zarate")
    ]
    assert any(a["citation_fidelity"] == "misattributed" for a in zarate)  # wrong journal in article 003
    assert studies[zarate[0]["cited_study"]]["journal"] == "Archives of General Psychiatry"


def test_disagreements_between_articles_are_in_the_data(doc):
    claims = {c["slug"]: c for c in doc["claims"]}
    stances = defaultdict(Counter)
    for a in doc["assertions"]:
        stances[a["claim"]][a["stance"]] += 1

    def disputed(slug: str) -> bool:
        s = stances[claims[slug]["id"]]
        return s["supports"] > 0 and (s["contradicts"] + s["qualifies"]) > 0

    by_id = {c["id"]: c["slug"] for c in doc["claims"]}
    conflicts = {(c["slug"], by_id[o]) for c in doc["claims"] for o in c["conflicts_with"]}
    # how ketamine acts on glutamate; how fast it starts; how long it lasts; how safe; where it may be given
    assert ("ketamine-inhibits-glutamate-activity", "ketamine-increases-glutamate-release") in conflicts
    assert disputed("onset-within-hours") and disputed("onset-immediate")
    assert disputed("long-lasting-antidepressant-effect")
    assert disputed("low-side-effect-risk-vs-antidepressants")
    assert ("clinical-setting-under-supervision-only", "at-home-self-administration") in conflicts


def test_an_article_contradicting_itself_shows_it(doc):
    per_claim_source = defaultdict(set)
    for a in doc["assertions"]:
        per_claim_source[(a["claim"], a["source"])].add(a["stance"])
    assert any("supports" in s and len(s) > 1 for s in per_claim_source.values())


def test_every_claim_is_graded_published_and_explained(doc):
    studies = {s["id"]: s for s in doc["studies"]}
    for c in doc["claims"]:
        assert c["status"] == "published" and len(c["rationale"]) > 200, c["slug"]
        assert c["verdict"] != "not_assessed", c["slug"]
        if c["statement_type"] == "good_practice":
            # Not rated for certainty (GRADE rates effects), and its rationale says why.
            assert c["grade"] == "not_graded" and "good-practice statement" in c["rationale"], c["slug"]
            continue
        assert c["grade"] != "not_graded", c["slug"]
        designs = [studies[e["study"]]["design"] for e in c["evidence"]]
        assert c["starting_level"] == starting_level_for_designs(designs), c["slug"]
        suggested = suggested_level(
            Judgments(
                starting_level=c["starting_level"],
                risk_of_bias=c["risk_of_bias"],
                inconsistency=c["inconsistency"],
                indirectness=c["indirectness"],
                imprecision=c["imprecision"],
                publication_bias=c["publication_bias"],
                large_effect=c["large_effect"],
                dose_response=c["dose_response"],
                plausible_confounding=c["plausible_confounding"],
            )
        )
        assert c["grade"] == suggested or c["grade_override_reason"], c["slug"]
        if not c["evidence"]:
            assert c["grade"] == "very_low", c["slug"]


def test_conditions_cover_what_the_articles_mention(doc):
    slugs = {c["slug"] for c in doc["conditions"]}
    assert {"ptsd", "depression", "treatment-resistant-depression", "chronic-pain", "ocd", "suicidal-ideation"} <= slugs
    assert all(c["aliases"] for c in doc["conditions"])


@pytest.mark.django_db
def test_the_fixture_loads_and_round_trips_identically(doc):
    import_document(copy.deepcopy(doc))
    assert Source.objects.count() == 5 and Claim.objects.count() == len(doc["claims"])
    first = export_document()
    assert first == doc
    EffectEstimate.objects.all().delete()
    Condition.objects.update(parent=None)  # a condition within another protects its parent from deletion
    for model in (Assertion, Evidence, Claim, Condition, Study, Source):
        model.objects.all().delete()
    import_document(copy.deepcopy(first))
    assert export_document() == first


@pytest.mark.django_db
def test_kb_report_numbers_match_the_fixture(doc):
    import_document(copy.deepcopy(doc))
    out = io.StringIO()
    call_command("kb_report", stdout=out)
    report = out.getvalue()
    for source in doc["sources"]:
        mine = [a for a in doc["assertions"] if a["source"] == source["id"]]
        stances = Counter(a["stance"] for a in mine)
        line = (
            f"claims {len({a['claim'] for a in mine})} · assertions {len(mine)} · supports {stances['supports']}"
            f" · contradicts {stances['contradicts']} · qualifies {stances['qualifies']}"
        )
        block = report.split(f"[{source['slug']}]")[1].split("\n- ")[0]
        assert line in block
        assert f"citations {sum(1 for a in mine if a['cited_study'])}" in block
    grades = Counter(c["grade"] for c in doc["claims"])
    all_row = next(line for line in report.splitlines() if line.strip().startswith("all "))
    assert all_row.split()[1:] == [str(grades[g]) for g in ("high", "moderate", "low", "very_low", "not_graded")] + [
        str(len(doc["claims"]))
    ]
    assert "WHERE SOURCES DISAGREE" in report and "misattributed" in report
    # The silences: every published claim no article states is listed, and counted.
    stated = {a["claim"] for a in doc["assertions"]}
    silent = [c for c in doc["claims"] if c["status"] == "published" and c["id"] not in stated]
    assert f"WHAT THE ARTICLES LEAVE OUT ({len(silent)} published claims no source states)" in report
    for claim in silent:
        assert f"[{claim['slug']}]" in report.split("WHAT THE ARTICLES LEAVE OUT")[1].split("WHERE SOURCES")[0]
    verdicts = Counter(c["verdict"] for c in doc["claims"])
    assert f"verdicts: supported {verdicts['supported']}, partly_supported {verdicts['partly_supported']}" in report


def test_each_rationale_names_its_evidence_and_only_its_evidence(doc):
    """A rationale that names a study missing from the claim's evidence, or evidence it never mentions, is out of
    step with the evidence base readers see: every study named (by its label) is in the evidence, and every study in
    the evidence is named (by its first author or agency and its year)."""
    studies = {s["id"]: s for s in doc["studies"]}
    labels = {s["id"]: s["label"].split(" (")[0] for s in doc["studies"]}
    for claim in doc["claims"]:
        evidence = {e["study"] for e in claim["evidence"]}
        rationale = claim["rationale"]
        named = {pk for pk, label in labels.items() if label in rationale}
        assert named <= evidence, (claim["slug"], [labels[pk] for pk in named - evidence])
        for pk in evidence:
            study = studies[pk]
            first, year = study["label"].split()[0], str(study["year"] or "")
            assert first in rationale and year in rationale, (claim["slug"], study["label"])


def test_every_study_says_how_it_was_checked_and_flags_weak_pages(doc):
    for study in doc["studies"]:
        assert study["verified_from"].strip(), study["label"]
    # Records confirmed only by a weak page say so where readers see it (the study page shows verified_from).
    assert any("weak page" in s["verified_from"].lower() for s in doc["studies"])


def test_the_seed_relates_suicidal_ideation_and_depression_both_ways(doc):
    related = {c["slug"]: c["related"] for c in doc["conditions"]}
    assert "depression" in related["suicidal-ideation"] and "suicidal-ideation" in related["depression"]
