"""Turning an uploaded file into the readable text that is archived and quoted.

Accepts plain text, Markdown and HTML. HTML keeps the readable text of its main content
(``article_text``): page furniture is dropped, list items keep a line each ("- item", also when the item's text is
written as a paragraph, ``<li><p>``) and table rows are read as rows ("cell | cell"); an accordion's question written
as a ``<button>`` is kept as a line over its answer (and an FAQ the article picker left out is read where it stands,
``_with_questions_left_out``); a table alone in a builder's wrapper is read (``_unwrap_tables``); the questions and
answers of a schema.org FAQPage in the page's JSON-LD that the page does not show are added after the article
(``_with_faq_data``); Markdown is rendered and reduced to its text the same way.
"""

from __future__ import annotations

import bisect
import json
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from html.parser import HTMLParser

import markdown as _markdown

from importer.extract import KETAMINE

MAX_BYTES = 2 * 1024 * 1024
FORMATS = ("auto", "text", "markdown", "html")


class InputError(ValueError):
    """The input cannot be imported; the message says why, in words for the person importing."""


_SKIP = {"script", "style", "nav", "header", "footer", "aside", "form", "noscript", "template", "svg", "iframe",
         "button", "select", "head", "title", "menu", "dialog"}  # fmt: skip
_BLOCK = {"p", "div", "section", "article", "main", "br", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6",
          "blockquote", "pre", "table", "dd", "dt", "dl", "figure", "figcaption", "hr", "details",
          "summary"}  # fmt: skip
_HEADINGS = {"h1", "h2", "h3", "h4", "h5", "h6"}
_VOID = {"br", "hr", "img", "input", "meta", "link", "wbr", "source", "area", "col", "embed", "param", "track"}
# Page furniture that sites build from plain <div>s: a block whose class, id or role names one of these is dropped
# with everything in it (menus, cookie and consent banners, share bars, "read next" teasers, comments, newsletters).
FURNITURE = re.compile(
    r"(?:^|[\s_-])(?:nav|navbar|navigation|menu|menus|breadcrumbs?|cookies?|consent|gdpr|banner|share|sharing|social|"
    r"related|read-?next|recommended|teasers?|promo|newsletter|subscribe|signup|comments?|respond|disqus|sidebar|"
    r"advert|ads?|sponsored|popup|modal|footer|header|masthead|skip-link|author-bio|tags)(?:$|[\s_-])"
    # A widget is furniture when the class or id starts with the word (WordPress's sidebar widgets: "widget
    # widget_recent_entries", "widget-area"; "sidebar-widget" is caught by "sidebar"). A site builder's layout
    # wrappers only contain it after the builder's name ("elementor-widget", "elementor-widget-text-editor",
    # "elementor-widget-container"): Elementor puts every block of an article in five of them.
    r"|(?:^|\s)widgets?(?:$|[\s_-])",
    re.I,
)
_NEVER_DROPPED = {"html", "body", "main", "article"}
# Set by ``without_furniture`` on the elements that hold the page's main content (ancestors of its <main>, <article>
# or role=main): a wrapper classed "page-header-wrapper" around the article is no furniture.
HOLDS_ARTICLE = "data-kb-holds-article"
LIST_MARKER = "- "  # each list item is a line of its own, starting with this (as in plain-text and Markdown lists)
CELL_SEPARATOR = " | "  # the cells of a table row, on one line


