"""The ``kb-export`` JSON document: the knowledge base's stable exchange format.

``export_document()`` turns the database into a document; ``import_document()`` validates a document in
full, then writes it in one transaction. See docs/export-format.md for the format.

Ids in the document are the database primary keys of the exporting database; inside the document they are
only references (an assertion's ``claim`` is a claim's ``id``). Importing matches existing records by their
natural keys (slug, label, or source + claim + quote) and updates them; new records keep the document's id
when it is free, which is what makes export → import into an empty database → export identical.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.color import no_style
from django.db import connection, transaction
from django.utils.dateparse import parse_date, parse_datetime

from claims.estimates import estimate_errors
from claims.models import (
    Assertion,
    Claim,
    Concern,
    Condition,
    EffectEstimate,
    Evidence,
    Grade,
    LargeEffect,
    Measure,
    ReviewerRole,
    StartingLevel,
    Status,
    Verdict,
)
from claims.quotes import locate_quote
from sources.models import DOI_PATTERN, Source, Study, normalize_doi, text_sha256

FORMAT = "kb-export"
VERSION = 2
READABLE_VERSIONS = (1, 2)  # version 1 has no verdicts, hierarchy, bottom lines or effect estimates

SOURCE_FIELDS = [
    "slug", "title", "url", "author", "publisher", "published_on", "accessed_on", "kind",
    "commercial_interest", "commercial_interest_note", "archive_name", "text", "text_sha256", "notes",
]  # fmt: skip
STUDY_FIELDS = [
    "label", "slug", "authors", "title", "journal", "year", "volume", "pages", "doi", "pmid", "url",
    "design", "population", "sample_size", "summary",
]  # fmt: skip
CONDITION_FIELDS = [
    "slug", "name", "aliases", "description", "bottom_line", "bottom_line_draft", "bottom_line_status",
    "reviewed_at", "reviewed_role",
]  # fmt: skip
CLAIM_FIELDS = [
    "slug", "text", "category", "grade", "starting_level", "risk_of_bias", "inconsistency", "indirectness",
    "imprecision", "publication_bias", "large_effect", "dose_response", "plausible_confounding",
    "grade_override_reason", "rationale", "status", "published_at", "verdict", "summary", "applies_generally",
    "reviewed_at", "reviewed_role",
]  # fmt: skip
ESTIMATE_LENGTHS = {f.name: f.max_length for f in EffectEstimate._meta.get_fields() if getattr(f, "max_length", None)}
# What identifies an estimate when a document is imported again (it has no slug).
ESTIMATE_KEY = (
    "study", "claim", "outcome", "measure", "timepoint", "comparator", "population", "intervention",
)  # fmt: skip
ESTIMATE_FIELDS = [
    "outcome", "measure", "value", "unit", "ci_low", "ci_high", "participants", "studies", "timepoint",
    "comparator", "population", "intervention", "excerpt", "excerpt_url",
]  # fmt: skip
ASSERTION_FIELDS = [
    "quote",
    "offset",
    "stance",
    "citation_fidelity",
    "fidelity_note",
    "note",
    "source_changed",
]
CONCERN_FIELDS = ["risk_of_bias", "inconsistency", "indirectness", "imprecision", "publication_bias"]


class ImportRefused(Exception):
    """The document cannot be imported; ``errors`` says every reason, each with its place in the file."""

    def __init__(self, errors: list[str]):
        self.errors = errors
        shown = errors[:25]
        more = f"\n… and {len(errors) - 25} more" if len(errors) > 25 else ""
        super().__init__("The file was not imported; nothing was written:\n- " + "\n- ".join(shown) + more)


def _plain(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def export_document() -> dict:
    """The whole knowledge base as a ``kb-export`` document. A fixed number of queries, whatever its size."""
    sources = [{"id": s.pk, **{f: _plain(getattr(s, f)) for f in SOURCE_FIELDS}} for s in Source.objects.order_by("pk")]
    studies = [{"id": s.pk, **{f: _plain(getattr(s, f)) for f in STUDY_FIELDS}} for s in Study.objects.order_by("pk")]
    for study in studies:
        study["pmid"] = str(study["pmid"]) if study["pmid"] is not None else None
    conditions = [
        {
            "id": c.pk,
            **{f: _plain(getattr(c, f)) for f in CONDITION_FIELDS},
            "parent": c.parent.slug if c.parent_id else None,
            "related": sorted(r.slug for r in c.related.all()),
        }
        for c in Condition.objects.select_related("parent").prefetch_related("related").order_by("pk")
    ]
    claims = []
    claim_qs = Claim.objects.order_by("pk").prefetch_related("conditions", "tags", "conflicting_claims", "evidence")
    for claim in claim_qs:
        record = {"id": claim.pk, **{f: _plain(getattr(claim, f)) for f in CLAIM_FIELDS}}
        record["conditions"] = sorted(c.slug for c in claim.conditions.all())
        record["tags"] = sorted(t.name for t in claim.tags.all())
        record["conflicts_with"] = sorted(c.pk for c in claim.conflicting_claims.all())
        record["evidence"] = [
            {"study": e.study_id, "direction": e.direction, "note": e.note}
            for e in sorted(claim.evidence.all(), key=lambda e: e.study_id)
        ]
        claims.append(record)
    assertions = [
        {
            "id": a.pk,
            "claim": a.claim_id,
            "source": a.source_id,
            "cited_study": a.cited_study_id,
            **{f: getattr(a, f) for f in ASSERTION_FIELDS},
        }
        for a in Assertion.objects.order_by("pk")
    ]
    estimates = [
        {
            "id": e.pk,
            "study": e.study_id,
            "claim": e.claim_id,
            "condition": e.condition.slug if e.condition_id else None,
            **{f: getattr(e, f) for f in ESTIMATE_FIELDS},
        }
        for e in EffectEstimate.objects.select_related("condition").order_by("pk")
    ]
    return {
        "format": FORMAT,
        "version": VERSION,
        "sources": sources,
        "studies": studies,
        "conditions": conditions,
        "claims": claims,
        "assertions": assertions,
        "effect_estimates": estimates,
    }


# --- validation -------------------------------------------------------------------------------------------


@dataclass
class _Checker:
    errors: list[str] = field(default_factory=list)

    def fail(self, where: str, message: str) -> None:
        self.errors.append(f"{where}: {message}")

    def records(self, doc: dict, key: str) -> list[dict]:
        value = doc.get(key, [])
        if not isinstance(value, list):
            self.fail(key, "must be a list")
            return []
        good = []
        for index, item in enumerate(value):
            if isinstance(item, dict):
                good.append(item)
            else:
                self.fail(f"{key}[{index}]", "must be an object")
        return good

    def string(self, where: str, record: dict, name: str, *, required: bool = False, max_length: int = 0):
        value = record.get(name, "")
        if value is None:
            value = ""
        if not isinstance(value, str):
            self.fail(f"{where}.{name}", f"must be a string, got {type(value).__name__}")
            return ""
        if required and not value.strip():
            self.fail(f"{where}.{name}", "is required")
        if max_length and len(value) > max_length:
            self.fail(f"{where}.{name}", f"is longer than {max_length} characters")
        return value

    def choice(self, where: str, record: dict, name: str, choices: Iterable, default: Any = None):
        value = record.get(name, default)
        allowed = list(choices)
        if value not in allowed:
            shown = ", ".join(repr(v) for v in allowed)
            self.fail(f"{where}.{name}", f"{value!r} is not one of {shown}")
        return value

    def integer(self, where: str, record: dict, name: str, *, nullable: bool = True):
        value = record.get(name)
        if value is None and nullable:
            return None
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            self.fail(f"{where}.{name}", f"must be a non-negative integer{' or null' if nullable else ''}")
            return None
        return value

    def boolean(self, where: str, record: dict, name: str):
        value = record.get(name, False)
        if not isinstance(value, bool):
            self.fail(f"{where}.{name}", "must be true or false")
            return False
        return value

    def ident(self, where: str, record: dict, seen: set) -> int | None:
        value = record.get("id")
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            self.fail(f"{where}.id", "must be a positive integer")
            return None
        if value in seen:
            self.fail(f"{where}.id", f"{value} is used twice")
        seen.add(value)
        return value

    def unique(self, where: str, value: Any, seen: dict, what: str) -> None:
        if value in ("", None):
            return
        if value in seen:
            self.fail(where, f"{what} {value!r} is used twice (also at {seen[value]})")
        else:
            seen[value] = where


def _date(check: _Checker, where: str, value: Any, *, with_time: bool = False):
    if value in (None, ""):
        return None
    parsed = None
    if isinstance(value, str):
        try:
            parsed = parse_datetime(value) if with_time else parse_date(value)
        except ValueError:
            parsed = None
    if parsed is None:
        check.fail(where, f"{value!r} is not an ISO {'date-time' if with_time else 'date'}")
    return parsed


def _number(check: _Checker, where: str, value: Any, *, required: bool = False) -> float | None:
    if value is None:
        if required:
            check.fail(where, "is required")
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        check.fail(where, f"must be a number, got {value!r}")
        return None
    return float(value)


def _validate(doc: Any) -> tuple[_Checker, dict]:
    check = _Checker()
    if not isinstance(doc, dict):
        check.fail("document", "must be a JSON object")
        return check, {}
    if doc.get("format") != FORMAT:
        check.fail("format", f"must be {FORMAT!r}, got {doc.get('format')!r}")
    version = doc.get("version")
    if version not in READABLE_VERSIONS or isinstance(version, bool):
        check.fail("version", f"must be one of {', '.join(map(str, READABLE_VERSIONS))}, got {version!r}")
    if check.errors:
        return check, {}

    parsed: dict[str, list[dict]] = {
        k: [] for k in ("sources", "studies", "conditions", "claims", "assertions", "effect_estimates")
    }

    ids: set = set()
    slugs: dict = {}
    source_text: dict[int, str] = {}
    for i, rec in enumerate(check.records(doc, "sources")):
        where = f"sources[{i}]"
        pk = check.ident(where, rec, ids)
        row = {
            f: check.string(where, rec, f)
            for f in SOURCE_FIELDS
            if f not in {"published_on", "accessed_on", "kind", "commercial_interest"}
        }
        for name in ("slug", "title"):
            if not row[name].strip():
                check.fail(f"{where}.{name}", "is required")
        check.unique(f"{where}.slug", row["slug"], slugs, "slug")
        row["kind"] = check.choice(where, rec, "kind", Source.Kind.values)
        row["commercial_interest"] = check.boolean(where, rec, "commercial_interest")
        row["published_on"] = _date(check, f"{where}.published_on", rec.get("published_on"))
        row["accessed_on"] = _date(check, f"{where}.accessed_on", rec.get("accessed_on"))
        if row["text_sha256"] and row["text_sha256"] != text_sha256(row["text"]):
            check.fail(f"{where}.text_sha256", "does not match the SHA-256 of the text")
        row.pop("text_sha256")
        if pk is not None:
            source_text[pk] = row["text"]
        parsed["sources"].append({"id": pk, **row})

    ids, labels, slugs, dois, pmids = set(), {}, {}, {}, {}
    for i, rec in enumerate(check.records(doc, "studies")):
        where = f"studies[{i}]"
        pk = check.ident(where, rec, ids)
        row = {
            f: check.string(where, rec, f) for f in STUDY_FIELDS if f not in {"year", "pmid", "sample_size", "design"}
        }
        for name in ("label", "slug"):
            if not row[name].strip():
                check.fail(f"{where}.{name}", "is required")
        check.unique(f"{where}.label", row["label"], labels, "label")
        check.unique(f"{where}.slug", row["slug"], slugs, "slug")
        row["design"] = check.choice(where, rec, "design", Study.Design.values)
        row["year"] = check.integer(where, rec, "year")
        row["sample_size"] = check.integer(where, rec, "sample_size")
        row["doi"] = normalize_doi(row["doi"])
        if row["doi"] and not re.match(DOI_PATTERN, row["doi"]):
            check.fail(f"{where}.doi", f"{row['doi']!r} is not a DOI (10.NNNN/…)")
        check.unique(f"{where}.doi", row["doi"], dois, "DOI")
        pmid = rec.get("pmid")
        if pmid in (None, ""):
            row["pmid"] = None
        elif isinstance(pmid, str | int) and not isinstance(pmid, bool) and str(pmid).isdigit() and int(pmid) > 0:
            row["pmid"] = int(pmid)
            check.unique(f"{where}.pmid", row["pmid"], pmids, "PMID")
        else:
            check.fail(f"{where}.pmid", f"{pmid!r} is not a PMID (digits only)")
            row["pmid"] = None
        parsed["studies"].append({"id": pk, **row})
    study_ids = {r["id"] for r in parsed["studies"]}

    ids, slugs, names = set(), {}, {}
    for i, rec in enumerate(check.records(doc, "conditions")):
        where = f"conditions[{i}]"
        pk = check.ident(where, rec, ids)
        row = {f: check.string(where, rec, f, required=f in {"slug", "name"}) for f in ("slug", "name", "description")}
        check.unique(f"{where}.slug", row["slug"], slugs, "slug")
        check.unique(f"{where}.name", row["name"], names, "name")
        aliases = rec.get("aliases", [])
        if not isinstance(aliases, list) or not all(isinstance(a, str) for a in aliases):
            check.fail(f"{where}.aliases", "must be a list of strings")
            aliases = []
        row["aliases"] = aliases
        row["bottom_line"] = check.string(where, rec, "bottom_line")
        row["bottom_line_draft"] = check.string(where, rec, "bottom_line_draft")
        if "bottom_line_draft" not in rec:  # a file written by hand may give only the published bottom line
            row["bottom_line_draft"] = row["bottom_line"]
        default_status = Status.PUBLISHED if row["bottom_line"] else Status.DRAFT
        row["bottom_line_status"] = check.choice(where, rec, "bottom_line_status", Status.values, default_status)
        row["reviewed_at"] = _date(check, f"{where}.reviewed_at", rec.get("reviewed_at"), with_time=True)
        row["reviewed_role"] = check.choice(where, rec, "reviewed_role", ["", *ReviewerRole.values], "")
        parent = rec.get("parent")
        if parent is not None and not isinstance(parent, str):
            check.fail(f"{where}.parent", "must be a condition slug or null")
            parent = None
        row["parent"] = parent
        related = rec.get("related", [])
        if not isinstance(related, list) or not all(isinstance(r, str) for r in related):
            check.fail(f"{where}.related", "must be a list of condition slugs")
            related = []
        row["related"] = related
        parsed["conditions"].append({"id": pk, **row})
    condition_slugs = {r["slug"] for r in parsed["conditions"]}
    parents = {r["slug"]: r["parent"] for r in parsed["conditions"]}
    for i, row in enumerate(parsed["conditions"]):
        for slug in row["related"]:
            if slug not in condition_slugs or slug == row["slug"]:
                check.fail(f"conditions[{i}].related", f"{slug!r} is not another condition's slug in this file")
        row["related"] = [r for r in row["related"] if r in condition_slugs and r != row["slug"]]
        where = f"conditions[{i}].parent"
        if row["parent"] is None:
            continue
        if row["parent"] not in condition_slugs:
            check.fail(where, f"unknown condition {row['parent']!r}")
            continue
        seen, node = {row["slug"]}, row["parent"]
        while node is not None:
            if node in seen:
                check.fail(where, f"{row['parent']!r} would make {row['slug']!r} its own ancestor")
                break
            seen.add(node)
            node = parents.get(node)

    ids, slugs = set(), {}
    claim_ids = {rec.get("id") for rec in doc.get("claims", []) if isinstance(rec, dict)}
    for i, rec in enumerate(check.records(doc, "claims")):
        where = f"claims[{i}]"
        pk = check.ident(where, rec, ids)
        row = {
            f: check.string(where, rec, f, required=f in {"slug", "text"})
            for f in ("slug", "text", "rationale", "grade_override_reason")
        }
        check.unique(f"{where}.slug", row["slug"], slugs, "slug")
        row["category"] = check.choice(where, rec, "category", Claim.Category.values)
        row["grade"] = check.choice(where, rec, "grade", Grade.values, Grade.NOT_GRADED)
        row["status"] = check.choice(where, rec, "status", Claim.Status.values, Claim.Status.DRAFT)
        row["starting_level"] = check.choice(where, rec, "starting_level", StartingLevel.values, "very_low")
        for name in CONCERN_FIELDS:
            row[name] = check.choice(where, rec, name, Concern.values, Concern.NONE)
        row["large_effect"] = check.choice(where, rec, "large_effect", LargeEffect.values, 0)
        row["dose_response"] = check.boolean(where, rec, "dose_response")
        row["plausible_confounding"] = check.boolean(where, rec, "plausible_confounding")
        row["published_at"] = _date(check, f"{where}.published_at", rec.get("published_at"), with_time=True)
        row["verdict"] = check.choice(where, rec, "verdict", Verdict.values, Verdict.NOT_ASSESSED)
        row["summary"] = check.string(where, rec, "summary", max_length=300)
        row["applies_generally"] = check.boolean(where, rec, "applies_generally")
        row["reviewed_at"] = _date(check, f"{where}.reviewed_at", rec.get("reviewed_at"), with_time=True)
        row["reviewed_role"] = check.choice(where, rec, "reviewed_role", ["", *ReviewerRole.values], "")
        conditions = rec.get("conditions", [])
        if not isinstance(conditions, list):
            check.fail(f"{where}.conditions", "must be a list of condition slugs")
            conditions = []
        for slug in conditions:
            if slug not in condition_slugs:
                check.fail(f"{where}.conditions", f"unknown condition {slug!r}")
        row["conditions"] = [c for c in conditions if c in condition_slugs]
        tags = rec.get("tags", [])
        if not isinstance(tags, list) or not all(isinstance(t, str) and t.strip() for t in tags):
            check.fail(f"{where}.tags", "must be a list of non-empty strings")
            tags = []
        row["tags"] = tags
        conflicts = rec.get("conflicts_with", [])
        if not isinstance(conflicts, list):
            check.fail(f"{where}.conflicts_with", "must be a list of claim ids")
            conflicts = []
        for other in conflicts:
            if other not in claim_ids or other == pk:
                check.fail(f"{where}.conflicts_with", f"{other!r} is not another claim's id in this file")
        row["conflicts_with"] = [c for c in conflicts if c in claim_ids and c != pk]
        evidence = []
        raw_evidence = rec.get("evidence", [])
        if not isinstance(raw_evidence, list):
            check.fail(f"{where}.evidence", "must be a list")
            raw_evidence = []
        seen_studies: set = set()
        for j, ev in enumerate(raw_evidence):
            ewhere = f"{where}.evidence[{j}]"
            if not isinstance(ev, dict):
                check.fail(ewhere, "must be an object")
                continue
            if ev.get("study") not in study_ids:
                check.fail(f"{ewhere}.study", f"{ev.get('study')!r} is not a study id in this file")
                continue
            if ev["study"] in seen_studies:
                check.fail(f"{ewhere}.study", "the same study is listed twice")
            seen_studies.add(ev["study"])
            evidence.append(
                {
                    "study": ev["study"],
                    "direction": check.choice(ewhere, ev, "direction", Evidence.Direction.values),
                    "note": check.string(ewhere, ev, "note"),
                }
            )
        row["evidence"] = evidence
        if row["verdict"] == Verdict.SUPPORTED and not evidence:
            check.fail(f"{where}.verdict", "a claim with no evidence cannot be 'supported'")
        parsed["claims"].append({"id": pk, **row})
    claim_pks = {r["id"] for r in parsed["claims"]}
    evidence_pairs = {(r["id"], ev["study"]) for r in parsed["claims"] for ev in r["evidence"]}

    ids, described = set(), {}
    for i, rec in enumerate(check.records(doc, "effect_estimates") if "effect_estimates" in doc else []):
        where = f"effect_estimates[{i}]"
        pk = check.ident(where, rec, ids)
        row = {
            f: check.string(
                where,
                rec,
                f,
                required=f in {"outcome", "excerpt", "excerpt_url"},
                max_length=ESTIMATE_LENGTHS.get(f, 0),
            )
            for f in (
                "outcome",
                "unit",
                "timepoint",
                "comparator",
                "population",
                "intervention",
                "excerpt",
                "excerpt_url",
            )  # fmt: skip
        }
        row["measure"] = check.choice(where, rec, "measure", Measure.values)
        row["value"] = _number(check, f"{where}.value", rec.get("value"), required=True)
        row["ci_low"] = _number(check, f"{where}.ci_low", rec.get("ci_low"))
        row["ci_high"] = _number(check, f"{where}.ci_high", rec.get("ci_high"))
        row["participants"] = check.integer(where, rec, "participants")
        row["studies"] = check.integer(where, rec, "studies")
        problems = estimate_errors(
            value=row["value"],
            ci_low=row["ci_low"],
            ci_high=row["ci_high"],
            participants=row["participants"],
            studies=row["studies"],
            excerpt=row["excerpt"],
        )
        for name, message in problems.items():
            check.fail(f"{where}.{name}", message)
        study, claim = rec.get("study"), rec.get("claim")
        if study not in study_ids:
            check.fail(f"{where}.study", f"{study!r} is not a study id in this file")
        if claim not in claim_pks:
            check.fail(f"{where}.claim", f"{claim!r} is not a claim id in this file")
        elif study in study_ids and (claim, study) not in evidence_pairs:
            check.fail(f"{where}.claim", "its study is not in this claim's evidence")
        condition = rec.get("condition")
        if condition is not None and condition not in condition_slugs:
            check.fail(f"{where}.condition", f"unknown condition {condition!r}")
        row.update(study=study, claim=claim, condition=condition if condition in condition_slugs else None)
        check.unique(where, tuple(row[k] for k in ESTIMATE_KEY), described, "estimate of the same outcome")
        parsed["effect_estimates"].append({"id": pk, **row})

    ids, triples = set(), {}
    for i, rec in enumerate(check.records(doc, "assertions")):
        where = f"assertions[{i}]"
        pk = check.ident(where, rec, ids)
        row = {
            "quote": check.string(where, rec, "quote", required=True, max_length=1000),
            "fidelity_note": check.string(where, rec, "fidelity_note"),
            "note": check.string(where, rec, "note"),
            "stance": check.choice(where, rec, "stance", Assertion.Stance.values),
            "citation_fidelity": check.choice(
                where, rec, "citation_fidelity", Assertion.Fidelity.values, Assertion.Fidelity.NOT_CHECKED
            ),
            "offset": check.integer(where, rec, "offset"),
            "source_changed": check.boolean(where, rec, "source_changed"),
        }
        claim, source, cited = rec.get("claim"), rec.get("source"), rec.get("cited_study")
        if claim not in claim_pks:
            check.fail(f"{where}.claim", f"{claim!r} is not a claim id in this file")
        if source not in source_text:
            check.fail(f"{where}.source", f"{source!r} is not a source id in this file")
        if cited is not None and cited not in study_ids:
            check.fail(f"{where}.cited_study", f"{cited!r} is not a study id in this file")
        row.update(claim=claim, source=source, cited_study=cited)
        check.unique(where, (source, claim, row["quote"]), triples, "source + claim + quote")
        # An assertion flagged "source changed" keeps its old quote until an editor resolves it.
        if source in source_text and row["quote"] and not row["source_changed"]:
            text = source_text[source]
            offset = row["offset"]
            if offset is not None:
                if text[offset : offset + len(row["quote"])] != row["quote"]:
                    check.fail(f"{where}.offset", f"the quote is not at offset {offset} of its source's text")
            else:
                found = locate_quote(text, row["quote"])
                if found is None:
                    check.fail(f"{where}.quote", "is not found in its source's archived text")
                else:
                    row["offset"], row["quote"] = found
        parsed["assertions"].append({"id": pk, **row})
    return check, parsed


# --- writing ----------------------------------------------------------------------------------------------


@dataclass
class ImportResult:
    created: dict[str, int] = field(default_factory=dict)
    updated: dict[str, int] = field(default_factory=dict)

    def count(self, what: str, created: bool) -> None:
        bucket = self.created if created else self.updated
        bucket[what] = bucket.get(what, 0) + 1

    def summary(self) -> str:
        parts = []
        for what in ("sources", "studies", "conditions", "claims", "assertions", "effect estimates"):
            parts.append(f"{what}: {self.created.get(what, 0)} new, {self.updated.get(what, 0)} updated")
        return "; ".join(parts)


def _upsert(model, lookup: dict, values: dict, wanted_pk: int | None, result: ImportResult, what: str):
    obj = model.objects.filter(**lookup).first()
    created = obj is None
    if created:
        obj = model(**lookup)
        if wanted_pk is not None and not model.objects.filter(pk=wanted_pk).exists():
            obj.pk = wanted_pk
    for name, value in values.items():
        setattr(obj, name, value)
    try:
        obj.full_clean(validate_unique=False, validate_constraints=False)
    except ValidationError as exc:
        raise ImportRefused([f"{what} {lookup}: {'; '.join(exc.messages)}"]) from None
    obj.save()
    result.count(what, created)
    return obj


def import_document(doc: Any) -> ImportResult:
    """Validate ``doc`` completely, then write it in one transaction; raise ImportRefused on any problem."""
    check, parsed = _validate(doc)
    if check.errors:
        raise ImportRefused(check.errors)
    result = ImportResult()
    with transaction.atomic():
        source_map, study_map, claim_map = {}, {}, {}
        for row in parsed["sources"]:
            pk = row.pop("id")
            source_map[pk] = _upsert(Source, {"slug": row.pop("slug")}, row, pk, result, "sources")
        for row in parsed["studies"]:
            pk = row.pop("id")
            study_map[pk] = _upsert(Study, {"slug": row.pop("slug")}, row, pk, result, "studies")
        conditions, parent_of, related_of = {}, {}, {}
        for row in parsed["conditions"]:
            pk = row.pop("id")
            slug = row.pop("slug")
            parent_of[slug] = row.pop("parent")
            related_of[slug] = row.pop("related")
            conditions[slug] = _upsert(Condition, {"slug": slug}, row, pk, result, "conditions")
        for slug, parent in parent_of.items():
            condition = conditions[slug]
            if condition.parent_id != (conditions[parent].pk if parent else None):
                condition.parent = conditions[parent] if parent else None
                condition.save(update_fields=["parent"])
        for slug, related in related_of.items():
            # Symmetrical: a document lists each relation on both conditions (export does), or on one of them.
            conditions[slug].related.add(*[conditions[r] for r in related])
        relations = []
        for row in parsed["claims"]:
            pk = row.pop("id")
            related = {k: row.pop(k) for k in ("conditions", "tags", "conflicts_with", "evidence")}
            claim = _upsert(Claim, {"slug": row.pop("slug")}, row, pk, result, "claims")
            claim_map[pk] = claim
            relations.append((claim, related))
        for claim, related in relations:
            claim.conditions.set([conditions[slug] for slug in related["conditions"]])
            claim.tags.set(related["tags"])
            claim.conflicting_claims.set([claim_map[pk] for pk in related["conflicts_with"]])
            wanted = {study_map[ev["study"]].pk: ev for ev in related["evidence"]}
            claim.evidence.exclude(study_id__in=wanted).delete()
            for study_pk, ev in wanted.items():
                Evidence.objects.update_or_create(
                    claim=claim,
                    study_id=study_pk,
                    defaults={"direction": ev["direction"], "note": ev["note"]},
                )
        for row in parsed["assertions"]:
            pk = row.pop("id")
            lookup = {
                "source": source_map[row.pop("source")],
                "claim": claim_map[row.pop("claim")],
                "quote": row.pop("quote"),
            }
            cited = row.pop("cited_study")
            row["cited_study"] = study_map[cited] if cited is not None else None
            _upsert(Assertion, lookup, row, pk, result, "assertions")
        for row in parsed["effect_estimates"]:
            pk = row.pop("id")
            row["study"], row["claim"] = study_map[row["study"]], claim_map[row["claim"]]
            row["condition"] = conditions[row["condition"]] if row["condition"] else None
            _upsert_estimate(row, pk, result)
        _reset_sequences()
    return result


def _upsert_estimate(row: dict, wanted_pk: int | None, result: ImportResult) -> None:
    """An estimate is matched by what it describes (study, claim, outcome, measure, time point, comparator,
    population, intervention): one describing the same thing is updated."""
    lookup = {k: row.pop(k) for k in ESTIMATE_KEY}
    _upsert(EffectEstimate, lookup, row, wanted_pk, result, "effect estimates")


def _reset_sequences() -> None:
    """After inserting explicit primary keys, move PostgreSQL's sequences past them (no-op on SQLite)."""
    statements = connection.ops.sequence_reset_sql(
        no_style(), [Source, Study, Condition, Claim, Evidence, Assertion, EffectEstimate]
    )
    if statements:
        with connection.cursor() as cursor:
            for sql in statements:
                cursor.execute(sql)
