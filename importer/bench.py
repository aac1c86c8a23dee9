"""Evaluation of the extractor (``make bench-import``): leave-one-out on the seed articles, and the held-out articles.

Leave-one-out: for each seed article k, the knowledge base holds only the claims asserted by the other articles
(with their quotes from those articles); article k is extracted against it, and its fixture assertions are the
answer key. The extractor's weights and thesaurus were chosen on this evaluation, so it flatters them.

Held-out: ``importer/benchdata/heldout/`` holds articles written for this evaluation and labelled against the seed
claims by people who had seen neither the extractor's code nor its output (see the README there). They are
extracted against the whole seed knowledge base: every claim, also those no seed quote states. The thesaurus was
written before they existed, but three changes to relevance were found on their misses (docs/importing.md lists
them), so treat their figures as a check on over-fitting, not a blind test.

The re-ranker: every article, seed or held-out, is ranked by a re-ranker fitted on the other labelled articles
without it (leave-one-article-out over all of them, ``evaluate_all``; nested for a seed article: the knowledge bases
of the articles it learns from leave its quotes out too), never by the committed file, which has learned from every
article. The scheme before h15h (a re-ranker fitted on the seed articles only) is printed beside it.

A grown knowledge base (h21p, ``heldout_grown``): each held-out article is also ranked against the seed claims with
the seed quotes plus the keyed quotes of the other held-out articles (``grown_knowledge_base``), as the app's index
holds them once those pages were imported and reviewed; the same re-ranker, claim filter and category model (in
fold) read it. It is printed beside the held-out figures; the targets are judged on those, not on it.

For each article, with its answer key (quote, offset, claim or none, category, stance):

- recall: share of the answers whose quote lies inside some candidate sentence ("found");
- precision: share of candidates that answer at least one quote (for each quote, the candidate of a sentence
  containing it whose clause overlaps it most answers it);
- category accuracy: for found answers, the candidate's category equals the answer's category;
- category in the first three guesses (reported, no target): the candidate's category or one of its next two
  guesses (``other_categories``, offered first to an editor who drafts a new claim) is the answer's category;
- category ceiling: the best category accuracy any extractor could reach with these candidates, one category per
  candidate (a clause the answer key attaches to claims of two categories can be right for one of them only);
- top-1 and top-3 (the targets), per candidate "where one exists": of the candidates whose key attaches them to at
  least one claim the knowledge base holds, the share whose first suggestion (top-1), or one of whose first three
  (top-3), is one of those claims. This is how an editor meets it (one sentence, one list of suggestions) and how
  issue 15's table counted it ("right claim first": per sentence). Each candidate counted there whose first
  suggestion is not one of its claims is listed in the JSON, ``ranking_misses`` (``ranking_miss``): the clause, the
  key's claims with their ranks among the suggestions, the first three suggestions with their scores;
- pair-wise top-1 and top-3 (printed beside them, the figures before issue 15's counting was settled): per found
  answer whose claim exists in the knowledge base, the claim is the first suggestion / among the first three. A
  candidate the key attaches to two claims can be first for one of them only, so pair-wise top-1 cannot exceed
  ``top1_ceiling`` (about 0.69);
- stance accuracy: the stance the review screen shows next to the answer's claim equals the answer's stance. That is
  the suggestion's stance when the claim is suggested; when it is not but the knowledge base holds it (an editor finds
  it by the screen's search), the clause's stance judged against its wording (``stance_toward``, as the screen does
  since h16b); when the knowledge base lacks it (an editor drafts it from the candidate), the candidate's own. Each
  miss is listed in the JSON, ``stance_misses``: quote, clause, claim, the key's stance, the one shown, whether the
  claim was suggested and whether the knowledge base holds it;
- furniture offered: candidates whose sentence is one of the page furniture's sentences that the answer key lists
  (``furniture``: cookie banners, menus, teasers, comments of an HTML page); they count against precision too.
- filtered: clauses the learned claim filter dropped (``importer/claimfilter.py``); each article is read with a
  claim filter and a category model fitted on the other labelled articles only (``claim_filter_folds``,
  ``category_model_folds``).

Held-out files are read as an import reads them (``readable_document``: an HTML page through trafilatura and the
furniture filter), and their answer keys' offsets are into that readable text.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import NamedTuple

import numpy as np

from importer import rerank
from importer.embedding import CachedEmbedder, get_encoder, unavailable_reason
from importer.extract import (
    MATCH_SCORE,
    CandidateData,
    ClaimIndex,
    ClaimRecord,
    ConditionRecord,
    StudyRecord,
    condition_names,
    extract,
    relevant_clauses,
    stance_toward,
)
from importer.rerank import FEATURES
from importer.text import readable_document

# Issue 15's targets, for the seed leave-one-out and the held-out articles alike.
TARGETS = {"recall": 0.95, "precision": 0.85, "top1": 0.75, "top3": 0.9, "stance_accuracy": 0.85, "category_top3": 0.9}
HELDOUT_DIR = Path(__file__).resolve().parent / "benchdata" / "heldout"
COUNTS = ("assertions", "found", "candidates", "useful_candidates", "category_right", "category_top3",
          "category_ceiling", "claims_in_kb", "top1_hits", "top3_hits", "stance_right",
          "furniture_offered", "clauses_in_kb", "clause_top1_hits", "clause_top3_hits", "filtered")  # fmt: skip
# Pre-tick thresholds the bench reports (issue 15, item 5): the review screen ticks the first suggestion when it
# scores at least ``extract.MATCH_SCORE``; these are the figures that threshold was chosen on.
TICK_THRESHOLDS = (0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4)
TICKS = ("right_ticked", "wrong_ticked", "right_unticked")


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
    clauses_in_kb: int = 0  # candidates the key attaches to at least one claim of the knowledge base
    clause_top1_hits: int = 0  # … whose first suggestion is one of those claims
    clause_top3_hits: int = 0  # … one of whose first three suggestions is one of those claims
    filtered: int = 0  # clauses the learned claim filter dropped
    # Per pre-tick threshold (``TICK_THRESHOLDS``, as text): candidates whose first suggestion would be ticked and is
    # one of the claims their key names (right ticked), ticked and is not (wrong ticked: also a candidate the key
    # attaches to nothing the knowledge base holds, or to nothing at all), or is right but scores below it.
    ticks: dict = field(default_factory=dict)
    misses: list = field(default_factory=list)
    # Each answer whose stance was shown wrong: for error analysis (in the JSON of ``bench_import --json``).
    stance_misses: list = field(default_factory=list)
    # Each candidate counted in top-1 whose first suggestion is not a claim its key names (``ranking_miss``).
    ranking_misses: list = field(default_factory=list)


def _ratio(a: int, b: int) -> float:
    return a / b if b else 1.0


def answering(candidates: Sequence[CandidateData], answer: Answer) -> CandidateData | None:
    """The candidate that answers a quote: of those whose sentence contains it, the one whose clause overlaps it
    most; None when no candidate's sentence contains it."""
    start, end = answer.offset, answer.offset + len(answer.quote)
    containing = [c for c in candidates if c.sentence.start <= start and end <= c.sentence.end]
    if not containing:
        return None
    return max(containing, key=lambda c: min(end, c.clause.end) - max(start, c.clause.start))


