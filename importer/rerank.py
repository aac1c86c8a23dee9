"""The learned re-ranker: re-orders the first stage's best claims for a clause (``ClaimIndex``), by a logistic
regression over what the first stage measured and a few things it ignores (how often the claim is quoted, whether
the claim's condition is named, whether the clause's strongest category cue is the claim's category).

Its coefficients live in ``importer/reranker.json``, fitted on every labelled article's answer key (since h15h: the
seed articles, each ranked against a knowledge base of the other seed articles, and every held-out article of
``importer/benchdata/heldout/answers.json``, each ranked against the whole seed knowledge base, as in ``make
bench-import``) by ``python manage.py fit_reranker`` (``make reranker``), which gives the same file every time. The
order is learned from pairs of claims within a clause's list and its score calibrated into a probability
(``fit_pairwise``). There are two models: one for ranking with sentence embeddings and one for wording only. The
score a suggestion shows is the model's probability that the clause states that claim.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import numpy as np

from importer.extract import name_pattern
from importer.logistic import FitError, StandardisedLogistic, committed, logistic_regression, standardise

COEFFICIENTS = Path(__file__).resolve().parent / "reranker.json"

# In this order, the columns of ``features()`` and of the fitted coefficients.
FEATURES = (
    "score",  # the first stage's score
    "gap",  # the first stage's score minus the best one's (0 for the best)
    "inverse_rank",  # 1 / the first stage's rank
    "text",  # TF-IDF cosine with the claim's text
    "quote",  # mean of the two best TF-IDF cosines with the claim's quotes
    "quote_best",  # the best of them
    "context",  # TF-IDF cosine of the whole sentence with the claim's text
    "cue",  # share of the clause's category cues pointing to the claim's category
    "sem_text",  # embedding cosine with the claim's text (0 by wording only)
    "sem_quote",  # mean of the two best embedding cosines with its quotes
    "sem_quote_best",  # the best of them
    "popularity",  # log(1 + quotes other sources attach to the claim)
    "coverage",  # share of the claim text's TF-IDF weight (squared) on terms the clause has
    "condition_named",  # the claim is about a condition the sentence names
    "condition_other",  # the claim is about conditions, none of which the sentence names
    "cue_top",  # the clause's strongest category cue is the claim's category
    "category_model",  # log of the category model's probability of the claim's category (floor 1e-3; items: + lead-in)
    "sem_context",  # an item or table row: embedding cosine of it with its lead-in and the claim's text; else sem_text
)


def _named(names: tuple[str, ...], context: str, seen: dict[str, bool]) -> bool:
    """Whether the context names one of these conditions' names (each name looked up once per context)."""
    for name in names:
        if len(name) >= 3:
            if name not in seen:
                seen[name] = bool(name_pattern(name).search(context))
            if seen[name]:
                return True
    return False


def features(index, best: np.ndarray, combined: np.ndarray, parts: dict, context: str) -> np.ndarray:
    """One row per claim in ``best`` (positions in ``index.claims``, best first), one column per ``FEATURES``."""
    k = len(best)
    zeros = np.zeros(k)
    score = combined[best]
    clause = parts["clause"]
    if k and clause.nnz:
        claim_rows = index.text_matrix[best][:, clause.indices]
        coverage = np.asarray(claim_rows.multiply(claim_rows).sum(axis=1)).ravel()
    else:
        coverage = zeros
    named, other, seen = np.zeros(k), np.zeros(k), {}
    for row, i in enumerate(best):
        if index.claims[i].conditions:
            hit = _named(index.claims[i].conditions, context, seen)
            named[row], other[row] = hit, not hit
    cues = parts["cues"]
    top = max(cues, key=lambda c: (cues[c], c)) if sum(cues.values()) else None
    columns = {
        "score": score,
        "gap": score - score[0] if k else zeros,
        "inverse_rank": 1 / np.arange(1, k + 1),
        "text": parts["text"][best],
        "quote": parts["quote"][best],
        "quote_best": parts["quote_best"][best],
        "context": parts["context"][best],
        "cue": parts["cue"][best],
        "sem_text": parts["sem_text"][best] if "sem_text" in parts else zeros,
        "sem_quote": parts["sem_quote"][best] if "sem_quote" in parts else zeros,
        "sem_quote_best": parts["sem_quote_best"][best] if "sem_quote_best" in parts else zeros,
        "popularity": np.log1p(index.popularity[best]),
        "coverage": coverage,
        "condition_named": named,
        "condition_other": other,
        "cue_top": np.array([index.claims[i].category == top for i in best], dtype=float),
        "category_model": parts["category_model"][best],  # always set by the index (a uniform log without a model)
        "sem_context": parts["sem_context"][best] if "sem_context" in parts else zeros,
    }
    return np.column_stack([columns[name] for name in FEATURES]) if k else np.zeros((0, len(FEATURES)))


@dataclass(frozen=True)
class Reranker(StandardisedLogistic):
    """A logistic regression over standardised ``FEATURES``; ``c``: the regularisation of a pairwise fit (recorded
    with the coefficients, not used to predict)."""

    FEATURES: ClassVar[tuple[str, ...]] = FEATURES
    COEFFICIENTS: ClassVar[Path] = COEFFICIENTS
    MAKE_TARGET: ClassVar[str] = "reranker"

    c: float | None = None

    def as_dict(self) -> dict:
        return {**super().as_dict(), **({"pairwise_C": self.c} if self.c is not None else {})}

    @classmethod
    def from_dict(cls, data: dict) -> Reranker:
        return cls(*cls.read(data), data.get("pairwise_C"))


