"""The ``kb-export`` document as pydantic models: the shape of every record, published as JSON Schema.

These models check what one record can say about itself: types, required fields, enumerations, lengths, dates,
DOIs, URLs, and that every string can be stored by both databases (no NUL character, no unpaired surrogate, no
more characters than its column holds). What needs several records or the database (references, duplicates,
quotes at their offsets, parent cycles, estimates traced to their excerpts) is checked by ``claims.exchange``.

The enumerations are shared with the API's schemas (``api/schemas.py``). ``docs/kb-export.schema.json`` is
generated from ``Document``: ``python manage.py kb_export_schema`` (``make schema``) rewrites it, and a test fails
when it differs from the models.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Annotated, Any, Literal

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import URLValidator
from django.db import models
from django.utils.dateparse import parse_date, parse_datetime
from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, model_validator
from pydantic_core import PydanticCustomError
from taggit.models import Tag

from claims.models import (
    Assertion,
    Category,
    Claim,
    Concern,
    Condition,
    Direction,
    EffectEstimate,
    Fidelity,
    Grade,
    LargeEffect,
    Measure,
    ReviewerRole,
    Stance,
    StartingLevel,
    StatementType,
    Status,
    Verdict,
)
from importer.text import MAX_BYTES as SOURCE_TEXT_MAX_BYTES
from sources.models import DOI_PATTERN, Source, SourceKind, Study, StudyDesign, normalize_doi

FORMAT = "kb-export"
VERSION = 2
READABLE_VERSIONS = (1, 2)  # version 1 has no verdicts, hierarchy, bottom lines or effect estimates
SCHEMA_PATH = "docs/kb-export.schema.json"

# --- the vocabulary: stored values of the enumerations (shared with the API) ---------------------------------

CategoryValue = Literal[tuple(Category.values)]
GradeValue = Literal[tuple(Grade.values)]
VerdictValue = Literal[tuple(Verdict.values)]
StatementTypeValue = Literal[tuple(StatementType.values)]
ConcernValue = Literal[tuple(Concern.values)]
StartingLevelValue = Literal[tuple(StartingLevel.values)]
LargeEffectValue = Literal[tuple(LargeEffect.values)]
StatusValue = Literal[tuple(Status.values)]
ReviewerRoleValue = Literal[("", *ReviewerRole.values)]
DirectionValue = Literal[tuple(Direction.values)]
StanceValue = Literal[tuple(Stance.values)]
FidelityValue = Literal[tuple(Fidelity.values)]
MeasureValue = Literal[tuple(Measure.values)]
SourceKindValue = Literal[tuple(SourceKind.values)]
StudyDesignValue = Literal[tuple(StudyDesign.values)]

# --- strings both databases can store -----------------------------------------------------------------------

# PostgreSQL's integer columns; SQLite would take more and PostgreSQL then refuses the same file.
INT_MAX = 2**31 - 1
SMALLINT_MAX = 2**15 - 1
BIGINT_MAX = 2**63 - 1
_SLUG = re.compile(r"[-a-zA-Z0-9_]+")
_url_validator = URLValidator()


def _length(model: type[models.Model], name: str) -> int:
    """The column's length, so that the schema and the database agree by construction."""
    return model._meta.get_field(name).max_length


class _Extra:
    """Adds keywords to a type's JSON Schema (what an AfterValidator checks is invisible to the generator)."""

    def __init__(self, **keywords: Any) -> None:
        self.keywords = keywords

    def __get_pydantic_json_schema__(self, core_schema, handler):
        schema = handler(core_schema)
        schema.update(self.keywords)
        return schema


