"""Public pages for sources (articles) and studies, and the side-by-side comparison of two sources."""

from __future__ import annotations

from collections import Counter, defaultdict

from django.db.models import Count, OuterRef
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from claims.forms import CompareForm
from claims.models import Assertion, Claim, Evidence
from claims.presentation import StanceTally, grade_distribution, highlight_segments
from kb.cache import cache_public_page, check_form, skip_storing
from kb.pagination import paginate, query_without_page
from kb.queries import correlated_count
from sources.citations import citation_response
from sources.models import Source, Study

SOURCES_PER_PAGE = 50
STUDIES_PER_PAGE = 50
STUDY_CLAIMS_PER_PAGE = 50
STUDY_CITATIONS_PER_PAGE = 50


def _public_assertions():
    return Assertion.objects.public().select_related("claim", "cited_study")


@cache_public_page
def source_list(request: HttpRequest) -> HttpResponse:
    # Queries: count, page of sources annotated with public claim counts (counted for that page only): the claims
    # each discusses, and those it supports (a source "makes" a claim only by supporting it).
    public = Assertion.objects.public().filter(source=OuterRef("pk"))
    supporting = public.filter(stance=Assertion.Stance.SUPPORTS)
    sources = (
        Source.objects.public()
        .defer("text")
        .annotate(
            n_claims=correlated_count(public, "source", "claim", distinct=True),
            n_supported=correlated_count(supporting, "source", "claim", distinct=True),
        )
        .by_title()
    )
    page = paginate(request, sources, SOURCES_PER_PAGE)
    return render(request, "sources/source_list.html", {"page": page, "querystring": query_without_page(request)})


@cache_public_page
def source_detail(request: HttpRequest, slug: str) -> HttpResponse:
    # Queries: source, its assertions of published claims with claims and cited studies.
    source = get_object_or_404(Source, slug=slug)
    assertions = list(_public_assertions().filter(source=source).order_by("offset", "pk"))
    if not assertions:  # no statement of a published claim yet: the source is not public (Source.objects.public())
        raise Http404("No such source.")
    for number, assertion in enumerate(assertions, start=1):
        assertion.number = number
    claims = StanceTally.of(assertions, "claim_id")  # the claims it discusses, per stance it takes on them
    supported = {a.claim_id: a.claim for a in assertions if a.stance == "supports"}
    citations = [a for a in assertions if a.cited_study_id]
    return render(
        request,
        "sources/source_detail.html",
        {
            "source": source,
            "assertions": assertions,
            "claim_count": claims.groups,
            "claim_stances": claims.per_stance,
            "mixed_claims": claims.mixed,
            "distribution": grade_distribution([c.grade for c in supported.values()]),
            "citations": citations,
            "fidelity": sorted(Counter(a.get_citation_fidelity_display() for a in citations).items()),
            "segments": highlight_segments(source.text, assertions),
        },
    )


@cache_public_page
def study_list(request: HttpRequest) -> HttpResponse:
    # Queries: count, page of public studies with their public claim and citation counts (counted for that page
    # only). A study only draft claims use is left out (Study.objects.public()).
    evidence = Evidence.objects.filter(study=OuterRef("pk"), claim__status=Claim.Status.PUBLISHED)
    citations = Assertion.objects.public().filter(cited_study=OuterRef("pk"))
    studies = (
        Study.objects.public()
        .annotate(
            n_claims=correlated_count(evidence, "study", "claim", distinct=True),
            n_citations=correlated_count(citations, "cited_study"),
        )
        .by_label()
    )
    page = paginate(request, studies, STUDIES_PER_PAGE)
    return render(request, "sources/study_list.html", {"page": page, "querystring": query_without_page(request)})


@cache_public_page
def study_detail(request: HttpRequest, slug: str) -> HttpResponse:
    # Queries: study, count + page of published claims resting on it, citations counted by fidelity (which also
    # gives their page count), page of citations with sources and claims. A much-cited study has thousands of
    # citations in a large knowledge base: both lists are paginated, each with its own page parameter.
    study = get_object_or_404(Study.objects.public(), slug=slug)  # a study only draft claims use is private
    evidence = study.evidence.filter(claim__status=Claim.Status.PUBLISHED).select_related("claim")
    evidence = evidence.only(
        "study", "direction", "note", "claim__text", "claim__slug", "claim__grade", "claim__statement_type"
    )
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


def study_cite(request: HttpRequest, slug: str, fmt: str) -> HttpResponse:
    """The study as RIS, BibTeX or CSL-JSON, when a published claim uses it (``Study.objects.public()``). One query."""
    study = Study.objects.public().filter(slug=slug).first()
    if study is None:
        raise Http404("No such study.")
    return citation_response([study], fmt, study.slug)


