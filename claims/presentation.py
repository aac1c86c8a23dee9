"""Shaping query results for public pages: grade distributions, charts, claim rows, highlighted text.

Pure functions over already-fetched objects: nothing here touches the database.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from html import escape
from urllib.parse import quote

from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe

from claims.answers import VERDICT_SYMBOLS
from claims.grading import GRADE_ORDER, LEVEL_MEANINGS, SYMBOLS
from claims.models import Grade, Verdict

GRADE_LABELS = dict(Grade.choices)
VERDICT_LABELS = dict(Verdict.choices)

# The chart is drawn in CSS pixels (no viewBox), so that its text keeps its size on a phone: each grade is a row of
# ROW_HEIGHT px, its label above a bar whose length is a percentage of the chart's width. The longest bar takes
# BAR_MAX_PERCENT of it, which leaves room after it for the count even on the narrowest screen.
ROW_HEIGHT = 46
BAR_MAX_PERCENT = 80


@dataclass(frozen=True)
class Bar:
    grade: str
    label: str
    symbol: str
    count: int
    percent: float  # of the chart's width
    y: int  # top of the row, in px


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
                percent=round(BAR_MAX_PERCENT * count / largest, 1),
                y=index * ROW_HEIGHT,
            )
        )
    return Distribution(bars=bars, total=total, height=len(bars) * ROW_HEIGHT)


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
    highlighting the wrong words. Within a span, assertions keep the order they were given in (the order they are
    numbered in), so that its markers read [48][49][50] even when a longer quote starts where a shorter one does.
    """
    order = {id(assertion): index for index, assertion in enumerate(assertions)}
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

    def quoted(start: int, end: int, members: list) -> Segment:
        return Segment(text[start:end], sorted(members, key=lambda a: order[id(a)]))

    for start, end, assertion in spans:
        if current and start < current[1]:
            current = (current[0], max(current[1], end), [*current[2], assertion])
            continue
        if current:
            segments.append(quoted(*current))
            position = current[1]
        if start > position:
            segments.append(Segment(text[position:start]))
        current = (start, end, [assertion])
    if current:
        segments.append(quoted(*current))
        position = current[1]
    if position < len(text):
        segments.append(Segment(text[position:]))
    return segments


def grade_levels() -> list[tuple[str, str, str, str]]:
    """(grade, label, symbol, meaning) for the four GRADE levels, highest first (the "how to read a grade" lists)."""
    return [(g, Grade(g).label, SYMBOLS[g], LEVEL_MEANINGS[g]) for g in GRADE_ORDER[:4]]


def _verb(n: int, singular: str, plural: str) -> str:
    return f"{n} {singular if n == 1 else plural}"


def stance_phrase(supports: int, contradicts: int, qualifies: int) -> str:
    """How many (statements or sources) take each stance, as "2 support, 1 contradicts, 0 qualify"."""
    return ", ".join(
        [
            _verb(supports, "supports", "support"),
            _verb(contradicts, "contradicts", "contradict"),
            _verb(qualifies, "qualifies", "qualify"),
        ]
    )


@dataclass
class StanceTally:
    """Statements grouped by what they are about (a source, or a claim), the groups counted per stance: a group
    with statements of several stances counts under each, and ``mixed`` says how many do."""

    groups: int
    per_stance: Counter
    mixed: int

    @classmethod
    def of(cls, assertions: Iterable, key: str) -> StanceTally:
        stances_of: dict = defaultdict(set)
        for assertion in assertions:
            stances_of[getattr(assertion, key)].add(assertion.stance)
        per_stance = Counter(stance for stances in stances_of.values() for stance in stances)
        return cls(len(stances_of), per_stance, sum(1 for stances in stances_of.values() if len(stances) > 1))

    def phrase(self) -> str:
        """The tally as words: "2 support, 1 contradicts, 0 qualify"."""
        return stance_phrase(self.per_stance["supports"], self.per_stance["contradicts"], self.per_stance["qualifies"])


