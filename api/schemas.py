"""The API's response shapes (pydantic, through django-ninja): what /api/openapi.json documents.

The enumerations are those of the kb-export format (``claims/exchange_schema.py``): one vocabulary for both."""

from __future__ import annotations

from datetime import date, datetime

from ninja import Field, Schema

from claims.exchange_schema import (
    CategoryValue,
    ConcernValue,
    DirectionValue,
    FidelityValue,
    GradeValue,
    LargeEffectValue,
    MeasureValue,
    ReviewerRoleValue,
    SourceKindValue,
    StanceValue,
    StartingLevelValue,
    StudyDesignValue,
    VerdictValue,
)


class Error(Schema):
    detail: str = Field(description="What went wrong, in words.")
    allowed: dict[str, list[str]] | None = Field(
        None, description="For an unknown filter value: the values the parameter accepts."
    )
    errors: list[dict] | None = Field(None, description="For malformed parameters: each problem with its place.")


class Links(Schema):
    """Absolute URLs of the same list's pages, with the same filters; null where there is no such page."""

    first: str
    last: str
    previous: str | None
    next: str | None


class PageMeta(Schema):
    count: int = Field(description="Items in the whole list.")
    page: int
    pages: int = Field(description="Pages in the whole list (at least 1).")
    per_page: int
    links: Links


class Ref(Schema):
    slug: str
    name: str
    url: str = Field(description="The public page.")


class StudyRef(Schema):
    slug: str
    label: str
    design: StudyDesignValue
    year: int | None
    url: str


class Judgments(Schema):
    """The GRADE assessment behind the certainty."""

    starting_level: StartingLevelValue
    risk_of_bias: ConcernValue
    inconsistency: ConcernValue
    indirectness: ConcernValue
    imprecision: ConcernValue
    publication_bias: ConcernValue
    large_effect: LargeEffectValue = Field(description="0, 1 (≥ 2-fold) or 2 (≥ 5-fold).")
    dose_response: bool
    plausible_confounding: bool
    override_reason: str = Field(description="Why the certainty differs from the GRADE arithmetic, if it does.")


class StanceCounts(Schema):
    supports: int
    contradicts: int
    qualifies: int
    sources: int


class EvidenceOut(Schema):
    study: StudyRef
    direction: DirectionValue
    note: str


class EstimateOut(Schema):
    study: str = Field(description="The study's slug.")
    condition: str | None = Field(description="The slug of the condition studied; null for a mixed population.")
    outcome: str
    timepoint: str
    measure: MeasureValue
    value: float
    unit: str
    ci_low: float | None
    ci_high: float | None
    participants: int | None
    studies: int | None
    comparator: str
    population: str
    intervention: str
    excerpt: str
    excerpt_url: str


class ClaimOut(Schema):
    slug: str
    url: str
    assertions_url: str
    text: str
    summary: str
    category: CategoryValue
    verdict: VerdictValue
    certainty: GradeValue = Field(description="The GRADE certainty of the evidence.")
    certainty_level: int | None = Field(description="The certainty on GRADE's 1–4 scale; null when not graded.")
    judgments: Judgments
    rationale: str = Field(description="Why the certainty is what it is (Markdown).")
    applies_generally: bool = Field(description="About ketamine in general: listed on every condition page.")
    conditions: list[Ref]
    tags: list[str]
    stance_counts: StanceCounts
    evidence: list[EvidenceOut]
    estimates: list[EstimateOut]
    conflicts_with: list[str] = Field(description="Slugs of published claims that cannot both be true with it.")
    published_at: datetime | None
    reviewed_at: datetime | None
    reviewed_role: ReviewerRoleValue
    updated_at: datetime


class ClaimPage(PageMeta):
    results: list[ClaimOut]


class AssertionOut(Schema):
    source: Ref
    quote: str
    offset: int | None = Field(description="Character offset of the quote in the source's archived text.")
    stance: StanceValue
    cited_study: StudyRef | None
    citation_fidelity: FidelityValue
    fidelity_note: str


class AssertionPage(PageMeta):
    results: list[AssertionOut]


class FindingOut(Schema):
    """One row of the condition's Summary of Findings: the estimate shown for an outcome and time point."""

    outcome: str
    timepoint: str
    measure: MeasureValue
    value: float
    unit: str
    ci_low: float | None
    ci_high: float | None
    effect: str = Field(description='As the page writes it: "3.87 (95 % CI 2.56 to 5.84)".')
    participants: int | None
    studies: int | None
    comparator: str
    study: StudyRef
    claim: str = Field(description="The slug of the claim the estimate informs.")
    certainty: GradeValue
    verdict: VerdictValue
    other_estimates: int = Field(description="Further estimates of this outcome and time point not shown.")


class ConditionOut(Schema):
    slug: str
    name: str
    url: str
    aliases: list[str]
    description: str = Field(description="Markdown.")
    parent: str | None = Field(description="The slug of the broader condition it lies within.")
    children: list[str]
    bottom_line: str = Field(description="The published bottom line (Markdown); empty until one is published.")
    reviewed_at: datetime | None
    reviewed_role: ReviewerRoleValue
    claims_url: str = Field(description="Its page's claims through this API.")
    csv_url: str
    feed_url: str


class ConditionDetail(ConditionOut):
    findings: list[FindingOut]


class ConditionPage(PageMeta):
    results: list[ConditionOut]


class SourceOut(Schema):
    slug: str
    url: str
    title: str
    original_url: str
    author: str
    publisher: str
    published_on: date | None
    accessed_on: date | None
    kind: SourceKindValue
    commercial_interest: bool
    commercial_interest_note: str
    text_sha256: str
    updated_at: datetime


class SourceDetail(SourceOut):
    text: str = Field(description="The archived text the quotes' offsets refer to.")


class SourcePage(PageMeta):
    results: list[SourceOut]


class StudyOut(Schema):
    slug: str
    url: str
    label: str
    authors: str
    title: str
    journal: str
    year: int | None
    volume: str
    pages: str
    doi: str
    pmid: int | None
    document_url: str
    design: StudyDesignValue
    population: str
    sample_size: int | None
    summary: str = Field(description="What the study found (Markdown).")
    cite: dict[str, str] = Field(description="The study as RIS, BibTeX and CSL-JSON.")


class StudyPage(PageMeta):
    results: list[StudyOut]
