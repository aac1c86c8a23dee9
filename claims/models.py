"""Claims about ketamine, the sources' statements of them (assertions), their evidence and their grades."""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connections, models, transaction
from django.db.models import Exists, OuterRef, Q
from django.urls import reverse
from simple_history import register as simple_history_register
from simple_history.models import HistoricalRecords
from taggit.managers import TaggableManager
from taggit.models import Tag, TaggedItemBase

from claims import grading
from claims.estimates import estimate_errors, format_number
from claims.quotes import locate_quote
from kb.queries import correlated_count

# A tag's renames and merges are public (tag pages, claim pages): kept like the rest, in this app's tables.
simple_history_register(Tag, app="claims", table_name="claims_historicaltag")


class Grade(models.TextChoices):
    HIGH = "high", "High"
    MODERATE = "moderate", "Moderate"
    LOW = "low", "Low"
    VERY_LOW = "very_low", "Very low"
    NOT_GRADED = "not_graded", "Not yet graded"


class StartingLevel(models.TextChoices):
    HIGH = "high", "High (randomised evidence)"
    LOW = "low", "Low (observational evidence)"
    VERY_LOW = "very_low", "Very low (no study: mechanism, opinion)"


class Concern(models.TextChoices):
    NONE = "none", "Not serious"
    SERIOUS = "serious", "Serious (−1)"
    VERY_SERIOUS = "very_serious", "Very serious (−2)"


class LargeEffect(models.IntegerChoices):
    NONE = 0, "No"
    LARGE = 1, "Large (≥ 2-fold, +1)"
    VERY_LARGE = 2, "Very large (≥ 5-fold, +2)"


class Status(models.TextChoices):
    DRAFT = "draft", "Draft"
    IN_REVIEW = "in_review", "In review"
    PUBLISHED = "published", "Published"


class Verdict(models.TextChoices):
    """Whether a claim *as worded* matches the evidence; the certainty (``Grade``) rates that evidence."""

    SUPPORTED = "supported", "Supported"
    PARTLY_SUPPORTED = "partly_supported", "Partly supported"
    INSUFFICIENT_EVIDENCE = "insufficient_evidence", "Insufficient evidence"
    CONTRADICTED = "contradicted", "Contradicted"
    NOT_ASSESSED = "not_assessed", "Not assessed yet"


class StatementType(models.TextChoices):
    """What kind of statement a claim is. GRADE rates the certainty of effects; a recommendation carries the
    certainty of the evidence behind it; a good-practice statement (do what no one would test the opposite of:
    monitor after each dose) is not rated for certainty at all."""

    EFFECT = "effect", "Effect or fact"
    RECOMMENDATION = "recommendation", "Recommendation"
    GOOD_PRACTICE = "good_practice", "Good-practice statement"


class ReviewerRole(models.TextChoices):
    """Who last reviewed a claim or a bottom line, by role: public pages name no person."""

    EDITOR = "editor", "an editor"
    REVIEWER = "reviewer", "a reviewer"
    ADMINISTRATOR = "administrator", "an administrator"


def role_of(user) -> str:
    """The public role of ``user`` (a superuser is an administrator; whoever may publish, a reviewer)."""
    if getattr(user, "is_superuser", False):
        return ReviewerRole.ADMINISTRATOR
    if user is not None and user.has_perm("claims.publish_claim"):
        return ReviewerRole.REVIEWER
    return ReviewerRole.EDITOR


class Condition(models.Model):
    name = models.CharField(max_length=120, unique=True)
    slug = models.SlugField(max_length=120, unique=True)
    aliases = models.JSONField(default=list, blank=True, help_text="Other names and abbreviations.")
    description = models.TextField(blank=True, help_text="Markdown.")
    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
        help_text="The broader condition this one lies within (treatment-resistant depression within depression).",
    )

    related = models.ManyToManyField(
        "self",
        symmetrical=True,
        blank=True,
        help_text="Conditions a reader of this one should also see (suicidal ideation beside depression).",
    )

    # The bottom line readers see is ``bottom_line``; editors write ``bottom_line_draft``, which reaches readers
    # only when a reviewer other than its last editor publishes it (claims/services.py), as claims do.
    bottom_line = models.TextField(blank=True, editable=False, help_text="The published bottom line (Markdown).")
    bottom_line_draft = models.TextField(
        "bottom line",
        blank=True,
        help_text="Two to four sentences a clinician reads first (Markdown). Readers see it once a reviewer "
        "publishes it; until then they keep seeing the published one.",
    )
    bottom_line_status = models.CharField(max_length=12, choices=Status.choices, default=Status.DRAFT, editable=False)
    bottom_line_edited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )
    reviewed_at = models.DateTimeField(null=True, blank=True, editable=False)
    reviewed_role = models.CharField(max_length=14, choices=ReviewerRole.choices, blank=True, editable=False)

    # Every saved version, with who and why (django-simple-history; claims/history.py records the workflow's
    # update() writes too).
    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(condition=~Q(parent=models.F("pk")), name="condition_not_own_parent"),
            models.CheckConstraint(condition=Q(bottom_line_status__in=Status.values), name="condition_status_valid"),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("claims:condition_detail", args=[self.slug])

    def clean(self) -> None:
        """Refuse a parent that would make the condition its own ancestor (a query per level walked)."""
        if self.parent_id is None:
            return
        seen = set()
        node = self.parent
        while node is not None:
            if (self.pk is not None and node.pk == self.pk) or node.pk in seen:
                raise ValidationError(
                    {
                        "parent": f"“{self.parent}” lies within “{self.name}”, so it cannot also contain it: "
                        "a condition cannot be its own ancestor."
                    }
                )
            seen.add(node.pk)
            node = node.parent

    def other_names(self) -> list[str]:
        """The aliases a reader does not already see in the name ("Depression (major depressive disorder)" needs
        "MDD", not "major depressive disorder" again)."""
        shown = self.name.casefold()
        return [alias for alias in self.aliases if alias.casefold() not in shown]


# The stored stance counts of a claim (see Claim.n_supports) and what makes a claim disputed.
STANCE_COUNTS = ("n_supports", "n_contradicts", "n_qualifies", "n_sources")
DISPUTED = Q(n_supports__gt=0) & (Q(n_contradicts__gt=0) | Q(n_qualifies__gt=0))


