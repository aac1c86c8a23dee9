"""The stored counts of published claims that the home page, the conditions list, the tag list and the
disagreements page show (``PublishedCount``), so that these pages read a few rows instead of counting every
claim: at 100,000 claims the counts took most of their time, and grew with the knowledge base.

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
conditions, tags). A recount that ran before another transaction committed is thus followed by one that sees
it, and no lock is held across an editor's transaction (where it could deadlock with another's). SQLite
serialises writers.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import CharField, Count, OuterRef, Subquery
from django.db.models.functions import Cast, Coalesce

from claims.models import DISPUTED, Claim, PublishedCount, Status, TaggedClaim

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
    and tags (None: all of them)."""

    grades: bool = False
    disputed: bool = False
    conditions: set[int] | None = field(default_factory=set)
    tags: set[int] | None = field(default_factory=set)

    def add(self, other: _Recount) -> None:
        self.grades |= other.grades
        self.disputed |= other.disputed
        for name in ("conditions", "tags"):
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


def claims_changed(claim_ids: Iterable[int], links: tuple[set[int], set[int]] | None = None) -> None:
    """Recount what these claims count towards: every grade and the disputed count, and their conditions and tags
    (``links``: as read before the claims were deleted; else read now)."""
    conditions, tags = links if links is not None else links_of(claim_ids)
    _recount(_Recount(grades=True, conditions=set(conditions), tags=set(tags)))


def refresh_all() -> None:
    """Recount every stored count (after bulk writes, and ``manage.py refresh_figures``)."""
    _recount(_Recount(grades=True, conditions=None, tags=None))


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
