"""A condition page reads its Summary of Findings from stored rows (claims.figures: FindingEntry) and shows
exactly what it showed when it ranked every public estimate of the condition and those within it: checked after
every kind of write that can change which estimate a row shows or how many share it."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.db import transaction

from claims import figures, services
from claims.models import Condition, EffectEstimate, FindingEntry
from claims.public import PublicConditions
from tests.factories import ClaimFactory, ConditionFactory, EffectEstimateFactory, EvidenceFactory, StudyFactory

pytestmark = pytest.mark.django_db


def _rows(estimates) -> list[tuple]:
    return [(e.outcome, e.timepoint, e.pk, e.in_group, e.claim.text, e.study.label) for e in estimates]


def _fresh(condition: Condition) -> list[tuple]:
    """The page's rows as it worked them out before they were stored: every public estimate of the page ranked."""
    ids = PublicConditions().within(condition)
    return _rows(EffectEstimate.objects.public().filter(condition_id__in=ids).findings())


def _assert_current(step: str) -> None:
    for condition in Condition.objects.all():
        assert _rows(figures.page_findings(condition)) == _fresh(condition), f"{step}: {condition}"


def _estimate(claim, condition, study=None, **kwargs) -> EffectEstimate:
    study = study or StudyFactory()
    EvidenceFactory(claim=claim, study=study)
    return EffectEstimateFactory(claim=claim, study=study, condition=condition, **kwargs)


def test_the_summary_of_findings_stays_right_through_every_kind_of_write(users):
    depression = ConditionFactory(name="Depression")
    trd = ConditionFactory(name="TRD", parent=depression)
    ptsd = ConditionFactory(name="PTSD")
    claim = ClaimFactory(text="Ketamine helps TRD")
    trial = _estimate(claim, trd)
    _assert_current("an estimate in a child condition: on its page and its parent's")
    assert [(e.pk, e.in_group) for e in figures.page_findings(depression)] == [(trial.pk, 1)]
    review = StudyFactory(design="meta_analysis_rct", year=2020)
    pooled = _estimate(
        ClaimFactory(text="Pooled"), depression, review, participants=None, excerpt="OR 3.5 (2.1 to 5.8)"
    )
    _assert_current("a meta-analysis on the parent: shown there, with both counted")
    assert [(e.pk, e.in_group) for e in figures.page_findings(depression)] == [(pooled.pk, 2)]
    assert [e.pk for e in figures.page_findings(trd)] == [trial.pk]
    review.design = "case_series"
    review.save()
    _assert_current("the review's design corrected: the trial is the strongest now")
    assert [e.pk for e in figures.page_findings(depression)] == [trial.pk]
    review.year = 2024
    review.save()
    _assert_current("a year changed")
    trial.participants = None
    trial.excerpt = "Response at 24 hours: OR 3.5 (95% CI 2.1 to 5.8; 3 studies)."
    trial.save()
    _assert_current("participants removed")
    trial.outcome = "Remission"
    trial.save()
    _assert_current("another outcome: two rows, the old one keeps the other estimate")
    assert {e.outcome for e in figures.page_findings(depression)} == {"Remission", "Response"}
    trial.timepoint = "1 week"
    trial.save()
    _assert_current("another time point")
    trial.condition = ptsd
    trial.save()
    _assert_current("measured in another condition")
    services.return_to_draft(claim, users["reviewer"], "Needs another look.")
    _assert_current("its claim returned to draft through the workflow: a draft's estimate is on no page")
    assert figures.page_findings(ptsd) == []
    claim.status, claim.last_edited_by = "in_review", users["editor"]
    claim.save()
    _assert_current("in review")
    services.publish(claim, users["reviewer"])
    _assert_current("published through the workflow")
    claim.status = "draft"
    claim.save()
    _assert_current("unpublished by a save")
    claim.status = "published"
    claim.save()
    _assert_current("published by a save")
    claim.grade = "high"
    claim.save()
    _assert_current("regraded")
    claim.conditions.add(depression)
    _assert_current("the claim's conditions changed (the estimate's condition decides its page)")
    ptsd.parent = depression
    ptsd.save()
    _assert_current("a condition moved within another: its estimates count on the new parent's page")
    assert len(figures.page_findings(depression)) == 2
    ptsd.parent = None
    ptsd.save()
    _assert_current("moved out again")
    trial.condition = None
    trial.save()
    _assert_current("a population of mixed conditions: on no page")
    trial.condition = trd
    trial.save()
    _assert_current("measured in a condition again")
    trial.delete()
    _assert_current("an estimate deleted")
    pooled.claim.delete()
    _assert_current("a claim deleted with its estimate")
    assert FindingEntry.objects.count() == 0


def test_a_draft_claims_estimate_is_never_in_a_summary_of_findings(client):
    condition = ConditionFactory(name="PTSD", slug="ptsd")
    ClaimFactory(text="A published claim about PTSD").conditions.add(condition)
    _estimate(ClaimFactory(status="draft", text="A draft about PTSD"), condition, outcome="Secret outcome")
    _assert_current("a draft's estimate")
    assert not FindingEntry.objects.exists()
    html = client.get("/conditions/ptsd/").content.decode()
    assert "Secret outcome" not in html and "A draft about PTSD" not in html


def _summary_of_findings(client, url: str) -> str:
    html = client.get(url).content.decode()
    return html[html.index('id="sof-title"') : html.index("</table>")]


def test_the_page_shows_the_stored_rows_with_the_claims_current_grade(client):
    condition = ConditionFactory(name="PTSD", slug="ptsd")
    claim = ClaimFactory(text="Ketamine helps PTSD", grade="low")
    claim.conditions.add(condition)
    _estimate(claim, condition, outcome="PTSD severity (CAPS-5)")
    table = _summary_of_findings(client, "/conditions/ptsd/")
    assert "PTSD severity (CAPS-5)" in table and "Low certainty" in table
    claim.grade = "moderate"
    claim.save()
    table = _summary_of_findings(client, "/conditions/ptsd/")
    assert "Moderate certainty" in table and "Low certainty" not in table


def test_refresh_figures_rewrites_the_summary_of_findings_after_writes_that_bypass_the_orm():
    condition = ConditionFactory()
    claim = ClaimFactory()
    estimate = _estimate(claim, condition)
    stronger = _estimate(claim, condition, participants=None, excerpt="OR 3.5 (2.1 to 5.8), 3 studies")
    EffectEstimate.objects.filter(pk=stronger.pk).update(participants=500)  # update() sends no signal
    FindingEntry.objects.update(n=99)
    call_command("refresh_figures", stdout=StringIO())
    _assert_current("after refresh_figures")
    assert [(e.pk, e.in_group) for e in figures.page_findings(condition)] == [(stronger.pk, 2)]
    assert estimate.pk != stronger.pk


@pytest.mark.django_db(transaction=True)  # real commits
def test_the_rows_a_transaction_touched_are_rewritten_once_more_after_it_commits():
    condition = ConditionFactory()
    with transaction.atomic():  # as an editor's save in the admin
        estimate = _estimate(ClaimFactory(), condition)
        # What another transaction's rewrite left meanwhile, reading before this one committed:
        FindingEntry.objects.all().delete()
    _assert_current("after the commit")
    assert [e.pk for e in figures.page_findings(condition)] == [estimate.pk]