def score_article(
    name: str,
    text: str,
    answers: Sequence[Answer],
    index: ClaimIndex,
    conditions: Sequence[ConditionRecord],
    studies: Sequence[StudyRecord],
    furniture: Sequence[str] = (),
    claim_filter="default",
    category_model="default",
) -> ArticleScore:
    """Extract ``text`` against ``index`` and compare the candidates with the answer key; ``furniture``: sentences
    of the page's furniture, none of which should be offered; ``claim_filter``: the learned claim filter to read the
    article with (the committed one by default, ``None`` for none); ``category_model``: likewise, the learned
    category model."""
    known = {claim.id: claim for claim in index.claims}
    relevant = relevant_clauses(text, claim_filter=claim_filter)
    candidates = extract(text, index, conditions, studies, relevant=relevant, category_model=category_model)
    score = ArticleScore(name, assertions=len(answers), candidates=len(candidates))
    every_clause = relevant_clauses(text, claim_filter=None)
    score.filtered = sum(len(parts) for _, parts in every_clause) - sum(len(parts) for _, parts in relevant)
    furniture = [" ".join(f.split()) for f in furniture]
    sentences = [" ".join(c.sentence.text.split()) for c in candidates]
    score.furniture_offered = sum(any(s in f or f in s for f in furniture) for s in sentences)
    categories_per_hit: dict[int, Counter] = defaultdict(Counter)
    keyed: dict[int, tuple[CandidateData, list[Answer]]] = {}  # candidates with a known claim, and those answers
    for answer in answers:
        hit = answering(candidates, answer)
        if hit is None:
            score.misses.append(answer.quote)
            continue
        categories_per_hit[id(hit)][answer.category] += 1
        score.found += 1
        score.category_right += hit.category == answer.category
        score.category_top3 += answer.category in [hit.category, *hit.other_categories][:3]
        if answer.claim in known:
            score.claims_in_kb += 1
            score.top3_hits += answer.claim in [cid for cid, _, _ in hit.suggestions[:3]]
            score.top1_hits += bool(hit.suggestions) and hit.suggestions[0][0] == answer.claim
            keyed.setdefault(id(hit), (hit, []))[1].append(answer)
        # The stance an editor sees next to the answer's claim: its suggestion's; for a claim found by the review
        # screen's search, judged against its wording as the screen judges it; for a claim drafted from the
        # candidate, the candidate's own (``importer.services.create_claim_from``).
        stances = {cid: stance for cid, _, stance in hit.suggestions}
        if answer.claim in stances:
            shown = stances[answer.claim]
        elif answer.claim in known:
            shown = stance_toward(hit.clause.text, known[answer.claim])
        else:
            shown = hit.stance
        score.stance_right += shown == answer.stance
        if shown != answer.stance:
            score.stance_misses.append(
                {"quote": answer.quote, "clause": hit.clause.text, "claim": answer.claim, "key": answer.stance,
                 "shown": shown, "suggested": answer.claim in stances, "in_kb": answer.claim in known}
            )  # fmt: skip
    score.useful_candidates = len(categories_per_hit)
    stated = {key: {a.claim for a in held} for key, (_, held) in keyed.items()}  # the known claims keyed to each
    top3 = {key: [cid for cid, _, _ in hit.suggestions[:3]] for key, (hit, _) in keyed.items()}
    score.clauses_in_kb = len(keyed)
    score.clause_top1_hits = sum(bool(top3[key]) and top3[key][0] in claims for key, claims in stated.items())
    score.clause_top3_hits = sum(bool(claims.intersection(top3[key])) for key, claims in stated.items())
    score.category_ceiling = sum(max(counts.values()) for counts in categories_per_hit.values())
    score.ticks = tick_counts(candidates, stated)
    score.ranking_misses = [
        ranking_miss(name, hit, held, known)
        for key, (hit, held) in keyed.items()
        if not hit.suggestions or hit.suggestions[0][0] not in stated[key]
    ]
    return score


