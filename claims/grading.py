"""GRADE arithmetic: from a starting level and per-domain judgments to a suggested certainty.

Kept free of the ORM so that the form, the admin, the importer and the tests all share one definition.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

# Numeric levels: 4 High, 3 Moderate, 2 Low, 1 Very low.
LEVEL_VALUES = {"high": 4, "moderate": 3, "low": 2, "very_low": 1}
VALUE_LEVELS = {value: level for level, value in LEVEL_VALUES.items()}
DOWNGRADE_STEPS = {"none": 0, "serious": 1, "very_serious": 2}
SYMBOLS = {"high": "⊕⊕⊕⊕", "moderate": "⊕⊕⊕◯", "low": "⊕⊕◯◯", "very_low": "⊕◯◯◯", "not_graded": "–"}

RANDOMISED = {"meta_analysis_rct", "rct"}
OBSERVATIONAL = {
    "systematic_review",
    "non_randomised",
    "cohort",
    "case_control",
    "case_series",
    "case_report",
}


@dataclass(frozen=True)
class Judgments:
    starting_level: str
    risk_of_bias: str = "none"
    inconsistency: str = "none"
    indirectness: str = "none"
    imprecision: str = "none"
    publication_bias: str = "none"
    large_effect: int = 0
    dose_response: bool = False
    plausible_confounding: bool = False

    @property
    def downgrade(self) -> int:
        return sum(
            DOWNGRADE_STEPS[value]
            for value in (
                self.risk_of_bias,
                self.inconsistency,
                self.indirectness,
                self.imprecision,
                self.publication_bias,
            )
        )

    @property
    def upgrade(self) -> int:
        return int(self.large_effect) + int(self.dose_response) + int(self.plausible_confounding)


def starting_level_for_designs(designs: Iterable[str]) -> str:
    """Randomised evidence starts high, observational low, and no clinical study at all very low.

    Preclinical work, expert opinion and regulatory decisions do not lift the start: they are not a body of
    clinical evidence about the claim's outcome.
    """
    designs = set(designs)
    if designs & RANDOMISED:
        return "high"
    if designs & OBSERVATIONAL:
        return "low"
    return "very_low"


def suggested_level(judgments: Judgments) -> str:
    """Start, rate down, rate up, clamp to 1..4 (Very low..High)."""
    value = LEVEL_VALUES[judgments.starting_level] - judgments.downgrade + judgments.upgrade
    return VALUE_LEVELS[max(1, min(4, value))]


# How much a design says about a clinical claim, strongest first: picks the "key study" shown for a claim.
DESIGN_RANK = {
    "meta_analysis_rct": 0,
    "rct": 1,
    "systematic_review": 2,
    "non_randomised": 3,
    "cohort": 4,
    "case_control": 5,
    "regulatory": 6,
    "case_series": 7,
    "case_report": 8,
    "expert_opinion": 9,
    "preclinical": 10,
}

GRADE_ORDER = ["high", "moderate", "low", "very_low", "not_graded"]

LEVEL_MEANINGS = {
    "high": "The true effect is very likely close to what the evidence shows.",
    "moderate": "The true effect is probably close to what the evidence shows, but may differ.",
    "low": "The true effect may be substantially different from what the evidence shows.",
    "very_low": "The true effect is likely to be substantially different: the evidence is weak, indirect or absent.",
    "not_graded": "Editors have not graded this claim yet.",
}