def statement_counts(claim) -> str:
    """A claim's stored stance counts as "6 statements: 2 support, 4 contradict, 0 qualify". They count statements
    (assertions), not sources: one source can make several statements about a claim."""
    total = claim.n_supports + claim.n_contradicts + claim.n_qualifies
    phrase = stance_phrase(claim.n_supports, claim.n_contradicts, claim.n_qualifies)
    return f"{total} statement{'' if total == 1 else 's'}: {phrase}"


_NO_KEY_STUDY = '<span class="key-study">No study in its evidence base</span>'


def _slug_url(name: str) -> Callable[[str], str]:
    """``slug → reverse(name, args=[slug])`` with one ``reverse()`` per call of this function, not per slug (a list of
    50 claims reversed 100 URLs, about a millisecond). The slug is percent-encoded as ``reverse()`` would."""
    marker = "kb-slug-marker"
    head, tail = reverse(name, args=[marker]).split(marker)
    return lambda slug: head + quote(slug, safe="-_~") + tail


def claim_rows(claims: Iterable) -> SafeString:
    """The ``<li>`` rows of a list of claims (``<ul class="claim-rows">``): link, grade badge, stance counts and
    key study. Reads only what ``Claim.objects.for_listing()`` loads, plus ``key_study`` (``models.key_studies``).

    Written in Python rather than as a template included per row: a page lists 50 claims, and the template engine
    took about 4.8 ms to render them (the 10,000-claim benchmark's condition page); this takes a few tenths of a
    millisecond. Every value from the database goes through ``html.escape`` (the same five characters as Django's
    ``escape``, without its per-call lazy-string check), so the HTML is the same as the template gave.
    """
    claim_url, study_url = _slug_url("claims:claim_detail"), _slug_url("sources:study_detail")
    rows = []
    for claim in claims:
        grade = claim.grade
        label = GRADE_LABELS.get(grade, grade) + ("" if grade == Grade.NOT_GRADED else " certainty")
        if getattr(claim, "statement_type", "") == "good_practice":
            grade, label = Grade.NOT_GRADED, "Good-practice statement (not rated for certainty)"
        n = claim.n_sources
        counts = (
            f'<span class="counts">{n} source{"" if n == 1 else "s"} · {statement_counts(claim)}</span>'
            if n
            else '<span class="counts unstated">No source article states this</span>'
        )
        study = getattr(claim, "key_study", None)
        if study is None:
            key = _NO_KEY_STUDY
        else:
            key = (
                f'<span class="key-study">Key study (<span class="direction direction-{escape(study.direction)}">'
                f'{escape(study.direction)}</span>): <a href="{escape(study_url(study.slug))}">{escape(study.label)}'
                f"</a> ({escape(study.get_design_display())})</span>"
            )
        verdict = getattr(claim, "verdict", "")
        verdict_badge = (
            f'<span class="verdict verdict-{escape(verdict)}"><span class="verdict-symbol" aria-hidden="true">'
            f"{VERDICT_SYMBOLS[verdict]}</span> {escape(VERDICT_LABELS[verdict])}</span>\n    "
            if verdict in VERDICT_LABELS
            else ""
        )
        general = (
            '<span class="general">About ketamine in general</span>\n    '
            if getattr(claim, "applies_generally", False)
            else ""
        )
        rows.append(
            f'<li class="claim-row">\n  <a class="claim-link" href="{escape(claim_url(claim.slug))}">'
            f'{escape(claim.text)}</a>\n  <div class="claim-meta">\n    {verdict_badge}'
            f'<span class="grade grade-{escape(grade)}">'
            f'<span class="grade-symbol" aria-hidden="true">{SYMBOLS.get(grade, "")}</span> {escape(label)}</span>\n'
            f"    {general}"
            f"    {counts}\n"
            f"    {key}\n  </div>\n</li>\n"
        )
    return mark_safe("".join(rows))  # noqa: S308 - every value interpolated above is escaped