class ClaimQuerySet(models.QuerySet):
    def published(self) -> ClaimQuerySet:
        return self.filter(status=Claim.Status.PUBLISHED)

    def for_condition(self, condition: Condition) -> ClaimQuerySet:
        """Claims about ``condition``, joined from its links: for queries over all of them (counts, a sorted page)."""
        return self.filter(conditions=condition)

    def for_condition_page(self, condition_ids: Iterable[int]) -> ClaimQuerySet:
        """Claims a condition page shows: those about any of ``condition_ids`` (the condition and the conditions
        within it) and those about ketamine in general. An IN over the links, so no claim is listed twice (at
        10,000 claims on SQLite it counted a page's claims in 14 ms; an EXISTS per claim took 39 ms)."""
        linked = Claim.conditions.through.objects.filter(condition_id__in=list(condition_ids)).values("claim_id")
        return self.filter(Q(pk__in=linked) | Q(applies_generally=True))

    def condition_page_rows(self, condition_ids: Iterable[int], *fields: str):
        """``values_list(*fields)`` of the claims a condition page shows (``for_condition_page``), as a UNION of the
        claims linked to the conditions (read from the links' covering index, then by primary key) and the claims
        about ketamine in general (the partial index ``claim_general``). An OR of the two made SQLite scan every
        claim of the status instead: 11 ms against about 5 ms at 10,000 claims. The result can be iterated, not
        filtered further."""
        linked = Claim.conditions.through.objects.filter(condition_id__in=list(condition_ids)).values("claim_id")
        return (
            self.filter(pk__in=linked)
            .order_by()
            .values_list(*fields)
            .union(self.filter(applies_generally=True).order_by().values_list(*fields))
        )

    def linked_to(self, condition: Condition | Iterable[int]) -> ClaimQuerySet:
        """Claims about ``condition`` (or about any of these condition ids, e.g. a condition and those within it),
        tested claim by claim (EXISTS) instead of joined: for a ranking that reads claims in the order of an index
        and stops after the first few (``most_disputed``), where a join starting from the condition's links would
        fetch and sort every claim about it first.
        """
        ids = [condition.pk] if isinstance(condition, Condition) else list(condition)
        links = Claim.conditions.through.objects.filter(condition_id__in=ids, claim=OuterRef("pk"))
        return self.filter(Exists(links))

    def disputed(self) -> ClaimQuerySet:
        """This queryset's disputed claims (asserted, and contradicted or qualified), most disputed first: most
        contradictions, then most qualifications, then by text. Reads the stored stance counts; for published
        claims the partial index ``claim_disputed`` gives the order without reading the others.
        """
        return self.filter(DISPUTED).order_by("-n_contradicts", "-n_qualifies", "text", "pk")

    def most_disputed(self, limit: int) -> ClaimQuerySet:
        """The ``limit`` most disputed claims of this queryset (one query)."""
        return self.disputed()[:limit]

    def refresh_stance_counts(self) -> int:
        """Recount the stored stance counts of these claims from their assertions; returns how many claims.

        Every write of an assertion ends here (claims/signals.py, ``AssertionQuerySet``), so the counts are
        recounted, never incremented: whatever happened before, they are right afterwards. On PostgreSQL the
        claims are locked first (two queries): a concurrent transaction recounting the same claim then waits,
        and counts with a snapshot that includes this one's assertions. SQLite serialises writers (two queries).
        Then the stored figures that depend on them (``claims.figures``: a few queries).
        """
        assertions = Assertion.objects.filter(claim=OuterRef("pk"))
        counts = {
            "n_supports": correlated_count(assertions.filter(stance=Stance.SUPPORTS), "claim"),
            "n_contradicts": correlated_count(assertions.filter(stance=Stance.CONTRADICTS), "claim"),
            "n_qualifies": correlated_count(assertions.filter(stance=Stance.QUALIFIES), "claim"),
            "n_sources": correlated_count(assertions, "claim", "source", distinct=True),
        }
        with transaction.atomic(using=self.db):
            if connections[self.db].features.has_select_for_update:
                # FOR NO KEY UPDATE: does not wait for transactions that merely insert assertions of the claim.
                ids = list(self.select_for_update(no_key=True).order_by("pk").values_list("pk", flat=True))
            else:
                ids = list(self.values_list("pk", flat=True))
            updated = self.update(**counts)
            from claims import figures  # the stored counts read claims: imported here, not at module load

            # A claim's stance counts decide whether it is disputed, and whether a condition page lists it among
            # what the articles leave out.
            figures.stance_counts_changed(ids)
            return updated

    def for_listing(self) -> ClaimQuerySet:
        """What a list of claims shows (``claims.presentation.claim_rows``): the claim's text, category and grade,
        and the stance counts. Other fields are not loaded: reading one costs a query per claim. The rows' key
        studies come from ``key_studies()`` (one more query)."""
        return self.only(
            "text", "slug", "category", "grade", "verdict", "statement_type", "applies_generally", "status",
            "reviewed_at", *STANCE_COUNTS,
        )  # fmt: skip


class Category(models.TextChoices):
    MECHANISM = "mechanism", "Mechanism"
    INDICATION = "indication", "Indication"
    EFFICACY = "efficacy", "Efficacy"
    ONSET = "onset", "Onset"
    DURATION = "duration", "Duration"
    SIDE_EFFECT = "side_effect", "Side effect"
    SAFETY = "safety", "Safety"
    ADMINISTRATION = "administration", "Administration"
    HISTORY = "history", "History"
    CANDIDACY = "candidacy", "Candidacy"


