"""The stored counts of published claims that the home page, the conditions list, the tag list and the
disagreements page show (``PublishedCount``), so that these pages read a few rows instead of counting every
claim: at 100,000 claims the counts took most of their time, and grew with the knowledge base. Likewise a
condition page's entries (``PageEntry``: each published claim on each page that lists it, in the page's order)
and figures (``PageFigure``: its claims per question and grade), so that the page reads its figures and the first
claims of each question instead of sorting every claim of the condition.

A claim's entries are rewritten (deleted and written again) whenever it is saved or deleted, its conditions
change, its stance counts are recounted (a source stating it moves it out of "what the articles leave out") or a
condition it is about moves within another; then the figures of every page its old and new entries are on are
recounted from the entries. A page's Summary of Findings rows (``FindingEntry``: the estimate shown per outcome
and time point) are rewritten, on every page at once, for the outcomes and time points of the estimates a write
touches, on the pages that show those estimates: an estimate saved or deleted, a claim saved or deleted or
published (its estimates become public or not), a study's design or year changed; all of them when a condition
moves.

The counts are recounted, never incremented, for the keys a write touches: every grade and the disputed count
(two aggregates over indexes), and the conditions and tags of the claims written (one aggregate each, over
their links). ``claims/signals.py`` calls ``claims_changed()`` after a claim is saved or deleted,
``refresh_conditions()`` and ``refresh_tags()`` after its links change, and
``ClaimQuerySet.refresh_stance_counts()`` calls ``refresh_disputed()`` after any write of assertions; the
workflow's ``update()`` writes call ``claims_changed()`` themselves; bulk writes (the synthetic generator) and
``manage.py refresh_figures`` call ``refresh_all()``.

Concurrent writers: a recount inside a transaction counts what that transaction sees, at once (its own pages and
tests read it), and the same keys are recounted again once it commits, in a short transaction of their own that
locks the rows first (``SELECT … FOR UPDATE`` on PostgreSQL, always in the same order: disputed, grades,
conditions, tags, the claims whose entries are rewritten, the page figures, the Summary of Findings rows). A
recount that ran before another transaction committed is thus followed by one that sees it, and no lock is held
across an editor's transaction (where it could deadlock with another's). SQLite serialises writers.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import CharField, Count, F, OuterRef, Q, Subquery
from django.db.models.expressions import RawSQL
from django.db.models.functions import Cast, Coalesce

from claims.answers import GRADE_RANK, VERDICT_RANK, section_of
from claims.models import (
    DISPUTED,
    FINDING_FIELDS,
    Claim,
    Condition,
    ConflictEntry,
    EffectEstimate,
    FindingEntry,
    PageEntry,
    PageFigure,
    PublishedCount,
    Status,
    TaggedClaim,
    finding_rank,
)

Kind = PublishedCount.Kind


def _store(kind: str, counts: dict[str, int], keys: Iterable[str] | None = None) -> None:
    """Write ``counts`` for ``kind``; keys among ``keys`` (every key of the kind when None) that have no count are
    set to 0. The caller holds the transaction."""
    rows = PublishedCount.objects.filter(kind=kind)
    if keys is not None:
        keys = set(keys)
        rows = rows.filter(key__in=keys)
    stored = {row.key: row for row in rows}
    counts = {**dict.fromkeys(keys if keys is not None else stored, 0), **counts}
    changed = [row for key, row in stored.items() if row.n != counts[key]]
    for row in changed:
        row.n = counts[row.key]
    PublishedCount.objects.bulk_update(changed, ["n"])
    PublishedCount.objects.bulk_create(
        [PublishedCount(kind=kind, key=key, n=n) for key, n in counts.items() if key not in stored and n],
        # Two first counts of the same key at once: the second is an update.
        update_conflicts=True, unique_fields=["kind", "key"], update_fields=["n"],
    )  # fmt: skip


def _lock(kind: str, keys: Iterable[str] | None = None) -> None:
    if transaction.get_connection().features.has_select_for_update:
        rows = PublishedCount.objects.filter(kind=kind)
        if keys is not None:
            rows = rows.filter(key__in=list(keys))
        list(rows.select_for_update().order_by("key").values_list("pk", flat=True))


@dataclass
class _Recount:
    """What to recount: the grades (and with them the disputed count), the disputed count, and these conditions
    and tags (None: all of them); whose condition-page entries to rewrite: these claims (None: all), the claims
    about conditions within these moved ones; the figures of these pages (the claims' old and new pages are
    recounted anyway); and the Summary of Findings rows of these outcomes and time points (None: all) on the pages
    of these conditions (the pages that show their estimates: the conditions and those they lie within; None:
    every page), and those of these claims' estimates."""

    grades: bool = False
    disputed: bool = False
    conditions: set[int] | None = field(default_factory=set)
    tags: set[int] | None = field(default_factory=set)
    claims: set[int] | None = field(default_factory=set)
    moved: set[int] = field(default_factory=set)
    pages: set[int | None] = field(default_factory=set)
    findings: set[tuple[str, str]] | None = field(default_factory=set)
    finding_conditions: set[int] | None = field(default_factory=set)
    finding_claims: set[int] = field(default_factory=set)

    def add(self, other: _Recount) -> None:
        self.grades |= other.grades
        self.disputed |= other.disputed
        self.moved |= other.moved
        self.pages |= other.pages
        self.finding_claims |= other.finding_claims
        for name in ("conditions", "tags", "claims", "findings", "finding_conditions"):
            mine, theirs = getattr(self, name), getattr(other, name)
            setattr(self, name, None if mine is None or theirs is None else mine | theirs)

    def run(self, lock: bool) -> None:
        with transaction.atomic():
            published = Claim.objects.published()
            if self.grades or self.disputed:
                if lock:
                    _lock(Kind.DISPUTED, [""])
                _store(Kind.DISPUTED, {"": published.filter(DISPUTED).count()}, [""])
            if self.grades:
                if lock:
                    _lock(Kind.GRADE)
                _store(Kind.GRADE, dict(published.values_list("grade").annotate(n=Count("id")).order_by()))
            links = Claim.conditions.through.objects.filter(claim__status=Status.PUBLISHED)
            tagged = TaggedClaim.objects.filter(content_object__status=Status.PUBLISHED)
            for kind, ids, rows, column, counted in (
                (Kind.CONDITION, self.conditions, links, "condition_id", "claim_id"),
                (Kind.TAG, self.tags, tagged, "tag_id", "id"),
            ):
                if ids is not None and not ids:
                    continue
                keys = None if ids is None else sorted(str(pk) for pk in ids)
                if ids is not None:
                    rows = rows.filter(**{f"{column}__in": ids})
                if lock:
                    _lock(kind, keys)
                counts = rows.values_list(column).annotate(n=Count(counted)).order_by()
                _store(kind, {str(pk): n for pk, n in counts}, keys)
            if self.claims is None or self.claims or self.moved or self.pages:
                _rewrite_pages(self.claims, self.moved, self.pages, lock)
            findings, where = self.findings, self.finding_conditions
            if self.finding_claims and not (findings is None and where is None):
                # The outcomes and conditions of these claims' estimates as they are now (estimates that moved or
                # went were rewritten by their own writes).
                estimates = EffectEstimate.objects.filter(
                    claim_id__in=sorted(self.finding_claims), condition__isnull=False
                )
                rows = set(estimates.order_by().values_list("outcome", "timepoint", "condition_id").distinct())
                findings = None if findings is None else findings | {(o, t) for o, t, _ in rows}
                where = None if where is None else where | {c for _, _, c in rows}
            if (findings is None or findings) and (where is None or where):
                _rewrite_findings(findings, where, lock)


