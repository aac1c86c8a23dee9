"""Answer-first pages: the clinical questions a condition page is organised by, the Summary of Findings rows and
the forest plots. Pure functions over already-fetched objects: nothing here touches the database.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from claims.estimates import format_number
from claims.grading import DESIGN_RANK, GRADE_ORDER
from claims.models import RATIO_MEASURES, Category, Measure, Verdict


@dataclass(frozen=True)
class Question:
    key: str
    title: str
    categories: tuple[str, ...]
    intro: str = ""


# A condition page in the order a clinician asks: does it work, how fast and how long, what are the risks, how is
# it given, who is it for, why might it work; history last. Every category belongs to exactly one question.
QUESTIONS = (
    Question("works", "Does it work?", (Category.EFFICACY, Category.INDICATION)),
    Question("timing", "How fast does it work, and for how long?", (Category.ONSET, Category.DURATION)),
    Question(
        "risks",
        "What are the risks?",
        (Category.SIDE_EFFECT, Category.SAFETY),
        "Side effects and safety claims about ketamine in general apply to every condition and are shown here too.",
    ),
    Question("given", "How is it given?", (Category.ADMINISTRATION,), "Routes, setting and regulatory status."),
    Question("who", "Who is it for?", (Category.CANDIDACY,)),
    Question("why", "Why might it work?", (Category.MECHANISM,)),
    Question("history", "History", (Category.HISTORY,)),
)
QUESTION_OF_CATEGORY = {category: q.key for q in QUESTIONS for category in q.categories}
WRONG = "wrong"  # the section of claims the evidence contradicts, whatever their category
LEFT_OUT = "left_out"  # the section of claims no source article states (the risks the articles are silent about)
SECTION_ORDER = [q.key for q in QUESTIONS[:3]] + [LEFT_OUT] + [q.key for q in QUESTIONS[3:5]] + [WRONG]
SECTION_ORDER += [q.key for q in QUESTIONS[5:]]
SECTION_TITLES = {q.key: q.title for q in QUESTIONS} | {
    WRONG: "What the articles get wrong",
    LEFT_OUT: "What the articles leave out",
}

# Within a section: what the evidence supports first, claims it cannot settle after.
VERDICT_RANK = {
    Verdict.SUPPORTED: 0,
    Verdict.PARTLY_SUPPORTED: 1,
    Verdict.INSUFFICIENT_EVIDENCE: 2,
    Verdict.NOT_ASSESSED: 3,
    Verdict.CONTRADICTED: 4,
}

VERDICT_MEANINGS = {
    Verdict.SUPPORTED: "The evidence supports the claim as worded.",
    Verdict.PARTLY_SUPPORTED: (
        "Part of the claim holds; the rationale says which part, and what the wording overstates."
    ),
    Verdict.INSUFFICIENT_EVIDENCE: "Nothing tests the claim, or the evidence is too weak or indirect to say.",
    Verdict.CONTRADICTED: "The evidence says otherwise; the rationale says what it does show.",
    Verdict.NOT_ASSESSED: "Editors have not yet judged the claim against the evidence.",
}
VERDICT_SYMBOLS = {
    Verdict.SUPPORTED: "✓",
    Verdict.PARTLY_SUPPORTED: "◐",
    Verdict.INSUFFICIENT_EVIDENCE: "?",
    Verdict.CONTRADICTED: "✗",
    Verdict.NOT_ASSESSED: "–",
}
# ClaimReview's reviewRating for the verdict: 5 true … 1 false, as fact-checkers publish it; not assessed has none.
VERDICT_RATINGS = {
    Verdict.SUPPORTED: 5,
    Verdict.PARTLY_SUPPORTED: 3,
    Verdict.INSUFFICIENT_EVIDENCE: 2,
    Verdict.CONTRADICTED: 1,
}


def section_of(category: str, verdict: str, stated: bool = True) -> str:
    """The section of a condition page a claim belongs to: left out when no source states it, then wrong when the
    evidence contradicts it, else the question its category answers."""
    if not stated:
        return LEFT_OUT
    return WRONG if verdict == Verdict.CONTRADICTED else QUESTION_OF_CATEGORY[category]


def verdict_legend() -> list[tuple[str, str, str, str]]:
    """(value, label, symbol, meaning) for each verdict, in the order the pages sort by."""
    return [(v, Verdict(v).label, VERDICT_SYMBOLS[v], VERDICT_MEANINGS[v]) for v in VERDICT_RANK]


# --- Summary of Findings -----------------------------------------------------------------------------------

# Outcomes that matter most to patients come first (Cochrane's order), surrogate and mechanistic ones last.
OUTCOME_PRIORITY = ("response", "remission", "relapse", "suicid", "severity", "abstinent", "adverse", "pressure")


def _outcome_rank(outcome: str) -> int:
    lowered = outcome.lower()
    return next((i for i, word in enumerate(OUTCOME_PRIORITY) if word in lowered), len(OUTCOME_PRIORITY))


@dataclass
class FindingRow:
    outcome: str
    estimate: object  # the EffectEstimate shown (the strongest design, then the most participants)
    others: int  # further estimates of this outcome on the page's claims
    repeats_claim: bool = False  # the row above informs the same claim: its summary is not repeated


def summary_of_findings(estimates: Iterable) -> list[FindingRow]:
    """One row per outcome and time point: the estimate from the strongest design (meta-analyses first), then the
    largest, then the newest; patient-important outcomes first, earliest time point first within an outcome.
    ``estimates`` need ``study`` and ``claim`` loaded."""
    by_outcome: dict[tuple[str, str], list] = defaultdict(list)
    for estimate in estimates:
        by_outcome[(estimate.outcome, estimate.timepoint)].append(estimate)
    rows = []
    for (outcome, _), group in by_outcome.items():
        best = min(
            group,
            key=lambda e: (
                DESIGN_RANK.get(e.study.design, 99),
                -(e.participants or 0),
                -(e.study.year or 0),
                e.timepoint,
                e.pk,
            ),
        )
        # Rows from EffectEstimate.objects.findings() arrive one per group and know how many the group had.
        rows.append(FindingRow(outcome=outcome, estimate=best, others=getattr(best, "in_group", len(group)) - 1))
    rows.sort(key=lambda row: (_outcome_rank(row.outcome), row.outcome.lower(), _hours(row.estimate.timepoint)))
    for above, row in zip(rows, rows[1:], strict=False):
        row.repeats_claim = row.estimate.claim_id == above.estimate.claim_id
    return rows


_UNIT_HOURS = {"minute": 1 / 60, "hour": 1, "day": 24, "week": 168, "month": 730, "year": 8760}


def _hours(timepoint: str) -> float:
    """A time point's first number in hours ("24 hours" → 24, "day 7" → 168, "2–3 weeks" → 336), for ordering
    rows; a time point without a number or unit sorts last."""
    lowered = timepoint.lower()
    number = re.search(r"\d+(?:\.\d+)?", lowered)
    unit = next((hours for name, hours in _UNIT_HOURS.items() if name in lowered), None)
    if number is None or unit is None:
        return float("inf")
    return float(number.group()) * unit


def measure_abbreviation(measure: str) -> str:
    return {
        Measure.MEAN_DIFFERENCE: "MD",
        Measure.STANDARDISED_MEAN_DIFFERENCE: "SMD",
        Measure.RISK_RATIO: "RR",
        Measure.ODDS_RATIO: "OR",
        Measure.RISK_DIFFERENCE: "RD",
        Measure.HAZARD_RATIO: "HR",
        Measure.PROPORTION: "Proportion",
        Measure.MEAN_CHANGE: "Mean change",
    }.get(measure, measure)


# --- Forest plots ---------------------------------------------------------------------------------------------

PLOT_WIDTH = 760  # drawn at this size (never scaled down, so its 14 px text stays 14 px; it scrolls on a phone)
LABEL_WIDTH = 290
AXIS_LEFT = LABEL_WIDTH + 10
AXIS_RIGHT = 590
EFFECT_X = AXIS_RIGHT + 15  # the estimate and its CI in words, right of the plot
ROW_HEIGHT = 40
TOP = 30


@dataclass
class PlotRow:
    estimate: object
    label: str
    detail: str
    y: float
    x: float
    x_low: float | None
    x_high: float | None
    effect: str = ""

    @property
    def label_y(self) -> float:
        return self.y - 2

    @property
    def detail_y(self) -> float:
        return self.y + 14

    @property
    def point_x(self) -> float:
        return self.x - 5

    @property
    def point_y(self) -> float:
        return self.y - 5


@dataclass
class Tick:
    x: float
    label: str


@dataclass
class ForestPlot:
    outcome: str
    measure: str
    rows: list[PlotRow] = field(default_factory=list)
    ticks: list[Tick] = field(default_factory=list)
    no_effect_x: float | None = None
    log_scale: bool = False
    height: float = 0
    axis_y: float = 0
    width: int = PLOT_WIDTH
    axis_left: int = AXIS_LEFT
    axis_right: int = AXIS_RIGHT
    effect_x: int = EFFECT_X

    @property
    def tick_end_y(self) -> float:
        return self.axis_y + 5

    @property
    def tick_label_y(self) -> float:
        return self.axis_y + 22

    @property
    def measure_label(self) -> str:
        return Measure(self.measure).label

    @property
    def title(self) -> str:
        return f"Forest plot: {self.outcome}, {self.measure_label.lower()}"

    @property
    def description(self) -> str:
        scale = "logarithmic scale; " if self.log_scale else ""
        line = "; dashed line: no effect" if self.no_effect_x is not None else ""
        return (
            f"Each row is one study's estimate (square) with its 95 % confidence interval (line), {scale}as each "
            f"paper reported it{line}. Nothing is pooled here."
        )


def _nice_ticks(low: float, high: float, log_scale: bool) -> list[float]:
    if log_scale:
        candidates = [0.05, 0.1, 0.2, 0.25, 0.5, 1, 2, 4, 5, 10, 20, 50, 100]
        inside = [c for c in candidates if low <= c <= high]
        return inside if len(inside) >= 2 else [low, high]
    span = high - low
    step = 10 ** math.floor(math.log10(span / 4)) if span > 0 else 1
    for multiple in (1, 2, 2.5, 5, 10):
        if span / (step * multiple) <= 6:
            step *= multiple
            break
    first = math.ceil(low / step) * step
    ticks, value = [], first
    while value <= high + 1e-9:
        ticks.append(round(value, 10))
        value += step
    return ticks


def forest_plots(estimates: Sequence, minimum: int = 2) -> list[ForestPlot]:
    """A plot for each outcome and measure with at least ``minimum`` estimates (one per estimate, never pooled).

    Ratios are drawn on a log scale with no effect at 1, differences on a linear one with no effect at 0;
    proportions and changes within one group have no line of no effect. ``estimates`` need ``study`` loaded.
    """
    groups: dict[tuple[str, str], list] = defaultdict(list)
    for estimate in estimates:
        groups[(estimate.outcome, estimate.measure)].append(estimate)
    plots = []
    for (outcome, measure), group in groups.items():
        if len(group) < minimum:
            continue
        group = sorted(group, key=lambda e: (e.study.year or 0, e.study.label, e.timepoint, e.pk))
        log_scale = measure in RATIO_MEASURES and all(
            v > 0 for e in group for v in (e.value, e.ci_low, e.ci_high) if v is not None
        )
        no_effect = group[0].no_effect  # the same for every estimate of one measure
        values = [v for e in group for v in (e.value, e.ci_low, e.ci_high) if v is not None]
        if no_effect is not None:
            values.append(no_effect)
        low, high = min(values), max(values)
        if log_scale:
            low, high = low / 1.25, high * 1.25
        else:
            pad = (high - low) * 0.08 or abs(high) * 0.1 or 1
            low, high = low - pad, high + pad

        def to_x(value: float, low=low, high=high, log_scale=log_scale) -> float:
            if log_scale:
                fraction = (math.log(value) - math.log(low)) / (math.log(high) - math.log(low))
            else:
                fraction = (value - low) / (high - low)
            return round(AXIS_LEFT + fraction * (AXIS_RIGHT - AXIS_LEFT), 1)

        plot = ForestPlot(outcome=outcome, measure=measure, log_scale=log_scale)
        for index, estimate in enumerate(group):
            parts = [p for p in (f"vs {estimate.comparator}" if estimate.comparator else "", estimate.timepoint) if p]
            plot.rows.append(
                PlotRow(
                    estimate=estimate,
                    label=_shorten(estimate.study.label, 36),
                    detail=_shorten(", ".join(parts), 38),
                    effect=_effect_words(estimate),
                    y=TOP + index * ROW_HEIGHT + 12,
                    x=to_x(estimate.value),
                    x_low=to_x(estimate.ci_low) if estimate.ci_low is not None else None,
                    x_high=to_x(estimate.ci_high) if estimate.ci_high is not None else None,
                )
            )
        plot.axis_y = TOP + len(group) * ROW_HEIGHT + 6
        plot.height = plot.axis_y + 40
        plot.ticks = [Tick(to_x(t), format_number(t)) for t in _nice_ticks(low, high, log_scale)]
        plot.no_effect_x = to_x(no_effect) if no_effect is not None else None
        plots.append(plot)
    plots.sort(key=lambda p: (_outcome_rank(p.outcome), p.outcome.lower(), p.measure))
    return plots


def _effect_words(estimate) -> str:
    """ "0.35 [0.06, 0.64]", as forest plots print each row's estimate beside it."""
    text = format_number(estimate.value)
    if estimate.ci_low is not None:
        text += f" [{format_number(estimate.ci_low)}, {format_number(estimate.ci_high)}]"
    return text


