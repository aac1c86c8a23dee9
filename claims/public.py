"""What the open-data outlets (the API, the citation exports, the CSV and the feeds) may serve about conditions.

Claims, sources and studies have QuerySet methods for this (``Claim.objects.published()``,
``Source.objects.public()``, ``Study.objects.public()``). A condition is public when a published claim is about it
or a published claim's effect estimate was measured in it, or when such a condition lies within it: a condition
entered only for a draft claim stays private. The public pages (condition list and page, matrix, sitemap) follow
the same rule through ``with_publicity()`` and ``public_ids()``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from django.db.models import Exists, OuterRef, QuerySet

from claims.models import Claim, ClaimQuerySet, Condition, EffectEstimate


def with_publicity(conditions: QuerySet[Condition]) -> QuerySet[Condition]:
    """``conditions`` annotated with what makes a condition public by itself: ``linked`` (a published claim is
    about it) and ``measured`` (an effect estimate of a published claim was measured in it). Two EXISTS in the
    same query; ``public_ids()`` adds the conditions they lie within."""
    links = Claim.conditions.through.objects.filter(condition=OuterRef("pk"), claim__status=Claim.Status.PUBLISHED)
    estimates = EffectEstimate.objects.public().filter(condition=OuterRef("pk"))
    return conditions.annotate(linked=Exists(links), measured=Exists(estimates))


def public_ids(rows: Iterable[Condition]) -> set[int]:
    """The ids of the public conditions among ``rows`` (every condition, annotated by ``with_publicity()``): those
    linked or measured, and every condition they lie within, whose page shows their claims. No query.

    A claim about ketamine in general (``applies_generally``) is on every condition page but makes none public: a
    condition entered only for a draft claim stays private however many general claims are published."""
    rows = list(rows)
    by_pk = {c.pk: c for c in rows}
    public: set[int] = set()
    for condition in rows:
        if not (condition.linked or condition.measured):
            continue
        node = condition
        while node is not None and node.pk not in public:  # its ancestors show its claims too
            public.add(node.pk)
            node = by_pk.get(node.parent_id)
    return public


class PublicConditions:
    """The public conditions and the hierarchy of all conditions, read in one query (conditions are few)."""

    def __init__(self) -> None:
        rows = list(with_publicity(Condition.objects.all()).order_by("name", "pk"))
        self._children: dict[int | None, list[int]] = defaultdict(list)
        for condition in rows:
            self._children[condition.parent_id].append(condition.pk)
        public = public_ids(rows)
        self.conditions = [c for c in rows if c.pk in public]  # by name
        self._by_slug = {c.slug: c for c in self.conditions}
        self._by_pk = {c.pk: c for c in self.conditions}

    def get(self, slug: str) -> Condition | None:
        return self._by_slug.get(slug)

    def includes(self, pk: int) -> bool:
        """Whether the condition with primary key ``pk`` is public."""
        return pk in self._by_pk

    def parent_of(self, condition: Condition) -> Condition | None:
        return self._by_pk.get(condition.parent_id)

    def children_of(self, condition: Condition) -> list[Condition]:
        return [self._by_pk[pk] for pk in self._children[condition.pk] if pk in self._by_pk]

    def within(self, condition: Condition) -> set[int]:
        """The ids of ``condition`` and of every condition within it, as its page gathers claims from them."""
        ids, stack = set(), [condition.pk]
        while stack:
            current = stack.pop()
            if current not in ids:
                ids.add(current)
                stack.extend(self._children[current])
        return ids

    def claims_of(self, condition: Condition) -> ClaimQuerySet:
        """The published claims the condition's page lists: about it or a condition within it, and those about
        ketamine in general (``ClaimQuerySet.for_condition_page``)."""
        return Claim.objects.published().for_condition_page(self.within(condition))
