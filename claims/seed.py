"""Build the ``kb-export`` fixture from the human-edited authoring files in ``fixtures/seed/``.

The authoring files reference records by slug or key and give quotes without offsets; this module resolves
the references, reads each source's archived text, computes offsets and digests, and numbers the records.
See ``fixtures/seed/FORMAT.md``.
"""

from __future__ import annotations

import json
from pathlib import Path

from django.conf import settings
from django.utils.text import slugify

from claims.exchange import ESTIMATE_FIELDS, FORMAT, VERSION
from sources.models import text_sha256

SEED_DIR = Path(settings.BASE_DIR) / "fixtures" / "seed"
FIXTURE = Path(settings.BASE_DIR) / "fixtures" / "kb.json"
# Seed claims are published as of the day the seed content was reviewed.
SEED_PUBLISHED_AT = "2026-11-23T00:00:00+00:00"
# The seed's verdicts, summaries and bottom lines were written in the editorial re-assessment of this day; a claim
# or bottom line gives its own "reviewed_at" when it was reviewed on another day. No reviewer approved them through
# the workflow, so no role is claimed: pages say "Last reviewed <date>." without one.
SEED_REVIEWED_AT = "2026-12-05T00:00:00+00:00"
SEED_REVIEWED_ROLE = ""

CLAIM_JUDGMENT_FIELDS = [
    "grade", "starting_level", "risk_of_bias", "inconsistency", "indirectness", "imprecision",
    "publication_bias", "large_effect", "dose_response", "plausible_confounding", "grade_override_reason",
    "rationale", "status", "verdict", "summary", "applies_generally", "statement_type",
]  # fmt: skip


def _seed_value(name: str, value):
    """An estimate's field as the export writes it: measures as floats, counts as integers, text never null."""
    if name in {"value", "ci_low", "ci_high"}:
        return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else value
    if name in {"participants", "studies"}:
        return value
    return value if value is not None else ""


class SeedError(Exception):
    pass


def _load(seed_dir: Path, name: str) -> list[dict]:
    path = seed_dir / name
    if not path.is_file():
        return []
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise SeedError(f"{path}: not valid JSON (line {exc.lineno}: {exc.msg})") from None
    if not isinstance(data, list):
        raise SeedError(f"{path}: must hold a JSON list")
    return data


