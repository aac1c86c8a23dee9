"""The content report: coverage, stances, citations and disagreements, per source and overall.

``build_report()`` gathers everything in a fixed number of queries; the ``kb_report`` command prints it.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from claims.models import Assertion, Claim, Grade, Verdict
from sources.models import Source

# Report-only sentence split: line breaks and ., !, ? followed by space. Good enough to measure which
# stretches of an article no assertion quotes; it is not used to extract anything.
_SENTENCE = re.compile(r"\S[^\n]*?(?:[.!?]+[\"”’)]*(?=\s|$)|$)", re.M)


@dataclass
class SourceReport:
    source: Source
    claims: int = 0
    assertions: int = 0
    stances: Counter = field(default_factory=Counter)
    citations: int = 0
    fidelity: Counter = field(default_factory=Counter)
    sentences: int = 0
    covered: int = 0
    ketamine_sentences: int = 0
    ketamine_covered: int = 0
    uncovered: list[str] = field(default_factory=list)

    @property
    def coverage(self) -> float:
        return self.covered / self.sentences if self.sentences else 1.0


@dataclass
class Report:
    sources: list[SourceReport]
    by_category_grade: dict[str, Counter]
    by_status: Counter
    disputed: list[tuple[Claim, Counter]]
    conflicts: list[tuple[Claim, Claim]]
    findings: list[Assertion]
    unstated: list[Claim] = field(default_factory=list)  # published claims no source article states
    by_verdict: Counter = field(default_factory=Counter)


def sentences(text: str, min_words: int = 4) -> list[tuple[int, int, str]]:
    """(start, end, sentence) spans worth covering: statements of at least ``min_words`` words ending in a
    full stop or exclamation mark (headings, questions, list labels and link lines are left out)."""
    spans = []
    for match in _SENTENCE.finditer(text):
        chunk = match.group(0)
        stripped = chunk.strip()
        if len(stripped.split()) < min_words or not re.search(r"[.!][\"”’)]*$", stripped):
            continue
        start = match.start() + (len(chunk) - len(chunk.lstrip()))
        spans.append((start, start + len(stripped), stripped))
    return spans


def build_report() -> Report:
    """Five queries: sources, assertions with claims and studies, claims, conflicts."""
    sources = list(Source.objects.by_title())
    reports = {s.pk: SourceReport(source=s) for s in sources}
    spans: dict[int, list[tuple[int, int]]] = defaultdict(list)
    claims_per_source: dict[int, set[int]] = defaultdict(set)
    stances_per_claim: dict[int, Counter] = defaultdict(Counter)
    findings = []
    for a in Assertion.objects.select_related("claim", "cited_study").order_by("source_id", "offset", "pk"):
        rep = reports[a.source_id]
        rep.assertions += 1
        rep.stances[a.stance] += 1
        claims_per_source[a.source_id].add(a.claim_id)
        stances_per_claim[a.claim_id][a.stance] += 1
        if a.cited_study_id:
            rep.citations += 1
            rep.fidelity[a.citation_fidelity] += 1
        if a.cited_study_id or "unnamed study" in a.note.lower():
            findings.append(a)
        if a.offset is not None:
            spans[a.source_id].append((a.offset, a.offset + len(a.quote)))
    for pk, rep in reports.items():
        rep.claims = len(claims_per_source[pk])
        quoted = spans[pk]
        for start, end, sentence in sentences(rep.source.text):
            rep.sentences += 1
            mentions = "ketamine" in sentence.lower()
            rep.ketamine_sentences += mentions
            if any(qs < end and qe > start for qs, qe in quoted):
                rep.covered += 1
                rep.ketamine_covered += mentions
            else:
                rep.uncovered.append(sentence)
    claims = list(Claim.objects.order_by("text"))
    by_category_grade: dict[str, Counter] = {c: Counter() for c in Claim.Category.values}
    by_status = Counter()
    disputed, unstated = [], []
    by_verdict = Counter()
    for claim in claims:
        by_category_grade[claim.category][claim.grade] += 1
        by_status[claim.status] += 1
        by_verdict[claim.verdict] += 1
        if claim.status == Claim.Status.PUBLISHED and not stances_per_claim[claim.pk]:
            unstated.append(claim)
        counts = stances_per_claim[claim.pk]
        if counts["supports"] and (counts["contradicts"] or counts["qualifies"]):
            disputed.append((claim, counts))
    through = Claim.conflicting_claims.through
    conflicts = [
        (row.from_claim, row.to_claim)
        for row in through.objects.select_related("from_claim", "to_claim").order_by("from_claim__text")
        if row.from_claim_id < row.to_claim_id
    ]
    return Report(
        sources=list(reports.values()),
        by_category_grade=by_category_grade,
        by_status=by_status,
        disputed=disputed,
        conflicts=conflicts,
        findings=findings,
        unstated=unstated,
        by_verdict=by_verdict,
    )


def render_report(report: Report, show_uncovered: bool = False) -> str:
    lines: list[str] = []
    out = lines.append
    out("SOURCES")
    for rep in report.sources:
        s = rep.source
        interest = ", commercial interest" if s.commercial_interest else ""
        out(f"- {s.title} [{s.slug}] ({s.get_kind_display()}{interest})")
        out(
            f"    claims {rep.claims} · assertions {rep.assertions} · supports {rep.stances['supports']}"
            f" · contradicts {rep.stances['contradicts']} · qualifies {rep.stances['qualifies']}"
        )
        fidelity = ", ".join(f"{k} {v}" for k, v in sorted(rep.fidelity.items())) or "none"
        out(f"    citations {rep.citations} ({fidelity})")
        out(
            f"    coverage {rep.covered}/{rep.sentences} sentences quoted ({rep.coverage:.0%}); "
            f"{rep.ketamine_covered}/{rep.ketamine_sentences} of those naming ketamine"
        )
        if show_uncovered:
            for sentence in rep.uncovered:
                out(f"      not quoted: {sentence[:150]}")
    out("")
    out("CLAIMS BY CATEGORY AND GRADE")
    grades = [g for g in Grade.values]
    out("  " + "category".ljust(16) + "".join(g.ljust(12) for g in grades) + "total")
    for category, counts in report.by_category_grade.items():
        total = sum(counts.values())
        out("  " + category.ljust(16) + "".join(str(counts[g]).ljust(12) for g in grades) + str(total))
    totals = Counter()
    for counts in report.by_category_grade.values():
        totals.update(counts)
    out("  " + "all".ljust(16) + "".join(str(totals[g]).ljust(12) for g in grades) + str(sum(totals.values())))
    out("  status: " + ", ".join(f"{k} {report.by_status[k]}" for k in Claim.Status.values))
    out("  verdicts: " + ", ".join(f"{k} {report.by_verdict[k]}" for k in Verdict.values))
    out("")
    out(f"WHAT THE ARTICLES LEAVE OUT ({len(report.unstated)} published claims no source states)")
    for claim in report.unstated:
        kind = f"{claim.get_category_display().lower()}, {claim.get_verdict_display().lower()}"
        out(f"- {claim.text} [{claim.slug}] — {kind}")
    out("")
    out(f"WHERE SOURCES DISAGREE ({len(report.disputed)} claims)")
    for claim, counts in report.disputed:
        out(
            f"- {claim.text} [{claim.slug}] — supports {counts['supports']},"
            f" contradicts {counts['contradicts']}, qualifies {counts['qualifies']}"
        )
    out("")
    out(f"CONFLICTING CLAIMS ({len(report.conflicts)} pairs)")
    for a, b in report.conflicts:
        out(f"- {a.slug}  ⟷  {b.slug}")
    out("")
    out(f"CITATION FIDELITY ({len(report.findings)} citations)")
    for a in report.findings:
        study = a.cited_study.label if a.cited_study else "(unnamed study)"
        out(f"- {study}: {a.get_citation_fidelity_display().lower()} — “{a.quote[:90]}” [{a.claim.slug}]")
        if a.fidelity_note:
            out(f"    {a.fidelity_note}")
    return "\n".join(lines) + "\n"
