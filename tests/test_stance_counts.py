"""Each claim's stored stance counts (Claim.n_supports …) match a fresh count after every kind of write."""

from __future__ import annotations

import importlib
import threading
import time
from types import SimpleNamespace

import pytest
from django.apps import apps
from django.db import connection, connections, transaction
from django.db.models import Count, Q
from django.urls import reverse

from bench import synthetic
from claims.exchange import export_document, import_document
from claims.models import STANCE_COUNTS, Assertion, Claim
from importer import services as importer
from importer.models import Candidate
from sources.models import Source
from tests.factories import AssertionFactory, ClaimFactory, SourceFactory
from tests.test_workflow import _admin_form_data

pytestmark = pytest.mark.django_db

QUOTES = [
    "Ketamine works by blocking NMDA receptors in the brain.",
    "Its effects typically begin within a few hours.",
    "In one study, ketamine reduced symptoms within 24 hours.",
]


def fresh_counts() -> dict[int, tuple[int, int, int, int]]:
    """Every claim's (supports, contradicts, qualifies, sources), counted now from the assertions table."""
    rows = Claim.objects.annotate(
        s=Count("assertions", filter=Q(assertions__stance="supports")),
        c=Count("assertions", filter=Q(assertions__stance="contradicts")),
        q=Count("assertions", filter=Q(assertions__stance="qualifies")),
        src=Count("assertions__source", distinct=True),
    ).values_list("pk", "s", "c", "q", "src")
    return {pk: tuple(counts) for pk, *counts in rows}


def stored_counts() -> dict[int, tuple[int, int, int, int]]:
    return {pk: tuple(counts) for pk, *counts in Claim.objects.values_list("pk", *STANCE_COUNTS)}


def counts_of(claim: Claim) -> tuple[int, int, int, int]:
    """The claim's stored counts, after checking that every claim's stored counts are the fresh ones."""
    stored = stored_counts()
    assert stored == fresh_counts()
    return stored[claim.pk]


@pytest.fixture
def claim_with_quotes(db):
    """A claim supported by two sources and qualified by one of them."""
    claim = ClaimFactory()
    blog, news = SourceFactory(), SourceFactory()
    AssertionFactory(claim=claim, source=blog, quote=QUOTES[0], offset=0)
    AssertionFactory(claim=claim, source=news, quote=QUOTES[0], offset=0)
    AssertionFactory(claim=claim, source=blog, quote=QUOTES[1], offset=56, stance="qualifies")
    return claim


# --- single writes: create, change, move, delete ------------------------------------------------------------


def test_creating_assertions_counts_them_by_stance_and_distinct_sources(claim_with_quotes):
    assert counts_of(claim_with_quotes) == (2, 0, 1, 2)


def test_changing_a_stance_moves_the_assertion_between_counts(claim_with_quotes):
    assertion = claim_with_quotes.assertions.get(stance="qualifies")
    assertion.stance = "contradicts"
    assertion.save()
    assert counts_of(claim_with_quotes) == (2, 1, 0, 2)


def test_moving_an_assertion_to_another_claim_recounts_both_claims(claim_with_quotes):
    other = ClaimFactory()
    assertion = claim_with_quotes.assertions.get(stance="qualifies")
    assertion.claim = other
    assertion.save()
    assert counts_of(claim_with_quotes) == (2, 0, 0, 2)
    assert counts_of(other) == (0, 0, 1, 1)


def test_saving_a_stale_copy_of_an_assertion_recounts_the_claim_it_has_in_the_database(claim_with_quotes):
    second, third = ClaimFactory(), ClaimFactory()
    pk = claim_with_quotes.assertions.get(stance="qualifies").pk
    stale = Assertion.objects.get(pk=pk)
    moved = Assertion.objects.get(pk=pk)
    moved.claim = second
    moved.save()
    stale.claim = third
    stale.save()  # it left the second claim, not the one it was loaded with
    assert counts_of(second) == (0, 0, 0, 0)
    assert counts_of(third) == (0, 0, 1, 1)


def test_deleting_assertions_uncounts_them(claim_with_quotes):
    claim_with_quotes.assertions.filter(stance="qualifies").get().delete()
    assert counts_of(claim_with_quotes) == (2, 0, 0, 2)
    claim_with_quotes.assertions.all().delete()
    assert counts_of(claim_with_quotes) == (0, 0, 0, 0)


