"""Finding a quote in a source's archived text."""

from __future__ import annotations

import re


def locate_quote(text: str, quote: str, occurrence: int = 1) -> tuple[int, str] | None:
    """Return ``(offset, exact_quote)`` for the ``occurrence``-th match of ``quote`` in ``text``.

    An exact match is tried first. Failing that, the quote is matched whitespace-insensitively (line breaks,
    double spaces and non-breaking spaces in either text do not matter), and the exact characters of the
    archived text are returned, so that what is stored is always a verbatim substring. ``None`` when the
    quote is not there.
    """
    quote = quote.strip()
    if not quote or occurrence < 1:
        return None
    start = -1
    for _ in range(occurrence):
        start = text.find(quote, start + 1)
        if start < 0:
            break
    if start >= 0:
        return start, quote
    words = quote.split()
    pattern = re.compile(r"\s+".join(re.escape(word) for word in words))
    matches = list(pattern.finditer(text))
    if len(matches) < occurrence:
        return None
    match = matches[occurrence - 1]
    return match.start(), match.group(0)


def quote_occurrences(text: str, quote: str) -> list[tuple[int, str]]:
    """Every place ``quote`` appears in ``text``, as ``(offset, exact_quote)``: exact matches, or failing those,
    whitespace-insensitive ones (as ``locate_quote`` finds them)."""
    quote = quote.strip()
    if not quote:
        return []
    found, start = [], text.find(quote)
    while start >= 0:
        found.append((start, quote))
        start = text.find(quote, start + 1)
    if found:
        return found
    pattern = re.compile(r"\s+".join(re.escape(word) for word in quote.split()))
    return [(match.start(), match.group(0)) for match in pattern.finditer(text)]


def relocate_quote(old_text: str, new_text: str, quote: str, old_offset: int | None) -> tuple[int, str] | None:
    """Where a quote that sat at ``old_offset`` in ``old_text`` is in ``new_text``: when the quote appears as often
    in both, at the same occurrence (the third "works within hours" stays the third); otherwise at the occurrence
    nearest its old place, shifted by how much the text before it grew or shrank. ``None`` when it is gone."""
    new = quote_occurrences(new_text, quote)
    if not new:
        return None
    old = quote_occurrences(old_text, quote) if old_offset is not None else []
    starts = [offset for offset, _ in old]
    if old_offset in starts and len(old) == len(new):
        return new[starts.index(old_offset)]
    if old_offset is None:
        return new[0]
    shift = len(new_text) - len(old_text)
    return min(new, key=lambda match: min(abs(match[0] - old_offset), abs(match[0] - old_offset - shift)))


def locate_quote_from(text: str, quote: str, start: int, end: int) -> tuple[int, str] | None:
    """Like ``locate_quote``, for the first match that begins within ``text[start:end]`` (it may run past ``end``):
    where a quote taken from a given sentence is, when the same words also appear elsewhere in the text."""
    quote = quote.strip()
    if not quote:
        return None
    found = text.find(quote, start)
    if 0 <= found < end:
        return found, quote
    pattern = re.compile(r"\s+".join(re.escape(word) for word in quote.split()))
    match = pattern.search(text, start)
    if match is not None and match.start() < end:
        return match.start(), match.group(0)
    return None