# --- condition pages (PageEntry, PageFigure) -------------------------------------------------------------------

CHUNK = 2000  # claims per query: SQLite limits the parameters of one statement


def page_rank(verdict: str, grade: str) -> int:
    """A claim's place within its section of a condition page before its text (``claims.answers.Outline``)."""
    return VERDICT_RANK.get(verdict, 9) * 10 + GRADE_RANK.get(grade, 9)


def sort_text(text: str) -> bytes:
    """A claim's text as condition pages order it: its UTF-8 bytes (the order of Python's strings), cut to what an
    index entry holds."""
    return text.encode()[: PageEntry.SORT_TEXT_BYTES]


def _within(condition_ids: Iterable[int], parents: dict[int, int | None]) -> set[int]:
    """These conditions and every condition they lie within: the pages that show a claim about them."""
    found = set()
    for pk in condition_ids:
        while pk is not None and pk not in found:
            found.add(pk)
            pk = parents.get(pk)
    return found


def _subtrees(condition_ids: Iterable[int], parents: dict[int, int | None]) -> set[int]:
    """These conditions and every condition within them."""
    children = defaultdict(list)
    for pk, parent in parents.items():
        children[parent].append(pk)
    found, stack = set(), list(condition_ids)
    while stack:
        pk = stack.pop()
        if pk not in found:
            found.add(pk)
            stack.extend(children[pk])
    return found


