from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group


@pytest.fixture
def site_content(db):
    """A small public knowledge base: a condition, published and draft claims, sources, studies."""
    from tests.factories import (
        AssertionFactory,
        ClaimFactory,
        ConditionFactory,
        EvidenceFactory,
        SourceFactory,
        StudyFactory,
    )

    ptsd = ConditionFactory(name="PTSD", slug="ptsd", aliases=["post-traumatic stress disorder"])
    rct = StudyFactory(
        label="Feder et al. 2014",
        slug="feder-et-al-2014",
        title="Efficacy of intravenous ketamine for treatment of chronic PTSD",
        journal="JAMA Psychiatry",
        year=2014,
        doi="10.1001/jamapsychiatry.2014.62",
        pmid=24740528,
        design="rct",
        population="adults with chronic PTSD",
        sample_size=41,
    )
    clinic = SourceFactory(
        title="Clinic page",
        slug="clinic-page",
        kind="clinic",
        commercial_interest=True,
        commercial_interest_note="Links to a ketamine clinic.",
        text="Ketamine helps PTSD within hours. Ketamine has a low risk of side effects.",
    )
    review = SourceFactory(
        title="Harm reduction guide",
        slug="harm-reduction-guide",
        kind="reference",
        text="Evidence that ketamine helps PTSD is limited to small trials. Side effects are common.",
    )
    helps = ClaimFactory(
        text="Ketamine reduces PTSD symptoms",
        slug="ketamine-reduces-ptsd-symptoms",
        category="efficacy",
        grade="low",
        verdict="supported",
        summary="Two small trials found less PTSD severity a day after an infusion.",
        rationale="Two **small** crossover trials.",
    )
    helps.conditions.add(ptsd)
    helps.tags.add("ptsd", "infusion")
    EvidenceFactory(claim=helps, study=rct, direction="supports", note="Midazolam-controlled crossover.")
    low_risk = ClaimFactory(
        text="Ketamine has a low risk of side effects",
        slug="ketamine-low-risk-side-effects",
        category="safety",
        grade="very_low",
        verdict="contradicted",
    )
    low_risk.conditions.add(ptsd)
    common = ClaimFactory(
        text="Side effects of ketamine are common", slug="side-effects-common", category="side_effect"
    )
    common.conditions.add(ptsd)
    low_risk.conflicting_claims.add(common)
    draft = ClaimFactory(
        text="Ketamine cures PTSD permanently", slug="ketamine-cures-ptsd", status="draft", grade="not_graded"
    )
    draft.conditions.add(ptsd)
    draft.tags.add("ptsd")
    a1 = AssertionFactory(
        claim=helps, source=clinic, quote="Ketamine helps PTSD within hours.", offset=0, cited_study=rct,
        citation_fidelity="overstated", fidelity_note="The trial measured 24 hours.",
    )  # fmt: skip
    a2 = AssertionFactory(
        claim=helps, source=review, quote="Evidence that ketamine helps PTSD is limited to small trials.",
        offset=0, stance="qualifies",
    )  # fmt: skip
    AssertionFactory(claim=low_risk, source=clinic, quote="Ketamine has a low risk of side effects.", offset=34)
    AssertionFactory(claim=low_risk, source=review, quote="Side effects are common.", offset=62, stance="contradicts")
    AssertionFactory(claim=common, source=review, quote="Side effects are common.", offset=62)
    AssertionFactory(claim=draft, source=clinic, quote="Ketamine helps PTSD within hours.", offset=0)
    return {
        "ptsd": ptsd, "rct": rct, "clinic": clinic, "review": review, "helps": helps, "low_risk": low_risk,
        "common": common, "draft": draft, "a1": a1, "a2": a2,
    }  # fmt: skip


@pytest.fixture
def users(db):
    """The shared cast: an editor, a reviewer and a superuser (the anonymous reader needs no account)."""
    User = get_user_model()
    editor = User.objects.create_user("edna", password="pw-edna-123!", is_staff=True)
    reviewer = User.objects.create_user("rex", password="pw-rex-123!", is_staff=True)
    admin = User.objects.create_superuser("ada", password="pw-ada-123!")
    for user, group in ((editor, "Editor"), (reviewer, "Reviewer")):
        found = Group.objects.filter(name=group).first()
        if found:
            user.groups.add(found)
    return {"editor": editor, "reviewer": reviewer, "admin": admin}


@pytest.fixture(autouse=True)
def _plain_static_storage(settings):
    """Production uses whitenoise's manifest storage, which needs `collectstatic`; tests serve files as-is."""
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture(autouse=True)
def _empty_cache():
    """Each test starts with an empty page cache (local memory persists across tests otherwise), and a process that
    has read no content version and copied no page (kb/cache.py)."""
    from django.core.cache import cache

    from kb import cache as page_cache

    cache.clear()
    page_cache.reset()
    yield
    cache.clear()
    page_cache.reset()


@pytest.fixture(autouse=True)
def _immediate_tasks(settings):
    """Background jobs run at once, inside the request that queues them (tests/test_jobs.py also runs the real
    database backend with a worker)."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend", "QUEUES": ["default"]}}


@pytest.fixture
def published(db):
    """A published, graded claim with one study in its evidence (the revisions' tests and their audit)."""
    from tests.factories import ClaimFactory, EvidenceFactory, StudyFactory

    claim = ClaimFactory(
        text="Ketamine reduces suicidal ideation", slug="si", grade="low", verdict="supported",
        grade_override_reason="One small trial.",
    )  # fmt: skip
    EvidenceFactory(claim=claim, study=StudyFactory(label="Wilkinson et al. 2018", slug="wilkinson"))
    return claim
