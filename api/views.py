"""The read-only JSON API under /api/ (django-ninja): published content only, exactly what the public pages show.

Claims are served when published; sources when they state a published claim (``Source.objects.public()``); studies
when a published claim uses them (``Study.objects.public()``); conditions when a published claim is about them
(``claims.public.PublicConditions``). Lists are paginated in a stable order (claims, sources and studies by when
they were added, so a new item never shifts the pages before it). Format and rules: docs/open-data.md.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from ninja import Field, NinjaAPI, Query, Schema
from ninja.errors import ValidationError

from api import schemas
from claims.answers import summary_of_findings
from claims.models import (
    Assertion,
    Category,
    Claim,
    Condition,
    EffectEstimate,
    Evidence,
    Grade,
    TaggedClaim,
    Verdict,
)
from claims.public import PublicConditions
from sources.models import Source, Study

API_VERSION = "1"  # part of every ETag: bump it when a response's shape changes
PER_PAGE = 50
MAX_PER_PAGE = 100

api = NinjaAPI(
    title="Ketamine evidence knowledge base",
    version=API_VERSION,
    description="Published claims about ketamine therapy with their certainty (GRADE), verdict, evidence and the "
    "sources that state them. Read-only; see docs/open-data.md.",
    urls_namespace="api",
)


class ApiError(Exception):
    def __init__(self, status: int, detail: str, allowed: dict[str, list[str]] | None = None) -> None:
        super().__init__(detail)
        self.status, self.detail, self.allowed = status, detail, allowed


@api.exception_handler(ApiError)
def _api_error(request: HttpRequest, exc: ApiError):
    body = {"detail": exc.detail}
    if exc.allowed:
        body["allowed"] = exc.allowed
    return api.create_response(request, body, status=exc.status)


# The values each enumerated parameter accepts, named in a 400 answer.
ALLOWED = {"category": Category.values, "grade": Grade.values, "verdict": Verdict.values}


@api.exception_handler(ValidationError)
def _bad_parameters(request: HttpRequest, exc: ValidationError):
    """Malformed parameters: 400 (not django-ninja's 422), each problem with its parameter, and the allowed values
    of an enumerated one."""
    errors, allowed = [], {}
    for error in exc.errors:
        name = str(error.get("loc", ("", ""))[-1])
        errors.append({"parameter": name, "message": error.get("msg", "")})
        if name in ALLOWED:
            allowed[name] = ALLOWED[name]
    detail = "; ".join(f"{e['parameter']}: {e['message']}" for e in errors)
    body = {"detail": f"Bad parameters: {detail}", "errors": errors}
    if allowed:
        body["allowed"] = allowed
    return api.create_response(request, body, status=400)


def _not_found(kind: str, slug: str) -> ApiError:
    return ApiError(404, f"No published {kind} has the slug {slug!r}.")


ERRORS = {400: schemas.Error, 404: schemas.Error}


# --- pages ------------------------------------------------------------------------------------------------------


class Paging(Schema):
    page: int = Field(1, ge=1, description="Page number, from 1. A page past the last one is empty.")
    per_page: int = Field(PER_PAGE, ge=1, le=MAX_PER_PAGE)


def _page_link(request: HttpRequest, number: int) -> str:
    params = request.GET.copy()
    params["page"] = str(number)
    return request.build_absolute_uri(f"{request.path}?{params.urlencode()}")


def _paginate(request: HttpRequest, items, paging: Paging, count: int | None = None) -> tuple[list, dict]:
    """The page's items and the list's metadata. A queryset costs a COUNT and the page's query (none past the last
    page); a list is sliced."""
    count = (len(items) if isinstance(items, list) else items.count()) if count is None else count
    pages = max(1, math.ceil(count / paging.per_page))
    start = (paging.page - 1) * paging.per_page
    rows = list(items[start : start + paging.per_page]) if paging.page <= pages else []
    number = paging.page
    links = {
        "first": _page_link(request, 1),
        "last": _page_link(request, pages),
        # Past the end, "previous" leads back to the last page.
        "previous": _page_link(request, min(number - 1, pages)) if number > 1 else None,
        "next": _page_link(request, number + 1) if number < pages else None,
    }
    meta = {"count": count, "page": number, "pages": pages, "per_page": paging.per_page, "links": links}
    return rows, meta


def _url(request: HttpRequest, path: str) -> str:
    return request.build_absolute_uri(path)


# --- conditions ---------------------------------------------------------------------------------------------------


def _condition(request: HttpRequest, condition: Condition, tree: PublicConditions) -> dict:
    parent = tree.parent_of(condition)
    slug = condition.slug
    return {
        "slug": slug,
        "name": condition.name,
        "url": _url(request, condition.get_absolute_url()),
        "aliases": list(condition.aliases),
        "description": condition.description,
        "parent": parent.slug if parent else None,
        "children": [child.slug for child in tree.children_of(condition)],
        "bottom_line": condition.bottom_line,  # the published one, never bottom_line_draft
        "reviewed_at": condition.reviewed_at,
        "reviewed_role": condition.reviewed_role,
        "claims_url": _url(request, reverse("api:list_claims") + f"?condition={slug}"),
        "csv_url": _url(request, reverse("claims:condition_csv", args=[slug])),
        "feed_url": _url(request, reverse("claims:condition_feed", args=[slug])),
    }


@api.get("/conditions", response={200: schemas.ConditionPage, **ERRORS}, tags=["conditions"])
def list_conditions(request: HttpRequest, paging: Query[Paging]):
    """Conditions with published claims, by name. One query (conditions are few: the list is read whole)."""
    tree = PublicConditions()
    rows, meta = _paginate(request, tree.conditions, paging)
    return {**meta, "results": [_condition(request, c, tree) for c in rows]}


def _study_ref(request: HttpRequest, study: Study) -> dict:
    return {
        "slug": study.slug,
        "label": study.label,
        "design": study.design,
        "year": study.year,
        "url": _url(request, study.get_absolute_url()),
    }


def _finding(request: HttpRequest, row) -> dict:
    estimate = row.estimate
    return {
        "outcome": estimate.outcome,
        "timepoint": estimate.timepoint,
        "measure": estimate.measure,
        "value": estimate.value,
        "unit": estimate.unit,
        "ci_low": estimate.ci_low,
        "ci_high": estimate.ci_high,
        "effect": estimate.effect_text(),
        "participants": estimate.participants,
        "studies": estimate.studies,
        "comparator": estimate.comparator,
        "study": _study_ref(request, estimate.study),
        "claim": estimate.claim.slug,
        "certainty": estimate.claim.grade,
        "verdict": estimate.claim.verdict,
        "other_estimates": row.others,
    }


@api.get("/conditions/{slug}", response={200: schemas.ConditionDetail, **ERRORS}, tags=["conditions"])
def get_condition(request: HttpRequest, slug: str):
    """A condition with its published bottom line and its Summary of Findings rows (as on its page).
    Queries: conditions, the estimates of published claims about it and the conditions within it."""
    tree = PublicConditions()
    condition = tree.get(slug)
    if condition is None:
        raise _not_found("condition", slug)
    estimates = EffectEstimate.objects.public().filter(condition_id__in=tree.within(condition))
    findings = summary_of_findings(estimates.select_related("study", "claim"))
    return {**_condition(request, condition, tree), "findings": [_finding(request, row) for row in findings]}


# --- claims -------------------------------------------------------------------------------------------------------


class ClaimFilters(Schema):
    condition: str | None = Field(
        None,
        description="A condition's slug: the claims its page lists (about it or a condition within it, and those "
        "about ketamine in general).",
    )
    category: schemas.CategoryValue | None = None
    grade: schemas.GradeValue | None = Field(None, description="The certainty.")
    verdict: schemas.VerdictValue | None = None
    tag: str | None = Field(None, description="A tag's slug.")
    updated_since: datetime | None = Field(
        None,
        description="ISO 8601 date or date-time (UTC when no zone is given; a date alone is its midnight): claims "
        "whose text, grade, verdict, status or statements changed at or after it.",
    )


def _claims_with_everything(claims: QuerySet) -> QuerySet:
    """What a claim in the API carries, prefetched: five more queries for any number of claims (conditions, tags,
    evidence + studies, estimates + studies + conditions, conflicting published claims)."""
    return claims.prefetch_related(
        Prefetch("conditions", queryset=Condition.objects.only("slug", "name").order_by("name")),
        Prefetch("tagged_items", queryset=TaggedClaim.objects.select_related("tag").order_by("tag__name")),
        Prefetch("evidence", queryset=Evidence.objects.select_related("study").order_by("study__year", "study__label")),
        Prefetch("effect_estimates", queryset=EffectEstimate.objects.select_related("study", "condition")),
        Prefetch("conflicting_claims", queryset=Claim.objects.published().only("slug").order_by("slug")),
    )


def _claim(request: HttpRequest, claim: Claim) -> dict:
    return {
        "slug": claim.slug,
        "url": _url(request, claim.get_absolute_url()),
        "assertions_url": _url(request, reverse("api:list_assertions", args=[claim.slug])),
        "text": claim.text,
        "summary": claim.summary,
        "category": claim.category,
        "verdict": claim.verdict,
        "certainty": claim.grade,
        "certainty_level": claim.grade_value,
        "judgments": {
            "starting_level": claim.starting_level,
            "risk_of_bias": claim.risk_of_bias,
            "inconsistency": claim.inconsistency,
            "indirectness": claim.indirectness,
            "imprecision": claim.imprecision,
            "publication_bias": claim.publication_bias,
            "large_effect": claim.large_effect,
            "dose_response": claim.dose_response,
            "plausible_confounding": claim.plausible_confounding,
            "override_reason": claim.grade_override_reason if claim.grade != claim.suggested_grade else "",
        },
        "rationale": claim.rationale,
        "applies_generally": claim.applies_generally,
        "conditions": [
            {"slug": c.slug, "name": c.name, "url": _url(request, c.get_absolute_url())} for c in claim.conditions.all()
        ],
        "tags": [item.tag.slug for item in claim.tagged_items.all()],
        "stance_counts": {
            "supports": claim.n_supports,
            "contradicts": claim.n_contradicts,
            "qualifies": claim.n_qualifies,
            "sources": claim.n_sources,
        },
        "evidence": [
            {"study": _study_ref(request, e.study), "direction": e.direction, "note": e.note}
            for e in claim.evidence.all()
        ],
        "estimates": [
            {
                "study": e.study.slug,
                "condition": e.condition.slug if e.condition_id else None,
                **{
                    name: getattr(e, name)
                    for name in (
                        "outcome",
                        "timepoint",
                        "measure",
                        "value",
                        "unit",
                        "ci_low",
                        "ci_high",
                        "participants",
                        "studies",
                        "comparator",
                        "population",
                        "intervention",
                        "excerpt",
                        "excerpt_url",
                    )
                },
            }
            for e in claim.effect_estimates.all()
        ],  # fmt: skip
        "conflicts_with": [other.slug for other in claim.conflicting_claims.all()],
        "published_at": claim.published_at,
        "reviewed_at": claim.reviewed_at,
        "reviewed_role": claim.reviewed_role,
        "updated_at": claim.updated_at,
    }


def _public_tags() -> list[str]:
    """The slugs of the tags on published claims (one query)."""
    rows = TaggedClaim.objects.filter(content_object__status=Claim.Status.PUBLISHED)
    return sorted(set(rows.order_by().values_list("tag__slug", flat=True)))


@api.get("/claims", response={200: schemas.ClaimPage, **ERRORS}, tags=["claims"])
def list_claims(request: HttpRequest, filters: Query[ClaimFilters], paging: Query[Paging]):
    """Published claims in the order they were added, each with its evidence, estimates, conditions and tags.
    Queries: the count, the page of claims and five prefetches (seven), plus one to check a condition or a tag."""
    claims = Claim.objects.published()
    if filters.condition is not None:
        tree = PublicConditions()
        condition = tree.get(filters.condition)
        if condition is None:
            allowed = {"condition": [c.slug for c in tree.conditions]}
            raise ApiError(400, f"Unknown condition {filters.condition!r}.", allowed)
        claims = tree.claims_of(condition)
    for name in ("category", "grade", "verdict"):
        value = getattr(filters, name)
        if value is not None:
            claims = claims.filter(**{name: value})
    if filters.tag is not None:
        tagged = TaggedClaim.objects.filter(content_object__status=Claim.Status.PUBLISHED, tag__slug=filters.tag)
        if not tagged.exists():
            raise ApiError(400, f"No published claim has the tag {filters.tag!r}.", {"tag": _public_tags()})
        claims = claims.filter(tagged_items__tag__slug=filters.tag)
    if filters.updated_since is not None:
        since = filters.updated_since
        if timezone.is_naive(since):
            since = since.replace(tzinfo=UTC)
        statements = Assertion.objects.filter(claim=OuterRef("pk"), updated_at__gte=since)
        claims = claims.filter(Q(updated_at__gte=since) | Exists(statements))
    rows, meta = _paginate(request, _claims_with_everything(claims.order_by("pk")), paging)
    return {**meta, "results": [_claim(request, c) for c in rows]}


def _published_claim(slug: str) -> Claim:
    claim = Claim.objects.published().filter(slug=slug).first()
    if claim is None:
        raise _not_found("claim", slug)
    return claim


@api.get("/claims/{slug}", response={200: schemas.ClaimOut, **ERRORS}, tags=["claims"])
def get_claim(request: HttpRequest, slug: str):
    """One published claim. Queries: the claim and five prefetches."""
    claim = _claims_with_everything(Claim.objects.published().filter(slug=slug)).first()
    if claim is None:
        raise _not_found("claim", slug)
    return _claim(request, claim)


@api.get("/claims/{slug}/assertions", response={200: schemas.AssertionPage, **ERRORS}, tags=["claims"])
def list_assertions(request: HttpRequest, slug: str, paging: Query[Paging]):
    """The sources' statements of a published claim: quote, offset, stance, cited study and its fidelity, by source
    and place. Queries: the claim, the count, the page with sources and cited studies."""
    claim = _published_claim(slug)
    assertions = (
        claim.assertions.select_related("source", "cited_study")
        .defer("source__text")
        .order_by("source__slug", "offset", "pk")
    )
    rows, meta = _paginate(request, assertions, paging)
    results = [
        {
            "source": {
                "slug": a.source.slug,
                "name": a.source.title,
                "url": _url(request, a.source.get_absolute_url()),
            },
            "quote": a.quote,
            "offset": a.offset,
            "stance": a.stance,
            "cited_study": _study_ref(request, a.cited_study) if a.cited_study_id else None,
            "citation_fidelity": a.citation_fidelity,
            "fidelity_note": a.fidelity_note,
        }
        for a in rows
    ]
    return {**meta, "results": results}


# --- sources and studies ----------------------------------------------------------------------------------------


def _source(request: HttpRequest, source: Source) -> dict:
    return {
        "slug": source.slug,
        "url": _url(request, source.get_absolute_url()),
        "title": source.title,
        "original_url": source.url,
        "author": source.author,
        "publisher": source.publisher,
        "published_on": source.published_on,
        "accessed_on": source.accessed_on,
        "kind": source.kind,
        "commercial_interest": source.commercial_interest,
        "commercial_interest_note": source.commercial_interest_note,
        "text_sha256": source.text_sha256,
        "updated_at": source.updated_at,
    }


@api.get("/sources", response={200: schemas.SourcePage, **ERRORS}, tags=["sources"])
def list_sources(request: HttpRequest, paging: Query[Paging]):
    """Sources that state a published claim, in the order they were added (without their text).
    Queries: the count and the page."""
    sources = Source.objects.public().defer("text").order_by("pk")
    rows, meta = _paginate(request, sources, paging)
    return {**meta, "results": [_source(request, s) for s in rows]}


@api.get("/sources/{slug}", response={200: schemas.SourceDetail, **ERRORS}, tags=["sources"])
def get_source(request: HttpRequest, slug: str):
    """A source with its archived text. One query."""
    source = Source.objects.public().filter(slug=slug).first()
    if source is None:
        raise _not_found("source", slug)
    return {**_source(request, source), "text": source.text}


def _study(request: HttpRequest, study: Study) -> dict:
    cite = {fmt: _url(request, reverse("sources:study_cite", args=[study.slug, fmt])) for fmt in ("ris", "bib", "json")}
    return {
        **{
            name: getattr(study, name)
            for name in (
                "slug", "label", "authors", "title", "journal", "year", "volume", "pages", "doi", "pmid", "design",
                "population", "sample_size", "summary",
            )
        },
        "url": _url(request, study.get_absolute_url()),
        "document_url": study.url,
        "cite": cite,
    }  # fmt: skip


@api.get("/studies", response={200: schemas.StudyPage, **ERRORS}, tags=["studies"])
def list_studies(request: HttpRequest, paging: Query[Paging]):
    """Studies a published claim rests on or whose statements cite, in the order they were added.
    Queries: the count and the page."""
    rows, meta = _paginate(request, Study.objects.public().order_by("pk"), paging)
    return {**meta, "results": [_study(request, s) for s in rows]}


@api.get("/studies/{slug}", response={200: schemas.StudyOut, **ERRORS}, tags=["studies"])
def get_study(request: HttpRequest, slug: str):
    """One study. One query."""
    study = Study.objects.public().filter(slug=slug).first()
    if study is None:
        raise _not_found("study", slug)
    return _study(request, study)
