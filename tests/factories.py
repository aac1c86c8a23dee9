from __future__ import annotations

import factory
from django.utils import timezone

from claims.models import Assertion, Claim, Condition, EffectEstimate, Evidence
from sources.models import Source, Study

ARTICLE_TEXT = (
    "Ketamine works by blocking NMDA receptors in the brain. "
    "Its effects typically begin within a few hours. "
    "In one study, ketamine reduced symptoms within 24 hours."
)


class SourceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Source

    title = factory.Sequence(lambda n: f"Article about ketamine {n}")
    slug = factory.Sequence(lambda n: f"article-{n}")
    kind = Source.Kind.BLOG
    text = ARTICLE_TEXT


class StudyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Study

    label = factory.Sequence(lambda n: f"Author{n} et al. 20{n % 100:02d}")
    slug = factory.Sequence(lambda n: f"author{n}-et-al")
    title = factory.Sequence(lambda n: f"A trial of ketamine number {n}")
    journal = "Journal of Tests"
    year = 2010
    design = Study.Design.RCT


class ConditionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Condition

    name = factory.Sequence(lambda n: f"Condition {n}")
    slug = factory.Sequence(lambda n: f"condition-{n}")


class ClaimFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Claim

    text = factory.Sequence(lambda n: f"Ketamine does thing number {n}")
    slug = factory.Sequence(lambda n: f"claim-{n}")
    category = Claim.Category.EFFICACY
    grade = "low"
    status = Claim.Status.PUBLISHED
    published_at = factory.LazyFunction(timezone.now)


# An item that states a side effect and, under a lead-in about who should not have ketamine, a reason not to have it:
# the candidacy order (``extract.rank_clause``), tested in test_import_learned and test_import_pages.
BLOOD_PRESSURE_RISE = "Ketamine causes transient increases in blood pressure."
UNSUITABLE_WITH_HIGH_BLOOD_PRESSURE = (
    "Pre-existing conditions such as high blood pressure can make ketamine therapy unsuitable."
)
NOT_SAFE_IF_YOU_HAVE = (
    "Ketamine helps many people with depression. It may not be safe if you have:\n- High blood pressure\n"
)


def blood_pressure_claims() -> tuple[Claim, Claim]:
    """The two claims the item of ``NOT_SAFE_IF_YOU_HAVE`` can state: the side effect and the candidacy claim."""
    side_effect = ClaimFactory(text=BLOOD_PRESSURE_RISE, slug="blood-pressure", category=Claim.Category.SIDE_EFFECT)
    unsuitable = ClaimFactory(
        text=UNSUITABLE_WITH_HIGH_BLOOD_PRESSURE, slug="unsuitable", category=Claim.Category.CANDIDACY
    )
    return side_effect, unsuitable


class EvidenceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Evidence

    claim = factory.SubFactory(ClaimFactory)
    study = factory.SubFactory(StudyFactory)
    direction = Evidence.Direction.SUPPORTS


class AssertionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Assertion

    claim = factory.SubFactory(ClaimFactory)
    source = factory.SubFactory(SourceFactory)
    quote = "Ketamine works by blocking NMDA receptors in the brain."
    offset = 0
    stance = Assertion.Stance.SUPPORTS


class EffectEstimateFactory(factory.django.DjangoModelFactory):
    """An estimate whose excerpt holds its numbers; pass ``claim`` and ``study`` already linked by evidence."""

    class Meta:
        model = EffectEstimate

    outcome = "Response"
    measure = EffectEstimate.Measure.ODDS_RATIO
    value = 3.5
    ci_low = 2.1
    ci_high = 5.8
    participants = 120
    studies = 3
    timepoint = "24 hours"
    comparator = "placebo"
    excerpt = "Response at 24 hours: OR 3.5 (95% CI 2.1 to 5.8; 3 studies, 120 participants)."
    excerpt_url = "https://example.org/review"
