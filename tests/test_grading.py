"""GRADE arithmetic: starting level from designs, rating down and up, clamping to Very low..High."""

from __future__ import annotations

import pytest

from claims.grading import Judgments, starting_level_for_designs, suggested_level


@pytest.mark.parametrize(
    ("designs", "start"),
    [
        (["rct"], "high"),
        (["meta_analysis_rct", "cohort"], "high"),
        (["cohort"], "low"),
        (["case_series", "preclinical"], "low"),
        (["systematic_review"], "low"),
        (["preclinical"], "very_low"),
        (["expert_opinion", "regulatory"], "very_low"),
        ([], "very_low"),
    ],
)
def test_starting_level_follows_the_strongest_design(designs, start):
    assert starting_level_for_designs(designs) == start


def test_randomised_evidence_with_no_concerns_is_high():
    assert suggested_level(Judgments(starting_level="high")) == "high"


def test_each_serious_concern_rates_down_one_level_and_very_serious_two():
    assert suggested_level(Judgments(starting_level="high", imprecision="serious")) == "moderate"
    assert suggested_level(Judgments(starting_level="high", risk_of_bias="very_serious")) == "low"
    judgments = Judgments(starting_level="high", risk_of_bias="serious", indirectness="serious", imprecision="serious")
    assert suggested_level(judgments) == "very_low"


def test_rating_down_is_clamped_at_very_low():
    judgments = Judgments(
        starting_level="low",
        risk_of_bias="very_serious",
        inconsistency="very_serious",
        publication_bias="serious",
    )
    assert suggested_level(judgments) == "very_low"


def test_observational_evidence_can_be_rated_up_for_large_effect_dose_response_and_confounding():
    assert suggested_level(Judgments(starting_level="low", large_effect=1)) == "moderate"
    assert suggested_level(Judgments(starting_level="low", large_effect=2)) == "high"
    assert suggested_level(Judgments(starting_level="low", dose_response=True, plausible_confounding=True)) == "high"


def test_rating_up_is_clamped_at_high():
    judgments = Judgments(starting_level="low", large_effect=2, dose_response=True, plausible_confounding=True)
    assert suggested_level(judgments) == "high"


def test_up_and_down_combine():
    judgments = Judgments(starting_level="low", imprecision="serious", large_effect=2)
    assert suggested_level(judgments) == "moderate"


def test_no_study_starts_and_stays_very_low_unless_rated_up():
    assert suggested_level(Judgments(starting_level="very_low", risk_of_bias="serious")) == "very_low"
    assert suggested_level(Judgments(starting_level="very_low", large_effect=1)) == "low"