def _rewrite_pages(claims: set[int] | None, moved: set[int], pages: set[int], lock: bool) -> None:
    """Rewrite the page entries of ``claims`` (None: all) and of the claims about a condition within ``moved``, then
    recount the figures of every page their old or new entries are on, and of ``pages`` (condition ids, None for
    the general claims: the pages of deleted claims, whose entries went with them) (a few queries per 2,000
    claims)."""
    parents = dict(Condition.objects.values_list("pk", "parent_id"))
    links = Claim.conditions.through.objects
    if moved and claims is not None:
        subtree = _subtrees(moved, parents)
        claims = claims | set(links.filter(condition_id__in=subtree).values_list("claim_id", flat=True))
    touched: set[int | None] | None = set(pages)
    if claims is None:
        PageEntry.objects.all().delete()
        ConflictEntry.objects.all().delete()
        touched, ids = None, list(Claim.objects.published().order_by("pk").values_list("pk", flat=True))
    else:
        ids = sorted(claims)
        if lock and ids and transaction.get_connection().features.has_select_for_update:
            # Two rewrites of one claim at once: the second waits, then reads what the first committed.
            list(Claim.objects.filter(pk__in=ids).select_for_update(no_key=True).order_by("pk").values_list("pk"))
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        if touched is not None:
            old = PageEntry.objects.filter(claim_id__in=chunk)
            touched |= set(old.values_list("condition_id", flat=True).distinct())
            old.delete()
        linked = defaultdict(set)
        for claim_id, condition_id in links.filter(claim_id__in=chunk).values_list("claim_id", "condition_id"):
            linked[claim_id].add(condition_id)
        entries = []
        rows = (
            Claim.objects.published()
            .filter(pk__in=chunk)
            .values_list("pk", "category", "verdict", "grade", "n_sources", "text", "applies_generally")
        )
        for pk, category, verdict, grade, n_sources, text, general in rows:
            keys = {None} if general else _within(linked[pk], parents)
            if touched is not None:
                touched |= keys
            section = section_of(category, verdict, bool(n_sources))
            entries += [
                PageEntry(
                    condition_id=key, claim_id=pk, section=section, grade=grade, rank=page_rank(verdict, grade),
                    sort_text=sort_text(text),
                )
                for key in keys
            ]  # fmt: skip
        PageEntry.objects.bulk_create(entries, batch_size=CHUNK)
        _rewrite_conflicts(chunk, every=touched is None)
    _recount_pages(touched, lock)


def _rewrite_conflicts(claim_ids: list[int], every: bool) -> None:
    """Rewrite the stored conflicting pairs of these published claims (``every``: all pairs were deleted first, and
    each is written once, from its lower id)."""
    through = Claim.conflicting_claims.through.objects
    if not every:
        ConflictEntry.objects.filter(Q(from_claim_id__in=claim_ids) | Q(to_claim_id__in=claim_ids)).delete()
    rows = through.filter(
        from_claim_id__in=claim_ids,
        from_claim__status=Status.PUBLISHED,
        to_claim__status=Status.PUBLISHED,
    )
    if every:  # a symmetrical link is stored both ways: the pair once
        rows = rows.filter(from_claim_id__lt=F("to_claim_id"))
    pairs = {}
    for a, b, a_text, b_text in rows.values_list("from_claim_id", "to_claim_id", "from_claim__text", "to_claim__text"):
        low, high = (a, b) if a < b else (b, a)
        texts = (a_text, b_text) if a < b else (b_text, a_text)
        pairs[(low, high)] = texts
    ConflictEntry.objects.bulk_create(
        [
            ConflictEntry(from_claim_id=a, to_claim_id=b, from_text=sort_text(ta), to_text=sort_text(tb))
            for (a, b), (ta, tb) in pairs.items()
        ],
        batch_size=CHUNK,
        ignore_conflicts=True,  # the same pair rewritten at once by another transaction
    )


