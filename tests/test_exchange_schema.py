"""The kb-export format as pydantic models and JSON Schema: the published schema matches the models, real
documents fit it, and every malformed file is refused with its problems by place, the same on SQLite and
PostgreSQL, with nothing written."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from claims.exchange import ImportRefused, export_document, import_document
from claims.exchange_schema import RECORDS, SCHEMA_PATH, Document, json_schema, json_schema_text
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

ROOT = Path(__file__).resolve().parent.parent
ALL_MODELS = [Source, Study, Condition, Claim, Evidence, Assertion, EffectEstimate]


def _counts() -> list[int]:
    return [model.objects.count() for model in ALL_MODELS]


@pytest.fixture
def fixture_document() -> dict:
    return json.loads((ROOT / "fixtures" / "kb.json").read_text(encoding="utf-8"))


@pytest.fixture
def document(db) -> dict:
    """A small knowledge base exported, then emptied: the document imports into an empty database."""
    ptsd = ConditionFactory(name="PTSD", slug="ptsd")
    study = StudyFactory(label="Feder et al. 2014", slug="feder-2014", doi="10.1001/jamapsychiatry.2014.62", pmid=1)
    claim = ClaimFactory(slug="ketamine-helps-ptsd", verdict="partly_supported")
    claim.conditions.add(ptsd)
    claim.tags.add("ptsd")
    EvidenceFactory(claim=claim, study=study, direction="supports")
    AssertionFactory(claim=claim, source=SourceFactory(slug="blog"))
    EffectEstimateFactory(claim=claim, study=study)
    doc = export_document()
    Condition.objects.update(parent=None)
    for model in reversed(ALL_MODELS):
        model.objects.all().delete()
    return doc


def _refused(doc) -> list[str]:
    with pytest.raises(ImportRefused) as refused:
        import_document(doc)
    assert "nothing was written" in str(refused.value)
    return refused.value.errors


# --- the published schema ---------------------------------------------------------------------------------------


def test_the_checked_in_json_schema_is_the_one_the_models_generate():
    checked_in = (ROOT / SCHEMA_PATH).read_text(encoding="utf-8")
    assert checked_in == json_schema_text(), f"{SCHEMA_PATH} is out of date: run `make schema`"


def test_the_schema_command_rewrites_a_stale_file_and_its_check_fails_until_then(tmp_path):
    path = tmp_path / "kb-export.schema.json"
    path.write_text("{}\n", encoding="utf-8")
    with pytest.raises(CommandError, match="not up to date"):
        call_command("kb_export_schema", output=str(path), check=True)
    call_command("kb_export_schema", output=str(path))
    assert path.read_text(encoding="utf-8") == json_schema_text()
    call_command("kb_export_schema", output=str(path), check=True)


def test_the_fixture_fits_the_models_and_the_published_schema(fixture_document):
    Document.model_validate(fixture_document, strict=True)
    jsonschema = pytest.importorskip("jsonschema")
    jsonschema.Draft202012Validator.check_schema(json_schema())
    jsonschema.Draft202012Validator(json_schema()).validate(fixture_document)


def test_a_standard_validator_refuses_with_the_schema_what_the_importer_refuses(document):
    jsonschema = pytest.importorskip("jsonschema")
    validator = jsonschema.Draft202012Validator(json_schema())
    for mutate in (
        lambda d: d["claims"][0].update(grade="medium"),
        lambda d: d["claims"][0].update(tags=["x" * 300]),
        lambda d: d["claims"][0].update(text="a\x00b"),
        lambda d: d["studies"][0].update(slug="not a slug"),
        lambda d: d.update(claims=5),
    ):
        doc = copy.deepcopy(document)
        mutate(doc)
        assert list(validator.iter_errors(doc)), doc
        with pytest.raises(ImportRefused):
            import_document(doc)


def test_every_key_the_export_writes_is_described_by_the_schema(document):
    properties = {key: set(model.model_fields) for key, model in RECORDS.items()}
    for key, records in document.items():
        if key in RECORDS:
            assert records, key
            assert {name for record in records for name in record} == properties[key], key


def test_the_api_and_the_exchange_format_share_their_enumerations(client, db):
    openapi = client.get("/api/openapi.json").json()["components"]["schemas"]
    exchange = json_schema()["$defs"]
    assert (
        openapi["ClaimOut"]["properties"]["verdict"]["enum"] == exchange["ClaimRecord"]["properties"]["verdict"]["enum"]
    )
    assert (
        openapi["EstimateOut"]["properties"]["measure"]["enum"]
        == (exchange["EffectEstimateRecord"]["properties"]["measure"]["enum"])
    )


# --- malformed files: every problem by place, nothing written, on both databases ---------------------------------


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (lambda d: d.update(claims=5), ["claims: must be a list, got an integer"]),
        (
            lambda d: d.update(conditions=[{}]),
            ["conditions[0].id: is required", "conditions[0].slug: is required", "conditions[0].name: is required"],
        ),
        (
            lambda d: d["claims"][0].update(conditions=[{}]),
            ["claims[0].conditions[0]: must be a string, got an object"],
        ),
        (
            lambda d: d["claims"][0]["evidence"][0].update(study=[1]),
            ["claims[0].evidence[0].study: must be an integer"],
        ),
        (lambda d: d["sources"].insert(0, "blog"), ["sources[0]: must be an object, got a string"]),
        (lambda d: d["claims"][0].update(text="Ketamine\x00helps"), ["claims[0].text: contains a NUL character"]),
        (lambda d: d["claims"][0].update(tags=["x" * 300]), ["claims[0].tags[0]: is longer than 100 characters"]),
        (lambda d: d["claims"][0].update(tags=[" "]), ["claims[0].tags[0]: is required"]),
        (lambda d: d["conditions"][0].update(aliases=["a\ud800"]), ["conditions[0].aliases[0]: contains an unpaired"]),
        (lambda d: d["sources"][0].update(text="é" * (1024 * 1024 + 1)), ["sources[0].text: is 2.0 MB; an archived"]),
        (lambda d: d["studies"][0].update(slug="Feder 2014"), ["studies[0].slug: 'Feder 2014' is not a slug"]),
        (lambda d: d["sources"][0].update(url="example.org/page"), ["sources[0].url: 'example.org/page' is not a URL"]),
        (lambda d: d["effect_estimates"][0].update(outcome="o" * 121), ["effect_estimates[0].outcome: is longer than"]),
        (
            lambda d: d["effect_estimates"][0].update(value=float("nan")),
            ["effect_estimates[0].value: must be a finite"],
        ),
        (lambda d: d["effect_estimates"][0].update(value=True), ["effect_estimates[0].value: must be a number"]),
        (lambda d: d["assertions"][0].update(offset=2**40), ["assertions[0].offset: must be at most 2147483647"]),
        (lambda d: d["studies"][0].update(year=40000), ["studies[0].year: must be at most 32767"]),
        (lambda d: d["claims"][0].update(published_at="yesterday"), ["'yesterday' is not an ISO date-time"]),
        (lambda d: d.update(version=True), ["version: must be one of 1, 2"]),
        (lambda d: d["claims"].append(copy.deepcopy(d["claims"][0])), ["claims[1].id: ", "claims[1].slug: slug"]),
    ],
)
def test_a_malformed_file_is_refused_with_each_problem_by_place(document, mutate, expected):
    mutate(document)
    errors = _refused(document)
    for text in expected:
        assert any(error.startswith(text) or text in error for error in errors), (text, errors)
    assert sum(_counts()) == 0


def test_a_collection_that_is_not_a_list_is_one_problem_not_one_per_reference_to_it(document):
    document["claims"] = 5
    assert _refused(document) == ["claims: must be a list, got an integer"]


def test_a_source_text_larger_than_the_article_importer_takes_is_refused(document):
    document["sources"][0]["text"] = "a" * (3 * 1024 * 1024)
    assert _refused(document) == [
        "sources[0].text: is 3.0 MB; an archived text may have at most 2 MB, as for the article importer"
    ]


def test_a_file_that_is_not_an_object_is_refused():
    assert _refused([1, 2]) == ["document: must be an object, got a list"]


def test_all_the_problems_of_a_file_are_listed_at_once(document):
    document["claims"][0].update(grade="medium", tags=["x" * 300])
    document["studies"][0]["doi"] = "doi-less"
    document["assertions"][0]["claim"] = 9999
    errors = _refused(document)
    assert [e.split(":")[0] for e in errors] == [
        "studies[0].doi",
        "claims[0].grade",
        "claims[0].tags[0]",
        "assertions[0].claim",
    ]


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (
            lambda d: d["studies"][0].update(slug="feder-2014-copy"),
            "studies[0].doi: DOI '10.1001/jamapsychiatry.2014.62' belongs to the study 'feder-2014' already in the "
            "knowledge base",
        ),
        (
            lambda d: d["studies"][0].update(slug="feder-2014-copy", doi=""),
            "studies[0].label: label 'Feder et al. 2014'",
        ),
        (
            lambda d: d["studies"][0].update(slug="feder-2014-copy", doi="", label="Other"),
            "studies[0].pmid: PMID 1 belongs to the study 'feder-2014'",
        ),
        (
            lambda d: d["conditions"][0].update(slug="ptsd-2"),
            "conditions[0].name: name 'PTSD' belongs to the condition",
        ),
    ],
)
def test_a_new_slug_whose_unique_value_another_record_holds_is_refused_not_a_database_error(document, mutate, expected):
    import_document(copy.deepcopy(document))
    before = export_document()
    mutate(document)
    assert any(error.startswith(expected) for error in _refused(document)), expected
    assert export_document() == before


def test_a_record_that_moves_its_unique_value_to_another_in_the_same_file_imports(document):
    import_document(copy.deepcopy(document))
    study = document["studies"][0]
    document["studies"] = [
        dict(study, doi="10.1000/moved"),
        dict(study, id=study["id"] + 1, slug="feder-2014-b", label="Feder B", pmid=None),
    ]
    import_document(document)
    assert Study.objects.get(slug="feder-2014-b").doi == "10.1001/jamapsychiatry.2014.62"


def test_the_import_command_lists_the_problems_and_writes_nothing(document, tmp_path):
    document["claims"][0]["text"] = "nul\x00"
    document["claims"][0]["evidence"][0]["study"] = [1]
    path = tmp_path / "kb.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    with pytest.raises(CommandError) as refused:
        call_command("import_kb", str(path))
    message = str(refused.value)
    assert "nothing was written" in message
    assert "- claims[0].text: contains a NUL character" in message
    assert "- claims[0].evidence[0].study: must be an integer, got [1]" in message
    assert sum(_counts()) == 0


def test_a_database_error_while_writing_is_refused_by_place_and_rolled_back(document, monkeypatch):
    """Should validation ever miss a constraint, the database's refusal still ends in the same clear answer."""
    from claims import exchange

    import_document(copy.deepcopy(document))
    before = _counts()
    monkeypatch.setattr(exchange, "_check_database", lambda *args: None)
    document["sources"][0]["title"] = "Written before the failure"
    document["studies"][0]["slug"] = "feder-2014-copy"
    errors = _refused(document)
    assert errors[0].startswith("studies[0]: the database refused it")
    assert _counts() == before and not Source.objects.filter(title="Written before the failure").exists()
