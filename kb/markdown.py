"""The one place user-written Markdown becomes HTML.

Editors write rationales, notes and summaries in Markdown. It is rendered here and sanitized with nh3 so
that nothing an editor (or an imported file) writes can inject script into a public page.
"""

from __future__ import annotations

import markdown as _markdown
import nh3
from django.utils.safestring import SafeString, mark_safe

_ALLOWED_TAGS = {
    "p", "br", "hr", "em", "strong", "code", "pre", "blockquote", "ul", "ol", "li",
    "h3", "h4", "h5", "h6", "a", "sup", "sub", "table", "thead", "tbody", "tr", "th", "td",
}  # fmt: skip
_ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "th": {"scope"}}


def render_markdown(text: str | None) -> SafeString:
    """Render Markdown to sanitized HTML (headings are shifted below the page's own h1/h2)."""
    if not text:
        return mark_safe("")
    html = _markdown.markdown(text, extensions=["tables", "sane_lists"], output_format="html")
    # Page templates own h1/h2; user headings start at h3 so the outline stays valid.
    for level in (2, 1):
        html = html.replace(f"<h{level}>", f"<h{level + 2}>").replace(f"</h{level}>", f"</h{level + 2}>")
    cleaned = nh3.clean(
        html,
        tags=_ALLOWED_TAGS,
        attributes=_ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="nofollow noopener",
    )
    return mark_safe(cleaned)  # noqa: S308 - sanitized by nh3 just above