class Claim(models.Model):
    """One canonical proposition about ketamine, graded on GRADE."""

    Category = Category

    Status = Status

    Verdict = Verdict

    StatementType = StatementType

    text = models.TextField(help_text="The canonical proposition, in the knowledge base's own words.")
    slug = models.SlugField(max_length=120, unique=True)
    category = models.CharField(max_length=20, choices=Category.choices)
    conditions = models.ManyToManyField(Condition, related_name="claims", blank=True)
    tags = TaggableManager(through="TaggedClaim", blank=True)
    conflicting_claims = models.ManyToManyField(
        "self", symmetrical=True, blank=True, help_text="Claims that cannot both be true."
    )

    summary = models.CharField(
        max_length=300,
        blank=True,
        help_text="One plain-language sentence a clinician reads first: what the evidence says about this claim.",
    )
    applies_generally = models.BooleanField(
        "applies to ketamine in general",
        default=False,
        help_text="Shown on every condition page (side effects, safety, administration, regulation).",
    )
    statement_type = models.CharField(
        "kind of statement",
        max_length=16,
        choices=StatementType.choices,
        default=StatementType.EFFECT,
        help_text="A good-practice statement is published without a certainty grade; a recommendation shows the "
        "certainty of the evidence behind it.",
    )
    verdict = models.CharField(
        max_length=24,
        choices=Verdict.choices,
        default=Verdict.NOT_ASSESSED,
        help_text="Whether the claim as worded matches the evidence. The certainty below rates that evidence.",
    )
    grade = models.CharField(max_length=12, choices=Grade.choices, default=Grade.NOT_GRADED)
    starting_level = models.CharField(max_length=10, choices=StartingLevel.choices, default=StartingLevel.VERY_LOW)
    risk_of_bias = models.CharField(max_length=12, choices=Concern.choices, default=Concern.NONE)
    inconsistency = models.CharField(max_length=12, choices=Concern.choices, default=Concern.NONE)
    indirectness = models.CharField(max_length=12, choices=Concern.choices, default=Concern.NONE)
    imprecision = models.CharField(max_length=12, choices=Concern.choices, default=Concern.NONE)
    publication_bias = models.CharField(max_length=12, choices=Concern.choices, default=Concern.NONE)
    large_effect = models.PositiveSmallIntegerField(choices=LargeEffect.choices, default=LargeEffect.NONE)
    dose_response = models.BooleanField(default=False)
    plausible_confounding = models.BooleanField(
        default=False, help_text="Plausible confounding would only have reduced the effect."
    )
    grade_override_reason = models.TextField(
        blank=True, help_text="Required when the final grade differs from the suggested one: why."
    )
    rationale = models.TextField(blank=True, help_text="Why the certainty is what it is (Markdown).")

    status = models.CharField(max_length=12, choices=Status.choices, default=Status.DRAFT)
    published_at = models.DateTimeField(null=True, blank=True)
    reviewed_at = models.DateTimeField(null=True, blank=True, editable=False, help_text="When last published.")
    reviewed_role = models.CharField(max_length=14, choices=ReviewerRole.choices, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    studies = models.ManyToManyField("sources.Study", through="Evidence", related_name="claims", blank=True)

    # Derived from the claim's assertions and stored for the pages that list and rank claims by them: how many
    # support, contradict and qualify it, and from how many sources. Written only by refresh_stance_counts()
    # (after every write of an assertion or the claim), never edited and not exported.
    n_supports = models.PositiveIntegerField("supporting assertions", default=0, editable=False)
    n_contradicts = models.PositiveIntegerField("contradicting assertions", default=0, editable=False)
    n_qualifies = models.PositiveIntegerField("qualifying assertions", default=0, editable=False)
    n_sources = models.PositiveIntegerField("sources", default=0, editable=False)

    # Editorial bookkeeping: the suggestion is stored so that lists can filter on "grade differs from it";
    # ``version`` guards against silent overwrites (see claims/services.py).
    suggested_grade = models.CharField(max_length=12, choices=Grade.choices, default=Grade.VERY_LOW, editable=False)
    version = models.PositiveIntegerField(default=1, editable=False)
    last_edited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )

    objects = ClaimQuerySet.as_manager()
    # Every saved version, with who and why (django-simple-history; claims/history.py records the workflow's
    # update() writes too), and the conditions and conflicting claims it was linked to at each version. Its tags
    # are recorded by TaggedClaim's history and the tags' own (renames: ``register(Tag)`` below).
    history = HistoricalRecords(m2m_fields=["conditions", "conflicting_claims"])

    class Meta:
        ordering = ["text"]
        permissions = [
            ("submit_claim", "Can submit a claim for review"),
            ("publish_claim", "Can publish a claim or return it to draft"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(category__in=Category.values), name="claim_category_valid"),
            models.CheckConstraint(condition=Q(grade__in=Grade.values), name="claim_grade_valid"),
            models.CheckConstraint(condition=Q(status__in=Status.values), name="claim_status_valid"),
            models.CheckConstraint(
                condition=Q(starting_level__in=StartingLevel.values), name="claim_starting_level_valid"
            ),
            models.CheckConstraint(
                condition=Q(risk_of_bias__in=Concern.values)
                & Q(inconsistency__in=Concern.values)
                & Q(indirectness__in=Concern.values)
                & Q(imprecision__in=Concern.values)
                & Q(publication_bias__in=Concern.values),
                name="claim_concerns_valid",
            ),
            models.CheckConstraint(condition=Q(large_effect__in=LargeEffect.values), name="claim_large_effect_valid"),
            models.CheckConstraint(condition=Q(verdict__in=Verdict.values), name="claim_verdict_valid"),
            models.CheckConstraint(
                condition=Q(statement_type__in=StatementType.values), name="claim_statement_type_valid"
            ),
        ]
        indexes = [
            # Condition pages and the home page list published claims by category and grade.
            models.Index(fields=["status", "category", "grade"], name="claim_status_category_grade"),
            # "Published claims about this condition / with this tag": the grade chart and the page count join the
            # link table to this index alone (an index-only scan: it carries the id) instead of reading every row
            # of the wide claims table.
            models.Index(fields=["status", "grade", "id"], name="claim_status_grade"),
            # The same join as SQLite plans it: from the condition's links (claims_claim_conditions, see migration
            # 0007), probing each claim by id; with status and grade in the index it reads neither the wide row
            # nor the table (condition page grade chart at 10,000 claims: 3.2 → 1.2 ms on SQLite).
            models.Index(fields=["id", "status", "grade"], name="claim_id_status_grade"),
            # "Where sources disagree" (home, condition and disagreements pages: ClaimQuerySet.disputed()): the
            # disputed claims only, in ranking order, so the most disputed published ones are the first entries
            # read and the disagreements page counts them from the index alone.
            models.Index(
                fields=["status", "-n_contradicts", "-n_qualifies"], condition=DISPUTED, name="claim_disputed"
            ),
            # Condition pages list the claims about ketamine in general beside the condition's own
            # (ClaimQuerySet.condition_page_rows): the few general claims, without reading the others.
            models.Index(fields=["status", "id"], condition=Q(applies_generally=True), name="claim_general"),
        ]

    def __str__(self) -> str:
        return self.text

    def save(self, *args, **kwargs) -> None:
        self.suggested_grade = self.compute_suggested_grade()
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("claims:claim_detail", args=[self.slug])

    def compute_suggested_grade(self) -> str:
        return grading.suggested_level(self.judgments)

    @property
    def judgments(self) -> grading.Judgments:
        return grading.Judgments(
            starting_level=self.starting_level,
            risk_of_bias=self.risk_of_bias,
            inconsistency=self.inconsistency,
            indirectness=self.indirectness,
            imprecision=self.imprecision,
            publication_bias=self.publication_bias,
            large_effect=self.large_effect,
            dose_response=self.dose_response,
            plausible_confounding=self.plausible_confounding,
        )

    @property
    def grade_symbol(self) -> str:
        return grading.SYMBOLS[self.grade]

    @property
    def grade_value(self) -> int | None:
        """The grade on GRADE's 1–4 scale (None when not graded)."""
        return grading.LEVEL_VALUES.get(self.grade)

    @property
    def is_good_practice(self) -> bool:
        return self.statement_type == StatementType.GOOD_PRACTICE

    @property
    def is_published(self) -> bool:
        return self.status == self.Status.PUBLISHED

    @property
    def grade_differs_from_suggestion(self) -> bool:
        return self.grade != Grade.NOT_GRADED and self.grade != self.suggested_grade


