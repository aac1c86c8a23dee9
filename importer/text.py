"""Turning an uploaded file into the readable text that is archived and quoted.

Accepts plain text, Markdown and HTML. HTML keeps its readable text and drops scripts, styles, navigation,
headers, footers, forms and asides; Markdown is rendered and reduced to its text the same way.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

import markdown as _markdown

MAX_BYTES = 2 * 1024 * 1024
FORMATS = ("auto", "text", "markdown", "html")


class InputError(ValueError):
    """The input cannot be imported; the message says why, in words for the person importing."""


_SKIP = {"script", "style", "nav", "header", "footer", "aside", "form", "noscript", "template", "svg", "iframe",
         "button", "select", "head", "title", "menu"}  # fmt: skip
_BLOCK = {"p", "div", "section", "article", "main", "br", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6",
          "blockquote", "pre", "table", "tr", "dd", "dt", "dl", "figure", "figcaption", "hr"}  # fmt: skip


class _TextExtractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skip_depth = 0

    def handle_starttag(self, tag: str, attrs) -> None:
        if tag in _SKIP:
            self.skip_depth += 1
        elif tag in _BLOCK and not self.skip_depth:
            self.parts.append("\n")

    def handle_startendtag(self, tag: str, attrs) -> None:
        if tag in ("br", "hr") and not self.skip_depth:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP:
            self.skip_depth = max(0, self.skip_depth - 1)
        elif tag in _BLOCK and not self.skip_depth:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.skip_depth:
            self.parts.append(data)


def html_to_text(html: str) -> str:
    parser = _TextExtractor()
    parser.feed(html)
    parser.close()
    lines = []
    for line in "".join(parser.parts).splitlines():
        line = re.sub(r"[ \t\u00a0]+", " ", line).strip()
        if line:
            lines.append(line)
    return "\n".join(lines) + "\n" if lines else ""


def markdown_to_text(text: str) -> str:
    return html_to_text(_markdown.markdown(text, extensions=["tables", "sane_lists"]))


# Markdown syntax that plain prose does not use: a "#" heading line starting with a capital or a digit, **bold** or
# __bold__ hugging a word, a [link](address). Signs of two different kinds in a text without a telling file name (a
# paste) make it Markdown; one kind alone does not ("# of patients: 12", "p<0.01**" in a plain article), nor do a
# plain article's "- " lists. An editor pasting Markdown without them chooses "Markdown" as the format.
MARKDOWN_SIGNS = {
    "heading": re.compile(r"(?m)^#{1,6} [A-Z0-9]"),
    "bold": re.compile(r"\*\*\w[^*\n]*?\w\*\*|__\w[^_\n]*?\w__"),
    "link": re.compile(r"\[[^\]\n]+\]\((?:https?://|/|#)[^)\s]*\)"),
}


def guess_format(name: str, text: str) -> str:
    lowered = (name or "").lower()
    if lowered.endswith((".html", ".htm", ".xhtml")):
        return "html"
    if lowered.endswith((".md", ".markdown")):
        return "markdown"
    if lowered.endswith(".txt"):
        return "text"
    head = text[:2000].lower()
    if "<html" in head or "<body" in head or "<!doctype html" in head or re.search(r"<(p|div|article)[\s>]", head):
        return "html"
    if sum(1 for sign in MARKDOWN_SIGNS.values() if sign.search(text[:20000])) >= 2:
        return "markdown"
    return "text"


def decode(raw: bytes, name: str = "input") -> str:
    """Bytes to text: refuse empty, oversized, binary and non-UTF-8 input with a clear reason."""
    if not raw or not raw.strip():
        raise InputError(f"{name} is empty: there is no text to import.")
    if len(raw) > MAX_BYTES:
        raise InputError(f"{name} is {len(raw) / 1048576:.1f} MB; the limit is {MAX_BYTES // 1048576} MB.")
    if b"\x00" in raw[:8192]:
        raise InputError(f"{name} looks like a binary file (it contains NUL bytes), not text.")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(
            f"{name} is not UTF-8 text (undecodable byte at position {exc.start}); save it as UTF-8 and retry."
        ) from None
    controls = sum(1 for ch in text[:8192] if ord(ch) < 32 and ch not in "\n\r\t\f")
    if controls > 0.01 * min(len(text), 8192):
        raise InputError(f"{name} looks like a binary file (many control characters), not text.")
    return text


def readable_text(raw: bytes | str, name: str = "input", fmt: str = "auto") -> str:
    """The text to archive: decoded, converted from HTML or Markdown, with normalised line endings."""
    if fmt not in FORMATS:
        raise InputError(f"Unknown format {fmt!r}; choose one of {', '.join(FORMATS)}.")
    text = decode(raw, name) if isinstance(raw, bytes) else raw
    if len(text.encode("utf-8")) > MAX_BYTES:
        raise InputError(f"{name} is larger than {MAX_BYTES // 1048576} MB.")
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if fmt == "auto":
        fmt = guess_format(name, text)
    if fmt == "html":
        text = html_to_text(text)
    elif fmt == "markdown":
        text = markdown_to_text(text)
    if not text.strip():
        raise InputError(f"{name} has no readable text once markup is removed.")
    return text
