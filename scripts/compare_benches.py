"""Compare two in-fold benches clause by clause, for the keep rule of a change to the importer.

Usage: python scripts/compare_benches.py BASE.json NEW.json

Each file is ``importer.bench.run(...)`` dumped as JSON (seed figures at the top level, the held-out ones under
``heldout``). Pooled over every labelled article (seed leave-one-out and held-out), it prints each target count in
both, and for top-1, top-3, stance and recall the discordant items: those right in one bench only. A refit moves a
few clauses either way on every run, so a change is judged by its discordant items, not by its net count: the exact
one-sided sign test says how likely a split at least this lopsided is when each discordant item is a coin toss.
The rule (docs/importing.md, "The keep rule"): the figure a change aims at gains with p <= 0.05, no other pooled
count falls by more than 2, furniture stays 0, and the gains come from two articles or more. Only the articles both
benches scored are compared; a WARNING says when the discordant items do not add up to the change of a count (an item
in one bench only is not paired). Clauses of one article are not independent tosses: the test is a screen, which is
why the rule also asks for gains on two articles or more.
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from math import comb
from pathlib import Path


def sign_test(wins: int, losses: int) -> float:
    """P(at least ``wins`` of ``wins + losses`` fair coin tosses): one-sided exact sign test."""
    n = wins + losses
    return sum(comb(n, k) for k in range(wins, n + 1)) / 2**n if n else 1.0


def articles(result: dict) -> list[dict]:
    return result["articles"] + (result["heldout"] or {}).get("articles", [])


def outcomes(result: dict) -> dict[str, dict]:
    """Per target, the items that count and whether each is right: (article, clause) for top-1/top-3,
    (article, quote, claim) for stance, (article, quote) for recall (misses only: found = not a miss)."""
    top1, top3, stance, missed = {}, {}, {}, set()
    for a in articles(result):
        name = a["source"]
        for miss in a["ranking_misses"]:
            key = (name, miss["clause"])
            top1[key] = False
            top3[key] = any(k["rank"] is not None and k["rank"] <= 3 for k in miss["key"])
        for miss in a["stance_misses"]:
            stance[(name, miss["quote"], miss["claim"])] = False
        for quote in a["misses"]:
            missed.add((name, quote))
    return {"top1": top1, "top3": top3, "stance": stance, "missed": missed}


def discordant(base: dict, new: dict, figure: str) -> tuple[Counter, Counter]:
    """Items wrong in the base and right in the new bench (wins), and the reverse (losses), per article."""
    if figure == "recall":
        wins = Counter(a for a, _ in base["missed"] - new["missed"])
        losses = Counter(a for a, _ in new["missed"] - base["missed"])
        return wins, losses
    b, n = base[figure], new[figure]
    wins = Counter(k[0] for k in b if not b[k] and n.get(k, True))
    losses = Counter(k[0] for k in n if not n[k] and b.get(k, True))
    return wins, losses


COUNTS = ("found", "useful_candidates", "candidates", "clause_top1_hits", "clause_top3_hits", "clauses_in_kb",
          "stance_right", "category_top3", "furniture_offered")  # fmt: skip


def totals(result: dict) -> Counter:
    total = Counter()
    for a in articles(result):
        total.update({name: a.get(name, 0) for name in COUNTS})
    return total


def shared(base: dict, new: dict) -> tuple[dict, dict, list[str]]:
    """Both benches restricted to the articles both scored (an article scored by one only has no pair to compare
    with), and the names of those left out."""
    names = {a["source"] for a in articles(base)} & {a["source"] for a in articles(new)}
    left_out = sorted({a["source"] for a in articles(base) + articles(new)} - names)

    def only(result: dict) -> dict:
        heldout = result.get("heldout") or {}
        return {
            "articles": [a for a in result["articles"] if a["source"] in names],
            "heldout": {"articles": [a for a in heldout.get("articles", []) if a["source"] in names]},
        }

    return only(base), only(new), left_out


def checks(tb: Counter, tn: Counter, ob: dict, on: dict) -> list[str]:
    """Warnings when the discordant items do not add up to the change in a count: a keyed clause or an answer that
    appears in one bench only (lost by recall, split otherwise), or two misses of one article with the same clause
    text, are not paired, so their sign test is not to be trusted."""
    warnings = []
    if tn["clauses_in_kb"] != tb["clauses_in_kb"]:
        moved = f"{tb['clauses_in_kb']} -> {tn['clauses_in_kb']}"
        warnings.append(f"clauses_in_kb moved ({moved}): a keyed clause in one bench only counts as right in the other")
    for figure, count in (("top1", "clause_top1_hits"), ("top3", "clause_top3_hits"), ("stance", "stance_right")):
        wins, losses = (sum(c.values()) for c in discordant(ob, on, figure))
        if wins - losses != tn[count] - tb[count]:
            moved = tn[count] - tb[count]
            warnings.append(f"{figure}: wins - losses = {wins - losses:+d} but {count} moved {moved:+d}")
    return warnings


def report(base: dict, new: dict) -> str:
    lines = []
    base, new, left_out = shared(base, new)
    if left_out:
        lines += [f"left out (scored by one bench only): {', '.join(left_out)}", ""]
    tb, tn = totals(base), totals(new)
    lines.append(f"{'pooled count':20} {'base':>7} {'new':>7} {'change':>7}")
    for name in COUNTS:
        lines.append(f"{name:20} {tb[name]:7} {tn[name]:7} {tn[name] - tb[name]:+7}")
    ob, on = outcomes(base), outcomes(new)
    lines.append("")
    lines.append(f"{'discordant':10} {'wins':>5} {'losses':>6} {'p (gain)':>9} {'p (loss)':>9}  articles gaining")
    for figure in ("top1", "top3", "stance", "recall"):
        wins, losses = discordant(ob, on, figure)
        w, lo = sum(wins.values()), sum(losses.values())
        gaining = sorted(a for a in set(wins) | set(losses) if wins[a] > losses[a])
        lines.append(
            f"{figure:10} {w:5} {lo:6} {sign_test(w, lo):9.4f} {sign_test(lo, w):9.4f}  {len(gaining)}: "
            + ", ".join(f"{a[:24]} {wins[a]:+d}/{-losses[a]:d}" for a in gaining)
        )
    warnings = checks(tb, tn, ob, on)
    if warnings:
        lines += ["", *(f"WARNING: {w}" for w in warnings)]
    return "\n".join(lines)


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    base, new = (json.loads(Path(path).read_text(encoding="utf-8")) for path in sys.argv[1:])
    print(report(base, new))