def build_document(seed_dir: Path = SEED_DIR) -> dict:
    errors: list[str] = []
    sources, source_ids, texts = [], {}, {}
    for index, rec in enumerate(_load(seed_dir, "sources.json"), start=1):
        text_path = seed_dir / "texts" / rec["file"]
        if not text_path.is_file():
            errors.append(f"sources.json: {rec['slug']}: no text file {text_path}")
            continue
        text = text_path.read_text(encoding="utf-8")
        source_ids[rec["slug"]] = index
        texts[index] = text
        sources.append(
            {
                "id": index,
                "slug": rec["slug"],
                "title": rec["title"],
                "url": rec.get("url", ""),
                "author": rec.get("author", ""),
                "publisher": rec.get("publisher", ""),
                "published_on": rec.get("published_on"),
                "accessed_on": rec.get("accessed_on"),
                "kind": rec["kind"],
                "commercial_interest": bool(rec.get("commercial_interest", False)),
                "commercial_interest_note": rec.get("commercial_interest_note", ""),
                "archive_name": rec["file"],
                "text": text,
                "text_sha256": text_sha256(text),
                "notes": rec.get("notes", ""),
            }
        )

    studies, study_ids = [], {}
    for index, rec in enumerate(_load(seed_dir, "studies.json"), start=1):
        study_ids[rec["key"]] = index
        pmid = str(rec.get("pmid") or "").strip()
        studies.append(
            {
                "id": index,
                "label": rec["label"],
                "slug": slugify(rec["label"]),
                "authors": rec.get("authors", ""),
                "title": rec.get("title", ""),
                "journal": rec.get("journal", ""),
                "year": rec.get("year"),
                "volume": rec.get("volume", ""),
                "pages": rec.get("pages", ""),
                "doi": (rec.get("doi") or "").strip().lower(),
                "pmid": pmid or None,
                "url": rec.get("url", ""),
                "design": rec["design"],
                "population": rec.get("population", ""),
                "sample_size": rec.get("sample_size"),
                "summary": rec.get("summary", ""),
                "verified_from": rec.get("verified_from", ""),
            }
        )

    conditions = []
    for index, rec in enumerate(_load(seed_dir, "conditions.json"), start=1):
        bottom_line = rec.get("bottom_line", "")
        conditions.append(
            {
                "id": index,
                "slug": rec["slug"],
                "name": rec["name"],
                "aliases": rec.get("aliases", []),
                "description": rec.get("description", ""),
                "parent": rec.get("parent"),
                "related": sorted(rec.get("related", [])),
                "bottom_line": bottom_line,
                "bottom_line_draft": bottom_line,
                "bottom_line_status": "published" if bottom_line else "draft",
                "reviewed_at": rec.get("reviewed_at", SEED_REVIEWED_AT if bottom_line else None),
                "reviewed_role": rec.get("reviewed_role", SEED_REVIEWED_ROLE if bottom_line else ""),
            }
        )

    condition_slugs = {c["slug"] for c in conditions}
    # The relation is symmetrical in the database, so the document lists it on both conditions.
    related_of = {c["slug"]: set(c["related"]) for c in conditions}
    for condition in conditions:
        for other in condition["related"]:
            if other not in related_of:
                errors.append(f"conditions.json: {condition['slug']}: related to unknown condition {other!r}")
            else:
                related_of[other].add(condition["slug"])
    for condition in conditions:
        condition["related"] = sorted(related_of[condition["slug"]])
    claim_recs = _load(seed_dir, "claims.json")
    claim_ids = {rec["slug"]: index for index, rec in enumerate(claim_recs, start=1)}
    conflicts: dict[int, set[int]] = {index: set() for index in claim_ids.values()}
    for rec in claim_recs:
        for other in rec.get("conflicts_with", []):
            if other not in claim_ids:
                errors.append(f"claims.json: {rec['slug']}: conflicts_with unknown claim {other!r}")
                continue
            # The relation is symmetrical in the database, so the document lists it on both claims.
            conflicts[claim_ids[rec["slug"]]].add(claim_ids[other])
            conflicts[claim_ids[other]].add(claim_ids[rec["slug"]])
    claims = []
    for rec in claim_recs:
        pk = claim_ids[rec["slug"]]
        evidence = []
        for ev in rec.get("evidence", []):
            if ev["study"] not in study_ids:
                errors.append(f"claims.json: {rec['slug']}: evidence cites unknown study {ev['study']!r}")
                continue
            evidence.append({"study": study_ids[ev["study"]], "direction": ev["direction"], "note": ev.get("note", "")})
        record = {"id": pk, "slug": rec["slug"], "text": rec["text"], "category": rec["category"]}
        record.update({name: rec[name] for name in CLAIM_JUDGMENT_FIELDS if name in rec})
        record.setdefault("verdict", "not_assessed")
        record.setdefault("summary", "")
        record.setdefault("applies_generally", False)
        record.setdefault("statement_type", "effect")
        published = rec.get("status") == "published"
        record["published_at"] = rec.get("published_at", SEED_PUBLISHED_AT if published else None)
        record["reviewed_at"] = rec.get("reviewed_at", SEED_REVIEWED_AT if published else None)
        record["reviewed_role"] = rec.get("reviewed_role", SEED_REVIEWED_ROLE if published else "")
        record["conditions"] = sorted(rec.get("conditions", []))
        record["tags"] = sorted({t.strip() for t in rec.get("tags", [])})
        record["conflicts_with"] = sorted(conflicts[pk])
        record["evidence"] = sorted(evidence, key=lambda e: e["study"])
        claims.append(record)

    assertions = []
    for index, rec in enumerate(_load(seed_dir, "assertions.json"), start=1):
        where = f"assertions.json[{index - 1}]"
        source_id = source_ids.get(rec["source"])
        claim_id = claim_ids.get(rec["claim"])
        if source_id is None or claim_id is None:
            errors.append(f"{where}: unknown source {rec['source']!r} or claim {rec['claim']!r}")
            continue
        cited = rec.get("cited_study")
        if cited is not None and cited not in study_ids:
            errors.append(f"{where}: unknown cited study {cited!r}")
            continue
        text, quote = texts[source_id], rec["quote"]
        occurrence = int(rec.get("occurrence", 1))
        offset = -1
        for _ in range(occurrence):
            offset = text.find(quote, offset + 1)
            if offset < 0:
                break
        if offset < 0:
            errors.append(f"{where}: quote not found (occurrence {occurrence}) in {rec['source']}: {quote!r}")
            continue
        assertions.append(
            {
                "id": index,
                "claim": claim_id,
                "source": source_id,
                "cited_study": study_ids[cited] if cited is not None else None,
                "quote": quote,
                "offset": offset,
                "stance": rec["stance"],
                "citation_fidelity": rec.get("citation_fidelity", "not_checked"),
                "fidelity_note": rec.get("fidelity_note", ""),
                "note": rec.get("note", ""),
                "source_changed": False,
            }
        )
    estimates = []
    for index, rec in enumerate(_load(seed_dir, "effect_estimates.json"), start=1):
        where = f"effect_estimates.json[{index - 1}]"
        if rec.get("study") not in study_ids or rec.get("claim") not in claim_ids:
            errors.append(f"{where}: unknown study {rec.get('study')!r} or claim {rec.get('claim')!r}")
            continue
        if rec.get("condition") is not None and rec["condition"] not in condition_slugs:
            errors.append(f"{where}: unknown condition {rec['condition']!r}")
            continue
        estimates.append(
            {
                "id": index,
                "study": study_ids[rec["study"]],
                "claim": claim_ids[rec["claim"]],
                "condition": rec.get("condition"),
                **{name: _seed_value(name, rec.get(name)) for name in ESTIMATE_FIELDS},
            }
        )
    if errors:
        raise SeedError("The seed does not build:\n- " + "\n- ".join(errors))
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