def _recount_pages(keys: set[int | None] | None, lock: bool) -> None:
    """Recount the figures of these condition pages (None: the general claims' figures; all when ``keys`` is None)
    from their entries (one aggregate, then the changed rows)."""
    if keys is not None and not keys:
        return
    where = Q()
    if keys is not None:
        ids = sorted(k for k in keys if k is not None)
        where = Q(condition_id__in=ids) | (Q(condition__isnull=True) if None in keys else Q(pk__in=[]))
    stored_rows = PageFigure.objects.filter(where)
    if lock and transaction.get_connection().features.has_select_for_update:
        stored_rows = stored_rows.select_for_update().order_by("pk")
    stored = {(row.condition_id, row.section, row.grade): row for row in stored_rows}
    counts = PageEntry.objects.filter(where).values_list("condition_id", "section", "grade").annotate(n=Count("id"))
    counts = {(condition, section, grade): n for condition, section, grade, n in counts.order_by()}
    changed = [row for key, row in stored.items() if key in counts and row.n != counts[key]]
    for row in changed:
        row.n = counts[(row.condition_id, row.section, row.grade)]
    PageFigure.objects.bulk_update(changed, ["n"])
    gone = [row.pk for key, row in stored.items() if key not in counts]
    if gone:
        PageFigure.objects.filter(pk__in=gone).delete()
    PageFigure.objects.bulk_create(
        [
            PageFigure(condition_id=c, section=s, grade=g, n=n)
            for (c, s, g), n in counts.items()
            if (c, s, g) not in stored
        ],
        ignore_conflicts=True,  # two first counts of one figure at once: the next write recounts it
    )


# --- Summary of Findings (FindingEntry) ---------------------------------------------------------------------


def _rewrite_findings(keys: set[tuple[str, str]] | None, conditions: set[int] | None, lock: bool) -> None:
    """Rewrite the Summary of Findings rows of these outcomes and time points (None: all) on the pages of these
    conditions and of those they lie within (None: every page), from the public estimates that have them on those
    pages (one light row per such estimate; each counts on its condition's page and the page of every condition it
    lies within), then the rows that changed."""
    parents = dict(Condition.objects.values_list("pk", "parent_id"))
    rows = EffectEstimate.objects.public().filter(condition__isnull=False)
    stored_rows = FindingEntry.objects.all()
    pages = None if conditions is None else _within(conditions, parents)
    if pages is not None:
        rows = rows.filter(condition_id__in=sorted(_subtrees(pages, parents)))
        stored_rows = stored_rows.filter(condition_id__in=sorted(pages))
    if keys is not None:
        wanted = Q(pk__in=[])
        for outcome, timepoint in sorted(keys):
            wanted |= Q(outcome=outcome, timepoint=timepoint)
        rows, stored_rows = rows.filter(wanted), stored_rows.filter(wanted)
    if lock and transaction.get_connection().features.has_select_for_update:
        stored_rows = stored_rows.select_for_update().order_by("pk")
    stored = {(row.condition_id, row.outcome, row.timepoint): row for row in stored_rows}
    groups: dict[tuple[int, str, str], list] = defaultdict(list)
    pages_of: dict[int, set[int]] = {}
    fields = ("pk", "condition_id", "outcome", "timepoint", "study__design", "participants", "study__year")
    for pk, condition_id, outcome, timepoint, design, participants, year in rows.order_by().values_list(*fields):
        if condition_id not in pages_of:
            pages_of[condition_id] = _within([condition_id], parents)
        rank = finding_rank(design, participants, year, pk)
        for page in pages_of[condition_id]:
            if pages is None or page in pages:
                groups[(page, outcome, timepoint)].append((rank, pk))
    chosen = {key: (min(members)[1], len(members)) for key, members in groups.items()}
    changed = []
    for key, row in stored.items():
        if key in chosen and (row.estimate_id, row.n) != chosen[key]:
            row.estimate_id, row.n = chosen[key]
            changed.append(row)
    FindingEntry.objects.bulk_update(changed, ["estimate", "n"])
    gone = [row.pk for key, row in stored.items() if key not in chosen]
    if gone:
        FindingEntry.objects.filter(pk__in=gone).delete()
    FindingEntry.objects.bulk_create(
        [
            FindingEntry(condition_id=c, outcome=o, timepoint=t, estimate_id=pk, n=n)
            for (c, o, t), (pk, n) in chosen.items()
            if (c, o, t) not in stored
        ],
        batch_size=CHUNK,
        # Two first rows of one page, outcome and time point at once: the later one's.
        update_conflicts=True, unique_fields=["condition", "outcome", "timepoint"], update_fields=["estimate", "n"],
    )  # fmt: skip


