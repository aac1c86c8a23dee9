"""The stored counts of published claims that the home page, the conditions list, the tag list and the
disagreements page show (``PublishedCount``), so that these pages read a few rows instead of counting every
claim: at 100,000 claims the counts took most of their time, and grew with the knowledge base.

The counts are recounted, never incremented, for the keys a write touches: every grade and the disputed count
(two aggregates over indexes), and the conditions and tags of the claims written (one aggregate each, over
their links). ``claims/signals.py`` calls ``claims_changed()`` after a claim is saved or deleted or its
conditions change, ``tags_changed()`` after a claim's tags change, and ``ClaimQuerySet.refresh_stance_counts()``
recounts the disputed claims after any write of assertions; the workflow's ``update()`` writes call
``claims_changed()`` themselves; bulk writes (the synthetic generator) call ``refresh_all()``, as does
``manage.py refresh_figures``.

On PostgreSQL the rows being recounted are locked first (``SELECT … FOR UPDATE``): a concurrent transaction
recounting the same rows waits, then counts with a snapshot that includes this one's writes (as
``refresh_stance_counts`` does for a claim's stance counts). SQLite serialises writers.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import connection, transaction
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
    if connection.features.has_select_for_update:
        rows = PublishedCount.objects.filter(kind=kind)
        if keys is not None:
            rows = rows.filter(key__in=list(keys))
        list(rows.select_for_update().order_by("key").values_list("pk", flat=True))


def refresh_grades() -> None:
    """Recount the published claims of every grade, and the disputed ones (two aggregates over indexes)."""
    with transaction.atomic():
        _lock(Kind.GRADE)
        _lock(Kind.DISPUTED)
        published = Claim.objects.published()
        grades = dict(published.values_list("grade").annotate(n=Count("id")).order_by())
        _store(Kind.GRADE, {grade: n for grade, n in grades.items()})
        _store(Kind.DISPUTED, {"": published.filter(DISPUTED).count()}, [""])


def refresh_disputed() -> None:
    """Recount the published disputed claims (one count over the partial index ``claim_disputed``)."""
    with transaction.atomic():
        _lock(Kind.DISPUTED, [""])
        _store(Kind.DISPUTED, {"": Claim.objects.published().filter(DISPUTED).count()}, [""])


def refresh_conditions(condition_ids: Iterable[int] | None = None) -> None:
    """Recount the published claims about these conditions (every condition when None): one aggregate over their
    links."""
    links = Claim.conditions.through.objects.filter(claim__status=Status.PUBLISHED)
    keys = None
    if condition_ids is not None:
        condition_ids = set(condition_ids)
        if not condition_ids:
            return
        links = links.filter(condition_id__in=condition_ids)
        keys = [str(pk) for pk in condition_ids]
    with transaction.atomic():
        _lock(Kind.CONDITION, keys)
        counts = links.values_list("condition_id").annotate(n=Count("claim_id")).order_by()
        _store(Kind.CONDITION, {str(pk): n for pk, n in counts}, keys)


def refresh_tags(tag_ids: Iterable[int] | None = None) -> None:
    """Recount the published claims with these tags (every tag when None): one aggregate over their links."""
    links = TaggedClaim.objects.filter(content_object__status=Status.PUBLISHED)
    keys = None
    if tag_ids is not None:
        tag_ids = set(tag_ids)
        if not tag_ids:
            return
        links = links.filter(tag_id__in=tag_ids)
        keys = [str(pk) for pk in tag_ids]
    with transaction.atomic():
        _lock(Kind.TAG, keys)
        counts = links.values_list("tag_id").annotate(n=Count("id")).order_by()
        _store(Kind.TAG, {str(pk): n for pk, n in counts}, keys)


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
    refresh_grades()
    refresh_conditions(conditions)
    refresh_tags(tags)


def refresh_all() -> None:
    """Recount every stored count (after bulk writes, and ``manage.py refresh_figures``)."""
    with transaction.atomic():
        refresh_grades()
        refresh_conditions()
        refresh_tags()


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
