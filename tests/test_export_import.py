"""The kb-export document: export, import in one transaction, clear refusals, identical round trips."""

from __future__ import annotations

import copy
import json

import pytest
from django.core.management import CommandError, call_command

from claims.exchange import ImportRefused, export_document, import_document
from claims.models import Assertion, Claim, Condition, EffectEstimate, Evidence
from sources.models import Source, Study
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

ALL_MODELS = [Source, Study, Condition, Claim, Evidence, Assertion, EffectEstimate]


def _counts() -> list[int]:
    return [model.objects.count() for model in ALL_MODELS]


def _wipe() -> None:
    Condition.objects.update(parent=None)  # a condition within another protects its parent from deletion
    for model in reversed(ALL_MODELS):
        model.objects.all().delete()


@pytest.fixture
def populated():
    anxiety = ConditionFactory(name="Anxiety disorders", slug="anxiety")
    ptsd = ConditionFactory(
        name="PTSD", slug="ptsd", aliases=["post-traumatic stress disorder"], parent=anxiety,
        bottom_line="Small trials only.", bottom_line_draft="Small trials only.", bottom_line_status="published",
    )  # fmt: skip
    ptsd.related.add(ConditionFactory(name="Depression", slug="depression"))
    study = StudyFactory(label="Feder et al. 2014", doi="10.1001/jamapsychiatry.2014.62", pmid=24740528)
    claim = ClaimFactory(
        slug="ketamine-helps-ptsd", category="efficacy", grade="low", rationale="**Small** trials.",
        verdict="partly_supported", summary="Helps some people for a few days.",
    )  # fmt: skip
    other = ClaimFactory(slug="ketamine-does-not-help-ptsd")
    claim.conditions.add(ptsd)
    claim.tags.add("ptsd", "infusion")
    claim.conflicting_claims.add(other)
    EvidenceFactory(claim=claim, study=study, direction="supports", note="Crossover vs midazolam.")
    source = SourceFactory(slug="blog", commercial_interest=True, commercial_interest_note="Links a clinic.")
    AssertionFactory(
        claim=claim,
        source=source,
        quote="Its effects typically begin within a few hours.",
        offset=56,
        stance="qualifies",
        cited_study=study,
        citation_fidelity="overstated",
        fidelity_note="The trial measured 24 hours.",
    )
    EffectEstimateFactory(claim=claim, study=study)
    return claim


def test_export_has_the_documented_keys_and_stored_enumeration_values(populated):
    doc = export_document()
    assert doc["format"] == "kb-export" and doc["version"] == 2
    claim = next(c for c in doc["claims"] if c["slug"] == "ketamine-helps-ptsd")
    assert claim["conditions"] == ["ptsd"]
    assert claim["tags"] == ["infusion", "ptsd"]
    assert claim["evidence"][0]["direction"] == "supports"
    assertion = doc["assertions"][0]
    assert {"id", "claim", "source", "quote", "offset", "stance", "cited_study", "citation_fidelity"} <= set(assertion)
    assert assertion["stance"] == "qualifies" and assertion["citation_fidelity"] == "overstated"
    assert doc["studies"][0]["pmid"] == "24740528"
    assert claim["verdict"] == "partly_supported" and claim["summary"] == "Helps some people for a few days."
    condition = next(c for c in doc["conditions"] if c["slug"] == "ptsd")
    assert condition["parent"] == "anxiety" and condition["bottom_line"] == "Small trials only."
    assert condition["related"] == ["depression"]
    assert next(c for c in doc["conditions"] if c["slug"] == "depression")["related"] == ["ptsd"]
    estimate = doc["effect_estimates"][0]
    assert estimate["study"] == doc["studies"][0]["id"] and estimate["claim"] == claim["id"]
    assert (estimate["measure"], estimate["value"], estimate["ci_low"], estimate["ci_high"]) == (
        "odds_ratio",
        3.5,
        2.1,
        5.8,
    )
    assert estimate["excerpt_url"] == "https://example.org/review"


def test_a_version_1_document_still_imports_with_the_new_fields_at_their_defaults(populated):
    doc = export_document()
    doc["version"] = 1
    del doc["effect_estimates"]
    for record in doc["claims"]:
        for name in ("verdict", "summary", "applies_generally", "reviewed_at", "reviewed_role"):
            del record[name]
    for record in doc["conditions"]:
        for name in ("parent", "related", "bottom_line", "bottom_line_draft", "bottom_line_status", "reviewed_at"):
            del record[name]
    _wipe()
    import_document(doc)
    claim = Claim.objects.get(slug="ketamine-helps-ptsd")
    assert claim.verdict == "not_assessed" and claim.summary == ""
    assert Condition.objects.get(slug="ptsd").parent is None
    assert not EffectEstimate.objects.exists()


def test_export_import_into_an_empty_database_then_export_again_is_identical(populated):
    first = export_document()
    _wipe()
    assert sum(_counts()) == 0
    import_document(copy.deepcopy(first))
    assert export_document() == first


