"""The ``kb-export`` JSON document: the knowledge base's stable exchange format.

``export_document()`` turns the database into a document; ``import_document()`` validates a document in
full, then writes it in one transaction. See docs/export-format.md for the format; each record's shape is a
pydantic model in ``claims/exchange_schema.py`` (published as docs/kb-export.schema.json), and what spans
records or depends on the database is checked here.

Ids in the document are the database primary keys of the exporting database; inside the document they are
only references (an assertion's ``claim`` is a claim's ``id``). Importing matches existing records by their
natural keys (slug, source + claim + quote, or what an estimate describes) and updates them; new records keep
the document's id when it is free, which is what makes export → import into an empty database → export
identical.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import pydantic
from django.core.exceptions import ValidationError
from django.core.management.color import no_style
from django.db import DatabaseError, connection, transaction

from claims.estimates import estimate_errors
from claims.exchange_schema import FORMAT, READABLE_VERSIONS, RECORDS, VERSION, Envelope, Record, shown
from claims.models import Assertion, Claim, Condition, EffectEstimate, Evidence, Grade, Verdict
from claims.quotes import locate_quote
from sources.models import Source, Study, text_sha256

# The keys each record is written with, in this order (claims/exchange_schema.py reads them).
SOURCE_FIELDS = [
    "slug", "title", "url", "author", "publisher", "published_on", "accessed_on", "kind",
    "commercial_interest", "commercial_interest_note", "archive_name", "text", "text_sha256", "notes",
]  # fmt: skip
STUDY_FIELDS = [
    "label", "slug", "authors", "title", "journal", "year", "volume", "pages", "doi", "pmid", "url",
    "design", "population", "sample_size", "summary", "verified_from",
]  # fmt: skip
CONDITION_FIELDS = [
    "slug", "name", "aliases", "description", "bottom_line", "bottom_line_draft", "bottom_line_status",
    "reviewed_at", "reviewed_role",
]  # fmt: skip
CLAIM_FIELDS = [
    "slug", "text", "category", "grade", "starting_level", "risk_of_bias", "inconsistency", "indirectness",
    "imprecision", "publication_bias", "large_effect", "dose_response", "plausible_confounding",
    "grade_override_reason", "rationale", "status", "published_at", "statement_type", "verdict", "summary",
    "applies_generally", "reviewed_at", "reviewed_role",
]  # fmt: skip
# What identifies an estimate when a document is imported again (it has no slug).
ESTIMATE_KEY = (
    "study", "claim", "outcome", "measure", "timepoint", "comparator", "population", "intervention",
)  # fmt: skip
ESTIMATE_FIELDS = [
    "outcome", "measure", "value", "unit", "ci_low", "ci_high", "participants", "studies", "timepoint",
    "comparator", "population", "intervention", "excerpt", "excerpt_url",
]  # fmt: skip
ASSERTION_FIELDS = ["quote", "offset", "stance", "citation_fidelity", "fidelity_note", "note", "source_changed"]


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
# The records' shapes are the pydantic models of claims/exchange_schema.py; what spans records, and what the
# database already holds, is checked here.


def _path(prefix: str, loc: tuple) -> str:
    path = prefix + "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in loc)
    return path.lstrip(".") or "document"


_JSON_TYPES = {type(None): "null", bool: "a boolean", int: "an integer", float: "a number", str: "a string",
               list: "a list", dict: "an object"}  # fmt: skip


def _message(error: dict) -> str:
    """A pydantic error in the words of the format's documentation."""
    kind, ctx, value = error["type"], error.get("ctx", {}), error.get("input")
    got = _JSON_TYPES.get(type(value), type(value).__name__)
    messages = {
        "missing": "is required",
        "string_type": f"must be a string, got {got}",
        "int_type": f"must be an integer, got {shown(value)}",
        "float_type": f"must be a number, got {shown(value)}",
        "finite_number": "must be a finite number",
        "bool_type": f"must be true or false, got {shown(value)}",
        "list_type": f"must be a list, got {got}",
        "dict_type": f"must be an object, got {got}",
        "model_type": f"must be an object, got {got}",
        "literal_error": f"{shown(value)} is not one of {ctx.get('expected')}",
        "string_too_long": f"is longer than {ctx.get('max_length')} characters",
        "too_long": f"is longer than {ctx.get('max_length')} {'characters' if isinstance(value, str) else 'items'}",
        "greater_than": f"must be greater than {ctx.get('gt')}",
        "greater_than_equal": f"must be at least {ctx.get('ge')}",
        "less_than_equal": f"must be at most {ctx.get('le')}",
    }
    return messages.get(kind, error["msg"])


