"""scripts/compare_benches.py: the paired comparison of two in-fold benches behind the keep rule of an importer
change (docs/importing.md)."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

SCRIPT = Path(settings.BASE_DIR) / "scripts" / "compare_benches.py"
spec = importlib.util.spec_from_file_location("compare_benches", SCRIPT)
compare = importlib.util.module_from_spec(spec)
spec.loader.exec_module(compare)


def _article(source: str, misses=(), stance=(), recall=(), **counts) -> dict:
    """An article of a bench's JSON: its ranking misses given as (clause, rank of the keyed claim or None)."""
    base = dict.fromkeys(compare.COUNTS, 0)
    return {
        **base,
        **counts,
        "source": source,
        "ranking_misses": [{"clause": c, "key": [{"claim": 1, "rank": r}]} for c, r in misses],
        "stance_misses": [{"quote": q, "claim": 1} for q in stance],
        "misses": list(recall),
    }


def _bench(seed: list[dict], heldout: list[dict]) -> dict:
    return {"articles": seed, "heldout": {"articles": heldout}}


def test_the_sign_test_is_exact_and_one_sided():
    assert compare.sign_test(5, 0) == pytest.approx(1 / 32)
    assert compare.sign_test(0, 5) == 1.0
    assert compare.sign_test(2, 1) == pytest.approx(4 / 8)  # P(2 or 3 heads of 3)
    assert compare.sign_test(0, 0) == 1.0  # nothing moved: no evidence


def test_a_clause_mended_on_one_page_and_lost_on_another_is_one_win_and_one_loss():
    base = _bench([_article("seed-a", misses=[("A", 2), ("C", None)])], [_article("01", misses=[])])
    new = _bench([_article("seed-a", misses=[("C", None)])], [_article("01", misses=[("B", None)])])
    outcomes = compare.outcomes(base), compare.outcomes(new)
    wins, losses = compare.discordant(*outcomes, "top1")
    assert (dict(wins), dict(losses)) == ({"seed-a": 1}, {"01": 1})
    # "A" was second (in the top 3 already): no top-3 win; "B" fell out of the top 3: a top-3 loss
    wins, losses = compare.discordant(*outcomes, "top3")
    assert (dict(wins), dict(losses)) == ({}, {"01": 1})


def test_stance_and_recall_are_paired_by_quote():
    base = _bench([_article("s", stance=["q1", "q2"], recall=["r1"])], [])
    new = _bench([_article("s", stance=["q2", "q3"], recall=[])], [])
    outcomes = compare.outcomes(base), compare.outcomes(new)
    assert [dict(c) for c in compare.discordant(*outcomes, "stance")] == [{"s": 1}, {"s": 1}]
    assert [dict(c) for c in compare.discordant(*outcomes, "recall")] == [{"s": 1}, {}]


def test_the_report_pools_seed_and_held_out_counts_and_names_the_articles_that_gain(tmp_path):
    base = _bench([_article("seed-a", clause_top1_hits=3)], [_article("01", misses=[("A", 4)], clause_top1_hits=5)])
    new = _bench([_article("seed-a", clause_top1_hits=3)], [_article("01", clause_top1_hits=6)])
    paths = []
    for name, result in (("base", base), ("new", new)):
        paths.append(tmp_path / f"{name}.json")
        paths[-1].write_text(json.dumps(result), encoding="utf-8")
    run = subprocess.run([sys.executable, str(SCRIPT), *map(str, paths)], capture_output=True, text=True, check=True)
    assert "clause_top1_hits           8       9      +1" in run.stdout
    assert "top1           1      0    0.5000    1.0000  1: 01 +1/0" in run.stdout


def test_the_script_says_how_to_call_it_when_called_wrongly():
    run = subprocess.run([sys.executable, str(SCRIPT)], capture_output=True, text=True)
    assert run.returncode != 0 and "Usage: python scripts/compare_benches.py BASE.json NEW.json" in run.stderr


def test_an_article_scored_by_one_bench_only_is_left_out_and_named():
    base = _bench([_article("seed-a", misses=[("A", None)])], [])
    new = _bench([_article("seed-a", misses=[("A", None)])], [_article("18", misses=[("B", None)])])
    report = compare.report(base, new)
    assert report.startswith("left out (scored by one bench only): 18")
    assert "top1           0      0" in report and "WARNING" not in report


def test_a_keyed_clause_lost_from_one_bench_is_flagged_not_counted_silently_as_a_win():
    base = _bench([_article("s", misses=[("A", None), ("B", None)], clauses_in_kb=5, clause_top1_hits=3)], [])
    new = _bench([_article("s", misses=[("B", None)], clauses_in_kb=4, clause_top1_hits=3)], [])  # "A" is gone
    report = compare.report(base, new)
    assert "WARNING: clauses_in_kb moved (5 -> 4)" in report
    assert "WARNING: top1: wins - losses = +1 but clause_top1_hits moved +0" in report