def test_importing_the_same_document_twice_duplicates_nothing(populated):
    doc = export_document()
    before = _counts()
    result = import_document(doc)
    assert _counts() == before
    assert result.created == {}


def test_import_updates_a_matching_record_in_place(populated):
    doc = export_document()
    doc["claims"][0]["grade"] = "very_low"
    import_document(doc)
    assert Claim.objects.get(slug=doc["claims"][0]["slug"]).grade == "very_low"


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda d: d.update(format="something-else"), "format"),
        (lambda d: d["claims"][0].update(grade="medium"), "claims[0].grade: 'medium' is not one of"),
        (lambda d: d["studies"][0].update(doi="doi-less"), "studies[0].doi"),
        (lambda d: d["studies"][0].update(pmid="PMID123"), "studies[0].pmid"),
        (lambda d: d["assertions"][0].update(quote="Words the article never wrote."), "assertions[0].offset"),
        (lambda d: d["assertions"][0].update(claim=9999), "assertions[0].claim"),
        (lambda d: d["claims"][0].update(conditions=["nope"]), "unknown condition 'nope'"),
        (lambda d: d["sources"].append(dict(d["sources"][0], id=999)), "slug 'blog' is used twice"),
        (lambda d: d.update(version=3), "version: must be one of 1, 2"),
        (
            lambda d: d["effect_estimates"][0].update(value=4.2),
            "effect_estimates[0].value: The excerpt does not contain the value 4.2",
        ),
        (
            lambda d: d["effect_estimates"][0].update(ci_low=4.0, ci_high=5.8, value=3.5),
            "effect_estimates[0].ci_low: The CI 4 to 5.8 does not contain the value 3.5",
        ),
        (lambda d: d["effect_estimates"][0].update(participants=-120), "effect_estimates[0].participants"),
        (
            lambda d: d["claims"][1].update(verdict="supported"),
            "claims[1].verdict: a claim with no evidence cannot be 'supported'",
        ),
        (
            lambda d: d["conditions"][0].update(parent="ptsd"),
            "conditions[0].parent: 'ptsd' would make 'anxiety' its own ancestor",
        ),
        (lambda d: d["conditions"][1].update(parent="ptsd"), "would make 'ptsd' its own ancestor"),
        (lambda d: d["conditions"][1].update(related=["nowhere"]), "conditions[1].related: 'nowhere' is not another"),
        (lambda d: d["effect_estimates"][0].update(claim=d["claims"][1]["id"]), "not in this claim's evidence"),
    ],
)
def test_a_malformed_document_is_refused_with_its_place_and_nothing_is_written(populated, mutate, message):
    doc = export_document()
    _wipe()
    mutate(doc)
    with pytest.raises(ImportRefused) as excinfo:
        import_document(doc)
    assert message in str(excinfo.value)
    assert "nothing was written" in str(excinfo.value)
    assert sum(_counts()) == 0


def test_a_late_failure_rolls_back_everything_written_before_it(populated, monkeypatch):
    doc = export_document()
    _wipe()
    from claims import exchange

    real_upsert = exchange._upsert

    def failing_upsert(model, *args, **kwargs):
        if model is Assertion:
            raise ImportRefused(["simulated failure while writing assertions"])
        return real_upsert(model, *args, **kwargs)

    monkeypatch.setattr(exchange, "_upsert", failing_upsert)
    with pytest.raises(ImportRefused):
        import_document(doc)
    assert sum(_counts()) == 0


def test_export_and_import_commands_round_trip_through_a_file(populated, tmp_path):
    path = tmp_path / "kb.json"
    call_command("export_kb", output=str(path))
    first = path.read_text(encoding="utf-8")
    _wipe()
    call_command("import_kb", str(path))
    call_command("export_kb", output=str(path))
    assert path.read_text(encoding="utf-8") == first


def test_import_command_refuses_invalid_json_with_its_position(tmp_path):
    path = tmp_path / "broken.json"
    path.write_text('{"format": "kb-export", ', encoding="utf-8")
    with pytest.raises(CommandError, match=r"not valid JSON \(line 1"):
        call_command("import_kb", str(path))


def test_import_command_refuses_binary_data(tmp_path):
    path = tmp_path / "binary.json"
    path.write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(CommandError, match="not UTF-8"):
        call_command("import_kb", str(path))


def test_import_command_names_a_missing_file():
    with pytest.raises(CommandError, match="no such file"):
        call_command("import_kb", "/nonexistent/kb.json")


def test_import_if_empty_leaves_an_existing_knowledge_base_alone(populated, tmp_path):
    doc = export_document()
    doc["claims"][0]["text"] = "Changed in the file"
    path = tmp_path / "kb.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    call_command("import_kb", str(path), if_empty=True)
    assert not Claim.objects.filter(text="Changed in the file").exists()
