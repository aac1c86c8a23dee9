"""Shaping query results for public pages: grade distributions, charts, key studies, highlighted text.

Pure functions over already-fetched objects: nothing here touches the database.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from claims.grading import DESIGN_RANK, GRADE_ORDER, LEVEL_MEANINGS, SYMBOLS
from claims.models import Grade

CHART_WIDTH = 320
BAR_HEIGHT = 22
BAR_GAP = 8
LABEL_WIDTH = 110


@dataclass(frozen=True)
class Bar:
    grade: str
    label: str
    symbol: str
    count: int
    width: int
    y: int


@dataclass(frozen=True)
class Distribution:
    bars: list[Bar]
    total: int
    height: int

    @property
    def summary(self) -> str:
        parts = [f"{bar.label}: {bar.count}" for bar in self.bars]
        return f"{self.total} claim{'s' if self.total != 1 else ''} — " + ", ".join(parts)


def grade_distribution(counts: dict[str, int] | Iterable[str]) -> Distribution:
    """Bars for an SVG chart from ``{grade: count}`` or an iterable of grades."""
    if not isinstance(counts, dict):
        counts = Counter(counts)
    total = sum(counts.values())
    largest = max(counts.values(), default=0) or 1
    bars = []
    for index, grade in enumerate(GRADE_ORDER):
        count = counts.get(grade, 0)
        bars.append(
            Bar(
                grade=grade,
                label=Grade(grade).label,
                symbol=SYMBOLS[grade],
                count=count,
                width=round(CHART_WIDTH * count / largest),
                y=index * (BAR_HEIGHT + BAR_GAP),
            )
        )
    return Distribution(bars=bars, total=total, height=len(bars) * (BAR_HEIGHT + BAR_GAP))


def key_study(evidence: Sequence) -> object | None:
    """The strongest study in a claim's evidence base (supporting first), from prefetched Evidence rows."""
    if not evidence:
        return None
    ranked = sorted(
        evidence,
        key=lambda e: (e.direction != "supports", DESIGN_RANK.get(e.study.design, 99), -(e.study.year or 0)),
    )
    return ranked[0].study


@dataclass
class Segment:
    text: str
    assertions: list = field(default_factory=list)

    @property
    def is_quote(self) -> bool:
        return bool(self.assertions)


def highlight_segments(text: str, assertions: Sequence) -> list[Segment]:
    """Split ``text`` into plain and quoted segments; overlapping quotes merge into one highlighted span.

    Assertions whose quote is not at its offset (the source text changed) are left out rather than
    highlighting the wrong words.
    """
    spans = []
    for assertion in assertions:
        start = assertion.offset
        if start is None:
            continue
        end = start + len(assertion.quote)
        if text[start:end] == assertion.quote:
            spans.append((start, end, assertion))
    spans.sort(key=lambda span: (span[0], span[1]))
    segments: list[Segment] = []
    position = 0
    current: tuple[int, int, list] | None = None
    for start, end, assertion in spans:
        if current and start < current[1]:
            current = (current[0], max(current[1], end), [*current[2], assertion])
            continue
        if current:
            segments.append(Segment(text[current[0] : current[1]], current[2]))
            position = current[1]
        if start > position:
            segments.append(Segment(text[position:start]))
        current = (start, end, [assertion])
    if current:
        segments.append(Segment(text[current[0] : current[1]], current[2]))
        position = current[1]
    if position < len(text):
        segments.append(Segment(text[position:]))
    return segments


def grade_levels() -> list[tuple[str, str, str, str]]:
    """(grade, label, symbol, meaning) for the four GRADE levels, highest first (the "how to read a grade" lists)."""
    return [(g, Grade(g).label, SYMBOLS[g], LEVEL_MEANINGS[g]) for g in GRADE_ORDER[:4]]
