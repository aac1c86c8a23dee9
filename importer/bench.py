"""Evaluation of the extractor (``make bench-import``): leave-one-out on the seed articles, and the held-out articles.

Leave-one-out: for each seed article k, the knowledge base holds only the claims asserted by the other articles
(with their quotes from those articles); article k is extracted against it, and its fixture assertions are the
answer key. The extractor's weights and thesaurus were chosen on this evaluation, so it flatters them.

Held-out: ``importer/benchdata/heldout/`` holds articles written for this evaluation and labelled against the seed
claims by people who had seen neither the extractor's code nor its output (see the README there). They are
extracted against the whole seed knowledge base. The thesaurus was written before they existed, but three changes
to relevance were found on their misses (docs/importing.md lists them), so treat their figures as a check on
over-fitting, not a blind test.

For each article, with its answer key (quote, offset, claim or none, category, stance):

- recall: share of the answers whose quote lies inside some candidate sentence ("found");
- precision: share of candidates that answer at least one quote (for each quote, the candidate of a sentence
  containing it whose clause overlaps it most answers it);
- category accuracy: for found answers, the candidate's category equals the answer's category;
- category in the first three guesses (reported, no target): the candidate's category or one of its next two
  guesses (``other_categories``, offered first to an editor who drafts a new claim) is the answer's category;
- category ceiling: the best category accuracy any extractor could reach with these candidates, one category per
  candidate (a clause the answer key attaches to claims of two categories can be right for one of them only);
- top-3: for found answers whose claim exists in the knowledge base, the claim is among the candidate's first
  three suggestions;
- top-1: the claim is the first suggestion;
- stance accuracy: the stance shown next to the answer's claim (the candidate's own when that claim is not suggested)
  equals the answer's stance;
- furniture offered: candidates whose sentence is one of the page furniture's sentences that the answer key lists
  (``furniture``: cookie banners, menus, teasers, comments of an HTML page); they count against precision too.

Held-out files are read as an import reads them (``readable_document``: an HTML page through trafilatura and the
furniture filter), and their answer keys' offsets are into that readable text.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

from importer.embedding import CachedEmbedder, get_encoder, unavailable_reason
from importer.extract import ClaimIndex, ClaimRecord, ConditionRecord, StudyRecord, condition_names, extract
from importer.text import readable_document

# Issue 15's targets, for the seed leave-one-out and the held-out articles alike.
TARGETS = {"recall": 0.95, "precision": 0.85, "top1": 0.75, "top3": 0.9, "stance_accuracy": 0.85, "category_top3": 0.9}
HELDOUT_DIR = Path(__file__).resolve().parent / "benchdata" / "heldout"
COUNTS = ("assertions", "found", "candidates", "useful_candidates", "category_right", "category_top3",
          "category_ceiling", "claims_in_kb", "top1_hits", "top3_hits", "stance_right",
          "furniture_offered")  # fmt: skip


@dataclass(frozen=True)
class Answer:
    offset: int
    quote: str
    claim: int | None
    category: str
    stance: str


@dataclass
class ArticleScore:
    source: str
    assertions: int = 0
    found: int = 0
    candidates: int = 0
    useful_candidates: int = 0
    category_right: int = 0
    category_top3: int = 0
    category_ceiling: int = 0
    claims_in_kb: int = 0
    top1_hits: int = 0
    top3_hits: int = 0
    stance_right: int = 0
    furniture_offered: int = 0
    misses: list = field(default_factory=list)


def _ratio(a: int, b: int) -> float:
    return a / b if b else 1.0


def score_article(
    name: str,
    text: str,
    answers: Sequence[Answer],
    index: ClaimIndex,
    conditions: Sequence[ConditionRecord],
    studies: Sequence[StudyRecord],
    furniture: Sequence[str] = (),
) -> ArticleScore:
    """Extract ``text`` against ``index`` and compare the candidates with the answer key; ``furniture``: sentences
    of the page's furniture, none of which should be offered."""
    known = {claim.id for claim in index.claims}
    candidates = extract(text, index, conditions, studies)
    score = ArticleScore(name, assertions=len(answers), candidates=len(candidates))
    furniture = [" ".join(f.split()) for f in furniture]
    sentences = [" ".join(c.sentence.text.split()) for c in candidates]
    score.furniture_offered = sum(any(s in f or f in s for f in furniture) for s in sentences)
    categories_per_hit: dict[int, Counter] = defaultdict(Counter)
    for answer in answers:
        start, end = answer.offset, answer.offset + len(answer.quote)
        # Candidates whose sentence contains the quote; the one whose clause overlaps it most answers.
        containing = [c for c in candidates if c.sentence.start <= start and end <= c.sentence.end]
        if not containing:
            score.misses.append(answer.quote)
            continue
        hit = max(containing, key=lambda c: min(end, c.clause.end) - max(start, c.clause.start))
        categories_per_hit[id(hit)][answer.category] += 1
        score.found += 1
        score.category_right += hit.category == answer.category
        score.category_top3 += answer.category in [hit.category, *hit.other_categories][:3]
        if answer.claim in known:
            score.claims_in_kb += 1
            score.top3_hits += answer.claim in [cid for cid, _, _ in hit.suggestions[:3]]
            score.top1_hits += bool(hit.suggestions) and hit.suggestions[0][0] == answer.claim
        # The stance an editor sees next to the answer's claim when it is suggested, else the candidate's own.
        stances = {cid: stance for cid, _, stance in hit.suggestions}
        score.stance_right += stances.get(answer.claim, hit.stance) == answer.stance
    score.useful_candidates = len(categories_per_hit)
    score.category_ceiling = sum(max(counts.values()) for counts in categories_per_hit.values())
    return score


