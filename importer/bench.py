"""Leave-one-out evaluation of the extractor on the seed articles (``make bench-import``).

For each article k: the knowledge base holds only the claims asserted by the other articles (with their
quotes from those articles); article k is extracted against it, and its fixture assertions are the answer key.

- recall: share of article k's assertions whose quote lies inside some candidate sentence;
- precision: share of candidates whose sentence contains at least one fixture quote;
- category accuracy: for found assertions, the candidate's category equals the assertion's claim category;
- top-3: for found assertions whose claim exists in the reduced knowledge base, the claim is among the
  candidate's first three suggestions;
- stance accuracy (reported, no target): the candidate's stance cue equals the assertion's stance.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import asdict, dataclass
from pathlib import Path

from importer.extract import ClaimIndex, ClaimRecord, ConditionRecord, StudyRecord, condition_names, extract

TARGETS = {"recall": 0.85, "category_accuracy": 0.8, "top3": 0.7}


@dataclass
class ArticleScore:
    source: str
    assertions: int
    found: int
    candidates: int
    useful_candidates: int
    category_right: int
    claims_in_kb: int
    top3_hits: int
    stance_right: int

    @property
    def recall(self) -> float:
        return self.found / self.assertions if self.assertions else 1.0

    @property
    def precision(self) -> float:
        return self.useful_candidates / self.candidates if self.candidates else 0.0


def _ratio(a: int, b: int) -> float:
    return a / b if b else 1.0


def evaluate(document: dict) -> dict:
    sources = {s["id"]: s for s in document["sources"]}
    claims = {c["id"]: c for c in document["claims"]}
    conditions = [
        ConditionRecord(c["slug"], condition_names(c["name"], c.get("aliases", []))) for c in document["conditions"]
    ]
    studies = [
        StudyRecord(s["id"], s["label"], s.get("authors", ""), s.get("year"), s.get("journal", ""))
        for s in document["studies"]
    ]
    by_source = defaultdict(list)
    for a in document["assertions"]:
        by_source[a["source"]].append(a)
    scores = []
    for source_id, source in sources.items():
        others = [a for a in document["assertions"] if a["source"] != source_id]
        quotes = defaultdict(list)
        for a in others:
            quotes[a["claim"]].append(a["quote"])
        kb = [ClaimRecord(cid, claims[cid]["text"], claims[cid]["category"], tuple(qs)) for cid, qs in quotes.items()]
        candidates = extract(source["text"], ClaimIndex(kb), conditions, studies)
        answers = by_source[source_id]
        score = ArticleScore(source["slug"], len(answers), 0, len(candidates), 0, 0, 0, 0, 0)
        useful = set()
        for a in answers:
            start, end = a["offset"], a["offset"] + len(a["quote"])
            # Candidates whose sentence contains the quote; the one whose clause overlaps it most answers.
            containing = [c for c in candidates if c.sentence.start <= start and end <= c.sentence.end]
            if not containing:
                continue
            hit = max(containing, key=lambda c: min(end, c.clause.end) - max(start, c.clause.start))
            useful.add(id(hit))
            score.found += 1
            claim = claims[a["claim"]]
            score.category_right += hit.category == claim["category"]
            score.stance_right += hit.stance == a["stance"]
            if a["claim"] in quotes:
                score.claims_in_kb += 1
                score.top3_hits += a["claim"] in [cid for cid, _ in hit.suggestions[:3]]
        score.useful_candidates = len(useful)
        scores.append(score)
    total = {
        "assertions": sum(s.assertions for s in scores),
        "found": sum(s.found for s in scores),
        "candidates": sum(s.candidates for s in scores),
        "useful_candidates": sum(s.useful_candidates for s in scores),
        "category_right": sum(s.category_right for s in scores),
        "claims_in_kb": sum(s.claims_in_kb for s in scores),
        "top3_hits": sum(s.top3_hits for s in scores),
        "stance_right": sum(s.stance_right for s in scores),
    }
    overall = {
        "recall": _ratio(total["found"], total["assertions"]),
        "precision": _ratio(total["useful_candidates"], total["candidates"]),
        "category_accuracy": _ratio(total["category_right"], total["found"]),
        "top3": _ratio(total["top3_hits"], total["claims_in_kb"]),
        "stance_accuracy": _ratio(total["stance_right"], total["found"]),
    }
    return {"articles": [asdict(s) for s in scores], "totals": total, "overall": overall, "targets": TARGETS}


def render(result: dict) -> str:
    lines = [
        f"{'article':42} {'recall':>7} {'precision':>9} {'category':>8} {'top-3':>6} {'stance':>6}",
    ]
    for a in result["articles"]:
        found = a["found"] or 1
        lines.append(
            f"{a['source'][:42]:42} {_ratio(a['found'], a['assertions']):7.2f} "
            f"{_ratio(a['useful_candidates'], a['candidates']):9.2f} {a['category_right'] / found:8.2f} "
            f"{_ratio(a['top3_hits'], a['claims_in_kb']):6.2f} {a['stance_right'] / found:6.2f}"
        )
    o = result["overall"]
    lines.append(
        f"{'ALL (pooled)':42} {o['recall']:7.2f} {o['precision']:9.2f} {o['category_accuracy']:8.2f} "
        f"{o['top3']:6.2f} {o['stance_accuracy']:6.2f}"
    )
    lines.append("")
    for metric, target in TARGETS.items():
        verdict = "PASS" if o[metric] >= target else "FAIL"
        lines.append(f"{metric:18} {o[metric]:.3f}  target ≥ {target:.2f}  {verdict}")
    return "\n".join(lines) + "\n"


def run(fixture: Path) -> dict:
    return evaluate(json.loads(fixture.read_text(encoding="utf-8")))