def _described(exc: pydantic.ValidationError, prefix: str = "") -> list[str]:
    problems = []
    for error in exc.errors():
        message = _message(error)
        if not prefix and error["loc"] == ("format",) and error["type"] == "literal_error":
            message = f"must be {FORMAT!r}, got {shown(error['input'])}"
        elif not prefix and error["loc"] == ("version",) and error["type"] == "literal_error":
            message = f"must be one of {', '.join(map(str, READABLE_VERSIONS))}, got {shown(error['input'])}"
        problems.append(f"{_path(prefix, error['loc'])}: {message}")
    return problems


@dataclass
class _Checker:
    errors: list[str] = field(default_factory=list)
    # The ids and slugs of records whose problems are already listed: a reference to one is not another problem.
    unread: dict[str, set] = field(default_factory=lambda: {key: set() for key in RECORDS})
    unread_collections: set[str] = field(default_factory=set)

    def known(self, key: str, value: Any, read: set | dict) -> bool:
        """Whether ``value`` names a record of ``key`` in the file (``read``: those that fit their model)."""
        if key in self.unread_collections:
            return True
        return value in read or (isinstance(value, int | str) and value in self.unread[key])

    def fail(self, where: str, message: str) -> None:
        self.errors.append(f"{where}: {message}")

    def unique(self, where: str, value: Any, seen: dict, what: str) -> None:
        if value in ("", None):
            return
        if value in seen:
            self.fail(where, f"{what} {value!r} is used twice (also at {seen[value]})")
        else:
            seen[value] = where

    def ids(self, records: list[tuple[str, Record]]) -> None:
        seen: set[int] = set()
        for where, record in records:
            if record.id in seen:
                self.fail(f"{where}.id", f"{record.id} is used twice")
            seen.add(record.id)


def _read(doc: Any, check: _Checker) -> dict[str, list[tuple[str, Record]]]:
    """Each record read by its model, with its place in the file; a record that does not fit is left out (its
    problems are listed) so that the checks across records still run on the others."""
    try:
        envelope = Envelope.model_validate(doc, strict=True)
    except pydantic.ValidationError as exc:
        check.errors.extend(_described(exc))
        wrong = {error["loc"][0] for error in exc.errors() if error["loc"]}
        if not isinstance(doc, dict) or wrong & {"format", "version"}:
            return {}  # not a kb-export document that this version reads: its records mean nothing yet
        check.unread_collections = wrong
        envelope = Envelope.model_validate({k: v for k, v in doc.items() if k not in wrong}, strict=True)
    records: dict[str, list[tuple[str, Record]]] = {}
    for key, model in RECORDS.items():
        records[key] = []
        for index, raw in enumerate(getattr(envelope, key)):
            where = f"{key}[{index}]"
            try:
                records[key].append((where, model.model_validate(raw, strict=True)))
            except pydantic.ValidationError as exc:
                check.errors.extend(_described(exc, where))
                if isinstance(raw, dict):
                    check.unread[key].update(v for v in (raw.get("id"), raw.get("slug")) if isinstance(v, int | str))
        check.ids(records[key])
    return records


def _rows(records: list[tuple[str, Record]]) -> list[dict]:
    """The records as the writer takes them, each with its place in the file for messages."""
    return [{"where": where, **record.model_dump()} for where, record in records]