class Direction(models.TextChoices):
    SUPPORTS = "supports", "Supports"
    CONTRADICTS = "contradicts", "Contradicts"
    INCONCLUSIVE = "inconclusive", "Inconclusive"


class TaggedClaim(TaggedItemBase):
    """A tag on a claim: a direct foreign key (not taggit's generic one), so tag pages can join and filter."""

    content_object = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="tagged_items")

    history = HistoricalRecords()  # a tag put on or taken off a claim: who, when, why

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["content_object", "tag"], name="tagged_claim_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.tag} on claim {self.content_object_id}"


class Evidence(models.Model):
    """A study in a claim's evidence base, and which way it points."""

    Direction = Direction

    claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="evidence")
    study = models.ForeignKey("sources.Study", on_delete=models.PROTECT, related_name="evidence")
    direction = models.CharField(max_length=12, choices=Direction.choices)
    note = models.TextField(blank=True)

    # Every saved version, with who and why (django-simple-history; claims/history.py records the workflow's
    # update() writes too).
    history = HistoricalRecords()

    class Meta:
        ordering = ["claim", "study__label"]
        verbose_name_plural = "evidence"
        constraints = [
            models.UniqueConstraint(fields=["claim", "study"], name="evidence_claim_study_unique"),
            models.CheckConstraint(condition=Q(direction__in=Direction.values), name="evidence_direction_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.study} {self.get_direction_display().lower()} {self.claim}"


# Writing any of these fields of an assertion changes its claim's stance counts (Claim.n_supports…).
COUNTED_FIELDS = frozenset({"claim", "claim_id", "stance", "source", "source_id"})


@dataclass(frozen=True)
class StudyLink:
    """What a list of claims shows of a study: its label, link and design, and which way it points for the claim
    (an ``Evidence.Direction`` value; see ``key_studies``)."""

    label: str
    slug: str
    design: str
    direction: str = Direction.SUPPORTS

    def get_absolute_url(self) -> str:
        return reverse("sources:study_detail", args=[self.slug])

    def get_design_display(self) -> str:
        return _design_labels().get(self.design, self.design)


@functools.cache
def _design_labels() -> dict[str, str]:
    """Each study design's label, by value: ``StudyDesign(value).label`` and ``StudyDesign.values`` build lists and
    enum lookups on each call, about 12 µs a row of a claim list (225 rows on a condition page)."""
    from sources.models import StudyDesign

    return {value: str(label) for value, label in StudyDesign.choices}


DIRECTION_RANK = {value: rank for rank, value in enumerate(Direction.values)}  # supports, contradicts, inconclusive


def key_studies(claims: Iterable[Claim]) -> None:
    """Set ``key_study`` on each claim: the strongest study in its evidence base by design (meta-analyses of RCTs
    first), then the newest, then supporting before contradicting before inconclusive; None without evidence.

    The strongest study is shown whichever way it points, with its direction: a supporting case series picked over
    a contradicting meta-analysis would misstate the evidence, and a contradicting study shown without its
    direction reads as support. One query, reading six columns rather than building Evidence and Study objects (a
    page of 50 claims has about 70 evidence rows)."""
    claims = list(claims)
    best: dict[int, tuple] = {}
    ids = [c.pk for c in claims]
    # No ORDER BY: Evidence's default ordering would join the claims table to sort by it, for nothing. The studies
    # are also filtered to those of these claims' evidence (the same rows): without it PostgreSQL estimated a
    # page's ~450 evidence rows too high and hashed all 20,000 studies to join them (29 ms at 100,000 claims,
    # against 4 ms probing each study by its key).
    rows = (
        Evidence.objects.filter(claim__in=ids, study__in=Evidence.objects.filter(claim__in=ids).values("study_id"))
        .order_by()
        .values_list("claim_id", "direction", "study__label", "study__slug", "study__design", "study__year")
    )
    for claim_id, direction, label, slug, design, year in rows:
        rank = (grading.DESIGN_RANK.get(design, 99), -(year or 0), DIRECTION_RANK.get(direction, 9), label, slug)
        if claim_id not in best or rank < best[claim_id][0]:
            best[claim_id] = (rank, StudyLink(label, slug, design, direction))
    for claim in claims:
        claim.key_study = best[claim.pk][1] if claim.pk in best else None


class AssertionQuerySet(models.QuerySet):
    """Assertions; the bulk writes recount their claims' stance counts (single saves and deletes: signals)."""

    def public(self) -> AssertionQuerySet:
        return self.filter(claim__status=Claim.Status.PUBLISHED)

    def bulk_create(self, objs, *args, **kwargs) -> list:
        with transaction.atomic(using=self.db):
            created = super().bulk_create(objs, *args, **kwargs)
            recount_stance_counts({a.claim_id for a in created})
        return created

    def update(self, **kwargs) -> int:
        """Update these assertions; when a counted field changes, recount the claims they left and joined.

        ``bulk_update()`` goes through here too. Costs a query for the rows before, one after when they may have
        moved to other claims, and the recount.
        """
        if not COUNTED_FIELDS & kwargs.keys():
            return super().update(**kwargs)
        with transaction.atomic(using=self.db):
            rows = list(self.values_list("pk", "claim_id"))
            updated = super().update(**kwargs)
            claims = {claim for _, claim in rows}
            if {"claim", "claim_id"} & kwargs.keys():
                pks = [pk for pk, _ in rows]
                for start in range(0, len(pks), RECOUNT_BATCH):
                    moved = Assertion.objects.filter(pk__in=pks[start : start + RECOUNT_BATCH])
                    claims.update(moved.values_list("claim_id", flat=True))
            recount_stance_counts(claims)
        return updated


RECOUNT_BATCH = 1000  # ids per query: well within every backend's limit on query parameters


def recount_stance_counts(claim_ids: set[int]) -> None:
    """Recount the stored stance counts of any number of claims (by id), a batch of ids at a time."""
    ordered = sorted(claim_ids)
    for start in range(0, len(ordered), RECOUNT_BATCH):
        Claim.objects.filter(pk__in=ordered[start : start + RECOUNT_BATCH]).refresh_stance_counts()


class Stance(models.TextChoices):
    SUPPORTS = "supports", "Supports"
    CONTRADICTS = "contradicts", "Contradicts"
    QUALIFIES = "qualifies", "Qualifies"


class Fidelity(models.TextChoices):
    NOT_CHECKED = "not_checked", "Not checked"
    ACCURATE = "accurate", "Accurate"
    MISATTRIBUTED = "misattributed", "Misattributed"
    OVERSTATED = "overstated", "Overstated"
    WRONG_STUDY = "wrong_study", "Wrong study"


class Assertion(models.Model):
    """One source's statement of one claim: the verbatim quote, where it is, and what the source cites."""

    Stance = Stance

    Fidelity = Fidelity

    claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="assertions")
    source = models.ForeignKey("sources.Source", on_delete=models.CASCADE, related_name="assertions")
    quote = models.CharField(max_length=1000, help_text="Verbatim from the source's archived text.")
    offset = models.PositiveIntegerField(
        null=True, blank=True, help_text="Character offset of the quote in the source's archived text."
    )
    stance = models.CharField(max_length=12, choices=Stance.choices, default=Stance.SUPPORTS)
    cited_study = models.ForeignKey(
        "sources.Study", on_delete=models.PROTECT, null=True, blank=True, related_name="citations"
    )
    citation_fidelity = models.CharField(max_length=14, choices=Fidelity.choices, default=Fidelity.NOT_CHECKED)
    fidelity_note = models.TextField(blank=True)
    note = models.TextField(blank=True)
    source_changed = models.BooleanField(
        default=False, help_text="The source's text changed and the quote is no longer found in it."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = AssertionQuerySet.as_manager()
    # Every saved version, with who and why (django-simple-history; claims/history.py records the workflow's
    # update() writes too).
    history = HistoricalRecords()

    class Meta:
        ordering = ["source", "offset", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["source", "claim", "quote"], name="assertion_source_claim_quote_unique"),
            models.CheckConstraint(condition=Q(stance__in=Stance.values), name="assertion_stance_valid"),
            models.CheckConstraint(condition=Q(citation_fidelity__in=Fidelity.values), name="assertion_fidelity_valid"),
        ]
        indexes = [
            # Claim pages and stance counts: a claim's assertions by stance.
            models.Index(fields=["claim", "stance"], name="assertion_claim_stance"),
            # Source pages: a source's assertions in reading order, for highlighting the archived text.
            models.Index(fields=["source", "offset"], name="assertion_source_offset"),
            # Source list: the claims each source discusses and supports, read from the index alone (at 10,000
            # claims on SQLite the page query took 27 ms without it, 8 ms with it).
            models.Index(fields=["source", "stance", "claim"], name="assertion_source_stance_claim"),
        ]

    def __str__(self) -> str:
        return f"{self.source}: “{self.quote[:60]}”"

    def get_absolute_url(self) -> str:
        """The quote's anchor on its source page (a query for the source unless it is loaded)."""
        return f"{self.source.get_absolute_url()}#q{self.pk}"

    def clean(self) -> None:
        """Verify the quote against the source's archived text and store its exact wording and offset.

        Whitespace differences are forgiven (a quote pasted from a browser); anything else is refused.
        Runs a query for the source when it is not loaded yet.
        """
        if not self.quote or self.source_id is None or self.source_changed:
            # A flagged assertion keeps its old quote until an editor rewrites it (the admin clears the flag).
            return
        text = self.source.text
        if self.offset is not None and text[self.offset : self.offset + len(self.quote)] == self.quote:
            self.source_changed = False
            return
        found = locate_quote(text, self.quote)
        if found is None:
            raise ValidationError(
                {
                    "quote": (
                        f"This quote is not in the archived text of “{self.source.title}”. Copy it exactly "
                        "from the source (differences in spaces and line breaks are fine)."
                    )
                }
            )
        self.offset, self.quote = found
        self.source_changed = False


class SearchEntry(models.Model):
    """One searchable public page (a published claim, a source or a study), kept in step by signals.

    The full-text index over it is backend-specific and created by migrations: on PostgreSQL a stored column
    ``search_vector`` (the English tsvector of the title, weighted A, and the body, B) with a GIN index (0005); on
    SQLite an FTS5 table kept in sync by triggers (0002).
    """

    class Kind(models.TextChoices):
        CLAIM = "claim", "Claim"
        SOURCE = "source", "Source"
        STUDY = "study", "Study"

    kind = models.CharField(max_length=10, choices=Kind.choices)
    object_id = models.PositiveBigIntegerField()
    title = models.TextField()
    body = models.TextField(blank=True)
    url = models.CharField(max_length=300)
    grade = models.CharField(max_length=12, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["kind", "object_id"], name="search_entry_kind_object_unique"),
        ]
        verbose_name_plural = "search entries"

    def __str__(self) -> str:
        return f"{self.kind}: {self.title[:60]}"


