from __future__ import annotations

from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from claims.models import Claim, Condition


def home(request: HttpRequest) -> HttpResponse:
    conditions = Condition.objects.annotate(
        n_claims=Count("claims", filter=Q(claims__status=Claim.Status.PUBLISHED))
    ).order_by("name")
    return render(request, "claims/home.html", {"conditions": conditions})


def condition_detail(request: HttpRequest, slug: str) -> HttpResponse:
    condition = get_object_or_404(Condition, slug=slug)
    claims = Claim.objects.published().for_condition(condition).order_by("category", "text")
    return render(request, "claims/condition_detail.html", {"condition": condition, "claims": claims})


def claim_detail(request: HttpRequest, slug: str) -> HttpResponse:
    claim = get_object_or_404(Claim.objects.published(), slug=slug)
    assertions = claim.assertions.select_related("source", "cited_study").order_by("source__title", "offset")
    return render(request, "claims/claim_detail.html", {"claim": claim, "assertions": assertions})