def ranking_miss(name: str, hit: CandidateData, answers: Sequence[Answer], known: dict[int, ClaimRecord]) -> dict:
    """A candidate whose first suggestion is none of the known claims its key attaches to it (``answers``), for
    error analysis: its clause (and sentence, with a list item's lead-in), each keyed claim with its rank among the
    suggestions (1 is first; None: not among them) and the key's stance, and the first three suggestions with their
    scores."""
    ranks = {cid: (rank, score) for rank, (cid, score, _) in enumerate(hit.suggestions, start=1)}
    key = {}
    for answer in answers:  # one entry per claim, in the key's order (a claim may be keyed twice in one candidate)
        rank, score = ranks.get(answer.claim, (None, None))
        key.setdefault(answer.claim, {"claim": answer.claim, "text": known[answer.claim].text, "rank": rank,
                                      "score": score, "stance": answer.stance, "quote": answer.quote})  # fmt: skip
    return {
        "article": name,
        "clause": hit.clause.text,
        "sentence": hit.sentence.text,
        "lead": hit.sentence.lead,
        "category": hit.category,
        "key": list(key.values()),
        "first": [
            {"claim": cid, "text": known[cid].text if cid in known else "", "score": score, "stance": stance}
            for cid, score, stance in hit.suggestions[:3]
        ],
    }


def tick_counts(candidates: Sequence[CandidateData], stated: dict[int, set]) -> dict[str, list[int]]:
    """Per ``TICK_THRESHOLDS``: [right ticked, wrong ticked, right unticked] over these candidates, ``stated``
    giving the claims the key attaches to each (by ``id()`` of the candidate)."""
    ticks = {f"{t:.2f}": [0, 0, 0] for t in TICK_THRESHOLDS}
    for candidate in candidates:
        if not candidate.suggestions:
            continue
        first, score = candidate.suggestions[0][:2]
        right = first in stated.get(id(candidate), ())
        for threshold, counts in ticks.items():
            if score >= float(threshold):
                counts[0 if right else 1] += 1
            elif right:
                counts[2] += 1
    return ticks


def _records(document: dict) -> tuple[list[ConditionRecord], list[StudyRecord]]:
    conditions = [
        ConditionRecord(c["slug"], condition_names(c["name"], c.get("aliases", []))) for c in document["conditions"]
    ]
    studies = [
        StudyRecord(s["id"], s["label"], s.get("authors", ""), s.get("year"), s.get("journal", ""))
        for s in document["studies"]
    ]
    return conditions, studies


def _index(
    document: dict, assertions: list[dict], embed=None, reranker="default", every_claim: bool = False
) -> ClaimIndex:
    """The claims these assertions state, each with the quotes they attach to it and its conditions' names; with
    ``every_claim``, every claim of the document, also those no assertion states (with no quote), as the app's index
    holds them."""
    claims = {c["id"]: c for c in document["claims"]}
    names = {c["slug"]: condition_names(c["name"], c.get("aliases", [])) for c in document["conditions"]}
    quotes = defaultdict(list)
    if every_claim:
        for cid in claims:
            quotes[cid] = []
    for a in assertions:
        quotes[a["claim"]].append(a["quote"])
    return ClaimIndex(
        (
            ClaimRecord(
                cid,
                claims[cid]["text"],
                claims[cid]["category"],
                tuple(qs),
                tuple(n for slug in claims[cid].get("conditions", []) for n in names.get(slug, ())),
            )  # fmt: skip
            for cid, qs in quotes.items()
        ),
        embed=embed,
        reranker=reranker,
    )


def _seed_answers(document: dict, source_id: int) -> list[Answer]:
    claims = {c["id"]: c for c in document["claims"]}
    return [
        Answer(a["offset"], a["quote"], a["claim"], claims[a["claim"]]["category"], a["stance"])
        for a in document["assertions"]
        if a["source"] == source_id
    ]


@dataclass(frozen=True)
class Labelled:
    """An article with an answer key: a seed article (``source``: its id in the fixture, whose assertions are its
    key) or a held-out one (``source`` None, its key in ``answers.json``)."""

    name: str
    text: str
    answers: tuple[Answer, ...]
    source: int | None = None
    furniture: tuple[str, ...] = ()

    @property
    def seed(self) -> bool:
        return self.source is not None


def seed_articles(document: dict) -> list[Labelled]:
    """The fixture's articles, each with its assertions as its answer key."""
    return [
        Labelled(s["slug"], s["text"], tuple(_seed_answers(document, s["id"])), source=s["id"])
        for s in document["sources"]
    ]


def heldout_articles(document: dict, directory: Path = HELDOUT_DIR) -> list[Labelled]:
    """Every article of ``directory/answers.json`` (none when the file is missing), read as an import reads it."""
    key = directory / "answers.json"
    if not key.exists():
        return []
    slugs = {c["slug"]: c["id"] for c in document["claims"]}
    return [
        Labelled(
            article["file"],
            heldout_text(directory / article["file"]),
            tuple(
                Answer(a["offset"], a["quote"], slugs.get(a["claim"] or ""), a["category"], a["stance"])
                for a in article["assertions"]
            ),
            furniture=tuple(article.get("furniture", ())),
        )
        for article in json.loads(key.read_text(encoding="utf-8"))["articles"]
    ]