SUPPORTS = Assertion.Stance.SUPPORTS


def _comparison(claims: dict[int, Claim], in_a: dict[int, list[Assertion]], in_b: dict[int, list[Assertion]]) -> dict:
    """Sort the claims two sources discuss into the compare page's sections (one query: conflicting pairs).

    As on the disagreements page, a source *makes* (asserts) a claim only with a supporting statement; a
    contradicting or qualifying one counts against it. So the sources disagree on a claim when one asserts it and
    the other's stances differ (it contradicts or qualifies it, or does both where the first does not); they make it
    together when both assert it with the same stances; a claim neither asserts, or that only one of them discusses
    without asserting it, is listed apart with its stances, never as a claim made.
    """

    def by_text(ids) -> list[int]:
        return sorted(ids, key=lambda pk: (claims[pk].text.lower(), pk))

    def stances(assertions: list[Assertion]) -> list[str]:
        """Distinct stances in the order of ``Stance`` (supports, contradicts, qualifies)."""
        present = {x.stance for x in assertions}
        return [s for s in Assertion.Stance.values if s in present]

    both, disagree, neither = [], [], []
    for pk in by_text(in_a.keys() & in_b.keys()):
        sa, sb = stances(in_a[pk]), stances(in_b[pk])
        if SUPPORTS not in sa and SUPPORTS not in sb:
            neither.append((claims[pk], sa, sb))
        elif sa != sb:
            disagree.append((claims[pk], in_a[pk], in_b[pk]))
        else:
            # Both assert it; any other stance is one each also takes (each article also qualifies itself).
            both.append((claims[pk], [s for s in sa if s != SUPPORTS]))

    def only(mine: dict[int, list[Assertion]], theirs: dict[int, list[Assertion]]) -> tuple[list, list]:
        ids = by_text(mine.keys() - theirs.keys())
        asserted = [claims[pk] for pk in ids if SUPPORTS in stances(mine[pk])]
        against = [(claims[pk], stances(mine[pk])) for pk in ids if SUPPORTS not in stances(mine[pk])]
        return asserted, against

    def supporting(assertions: list[Assertion]) -> list[Assertion]:
        return [x for x in assertions if x.stance == SUPPORTS]

    made_a = {pk for pk, items in in_a.items() if supporting(items)}
    made_b = {pk for pk, items in in_b.items() if supporting(items)}
    # Claims that cannot both be true, one asserted by each source; the quotes shown are the asserting ones.
    through = Claim.conflicting_claims.through
    pairs = through.objects.filter(from_claim_id__in=made_a, to_claim_id__in=made_b)
    conflicts = [
        (claims[f], supporting(in_a[f]), claims[t], supporting(in_b[t]))
        for f, t in pairs.order_by().values_list("from_claim_id", "to_claim_id")
    ]
    conflicts.sort(key=lambda row: (row[0].text.lower(), row[2].text.lower()))
    only_a, only_a_against = only(in_a, in_b)
    only_b, only_b_against = only(in_b, in_a)
    return {
        "both": both,
        "disagree": disagree,
        "neither": neither,
        "conflicts": conflicts,
        "only_a": only_a,
        "only_a_against": only_a_against,
        "only_b": only_b,
        "only_b_against": only_b_against,
    }


@cache_public_page
def compare(request: HttpRequest) -> HttpResponse:
    # Queries: the source choices (once for both lists), the two sources, their public assertions,
    # conflicting-claim links between them.
    # Both sources named (even empty): check them. Only one (a link from a source page): preselect it, no errors,
    # but say so when it names no source.
    chosen = {name: request.GET.get(name) for name in ("a", "b") if name in request.GET}
    form = CompareForm(request.GET) if len(chosen) == 2 else CompareForm(initial=chosen)
    unknown = [slug for slug in chosen.values() if slug and len(chosen) == 1 and slug not in form.slugs]
    check_form(request, form)
    if unknown:
        skip_storing(request)
    context: dict = {"form": form, "unknown": unknown}
    if form.is_valid():
        a, b = form.cleaned_data["a"], form.cleaned_data["b"]
        by_source: dict[int, dict[int, list[Assertion]]] = {a.pk: defaultdict(list), b.pk: defaultdict(list)}
        claims = {}
        for assertion in _public_assertions().filter(source__in=[a, b]).order_by("claim__text", "offset"):
            by_source[assertion.source_id][assertion.claim_id].append(assertion)
            claims[assertion.claim_id] = assertion.claim
        context.update(a=a, b=b, **_comparison(claims, by_source[a.pk], by_source[b.pk]))
    return render(request, "sources/compare.html", context)