def shown(value: Any, limit: int = 60) -> str:
    """A value as a message quotes it: its repr, cut short (a refused value may be a whole article)."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _null_is_empty(value: Any) -> Any:
    # Hand-written files may give null for an empty text; the export never does.
    return "" if value is None else value


def _storable(value: str) -> str:
    if "\x00" in value:
        raise PydanticCustomError("nul_character", "contains a NUL character (\\u0000), which PostgreSQL cannot store")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise PydanticCustomError(
            "surrogate",
            "contains an unpaired surrogate ({char}), which is not text",
            {"char": ascii(exc.object[exc.start])},
        ) from None
    return value


def _not_blank(value: str) -> str:
    if not value.strip():
        raise PydanticCustomError("blank", "is required")
    return value


def _slug(value: str) -> str:
    _not_blank(value)
    if not _SLUG.fullmatch(value):
        raise PydanticCustomError(
            "slug", "{value} is not a slug (letters, digits, hyphens, underscores)", {"value": shown(value)}
        )
    return value


def _url(value: str) -> str:
    if value:
        try:
            _url_validator(value)
        except DjangoValidationError:
            raise PydanticCustomError("url", "{value} is not a URL", {"value": shown(value)}) from None
    return value


def _doi(value: str) -> str:
    value = normalize_doi(value)
    if value and not re.match(DOI_PATTERN, value):
        raise PydanticCustomError("doi", "{value} is not a DOI (10.NNNN/…)", {"value": shown(value)})
    return value


def _archived_text(value: str) -> str:
    size = len(value.encode("utf-8"))
    if size > SOURCE_TEXT_MAX_BYTES:
        raise PydanticCustomError(
            "text_too_large",
            "is {size} MB; an archived text may have at most {limit} MB, as for the article importer",
            {"size": f"{size / 1048576:.1f}", "limit": SOURCE_TEXT_MAX_BYTES // 1048576},
        )
    return value


_NO_NUL = _Extra(pattern="^[^\\u0000]*$")


def Text(max_length: int | None = None, *, required: bool = False, description: str | None = None) -> Any:  # noqa: N802
    """A string (null is read as ""); ``required`` refuses an empty or blank one."""
    checks = [AfterValidator(_storable), *([AfterValidator(_not_blank), _Extra(minLength=1)] if required else [])]
    return Annotated[
        str, BeforeValidator(_null_is_empty), Field(max_length=max_length, description=description), *checks, _NO_NUL
    ]


def Date(*, with_time: bool = False) -> Any:  # noqa: N802
    """An ISO 8601 date (or date-time), or null; "" is read as null."""
    parse, name = (parse_datetime, "date-time") if with_time else (parse_date, "date")

    def read(value: Any) -> Any:
        if value in (None, ""):
            return None
        parsed = None
        if isinstance(value, str):
            try:
                parsed = parse(value)
            except ValueError:
                parsed = None
        if parsed is None:
            raise PydanticCustomError("date", "{value} is not an ISO {name}", {"value": shown(value), "name": name})
        return parsed

    return Annotated[(dt.datetime if with_time else dt.date) | None, BeforeValidator(read)]


def _pmid(value: Any) -> int | None:
    if value in (None, ""):
        return None
    digits = isinstance(value, str | int) and not isinstance(value, bool) and re.fullmatch(r"[0-9]+", str(value))
    if digits and 0 < int(value) <= INT_MAX:
        return int(value)
    raise PydanticCustomError("pmid", "{value} is not a PMID (digits only)", {"value": shown(value)})


def _not_bool(value: Any) -> Any:
    if isinstance(value, bool):  # True == 1 in Python; JSON's true is not the number 1
        raise PydanticCustomError("bool", "must be a number, not {value}", {"value": json.dumps(value)})
    return value


Slug = Annotated[
    str,
    BeforeValidator(_null_is_empty),
    Field(max_length=_length(Claim, "slug")),  # every slug column has the same length
    AfterValidator(_storable),
    AfterValidator(_slug),
    _Extra(pattern="^[-a-zA-Z0-9_]+$"),
]


def UrlText(max_length: int, *, required: bool = False) -> Any:  # noqa: N802
    """An http(s) or ftp URL, as Django's URLField accepts it ("" unless required)."""
    return Annotated[Text(max_length, required=required), AfterValidator(_url), _Extra(format="uri")]


Id = Annotated[int, Field(ge=1, le=BIGINT_MAX, description="The exporting database's primary key: a reference.")]
Count = Annotated[int | None, Field(ge=0, le=INT_MAX)]
Pmid = Annotated[
    int | None,
    BeforeValidator(_pmid),
    Field(
        json_schema_extra={
            "anyOf": [
                {"type": "string", "pattern": "^[0-9]*[1-9][0-9]*$"},
                {"type": "integer", "minimum": 1, "maximum": INT_MAX},
                {"type": "null"},
            ]
        }
    ),
]
Number = Annotated[float, Field(allow_inf_nan=False)]
TagName = Annotated[
    str,
    Field(max_length=_length(Tag, "name")),
    AfterValidator(_storable),
    AfterValidator(_not_blank),
    _Extra(minLength=1),
]


class Record(BaseModel):
    """Keys a record does not know are ignored (a newer exporter's additions, the stance counts)."""

    model_config = ConfigDict(extra="ignore")

    id: Id


# --- the records --------------------------------------------------------------------------------------------


