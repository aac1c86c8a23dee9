"""Finding a quote in a source's archived text."""

from __future__ import annotations

import re
from bisect import bisect_right
from difflib import SequenceMatcher
from itertools import accumulate


def _spacing_insensitive(quote: str) -> re.Pattern:
    """The quote's words with any run of whitespace between them (line breaks, double and non-breaking spaces)."""
    return re.compile(r"\s+".join(re.escape(word) for word in quote.split()))


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
    matches = list(_spacing_insensitive(quote).finditer(text))
    if len(matches) < occurrence:
        return None
    match = matches[occurrence - 1]
    return match.start(), match.group(0)


def quote_occurrences(text: str, quote: str) -> list[tuple[int, str]]:
    """Every place ``quote`` appears in ``text``, as ``(offset, exact_quote)``, whitespace-insensitively (a place
    where a newer version broke the line inside the quote still counts); the text's own characters are returned."""
    if not quote.split():
        return []
    return [(match.start(), match.group(0)) for match in _spacing_insensitive(quote).finditer(text)]


class OffsetMap:
    """Maps a position in one version of a text to the same place in the next: first by the lines the two share
    (``difflib`` on lines, fast even for a 2 MB article), then, inside a passage of changed lines (often a whole
    paragraph on one line), by the characters the old and new passage share. A position in unchanged text maps
    exactly; one in rewritten words maps to the same distance after the last shared stretch before it."""

    # Above this (old × new passage length), characters are not compared (difflib is quadratic): the position maps
    # to the same distance into the new passage.
    MAX_PASSAGE_WORK = 25_000_000

    def __init__(self, old_text: str, new_text: str):
        self.old_text, self.new_text = old_text, new_text
        old_lines, new_lines = old_text.splitlines(keepends=True), new_text.splitlines(keepends=True)
        self.old_starts = list(accumulate((len(line) for line in old_lines), initial=0))
        self.new_starts = list(accumulate((len(line) for line in new_lines), initial=0))
        # (old line, new line, lines) of each run of shared lines, in order; the last one is empty.
        self.blocks = SequenceMatcher(None, old_lines, new_lines).get_matching_blocks()
        self._passages: dict = {}

    def __call__(self, offset: int) -> int:
        line = max(0, bisect_right(self.old_starts, offset) - 1)
        before = (0, 0)  # (old line, new line) where the changed passage holding ``offset`` starts
        after = None  # and where the next shared lines start
        for old_line, new_line, size in self.blocks:
            if old_line <= line < old_line + size:
                return self.new_starts[new_line + line - old_line] + offset - self.old_starts[line]
            if old_line + size <= line:
                before = (old_line + size, new_line + size)
            elif after is None:
                after = (old_line, new_line)
        after = after or (len(self.old_starts) - 1, len(self.new_starts) - 1)
        old_start, old_end = self.old_starts[before[0]], self.old_starts[after[0]]
        new_start, new_end = self.new_starts[before[1]], self.new_starts[after[1]]
        return new_start + self._within(old_start, old_end, new_start, new_end, offset - old_start)

    def _within(self, old_start: int, old_end: int, new_start: int, new_end: int, distance: int) -> int:
        """``distance`` into the old passage, as a distance into the new one."""
        if (old_end - old_start) * (new_end - new_start) > self.MAX_PASSAGE_WORK:
            return min(distance, new_end - new_start)
        key = (old_start, new_start)
        if key not in self._passages:
            matcher = SequenceMatcher(None, self.old_text[old_start:old_end], self.new_text[new_start:new_end], False)
            self._passages[key] = matcher.get_matching_blocks()
        mapped = distance  # before the first shared stretch: the same distance from the passage's start
        for a, b, size in self._passages[key]:
            if a <= distance < a + size:
                return b + distance - a
            if a + size <= distance:
                mapped = b + size + distance - (a + size)
        return min(mapped, new_end - new_start)


def relocate_quote(
    old_text: str, new_text: str, quote: str, old_offset: int | None, mapping: OffsetMap | None = None
) -> tuple[int, str] | None:
    """Where a quote that sat at ``old_offset`` in ``old_text`` is in ``new_text``: the occurrence of its words
    nearest the place its old position maps to (so that the second "works within hours" stays the second one when
    text is added before, after or around it), the first one when its old position is unknown. ``None`` when the
    words are gone. ``mapping``: an ``OffsetMap(old_text, new_text)`` to share between quotes."""
    found = quote_occurrences(new_text, quote)
    if not found:
        return None
    if old_offset is None:
        return found[0]
    target = (mapping or OffsetMap(old_text, new_text))(old_offset)
    return min(found, key=lambda match: (abs(match[0] - target), match[0]))


def locate_quote_from(text: str, quote: str, start: int, end: int) -> tuple[int, str] | None:
    """Like ``locate_quote``, for the first match that begins within ``text[start:end]`` (it may run past ``end``):
    where a quote taken from a given sentence is, when the same words also appear elsewhere in the text."""
    quote = quote.strip()
    if not quote:
        return None
    found = text.find(quote, start)
    if 0 <= found < end:
        return found, quote
    match = _spacing_insensitive(quote).search(text, start)
    if match is not None and match.start() < end:
        return match.start(), match.group(0)
    return None
