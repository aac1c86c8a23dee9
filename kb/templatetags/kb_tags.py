from __future__ import annotations

from urllib.parse import urlsplit

from django import template
from django.utils.html import strip_tags

from claims.answers import VERDICT_SYMBOLS, measure_abbreviation
from claims.presentation import VERDICT_LABELS
from kb.markdown import render_markdown

register = template.Library()


@register.filter(name="markdown")
def markdown_filter(text: str | None):
    """``{{ claim.rationale|markdown }}``: sanitized HTML from the one Markdown helper."""
    return render_markdown(text)


@register.filter(name="grade_label")
def grade_label(value: str) -> str:
    """``very_low`` → ``Very low``."""
    from claims.models import Grade

    try:
        return Grade(value).label
    except ValueError:
        return value


@register.filter(name="statement_counts")
def statement_counts_filter(claim) -> str:
    """``{{ claim|statement_counts }}``: "6 statements: 2 support, 4 contradict, 0 qualify" (stored counts)."""
    from claims.presentation import statement_counts

    return statement_counts(claim)


@register.simple_tag(name="claim_rows")
def claim_rows_tag(claims):
    """``{% claim_rows page.object_list %}``: the rows of a list of claims (see ``claims.presentation``)."""
    from claims.presentation import claim_rows

    return claim_rows(claims)


@register.simple_tag(name="site_name")
def site_name_tag() -> str:
    """``{% site_name %}``: the site's name from the settings, for templates rendered without a request (500.html,
    where no context processor runs)."""
    from django.conf import settings

    return settings.KB_SITE_NAME


# Wording for values shown inside sentences, where a choice's label alone does not read ("Inconclusive the claim",
# "Citation wrong study").
DIRECTION_VERBS = {"supports": "supports", "contradicts": "contradicts", "inconclusive": "is inconclusive about"}
CITATION_VERDICTS = {
    "accurate": "accurate",
    "overstated": "overstated",
    "misattributed": "misattributed",
    "wrong_study": "of the wrong study",
    "not_checked": "not checked yet",
}


@register.filter(name="direction_verb")
def direction_verb(value: str) -> str:
    """An Evidence direction as a verb for "this study … the claim": ``inconclusive`` → "is inconclusive about"."""
    return DIRECTION_VERBS.get(value, value)


@register.filter(name="citation_verdict")
def citation_verdict(value: str) -> str:
    """A citation fidelity as it reads after "citation": ``wrong_study`` → "of the wrong study"."""
    return CITATION_VERDICTS.get(value, value.replace("_", " "))


@register.filter(name="inline")
def inline_sentence(text: str) -> str:
    """A claim's text (a sentence) without its final full stop, for use inside a sentence that goes on or ends
    with punctuation of its own ("… for Ketamine reduces PTSD symptom severity. Citation …", not "severity..")."""
    text = text or ""
    return text[:-1] if text.endswith(".") and not text.endswith("..") else text


@register.filter(name="verdict_label")
def verdict_label(value: str) -> str:
    """``partly_supported`` → "Partly supported"."""
    return VERDICT_LABELS.get(value, value)


@register.filter(name="verdict_symbol")
def verdict_symbol(value: str) -> str:
    return VERDICT_SYMBOLS.get(value, "")


@register.filter(name="measure_abbreviation")
def measure_abbreviation_filter(value: str) -> str:
    """``odds_ratio`` → "OR", as Summary of Findings tables write effect measures."""
    return measure_abbreviation(value)


@register.filter(name="plain_text")
def plain_text(text: str) -> str:
    """Markdown as plain words (for a meta description): rendered, sanitised, then stripped of tags."""
    return " ".join(strip_tags(render_markdown(text or "")).split())


@register.filter(name="domain")
def domain(url: str) -> str:
    """The host a link leads to ("www.cochranelibrary.com"), for a link whose words should say where it goes."""
    return urlsplit(url or "").hostname or url