class SourceRecord(Record):
    """An article, with the archived text its statements quote."""

    slug: Slug
    title: Text(_length(Source, "title"), required=True)
    url: UrlText(_length(Source, "url")) = ""
    author: Text(_length(Source, "author")) = ""
    publisher: Text(_length(Source, "publisher")) = ""
    published_on: Date() = None
    accessed_on: Date() = None
    kind: SourceKindValue
    commercial_interest: bool = False
    commercial_interest_note: Text() = ""
    archive_name: Text(_length(Source, "archive_name")) = ""
    text: Annotated[
        Text(
            description=f"The archived text: at most {SOURCE_TEXT_MAX_BYTES // 1048576} MB in UTF-8 (the article "
            "importer's limit; JSON Schema can only bound its characters)."
        ),
        AfterValidator(_archived_text),
        _Extra(maxLength=SOURCE_TEXT_MAX_BYTES),
    ] = ""
    text_sha256: Annotated[
        Text(64, description="SHA-256 of the text in UTF-8, hex; checked when given."),
        _Extra(pattern="^([0-9a-f]{64})?$"),
    ] = ""
    notes: Text() = ""


class StudyRecord(Record):
    """A scholarly work or regulatory document."""

    label: Text(_length(Study, "label"), required=True)
    slug: Slug
    authors: Text() = ""
    title: Text(_length(Study, "title")) = ""
    journal: Text(_length(Study, "journal")) = ""
    year: Annotated[int | None, Field(ge=0, le=SMALLINT_MAX)] = None
    volume: Text(_length(Study, "volume")) = ""
    pages: Text(_length(Study, "pages")) = ""
    doi: Annotated[
        Text(_length(Study, "doi"), description='The bare identifier, "10.1001/…" (a doi.org link is accepted).'),
        AfterValidator(_doi),
        _Extra(pattern="^(10\\.[0-9]{4,9}/\\S+)?$"),
    ] = ""
    pmid: Pmid = None
    url: UrlText(_length(Study, "url")) = ""
    design: StudyDesignValue
    population: Text(_length(Study, "population")) = ""
    sample_size: Count = None
    summary: Text() = ""
    verified_from: Text() = ""


class ConditionRecord(Record):
    """A condition, with its place in the hierarchy and its bottom line."""

    slug: Slug
    name: Text(_length(Condition, "name"), required=True)
    aliases: list[Text()] = []
    description: Text() = ""
    parent: Annotated[str | None, Field(description="The slug of the condition it lies within.")] = None
    related: list[Text()] = Field([], description="Slugs of related conditions (the relation is symmetrical).")
    bottom_line: Text(description="The published bottom line (Markdown).") = ""
    bottom_line_draft: Text(description="The editor's text; when absent, the published bottom line.") = ""
    bottom_line_status: StatusValue = Field(
        "draft", description='When absent: "published" if there is a bottom line, else "draft".'
    )
    reviewed_at: Date(with_time=True) = None
    reviewed_role: ReviewerRoleValue = ""

    @model_validator(mode="before")
    @classmethod
    def _bottom_line_defaults(cls, data: Any) -> Any:
        # A file written by hand (or of version 1) may give only the published bottom line, or none.
        if isinstance(data, dict) and not {"bottom_line_draft", "bottom_line_status"} <= data.keys():
            data = dict(data)
            data.setdefault("bottom_line_draft", data.get("bottom_line"))
            data.setdefault(
                "bottom_line_status", Status.PUBLISHED.value if data.get("bottom_line") else Status.DRAFT.value
            )
        return data


class EvidenceRecord(BaseModel):
    """A study in a claim's evidence base, and which way it points."""

    model_config = ConfigDict(extra="ignore")

    study: int = Field(description="A study's id in this file.")
    direction: DirectionValue
    note: Text() = ""


class ClaimRecord(Record):
    """A claim: its text, GRADE assessment, verdict, links and evidence."""

    slug: Slug
    text: Text(required=True)
    category: CategoryValue
    statement_type: StatementTypeValue = "effect"
    verdict: VerdictValue = "not_assessed"
    summary: Text(_length(Claim, "summary")) = ""
    applies_generally: bool = False
    grade: GradeValue = "not_graded"
    starting_level: StartingLevelValue = "very_low"
    risk_of_bias: ConcernValue = "none"
    inconsistency: ConcernValue = "none"
    indirectness: ConcernValue = "none"
    imprecision: ConcernValue = "none"
    publication_bias: ConcernValue = "none"
    large_effect: LargeEffectValue = Field(0, description="0, 1 (≥ 2-fold) or 2 (≥ 5-fold).")
    dose_response: bool = False
    plausible_confounding: bool = False
    grade_override_reason: Text() = ""
    rationale: Text(description="Markdown.") = ""
    status: StatusValue = "draft"
    published_at: Date(with_time=True) = None
    reviewed_at: Date(with_time=True) = None
    reviewed_role: ReviewerRoleValue = ""
    conditions: list[Text()] = Field([], description="Slugs of conditions in this file.")
    tags: list[TagName] = []
    conflicts_with: list[int] = Field([], description="Ids of other claims in this file.")
    evidence: list[EvidenceRecord] = []


