"""Public pages for sources (articles) and studies, and the side-by-side comparison of two sources."""

from __future__ import annotations

from collections import Counter, defaultdict

from django.db.models import Count, OuterRef
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from claims.forms import CompareForm
from claims.models import Assertion, Claim, Evidence
from claims.presentation import grade_distribution, highlight_segments
from kb.cache import cache_public_page
from kb.pagination import paginate, query_without_page
from kb.queries import correlated_count
from sources.models import Source, Study

SOURCES_PER_PAGE = 50
STUDIES_PER_PAGE = 50
STUDY_CLAIMS_PER_PAGE = 50
STUDY_CITATIONS_PER_PAGE = 50


def _public_assertions():
    return Assertion.objects.public().select_related("claim", "cited_study")


@cache_public_page
def source_list(request: HttpRequest) -> HttpResponse:
    # Queries: count, page of sources annotated with public claim counts (counted for that page only).
    public = Assertion.objects.public().filter(source=OuterRef("pk"))
    sources = (
        Source.objects.defer("text")
        .annotate(n_claims=correlated_count(public, "source", "claim", distinct=True))
        .by_title()
    )
    page = paginate(request, sources, SOURCES_PER_PAGE)
    return render(request, "sources/source_list.html", {"page": page, "querystring": query_without_page(request)})


@cache_public_page
def source_detail(request: HttpRequest, slug: str) -> HttpResponse:
    # Queries: source, its assertions of published claims with claims and cited studies.
    source = get_object_or_404(Source, slug=slug)
    assertions = list(_public_assertions().filter(source=source).order_by("offset", "pk"))
    for number, assertion in enumerate(assertions, start=1):
        assertion.number = number
    claims = {}
    for assertion in assertions:
        claims.setdefault(assertion.claim_id, assertion.claim)
    supported = {a.claim_id: a.claim for a in assertions if a.stance == "supports"}
    citations = [a for a in assertions if a.cited_study_id]
    return render(
        request,
        "sources/source_detail.html",
        {
            "source": source,
            "assertions": assertions,
            "claim_count": len(claims),
            "stances": dict(Counter(a.stance for a in assertions)),
            "distribution": grade_distribution([c.grade for c in supported.values()]),
            "citations": citations,
            "fidelity": sorted(Counter(a.get_citation_fidelity_display() for a in citations).items()),
            "segments": highlight_segments(source.text, assertions),
        },
    )


@cache_public_page
def study_list(request: HttpRequest) -> HttpResponse:
    # Queries: count, page of studies with their public claim and citation counts (counted for that page only).
    evidence = Evidence.objects.filter(study=OuterRef("pk"), claim__status=Claim.Status.PUBLISHED)
    citations = Assertion.objects.public().filter(cited_study=OuterRef("pk"))
    studies = Study.objects.annotate(
        n_claims=correlated_count(evidence, "study", "claim", distinct=True),
        n_citations=correlated_count(citations, "cited_study"),
    ).by_label()
    page = paginate(request, studies, STUDIES_PER_PAGE)
    return render(request, "sources/study_list.html", {"page": page, "querystring": query_without_page(request)})


@cache_public_page
def study_detail(request: HttpRequest, slug: str) -> HttpResponse:
    # Queries: study, count + page of published claims resting on it, citations counted by fidelity (which also
    # gives their page count), page of citations with sources and claims. A much-cited study has thousands of
    # citations in a large knowledge base: both lists are paginated, each with its own page parameter.
    study = get_object_or_404(Study, slug=slug)
    evidence = study.evidence.filter(claim__status=Claim.Status.PUBLISHED).select_related("claim")
    evidence = evidence.only("study", "direction", "note", "claim__text", "claim__slug", "claim__grade")
    claims_page = paginate(request, evidence.order_by("claim__text", "pk"), STUDY_CLAIMS_PER_PAGE, param="claims_page")
    citations = Assertion.objects.public().filter(cited_study=study)
    by_fidelity = dict(citations.values_list("citation_fidelity").annotate(n=Count("pk")).order_by())
    labels = dict(Assertion.Fidelity.choices)
    citations_page = paginate(
        request,
        citations.select_related("source", "claim")
        .only(
            "quote", "citation_fidelity", "fidelity_note", "source__slug", "source__title", "claim__slug",
            "claim__text",
        )
        .order_by("source__title", "offset", "pk"),
        STUDY_CITATIONS_PER_PAGE,
        count=sum(by_fidelity.values()),
        param="citations_page",
    )  # fmt: skip
    return render(
        request,
        "sources/study_detail.html",
        {
            "study": study,
            "claims_page": claims_page,
            "citations_page": citations_page,
            "fidelity": sorted((labels[value], n) for value, n in by_fidelity.items()),
            "claims_querystring": query_without_page(request, "claims_page"),
            "citations_querystring": query_without_page(request, "citations_page"),
        },
    )


@cache_public_page
def compare(request: HttpRequest) -> HttpResponse:
    # Queries: the source choices (once for both lists), the two sources, their public assertions,
    # conflicting-claim links between them.
    # Both sources named (even empty): check them. Only one (a link from a source page): preselect it, no errors,
    # but say so when it names no source.
    chosen = {name: request.GET.get(name) for name in ("a", "b") if name in request.GET}
    form = CompareForm(request.GET) if len(chosen) == 2 else CompareForm(initial=chosen)
    unknown = [slug for slug in chosen.values() if slug and len(chosen) == 1 and slug not in form.slugs]
    context: dict = {"form": form, "unknown": unknown}
    if form.is_valid():
        a, b = form.cleaned_data["a"], form.cleaned_data["b"]
        by_source: dict[int, dict[int, list[Assertion]]] = {a.pk: defaultdict(list), b.pk: defaultdict(list)}
        claims = {}
        for assertion in _public_assertions().filter(source__in=[a, b]).order_by("claim__text", "offset"):
            by_source[assertion.source_id][assertion.claim_id].append(assertion)
            claims[assertion.claim_id] = assertion.claim
        in_a, in_b = set(by_source[a.pk]), set(by_source[b.pk])

        def stances(assertions: list[Assertion]) -> set[str]:
            return {x.stance for x in assertions}

        both, disagree = [], []
        for claim_id in sorted(in_a & in_b, key=lambda pk: claims[pk].text.lower()):
            row = (claims[claim_id], by_source[a.pk][claim_id], by_source[b.pk][claim_id])
            if stances(row[1]) != stances(row[2]):
                disagree.append(row)
            else:
                both.append(row)
        through = Claim.conflicting_claims.through
        conflicts = [
            (claims[f], by_source[a.pk][f], claims[t], by_source[b.pk][t])
            for f, t in through.objects.filter(from_claim_id__in=in_a, to_claim_id__in=in_b).values_list(
                "from_claim_id", "to_claim_id"
            )
        ]
        context.update(
            a=a,
            b=b,
            both=both,
            disagree=disagree,
            conflicts=conflicts,
            only_a=[(claims[pk], by_source[a.pk][pk]) for pk in sorted(in_a - in_b, key=lambda pk: claims[pk].text)],
            only_b=[(claims[pk], by_source[b.pk][pk]) for pk in sorted(in_b - in_a, key=lambda pk: claims[pk].text)],
        )
    return render(request, "sources/compare.html", context)
