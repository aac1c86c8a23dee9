from __future__ import annotations

from django import template

from kb.markdown import render_markdown

register = template.Library()


@register.filter(name="markdown")
def markdown_filter(text: str | None):
    """``{{ claim.rationale|markdown }}``: sanitized HTML from the one Markdown helper."""
    return render_markdown(text)