def labelled_articles(document: dict, directory: Path = HELDOUT_DIR) -> list[Labelled]:
    """Every article with an answer key: the seed's, then the held-out ones (a new one in ``answers.json`` joins by
    itself)."""
    return seed_articles(document) + heldout_articles(document, directory)


def knowledge_base(
    document: dict, article: Labelled, without: Sequence[int] = (), embed=None, reranker="default"
) -> ClaimIndex:
    """The knowledge base an article is ranked against in the bench: for a seed article the claims the other seed
    articles state, with their quotes; for a held-out article every seed claim with every seed quote. ``without``:
    seed articles whose quotes are left out as well (the article a fold tests on)."""
    excluded = set(without) | ({article.source} if article.seed else set())
    assertions = [a for a in document["assertions"] if a["source"] not in excluded]
    return _index(document, assertions, embed, reranker=reranker, every_claim=not article.seed)


def grown_knowledge_base(
    document: dict, article: Labelled, articles: Sequence[Labelled], embed=None, reranker="default"
) -> ClaimIndex:
    """The knowledge base a held-out article meets once the other held-out pages were imported and reviewed: every
    seed claim with every seed quote, then the quotes the keys of the other held-out ``articles`` attach to seed
    claims (never ``article``'s own; an answer whose claim the seed lacks adds nothing, as no such claim exists), in
    the order the app reads them (assertions by primary key: the seed's first, then each page as it was imported),
    one per (page, claim, quote) as the database keeps them. A claim's first ``ClaimIndex.EMBEDDED_QUOTES`` quotes
    are embedded, so a claim the seed quotes that often gains only TF-IDF evidence from them, as in the app."""
    if article.seed:
        raise ValueError(f"{article.name} is a seed article: its knowledge base grows with the seed's quotes already")
    assertions = list(document["assertions"])
    for other in articles:
        if other.seed or other.name == article.name:
            continue
        keyed = dict.fromkeys((answer.claim, answer.quote) for answer in other.answers if answer.claim is not None)
        assertions += [{"claim": claim, "quote": quote, "source": other.name} for claim, quote in keyed]
    return _index(document, assertions, embed, reranker=reranker, every_claim=True)


class Rows(NamedTuple):
    """The re-ranker's training rows of one article: features, labels, and which candidate each row belongs to."""

    matrix: np.ndarray
    labels: np.ndarray
    groups: np.ndarray


class Examples:
    """Training rows of the re-ranker, computed once per (article, seed articles left out of its knowledge base)
    and shared by every fold that needs them.

    An article's clauses are ranked (first stage only) against its ``knowledge_base()``; one row per (clause, claim
    among the first stage's best), labelled 1 when the article's key attaches the clause's quote to that claim. Every
    clause takes part, also those that state no claim the knowledge base holds (all their rows are 0), so that the
    probability the score shows is one over all the clauses an import proposes."""

    def __init__(self, document: dict, embed=None, category_models: dict | None = None):
        self.document = document
        self.embed = embed
        # Each article's rows read with the category model it is scored with (``category_model_folds``), if given.
        self.category_models = category_models
        self.conditions, self.studies = _records(document)
        self._rows: dict[tuple[str, frozenset], Rows] = {}

    def rows(self, article: Labelled, without: Sequence[int] = ()) -> Rows:
        key = (article.name, frozenset(without) - {article.source})
        if key not in self._rows:
            self._rows[key] = self._compute(article, key[1])
        return self._rows[key]

    def _compute(self, article: Labelled, without: frozenset) -> Rows:
        index = knowledge_base(self.document, article, sorted(without), self.embed, reranker=None)
        known = {claim.id for claim in index.claims}
        # Every clause the sentence rules propose, before the claim filter: the re-ranker does not depend on it.
        candidates = extract(article.text, index, self.conditions, self.studies, claim_filter=None)
        stated = defaultdict(set)
        for answer in article.answers:
            hit = answering(candidates, answer)
            if hit is not None and answer.claim in known:
                stated[id(hit)].add(answer.claim)
        matrices, labels, groups = [], [], []
        for number, candidate in enumerate(candidates):
            sentence = candidate.sentence
            context = f"{sentence.lead} {sentence.text}" if sentence.lead else sentence.text
            model = self.category_models[article.name] if self.category_models is not None else "default"
            lead = bool(sentence.lead)
            best, matrix = index.features(candidate.clause.text, context, lead=lead, category_model=model)
            matrices.append(matrix)
            labels.append([index.claims[i].id in stated[id(candidate)] for i in best])
            groups.append(np.full(len(best), number))
        if not matrices:
            return Rows(np.zeros((0, len(FEATURES))), np.zeros(0, dtype=int), np.zeros(0, dtype=int))
        return Rows(np.vstack(matrices), np.concatenate(labels).astype(int), np.concatenate(groups))

    def training(self, articles: Sequence[Labelled], without: Sequence[int] = ()) -> list[Rows]:
        """The rows of each of these articles, ranked against its knowledge base less ``without``."""
        return [self.rows(article, without) for article in articles]


def fit_reranker(
    examples: Examples, articles: Sequence[Labelled], without: Sequence[int] = (), pairwise: bool = True
) -> rerank.Reranker:
    """A re-ranker fitted on these articles, their knowledge bases also leaving out the seed articles ``without``:
    pairwise, its C chosen by leave-one-article-out among these articles (``rerank.choose_c``); or pointwise with
    the fixed C, as before h15h."""
    sets = examples.training(articles, without)
    matrix, labels, groups = rerank.stack(sets)
    if not pairwise:
        return rerank.fit(matrix, labels)
    return rerank.fit_pairwise(matrix, labels, groups, rerank.choose_c(sets))