def page_findings(condition: Condition) -> list[EffectEstimate]:
    """The estimates of the condition page's Summary of Findings, as ``EffectEstimateQuerySet.findings()`` picks
    them from the condition's estimates and those of the conditions within it, each with ``in_group`` (one query
    over the page's stored rows, by outcome and time point as that method's rows come)."""
    entries = FindingEntry.objects.filter(condition=condition).order_by("outcome", "timepoint")
    entries = entries.select_related("estimate__study", "estimate__claim")
    entries = entries.only("n", "estimate", *(f"estimate__{name}" for name in FINDING_FIELDS))
    found = []
    for entry in entries:
        entry.estimate.in_group = entry.n
        found.append(entry.estimate)
    return found


def _recount(recount: _Recount) -> None:
    """Recount now; inside a transaction, again once it commits (see the module docstring)."""
    connection = transaction.get_connection()
    if not connection.in_atomic_block:
        recount.run(lock=True)
        return
    recount.run(lock=False)
    pending = getattr(connection, "kb_figures_pending", None)
    if pending is None or not any(func is pending[1] for _, func, _ in connection.run_on_commit):
        # None yet in this transaction (or the last one's was dropped with a rollback).
        def after_commit() -> None:
            connection.kb_figures_pending = None
            gathered.run(lock=True)

        gathered = _Recount()
        pending = connection.kb_figures_pending = (gathered, after_commit)
        transaction.on_commit(after_commit)
    pending[0].add(recount)


def refresh_grades() -> None:
    """Recount the published claims of every grade, and the disputed ones (two aggregates over indexes)."""
    _recount(_Recount(grades=True))


def refresh_disputed() -> None:
    """Recount the published disputed claims (one count over the partial index ``claim_disputed``)."""
    _recount(_Recount(disputed=True))


def refresh_conditions(condition_ids: Iterable[int]) -> None:
    """Recount the published claims about these conditions (one aggregate over their links)."""
    _recount(_Recount(conditions=set(condition_ids)))


def refresh_tags(tag_ids: Iterable[int]) -> None:
    """Recount the published claims with these tags (one aggregate over their links)."""
    _recount(_Recount(tags=set(tag_ids)))


def links_of(claim_ids: Iterable[int]) -> tuple[set[int], set[int]]:
    """The ids of the conditions and the tags of these claims (two queries): what to recount after they change,
    read before a delete removes the links."""
    claim_ids = list(claim_ids)
    conditions = Claim.conditions.through.objects.filter(claim_id__in=claim_ids).values_list("condition_id", flat=True)
    tags = TaggedClaim.objects.filter(content_object_id__in=claim_ids).values_list("tag_id", flat=True)
    return set(conditions), set(tags)


def page_keys_of(claim_ids: Iterable[int]) -> set[int | None]:
    """The condition pages that list these claims (None: the general claims' figures), read before a delete
    removes their entries (one query)."""
    return set(PageEntry.objects.filter(claim_id__in=list(claim_ids)).values_list("condition_id", flat=True))


def claims_changed(
    claim_ids: Iterable[int], links: tuple[set[int], set[int]] | None = None, pages: Iterable[int | None] = ()
) -> None:
    """Recount what these claims count towards: every grade and the disputed count, and their conditions and tags
    (``links``: as read before the claims were deleted; else read now); rewrite their condition-page entries and
    recount the figures of the pages they were and are on (``pages``: as read before they were deleted)."""
    claim_ids = set(claim_ids)
    conditions, tags = links if links is not None else links_of(claim_ids)
    _recount(
        _Recount(
            grades=True, conditions=set(conditions), tags=set(tags), claims=claim_ids, pages=set(pages),
            finding_claims=claim_ids,  # whether their estimates are public
        )
    )  # fmt: skip


def links_changed(condition_ids: Iterable[int], claim_ids: Iterable[int]) -> None:
    """Claims were linked to conditions or unlinked: recount the conditions' published claims, and rewrite the
    claims' condition-page entries."""
    _recount(_Recount(conditions=set(condition_ids), claims=set(claim_ids)))