class AssertionRecord(Record):
    """A source's statement of a claim: the verbatim quote and where it is in the source's archived text."""

    claim: int = Field(description="A claim's id in this file.")
    source: int = Field(description="A source's id in this file.")
    cited_study: int | None = Field(None, description="A study's id in this file.")
    quote: Text(_length(Assertion, "quote"), required=True)
    offset: Annotated[
        Count, Field(description="Where the quote starts in its source's text; found there when null.")
    ] = None
    stance: StanceValue
    citation_fidelity: FidelityValue = "not_checked"
    fidelity_note: Text() = ""
    note: Text() = ""
    source_changed: bool = False


def _estimate_text(name: str, *, required: bool = False) -> Any:
    return Text(_length(EffectEstimate, name), required=required)


class EffectEstimateRecord(Record):
    """An outcome a study reports, traced to a verbatim excerpt holding each of its numbers."""

    study: int = Field(description="A study's id in this file, in the claim's evidence.")
    claim: int = Field(description="A claim's id in this file.")
    condition: Annotated[str | None, Field(description="A condition's slug; null for a mixed population.")] = None
    outcome: _estimate_text("outcome", required=True)
    measure: MeasureValue
    value: Annotated[Number, BeforeValidator(_not_bool)]
    unit: _estimate_text("unit") = ""
    ci_low: Annotated[Number | None, BeforeValidator(_not_bool)] = None
    ci_high: Annotated[Number | None, BeforeValidator(_not_bool)] = None
    participants: Annotated[int | None, Field(gt=0, le=INT_MAX)] = None
    studies: Annotated[int | None, Field(ge=0, le=SMALLINT_MAX)] = None
    timepoint: _estimate_text("timepoint") = ""
    comparator: _estimate_text("comparator") = ""
    population: _estimate_text("population") = ""
    intervention: _estimate_text("intervention") = ""
    excerpt: Text(required=True, description="Verbatim; holds the value, both CI bounds, participants and studies.")
    excerpt_url: UrlText(_length(EffectEstimate, "excerpt_url"), required=True)


# --- the document -------------------------------------------------------------------------------------------


class Envelope(BaseModel):
    """The document with its records unread: ``claims.exchange`` reads each record on its own, so that one bad
    record does not hide the problems of the others."""

    model_config = ConfigDict(extra="ignore")

    format: Literal[FORMAT]
    version: Annotated[
        Literal[READABLE_VERSIONS],
        BeforeValidator(lambda value: json.dumps(value) if isinstance(value, bool) else value),  # true is not 1
        Field(description="2; version 1 files are still read (the version 2 fields take their defaults)."),
    ]
    sources: list[dict[str, Any]] = []
    studies: list[dict[str, Any]] = []
    conditions: list[dict[str, Any]] = []
    claims: list[dict[str, Any]] = []
    assertions: list[dict[str, Any]] = []
    effect_estimates: list[dict[str, Any]] = []


class Document(Envelope):
    """A ``kb-export`` document: the whole knowledge base, as ``export_kb`` writes it and ``import_kb`` reads it."""

    model_config = ConfigDict(title="kb-export")

    sources: list[SourceRecord] = []
    studies: list[StudyRecord] = []
    conditions: list[ConditionRecord] = []
    claims: list[ClaimRecord] = []
    assertions: list[AssertionRecord] = []
    effect_estimates: list[EffectEstimateRecord] = Field([], description="Absent in version 1.")


RECORDS: dict[str, type[Record]] = {
    "sources": SourceRecord,
    "studies": StudyRecord,
    "conditions": ConditionRecord,
    "claims": ClaimRecord,
    "assertions": AssertionRecord,
    "effect_estimates": EffectEstimateRecord,
}


def json_schema() -> dict:
    """The JSON Schema of the document (draft 2020-12), as checked in at ``docs/kb-export.schema.json``."""
    schema = Document.model_json_schema()
    schema["description"] = (
        "The knowledge base's exchange format: see docs/export-format.md. Generated from claims/exchange_schema.py "
        "by `python manage.py kb_export_schema`. It describes each record; the importer also checks what spans "
        "records (references, duplicates, quotes at their offsets, parent cycles, estimates traced to excerpts)."
    )
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", **schema}


def json_schema_text() -> str:
    return json.dumps(json_schema(), ensure_ascii=False, indent=2) + "\n"