class PublishedCount(models.Model):
    """A count of published claims that a page shows, stored so that the page reads it instead of counting every
    claim (issue 16): published claims per grade (home), per condition (home, conditions list), per tag (tag
    list), and the disputed ones (disagreements page). Derived data, like the claims' stance counts: recounted
    by ``claims.figures`` after every write that could change it (claims/signals.py, the workflow, bulk writes),
    never incremented, never edited and not exported; ``manage.py refresh_figures`` recounts them all."""

    class Kind(models.TextChoices):
        GRADE = "grade", "published claims with this grade"
        CONDITION = "condition", "published claims about this condition"
        TAG = "tag", "published claims with this tag"
        DISPUTED = "disputed", "published claims that are disputed"

    kind = models.CharField(max_length=10, choices=Kind.choices)
    # The grade's value, the condition's or tag's id, or "" for the disputed count.
    key = models.CharField(max_length=20, blank=True)
    n = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            # Also the index of every read: all counts of a kind, or one count.
            models.UniqueConstraint(fields=["kind", "key"], name="published_count_kind_key_unique"),
            models.CheckConstraint(condition=Q(kind__in=["grade", "condition", "tag", "disputed"]),
                                   name="published_count_kind_valid"),
        ]  # fmt: skip

    def __str__(self) -> str:
        return f"{self.kind} {self.key}: {self.n}"


