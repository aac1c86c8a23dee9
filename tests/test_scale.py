"""The synthetic knowledge base generator, and public pages whose query count does not grow with the content."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.models import Count, OuterRef, Q
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from bench import synthetic
from claims.models import Assertion, Claim, Condition, EffectEstimate, Evidence, SearchEntry, TaggedClaim
from kb.queries import correlated_count
from sources.models import Source, Study
from tests.factories import ClaimFactory

pytestmark = pytest.mark.django_db


def _generate(claims: int, seed: int = 1, **kwargs) -> synthetic.Result:
    return synthetic.generate(claims, seed, stream=None, **kwargs)


# --- the generator ------------------------------------------------------------------------------------------


def test_the_same_seed_gives_the_same_knowledge_base_and_another_seed_a_different_one():
    _generate(30, seed=7)
    first = synthetic.snapshot()
    _generate(30, seed=7)  # replaces the earlier synthetic set
    assert synthetic.snapshot() == first
    _generate(30, seed=8)
    assert synthetic.snapshot() != first
    assert Claim.objects.count() == 30


def test_every_quote_is_verbatim_in_its_sources_archived_text_at_its_offset():
    _generate(40)
    assertions = list(Assertion.objects.select_related("source"))
    assert len(assertions) >= 40 * 5
    for assertion in assertions:
        text = assertion.source.text
        assert text[assertion.offset : assertion.offset + len(assertion.quote)] == assertion.quote
        assertion.clean()  # the admin's own check finds it where it says it is
        assert assertion.source_changed is False


def test_the_synthetic_knowledge_base_looks_like_a_real_one():
    result = _generate(100)
    assert (result.claims, result.conditions) == (100, 30)
    per_claim = Claim.objects.annotate(n=Count("assertions")).values_list("n", flat=True)
    assert min(per_claim) >= 5 and max(per_claim) <= 10
    assert {"published", "in_review", "draft"} <= set(Claim.objects.values_list("status", flat=True))
    assert len(set(Claim.objects.values_list("grade", flat=True))) >= 4
    assert set(Assertion.objects.values_list("stance", flat=True)) == {"supports", "contradicts", "qualifies"}
    assert TaggedClaim.objects.exists() and Claim.conflicting_claims.through.objects.exists()
    assert Claim.objects.filter(evidence__isnull=False).exists()
    dois = [d for d in Study.objects.values_list("doi", flat=True) if d]
    assert dois and len(dois) == len(set(dois)) and all(d.startswith("10.5555/") for d in dois)
    assert all(p > 900_000_000 for p in Study.objects.exclude(pmid=None).values_list("pmid", flat=True))
    for study in Study.objects.all()[:20]:
        study.full_clean()
    assert SearchEntry.objects.filter(kind="claim").count() == Claim.objects.published().count()
    # The answer-first pages have something to show: verdicts, claims about ketamine in general, a condition
    # within another, and effect estimates that pass the admin's checks (each number is in its excerpt).
    assert len(set(Claim.objects.values_list("verdict", flat=True))) == 5
    assert not Claim.objects.filter(verdict="supported", evidence__isnull=True).exists()
    assert Claim.objects.filter(applies_generally=True).exists()
    assert Condition.objects.filter(parent__isnull=False).count() == 1
    estimates = list(EffectEstimate.objects.all())
    assert estimates
    for estimate in estimates:
        estimate.full_clean()


def test_generate_synthetic_refuses_a_database_with_real_content():
    ClaimFactory(slug="ketamine-blocks-nmda", text="Ketamine blocks NMDA receptors")
    with pytest.raises(CommandError, match="already holds content that is not synthetic.*--force"):
        call_command("generate_synthetic", "--claims", "10", stdout=StringIO(), stderr=StringIO())
    assert Claim.objects.count() == 1
    assert not Source.objects.exists()


def test_generate_synthetic_with_force_adds_alongside_real_content_and_leaves_it_alone():
    real = ClaimFactory(slug="ketamine-blocks-nmda", text="Ketamine blocks NMDA receptors")
    Condition.objects.create(name="PTSD", slug="ptsd")
    out, err = StringIO(), StringIO()
    call_command("generate_synthetic", "--claims", "10", "--force", stdout=out, stderr=err)
    assert "Generated 10 claims" in out.getvalue()
    assert "claims" in err.getvalue() and "100%" in err.getvalue()  # the progress bar
    assert Claim.objects.count() == 11
    real.refresh_from_db()
    assert real.text == "Ketamine blocks NMDA receptors"
    assert Condition.objects.filter(name="PTSD (synthetic)").exists()  # no clash with the editors' condition


# --- query counts do not grow -------------------------------------------------------------------------------


def _public_pages() -> dict[str, str]:
    """One URL per public page, chosen from the data the way the benchmark chooses them."""
    published = Claim.objects.published()
    condition = (
        Condition.objects.annotate(n=Count("claims", filter=Q(claims__status="published"))).order_by("-n", "pk").first()
    )
    claim = published.annotate(n=Count("assertions")).order_by("-n", "pk").first()
    a, b = Source.objects.annotate(n=Count("assertions")).order_by("-n", "pk")[:2]
    # The most cited study (by articles), then the one most claims rest on: both of its lists are full.
    study = (
        Study.objects.annotate(
            n=correlated_count(Assertion.objects.public().filter(cited_study=OuterRef("pk")), "cited_study"),
            m=correlated_count(Evidence.objects.filter(study=OuterRef("pk"), claim__status="published"), "study"),
        )
        .order_by("-n", "-m", "pk")
        .first()
    )
    tag = TaggedClaim.objects.filter(content_object__status="published").values_list("tag__slug", flat=True)[0]
    return {
        "home": "/",
        "condition": condition.get_absolute_url(),
        "claim": claim.get_absolute_url(),
        "source": a.get_absolute_url(),
        "study": study.get_absolute_url(),
        "search": reverse("claims:search") + "?q=ketamine",
        "matrix": reverse("claims:matrix"),
        "disagreements": reverse("claims:disagreements"),
        "tag": reverse("claims:tag_detail", args=[tag]),
        "compare": reverse("sources:compare") + f"?a={a.slug}&b={b.slug}",
        "condition list": reverse("claims:condition_list"),
    }


def _query_counts(client) -> dict[str, int]:
    counts = {}
    for name, url in _public_pages().items():
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(url)
        assert response.status_code == 200, url
        counts[name] = len(ctx.captured_queries)
    return counts


def test_no_public_page_runs_more_queries_with_100_claims_than_with_10(client, settings):
    settings.KB_PAGE_CACHE_SECONDS = 0
    _generate(10)
    small = _query_counts(client)
    _generate(100)
    large = _query_counts(client)
    assert large == small
    assert max(large.values()) <= 10, large


# --- broad searches stay bounded ----------------------------------------------------------------------------


def test_a_search_with_more_matches_than_are_counted_says_more_than_and_caps_the_pages(client, monkeypatch):
    from claims import search, views

    monkeypatch.setattr(search, "MAX_MATCHES", 30)
    monkeypatch.setattr(views, "MAX_MATCHES", 30)
    for n in range(45):
        ClaimFactory(text=f"Ketamine gadget claim number {n}", slug=f"gadget-{n}")
    html = client.get(reverse("claims:search"), {"q": "gadget"}).content.decode()
    assert "More than 30 results for “gadget”" in html
    assert "Page 1 of 2" in html  # 30 ranked matches, 20 a page
    assert client.get(reverse("claims:search"), {"q": "gadget claim number 7"}).status_code == 200
