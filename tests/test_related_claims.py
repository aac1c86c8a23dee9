"""The related claims on a claim page: the published claims sharing the most conditions and tags, then by text,
read without ranking every claim that shares one link when enough share two (claims.views._related_claims)."""

from __future__ import annotations

import pytest

from claims.models import Claim
from tests.factories import ClaimFactory, ConditionFactory

pytestmark = pytest.mark.django_db


def _expected(claim: Claim, limit: int = 6) -> list[str]:
    """Every published claim ranked in Python: most shared links, then text, then id."""
    mine = {("c", pk) for pk in claim.conditions.values_list("pk", flat=True)}
    mine |= {("t", pk) for pk in claim.tags.values_list("pk", flat=True)}
    ranked = []
    for other in Claim.objects.published().exclude(pk=claim.pk).prefetch_related("conditions", "tags"):
        links = {("c", c.pk) for c in other.conditions.all()} | {("t", t.pk) for t in other.tags.all()}
        if links & mine:
            ranked.append((-len(links & mine), other.text, other.pk, other.slug))
    return [slug for *_, slug in sorted(ranked)[:limit]]


def _shown(client, claim: Claim) -> list[str]:
    html = client.get(claim.get_absolute_url()).content.decode()
    if 'id="related-title"' not in html:
        return []
    section = html.split('id="related-title"')[1].split("</section>")[0]
    return [part.split('"')[0].rstrip("/").split("/")[-1] for part in section.split('href="/claims/')[1:]]


@pytest.fixture
def linked():
    ptsd, pain = ConditionFactory(name="PTSD"), ConditionFactory(name="Pain")
    claim = ClaimFactory(text="Ketamine helps PTSD")
    claim.conditions.add(ptsd)
    claim.tags.add("infusion", "nmda")
    others = []
    for n in range(10):
        other = ClaimFactory(text=f"Claim {9 - n}")
        other.conditions.add(ptsd if n % 2 else pain)
        other.tags.add(*(["infusion", "nmda"] if n % 3 == 0 else ["infusion"]))
        others.append(other)
    return claim, others


def test_related_claims_rank_by_shared_links_then_text(client, linked):
    claim, _ = linked
    assert _shown(client, claim) == _expected(claim)
    assert len(_shown(client, claim)) == 6


@pytest.mark.parametrize("sharing_two", [2, 10])  # fewer than six share two links, or more
def test_related_claims_are_read_in_one_query(client, linked, sharing_two, django_assert_num_queries):
    claim, others = linked
    for other in others[:sharing_two]:
        other.tags.add("nmda")
    # claim, effect estimates, assertions, evidence, tags, conditions, conflicting, related, history
    with django_assert_num_queries(9):
        shown = _shown(client, claim)
    assert shown == _expected(claim)


def test_related_claims_stay_current_after_edits(client, linked):
    claim, others = linked
    first = Claim.objects.get(slug=_shown(client, claim)[0])
    first.status = "draft"
    first.save()
    assert first.slug not in _shown(client, claim) and _shown(client, claim) == _expected(claim)
    others[5].tags.add("nmda")
    others[5].conditions.add(*claim.conditions.all())
    assert _shown(client, claim)[0] == others[5].slug and _shown(client, claim) == _expected(claim)
    claim.tags.clear()
    assert _shown(client, claim) == _expected(claim)
    claim.conditions.clear()
    assert _shown(client, claim) == []