class PageEntry(models.Model):
    """A published claim as condition pages list it (issue 16), so that a page reads the first claims of each
    question from an index instead of sorting every claim of the condition: one row per condition whose page shows
    the claim (the conditions it is about and every condition they lie within), or a single row with no condition
    for a claim about ketamine in general (every page shows those, so a page reads its own rows and the general
    ones, which never overlap). Derived data, rewritten by ``claims.figures`` after every write that could change
    it, never edited and not exported; ``manage.py refresh_figures`` rewrites it all."""

    # Indexed by page_entry_order, which starts with it.
    condition = models.ForeignKey(
        Condition, null=True, blank=True, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="+")  # indexed: rewriting its entries
    # The question (or "wrong", "left out") the claim is listed under: claims.answers.section_of().
    section = models.CharField(max_length=10)
    grade = models.CharField(max_length=12, choices=Grade.choices)
    # The order within a section, as claims.answers.Outline sorts: the verdict's rank, then the grade's (verdict
    # rank × 10 + grade rank), then the text, compared as UTF-8 bytes (Python's order, whatever the database's
    # collation; cut to SORT_TEXT_BYTES so that any claim fits an index entry), then the id.
    rank = models.PositiveSmallIntegerField()
    sort_text = models.BinaryField(max_length=400)

    SORT_TEXT_BYTES = 400

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["condition", "claim"], name="page_entry_condition_claim_unique"),
            models.UniqueConstraint(
                fields=["claim"], condition=Q(condition__isnull=True), name="page_entry_general_claim_unique"
            ),
        ]
        indexes = [
            # A condition page's first claims of each question (claims.views.condition_detail): read in order.
            models.Index(fields=["condition", "section", "rank", "sort_text", "claim"], name="page_entry_order"),
            # The same for the general claims: PostgreSQL reads "condition IS NULL" from the index above but cannot
            # take its order from it, and sorted every general claim of the section (5,651 at 100,000 claims).
            models.Index(
                fields=["section", "rank", "sort_text", "claim"],
                condition=Q(condition__isnull=True),
                name="page_entry_general_order",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.condition_id or 'general'}: {self.section} claim {self.claim_id}"


class ConflictEntry(models.Model):
    """A pair of published claims marked as conflicting, once (the lower id first), with both texts as the pages
    order the pairs (issue 16): the disagreements and condition pages read the first pairs from an index instead
    of joining and sorting every pair. Derived data, rewritten by ``claims.figures`` with the claims' page entries
    (and after every change of a claim's conflicts); not exported."""

    from_claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="+")
    to_claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="+")
    # Each claim's text as UTF-8 bytes, cut to fit an index entry (claims.figures.sort_text).
    from_text = models.BinaryField(max_length=400)
    to_text = models.BinaryField(max_length=400)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["from_claim", "to_claim"], name="conflict_entry_unique"),
            models.CheckConstraint(condition=Q(from_claim__lt=models.F("to_claim")), name="conflict_entry_ordered"),
        ]
        indexes = [
            # The first pairs by text (claims.views._conflict_pairs), read in order.
            models.Index(fields=["from_text", "to_text", "from_claim", "to_claim"], name="conflict_entry_order"),
        ]

    def __str__(self) -> str:
        return f"claim {self.from_claim_id} conflicts with claim {self.to_claim_id}"