def test_deleting_a_source_uncounts_its_assertions_on_every_claim(claim_with_quotes):
    other = ClaimFactory()
    news = Source.objects.exclude(assertions__stance="qualifies").get()
    AssertionFactory(claim=other, source=news, quote=QUOTES[2], offset=105, stance="contradicts")
    news.delete()
    assert counts_of(claim_with_quotes) == (1, 0, 1, 1)
    assert counts_of(other) == (0, 0, 0, 0)


def test_saving_a_claim_loaded_before_its_assertions_changed_keeps_the_counts(claim_with_quotes):
    stale = Claim.objects.get(pk=claim_with_quotes.pk)
    AssertionFactory(claim=claim_with_quotes, source=SourceFactory(), stance="contradicts")
    stale.text = "Ketamine does the thing, reworded"
    stale.save()  # writes every field of the stale copy, counts included
    assert counts_of(claim_with_quotes) == (2, 1, 1, 3)


# --- bulk writes --------------------------------------------------------------------------------------------


def test_bulk_created_assertions_are_counted(db):
    claim, source = ClaimFactory(), SourceFactory()
    Assertion.objects.bulk_create(
        [
            Assertion(claim=claim, source=source, quote=QUOTES[0], offset=0),
            Assertion(claim=claim, source=source, quote=QUOTES[1], offset=56, stance="contradicts"),
        ]
    )
    assert counts_of(claim) == (1, 1, 0, 1)


def test_queryset_updates_of_stance_or_claim_recount(claim_with_quotes):
    other = ClaimFactory()
    claim_with_quotes.assertions.filter(stance="supports").update(stance="contradicts")
    assert counts_of(claim_with_quotes) == (0, 2, 1, 2)
    Assertion.objects.filter(stance="qualifies").update(claim=other)
    assert counts_of(claim_with_quotes) == (0, 2, 0, 2)
    assert counts_of(other) == (0, 0, 1, 1)


def test_bulk_updates_of_stance_or_claim_recount(claim_with_quotes):
    other = ClaimFactory()
    assertions = list(claim_with_quotes.assertions.order_by("pk"))
    assertions[0].stance = "qualifies"
    assertions[1].claim = other
    Assertion.objects.bulk_update(assertions, ["stance", "claim"])
    assert counts_of(claim_with_quotes) == (0, 0, 2, 1)
    assert counts_of(other) == (1, 0, 0, 1)


# --- the admin ----------------------------------------------------------------------------------------------


def test_editing_and_deleting_assertions_in_the_claim_form_recounts(client, users, claim_with_quotes):
    claim_with_quotes.grade = "very_low"  # the suggestion, so that the form needs no override reason
    claim_with_quotes.status = "draft"  # a published claim's statements change as revisions (test_revisions.py)
    claim_with_quotes.save()
    client.force_login(users["editor"])
    url = reverse("admin:claims_claim_change", args=[claim_with_quotes.pk])
    data = _admin_form_data(client.get(url))
    forms = {data[f"assertions-{i}-id"]: i for i in range(3)}
    first, second, third = (str(a.pk) for a in claim_with_quotes.assertions.order_by("pk"))
    data[f"assertions-{forms[first]}-stance"] = "contradicts"
    data[f"assertions-{forms[third]}-DELETE"] = "on"
    response = client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert counts_of(claim_with_quotes) == (1, 1, 0, 2)


def test_the_admin_claim_list_shows_and_filters_by_the_stored_counts(client, users, claim_with_quotes):
    undisputed = ClaimFactory(text="Nobody argues about this")
    AssertionFactory(claim=undisputed)
    client.force_login(users["editor"])
    html = client.get(reverse("admin:claims_claim_changelist") + "?disagreement=yes").content.decode()
    assert claim_with_quotes.text in html and "Nobody argues about this" not in html
    html = client.get(reverse("admin:claims_claim_changelist") + "?o=6").content.decode()  # by number of sources
    assert html.index("Nobody argues about this") < html.index(claim_with_quotes.text)


# --- export and import, the article importer, the synthetic generator, the migration ------------------------


def test_export_leaves_the_counts_out_and_an_import_counts_afresh(claim_with_quotes):
    document = export_document()
    assert not set(STANCE_COUNTS) & set(document["claims"][0])
    before = {Claim.objects.get(pk=pk).slug: counts for pk, counts in stored_counts().items()}
    for model in (Assertion, Claim, Source):
        model.objects.all().delete()
    import_document(document)
    after = {Claim.objects.get(pk=pk).slug: counts for pk, counts in stored_counts().items()}
    assert after == before and stored_counts() == fresh_counts()
    assert before[claim_with_quotes.slug] == (2, 0, 1, 2)


