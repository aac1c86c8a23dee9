"""The learned re-ranker: re-orders the first stage's best claims for a clause (``ClaimIndex``), by a logistic
regression over what the first stage measured and a few things it ignores (how often the claim is quoted, whether
the claim's condition is named, whether the clause's strongest category cue is the claim's category).

Its coefficients live in ``importer/reranker.json``, fitted on the seed articles' answer keys only (each article
ranked against a knowledge base of the other four, as in ``make bench-import``; the held-out articles are never
used) by ``python manage.py fit_reranker`` (``make reranker``), which gives the same file every time. There are two
models: one for ranking with sentence embeddings and one for wording only. The score a suggestion shows is the
model's probability that the clause states that claim.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from importer.extract import name_pattern

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
    }
    return np.column_stack([columns[name] for name in FEATURES]) if k else np.zeros((0, len(FEATURES)))


@dataclass(frozen=True)
class Reranker:
    """A logistic regression over standardised ``FEATURES``."""

    mean: np.ndarray
    scale: np.ndarray
    coef: np.ndarray
    intercept: float

    def predict(self, matrix: np.ndarray) -> np.ndarray:
        """The probability that the clause states each claim."""
        z = ((matrix - self.mean) / self.scale) @ self.coef + self.intercept
        return 1 / (1 + np.exp(-z))

    def as_dict(self) -> dict:
        return {
            "features": list(FEATURES),
            "mean": [round(float(v), 6) for v in self.mean],
            "scale": [round(float(v), 6) for v in self.scale],
            "coef": [round(float(v), 6) for v in self.coef],
            "intercept": round(float(self.intercept), 6),
        }

    @classmethod
    def from_dict(cls, data: dict) -> Reranker:
        if data.get("features") != list(FEATURES):
            raise ValueError(
                f"{COEFFICIENTS.name} was fitted on other features than the code computes; run `make reranker`."
            )
        return cls(np.array(data["mean"]), np.array(data["scale"]), np.array(data["coef"]), float(data["intercept"]))


# Regularisation of the logistic regression (scikit-learn's C), and whether clauses that state no known claim take
# part in the fit: chosen by the nested leave-one-article-out on the seed (docs/importing.md), never on held-out.
C = 0.01


def fit(matrix: np.ndarray, labels: np.ndarray, c: float = C) -> Reranker:
    """A re-ranker fitted on these rows (deterministic: L-BFGS from zero)."""
    from sklearn.linear_model import LogisticRegression

    mean = matrix.mean(axis=0)
    scale = matrix.std(axis=0)
    scale[scale < 1e-9] = 1.0
    model = LogisticRegression(C=c, max_iter=5000, tol=1e-8)
    model.fit((matrix - mean) / scale, labels)
    return Reranker(mean, scale, model.coef_[0], float(model.intercept_[0]))


@lru_cache(maxsize=1)
def _committed() -> dict:
    if not COEFFICIENTS.exists():
        raise FileNotFoundError(f"{COEFFICIENTS} is missing; run `make reranker` to fit it.")
    return json.loads(COEFFICIENTS.read_text(encoding="utf-8"))


def default_reranker(semantic: bool) -> Reranker:
    """The committed re-ranker for ranking with sentence embeddings, or by wording only."""
    return Reranker.from_dict(_committed()["semantic" if semantic else "wording"])