class PageFigure(models.Model):
    """How many published claims a condition page lists per question and grade (its grade chart and each
    question's count), counted from ``PageEntry`` by ``claims.figures`` whenever those entries change; no
    condition: the claims about ketamine in general, which every page adds to its own."""

    # Indexed by page_figure_unique, which starts with it.
    condition = models.ForeignKey(
        Condition, null=True, blank=True, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    section = models.CharField(max_length=10)
    grade = models.CharField(max_length=12, choices=Grade.choices)
    n = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            # Also the index of the page's read: the figures of one condition.
            models.UniqueConstraint(fields=["condition", "section", "grade"], name="page_figure_unique"),
            models.UniqueConstraint(
                fields=["section", "grade"], condition=Q(condition__isnull=True), name="page_figure_general_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.condition_id or 'general'}: {self.section} {self.grade}: {self.n}"


class ClaimChange(models.Model):
    """One recorded change of a claim: its grade, verdict, status or rationale through the workflow, or any approved
    revision of a published claim (wording, summary, judgments, its statements and evidence): who, when,
    before → after, and why. The claim page's public change log and the Atom feeds read it, without the names."""

    class Field(models.TextChoices):
        GRADE = "grade", "Grade"
        VERDICT = "verdict", "Verdict"
        STATUS = "status", "Status"
        RATIONALE = "rationale", "Rationale"
        # Approved revisions of a published claim (revisions/services.py) are logged too.
        TEXT = "text", "Wording"
        SUMMARY = "summary", "Summary"
        JUDGMENTS = "judgments", "GRADE judgments"
        STATEMENT = "statement", "Sources' statements"
        EVIDENCE = "evidence", "Evidence"
        SCOPE = "scope", "Conditions, tags and links"

    claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="changes")
    field = models.CharField(max_length=12, choices=Field.choices)
    before = models.TextField(blank=True)
    after = models.TextField(blank=True)
    reason = models.TextField(blank=True)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    changed_at = models.DateTimeField(auto_now_add=True)
    self_approval_override = models.BooleanField(
        default=False, help_text="A superuser published a claim they had last edited themselves."
    )
    public = models.BooleanField(
        default=False,
        help_text="Shown in the claim's public change log and the feeds: a change approved by a second person while "
        "the claim was published, or its publication. A draft's edits (and their reasons) are internal.",
    )

    class Meta:
        ordering = ["-changed_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(
                    field__in=[
                        "grade",
                        "verdict",
                        "status",
                        "rationale",
                        "text",
                        "summary",
                        "judgments",
                        "statement",
                        "evidence",
                        "scope",
                    ]
                ),
                name="claim_change_field_valid",
            ),
        ]
        indexes = [
            # A claim's history, newest first (claim page and admin).
            models.Index(fields=["claim", "-changed_at"], name="claim_change_claim_time"),
        ]

    def __str__(self) -> str:
        return f"{self.claim_id} {self.field}: {self.before} → {self.after}"

    @property
    def summary(self) -> str:
        """Public wording for grade and verdict changes, e.g. "Low → Very low"."""
        labels = {self.Field.GRADE: dict(Grade.choices), self.Field.VERDICT: dict(Verdict.choices)}.get(
            self.field, dict(Status.choices)
        )
        return f"{labels.get(self.before, self.before or '—')} → {labels.get(self.after, self.after)}"

    # Fields the public change log shows (a status change shows as the publication only, in the feeds).
    PUBLIC_FIELDS = ("grade", "verdict", "text", "summary", "rationale", "judgments", "statement", "evidence", "scope")

    @property
    def public_words(self) -> str:
        """What changed, in the public change log's words (no names): "certainty Low → Moderate", "wording changed
        from “…”", "statement of <source> added"."""
        if self.field == self.Field.GRADE:
            return f"certainty {self.summary}"
        if self.field == self.Field.VERDICT:
            return f"verdict {self.summary}"
        if self.field == self.Field.STATUS:
            return "published" if self.after == Status.PUBLISHED else f"status {self.summary}"
        if self.field == self.Field.TEXT:
            return f"wording changed from “{self.before}”"
        if self.field == self.Field.SUMMARY:
            return "summary rewritten"
        if self.field == self.Field.RATIONALE:
            return "rationale revised"
        return self.after or self.before


class Measure(models.TextChoices):
    MEAN_DIFFERENCE = "mean_difference", "Mean difference"
    STANDARDISED_MEAN_DIFFERENCE = "standardised_mean_difference", "Standardised mean difference"
    RISK_RATIO = "risk_ratio", "Risk ratio"
    ODDS_RATIO = "odds_ratio", "Odds ratio"
    RISK_DIFFERENCE = "risk_difference", "Risk difference"
    HAZARD_RATIO = "hazard_ratio", "Hazard ratio"
    PROPORTION = "proportion", "Proportion"
    MEAN_CHANGE = "mean_change", "Mean change from baseline"


# Ratios have no effect at 1 and are drawn on a log scale; differences have no effect at 0; a proportion or a
# change within one group has no line of no effect.
RATIO_MEASURES = frozenset({Measure.RISK_RATIO, Measure.ODDS_RATIO, Measure.HAZARD_RATIO})
DIFFERENCE_MEASURES = frozenset(
    {Measure.MEAN_DIFFERENCE, Measure.STANDARDISED_MEAN_DIFFERENCE, Measure.RISK_DIFFERENCE}
)


class EffectEstimateQuerySet(models.QuerySet):
    def public(self) -> EffectEstimateQuerySet:
        """Estimates a reader may see: those informing a published claim."""
        return self.filter(claim__status=Status.PUBLISHED)

    def findings(self) -> list[EffectEstimate]:
        """The Summary of Findings rows of these estimates: for each outcome and time point the estimate from the
        strongest design, then the most participants, then the newest study (``finding_rank``), with ``in_group``,
        how many estimates share its outcome and time point. Two queries: a light row per estimate, then only the
        chosen ones with what the table shows (a CASE over designs and a window in SQL cost more to compile than
        to run here). Condition pages read the rows stored by ``claims.figures`` instead (``FindingEntry``)."""
        groups: dict[tuple[str, str], list] = {}
        rows = self.order_by().values_list("pk", "outcome", "timepoint", "study__design", "participants", "study__year")
        for pk, outcome, timepoint, design, participants, year in rows:
            groups.setdefault((outcome, timepoint), []).append((finding_rank(design, participants, year, pk), pk))
        best = {min(members)[1]: len(members) for members in groups.values()}
        # With no estimate the second query still runs (for an id no row has), so a page's query count does not
        # depend on its data: pages are pinned to a fixed count.
        chosen = list(EffectEstimate.objects.filter(pk__in=list(best) or [-1]).for_findings())
        for estimate in chosen:
            estimate.in_group = best[estimate.pk]
        return chosen

    def for_findings(self) -> EffectEstimateQuerySet:
        """What a Summary of Findings row shows of an estimate, its study and its claim (``select_related``)."""
        return self.select_related("study", "claim").only(*FINDING_FIELDS)


def finding_rank(design: str, participants: int | None, year: int | None, pk: int) -> tuple:
    """Which estimate of an outcome and time point a Summary of Findings shows: the lowest rank (the strongest
    design, then the most participants, then the newest study, then the first entered)."""
    return (grading.DESIGN_RANK.get(design, 99), -(participants or 0), -(year or 0), pk)


