"""Full-text search over published claims, public sources and public studies.

``SearchEntry`` rows are the searchable documents; signals keep them in step with the records (see
``claims/signals.py``) and ``rebuild_index()`` recreates them all. Querying uses the database's own
full-text engine: PostgreSQL's tsvector/tsquery with ``ts_rank`` and ``ts_headline`` (over the stored column
``search_vector`` and its GIN index ``search_entry_vector``, migration 0005), or SQLite's FTS5 with ``bm25``
and ``snippet``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.db import connection
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from claims.models import Assertion, Claim, SearchEntry
from sources.models import Source, Study

# Sentinels marking matches inside snippets; the snippet is HTML-escaped before they become <mark>.
_START, _STOP = "\x02", "\x03"
MAX_QUERY_LENGTH = 200
MAX_MATCHES = 1000  # counted (and on PostgreSQL ranked) per search; see search()
_TOKEN = re.compile(r"\w+", re.UNICODE)


@dataclass(frozen=True)
class Hit:
    kind: str
    title: str
    url: str
    grade: str
    snippet: SafeString

    @property
    def kind_label(self) -> str:
        return SearchEntry.Kind(self.kind).label


# Markdown in the indexed text (study summaries, editors' notes) is syntax, not words: snippets show the words.
# A snippet is a cut-out, so a marker may have lost its partner ("…**crossover"); each is dropped on its own.
_MD_LINK = re.compile(r"!?\[([^\]\n]*)\]\([^)\s]*(?:\s+\"[^\"]*\")?\)")  # [text](url "title") -> text
_MD_LINE_START = re.compile(r"^[ \t]*(?:#{1,6}[ \t]+|>[ \t]?|[*+-][ \t]+)", re.MULTILINE)  # heading, quote, bullet
# Emphasis: asterisks or underscores opening before a word or closing after one; "snake_case" and "2 * 3" stay.
_MD_EMPHASIS = re.compile(r"(?<![\w*\\])(?:\*{1,3}|_{1,3})(?=[^\s*_])|(?<=[^\s*_\\])(?:\*{1,3}|_{1,3})(?![\w*])")
_MD_ESCAPE = re.compile(r"\\([\\`*_{}\[\]()#+\-.!>])")


def strip_markdown(text: str) -> str:
    """The words of a Markdown snippet without its syntax: links keep their text; emphasis, code ticks, heading,
    quote and bullet markers go. Plain text passes unchanged but for those characters in those places."""
    text = _MD_LINK.sub(r"\1", text)
    text = _MD_LINE_START.sub("", text)
    text = _MD_EMPHASIS.sub("", text)
    text = text.replace("`", "")
    return _MD_ESCAPE.sub(r"\1", text)


def _highlight(text: str) -> SafeString:
    escaped = escape(strip_markdown(text or ""))
    return mark_safe(escaped.replace(_START, "<mark>").replace(_STOP, "</mark>"))  # noqa: S308 - escaped above


# --- indexing ---------------------------------------------------------------------------------------------


# The body is what search matches and what its snippet shows: its parts are joined with a separator, so that a
# snippet reads "Efficacy · PTSD (post-traumatic stress disorder) · “quote” · …" rather than running them together.
SEPARATOR = " · "


# PostgreSQL refuses a tsvector over 1 MB ("string is too long for tsvector"): each distinct word costs its letters
# and 4-5 bytes of positions, so a long article of varied words (a 1.9 MB source; the importer takes 2 MB) got
# there from about 800 KB, and every later save of its assertions, which re-indexes it, failed. A body is indexed up
# to this many bytes of UTF-8 (at most 3 bytes of tsvector each), cut at a word: about 45,000 words of an article,
# the first of them also in the snippets (positions past 16,383 are not told apart anyway).
MAX_INDEXED_BYTES = 300_000


def _capped(text: str) -> str:
    if len(text) <= MAX_INDEXED_BYTES // 4:  # no character takes more than 4 bytes
        return text
    encoded = text.encode("utf-8")
    if len(encoded) <= MAX_INDEXED_BYTES:
        return text
    return encoded[:MAX_INDEXED_BYTES].decode("utf-8", "ignore").rsplit(None, 1)[0]


def _joined(parts) -> str:
    return _capped(SEPARATOR.join(part for part in parts if part))


def _claim_fields(claim: Claim, conditions, tags, quotes) -> dict:
    names = [f"{c.name} ({', '.join(c.other_names())})" if c.other_names() else c.name for c in conditions]
    tag_names = ", ".join(t.name for t in tags)
    body = _joined([claim.get_category_display(), *names, tag_names, *(f"“{quote}”" for quote in quotes)])
    return {"title": claim.text, "body": body, "url": claim.get_absolute_url(), "grade": claim.grade}


def _source_fields(source: Source) -> dict:
    body = _joined([source.author, source.publisher, source.get_kind_display(), source.text])
    return {"title": source.title, "body": body, "url": source.get_absolute_url(), "grade": ""}


def _study_fields(study: Study) -> dict:
    parts = [study.title, study.authors, study.journal, str(study.year or ""), study.population, study.summary]
    return {"title": study.label, "body": _joined(parts), "url": study.get_absolute_url(), "grade": ""}


def index_claim(claim: Claim) -> None:
    """Index a published claim, or drop a claim that is not. Runs three queries (conditions, tags, quotes)."""
    if claim.status != Claim.Status.PUBLISHED:
        SearchEntry.objects.filter(kind=SearchEntry.Kind.CLAIM, object_id=claim.pk).delete()
        return
    fields = _claim_fields(
        claim, claim.conditions.all(), claim.tags.all(), claim.assertions.values_list("quote", flat=True)
    )
    SearchEntry.objects.update_or_create(kind=SearchEntry.Kind.CLAIM, object_id=claim.pk, defaults=fields)


def index_source(source: Source, public: bool | None = None) -> None:
    """Index a public source (one with a statement of a published claim), or drop one that is not; ``public``
    when the caller knows it already."""
    if public is None:
        public = source.is_public()
    if not public:
        SearchEntry.objects.filter(kind=SearchEntry.Kind.SOURCE, object_id=source.pk).delete()
        return
    SearchEntry.objects.update_or_create(
        kind=SearchEntry.Kind.SOURCE, object_id=source.pk, defaults=_source_fields(source)
    )


def index_sources_of(claim_ids) -> None:
    """Re-index the sources that state these claims: publishing or unpublishing a claim can make a source public
    or private. Which of them are public is read in one query; each is then written (editors' saves only: bulk
    writes rebuild the index instead)."""
    sources = list(Source.objects.filter(assertions__claim__in=claim_ids).distinct())
    public = set(Source.objects.public().filter(pk__in=[s.pk for s in sources]).values_list("pk", flat=True))
    for source in sources:
        index_source(source, public=source.pk in public)


def index_study(study: Study, public: bool | None = None) -> None:
    """Index a public study (one a published claim uses: ``Study.objects.public()``), or drop one that is not;
    ``public`` when the caller knows it already (otherwise one query)."""
    if public is None:
        public = Study.objects.public().filter(pk=study.pk).exists()
    if not public:
        SearchEntry.objects.filter(kind=SearchEntry.Kind.STUDY, object_id=study.pk).delete()
        return
    SearchEntry.objects.update_or_create(kind=SearchEntry.Kind.STUDY, object_id=study.pk, defaults=_study_fields(study))


def index_studies(study_ids) -> None:
    """Re-index these studies: which are public is read in one query, then each is written or dropped."""
    studies = list(Study.objects.filter(pk__in=[pk for pk in study_ids if pk is not None]))
    public = set(Study.objects.public().filter(pk__in=[s.pk for s in studies]).values_list("pk", flat=True))
    for study in studies:
        index_study(study, public=study.pk in public)


def index_studies_of(claim_ids) -> None:
    """Re-index the studies these claims use (evidence base, cited studies): publishing or unpublishing a claim
    can make a study public or private, as for sources."""
    evidence = Study.objects.filter(evidence__claim__in=claim_ids).values_list("pk", flat=True)
    cited = Assertion.objects.filter(claim__in=claim_ids, cited_study__isnull=False).values_list("cited_study_id")
    index_studies({*evidence, *(pk for (pk,) in cited)})


def unindex(kind: str, pk: int) -> None:
    SearchEntry.objects.filter(kind=kind, object_id=pk).delete()


def _claim_entries(claims, quotes_of) -> list[SearchEntry]:
    quotes: dict[int, list[str]] = {}
    for claim_id, quote in quotes_of.values_list("claim_id", "quote").iterator():
        quotes.setdefault(claim_id, []).append(quote)
    return [
        SearchEntry(
            kind=SearchEntry.Kind.CLAIM,
            object_id=claim.pk,
            **_claim_fields(claim, claim.conditions.all(), claim.tags.all(), quotes.get(claim.pk, [])),
        )
        for claim in claims.prefetch_related("conditions", "tags").iterator(chunk_size=2000)
    ]


def index_claims(claim_ids) -> int:
    """Re-index these claims in bulk (after a tag's rename or merge: a job, importer/tasks.py): their entries are
    written again if published, dropped if not. Five queries however many claims. Returns how many are indexed."""
    claim_ids = list(claim_ids)
    SearchEntry.objects.filter(kind=SearchEntry.Kind.CLAIM, object_id__in=claim_ids).delete()
    published = Claim.objects.published().filter(pk__in=claim_ids)
    entries = _claim_entries(published, Assertion.objects.public().filter(claim__in=claim_ids))
    SearchEntry.objects.bulk_create(entries, batch_size=1000)
    return len(entries)


def rebuild_index() -> int:
    """Recreate every entry from the records, in bulk (a handful of queries per thousand records)."""
    SearchEntry.objects.all().delete()
    entries = _claim_entries(Claim.objects.published(), Assertion.objects.public())
    entries += [
        SearchEntry(kind=SearchEntry.Kind.SOURCE, object_id=source.pk, **_source_fields(source))
        for source in Source.objects.public().iterator(chunk_size=500)
    ]
    entries += [
        SearchEntry(kind=SearchEntry.Kind.STUDY, object_id=study.pk, **_study_fields(study))
        for study in Study.objects.public().iterator(chunk_size=2000)
    ]
    SearchEntry.objects.bulk_create(entries, batch_size=1000)
    return len(entries)


# --- querying ---------------------------------------------------------------------------------------------


def normalise_query(raw: str) -> str:
    return " ".join((raw or "").split())[:MAX_QUERY_LENGTH]


def _fts5_query(query: str) -> str:
    # Each word quoted (so FTS5 operators in user input are inert); the last one as a prefix, for
    # searches typed as you go ("ketam" finds ketamine).
    tokens = _TOKEN.findall(query)
    if not tokens:
        return ""
    quoted = [f'"{token}"' for token in tokens]
    quoted[-1] += "*"
    return " ".join(quoted)


def search(query: str, kind: str = "", limit: int = 20, offset: int = 0) -> tuple[list[Hit], int]:
    """Ranked hits and the number of matches, counted up to ``MAX_MATCHES + 1``: two queries on SQLite (FTS5's
    snippets must come from the query that matches), one on PostgreSQL (``_search_postgresql``).

    A broad query ("depression" in a large knowledge base) matches tens of thousands of entries. Counting them
    all, and on PostgreSQL ranking them all, would read every matching row on every search; instead the count
    stops past ``MAX_MATCHES`` (pages say "more than 1,000") and PostgreSQL ranks the first ``MAX_MATCHES``
    matches in id order (the planner reads them from the primary key or the GIN index, whichever is cheaper).
    Narrower queries, which is nearly all of them, are counted and ranked in full. FTS5 ranks all matches
    cheaply, so SQLite's ranking is not capped.
    """
    query = normalise_query(query)
    if not query:
        return [], 0
    if connection.vendor == "postgresql":
        return _search_postgresql(query, kind, limit, offset)
    match = _fts5_query(query)
    total = _count_sqlite(match, kind) if match else 0
    return (_hits_sqlite(match, kind, limit, offset) if total else []), total


def page_count(total: int, per_page: int) -> int:
    """How many pages of ``per_page`` hits a search with ``total`` matches has (at least one; the count stops past
    ``MAX_MATCHES``, and so do the pages)."""
    return max(1, -(-min(total, MAX_MATCHES) // per_page))


def search_page(query: str, kind: str = "", per_page: int = 20, number: int = 1) -> tuple[list[Hit], int, int]:
    """Page ``number`` of the ranked hits, the number of matches (as ``search()``) and the number of the page
    returned: a page past the last one gives the last one, as ``Paginator.get_page`` does on the other lists.

    Queries as ``search()``: on SQLite the count comes first, so the page is settled before the hits are read; on
    PostgreSQL, where one query counts and ranks, a page past the last costs a second query for the last page.
    """
    query = normalise_query(query)
    number = min(max(number, 1), page_count(MAX_MATCHES + 1, per_page))  # nothing lies beyond; keeps offsets small
    if not query:
        return [], 0, 1
    if connection.vendor == "postgresql":
        hits, total = _search_postgresql(query, kind, per_page, (number - 1) * per_page)
        if total and not hits and number > page_count(total, per_page):
            number = page_count(total, per_page)
            hits, total = _search_postgresql(query, kind, per_page, (number - 1) * per_page)
        return hits, total, number
    match = _fts5_query(query)
    total = _count_sqlite(match, kind) if match else 0
    if not total:
        return [], 0, 1
    number = min(number, page_count(total, per_page))
    return _hits_sqlite(match, kind, per_page, (number - 1) * per_page), total, number


def _sqlite_from(kind: str) -> tuple[str, list]:
    kind_sql, kind_params = ("AND e.kind = %s", [kind]) if kind else ("", [])
    base = (
        "FROM claims_searchentry_fts f JOIN claims_searchentry e ON e.id = f.rowid "
        f"WHERE claims_searchentry_fts MATCH %s {kind_sql}"
    )
    return base, kind_params


def _count_sqlite(match: str, kind: str) -> int:
    """Matches of an FTS5 query, counted up to ``MAX_MATCHES + 1`` (one query)."""
    base, kind_params = _sqlite_from(kind)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COUNT(*) FROM (SELECT 1 {base} LIMIT {MAX_MATCHES + 1}) m", [match, *kind_params])
        return cursor.fetchone()[0]


def _hits_sqlite(match: str, kind: str, limit: int, offset: int) -> list[Hit]:
    """One page of ranked hits with their snippets (one query)."""
    base, kind_params = _sqlite_from(kind)
    rows_sql = f"""
        SELECT e.kind, e.title, e.url, e.grade,
               snippet(claims_searchentry_fts, -1, '\x02', '\x03', '…', 24)
        {base}
        ORDER BY bm25(claims_searchentry_fts, 4.0, 1.0), e.kind, e.id
        LIMIT %s OFFSET %s"""
    with connection.cursor() as cursor:
        cursor.execute(rows_sql, [match, *kind_params, limit, offset])
        rows = cursor.fetchall()
    return [Hit(kind=k, title=t, url=u, grade=g, snippet=_highlight(s)) for k, t, u, g, s in rows]


def _search_postgresql(query: str, kind: str, limit: int, offset: int) -> tuple[list[Hit], int]:
    """One query: the first ``MAX_MATCHES + 1`` matches in id order, read once (a materialised CTE holding only
    their id, kind and search vector) for both the count and the ranking; titles, bodies and highlighted snippets
    are read for the one page of hits only.

    Reading them once matters when the planner misjudges a query: for "suicidal ideation" at 100,000 claims it
    expects 2,500 matches, finds 14,469, and reads them all through the GIN index before keeping the first 1,001;
    the count and the ranking did that twice, and the ranking also sorted the full rows, bodies included
    (at 100,000 claims: 49 → 30 ms; the bench's five searches: p95 52 → about 35 ms).
    """
    kind_sql, kind_params = ("AND e.kind = %s", [kind]) if kind else ("", [])
    # search_vector is the stored, weighted tsvector of title and body (migration 0005), GIN-indexed.
    # The tsquery is written out where it is used, not taken from a CTE: a constant expression lets the planner
    # estimate how many entries match, and so choose between the primary key (broad words) and the GIN index.
    tsquery = "websearch_to_tsquery('english'::regconfig, %s)"
    sql = f"""
        WITH m AS MATERIALIZED (
            SELECT e.id, e.kind, e.search_vector FROM claims_searchentry e
            WHERE e.search_vector @@ {tsquery} {kind_sql}
            ORDER BY e.id LIMIT {MAX_MATCHES + 1}
        ),
        page AS (
            SELECT ranked.id, ts_rank(ranked.search_vector, {tsquery}) AS rank
            FROM (SELECT * FROM m ORDER BY id LIMIT {MAX_MATCHES}) ranked
            ORDER BY rank DESC, ranked.kind, ranked.id
            LIMIT %s OFFSET %s
        )
        SELECT (SELECT COUNT(*) FROM m), e.kind, e.title, e.url, e.grade,
               ts_headline('english'::regconfig, e.title || ' — ' || e.body, {tsquery},
                           'StartSel=\x02, StopSel=\x03, MaxWords=30, MinWords=12, MaxFragments=2')
        FROM (SELECT 1) one
        LEFT JOIN (page JOIN claims_searchentry e ON e.id = page.id) ON true
        ORDER BY page.rank DESC, e.kind, e.id"""  # noqa: S608 - only constants are formatted in; values are parameters
    with connection.cursor() as cursor:
        cursor.execute(sql, [query, *kind_params, query, limit, offset, query])
        rows = cursor.fetchall()
    total = rows[0][0] if rows else 0
    hits = [Hit(kind=k, title=t, url=u, grade=g, snippet=_highlight(s)) for _, k, t, u, g, s in rows if k is not None]
    return hits, total