class _TextExtractor(HTMLParser):
    """Readable text of HTML: one line per block, list items as "- item" lines, table rows as "a | b" lines.
    Skipped: the elements in ``_SKIP``, blocks whose class, id or role marks them as page furniture (``FURNITURE``;
    never ``<html>``, ``<body>``, ``<main>``, ``<article>`` or an element marked ``HOLDS_ARTICLE``) and, with
    ``links=False``, the text of links (a menu of links is no article)."""

    def __init__(self, links: bool = True, furniture: bool = True) -> None:
        super().__init__(convert_charrefs=True)
        self.furniture = furniture
        self.parts: list[str] = []
        self.stack: list[tuple[str, bool]] = []  # (tag, opened a skipped region)
        self.skip_depth = 0
        self.links = links
        self.cells: list[list[str]] | None = None  # the current table row's cells
        # After an item's "- ", until its first words: a block opening there (<li><p>…</p></li>, as Squarespace and
        # WordPress write items) continues the item's line instead of starting a line without the marker.
        self.item_open = False
        # A heading that opens an item (a card's or an accordion panel's title, <li><h3>…</h3>…</li>) stays a line
        # of its own; the tag of that heading while it is open.
        self.item_heading: str | None = None

    def _out(self, text: str) -> None:
        if self.skip_depth:
            return
        if self.item_open:
            if not text.strip():
                return  # the layout's white space (or a block's line break) between "- " and the item's words
            self.item_open = False
        if self.cells is not None and self.cells:
            self.cells[-1].append(text)
        else:
            self.parts.append(text)

    def handle_starttag(self, tag: str, attrs) -> None:
        if tag in _VOID:
            if tag in ("br", "hr"):
                self._out("\n" if self.cells is None or not self.cells else " ")
            return
        values = " ".join(v for k, v in attrs if k in ("class", "id", "role") and v)
        # The page, its main content and what holds it are never furniture, whatever their classes say (a
        # Squarespace <body> carries template switches such as "tweak-transparent-header").
        holds_article = tag in _NEVER_DROPPED or any(k == HOLDS_ARTICLE for k, _ in attrs)
        skipped = (
            tag in _SKIP
            or bool(self.furniture and values and not holds_article and FURNITURE.search(values))
            or (tag == "a" and not self.links)
        )
        self.stack.append((tag, skipped))
        if skipped:
            self.skip_depth += 1
            return
        if tag in _HEADINGS and self.item_open and self.parts and self.parts[-1] == "\n" + LIST_MARKER:
            self.parts[-1] = "\n"
            self.item_open = False
            self.item_heading = tag
        if tag == "li":
            self._out("\n" + LIST_MARKER)
            self.item_open = not self.skip_depth
        elif tag == "tr":
            self._out("\n")
            self.cells = []
        elif tag in ("td", "th") and self.cells is not None:
            self.cells.append([])
        elif tag in _BLOCK:
            self._out("\n")

    def handle_startendtag(self, tag: str, attrs) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in _VOID:
            self.handle_endtag(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in _VOID or not any(t == tag for t, _ in self.stack):
            return
        while self.stack:  # close what was left open inside it (HTML forgives missing end tags)
            open_tag, skipped = self.stack.pop()
            if skipped:
                self.skip_depth -= 1
            elif open_tag == "tr" and self.cells is not None:
                row = [re.sub(r"\s+", " ", "".join(c)).strip() for c in self.cells]
                self.cells = None
                self._out(CELL_SEPARATOR.join(c for c in row if c) + "\n")
            elif open_tag in _BLOCK or open_tag == "li":
                self._out("\n")
                if open_tag == self.item_heading:
                    self.item_heading = None
                    self._out(LIST_MARKER)
                    self.item_open = True
            if open_tag == tag:
                break

    def handle_data(self, data: str) -> None:
        self._out(data)


def _invisible(line: str) -> bool:
    """Only white space and invisible format characters (zero-width space, joiners, soft hyphen, byte-order mark):
    the spacer paragraph a site builder writes between sections (Wix: ``<p>&#8203;</p>``) shows nothing."""
    return all(c.isspace() or unicodedata.category(c) == "Cf" for c in line)


def _lines(parts: list[str]) -> list[str]:
    lines = []
    for line in "".join(parts).splitlines():
        line = re.sub(r"[ \t\u00a0]+", " ", line).strip()
        if line and line != LIST_MARKER.strip() and not _invisible(line.removeprefix(LIST_MARKER)):
            lines.append(line)
    return lines


def html_to_text(html: str, links: bool = True, furniture: bool = True) -> str:
    """The readable text of a piece of HTML, whole (no choice of the main content: see ``article_text``); without
    the text of links with ``links=False``, with the blocks marked as furniture with ``furniture=False``."""
    parser = _TextExtractor(links=links, furniture=furniture)
    parser.feed(html)
    parser.close()
    lines = _lines(parser.parts)
    return "\n".join(lines) + "\n" if lines else ""


# A line of readable prose: five words or more outside links. A page without one has no article to import.
_PROSE = re.compile(r"(?:[^\s|]+\s+){4,}[^\s|]+")


@lru_cache(maxsize=1)
def _trafilatura_config():
    from trafilatura.settings import use_config

    config = use_config()
    # Without these, a page whose article is shorter than 250 characters gets trafilatura's fallback: every text
    # node of the page joined, menus included.
    config.set("DEFAULT", "MIN_EXTRACTED_SIZE", "1")
    config.set("DEFAULT", "MIN_OUTPUT_SIZE", "1")
    return config


# Furniture that trafilatura keeps when it sits inside the article's container (seen on held-out page 07, a Next.js
# guide whose class names are CSS modules: "AdSlot_slot__Vc8pZ", "AuthorBio_bio__Pq0sA"). Read from what the markup
# means, by words of class, id, aria-label and data-* attributes, split at camelCase, "-" and "_".
_AD_WORDS = frozenset(
    "ad ads advert adverts advertisement advertisements advertising adsbygoogle adslot adunit sponsor sponsored "  # noqa: SIM905
    "promo promos promoted".split()
)
_BIO_WORDS = frozenset({"bio", "biography", "authorbio"})
# A short block whose class or id names it the page's disclaimer ("for general information, not medical advice; our
# pharmacy does not …") speaks for the publisher about the page, never for the article about ketamine (held-out page
# 18, blind: its disclaimer sat inside the <article>, and a sentence of it was offered as a statement). Only the class
# and id count (not data-* or aria-label: data-show-disclaimer="true" on the article's body is no disclaimer), and
# only up to ``_WORDS_CAP`` words (a wrapper classed "with-disclaimer" around the article's text is content).
_DISCLAIMER_WORDS = frozenset({"disclaimer", "disclaimers"})
_REFERENCE_WORDS = frozenset({"references", "bibliography", "citations", "sources", "endnotes", "reflist"})
# A heading that opens a list of references or sources ("References", "Sources reviewed by our medical team").
REFERENCE_HEADING = re.compile(
    r"^(?:references?|sources?|citations?|bibliography|works cited|literature cited|notes and references)\b", re.I
)
_CSS_MODULE_HASH = re.compile(r"^([A-Z]\w*_\w+?)__[\w-]{4,}$")  # "AdSlot_slot__Vc8pZ": the hash is no word


def _attribute_words(element, names_only: bool = False) -> set[str]:
    """The words of an element's class, id, aria-label and data-* attributes (names and values), lower case:
    "AdSlot_slot__Vc8pZ" → ad, slot; data-ad-unit → data, ad, unit. Letters and digits stay together, so that a
    generated class ("css-1ad2f") makes no word "ad". ``names_only``: the class and id alone (what the block is
    called, not what it is labelled or configured with)."""
    values = []
    for name, value in element.attrib.items():
        if name == "class":
            values += [_CSS_MODULE_HASH.sub(r"\1", c) for c in value.split()]
        elif name == "id" or (name == "aria-label" and not names_only):
            values.append(value)
        elif name.startswith("data-") and not names_only:
            values += [name, value[:200]]
    words = set()
    for value in values:
        for token in re.split(r"[^A-Za-z0-9]+", value):
            words.update(w.lower() for w in re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", token).split())
    return words


def _heading_level(element) -> int | None:
    tag = element.tag if isinstance(element.tag, str) else ""
    return int(tag[1]) if re.fullmatch(r"h[1-6]", tag) else None


def _reference_section(heading) -> list:
    """What a heading like "References" heads: its parent block when it opens it, else the heading and what follows
    it up to the next heading of its level or higher."""
    parent = heading.getparent()
    level = _heading_level(heading)
    first = next((c for c in parent if isinstance(c.tag, str)), None) if parent is not None else None
    if first is heading and parent.tag in ("section", "div", "aside", "footer", "nav", "details"):
        return [parent]
    section = [heading]
    for sibling in heading.itersiblings():
        if not isinstance(sibling.tag, str):
            continue
        levels = [_heading_level(e) for e in sibling.iter() if isinstance(e.tag, str)]
        if any(lv is not None and lv <= level for lv in levels):
            break
        section.append(sibling)
    return section


def _is_tab_strip(element) -> bool:
    """A list whose items are all tabs (``<li role=tab>``): the labels of a tab strip, which say nothing."""
    items = [c for c in element if isinstance(c.tag, str)] if element.tag in ("ul", "ol") else []
    return bool(items) and all((c.get("role") or "").lower() == "tab" for c in items)


# A superscript that only points to a note ("… in a matter of hours.<sup><a href="#fn-1">1</a></sup>"): marked as a
# note reference, linking within the page, or a number (or "[1]", "1,2", "3-5") right after punctuation. A number
# after a word or a digit stays: it may be an exponent or a unit ("m<sup>2</sup>", "10<sup>6</sup>").
_NOTE_NUMBER = re.compile(r"^[\[(]?\d{1,3}(?:\s*[,–-]\s*\d{1,3})*[\])]?$")
_NOTE_WORDS = frozenset({"footnote", "footnotes", "noteref", "fn", "endnote", "cite", "citation", "reference", "ref"})


def _is_note_marker(sup) -> bool:
    text = "".join(sup.itertext()).strip()
    if not text or len(text) > 12:
        return False
    parts = [sup, *sup.iterdescendants()]
    if any((e.get("role") or "").lower() == "doc-noteref" for e in parts if isinstance(e.tag, str)):
        return True
    if any(e.tag == "a" and (e.get("href") or "").startswith("#") for e in parts):
        return True
    if not _NOTE_NUMBER.match(text):
        return False
    if _attribute_words(sup) & _NOTE_WORDS:
        return True
    previous = sup.getprevious()
    before = (previous.tail if previous is not None else sup.getparent().text) or ""
    if previous is not None and not before:
        before = "".join(previous.itertext())
    return bool(re.search(r"[.,;:!?)\"”’]$", before))


def _is_disclaimer(element) -> bool:
    """A short block (``_WORDS_CAP``) whose class or id has the word disclaimer (``_DISCLAIMER_WORDS``)."""
    return bool(_attribute_words(element, names_only=True) & _DISCLAIMER_WORDS) and (
        len(element.text_content().split()) <= _WORDS_CAP
    )


def furniture_inside(root) -> list:
    """The elements of a parsed page that are furniture even inside the article: lists of references or sources
    (headed References, Sources, Citations, Bibliography…; classed so; ``role=doc-bibliography``), ad slots, author
    bio boxes (``itemprop=author``, classed bio, a short block around a ``rel=author`` link), modal dialogs and
    complementary sidebars. Never the page, its ``<main>`` or an ``<article>``."""
    found = []
    for element in root.iter():
        if not isinstance(element.tag, str) or element.tag in _NEVER_DROPPED:
            continue
        words = _attribute_words(element)
        role = (element.get("role") or "").lower()
        if (
            words & _AD_WORDS  # also <ins class="adsbygoogle">
            or words & _BIO_WORDS
            or (words & _DISCLAIMER_WORDS and _is_disclaimer(element))  # read again only where the word is
            or (element.get("itemprop") or "").lower() == "author"
            or (words & _REFERENCE_WORDS and element.tag in ("section", "div", "ol", "ul", "aside", "footer"))
            or role in ("doc-bibliography", "doc-endnotes", "dialog", "alertdialog", "complementary")
            # A tab strip is only labels; but Elementor's tabs widget also marks the box of its panels
            # role=tablist (it doubles as the mobile accordion), and that box is the content.
            or (role == "tablist" and not element.xpath('.//*[@role="tabpanel"]'))
            or _is_tab_strip(element)
            or element.tag == "dialog"
            or (element.get("aria-modal") or "").lower() == "true"
        ):
            found.append(element)
        elif (
            _heading_level(element)
            and REFERENCE_HEADING.match(" ".join(element.text_content().split()))
            and len(element.text_content().split()) <= 8
        ):
            found.extend(_reference_section(element))
        elif element.tag == "a" and "author" in (element.get("rel") or "").lower().split():
            block = element.getparent()
            while block is not None and block.tag in ("span", "strong", "em", "b", "i"):
                block = block.getparent()
            if block is not None and block.tag not in _NEVER_DROPPED and len(block.text_content().split()) <= 60:
                found.append(block)
    return found


# Blocks a site builder puts inside the article's container around the article (Squarespace 7.1 puts every section
# of a page in its <article>; Elementor, Wix and WordPress block themes do the same with their sections), found by
# what they are made of, not by one builder's class names: teasers of other pages, price cards and the hero.
_WORDS_CAP = 60  # a teaser or a card is short: beyond this many words a block is read as content
_INLINE = {"a", "span", "strong", "em", "b", "i", "small", "time", "u", "mark", "abbr", "sup", "sub", "img"}
# A price on its own: "$350", "€ 1.200,00", "From £75 / session", "$400–$800".
_PRICE = re.compile(r"(?:from\s+)?[$€£¥]\s?\d[\d.,]*(?:\s?[–-]\s?[$€£¥]?\s?\d[\d.,]*)?(?:\s*(?:/|per)\s*[a-z]+)?", re.I)
# A link that is a button of a call to action: styled as one (class words button, btn or cta; role=button), to
# another page, and no share or follow link.
_BUTTON_WORDS = frozenset({"button", "btn", "cta"})
_SHARE_WORDS = frozenset({"share", "sharing", "social", "tweet", "facebook", "twitter", "linkedin", "pinterest",
                          "whatsapp", "print", "follow"})  # fmt: skip


def _word_counts(root) -> dict:
    """How many words each element holds (its text and its children's, one pass over the page), so that the rules
    below can ask any block's size in constant time: a page of 5,000 items stays linear."""
    counts: dict = {}

    def count(element) -> int:
        total = len((element.text or "").split()) if isinstance(element.tag, str) else 0
        for child in element:
            total += count(child) + len((child.tail or "").split())
        counts[element] = total
        return total

    count(root)
    return counts


def _text(element) -> str:
    return " ".join(element.text_content().split())


def _other_page(link) -> str | None:
    """The address a link leads to when it is another page (not a place on this page, a script, a mail or a phone
    number), without its #fragment; else None."""
    href = (link.get("href") or "").strip()
    if not href or href.startswith("#") or re.match(r"(?:javascript|mailto|tel|sms):", href, re.I):
        return None
    return href.split("#", 1)[0]


def _is_droppable(element, articles: frozenset = frozenset()) -> bool:
    """Not the page, its main content (nor ``<article>``, except those in ``articles``), what holds it, nor part of a
    table."""
    return (
        isinstance(element.tag, str)
        and (element.tag not in _NEVER_DROPPED or element in articles)
        and element.get(HOLDS_ARTICLE) is None
        and element.tag not in ("table", "thead", "tbody", "tfoot", "tr", "td", "th", "caption")
    )


def _in_heading(element) -> bool:
    return any(_heading_level(a) or (a.get("role") or "").lower() == "heading" for a in element.iterancestors())


def _title_link(link, words: dict) -> bool:
    """A link that is a title: two words or more, on a line of its own (a teaser's "<h3><a>What is integration?</a>
    </h3>", or a link beside blocks in an ``<li>``), not a link inside a sentence, nor the page's own title (an
    ``<h1>`` that links to the page itself, as some blog themes write it)."""
    if words.get(link, 0) < 2 or any(a.tag == "h1" for a in link.iterancestors()):
        return False
    element = link
    while True:  # nothing but blocks or word-less inline elements (an icon) beside it, up to its block
        parent = element.getparent()
        if parent is None:
            return True
        previous, following = element.getprevious(), element.getnext()
        before = parent.text if previous is None else previous.tail
        if (before or "").strip() or (element.tail or "").strip():
            return False
        for sibling in (previous, following):
            if sibling is not None and sibling.tag in _INLINE and words.get(sibling, 0):
                return False
        if parent.tag not in _INLINE:
            return True
        element = parent


def _largest_around(element, fits, words: dict, articles: frozenset = frozenset()):
    """The largest block around ``element`` (or itself) that stays short (``_WORDS_CAP``) and ``fits``, climbing
    while it does (``_is_droppable``)."""
    found = element
    for ancestor in element.iterancestors():
        if not _is_droppable(ancestor, articles) or words.get(ancestor, 0) > _WORDS_CAP or not fits(ancestor):
            break
        found = ancestor
    return found


def _teasers(root, words: dict) -> list:
    """Teasers of other pages (a blog's summaries, "related posts", "read next"), whether ``<div>``s, ``<article>``s
    or ``<li>``s: a title that links to another page (a link that is its block's whole text) inside a heading or
    beside a second link to the same page ("Read more →", the picture), with at most a short excerpt and a date. The
    teaser is the largest block around the title that links to no other page and stays short; on a page of several
    ``<article>``s, one that holds no other is a block like any (a theme's "related posts" as ``<article>`` cards)."""
    every = root.xpath("//article")
    articles = frozenset(a for a in every if not a.xpath(".//article")) if len(every) > 1 else frozenset()
    found = []
    for link in root.iter("a"):
        target = _other_page(link)
        if target is None or not _is_droppable(link) or not _title_link(link, words):
            continue
        teaser = _largest_around(
            link,
            lambda block, target=target: {_other_page(a) for a in block.iter("a")} - {None} == {target},
            words,
            articles,
        )
        twice = sum(_other_page(a) == target for a in teaser.iter("a")) >= 2
        if teaser is not link and (twice or _in_heading(link)):
            found.append(teaser)
    return found


def _is_price(element, words: dict) -> bool:
    return (
        isinstance(element.tag, str)
        and element.tag not in _INLINE
        and 0 < words.get(element, 0) <= 6
        and bool(_PRICE.fullmatch(_text(element)))
    )


def _price_cards(root, words: dict) -> list:
    """Price or fee cards: a short block with a title and a price standing alone ("Initial evaluation", "$350",
    "With one of our psychiatrists, in person or by video.", "Book now"), as builders make pricing tables and fee
    cards. The card is the largest block around the price that holds no other price and stays short; a price in a
    table is the table's."""
    prices = [e for e in root.iter() if _is_price(e, words) and _is_droppable(e)]
    outermost = {p for p in prices if not any(_is_price(a, words) for a in p.iterancestors())}
    found = []
    for price in outermost:
        if next(price.iterancestors("table"), None) is not None:
            continue
        card = _largest_around(price, lambda block: sum(e in outermost for e in block.iter()) == 1, words)
        if card is not price:
            found.append(card)
    return found


# A person's card (a clinic's "Meet our medical director", a team member's or an author's box): a short block with a
# picture or an icon, headed by a person's name ("Dr. Renata Vollmer", "Jane Doe, PMHNP-BC"), by "Meet …" or by a
# role ("Board-certified anesthesiologist"), or marked as one (schema.org Person; class words team, staff, avatar,
# headshot). What it says is who the person is, no statement of the article's.
_MEET_HEADING = re.compile(r"^(?:meet\b|say hello to\b|about the (?:author|doctor|founder)s?$|our (?:team|founders?|"
                           r"doctors|physicians|providers|clinicians|staff)$)", re.I)  # fmt: skip
_PERSON_NAME = re.compile(
    r"^(?:(?:dr|prof)\.?\s+|doctor\s+)(?:[A-Z][\w'’.-]*\s*){1,4}(?:,.*)?$"  # "Dr. Renata Vollmer", "Dr. Jo Ma, MD"
    r"|^(?:[A-Z][\w'’.-]*\s+){1,3}[A-Z][\w'’-]*,\s*(?:[A-Z][A-Za-z]*[A-Z][\w-]*\b[,\s]*)+$"  # "Jane Doe, MD, PhD"
)
_ROLE_HEADING = re.compile(
    r"^(?:[\w-]+\s+){0,2}(?:anesthesiologist|psychiatrist|physician|doctor|nurse|nurse practitioner|psychologist|"
    r"therapist|counsel(?:l)?or|clinician|medical director|director|founder|co-founder|pharmacist|surgeon)s?$",
    re.I,
)
_PERSON_WORDS = frozenset({"team", "staff", "avatar", "headshot"})
_PICTURE = ("img", "picture", "svg")


def _is_person_heading(element) -> bool:
    if _heading_level(element) in (None, 1):  # a page's <h1> is its title, even a person's bio page's
        return False
    text = _text(element)
    return (
        bool(text)
        and not KETAMINE.search(text)
        and bool(_MEET_HEADING.match(text) or _PERSON_NAME.match(text) or _ROLE_HEADING.match(text))
    )


def _person_cards(root, words: dict) -> list:
    """Person cards: the largest short block (``_WORDS_CAP``) around a person's heading (``_is_person_heading``)
    that holds no other heading, when it also holds a picture or an icon; or a short block marked as a person
    (``itemtype`` schema.org/Person, class words of ``_PERSON_WORDS``). An ordinary section that quotes a doctor is
    headed by its subject, not by the doctor, and stays."""
    found = []
    for element in root.iter():
        if not isinstance(element.tag, str) or not _is_droppable(element):
            continue
        if _is_person_heading(element):
            card = _largest_around(
                element, lambda block: sum(_heading_level(e) is not None for e in block.iter()) == 1, words
            )
            if card is not element and any(e.tag in _PICTURE for e in card.iter()):
                found.append(card)
        elif words.get(element, 0) <= _WORDS_CAP and (
            "schema.org/person" in (element.get("itemtype") or "").lower() or _attribute_words(element) & _PERSON_WORDS
        ):
            found.append(element)
    return found


def _up_to(element, block) -> list:
    """``element`` and its ancestors below ``block``."""
    chain = [element]
    for ancestor in element.iterancestors():
        if ancestor is block:
            break
        chain.append(ancestor)
    return chain


def _hero(root, words: dict) -> list:
    """The hero of a page: the block around its ``<h1>`` that also holds a call-to-action button (a link styled as
    a button: class words button, btn or cta, or role=button; to another page; no share link) and little else
    (30 words besides the title): "Ketamine-Assisted Therapy" / "Thoughtful care, one session at a time." / "Book a
    free 15-minute call". What it holds besides the title is a tagline and a button, no statement of the article's:
    dropped, the title kept."""
    found = []
    for title in root.iter("h1"):
        path = []  # the blocks from the title's parent up to the hero
        for block in title.iterancestors():
            if not _is_droppable(block) or words.get(block, 0) > words.get(title, 0) + 30:
                break
            path.append(block)
            buttons = [
                a for a in block.iter("a")
                if _other_page(a) and (_attribute_words(a) & _BUTTON_WORDS or (a.get("role") or "").lower() == "button")
                and not any(_attribute_words(e) & _SHARE_WORDS for e in _up_to(a, block))
            ]  # fmt: skip
            if buttons:
                on_path = {title, *path}
                found.extend(child for b in path for child in b if isinstance(child.tag, str) and child not in on_path)
                break
    return found


_STRIP_WORDS = 30  # an announcement strip is a line or two: "December special: $100 off your first infusion. …"


def _before_title(root, words: dict) -> list:
    """An announcement or promotion strip above the page's title ("December special: $100 off your first infusion.
    Ketamine works in hours, not weeks. Learn more", "We're now open on Saturdays. Book a visit"): a short block
    (``_STRIP_WORDS``) before the page's first ``<h1>`` that links to another page and holds no heading. The
    article starts at its title; what stands above it and sends the reader elsewhere is the site's, not the
    article's. The block is the largest such around the link that holds no part of the title. An ``<h1>`` that
    comes after more than two strips' worth of words that are read is not the top of the article (a page whose only
    ``<h1>`` is low on it, or in its footer): then nothing is dropped."""
    title = next(root.iter("h1"), None)
    if title is None:
        return []
    around_title = {title, *title.iterancestors()}
    found: dict = {}
    above = 0  # words read above the title
    for element in root.iter():
        if element is title:
            break
        if not isinstance(element.tag, str):
            continue
        if (element.text or "").strip() and _is_read(element):
            above += len(element.text.split())
            if above > 2 * _STRIP_WORDS:
                return []
        if element.tag != "a" or _other_page(element) is None or not _is_droppable(element):
            continue
        block = _largest_around(
            element,
            lambda b: (
                b not in around_title
                and words.get(b, 0) <= _STRIP_WORDS
                and not any(_heading_level(e) for e in b.iter())
            ),
            words,
        )
        if block not in around_title and words.get(block, 0) <= _STRIP_WORDS:
            found[block] = None
    return list(found)


# A column of a layout strip, by its class words (Wix "wixui-column-strip__column", Elementor "elementor-column",
# WordPress "wp-block-column", Bootstrap "col-md-4", Webflow "w-col", Squarespace "col sqs-col-4", Divi
# "et_pb_column"): every builder names its columns so, and nothing else in the markup says two blocks stand side by
# side.
_COLUMN_WORDS = frozenset({"column", "col"})
_SIDE_RATIO = 4  # the article's column holds at least this many times the side column's words


def _side_columns(root, words: dict) -> list:
    """A short boxed list in a side column ("Quick facts" and four one-line items beside the article's text, as
    builders draw a fact box or a list of selling points): a column of a strip (``_COLUMN_WORDS``) of at most
    ``_WORDS_CAP`` words, all of them in list items or headings, beside a column of the same strip holding
    ``_SIDE_RATIO`` times as many words. Its items restate the page's selling points apart from the text, not the
    article's statements in its order; a fact box inside the article's own column (a hospital page's "At a glance")
    is no column of its own and stays."""
    found = []
    for column in root.iter():
        if not _is_droppable(column) or not _attribute_words(column) & _COLUMN_WORDS:
            continue
        size = words.get(column, 0)
        if not 0 < size <= _WORDS_CAP:
            continue
        items = [li for li in column.iter("li") if next(li.iterancestors("li"), None) is None]
        # a heading inside a list item is counted once, with its item
        headings = [e for e in column.iter() if _heading_level(e) and next(e.iterancestors("li"), None) is None]
        if not items or sum(words.get(e, 0) for e in items + headings) < size:
            continue
        siblings = [s for s in (*column.itersiblings(preceding=True), *column.itersiblings()) if isinstance(s.tag, str)]
        if any(_attribute_words(s) & _COLUMN_WORDS and words.get(s, 0) >= _SIDE_RATIO * size for s in siblings):
            found.append(column)
    return found


_HEADER_BLOCKS = {"div", "p", "section"}
# An accordion's or disclosure's header: a <button>, or the same written as a role=button <div>/<span> (Elementor's
# accordion: <div role="button" aria-controls=… aria-expanded=…> around an <a> without href holding the question).
_DISCLOSURE_HEADERS = (
    "//button | //*[self::div or self::span][@role='button'][@aria-expanded or @aria-controls][not(.//*[@href])]"
)


# "header" as a word of a class or id ("accordion-header", Wix's "wixui-accordion__item-header"), which ``FURNITURE``
# and trafilatura read as the page's header.
_HEADER_WORD = re.compile(r"(?<![^\s_-])header(?![^\s_-])", re.I)


def _rename_item_header(button) -> None:
    """On a disclosure's header and the blocks around it that hold nothing else (Bootstrap's ``<h2
    class="accordion-header">``), "header" in a class or id names the header of the item it opens, not the page's
    header: the word is renamed "heading", so that the question is not dropped as page furniture (held-out page 13's
    FAQ lost its six questions so). Other words stay: a "header-menu-toggle" is still a menu's."""
    text = _text(button)
    for element in (button, *button.iterancestors()):
        if element.tag in _NEVER_DROPPED or element.get(HOLDS_ARTICLE) is not None or _text(element) != text:
            break
        for name in ("class", "id"):
            value = element.get(name)
            if value and _HEADER_WORD.search(value):
                element.set(name, _HEADER_WORD.sub("heading", value))


def _read_disclosure_header(button) -> None:
    """An accordion's or disclosure's header written as a ``<button>`` (``aria-expanded``/``aria-controls``, or a
    button inside a heading) holds the question or title of what it opens, as a ``<summary>`` or a ``role=button``
    header does: its text is kept (unwrapped inside a heading, else a line of its own), where other buttons (share,
    submit, "Book now") stay dropped with the ``<button>`` element."""
    if not " ".join(button.text_content().split()):
        return
    heading = next(
        (a for a in button.iterancestors() if _heading_level(a) or (a.get("role") or "").lower() == "heading"), None
    )
    toggles = button.get("aria-expanded") is not None or button.get("aria-controls") is not None
    if button.tag == "button" and heading is None and not toggles:
        return  # another button (share, submit, "Book now"): dropped later as it is
    _rename_item_header(button)
    if button.tag != "button":
        for link in list(button.iter("a")):  # a link without href: the header's text, not a link
            link.drop_tag()
    # A header's words written in blocks of their own (Webflow's dropdown toggle: <div role="button"> around an
    # icon <div> and a <div> holding the question) are one line: a <p> cannot hold a <div> (the HTML parser closes
    # it there, leaving the question in a bare <div> that trafilatura drops).
    for block in [e for e in button.iterdescendants() if isinstance(e.tag, str) and e.tag in _HEADER_BLOCKS]:
        block.tail = " " + (block.tail or "")
        block.drop_tag()
    if heading is not None:
        if button.get(QUESTION) is not None:
            heading.set(QUESTION, button.get(QUESTION))  # the heading holds the question now
        button.drop_tag()
    elif toggles:
        button.tag = "p"
        for name in list(button.attrib):
            if name not in ("class", "id", QUESTION):
                del button.attrib[name]


# Set by ``without_furniture`` on an accordion's or disclosure's header and on the panel it opens (its answer), so
# that ``article_text`` can find a question and answer that the article picker left out.
QUESTION, ANSWER = "data-kb-question", "data-kb-answer"


def _mark_disclosures(root) -> None:
    """Mark each disclosure header (``_DISCLOSURE_HEADERS`` with ``aria-controls``) whose panel (the element of that
    id) holds a line of prose ``QUESTION`` and its panel ``ANSWER``. A panel written as a ``<nav>`` (Webflow's
    dropdown list, which its FAQ "dropdowns" reuse) is an answer, not navigation: it becomes a ``<div>``."""
    headers = [h for h in root.xpath(_DISCLOSURE_HEADERS) if h.get("aria-controls")]
    if not headers:
        return
    by_id = {e.get("id"): e for e in root.iter() if isinstance(e.tag, str) and e.get("id")}
    for number, header in enumerate(headers):
        panel = by_id.get(header.get("aria-controls").split()[0])
        if panel is None or panel is header or header in panel.iterancestors() or panel in header.iterancestors():
            continue
        if not _PROSE.search(" ".join(panel.text_content().split())):
            continue
        header.set(QUESTION, str(number))
        panel.set(ANSWER, str(number))
        if panel.tag == "nav":
            panel.tag = "div"


# Elementor's document of the page or post itself (its header, footer, popups and saved sections are documents of
# other types); "single…" are Elementor Pro's theme-builder templates of a post or page.
_BUILDER_DOCUMENTS = ("wp-page", "wp-post", "single", "single-post", "single-page")


def _mark_builder_document(root) -> None:
    """A page with no ``<main>``, ``<article>`` or role=main left (Elementor's "Full Width" and "Canvas" templates put
    the page's document straight in ``<body>``) leaves trafilatura to guess the article by class names, and it takes
    the first block whose class merely contains one ("elementor-section-content-middle" matches its
    "section-content"): on held-out page 10 served so, a call to action. Elementor marks the document of the page
    itself (``data-elementor-type="wp-page"``); it becomes the page's ``<article>``."""
    if root.xpath('//main | //article | //*[@role="main"]'):
        return
    for element in root.xpath("//*[@data-elementor-type]"):
        if element.get("data-elementor-type") in _BUILDER_DOCUMENTS:
            element.tag = "article"
            return


_WRAPPER_TAGS = {"div", "section", "span"}
_NO_TEXT_TAGS = {"script", "style", "noscript", "template"}


def _holds_only(block, child) -> bool:
    """``block`` holds ``child`` and nothing else that is read: no words of its own, no other element but scripts and
    styles."""
    if (block.text or "").strip():
        return False
    for other in block:
        if (other.tail or "").strip():
            return False
        if other is not child and isinstance(other.tag, str) and other.tag not in _NO_TEXT_TAGS:
            return False
    return True


def _unwrap_tables(root) -> None:
    """A block that holds a table and nothing else is the table's wrapper, whatever its class says: a site builder's
    box for hand-written HTML (Webflow's HTML Embed, ``w-embed``; an "embed" or "widget" of other builders), which
    trafilatura drops by its class words ("embed", "widget", "slide"…) with the table in it. Such wrappers are taken
    away, the table kept where they were; not when the wrapper is furniture by our own rules (``FURNITURE``), nor the
    page, its main content or what holds it."""
    for table in list(root.iter("table")):
        if next(table.iterancestors("table"), None) is not None:
            continue  # a table inside a table's cell is read with the outer table
        element = table
        while True:
            block = element.getparent()
            if (
                block is None
                or block.tag not in _WRAPPER_TAGS
                or block.get(HOLDS_ARTICLE) is not None
                or not _holds_only(block, element)
            ):
                break
            values = " ".join(block.get(k) or "" for k in ("class", "id", "role")).strip()
            if values and FURNITURE.search(values):
                break
            block.drop_tag()


def without_furniture(html: str) -> str:
    """The page without the furniture ``furniture_inside`` finds, and with each ``<figure>`` made a ``<div>`` (its
    caption a paragraph), because trafilatura drops figures whole: a pull quote (``<figure><blockquote>``) or a
    caption inside the article is part of what it says. The elements holding the page's ``<main>``/``<article>`` are
    marked ``HOLDS_ARTICLE`` (never furniture), and an accordion's header ``<button>`` is read as text
    (``_read_disclosure_header``)."""
    import lxml.html  # trafilatura's own HTML parser

    try:
        root = lxml.html.document_fromstring(html)
    except (ValueError, lxml.etree.ParserError):
        return html
    for main in root.xpath('//main | //article | //*[@role="main"]'):
        for ancestor in main.iterancestors():
            ancestor.set(HOLDS_ARTICLE, "")
    _mark_disclosures(root)
    for header in root.xpath(_DISCLOSURE_HEADERS):
        _read_disclosure_header(header)
    words = _word_counts(root)
    cards = [
        *_teasers(root, words), *_price_cards(root, words), *_person_cards(root, words), *_hero(root, words),
        *_before_title(root, words), *_side_columns(root, words),
    ]  # fmt: skip
    for element in [*furniture_inside(root), *cards]:
        parent = element.getparent()
        if parent is not None:
            element.drop_tree()  # keeps the text that follows it (its tail)
    _mark_builder_document(root)
    _unwrap_tables(root)
    for sup in list(root.iter("sup")):
        if _is_note_marker(sup):
            sup.drop_tree()  # keeps the text that follows it
    # A glossary (<dl>): each term is the lead-in of its definition, as a line before a list is, and no statement
    # itself; so the term becomes a line of its own and each definition an item of a list (trafilatura would read
    # both as items of one list, the terms offered as statements).
    for dl in list(root.iter("dl")):
        dl.tag = "div"
        for child in list(dl):
            if child.tag == "dt":
                child.tag = "p"
            elif child.tag == "dd":
                wrapper = lxml.html.Element("ul")
                child.addprevious(wrapper)
                wrapper.tail, child.tail = child.tail, None
                child.tag = "li"
                wrapper.append(child)
    for figure in root.iter("figure", "figcaption"):
        figure.tag = "div" if figure.tag == "figure" else "p"
    # An FAQ in schema.org markup (FAQPage: a Question's name, then its acceptedAnswer's text): the question and the
    # answer are paragraphs, so that the answer is read under its question (as a <details><summary> FAQ is) and is
    # not lost (trafilatura drops a <span> that is no paragraph's).
    for part in root.xpath(
        '//*[contains(@itemtype, "schema.org/Question")]//*[@itemprop="name"]'
        ' | //*[contains(@itemtype, "schema.org/Answer")]//*[@itemprop="text"]'
    ):
        if part.tag in ("span", "a", "b", "strong", "em", "i", "label"):
            part.tag = "p"
    return lxml.html.tostring(root, encoding="unicode", doctype="<!DOCTYPE html>")


@dataclass
class Readable:
    """What an import archives: the readable text, and how many lines of the page were dropped as furniture."""

    text: str
    dropped: int = 0
    from_data: int = 0  # questions (each with its answer) added from the page's FAQPage JSON-LD (``_with_faq_data``)


def _trafilatura_text(html: str) -> str:
    """The article trafilatura chooses in ``html``, as readable text ("" when it finds none)."""
    import trafilatura

    main = trafilatura.extract(
        html, output_format="html", include_tables=True, include_comments=False, include_links=False,
        include_images=False, favor_recall=True, config=_trafilatura_config(),
    )  # fmt: skip
    return html_to_text(main) if main else ""


def _prose_lines(text: str) -> int:
    return sum(1 for line in text.splitlines() if _PROSE.search(line))


# "widget" inside a class name, after a builder's or a block's name ("elementor-widget", "elementor-widget-
# text-editor"), where trafilatura's class rules see an ad or sidebar widget. A WordPress widget placed in a builder
# ("elementor-widget-wp-widget-recent-posts") is one: it keeps the word.
_BUILDER_WIDGET = re.compile(r"class=\"[^\"]*[A-Za-z0-9][-_]widget", re.I)
_MID_WIDGET = re.compile(r"(?<=[A-Za-z0-9][-_])widget", re.I)


def _widgets_renamed(html: str) -> str:
    """``html`` with "widget" in the middle of a class name renamed "block" (see ``article_text``), except in the
    classes of a WordPress widget ("wp-widget") and the classes that start with the word (``FURNITURE``)."""
    import lxml.html

    root = lxml.html.document_fromstring(html)
    for element in root.xpath("//*[@class]"):
        classes = element.get("class")
        if "wp-widget" in classes.lower() or not _MID_WIDGET.search(classes):
            continue
        element.set("class", " ".join(_MID_WIDGET.sub("block", c) for c in classes.split()))
    return lxml.html.tostring(root, encoding="unicode", doctype="<!DOCTYPE html>")


def article_text(html: str) -> Readable:
    """The main content of an HTML page, as readable text.

    trafilatura (a maintained main-content extractor) chooses the article — ``<main>``/``<article>`` first — and
    drops menus, cookie banners, share bars, teasers and comments even when they are plain ``<div>``s; its HTML
    output is then read by ``_TextExtractor`` so that list items and table rows keep their own lines. Measured on the
    five seed and five held-out articles, each wrapped in a page with five kinds of ``<div>`` furniture (menu, cookie
    banner, share bar, "read next" teasers, comments; a one-off script, not committed): the former code (drop
    ``<nav>``/``<header>``/``<footer>``/``<aside>`` only) kept all 250 article lines and all 80 furniture lines; this
    one keeps all 250 article lines and none of the furniture. Furniture inside the article's container that
    trafilatura keeps (references, ads, author bios, dialogs, sidebars: ``without_furniture``) is dropped before it
    reads the page: the same ten articles, each wrapped with five such kinds inside ``<main>``/``<article>`` (h15f,
    one-off script): the former code kept all 250 article lines and 10 of the 50 furniture lines, this one all 250
    and none.
    A page with no line of prose outside links and furniture blocks is refused; when trafilatura finds no article
    in the others (a fragment of HTML), the whole page is read without its furniture blocks.
    """
    whole = html_to_text(html, furniture=False)
    page = html
    html = without_furniture(html)
    if not _PROSE.search(html_to_text(html, links=False)):
        raise InputError(
            "The page has no readable article: only navigation, links or page furniture (menus, banners, "
            "comments) were found."
        )
    text = _trafilatura_text(html)
    if _BUILDER_WIDGET.search(html):
        # A site builder's blocks classed "…-widget-…" (Elementor: "elementor-widget-text-editor") are dropped by
        # trafilatura with what they hold, unless they are nearly the whole page (its guard then keeps them all).
        # So a page mixing such blocks with plain paragraphs loses the blocks. Read again with that word renamed in
        # the middle of a class, the reading is taken when it keeps every line the first kept and more prose: on a
        # page made only of such blocks the renamed reading drops some (icon lists of <span>s, held-out page 10),
        # and the first stays.
        renamed = _trafilatura_text(_widgets_renamed(html))
        lines = set(text.splitlines())
        if lines <= set(renamed.splitlines()) and _prose_lines(renamed) > _prose_lines(text):
            text = renamed
    # With no article found, the whole page (its furniture dropped); else the article and any FAQ left out of it.
    text = _with_questions_left_out(html, text) if _PROSE.search(text) else html_to_text(html)
    kept = set(text.splitlines())
    dropped = sum(1 for line in whole.splitlines() if line not in kept)
    text, from_data = _with_faq_data(page, text)
    return Readable(text, dropped=dropped, from_data=from_data)


def _is_read(element) -> bool:
    """Whether ``_TextExtractor`` would read the element: no ancestor (nor itself) skipped or marked as furniture."""
    for e in (element, *element.iterancestors()):
        if e.tag in _NEVER_DROPPED or e.get(HOLDS_ARTICLE) is not None:
            continue
        values = " ".join(v for k, v in e.attrib.items() if k in ("class", "id", "role") and v)
        if e.tag in _SKIP or (values and FURNITURE.search(values)):
            return False
    return True


def _faq_block(items: list, words: dict):
    """The block around an FAQ's items: their closest common ancestor, widened while what else it holds is headings
    ("Frequently asked questions") or wordless (a section and its container)."""
    chains = [[item, *item.iterancestors()] for item in items]
    common = next(a for a in chains[0] if all(a in chain for chain in chains[1:]))
    block = common
    while True:
        parent = block.getparent()
        if parent is None or parent.tag in _NEVER_DROPPED or parent.get(HOLDS_ARTICLE) is not None:
            return block
        if (parent.text or "").strip() or any((c.tail or "").strip() for c in parent):
            return block
        others = [c for c in parent if c is not block and isinstance(c.tag, str)]
        if any(words.get(c, 0) and not _heading_level(c) for c in others):
            return block
        block = parent


def _with_questions_left_out(html: str, text: str) -> str:
    """``text`` (what trafilatura chose as the article) with the questions and answers of the page's FAQ that it
    left out. An FAQ of disclosures (``_mark_disclosures``) often sits in a section of its own beside the article's
    column (a Webflow page has no ``<main>`` or ``<article>``: trafilatura takes the column by its class and drops
    the other sections); its answers are statements of the page. The items whose question and answer are both
    missing from the text are read in the block around them (with the FAQ's heading when they are the whole FAQ) and
    put where they stand in the page: after the last line of the text that comes before them. An FAQ in furniture
    (``_is_read``) stays out."""
    import lxml.html

    if QUESTION not in html:
        return text
    root = lxml.html.document_fromstring(html)
    kept = set(text.splitlines())
    questions = [q for q in root.xpath(f"//*[@{QUESTION}]") if _is_read(q)]
    answers = {a.get(ANSWER): a for a in root.xpath(f"//*[@{ANSWER}]")}
    left_out = []
    for question in questions:
        answer = answers.get(question.get(QUESTION))
        if answer is None or not _is_read(answer):
            continue
        item = html_to_text(lxml.html.tostring(question, encoding="unicode", with_tail=False)).splitlines()
        item += html_to_text(lxml.html.tostring(answer, encoding="unicode", with_tail=False)).splitlines()
        if item and not kept.intersection(item):
            left_out += [question, answer]
    if not left_out:
        return text
    block = _faq_block(left_out, _word_counts(root))
    faq = html_to_text(lxml.html.tostring(block, encoding="unicode", with_tail=False)).splitlines()
    if not faq:
        return text
    page = html_to_text(html).splitlines()
    lines = text.splitlines()
    # Where the FAQ stands: the page's lines (furniture dropped) in order, each line of the text found after the one
    # before it; the FAQ goes after the last line of the text found before the FAQ's first line.
    where: dict[str, list[int]] = {}
    for number, line in enumerate(page):
        where.setdefault(line, []).append(number)
    start = where[faq[0]][0] if faq[0] in where else len(page)
    position, at = 0, 0
    for number, line in enumerate(lines):
        places = where.get(line, [])
        k = bisect.bisect_left(places, at)  # the line's first place in the page after the line before it
        if k == len(places):
            continue
        if places[k] >= start:
            break
        position, at = number + 1, places[k] + 1
    new = [line for line in faq if line not in kept]
    return "\n".join(lines[:position] + new + lines[position:]) + "\n"


# JSON-LD is read with the standard library's ``json``. extruct (a maintained library for a page's structured data)
# was considered and not added: it reads JSON-LD with ``json`` too (plus a lenient parser for broken blobs), and
# brings rdflib, pyrdfa3, mf2py, w3lib, html-text and jstyleson for the RDFa, microdata and microformats we do not
# read here; we need one schema.org type, whose shape is a few lines below.
_JSON_LD_CHARS = 200_000  # a blob larger than this is no FAQ (a product catalogue, a site's whole graph): not read
_JSON_LD_NODES = 10_000  # objects and lists looked at in one blob, at most
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
_QUOTES = str.maketrans({"‘": "'", "’": "'", "‚": "'", "ʼ": "'", "′": "'", "`": "'", "“": '"', "”": '"',
                         "„": '"', "″": '"'})  # fmt: skip


def _normalised(text: str) -> str:
    """``text`` compared without case, white space or the kind of its quotes and apostrophes (a page writes ’ where
    its JSON-LD writes ', and block boundaries put no space between words in an element's text content)."""
    return "".join(text.translate(_QUOTES).casefold().split())


def _types(node: dict) -> set[str]:
    """A JSON-LD node's types, without their vocabulary's prefix ("schema:FAQPage", "https://schema.org/FAQPage")."""
    types = node.get("@type")
    types = types if isinstance(types, list) else [types]
    return {t.rsplit("/", 1)[-1].rsplit(":", 1)[-1] for t in types if isinstance(t, str)}


def _as_list(value) -> list:
    return value if isinstance(value, list) else [value]


def _faq_pairs(data) -> list[tuple[str, str]]:
    """The (question, answer) pairs of every FAQPage in a parsed JSON-LD blob, wherever it sits (the top level, a
    list, ``@graph``, a WebPage's ``mainEntity``): each Question's ``name`` and its ``acceptedAnswer``'s ``text``,
    both strings (an answer may hold HTML). Anything of another shape is passed over."""
    pairs, stack, seen = [], [data], 0
    while stack and seen < _JSON_LD_NODES:
        node = stack.pop()
        seen += 1
        if isinstance(node, list):
            stack.extend(reversed(node))
            continue
        if not isinstance(node, dict):
            continue
        if "FAQPage" not in _types(node):
            stack.extend(reversed([v for v in node.values() if isinstance(v, (dict, list))]))
            continue
        for question in _as_list(node.get("mainEntity")):
            if not isinstance(question, dict) or not isinstance(question.get("name"), str):
                continue
            for answer in _as_list(question.get("acceptedAnswer")):
                if isinstance(answer, dict) and isinstance(answer.get("text"), str):
                    pairs.append((question["name"], answer["text"]))
    return pairs


def _with_faq_data(html: str, text: str) -> tuple[str, int]:
    """``text`` with the questions and answers of the page's schema.org FAQPage JSON-LD that the page's HTML does not
    show, and how many were added. Many clinic sites draw their FAQ accordion with JavaScript from that data, so the
    HTML a server sends holds the answers only in a ``<script type="application/ld+json">``; they are statements of
    the page. Each such question is added after the article as a line, over its answer's lines (its HTML read as
    text), so that an answer is read under its question as any FAQ's is (``relevant_clauses``). A pair whose answer
    the page shows anywhere (in the article or not: an FAQ left out as furniture stays out) is not repeated: the
    page shows it when more than half of the answer (in characters) is in sentences the page shows, compared without
    case, white space or the kind of quotes, since the data often holds a shorter answer than the page (page 11's
    "Not in its IV form. Its close cousin …" leaves out the page's middle sentence), while a sentence such as "Call
    us to learn more." shown elsewhere on the page does not hide a longer answer given only in the data. A blob that
    is not JSON, too large or of another type is passed over."""
    if "faqpage" not in html.lower():  # every FAQPage type, prefixed or not; most pages' JSON-LD is of other types
        return text, 0
    import lxml.html

    try:
        root = lxml.html.document_fromstring(html)
    except (ValueError, lxml.etree.ParserError):
        return text, 0
    pairs = []
    for script in root.iter("script"):
        if (script.get("type") or "").split(";")[0].strip().lower() != "application/ld+json":
            continue
        blob = script.text or ""
        if len(blob) > _JSON_LD_CHARS:
            continue
        try:
            pairs += _faq_pairs(json.loads(blob))
        except (ValueError, RecursionError):  # not JSON, or nested deeper than the parser goes
            continue
    if not pairs:
        return text, 0
    for element in root.xpath("//script | //style | //template"):
        element.drop_tree()
    shown = _normalised(root.text_content() + "\n" + text)
    added, count = [], 0
    for name, answer in pairs:
        question = " ".join(html_to_text(name).split())
        lines = html_to_text(answer).splitlines()
        sentences = [_normalised(s) for line in lines for s in _SENTENCE_END.split(line)]
        said = "".join(sentences)
        if not question or not said or 2 * sum(len(s) for s in sentences if s in shown) > len(said):
            continue
        added += [question, *lines]
        count += 1
        shown += "\n".join(sentences)  # the same pair given twice (two blobs) is added once
    if not count:
        return text, 0
    return (text if text.endswith("\n") else text + "\n") + "\n".join(added) + "\n", count


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


def readable_document(raw: bytes | str, name: str = "input", fmt: str = "auto") -> Readable:
    """The text to archive: decoded, converted from HTML (its main content) or Markdown, with normalised line
    endings; how many lines of page furniture were dropped, and how many FAQ questions were added from the page's
    JSON-LD."""
    if fmt not in FORMATS:
        raise InputError(f"Unknown format {fmt!r}; choose one of {', '.join(FORMATS)}.")
    text = decode(raw, name) if isinstance(raw, bytes) else raw
    if len(text.encode("utf-8")) > MAX_BYTES:
        raise InputError(f"{name} is larger than {MAX_BYTES // 1048576} MB.")
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if fmt == "auto":
        fmt = guess_format(name, text)
    dropped = from_data = 0
    if fmt == "html":
        if not html_to_text(text, furniture=False).strip():
            raise InputError(f"{name} has no readable text once markup is removed.")
        readable = article_text(text)
        text, dropped, from_data = readable.text, readable.dropped, readable.from_data
    elif fmt == "markdown":
        text = markdown_to_text(text)
    if not text.strip():
        raise InputError(f"{name} has no readable text once markup is removed.")
    return Readable(text, dropped, from_data)


def readable_text(raw: bytes | str, name: str = "input", fmt: str = "auto") -> str:
    """The text to archive (see ``readable_document``)."""
    return readable_document(raw, name, fmt).text