def fit_rerankers(fixture: Path, embed=None, directory: Path = HELDOUT_DIR) -> dict:
    """The committed file's content: the re-ranker with sentence embeddings (when ``embed`` is given) and the one by
    wording only, each fitted on every labelled article (the seed's and every held-out one in ``answers.json``).
    Each article's rows read the category model fitted without it (``category_model_folds``), as ``run`` scores it:
    the committed model has seen every article, and rows reading it taught the re-ranker to trust in-sample
    probabilities sharper than a new page gets (the skew the re-read of 3251ce2 found)."""
    document = json.loads(fixture.read_text(encoding="utf-8"))
    articles = labelled_articles(document, directory)
    category_models = category_model_folds(articles)
    result = {
        "fitted_on": "every labelled article, each ranked against the knowledge base the bench gives it: "
        + ", ".join(article.name for article in articles)
    }
    if embed is not None:
        result["semantic"] = fit_reranker(Examples(document, embed, category_models), articles).as_dict()
    result["wording"] = fit_reranker(Examples(document, category_models=category_models), articles).as_dict()
    return result


def _summary(scores: list[ArticleScore]) -> dict:
    total = {name: sum(getattr(s, name) for s in scores) for name in COUNTS}
    overall = {
        "recall": _ratio(total["found"], total["assertions"]),
        "precision": _ratio(total["useful_candidates"], total["candidates"]),
        "category_accuracy": _ratio(total["category_right"], total["found"]),
        "category_top3": _ratio(total["category_top3"], total["found"]),
        "category_ceiling": _ratio(total["category_ceiling"], total["found"]),
        # Per candidate where one exists (the targets): see the module's docstring.
        "top1": _ratio(total["clause_top1_hits"], total["clauses_in_kb"]),
        "top3": _ratio(total["clause_top3_hits"], total["clauses_in_kb"]),
        # Per (candidate, answer) pair, as counted before: kept for continuity with earlier figures.
        "pair_top1": _ratio(total["top1_hits"], total["claims_in_kb"]),
        "pair_top3": _ratio(total["top3_hits"], total["claims_in_kb"]),
        # One first suggestion per candidate: a candidate the key attaches to several claims can be right first for
        # one of them only, so pair-wise top-1 cannot exceed this.
        "top1_ceiling": _ratio(total["clauses_in_kb"], total["claims_in_kb"]),
        "stance_accuracy": _ratio(total["stance_right"], total["found"]),
    }
    total["ticks"] = {
        threshold: [sum(s.ticks[threshold][i] for s in scores) for i in range(len(TICKS))]
        for threshold in (scores[0].ticks if scores else {})
    }
    return {"articles": [asdict(s) for s in scores], "totals": total, "overall": overall}


def evaluate_all(
    document: dict,
    articles: Sequence[Labelled],
    embed=None,
    training: str | None = "all",
    examples=None,
    claim_filters: dict | None = None,
    category_models: dict | None = None,
    grown: bool = False,
) -> dict:
    """Leave-one-article-out over the labelled articles: each is ranked against its ``knowledge_base()`` by a
    re-ranker fitted on the other articles, whose knowledge bases leave the tested article's quotes out too (nested:
    nothing of a seed article reaches the fit that ranks it). ``training``: "all", a pairwise fit on every other
    article; "seed", a pointwise fit on the other seed articles only, as before h15h; None, the first stage alone.
    Each article is read with ``claim_filters[its name]`` (``claim_filter_folds``) and ``category_models[its name]``
    (``category_model_folds``) when given, else with the committed ones. Returns the seed articles' summary and
    the held-out ones'; with ``grown``, also the held-out ones' against ``grown_knowledge_base()`` (``heldout_grown``:
    the same re-ranker, claim filter and category model, only the knowledge base differs)."""
    examples = examples or Examples(document, embed)
    scores: dict[bool, list[ArticleScore]] = {True: [], False: []}
    grown_scores: list[ArticleScore] = []
    for article in articles:
        without = [article.source] if article.seed else []
        reranker = None
        if training is not None:
            rest = [a for a in articles if a.name != article.name and (training == "all" or a.seed)]
            reranker = fit_reranker(examples, rest, without, pairwise=training == "all")
        claim_filter = claim_filters[article.name] if claim_filters is not None else "default"
        model = category_models[article.name] if category_models is not None else "default"

        def scored(index: ClaimIndex, article=article, claim_filter=claim_filter, model=model) -> ArticleScore:
            """The article scored against ``index``: the seed's knowledge base, or a grown one."""
            return score_article(
                article.name,
                article.text,
                article.answers,
                index,
                examples.conditions,
                examples.studies,
                article.furniture,
                claim_filter,
                model,
            )

        scores[article.seed].append(scored(knowledge_base(document, article, (), embed, reranker=reranker)))
        if grown and not article.seed:
            grown_scores.append(scored(grown_knowledge_base(document, article, articles, embed, reranker=reranker)))
    result = {"seed": _summary(scores[True]), "heldout": _summary(scores[False]) if scores[False] else None}
    if grown:
        result["heldout_grown"] = _summary(grown_scores) if grown_scores else None
    return result


def heldout_text(path: Path) -> str:
    """The text an import of this file archives (and the answer key's offsets refer to)."""
    return readable_document(path.read_bytes(), name=path.name).text


# --- the learned claim filter (importer/claimfilter.py) ------------------------------------------------------------


