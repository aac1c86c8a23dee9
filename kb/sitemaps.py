from __future__ import annotations

from django.contrib.sitemaps import Sitemap
from django.contrib.sitemaps.views import sitemap
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from taggit.models import Tag

from claims.models import Claim
from claims.public import PublicConditions
from kb.cache import check_page_number
from sources.models import Source, Study


class StaticSitemap(Sitemap):
    def items(self) -> list[str]:
        return [
            "home",
            "claims:condition_list",
            "claims:about_grading",
            "claims:disagreements",
            "claims:matrix",
            "claims:tag_list",
            "sources:source_list",
            "sources:study_list",
        ]

    def location(self, item: str) -> str:
        return reverse(item)


class ClaimSitemap(Sitemap):
    limit = 5000

    def items(self):
        return Claim.objects.published().order_by("pk").only("slug", "updated_at")

    def lastmod(self, claim: Claim):
        return claim.updated_at


class ConditionSitemap(Sitemap):
    def items(self):
        return PublicConditions().conditions  # a condition only draft claims use stays private


class SourceSitemap(Sitemap):
    limit = 5000

    def items(self):
        return Source.objects.public().order_by("pk").only("slug", "updated_at")

    def lastmod(self, source: Source):
        return source.updated_at


class StudySitemap(Sitemap):
    limit = 5000

    def items(self):
        return Study.objects.public().order_by("pk").only("slug")


class TagSitemap(Sitemap):
    def items(self):
        # Only tags with at least one published claim have a page.
        return (
            Tag.objects.filter(claims_taggedclaim_items__content_object__status=Claim.Status.PUBLISHED)
            .distinct()
            .order_by("pk")
        )

    def location(self, tag: Tag) -> str:
        return reverse("claims:tag_detail", args=[tag.slug])


SITEMAPS = {
    "static": StaticSitemap,
    "conditions": ConditionSitemap,
    "claims": ClaimSitemap,
    "sources": SourceSitemap,
    "studies": StudySitemap,
    "tags": TagSitemap,
}


def sitemap_page(request: HttpRequest, sitemaps: dict) -> HttpResponse:
    """Django's sitemap view; a page number spelled otherwise than its links (``?p=01``) is served but not stored
    in the page cache (Django answers 404 for one that is not a number or past the last page)."""
    response = sitemap(request, sitemaps)
    p = request.GET.get("p")
    if p is not None and p.isdigit():
        check_page_number(request, int(p), "p")
    return response
