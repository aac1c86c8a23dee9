"""Downloads of public content: a claim's or a condition's studies as citations, a condition's claims as CSV.

Published content only, as on the pages: a draft claim's download is a 404, a condition's downloads cover the claims
its page lists, and a condition no published claim is about is a 404 (``claims.public``).
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict

from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse

from claims.answers import GRADE_RANK, VERDICT_RANK
from claims.models import Assertion, Claim, Condition, Grade, Stance, Verdict, key_studies
from claims.public import PublicConditions
from sources.citations import citation_response
from sources.models import Study


def _evidence_studies(claims) -> list[Study]:
    """The studies in the evidence bases of ``claims`` (a queryset), each once, oldest first (one query)."""
    studies = Study.objects.filter(evidence__claim__in=claims).distinct()
    return list(studies.order_by("year", "label", "pk"))


def claim_cite(request: HttpRequest, slug: str, fmt: str) -> HttpResponse:
    """A published claim's whole evidence base as RIS, BibTeX or CSL-JSON. Queries: the claim, its studies."""
    claim = Claim.objects.published().filter(slug=slug).only("pk", "slug").first()
    if claim is None:
        raise Http404("No such claim.")
    return citation_response(_evidence_studies([claim.pk]), fmt, f"{claim.slug}-evidence")


def _public_condition(slug: str) -> tuple[Condition, PublicConditions]:
    tree = PublicConditions()
    condition = tree.get(slug)
    if condition is None:
        raise Http404("No such condition.")
    return condition, tree


def condition_cite(request: HttpRequest, slug: str, fmt: str) -> HttpResponse:
    """Every study behind a condition page (the evidence of the claims it lists). Queries: conditions, studies."""
    condition, tree = _public_condition(slug)
    claims = tree.claims_of(condition).values("pk")
    return citation_response(_evidence_studies(claims), fmt, f"{condition.slug}-studies")


# A spreadsheet runs a cell starting with one of these as a formula (=HYPERLINK(…), +cmd|…, -2+3, @SUM(…)); tab and
# carriage return can start one too after the spreadsheet trims them. OWASP's advice: prefix a single quote.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

CSV_COLUMNS = (
    "slug", "claim", "category", "verdict", "certainty", "sources supporting", "sources contradicting",
    "sources qualifying", "key study", "url",
)  # fmt: skip


def neutralise(value: object) -> object:
    """A cell a spreadsheet shows as text, never evaluates: text starting like a formula gets a leading quote."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def _sources_per_stance(claims: list[Claim]) -> dict[tuple[int, str], int]:
    """How many distinct sources take each stance on each claim (one query; a source that both supports and
    qualifies a claim counts under both)."""
    rows = (
        Assertion.objects.filter(claim__in=[c.pk for c in claims])
        .values_list("claim_id", "stance")
        .annotate(n=Count("source", distinct=True))
        .order_by()
    )
    counts: dict[tuple[int, str], int] = defaultdict(int)
    for claim_id, stance, n in rows:
        counts[(claim_id, stance)] = n
    return counts


def condition_csv(request: HttpRequest, slug: str) -> HttpResponse:
    """The claims a condition's page lists, one row each, in the page's order within each category (what the
    evidence supports first, then by certainty). Queries: conditions, claims, key studies, sources per stance."""
    condition, tree = _public_condition(slug)
    claims = list(tree.claims_of(condition).for_listing().order_by("category", "text", "pk"))
    claims.sort(key=lambda c: (c.category, VERDICT_RANK.get(c.verdict, 99), GRADE_RANK.get(c.grade, 99)))
    key_studies(claims)
    sources = _sources_per_stance(claims)
    grades, verdicts = dict(Grade.choices), dict(Verdict.choices)
    categories = dict(Claim.Category.choices)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")  # RFC 4180
    writer.writerow(CSV_COLUMNS)
    for claim in claims:
        row = (
            claim.slug,
            claim.text,
            categories[claim.category],
            verdicts[claim.verdict],
            grades[claim.grade],
            sources[(claim.pk, Stance.SUPPORTS)],
            sources[(claim.pk, Stance.CONTRADICTS)],
            sources[(claim.pk, Stance.QUALIFIES)],
            claim.key_study.label if claim.key_study else "",
            request.build_absolute_uri(claim.get_absolute_url()),
        )
        writer.writerow([neutralise(value) for value in row])
    # UTF-8 with a byte-order mark: without it Excel reads the file as the machine's legacy code page ("≥" → "â‰¥").
    response = HttpResponse(("\ufeff" + buffer.getvalue()).encode("utf-8"), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{condition.slug}-claims.csv"'
    return response