def _answered_clauses(articles: Sequence[Labelled]):
    """(article, clause as a candidate, the answers it holds) for every clause the sentence rules propose in each
    article, before the claim filter (no knowledge base is needed): the learned models' training rows."""
    for article in articles:
        name, text, answers = article.name, article.text, article.answers
        candidates = [
            CandidateData(sentence, clause, "", "")
            for sentence, parts in relevant_clauses(text, claim_filter=None)
            for clause in parts
        ]
        held = defaultdict(list)
        for answer in answers:
            hit = answering(candidates, answer)
            if hit is not None:
                held[id(hit)].append(answer)
        for candidate in candidates:
            yield name, candidate, held[id(candidate)]


def claim_filter_rows(articles: Sequence[Labelled]):
    """The claim filter's training rows: every clause it judges (``claimfilter.judged``), labelled 1 when it holds
    an answer of its article's key (``answering``, as the bench counts it). Returns the feature matrix, the labels
    and each row's article."""
    from importer import claimfilter

    rows, labels, names = [], [], []
    for name, candidate, held in _answered_clauses(articles):
        if not claimfilter.judged(candidate.clause.text, candidate.sentence.text):
            continue
        sentence = candidate.sentence
        rows.append(claimfilter.features(candidate.clause.text, sentence.text, sentence.kind))
        labels.append(int(bool(held)))
        names.append(name)
    return np.array(rows, dtype=float).reshape(-1, len(claimfilter.FEATURES)), np.array(labels), names


def category_rows(articles: Sequence[Labelled]) -> list[tuple[str, str, str]]:
    """The category model's training rows: (article, the clause's text as its categories are guessed from, the
    answer's category), one per answer a clause holds; a list item is read with its lead-in."""
    rows = []
    for name, candidate, held in _answered_clauses(articles):
        sentence = candidate.sentence
        text = f"{sentence.lead} {candidate.clause.text}" if sentence.lead else candidate.clause.text
        rows += [(name, text, answer.category) for answer in held]
    return rows


def category_model_folds(articles: Sequence[Labelled]) -> dict:
    """For each article, a category model fitted on the answers of the other articles only."""
    from importer import categorymodel

    rows = category_rows(articles)
    return {
        name: categorymodel.fit([t for a, t, _ in rows if a != name], [c for a, _, c in rows if a != name])
        for name in (a.name for a in articles)
    }


def fit_category_model(fixture: Path, directory: Path = HELDOUT_DIR) -> dict:
    """The committed file's content: the category model fitted on every labelled article's answers."""
    from importer import categorymodel

    document = json.loads(fixture.read_text(encoding="utf-8"))
    articles = labelled_articles(document, directory)
    rows = category_rows(articles)
    return {
        "fitted_on": f"the {len(rows)} answers found in {len(articles)} labelled articles: the seed's of "
        "fixtures/kb.json and the held-out ones of importer/benchdata/heldout",
        **categorymodel.fit([t for _, t, _ in rows], [c for _, _, c in rows]).as_dict(),
    }


def claim_filter_folds(articles: Sequence[Labelled]) -> dict:
    """For each article, a claim filter fitted on the other articles only (its threshold chosen on them alone)."""
    from importer import claimfilter

    matrix, labels, names = claim_filter_rows(articles)
    names = np.array(names)
    return {
        name: claimfilter.fit(matrix[names != name], labels[names != name], names[names != name])
        for name in (a.name for a in articles)
    }


def fit_claim_filter(fixture: Path, directory: Path = HELDOUT_DIR) -> dict:
    """The committed file's content: the claim filter fitted on every labelled article."""
    from importer import claimfilter

    document = json.loads(fixture.read_text(encoding="utf-8"))
    articles = labelled_articles(document, directory)
    matrix, labels, names = claim_filter_rows(articles)
    fitted = claimfilter.fit(matrix, labels, names)
    return {
        "fitted_on": f"{len(articles)} labelled articles: the seed's of fixtures/kb.json and the held-out ones of "
        "importer/benchdata/heldout",
        **fitted.as_dict(),
    }


def _table(title: str, result: dict) -> list[str]:
    lines = [
        title,
        f"{'article':42} {'recall':>7} {'precision':>9} {'category':>8} {'cat≤3':>6} {'ceiling':>7} {'top-1':>6} "
        f"{'top-3':>6} {'pair-1':>6} {'pair-3':>6} {'stance':>6} {'furniture':>9} {'filtered':>8}",
    ]
    rows = [(a["source"], a) for a in result["articles"]] + [("ALL (pooled)", result["totals"])]
    for name, a in rows:
        found = a["found"]
        lines.append(
            f"{name[:42]:42} {_ratio(found, a['assertions']):7.2f} "
            f"{_ratio(a['useful_candidates'], a['candidates']):9.2f} {_ratio(a['category_right'], found):8.2f} "
            f"{_ratio(a['category_top3'], found):6.2f} {_ratio(a['category_ceiling'], found):7.2f} "
            f"{_ratio(a['clause_top1_hits'], a['clauses_in_kb']):6.2f} "
            f"{_ratio(a['clause_top3_hits'], a['clauses_in_kb']):6.2f} "
            f"{_ratio(a['top1_hits'], a['claims_in_kb']):6.2f} {_ratio(a['top3_hits'], a['claims_in_kb']):6.2f} "
            f"{_ratio(a['stance_right'], found):6.2f} {a['furniture_offered']:9d} {a['filtered']:8d}"
        )
    return lines