class EffectEstimate(models.Model):
    """One outcome a study reports, as a number a reader can trace: each estimate keeps the page it was read from
    and a verbatim excerpt of that page holding every number stored here (``clean`` checks it)."""

    Measure = Measure

    study = models.ForeignKey("sources.Study", on_delete=models.PROTECT, related_name="effect_estimates")
    claim = models.ForeignKey(
        Claim,
        on_delete=models.CASCADE,
        related_name="effect_estimates",
        help_text="The claim whose verdict and certainty this estimate informs; the study must be in its evidence.",
    )
    condition = models.ForeignKey(
        Condition,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="effect_estimates",
        help_text="The condition of the population studied: the estimate is a row of that condition's Summary of "
        "Findings (and of the conditions it lies within). Empty for a population of mixed or other conditions.",
    )
    outcome = models.CharField(
        max_length=120, help_text="Use the same wording for the same outcome: “Response”, “Suicidal ideation (SSI)”."
    )
    measure = models.CharField(max_length=32, choices=Measure.choices)
    value = models.FloatField(help_text="As written in the excerpt.")
    unit = models.CharField(
        max_length=80, blank=True, help_text="What the value counts, when not a ratio: “%”, “MADRS points”, “mm Hg”."
    )
    ci_low = models.FloatField("95 % CI, lower bound", null=True, blank=True)
    ci_high = models.FloatField("95 % CI, upper bound", null=True, blank=True)
    participants = models.IntegerField(null=True, blank=True)
    studies = models.PositiveSmallIntegerField(
        "number of studies", null=True, blank=True, help_text="Pooled studies for a meta-analysis; 1 for one trial."
    )
    timepoint = models.CharField(max_length=80, blank=True, help_text="“24 hours”, “1 week”.")
    comparator = models.CharField(max_length=200, blank=True)
    population = models.CharField(max_length=300, blank=True)
    intervention = models.CharField(
        max_length=300, blank=True, help_text="As given: racemic or esketamine, route, dose, number of sessions."
    )
    excerpt = models.TextField(help_text="Verbatim from the page below; must contain every number stored here.")
    excerpt_url = models.URLField("excerpt's page", max_length=500)

    objects = EffectEstimateQuerySet.as_manager()
    # Every saved version, with who and why (django-simple-history; claims/history.py records the workflow's
    # update() writes too).
    history = HistoricalRecords()

    class Meta:
        ordering = ["outcome", "timepoint", "study__year", "study__label", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(measure__in=Measure.values), name="estimate_measure_valid"),
            models.CheckConstraint(
                condition=Q(participants__isnull=True) | Q(participants__gt=0), name="estimate_participants_positive"
            ),
            models.CheckConstraint(
                condition=(Q(ci_low__isnull=True) & Q(ci_high__isnull=True))
                | (Q(ci_low__lte=models.F("value")) & Q(ci_high__gte=models.F("value"))),
                name="estimate_ci_contains_value",
            ),
        ]
        indexes = [
            # Claim pages: the estimates of a claim, grouped by outcome.
            models.Index(fields=["claim", "outcome"], name="estimate_claim_outcome"),
            # Condition pages: the Summary of Findings reads the estimates of the condition and those within it.
            models.Index(fields=["condition", "outcome"], name="estimate_condition_outcome"),
        ]

    def __str__(self) -> str:
        return f"{self.study}: {self.outcome} {self.get_measure_display().lower()} {self.value}"

    @property
    def no_effect(self) -> float | None:
        """Where the line of no effect lies for this measure (None for a proportion or a change in one group)."""
        if self.measure in RATIO_MEASURES:
            return 1.0
        if self.measure in DIFFERENCE_MEASURES:
            return 0.0
        return None

    def effect_text(self) -> str:
        """ "OR 3.87 (95 % CI 2.56 to 5.84)" as a reader sees it."""
        unit = ("" if self.unit == "%" else " ") + self.unit if self.unit else ""
        text = f"{format_number(self.value)}{unit}"
        if self.ci_low is not None:
            text += f" (95 % CI {format_number(self.ci_low)} to {format_number(self.ci_high)})"
        return text

    def clean(self) -> None:
        """Refuse an estimate a reader could not trace or that cannot be true, naming the field. The evidence check
        costs a query when both the study and the claim are set."""
        errors = estimate_errors(
            value=self.value,
            ci_low=self.ci_low,
            ci_high=self.ci_high,
            participants=self.participants,
            studies=self.studies,
            excerpt=self.excerpt or "",
        )
        if (
            self.study_id
            and self.claim_id
            and not Evidence.objects.filter(claim_id=self.claim_id, study_id=self.study_id).exists()
        ):
            errors["claim"] = "The study is not in this claim's evidence base: add it there first."
        if errors:
            raise ValidationError(errors)


# What a Summary of Findings row reads of an estimate, its study and its claim (EffectEstimateQuerySet.for_findings).
FINDING_FIELDS = (
    *(f.name for f in EffectEstimate._meta.concrete_fields if f.name not in {"population", "intervention"}),
    "study__label", "study__slug", "study__design", "study__year",
    "claim__text", "claim__slug", "claim__grade", "claim__verdict", "claim__summary", "claim__status",
)  # fmt: skip


class FindingEntry(models.Model):
    """A row of a condition page's Summary of Findings (issue 16): for one page (the public estimates measured in
    its condition or in one within it), one outcome and time point, the estimate shown (``finding_rank``) and how
    many public estimates share them. The page reads its few rows instead of one row per estimate of the
    condition (4,912 for the largest at 100,000 claims). Derived data, rewritten by ``claims.figures`` for the
    outcomes and time points a write touches, never edited and not exported; ``manage.py refresh_figures``
    rewrites it all."""

    # Indexed by finding_entry_unique, which starts with it.
    condition = models.ForeignKey(Condition, on_delete=models.CASCADE, related_name="+", db_index=False)
    outcome = models.CharField(max_length=120)
    timepoint = models.CharField(max_length=80, blank=True)
    estimate = models.ForeignKey(EffectEstimate, on_delete=models.CASCADE, related_name="+")
    n = models.PositiveIntegerField()

    class Meta:
        constraints = [
            # Also the index of a page's read (its rows, by outcome and time point) and of a rewrite's.
            models.UniqueConstraint(fields=["condition", "outcome", "timepoint"], name="finding_entry_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.condition_id}: {self.outcome} {self.timepoint}: estimate {self.estimate_id} of {self.n}"
