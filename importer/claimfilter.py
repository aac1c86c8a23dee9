"""The learned claim filter: drops a clause the sentence rules kept when a logistic regression is very sure it
states no claim (a scene set in a news feature, a clinic's practicalities, a reported aside).

A sentence of its own that names ketamine or opens with a word referring to it ("It is addictive.", "Ketamine is
addictive.") is never judged: it says what it is about and states something of it, however short and however few
cue words it has, and the labelled articles hold too few such sentences for a model to learn that (fitted on every
clause, the filter dropped both). A clause split from a longer sentence is judged like any other. It reads only the
clause's own shape and words (whether it names ketamine, its domain words and category cues, its length, first- and
second-person pronouns, quotation marks, a leading conjunction…), never the claims it is ranked against: it runs
before ranking, needs neither the knowledge base nor the sentence embeddings, and does not move when the re-ranker
is refitted.

Its coefficients and threshold live in ``importer/claimfilter.json``, fitted on every labelled article (the seed's
and the held-out ones: a clause is labelled 1 when it holds an answer of its article's key) by ``python manage.py
fit_claim_filter`` (``make claim-filter``; ``--check`` says whether the file is up to date). The threshold is the
highest probability that, in a leave-one-article-out over the articles it is fitted on, drops at most ``BUDGET`` of
the clauses that hold an answer: the filter drops only what it is very sure of. ``make bench-import`` scores each
article with a filter fitted without it (its threshold chosen the same way on the other articles alone), so no
article's figure comes from a model that saw its key.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import numpy as np

from importer.logistic import StandardisedLogistic, committed

COEFFICIENTS = Path(__file__).resolve().parent / "claimfilter.json"

# Regularisation (scikit-learn's default C) and the share of the training clauses holding an answer that the
# threshold may drop: fixed before any figure was read, not searched.
C = 1.0
BUDGET = 0.01

_WE = re.compile(r"\b(?:we|our|ours|us|we['’](?:re|ve|ll|d))\b", re.I)
_I = re.compile(r"\b(?:i|my|me|mine|i['’](?:m|ve|d|ll))\b", re.I)
_YOU = re.compile(r"\b(?:you|your|yours|you['’](?:re|ve|ll|d))\b", re.I)
_QUOTATION = re.compile(r"[“”\"]")
_NARRATIVE = re.compile(r"\b(?:she|he|her|his|says|said)\b", re.I)
_CONJUNCTION = re.compile(r"(?:but|though|although|and|while|which|so)\b", re.I)

# In this order, the columns of ``features()`` and of the fitted coefficients.
FEATURES = (
    "names_ketamine",  # the clause names ketamine (or esketamine, Spravato, NMDA)
    "refers",  # it opens with a word that refers back to the treatment ("It", "This therapy")
    "domain_words",  # how many of the domain's words it has (``DOMAIN``)
    "concepts",  # how many thesaurus phrases it has (``CONCEPTS``)
    "cues",  # how many category cues it has (``CATEGORY_CUES``)
    "log_words",  # log of its length in words
    "part",  # it is one clause of a longer sentence
    "item",  # it is a list item or a table row
    "we",  # first person plural ("We don't offer that", a clinic speaking of itself)
    "i",  # first person singular (a patient's or clinician's own words)
    "you",  # second person (the reader addressed)
    "quotation",  # quotation marks (reported speech)
    "narrative",  # a third person or a reporting verb ("she says", "said a psychiatrist")
    "hedged",  # a hedge ("may", "promising", "not yet known")
    "conjunction",  # it opens with a conjunction or relative ("but …", "though …", "which …")
)


_OPENING_PUNCTUATION = "“\"‘'([—– "


def _refers(clause: str) -> bool:
    """Whether the clause opens with a word referring to the treatment, after any opening quotation mark or bracket
    ("“It’s not a cure,” said …")."""
    from importer.extract import REFERRING

    return bool(REFERRING.search(clause.lstrip(_OPENING_PUNCTUATION)))


def judged(clause: str, sentence_text: str) -> bool:
    """Whether the filter judges this clause at all: not when it is a sentence of its own that names ketamine or
    opens referring to it."""
    from importer.extract import KETAMINE

    return clause != sentence_text or not (KETAMINE.search(clause) or _refers(clause))


def features(clause: str, sentence_text: str, kind: str) -> list[float]:
    """One row of ``FEATURES`` for a clause of a sentence (``kind``: ``Sentence.kind``)."""
    from importer.extract import DOMAIN, KETAMINE, _hedged, category_cues, concept_terms

    values = {
        "names_ketamine": bool(KETAMINE.search(clause)),
        "refers": _refers(clause),
        "domain_words": len(DOMAIN.findall(clause)),
        "concepts": len(concept_terms(clause)),
        "cues": sum(category_cues(clause).values()),
        "log_words": np.log(max(len(clause.split()), 1)),
        "part": clause != sentence_text,
        "item": kind != "prose",
        "we": bool(_WE.search(clause)),
        "i": bool(_I.search(clause)),
        "you": bool(_YOU.search(clause)),
        "quotation": bool(_QUOTATION.search(clause)),
        "narrative": bool(_NARRATIVE.search(clause)),
        "hedged": _hedged(clause),
        "conjunction": bool(_CONJUNCTION.match(clause)),
    }
    return [float(values[name]) for name in FEATURES]


@dataclass(frozen=True)
class ClaimFilter(StandardisedLogistic):
    """A logistic regression over standardised ``FEATURES``, and the probability below which a clause is dropped."""

    FEATURES: ClassVar[tuple[str, ...]] = FEATURES
    COEFFICIENTS: ClassVar[Path] = COEFFICIENTS
    MAKE_TARGET: ClassVar[str] = "claim-filter"

    threshold: float

    def keeps(self, clause: str, sentence_text: str, kind: str) -> bool:
        if not judged(clause, sentence_text):
            return True
        return bool(self.probability(np.array([features(clause, sentence_text, kind)]))[0] >= self.threshold)

    def as_dict(self) -> dict:
        return {**super().as_dict(), "threshold": round(float(self.threshold), 6)}

    @classmethod
    def from_dict(cls, data: dict) -> ClaimFilter:
        return cls(*cls.read(data), float(data["threshold"]))


def threshold_for(probabilities: np.ndarray, labels: np.ndarray, budget: float = BUDGET) -> float:
    """The highest threshold that drops at most ``budget`` of the clauses labelled 1 (those below it are dropped)."""
    useful = np.sort(probabilities[labels == 1])
    allowed = int(np.floor(budget * len(useful)))  # this many of them may fall below the threshold
    if not len(useful):
        return 0.0
    return float(useful[allowed])  # the (allowed+1)-th lowest: it and every clause above it are kept


def fit(matrix: np.ndarray, labels: np.ndarray, articles: Sequence[str], budget: float = BUDGET) -> ClaimFilter:
    """A filter fitted on these rows, its threshold chosen by a leave-one-article-out over their ``articles`` (each
    article's clauses scored by a regression fitted on the others): the highest that drops at most ``budget`` of the
    clauses holding an answer."""
    matrix, labels, articles = np.asarray(matrix, dtype=float), np.asarray(labels), np.asarray(articles)
    held_out = np.zeros(len(labels))
    for article in dict.fromkeys(articles.tolist()):
        rest = articles != article
        if len(set(labels[rest].tolist())) < 2:  # nothing to learn from: keep this article's clauses
            held_out[~rest] = 1.0
            continue
        held_out[~rest] = ClaimFilter.fitted(matrix[rest], labels[rest], C, threshold=0.0).probability(matrix[~rest])
    return ClaimFilter.fitted(matrix, labels, C, threshold=threshold_for(held_out, labels, budget))


def default_filter() -> ClaimFilter:
    """The committed claim filter."""
    return ClaimFilter.from_dict(committed(COEFFICIENTS, ClaimFilter.MAKE_TARGET))