def _validate(doc: Any) -> tuple[_Checker, dict]:
    check = _Checker()
    records = _read(doc, check)
    if not records:
        return check, {}

    source_text: dict[int, str] = {}
    slugs: dict = {}
    for row in (sources := _rows(records["sources"])):
        check.unique(f"{row['where']}.slug", row["slug"], slugs, "slug")
        if row["text_sha256"] and row["text_sha256"] != text_sha256(row["text"]):
            check.fail(f"{row['where']}.text_sha256", "does not match the SHA-256 of the text")
        del row["text_sha256"]
        source_text[row["id"]] = row["text"]

    labels, slugs, dois, pmids = {}, {}, {}, {}
    for row in (studies := _rows(records["studies"])):
        where = row["where"]
        check.unique(f"{where}.label", row["label"], labels, "label")
        check.unique(f"{where}.slug", row["slug"], slugs, "slug")
        check.unique(f"{where}.doi", row["doi"], dois, "DOI")
        check.unique(f"{where}.pmid", row["pmid"], pmids, "PMID")
    study_ids = {row["id"] for row in studies}

    slugs, names = {}, {}
    for row in (conditions := _rows(records["conditions"])):
        check.unique(f"{row['where']}.slug", row["slug"], slugs, "slug")
        check.unique(f"{row['where']}.name", row["name"], names, "name")
    condition_slugs = {row["slug"] for row in conditions}
    parents = {row["slug"]: row["parent"] for row in conditions}
    for row in conditions:
        for slug in row["related"]:
            if not check.known("conditions", slug, condition_slugs) or slug == row["slug"]:
                check.fail(f"{row['where']}.related", f"{slug!r} is not another condition's slug in this file")
        row["related"] = [r for r in row["related"] if r in condition_slugs and r != row["slug"]]
        if row["parent"] is None:
            continue
        if row["parent"] not in condition_slugs:
            if not check.known("conditions", row["parent"], condition_slugs):
                check.fail(f"{row['where']}.parent", f"unknown condition {row['parent']!r}")
            row["parent"] = None
            continue
        seen, node = {row["slug"]}, row["parent"]
        while node is not None:
            if node in seen:
                check.fail(f"{row['where']}.parent", f"{row['parent']!r} would make {row['slug']!r} its own ancestor")
                break
            seen.add(node)
            node = parents.get(node)

    slugs = {}
    claims = _rows(records["claims"])
    claim_ids = {row["id"] for row in claims}
    for row in claims:
        where = row["where"]
        check.unique(f"{where}.slug", row["slug"], slugs, "slug")
        for slug in row["conditions"]:
            if not check.known("conditions", slug, condition_slugs):
                check.fail(f"{where}.conditions", f"unknown condition {slug!r}")
        row["conditions"] = [c for c in row["conditions"] if c in condition_slugs]
        for other in row["conflicts_with"]:
            if not check.known("claims", other, claim_ids) or other == row["id"]:
                check.fail(f"{where}.conflicts_with", f"{other!r} is not another claim's id in this file")
        row["conflicts_with"] = [c for c in row["conflicts_with"] if c in claim_ids and c != row["id"]]
        listed: set = set()
        for j, evidence in enumerate(row["evidence"]):
            if not check.known("studies", evidence["study"], study_ids):
                check.fail(f"{where}.evidence[{j}].study", f"{evidence['study']!r} is not a study id in this file")
            elif evidence["study"] in listed:
                check.fail(f"{where}.evidence[{j}].study", "the same study is listed twice")
            listed.add(evidence["study"])
        if row["verdict"] == Verdict.SUPPORTED and not row["evidence"]:
            check.fail(f"{where}.verdict", "a claim with no evidence cannot be 'supported'")
        if row.get("statement_type") == "good_practice" and row["grade"] != Grade.NOT_GRADED:
            check.fail(f"{where}.grade", "a good-practice statement is not rated for certainty: use 'not_graded'")
        row["evidence"] = [ev for ev in row["evidence"] if ev["study"] in study_ids]
    evidence_pairs = {(row["id"], ev["study"]) for row in claims for ev in row["evidence"]}

    described: dict = {}
    for row in (estimates := _rows(records["effect_estimates"])):
        where = row["where"]
        numbers = {k: row[k] for k in ("value", "ci_low", "ci_high", "participants", "studies", "excerpt")}
        for name, message in estimate_errors(**numbers).items():
            check.fail(f"{where}.{name}", message)
        if not check.known("studies", row["study"], study_ids):
            check.fail(f"{where}.study", f"{row['study']!r} is not a study id in this file")
        if not check.known("claims", row["claim"], claim_ids):
            check.fail(f"{where}.claim", f"{row['claim']!r} is not a claim id in this file")
        elif (
            row["claim"] in claim_ids
            and row["study"] in study_ids
            and (row["claim"], row["study"]) not in evidence_pairs
        ):
            check.fail(f"{where}.claim", "its study is not in this claim's evidence")
        if row["condition"] is not None and not check.known("conditions", row["condition"], condition_slugs):
            check.fail(f"{where}.condition", f"unknown condition {row['condition']!r}")
        check.unique(where, tuple(row[k] for k in ESTIMATE_KEY), described, "estimate of the same outcome")

    triples: dict = {}
    for row in (assertions := _rows(records["assertions"])):
        where = row["where"]
        if not check.known("claims", row["claim"], claim_ids):
            check.fail(f"{where}.claim", f"{row['claim']!r} is not a claim id in this file")
        if not check.known("sources", row["source"], source_text):
            check.fail(f"{where}.source", f"{row['source']!r} is not a source id in this file")
        if row["cited_study"] is not None and not check.known("studies", row["cited_study"], study_ids):
            check.fail(f"{where}.cited_study", f"{row['cited_study']!r} is not a study id in this file")
        # An assertion flagged "source changed" keeps its old quote until an editor resolves it.
        if row["source"] in source_text and not row["source_changed"]:
            text, offset = source_text[row["source"]], row["offset"]
            if offset is not None:
                if text[offset : offset + len(row["quote"])] != row["quote"]:
                    check.fail(f"{where}.offset", f"the quote is not at offset {offset} of its source's text")
            elif (found := locate_quote(text, row["quote"])) is None:
                check.fail(f"{where}.quote", "is not found in its source's archived text")
            else:
                row["offset"], row["quote"] = found
        # After the quote took its wording in the text: two quotes differing in spaces are the same statement.
        check.unique(where, (row["source"], row["claim"], row["quote"]), triples, "source + claim + quote")

    _check_database(check, studies, "studies", Study, {"label": "label", "doi": "DOI", "pmid": "PMID"})
    _check_database(check, conditions, "conditions", Condition, {"name": "name"})
    return check, {
        "sources": sources,
        "studies": studies,
        "conditions": conditions,
        "claims": claims,
        "assertions": assertions,
        "effect_estimates": estimates,
    }