def _verdicts(overall: dict) -> list[str]:
    return [
        f"{metric:18} {overall[metric]:.3f}  target ≥ {target:.2f}  {'PASS' if overall[metric] >= target else 'FAIL'}"
        for metric, target in TARGETS.items()
    ] + [
        "top-1 and top-3 count candidates (their first suggestion, or one of their first three, is one of the claims "
        "their key names); pair-wise, as counted before:",
        f"{'pair_top1':18} {overall['pair_top1']:.3f}  (per answer; at most {overall['top1_ceiling']:.3f}: one first "
        "suggestion per candidate)",
        f"{'pair_top3':18} {overall['pair_top3']:.3f}",
    ]


def _ticks(result: dict) -> list[str]:
    """The pre-tick figures, pooled: per threshold, the candidates whose first suggestion is ticked and right,
    ticked and wrong, and right but not ticked."""
    ticks = result["totals"].get("ticks") or {}
    lines = [
        f"Pre-ticking the first suggestion (the review screen ticks it at a score ≥ {MATCH_SCORE:.2f}):",
        f"{'threshold':>9} {'right ticked':>12} {'wrong ticked':>12} {'right unticked':>14} {'right − wrong':>13}",
    ]
    for threshold, (right, wrong, unticked) in ticks.items():
        mark = "  ← used" if abs(float(threshold) - MATCH_SCORE) < 1e-9 else ""
        lines.append(f"{threshold:>9} {right:12d} {wrong:12d} {unticked:14d} {right - wrong:13d}{mark}")
    return lines


def _comparison(title: str, result: dict, other: dict) -> list[str]:
    """Top-1 and top-3 per article of two schemes side by side."""
    lines = [title, f"{'article':42} {'top-1':>13} {'top-3':>13}"]
    pairs = [(a["source"], a, b) for a, b in zip(other["articles"], result["articles"], strict=True)]
    for name, a, b in [*pairs, ("ALL (pooled)", other["totals"], result["totals"])]:
        cells = [
            f"{_ratio(x[hits], x['clauses_in_kb']):.3f}" for hits in ("clause_top1_hits", "clause_top3_hits")
            for x in (a, b)
        ]  # fmt: skip
        lines.append(f"{name[:42]:42} {cells[0]} → {cells[1]} {cells[2]} → {cells[3]}")
    return lines


def _grown(today: dict, grown: dict) -> list[str]:
    """Per held-out article and pooled: top-1, top-3, stance and category among three against the seed knowledge
    base → against the grown one (``grown_knowledge_base``), then recall and precision pooled (which it leaves
    alone: the candidates do not depend on the knowledge base)."""
    figures = (("top-1", "clause_top1_hits", "clauses_in_kb"), ("top-3", "clause_top3_hits", "clauses_in_kb"),
               ("stance", "stance_right", "found"), ("cat≤3", "category_top3", "found"))  # fmt: skip
    lines = [
        "Held-out articles against a grown knowledge base: the seed's claims and quotes plus the keyed quotes of the "
        "other held-out articles (not the issue's target figure; see docs/importing.md, h21p). Seed → grown:",
        f"{'article':42} " + " ".join(f"{name:>13}" for name, _, _ in figures),
    ]
    pairs = [(a["source"], a, b) for a, b in zip(today["articles"], grown["articles"], strict=True)]
    for name, a, b in [*pairs, ("ALL (pooled)", today["totals"], grown["totals"])]:
        cells = [f"{_ratio(a[hits], a[of]):.3f} → {_ratio(b[hits], b[of]):.3f}" for _, hits, of in figures]
        lines.append(f"{name[:42]:42} " + " ".join(cells))
    a, b = today["totals"], grown["totals"]
    lines.append(
        f"recall {a['found']}/{a['assertions']} → {b['found']}/{b['assertions']}, precision "
        f"{a['useful_candidates']}/{a['candidates']} → {b['useful_candidates']}/{b['candidates']}; top-1 "
        f"{a['clause_top1_hits']}/{a['clauses_in_kb']} → {b['clause_top1_hits']}/{b['clauses_in_kb']}, top-3 "
        f"{a['clause_top3_hits']}/{a['clauses_in_kb']} → {b['clause_top3_hits']}/{b['clauses_in_kb']}"
    )
    return lines


def render(result: dict) -> str:
    semantic = result.get("semantic_off")
    lines = [
        "Claim ranking: TF-IDF and thesaurus"
        + (f" only (semantic matching is off: {semantic})" if semantic else " with sentence embeddings"),
        "Each article is ranked by a re-ranker fitted on every other labelled article (seed and held-out), whose "
        "knowledge bases leave the tested article out too; each is read with a claim filter and a "
        "category model fitted on the other labelled articles only.",
        "",
        *_table("Leave-one-out on the seed articles", result),
    ]
    lines += ["", *_verdicts(result["overall"]), "", *_ticks(result)]
    if result.get("heldout"):
        lines += ["", *_table("Held-out articles, against the whole seed knowledge base", result["heldout"])]
        lines += ["", *_verdicts(result["heldout"]["overall"]), "", *_ticks(result["heldout"])]
    if result.get("heldout") and result.get("heldout_grown"):
        lines += ["", *_grown(result["heldout"], result["heldout_grown"])]
    if result.get("seed_only"):
        title = "The scheme before h15h (a re-ranker fitted on the seed articles only) → this one, per candidate"
        lines += ["", *_comparison(title, result, result["seed_only"]["seed"])]
        if result.get("heldout"):
            lines += _comparison("", result["heldout"], result["seed_only"]["heldout"])[2:]
    return "\n".join(lines) + "\n"


