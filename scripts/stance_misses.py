"""The bench's stance figure in seconds, and every stance miss: for error analysis of the stance rules.

Stance does not depend on ranking: the stance shown next to an answer's claim is ``stance_toward(clause, claim)``
whether the claim is suggested or found by search (``bench.score_article``), and the candidate's own
(``stance_cue(clause)``) for a claim the knowledge base lacks. What it depends on is which clause answers the quote,
that is on the candidates, which this script builds as ``extract`` does (one per clause of ``relevant_clauses``,
each article read with its in-fold claim filter, ``bench.claim_filter_folds``), without the knowledge base's
ranking. Run from the repository's root:

    DEBUG=1 SECRET_KEY=x KB_ENV_FILE= .venv/bin/python manage.py shell \\
        -c "exec(open('scripts/stance_misses.py').read())"

with ``STANCE_JSON=/tmp/out.json`` in the environment to write the per-article figures, the misses, every found
answer with its clause and each article's candidates (to check that a stance rule changes no candidate).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from importer import bench
from importer.extract import CandidateData, ClaimRecord, relevant_clauses, stance_cue, stance_toward


def stance_figures(fixture: Path = Path("fixtures/kb.json")) -> dict:
    document = json.loads(fixture.read_text(encoding="utf-8"))
    articles = bench.labelled_articles(document)
    filters = bench.claim_filter_folds(articles)
    claims = {c["id"]: ClaimRecord(c["id"], c["text"], c["category"], (), ()) for c in document["claims"]}
    out = {}
    for article in articles:
        if article.seed:  # the claims the other seed articles state (``bench.knowledge_base``)
            known = {a["claim"] for a in document["assertions"] if a["source"] != article.source}
        else:
            known = set(claims)
        candidates = [
            CandidateData(sentence, clause, "", stance_cue(clause.text))
            for sentence, parts in relevant_clauses(article.text, claim_filter=filters[article.name])
            for clause in parts
        ]
        right, found, misses, every = 0, 0, [], []
        for answer in article.answers:
            hit = bench.answering(candidates, answer)
            if hit is None:
                continue
            found += 1
            shown = stance_toward(hit.clause.text, claims[answer.claim]) if answer.claim in known else hit.stance
            right += shown == answer.stance
            row = {"quote": answer.quote, "clause": hit.clause.text, "claim": answer.claim,
                   "claim_text": claims[answer.claim].text if answer.claim in claims else None,
                   "key": answer.stance, "shown": shown, "in_kb": answer.claim in known}  # fmt: skip
            every.append(row)
            if shown != answer.stance:
                misses.append(row)
        out[article.name] = {
            "seed": article.seed,
            "right": right,
            "found": found,
            "misses": misses,
            "answers": every,
            "candidates": [(c.clause.start, c.clause.end) for c in candidates],
        }
    return out


def _pooled(figures: dict, names) -> str:
    right = sum(figures[n]["right"] for n in names)
    found = sum(figures[n]["found"] for n in names)
    return f"{right}/{found} ({right / found:.3f})"


def render(figures: dict) -> str:
    seed = [n for n, f in figures.items() if f["seed"]]
    held = [n for n, f in figures.items() if not f["seed"]]
    lines = [f"{n:50} {f['right']:4d}/{f['found']:<4d} {f['right'] / f['found']:.3f}" for n, f in figures.items()]
    lines.append(f"seed pooled {_pooled(figures, seed)}")
    lines.append(f"held-out pooled {_pooled(figures, held)}")
    lines.append(f"held-out 01-09 pooled {_pooled(figures, [n for n in held if n[:2] < '10'])}")
    return "\n".join(lines)


figures = stance_figures()
print(render(figures))
if os.environ.get("STANCE_JSON"):
    Path(os.environ["STANCE_JSON"]).write_text(json.dumps(figures, indent=1), encoding="utf-8")