def _check_database(check: _Checker, rows: list[dict], key: str, model, unique: dict[str, str]) -> None:
    """Refuse a value that another record (another slug) already holds in a unique column: writing it would
    break the constraint. One query. A record that the same file gives another value before is no conflict."""
    position = {row["slug"]: i for i, row in enumerate(rows)}
    stored = list(model.objects.values("slug", *unique))
    noun = model._meta.verbose_name
    for name, what in unique.items():
        holders = {record[name]: record["slug"] for record in stored if record[name] not in ("", None)}
        for i, row in enumerate(rows):
            holder = holders.get(row[name])
            if holder is None or holder == row["slug"]:
                continue
            earlier = position.get(holder)
            if earlier is not None and earlier < i and rows[earlier][name] != row[name]:
                continue
            check.fail(
                f"{row['where']}.{name}",
                f"{what} {row[name]!r} belongs to the {noun} {holder!r} already in the knowledge base "
                f"({key} are matched by slug: give this one its slug, or another {what})",
            )


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
    where = values.pop("where", f"{what} {lookup}")
    obj = model.objects.filter(**lookup).first()
    created = obj is None
    if created:
        obj = model(**lookup)
        if wanted_pk is not None and not model.objects.filter(pk=wanted_pk).exists():
            obj.pk = wanted_pk
    for name, value in values.items():
        setattr(obj, name, value)
    # Validation above should leave nothing for these two to find; they stand guard should the models change.
    try:
        obj.full_clean(validate_unique=False, validate_constraints=False)
    except ValidationError as exc:
        raise ImportRefused([f"{where}: {'; '.join(exc.messages)}"]) from None
    try:
        with transaction.atomic():
            obj.save()
    except DatabaseError as exc:
        raise ImportRefused([f"{where}: the database refused it ({_first_line(exc)})"]) from None
    result.count(what, created)
    return obj


def _first_line(exc: Exception) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]


def import_document(doc: Any) -> ImportResult:
    """Validate ``doc`` completely, then write it in one transaction; raise ImportRefused on any problem."""
    check, parsed = _validate(doc)
    if check.errors:
        raise ImportRefused(check.errors)
    try:
        return _write(parsed)
    except DatabaseError as exc:  # the transaction is rolled back by now
        raise ImportRefused([f"the database refused the file ({_first_line(exc)})"]) from None


def _write(parsed: dict[str, list[dict]]) -> ImportResult:
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