def _records(document: dict) -> tuple[list[ConditionRecord], list[StudyRecord]]:
    conditions = [
        ConditionRecord(c["slug"], condition_names(c["name"], c.get("aliases", []))) for c in document["conditions"]
    ]
    studies = [
        StudyRecord(s["id"], s["label"], s.get("authors", ""), s.get("year"), s.get("journal", ""))
        for s in document["studies"]
    ]
    return conditions, studies


def _index(document: dict, assertions: list[dict], embed=None) -> ClaimIndex:
    """The claims these assertions state, each with the quotes they attach to it."""
    claims = {c["id"]: c for c in document["claims"]}
    quotes = defaultdict(list)
    for a in assertions:
        quotes[a["claim"]].append(a["quote"])
    return ClaimIndex(
        (ClaimRecord(cid, claims[cid]["text"], claims[cid]["category"], tuple(qs)) for cid, qs in quotes.items()),
        embed=embed,
    )


def _summary(scores: list[ArticleScore]) -> dict:
    total = {name: sum(getattr(s, name) for s in scores) for name in COUNTS}
    overall = {
        "recall": _ratio(total["found"], total["assertions"]),
        "precision": _ratio(total["useful_candidates"], total["candidates"]),
        "category_accuracy": _ratio(total["category_right"], total["found"]),
        "category_top3": _ratio(total["category_top3"], total["found"]),
        "category_ceiling": _ratio(total["category_ceiling"], total["found"]),
        "top1": _ratio(total["top1_hits"], total["claims_in_kb"]),
        "top3": _ratio(total["top3_hits"], total["claims_in_kb"]),
        "stance_accuracy": _ratio(total["stance_right"], total["found"]),
    }
    return {"articles": [asdict(s) for s in scores], "totals": total, "overall": overall}


def evaluate(document: dict, embed=None) -> dict:
    """Leave-one-out over the document's sources."""
    claims = {c["id"]: c for c in document["claims"]}
    conditions, studies = _records(document)
    by_source = defaultdict(list)
    for a in document["assertions"]:
        by_source[a["source"]].append(a)
    scores = []
    for source in document["sources"]:
        others = [a for a in document["assertions"] if a["source"] != source["id"]]
        answers = [
            Answer(a["offset"], a["quote"], a["claim"], claims[a["claim"]]["category"], a["stance"])
            for a in by_source[source["id"]]
        ]
        index = _index(document, others, embed)
        scores.append(score_article(source["slug"], source["text"], answers, index, conditions, studies))
    return {**_summary(scores), "targets": TARGETS}