def run(fixture: Path, heldout: Path = HELDOUT_DIR, compare: bool = True, grown: bool = True) -> dict:
    """The seed and held-out evaluations (``evaluate_all``), with sentence embeddings when the model is available
    (``KB_EMBEDDINGS=off`` to compare); with ``compare``, also the figures of re-rankers fitted on the seed articles
    alone (``seed_only``), as the bench ranked before h15h; with ``grown``, also the held-out articles' figures
    against a knowledge base grown by the other held-out articles' keyed quotes (``heldout_grown``, see
    ``grown_knowledge_base``)."""
    document = json.loads(fixture.read_text(encoding="utf-8"))
    encoder = get_encoder()
    embed = CachedEmbedder(encoder) if encoder is not None else None  # in memory: shared by every fold
    articles = labelled_articles(document, heldout)
    # Each article read with a claim filter and a category model fitted on the other labelled articles alone.
    folds = {"claim_filters": claim_filter_folds(articles), "category_models": category_model_folds(articles)}
    examples = Examples(document, embed, folds["category_models"])
    result = evaluate_all(document, articles, embed, "all", examples, **folds, grown=grown)
    out = {**result["seed"], "targets": TARGETS, "heldout": result["heldout"]}
    if grown:
        out["heldout_grown"] = result["heldout_grown"]
    if compare:
        out["seed_only"] = evaluate_all(document, articles, embed, "seed", examples, **folds)
    out["semantic_off"] = "" if embed is not None else unavailable_reason()
    return out


# --- import speed on the 10,000-claim synthetic knowledge base ----------------------------------------------------

SPEED_CLAIMS = 10000
SPEED_TARGET_SECONDS = 3.0  # issue 15: one import of a 5,000-word article, embeddings warm


def speed_article(fixture: Path) -> str:
    """The article the speed benchmark imports: the five seed articles joined (4,921 words)."""
    document = json.loads(fixture.read_text(encoding="utf-8"))
    return "\n\n".join(source["text"].strip() for source in document["sources"]) + "\n"


def measure_speed(fixture: Path, log=print) -> dict:
    """Time imports into the 10,000-claim synthetic knowledge base ``bench-results/import-bench-10000.sqlite3``
    (built once with ``generate_synthetic --seed 1`` and kept, with its stored embeddings and term counts, for
    later runs), each in a new process (``time_import``): a warm-up import (which also keeps the ranking index's
    matrices in ``KB_INDEX_CACHE_DIR``, as any import does); then, with every embedding stored, the
    first import in a new process and a second one in the same process (a web worker's case); by wording only;
    and a new article, whose clauses are embedded during the import."""
    import subprocess
    import sys

    from bench.run import RESULTS, ROOT, _base_env

    path = RESULTS / f"import-bench-{SPEED_CLAIMS}.sqlite3"
    env = {**_base_env(), "DATABASE_URL": f"sqlite:///{path}"}

    def manage(*args: str, extra: dict | None = None, capture: bool = False) -> str:
        done = subprocess.run(
            [sys.executable, "manage.py", *args], cwd=ROOT, env={**env, **(extra or {})}, check=True, text=True,
            stdout=subprocess.PIPE if capture else subprocess.DEVNULL,
        )  # fmt: skip
        return done.stdout or ""

    RESULTS.mkdir(parents=True, exist_ok=True)
    fresh = not path.exists()
    manage("migrate", "--noinput")
    if fresh:
        log(f"Building the {SPEED_CLAIMS:,}-claim synthetic knowledge base in {path} (once)…")
        manage("generate_synthetic", "--claims", str(SPEED_CLAIMS), "--seed", "1")
    log("Embedding its texts (once: several minutes the first time)…")
    manage("embed_texts")
    log("Timing imports…")
    manage("time_import", "--fixture", str(fixture), capture=True)  # warm-up: the article's clauses, term counts
    warm = json.loads(manage("time_import", "--fixture", str(fixture), capture=True))
    wording = json.loads(manage("time_import", "--fixture", str(fixture), extra={"KB_EMBEDDINGS": "off"}, capture=True))
    new = json.loads(manage("time_import", "--fixture", str(fixture), "--new-article", capture=True))
    return {
        "claims": SPEED_CLAIMS,
        "words": warm["words"],
        "clauses": warm["clauses"],
        "warm_new_process": warm["runs"][0],
        "warm_same_process": warm["runs"][1],
        "wording_only_new_process": wording["runs"][0],
        "new_article_new_process": new["runs"][0],
        "target_seconds": SPEED_TARGET_SECONDS,
    }


def render_speed(speed: dict) -> str:
    rows = [
        ("embeddings warm, new process", speed["warm_new_process"]),
        ("embeddings warm, same process again", speed["warm_same_process"]),
        ("wording only, new process", speed["wording_only_new_process"]),
        ("new article (clauses embedded), new process", speed["new_article_new_process"]),
    ]
    lines = [
        f"Import of a {speed['words']:,}-word article ({speed['clauses']} clauses) into the {speed['claims']:,}-claim "
        "synthetic knowledge base (SQLite; wall and CPU seconds of import_article)",
        *(f"  {name:46} {run['seconds']:6.2f} s  (CPU {run['cpu_seconds']:.2f} s)" for name, run in rows),
    ]
    seconds = speed["warm_new_process"]["seconds"]
    verdict = "PASS" if seconds <= speed["target_seconds"] else "FAIL"
    lines.append(f"import_seconds     {seconds:.3f}  target ≤ {speed['target_seconds']:.2f}  {verdict}")
    return "\n".join(lines) + "\n"