def stance_counts_changed(claim_ids: Iterable[int]) -> None:
    """The claims' stance counts were recounted: whether they are disputed, and whether a source states them (the
    "left out" section of condition pages)."""
    _recount(_Recount(disputed=True, claims=set(claim_ids)))


def conflicts_changed(claim_ids: Iterable[int]) -> None:
    """These claims were marked as conflicting with each other, or no longer: rewrite their stored pairs."""
    _recount(_Recount(claims=set(claim_ids)))


def conditions_moved(condition_ids: Iterable[int]) -> None:
    """These conditions now lie within another condition (or none): the pages that list their claims changed, and
    the Summary of Findings of every page (rare: each outcome's rows are rewritten from all public estimates)."""
    _recount(_Recount(moved=set(condition_ids), findings=None, finding_conditions=None))


def findings_changed(estimates: Iterable[tuple[str, str, int | None]]) -> None:
    """Estimates with these outcomes, time points and conditions (before and after the write) were written, or what
    ranks them changed (their study's design or year): rewrite those Summary of Findings rows on the pages that
    show them. An estimate without a condition is on no page."""
    estimates = [(o, t, c) for o, t, c in estimates if c is not None]
    if estimates:
        _recount(_Recount(findings={(o, t) for o, t, _ in estimates}, finding_conditions={c for _, _, c in estimates}))


def refresh_all() -> None:
    """Recount every stored count and rewrite every condition-page entry (after bulk writes, and ``manage.py
    refresh_figures``)."""
    _recount(_Recount(grades=True, conditions=None, tags=None, claims=None, findings=None, finding_conditions=None))


def page_figures(condition: Condition) -> tuple[dict[str, int], dict[str, int]]:
    """The number of published claims a condition's page lists per grade and per section, its own and those about
    ketamine in general (one query over a few rows)."""
    grades: dict[str, int] = defaultdict(int)
    sections: dict[str, int] = defaultdict(int)
    rows = PageFigure.objects.filter(Q(condition=condition) | Q(condition__isnull=True))
    for section, grade, n in rows.values_list("section", "grade", "n"):
        grades[grade] += n
        sections[section] += n
    return dict(grades), dict(sections)


def first_of_each_section(condition: Condition, sections: Iterable[str], limit: int) -> Q:
    """A filter for the claims among the first ``limit`` of each section of the condition's page, of its own and
    of the general ones: one ordered, bounded read of the index ``page_entry_order`` each, joined by UNION ALL
    into one subquery (an OR of IN subqueries made PostgreSQL scan every claim). At most twice ``limit`` claims per
    section: the caller sorts them and keeps the first ``limit``.

    The SQL is written here rather than compiled from 18 querysets: compiling them took about 4 ms of the page (a
    third of its Python time at 10,000 claims), for the same statement each time."""
    table = PageEntry._meta.db_table
    order = 'ORDER BY "rank" ASC, "sort_text" ASC, "claim_id" ASC LIMIT %s'
    parts, params = [], []
    for section in sections:
        for key in (condition.pk, None):
            where = '"condition_id" = %s' if key is not None else '"condition_id" IS NULL'
            # Each in a derived table: SQLite refuses LIMIT on the members of a compound SELECT.
            parts.append(
                f'SELECT "claim_id" FROM (SELECT "claim_id" FROM "{table}" WHERE {where} AND "section" = %s {order}) '  # noqa: S608
                f"AS part{len(parts)}"
            )
            params += [*([key] if key is not None else []), section, limit]
    return Q(pk__in=RawSQL(" UNION ALL ".join(parts), params))


# --- reading ------------------------------------------------------------------------------------------------


def stored(kind: str, key: str = "pk") -> Coalesce:
    """The stored count of ``kind`` for each row of the outer query, keyed by its ``key`` field, 0 when none: a
    subquery per row, read from the unique index on (kind, key) (the conditions and tags are few)."""
    rows = PublishedCount.objects.filter(kind=kind, key=Cast(OuterRef(key), CharField()))
    return Coalesce(Subquery(rows.values("n")[:1]), 0)


def counts_of(*kinds: str) -> dict[str, dict[str, int]]:
    """The stored counts of these kinds, by kind and key (one query)."""
    found: dict[str, dict[str, int]] = {kind: {} for kind in kinds}
    for kind, key, n in PublishedCount.objects.filter(kind__in=kinds).values_list("kind", "key", "n"):
        found[kind][key] = n
    return found