def heldout_text(path: Path) -> str:
    """The text an import of this file archives (and the answer key's offsets refer to)."""
    return readable_document(path.read_bytes(), name=path.name).text


def evaluate_heldout(document: dict, directory: Path = HELDOUT_DIR, embed=None) -> dict | None:
    """The held-out articles against the whole knowledge base; None when the directory holds none."""
    key = directory / "answers.json"
    if not key.exists():
        return None
    slugs = {c["slug"]: c["id"] for c in document["claims"]}
    conditions, studies = _records(document)
    index = _index(document, document["assertions"], embed)
    scores = []
    for article in json.loads(key.read_text(encoding="utf-8"))["articles"]:
        answers = [
            Answer(a["offset"], a["quote"], slugs.get(a["claim"]) if a["claim"] else None, a["category"], a["stance"])
            for a in article["assertions"]
        ]
        text = heldout_text(directory / article["file"])
        scores.append(
            score_article(article["file"], text, answers, index, conditions, studies, article.get("furniture", ()))
        )
    return _summary(scores)


def _table(title: str, result: dict) -> list[str]:
    lines = [
        title,
        f"{'article':42} {'recall':>7} {'precision':>9} {'category':>8} {'cat≤3':>6} {'ceiling':>7} {'top-1':>6} "
        f"{'top-3':>6} {'stance':>6} {'furniture':>9}",
    ]
    rows = [(a["source"], a) for a in result["articles"]] + [("ALL (pooled)", result["totals"])]
    for name, a in rows:
        found = a["found"]
        lines.append(
            f"{name[:42]:42} {_ratio(found, a['assertions']):7.2f} "
            f"{_ratio(a['useful_candidates'], a['candidates']):9.2f} {_ratio(a['category_right'], found):8.2f} "
            f"{_ratio(a['category_top3'], found):6.2f} "
            f"{_ratio(a['category_ceiling'], found):7.2f} {_ratio(a['top1_hits'], a['claims_in_kb']):6.2f} "
            f"{_ratio(a['top3_hits'], a['claims_in_kb']):6.2f} "
            f"{_ratio(a['stance_right'], found):6.2f} {a['furniture_offered']:9d}"
        )
    return lines


def _verdicts(overall: dict) -> list[str]:
    return [
        f"{metric:18} {overall[metric]:.3f}  target ≥ {target:.2f}  {'PASS' if overall[metric] >= target else 'FAIL'}"
        for metric, target in TARGETS.items()
    ]


def render(result: dict) -> str:
    semantic = result.get("semantic_off")
    lines = [
        "Claim ranking: TF-IDF and thesaurus"
        + (f" only (semantic matching is off: {semantic})" if semantic else " with sentence embeddings"),
        "",
        *_table("Leave-one-out on the seed articles", result),
    ]
    lines += ["", *_verdicts(result["overall"])]
    if result.get("heldout"):
        lines += ["", *_table("Held-out articles, against the whole seed knowledge base", result["heldout"])]
        lines += ["", *_verdicts(result["heldout"]["overall"])]
    return "\n".join(lines) + "\n"


def run(fixture: Path, heldout: Path = HELDOUT_DIR) -> dict:
    """Both evaluations, with sentence embeddings when the model is available (``KB_EMBEDDINGS=off`` to compare)."""
    document = json.loads(fixture.read_text(encoding="utf-8"))
    encoder = get_encoder()
    embed = CachedEmbedder(encoder) if encoder is not None else None  # in memory: shared by every fold
    return {
        **evaluate(document, embed),
        "heldout": evaluate_heldout(document, heldout, embed),
        "semantic_off": "" if embed is not None else unavailable_reason(),
    }
