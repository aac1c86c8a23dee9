"""schema.org ClaimReview for a claim's page (the JSON-LD that search engines and fact-check aggregators read)."""

from __future__ import annotations

import html
import json

from django.http import HttpRequest
from django.utils.html import strip_tags
from django.utils.safestring import mark_safe
from django.utils.text import Truncator

from claims.answers import VERDICT_RATINGS
from claims.models import Claim, Stance
from kb.markdown import render_markdown


def _certainty_words(claim: Claim) -> str:
    """ "moderate certainty", or what a good-practice statement has instead."""
    if claim.is_good_practice:
        return "good-practice statement, not rated for certainty"
    return f"{claim.get_grade_display().lower()} certainty"


def claim_review_jsonld(request: HttpRequest, claim: Claim, assertions, site_name: str) -> str:
    """schema.org ClaimReview for the claim page, escaped for embedding in a <script> element.

    The claim's appearances (and its first appearance) are the sources that assert it: a source that only
    contradicts or qualifies it is not where the claim appears, however early it was published.
    """
    sources = []
    seen = set()
    for assertion in assertions:
        if assertion.stance != Stance.SUPPORTS:
            continue
        source = assertion.source
        if source.pk in seen:
            continue
        seen.add(source.pk)
        sources.append(source)
    appearances = [
        {
            "@type": "CreativeWork",
            "url": source.url or request.build_absolute_uri(source.get_absolute_url()),
            "name": source.title,
            **({"author": {"@type": "Person", "name": source.author}} if source.author else {}),
            **({"publisher": {"@type": "Organization", "name": source.publisher}} if source.publisher else {}),
        }
        for source in sources
    ]
    dated = [s for s in sources if s.published_on]
    first = min(dated, key=lambda s: s.published_on) if dated else (sources[0] if sources else None)
    # The rationale rendered as the page shows it, then as plain text: strip_tags() leaves the HTML entities the
    # renderer wrote ("&amp;"), which are undone here, or json.dumps() would carry them into the data verbatim and
    # readers of the JSON would see "Morgan &amp; Curran". The markup characters are escaped for <script> below.
    explanation = " ".join(html.unescape(strip_tags(render_markdown(claim.rationale))).split())
    if claim.summary:
        explanation = f"{claim.summary} {explanation}"
    explanation = Truncator(explanation).chars(600)
    item: dict = {"@type": "Claim"}
    if appearances:
        item["appearance"] = appearances
    if first is not None:
        item["firstAppearance"] = appearances[sources.index(first)]
    data = {
        "@context": "https://schema.org",
        "@type": "ClaimReview",
        "url": request.build_absolute_uri(claim.get_absolute_url()),
        "claimReviewed": claim.text,
        "datePublished": (claim.published_at or claim.updated_at).date().isoformat(),
        "author": {"@type": "Organization", "name": site_name, "url": request.build_absolute_uri("/")},
        "itemReviewed": item,
        # The verdict is the rating (5 supported … 1 contradicted, as fact-checkers publish); the certainty of the
        # evidence behind it is named beside it.
        "reviewRating": {
            "@type": "Rating",
            "ratingValue": VERDICT_RATINGS[claim.verdict],
            "bestRating": 5,
            "worstRating": 1,
            "alternateName": f"{claim.get_verdict_display()} ({_certainty_words(claim)})",
            "ratingExplanation": explanation,
        },
    }
    text = json.dumps(data, ensure_ascii=False, indent=2)
    # Inside <script>, only these characters could end the element or start markup.
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return mark_safe(text)  # noqa: S308 - JSON with markup characters escaped above
