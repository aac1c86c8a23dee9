"""A condition page reads its grade chart, its count per question and the first claims of each question from
stored entries and figures (claims.figures: PageEntry, PageFigure), and shows exactly what it showed when it
sorted every claim of the condition: checked after every kind of write that can change a page."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.db import transaction

from claims import figures, services
from claims.answers import SECTION_ORDER, Outline
from claims.models import Claim, Condition, PageEntry, PageFigure
from claims.public import PublicConditions
from claims.views import SECTION_LIMIT
from tests.factories import AssertionFactory, ClaimFactory, ConditionFactory, SourceFactory

pytestmark = pytest.mark.django_db


def _fresh(condition: Condition) -> tuple[dict, dict, dict]:
    """The page's figures and first claims of each section as the page worked them out before they were stored:
    every published claim of the page, sorted in Python."""
    ids = PublicConditions().within(condition)
    rows = Claim.objects.published().condition_page_rows(ids, "pk", "category", "verdict", "grade", "n_sources", "text")
    outline = Outline.of(rows)
    return outline.grades, outline.section_totals, dict(outline.first_of_each_section(SECTION_LIMIT))


def _stored(condition: Condition) -> tuple[dict, dict, dict]:
    grades, sections = figures.page_figures(condition)
    grades = {grade: n for grade, n in grades.items() if n}
    sections = {section: n for section, n in sections.items() if n}
    firsts = Claim.objects.published().filter(figures.first_of_each_section(condition, SECTION_ORDER, SECTION_LIMIT))
    chosen = Outline.of_claims(firsts.for_listing()).first_of_each_section(SECTION_LIMIT)
    return grades, sections, {section: [claim.pk for claim in claims] for section, claims in chosen.items()}


def _assert_current(step: str) -> None:
    for condition in Condition.objects.all():
        assert _stored(condition) == _fresh(condition), f"{step}: {condition}"


def test_condition_pages_stay_right_through_every_kind_of_write(users):
    depression = ConditionFactory(name="Depression")
    trd = ConditionFactory(name="TRD", parent=depression)
    ptsd = ConditionFactory(name="PTSD")
    claim = ClaimFactory(grade="low", verdict="supported")
    claim.conditions.add(trd)
    _assert_current("a claim about a child condition: on its page and its parent's")
    assert figures.page_figures(depression) == ({"low": 1}, {"left_out": 1})
    AssertionFactory(claim=claim, source=SourceFactory(), stance="supports")
    _assert_current("a source states it: no longer left out")
    assert figures.page_figures(depression)[1] == {"works": 1}
    claim.grade = "high"
    claim.save()
    _assert_current("regraded")
    claim.verdict = "contradicted"
    claim.save()
    _assert_current("contradicted: what the articles get wrong")
    assert figures.page_figures(trd) == ({"high": 1}, {"wrong": 1})
    general = ClaimFactory(category="side_effect", applies_generally=True, grade="moderate")
    _assert_current("a general claim: on every page")
    assert figures.page_figures(ptsd)[0] == {"moderate": 1}
    general.applies_generally = False
    general.save()
    _assert_current("no longer general")
    general.conditions.add(ptsd, depression)
    _assert_current("linked to two conditions")
    general.conditions.remove(depression)
    _assert_current("a condition removed")
    ptsd.claims.add(claim)
    _assert_current("a claim added from the condition's side")
    ptsd.claims.clear()
    _assert_current("links cleared from the condition's side")
    claim.conditions.clear()
    _assert_current("links cleared from the claim's side")
    claim.conditions.add(trd)
    services.return_to_draft(claim, users["reviewer"], "Needs another look.")
    _assert_current("returned to draft through the workflow")
    assert figures.page_figures(depression) == ({}, {})
    claim.status, claim.last_edited_by = "in_review", users["editor"]
    claim.save()
    services.publish(claim, users["reviewer"])
    _assert_current("published through the workflow")
    trd.parent = ptsd
    trd.save()
    _assert_current("the child moved under another condition")
    assert figures.page_figures(depression) == ({}, {})
    trd.parent = None
    trd.save()
    _assert_current("the child on its own")
    trd.delete()
    _assert_current("a condition deleted")
    general.delete()
    _assert_current("a claim deleted")
    assert PageFigure.objects.count() == 0 and PageEntry.objects.count() == 0


def test_the_first_claims_of_a_section_are_read_in_the_page_order():
    condition = ConditionFactory()
    texts = ["apple", "Banana", "Émile", "zebra", "Zebra"]  # Python's order: B, Z, a, z, É
    for n in range(SECTION_LIMIT + 5):
        claim = ClaimFactory(text=f"{texts[n % len(texts)]} {n:02d}", grade=["low", "high"][n % 2])
        claim.conditions.add(condition)
    ClaimFactory(text="A claim about ketamine in general", category="safety", applies_generally=True)
    _assert_current("more claims than a section shows")
    grades, sections, chosen = _stored(condition)
    assert sections == {"left_out": SECTION_LIMIT + 6} and len(chosen["left_out"]) == SECTION_LIMIT


def test_the_condition_page_shows_what_the_stored_figures_say(client):
    condition = ConditionFactory(name="PTSD", slug="ptsd")
    for n in range(SECTION_LIMIT + 2):
        claim = ClaimFactory(text=f"Ketamine helps PTSD, trial {n:02d}", grade="low")
        claim.conditions.add(condition)
    ClaimFactory(status="draft", text="A draft about PTSD").conditions.add(condition)
    html = client.get("/conditions/ptsd/").content.decode()
    assert f"Show all {SECTION_LIMIT + 2} claims in" in html
    assert "trial 24" in html and "trial 25" not in html and "A draft about PTSD" not in html


def test_a_condition_with_no_published_claims_left_has_no_figures(client):
    condition = ConditionFactory(name="PTSD", slug="ptsd")
    claim = ClaimFactory()
    claim.conditions.add(condition)
    claim.delete()
    assert client.get("/conditions/ptsd/").status_code == 404  # only drafts or nothing: private
    assert not PageFigure.objects.exists()


def test_refresh_figures_rewrites_the_condition_pages_after_writes_that_bypass_the_orm():
    condition = ConditionFactory()
    claim = ClaimFactory(grade="low")
    claim.conditions.add(condition)
    Claim.objects.filter(pk=claim.pk).update(grade="high")  # update() sends no signal
    PageFigure.objects.update(n=99)
    call_command("refresh_figures", stdout=StringIO())
    _assert_current("after refresh_figures")
    assert figures.page_figures(condition)[0] == {"high": 1}


@pytest.mark.django_db(transaction=True)  # real commits
def test_the_entries_a_transaction_touched_are_rewritten_once_more_after_it_commits():
    condition = ConditionFactory()
    with transaction.atomic():  # as an editor's save in the admin
        claim = ClaimFactory(grade="moderate")
        claim.conditions.add(condition)
        # What another transaction's rewrite left meanwhile, reading before this one committed:
        PageEntry.objects.all().delete()
        PageFigure.objects.all().delete()
    _assert_current("after the commit")
    assert figures.page_figures(condition)[0] == {"moderate": 1}


def _fresh_pairs() -> list[tuple[int, int]]:
    """Every pair of published conflicting claims, once, by text: what the pages sorted before pairs were stored."""
    pairs = [(a, b) for a in Claim.objects.published() for b in a.conflicting_claims.published() if a.pk < b.pk]
    return [(a.pk, b.pk) for a, b in sorted(pairs, key=lambda p: (p[0].text.encode(), p[1].text.encode(), p[0].pk))]


def _stored_pairs(**kwargs) -> list[tuple[int, int]]:
    from claims.views import _conflict_pairs

    return [(a.pk, b.pk) for a, b in _conflict_pairs(**kwargs)]


def test_the_conflicting_pairs_stay_right_through_every_kind_of_write(users):
    condition = ConditionFactory()
    a, b, c = (ClaimFactory(text=text) for text in ("beta", "Alpha", "gamma"))
    a.conflicting_claims.add(b, c)
    assert _stored_pairs() == _fresh_pairs() == [(a.pk, b.pk), (a.pk, c.pk)]
    b.text = "zeta"  # the pair is ordered by the lower id's text first: (a, b) and (a, c) both start with "beta"
    b.save()
    a.text = "Aardvark"
    a.save()
    assert _stored_pairs() == _fresh_pairs()
    c.conflicting_claims.add(b)
    assert _stored_pairs() == _fresh_pairs() and len(_fresh_pairs()) == 3
    services.return_to_draft(b, users["reviewer"], "Needs another look.")
    assert _stored_pairs() == _fresh_pairs() == [(a.pk, c.pk)]
    b.conditions.add(condition)
    c.conditions.add(condition)
    b.status, b.last_edited_by = "in_review", users["editor"]
    b.save()
    services.publish(b, users["reviewer"])
    assert _stored_pairs() == _fresh_pairs() and len(_fresh_pairs()) == 3
    assert (
        _stored_pairs(conditions={condition.pk}, limit=2) == [p for p in _fresh_pairs() if c.pk in p or b.pk in p][:2]
    )
    a.conflicting_claims.remove(c)
    assert _stored_pairs() == _fresh_pairs()
    b.conflicting_claims.clear()
    assert _stored_pairs() == _fresh_pairs() == []
    a.conflicting_claims.add(c)
    c.delete()
    assert _stored_pairs() == _fresh_pairs() == []
    a.conflicting_claims.add(b)
    call_command("refresh_figures", stdout=StringIO())
    assert _stored_pairs() == _fresh_pairs() == [(a.pk, b.pk)]
