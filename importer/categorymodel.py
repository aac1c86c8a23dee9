"""The learned category model: which categories the answer keys give to clauses worded like this one.

A multinomial logistic regression over the clause's words (stemmed, as the ranking index stems them, without
bigrams) and thesaurus concepts, TF-IDF weighted, fitted on every answer of every labelled article (the seed's and
the held-out ones): each answer is one row, the text of the clause that holds it (read with its lead-in when it is
a list item) against the answer's category. It learns what the knowledge base's own claims cannot teach the
centroids of ``learned_categories``: how articles word each category ("approved by the FDA" for an indication, "we
screen every patient" for candidacy).

It votes on the second and third of a candidate's likely categories, never the first (``likely_categories``). Its
vocabulary, idf and coefficients live in ``importer/categorymodel.json``, refitted by ``python manage.py
fit_category_model`` (``make category-model``; ``--check`` says whether the file is up to date). ``make
bench-import`` scores each article with a model fitted without it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np

from importer.logistic import committed, logistic_regression

COEFFICIENTS = Path(__file__).resolve().parent / "categorymodel.json"

# scikit-learn's defaults (C = 1) and terms seen in at least two answers: fixed before any figure was read.
C = 1.0
MIN_ANSWERS = 2


def category_terms(text: str) -> list[str]:
    """The clause's stemmed words (no stopwords, no bigrams) and thesaurus concepts."""
    from importer.extract import _word_terms, concept_terms

    return [term for term in _word_terms(text) if "_" not in term] + concept_terms(text)


@dataclass(frozen=True)
class CategoryModel:
    terms: dict[str, int]  # term -> column
    idf: np.ndarray
    classes: tuple[str, ...]
    coef: np.ndarray  # classes x terms
    intercept: np.ndarray
    # The last text read and its probabilities: ``rank_clause`` asks for the same text twice (the re-ranker's column,
    # then the category vote), ~0.2 ms a read. One tuple, replaced whole, so threads sharing the model never mix.
    _last: list = field(default_factory=lambda: [None], init=False, repr=False, compare=False)

    def probabilities(self, text: str) -> np.ndarray:
        """The probability of each of ``classes`` for the clause (read-only)."""
        last = self._last[0]
        if last is not None and last[0] == text:
            return last[1]
        result = self._probabilities(text)
        result.setflags(write=False)
        self._last[0] = (text, result)
        return result

    def _probabilities(self, text: str) -> np.ndarray:
        counts: dict[int, int] = {}
        for term in category_terms(text):
            column = self.terms.get(term)
            if column is not None:
                counts[column] = counts.get(column, 0) + 1
        scores = self.intercept.copy()
        if counts:
            columns = np.fromiter(counts, dtype=np.int64)
            weights = (1 + np.log(np.fromiter(counts.values(), dtype=float))) * self.idf[columns]
            weights /= np.linalg.norm(weights)
            scores = scores + self.coef[:, columns] @ weights
        scores = np.exp(scores - scores.max())
        return scores / scores.sum()

    def ranking(self, text: str) -> list[str]:
        """The categories, most likely first."""
        return [self.classes[i] for i in np.argsort(-self.probabilities(text), kind="stable")]

    def as_dict(self) -> dict:
        order = sorted(self.terms, key=self.terms.get)
        return {
            "terms": order,
            "idf": [round(float(self.idf[self.terms[term]]), 4) for term in order],
            "classes": list(self.classes),
            "coef": [[round(float(row[self.terms[term]]), 4) for term in order] for row in self.coef],
            "intercept": [round(float(v), 4) for v in self.intercept],
        }

    @classmethod
    def from_dict(cls, data: dict) -> CategoryModel:
        return cls(
            {term: column for column, term in enumerate(data["terms"])},
            np.array(data["idf"]),
            tuple(data["classes"]),
            np.array(data["coef"]),
            np.array(data["intercept"]),
        )


def fit(texts: Sequence[str], labels: Sequence[str]) -> CategoryModel:
    """A model fitted on these (clause, category) rows; deterministic (L-BFGS from zero)."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    vectorizer = TfidfVectorizer(analyzer=category_terms, sublinear_tf=True, min_df=MIN_ANSWERS)
    matrix = vectorizer.fit_transform(list(texts))
    model = logistic_regression(C)
    model.fit(matrix, list(labels))
    terms = {term: int(column) for term, column in vectorizer.vocabulary_.items()}
    coef = model.coef_
    intercept = model.intercept_
    if len(model.classes_) == 2:  # scikit-learn keeps one row for two classes: the second's against the first
        coef, intercept = np.vstack([-coef, coef]) / 2, np.r_[-intercept, intercept] / 2
    return CategoryModel(terms, vectorizer.idf_, tuple(model.classes_), coef, intercept)


@lru_cache(maxsize=1)
def default_model() -> CategoryModel:
    """The committed category model."""
    return CategoryModel.from_dict(committed(COEFFICIENTS, "category-model"))