def _shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


# --- a condition page's outline ---------------------------------------------------------------------------------

GRADE_RANK = {grade: rank for rank, grade in enumerate(GRADE_ORDER)}


@dataclass
class Outline:
    """Which claims a condition page shows where, computed from one light row per claim: the grade counts for the
    chart, how many claims each question holds, and the claims' order.

    Sorting a few thousand light rows here costs less than asking the database to rank them with CASE expressions
    and a window (measured on the 10,000-claim benchmark: about 20 ms against about 55 ms on SQLite), and gives the
    counts in the same pass."""

    rows: list[tuple]  # (pk, category, verdict, grade, section, sort key)
    grades: dict[str, int]
    section_totals: dict[str, int]

    @classmethod
    def of(cls, light_rows: Iterable[tuple]) -> Outline:
        """``light_rows``: (pk, category, verdict, grade, n_sources, text) per claim, in any order."""
        rows, grades, totals = [], defaultdict(int), defaultdict(int)
        for pk, category, verdict, grade, n_sources, text in light_rows:
            section = section_of(category, verdict, bool(n_sources))
            rows.append(
                (
                    pk,
                    category,
                    verdict,
                    grade,
                    section,
                    (VERDICT_RANK.get(verdict, 9), GRADE_RANK.get(grade, 9), text, pk),
                )
            )
            grades[grade] += 1
            totals[section] += 1
        rows.sort(key=lambda row: row[5])
        return cls(rows=rows, grades=dict(grades), section_totals=dict(totals))

    @classmethod
    def of_claims(cls, claims: Iterable) -> Outline:
        """The outline of these claims, whose rows carry the claims themselves instead of their ids."""
        by_pk = {claim.pk: claim for claim in claims}
        outline = cls.of((c.pk, c.category, c.verdict, c.grade, c.n_sources, c.text) for c in by_pk.values())
        outline.rows = [(by_pk[row[0]], *row[1:]) for row in outline.rows]
        return outline

    def first_of_each_section(self, limit: int) -> dict[str, list]:
        """The ids (or claims: ``of_claims``) of the first ``limit`` claims of every section, in reading order."""
        chosen: dict[str, list] = defaultdict(list)
        for pk, _, _, _, section, _ in self.rows:
            if len(chosen[section]) < limit:
                chosen[section].append(pk)
        return chosen

    def matching(self, filters: dict[str, str]) -> list[int]:
        """The ids of the claims matching ``filters`` (question, verdict, grade, category), by category in the order
        the page reads, then as within a section."""
        category_order = {category: i for i, category in enumerate(c for q in QUESTIONS for c in q.categories)}
        fields = {"category": 1, "verdict": 2, "grade": 3, "question": 4}
        matched = [row for row in self.rows if all(row[fields[name]] == value for name, value in filters.items())]
        matched.sort(key=lambda row: (category_order.get(row[1], 99), row[5]))
        return [row[0] for row in matched]