# Regularisation of the pointwise logistic regression (scikit-learn's C), the fit before h15h: chosen by the nested
# leave-one-article-out on the seed (docs/importing.md). The bench still fits it to show the scheme before h15h.
C = 0.01
# The pairwise fit's C is chosen among these by leave-one-article-out inside the articles it is fitted on
# (``choose_c``): never by the article a fold tests.
PAIRWISE_C = (0.01, 0.1)


def fit(matrix: np.ndarray, labels: np.ndarray, c: float = C) -> Reranker:
    """A pointwise re-ranker fitted on these rows (deterministic: L-BFGS from zero)."""
    return Reranker.fitted(matrix, labels, c)


def pairs(groups: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Every (row the key attaches to its clause, row it does not) pair within one clause's list."""
    better, worse = [np.zeros(0, dtype=int)], [np.zeros(0, dtype=int)]
    for group in np.unique(groups[labels == 1]):
        rows = np.flatnonzero(groups == group)
        positive, negative = rows[labels[rows] == 1], rows[labels[rows] == 0]
        better.append(np.repeat(positive, len(negative)))
        worse.append(np.tile(negative, len(positive)))
    return np.concatenate(better), np.concatenate(worse)


def _pairwise_weights(z: np.ndarray, labels: np.ndarray, groups: np.ndarray, c: float) -> np.ndarray:
    better, worse = pairs(groups, labels)
    if not len(better):  # no clause states a claim of its list: nothing to order
        return np.zeros(z.shape[1])
    differences = z[better] - z[worse]
    order = logistic_regression(c, fit_intercept=False)
    order.fit(np.vstack([differences, -differences]), np.r_[np.ones(len(better)), np.zeros(len(better))])
    return order.coef_[0]


def fit_pairwise(matrix: np.ndarray, labels: np.ndarray, groups: np.ndarray, c: float) -> Reranker:
    """A re-ranker whose order is learned from pairs (a claim the key attaches to a clause against one it does not,
    within the clause's list: a logistic regression on their feature differences, RankSVM-like), and whose
    probability is that order's score calibrated on every row (Platt scaling: a logistic regression of the label on
    the score, over every clause, also those that state no known claim). Deterministic: L-BFGS from zero."""
    z, mean, scale = standardise(matrix)
    weights = _pairwise_weights(z, labels, groups, c)
    calibration = logistic_regression(1e6, tol=1e-10)
    calibration.fit((z @ weights)[:, None], labels)
    slope = float(calibration.coef_[0][0])
    return Reranker(mean, scale, slope * weights, float(calibration.intercept_[0]), c)


def hits(scores: np.ndarray, labels: np.ndarray, groups: np.ndarray) -> tuple[int, int]:
    """Of the clauses with a labelled claim among their rows: how many have one first by these scores, and one in
    the first three (ties in the order of the rows, the first stage's)."""
    top1 = top3 = 0
    for group in np.unique(groups[labels == 1]):
        rows = np.flatnonzero(groups == group)
        ordered = labels[rows[np.argsort(-scores[rows], kind="stable")]]
        top1 += int(ordered[0])
        top3 += int(ordered[:3].any())
    return top1, top3


def choose_c(sets: list[tuple[np.ndarray, np.ndarray, np.ndarray]], options: tuple[float, ...] = PAIRWISE_C) -> float:
    """The pairwise fit's C with the most top-1 and top-3 hits, each set of rows (one article) ranked by a re-ranker
    fitted on the others; the smaller C on a tie."""
    if len(sets) < 2:  # each article is ranked by a fit on the others: one article leaves nothing to fit on
        raise FitError(
            f"the re-ranker needs two labelled articles or more (each ranked by a fit on the others), got {len(sets)}"
        )
    best, best_hits = options[0], -1
    for c in options:
        total = 0
        for k, (matrix, labels, groups) in enumerate(sets):
            # Only the order counts here, so the calibration is left out.
            rest_matrix, rest_labels, rest_groups = stack([s for j, s in enumerate(sets) if j != k])
            z, mean, scale = standardise(rest_matrix)
            weights = _pairwise_weights(z, rest_labels, rest_groups, c)
            total += sum(hits(((matrix - mean) / scale) @ weights, labels, groups))
        if total > best_hits:
            best, best_hits = c, total
    return best


def stack(sets: list[tuple[np.ndarray, np.ndarray, np.ndarray]]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Rows of several articles as one set, their clauses numbered apart."""
    groups, offset = [], 0
    for _, _, g in sets:
        groups.append(g + offset)
        offset += int(g.max()) + 1 if len(g) else 0
    return np.vstack([m for m, _, _ in sets]), np.concatenate([y for _, y, _ in sets]), np.concatenate(groups)


def default_reranker(semantic: bool) -> Reranker:
    """The committed re-ranker for ranking with sentence embeddings, or by wording only."""
    return Reranker.from_dict(committed(COEFFICIENTS, Reranker.MAKE_TARGET)["semantic" if semantic else "wording"])