ARTICLE = "Ketamine works within hours for many patients. Some clinics now offer nasal spray ketamine at home.\n"


def _candidates() -> list[Candidate]:
    importer.import_article(ARTICLE.encode(), name="a.txt", title="Ketamine news", url="https://example.org/k")
    return list(Candidate.objects.order_by("offset"))


def test_attaching_an_imported_quote_counts_it(users):
    claim = ClaimFactory(status="draft")  # on a published claim the quote waits for review (a revision)
    onset, nasal = _candidates()
    importer.attach(onset, claim, users["editor"], stance="supports")
    importer.attach(nasal, claim, users["editor"], stance="qualifies")
    assert counts_of(claim) == (1, 0, 1, 1)


def test_a_claim_created_from_an_imported_quote_counts_it(users):
    onset, _ = _candidates()
    assertion = importer.create_claim_from(onset, users["editor"], text="Ketamine works within hours", category="onset")
    assert counts_of(assertion.claim) == (1, 0, 0, 1)


def test_reimporting_a_changed_text_keeps_the_counts(users):
    claim = ClaimFactory(status="draft")  # on a published claim the quote waits for review (a revision)
    onset, nasal = _candidates()
    importer.attach(onset, claim, users["editor"], stance="supports")
    importer.attach(nasal, claim, users["editor"], stance="contradicts")
    changed = "Updated.\n" + ARTICLE.replace("Some clinics now offer", "Clinics do not offer")
    summary = importer.import_article(
        changed.encode(), name="a.txt", title="Ketamine news", url="https://example.org/k"
    )
    assert len(summary.flagged) == 1  # the lost quote is flagged, and still counted: it is still the source's
    assert counts_of(claim) == (1, 1, 0, 1)


def test_the_synthetic_knowledge_base_stores_fresh_counts_and_regenerating_recounts_editors_claims():
    real = ClaimFactory(slug="an-editors-claim")
    synthetic.generate(40, 1, force=True, stream=None)
    assert Claim.objects.filter(n_contradicts__gt=0).exists() and Claim.objects.filter(n_qualifies__gt=0).exists()
    assert stored_counts() == fresh_counts()
    AssertionFactory(claim=real, source=Source.objects.filter(slug__startswith="syn-").first(), quote=QUOTES[0])
    assert counts_of(real) == (1, 0, 0, 1)
    synthetic.generate(40, 2, force=True, stream=None)  # replaces the synthetic sources, and that quote with them
    assert counts_of(real) == (0, 0, 0, 0)


def test_the_migration_counts_every_existing_claim(claim_with_quotes):
    empty = ClaimFactory()
    Claim.objects.update(n_supports=7, n_contradicts=7, n_qualifies=7, n_sources=7)  # as before the migration
    migration = importlib.import_module("claims.migrations.0006_stance_counts")
    migration.count_stances(apps, SimpleNamespace(connection=connection))
    assert counts_of(claim_with_quotes) == (2, 0, 1, 2)
    assert counts_of(empty) == (0, 0, 0, 0)


# --- concurrent writers -------------------------------------------------------------------------------------


@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite lets one writer at a time: nothing to race")
@pytest.mark.django_db(transaction=True)
def test_two_transactions_adding_assertions_to_one_claim_are_both_counted():
    claim = ClaimFactory()
    first_source, second_source = SourceFactory(), SourceFactory()
    first_saved, finish_first = threading.Event(), threading.Event()

    def add(source, hold: bool) -> None:
        try:
            with transaction.atomic():
                AssertionFactory(claim=claim, source=source)
                if hold:  # counted, not committed: the second one must wait for it, then count it
                    first_saved.set()
                    finish_first.wait(30)
        finally:
            connections.close_all()

    first = threading.Thread(target=add, args=(first_source, True))
    first.start()
    assert first_saved.wait(30)
    second = threading.Thread(target=add, args=(second_source, False))
    second.start()
    with connection.cursor() as cursor:
        for _ in range(600):  # until the second transaction waits for the claim's lock
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
            )
            if cursor.fetchone()[0]:
                break
            time.sleep(0.05)
    finish_first.set()
    first.join(30)
    second.join(30)
    assert counts_of(claim) == (2, 0, 0, 2)
