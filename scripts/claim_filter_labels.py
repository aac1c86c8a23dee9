"""The bench's recall and precision under other training labels for the claim filter: for error analysis.

Recall and precision depend only on the candidates, one per clause of ``relevant_clauses`` (``extract``), and on
which of them ``bench.answering`` picks, so this script gives the bench's figures for them without a knowledge base
(with ``LABEL=base`` they equal ``bench.run``'s, article by article). Each article is read with a claim filter fitted
on the other articles' rows (``claimfilter.fit``, as ``bench.claim_filter_folds``), labelled by ``LABEL``:

- ``base``: 1 for the clause that answers an answer (``bench.claim_filter_rows``);
- ``span``: also 1 for a clause of which at least ``SHARE`` (default 0.5) lies inside an answer's quote;
- ``nosib``: a clause inside an answer's quote that does not answer it is left out of the training rows;
- ``frag0``: an answering clause split from a longer sentence is 0 when an answer's quote reaches past it;
- ``frag0b``: … only when an answer's quote covers at least nine tenths of its sentence;
- ``weight``: an answering clause counts once per answer it holds.

``SHOW=13,15`` lists the useless candidates of those held-out pages, grouped. Run from the repository's root:

    LABEL=span DEBUG=1 SECRET_KEY=x KB_ENV_FILE= .venv/bin/python manage.py shell \\
        -c "exec(open('scripts/claim_filter_labels.py').read())"
"""

from __future__ import annotations

import json
import os
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np

from importer import bench, claimfilter
from importer.extract import CandidateData, relevant_clauses


def _overlap(a0: int, a1: int, b0: int, b1: int) -> int:
    return max(0, min(a1, b1) - max(a0, b0))


def label_rows(articles, variant: str, share: float = 0.5):
    rows, labels, names = [], [], []
    answers = {a.name: a.answers for a in articles}
    for name, candidate, held in bench._answered_clauses(articles):
        clause, sentence = candidate.clause, candidate.sentence
        if not claimfilter.judged(clause.text, sentence.text):
            continue
        c0, c1 = clause.start, clause.end
        label = int(bool(held))
        covered = max((_overlap(c0, c1, a.offset, a.offset + len(a.quote)) for a in answers[name]), default=0)
        if not label and covered:
            if variant == "span" and covered >= share * max(c1 - c0, 1):
                label = 1
            if variant == "nosib":
                continue
        if label and clause.text != sentence.text:
            s0, s1 = sentence.start, sentence.end
            if variant == "frag0" and any(a.offset < c0 or a.offset + len(a.quote) > c1 for a in held):
                label = 0
            if variant == "frag0b" and any(
                _overlap(s0, s1, a.offset, a.offset + len(a.quote)) >= 0.9 * (s1 - s0) for a in held
            ):
                label = 0
        for _ in range(len(held) if variant == "weight" and label else 1):
            rows.append(claimfilter.features(clause.text, sentence.text, sentence.kind))
            labels.append(label)
            names.append(name)
    return np.array(rows, dtype=float), np.array(labels), np.array(names)


def group(candidate, useful_sentences: set, answers) -> str:
    """What a useless candidate is: a clause of a sentence holding an answer (inside the answer's quote or not), a
    whole sentence nobody keyed, or a clause of one."""
    sentence, clause = candidate.sentence, candidate.clause
    inside = [a for a in answers if sentence.start <= a.offset and a.offset + len(a.quote) <= sentence.end]
    if sentence.start in useful_sentences or inside:
        quoted = any(_overlap(clause.start, clause.end, a.offset, a.offset + len(a.quote)) for a in inside)
        return "fragment inside a quote" if quoted else "fragment outside the quotes"
    return "whole sentence, unkeyed" if clause.text == sentence.text else "clause of an unkeyed sentence"


document = json.loads(Path("fixtures/kb.json").read_text(encoding="utf-8"))
articles = bench.labelled_articles(document)
variant = os.environ.get("LABEL", "base")
matrix, labels, names = label_rows(articles, variant, float(os.environ.get("SHARE", "0.5")))
show = [p for p in os.environ.get("SHOW", "").split(",") if p]
print(variant, "rows", len(labels), "labelled 1", int(labels.sum()))
totals = defaultdict(lambda: np.zeros(4, dtype=int))
groups = defaultdict(Counter)
for article in articles:
    rest = names != article.name
    fitted = claimfilter.fit(matrix[rest], labels[rest], names[rest])
    candidates = [
        CandidateData(sentence, clause, "", "")
        for sentence, parts in relevant_clauses(article.text, claim_filter=fitted)
        for clause in parts
    ]
    useful, found = {}, 0
    for answer in article.answers:
        hit = bench.answering(candidates, answer)
        if hit is not None:
            found += 1
            useful[id(hit)] = hit
    side = "seed" if article.seed else "held-out"
    totals[side] += (found, len(article.answers), len(useful), len(candidates))
    print(f"{article.name[:32]:32} recall {found}/{len(article.answers)} precision {len(useful)}/{len(candidates)}")
    starts = {hit.sentence.start for hit in useful.values()}
    for candidate in candidates:
        if id(candidate) not in useful:
            kind = group(candidate, starts, article.answers)
            groups[side][kind] += 1
            if any(article.name.startswith(p) for p in show):
                print(f"    [{kind}] {candidate.clause.text[:120]!r}")
for side, (found, answers, useful, offered) in totals.items():
    print(f"{side}: recall {found}/{answers}, precision {useful}/{offered} ({useful / offered:.3f}); useless:",
          dict(groups[side]))  # fmt: skip
