from __future__ import annotations

from django import template

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
