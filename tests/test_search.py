"""Search: the database's own full-text index (PostgreSQL tsvector / SQLite FTS5), ranked and highlighted."""

from __future__ import annotations

import pytest
from django.urls import reverse

from claims.models import SearchEntry
from claims.search import rebuild_index, search
from tests.factories import ClaimFactory, EvidenceFactory, StudyFactory

pytestmark = pytest.mark.django_db


def test_search_finds_claims_sources_and_studies_with_highlighted_matches(client, site_content):
    html = client.get(reverse("claims:search"), {"q": "PTSD"}).content.decode()
    assert "Ketamine reduces PTSD symptoms" in html
    assert "Feder et al. 2014" in html
    assert "Clinic page" in html
    assert "<mark>PTSD</mark>" in html
    assert "result" in html


def test_a_claim_snippet_keeps_its_parts_apart(site_content):
    from tests.factories import AssertionFactory, ConditionFactory

    claim = ClaimFactory(text="Ketamine eases flashbacks", slug="flashbacks", status="published", category="efficacy")
    claim.conditions.add(ConditionFactory(name="Nightmare disorder", slug="nightmares", aliases=["dream anxiety"]))
    AssertionFactory(claim=claim, quote="Flashbacks eased after two infusions.")
    AssertionFactory(claim=claim, quote="Some patients sleep without nightmares.")
    rebuild_index()
    hit = next(h for h in search("nightmares")[0] if h.title == "Ketamine eases flashbacks")
    snippet = str(hit.snippet).replace("<mark>", "").replace("</mark>", "")
    assert "Efficacy · Nightmare disorder (dream anxiety) · “Flashbacks eased after two infusions.” · “Some" in snippet


def test_search_never_shows_draft_claims(client, site_content):
    html = client.get(reverse("claims:search"), {"q": "permanently"}).content.decode()
    assert "cures PTSD permanently" not in html
    assert "Nothing matches “permanently”" in html


def test_search_stems_words_and_ranks_title_matches_first(site_content):
    hits, total = search("reduce symptom")
    assert total >= 1
    assert hits[0].title == "Ketamine reduces PTSD symptoms"


def test_search_can_be_limited_to_one_kind(client, site_content):
    hits, _ = search("PTSD", kind="study")
    assert [h.kind for h in hits] == ["study"]


def test_search_without_a_query_shows_a_hint(client, db):
    html = client.get(reverse("claims:search")).content.decode()
    assert "Type a word or phrase" in html


def test_search_survives_query_syntax_in_user_input(client, site_content):
    for query in ['"unbalanced', "AND OR NOT (", "ketamine*:", "';--", "<script>"]:
        response = client.get(reverse("claims:search"), {"q": query})
        assert response.status_code == 200
        assert b"<script>" not in response.content.split(b"<main")[1]


def test_search_escapes_html_from_indexed_text(client, db):
    ClaimFactory(text="Ketamine <b>bold</b> claim about widgets", slug="html-claim")
    html = client.get(reverse("claims:search"), {"q": "widgets"}).content.decode()
    assert "&lt;b&gt;bold&lt;/b&gt;" in html
    assert "<mark>widgets</mark>" in html


def test_search_snippets_show_the_words_of_markdown_summaries_not_their_syntax(client, db):
    study = StudyFactory(
        title="Trial",
        journal="",
        summary="A **crossover** trial ([the registry](https://example.org/r_1), `dean2021`): *not* <b>snake_case</b>.",
    )
    EvidenceFactory(study=study)  # a published claim rests on it: the study is public, and searchable
    html = client.get(reverse("claims:search"), {"q": "crossover registry"}).content.decode()
    snippet = html.split('<p class="snippet">', 1)[1].split("</p>", 1)[0]
    assert "A <mark>crossover</mark> trial (the <mark>registry</mark>, dean2021): not" in snippet
    # Markup in the text never reaches the page as markup: SQLite's snippet keeps it, escaped; PostgreSQL's
    # ts_headline drops tags from the document before it cuts the snippet.
    assert "<b>" not in snippet
    assert "&lt;b&gt;snake_case&lt;/b&gt;." in snippet or "not  snake_case" in snippet
    assert "**" not in snippet and "](" not in snippet and "`" not in snippet


def test_a_snippet_cut_through_markdown_loses_the_stray_markers_too():
    from claims.search import strip_markdown

    assert strip_markdown("…in a **\x02crossover\x03 trial") == "…in a \x02crossover\x03 trial"
    assert strip_markdown("## Results\n- **24 hours** after") == "Results\n24 hours after"
    assert strip_markdown("mean_score and 5*3 stay") == "mean_score and 5*3 stay"


def test_index_follows_edits_publication_and_deletion(site_content):
    claim = site_content["draft"]
    assert search("permanently")[1] == 0
    claim.status = "published"
    claim.save()
    assert search("permanently")[1] == 1
    claim.delete()
    assert search("permanently")[1] == 0
    study = StudyFactory(label="Zarate et al. 2006", title="A randomized trial of an NMDA antagonist")
    assert search("Zarate")[1] == 0  # no published claim uses it yet
    EvidenceFactory(study=study)
    assert search("Zarate")[0][0].title == "Zarate et al. 2006"


def test_rebuilding_the_index_recreates_the_same_entries(site_content):
    before = set(SearchEntry.objects.values_list("kind", "object_id", "title"))
    assert rebuild_index() == len(before)
    assert set(SearchEntry.objects.values_list("kind", "object_id", "title")) == before


def test_search_paginates(client, db):
    for n in range(25):
        ClaimFactory(text=f"Ketamine widget claim number {n}", slug=f"widget-{n}")
    first = client.get(reverse("claims:search"), {"q": "widget"}).content.decode()
    assert "25 results" in first and "Page 1 of 2" in first
    second = client.get(reverse("claims:search"), {"q": "widget", "page": "2"}).content.decode()
    assert second.count('class="kind"') == 5


def test_search_query_count_is_fixed(client, site_content, django_assert_num_queries):
    from django.db import connection

    # SQLite: count, ranked page of hits. PostgreSQL: both in one query (claims/search.py).
    expected = 1 if connection.vendor == "postgresql" else 2
    with django_assert_num_queries(expected):
        client.get(reverse("claims:search"), {"q": "ketamine"})
    for n in range(30):
        ClaimFactory(text=f"Ketamine claim number {n}", slug=f"more-{n}")
    with django_assert_num_queries(expected):
        client.get(reverse("claims:search"), {"q": "ketamine", "page": "2"})


def test_search_with_no_match_says_so(client, site_content):
    html = client.get(reverse("claims:search"), {"q": "xylophone"}).content.decode()
    assert "Nothing matches “xylophone”" in html


@pytest.mark.parametrize("page", ["99", "922337203685477580", "9" * 30])
def test_a_search_page_past_the_end_shows_the_last_page(client, db, page):
    for n in range(25):
        ClaimFactory(text=f"Ketamine widget claim number {n}", slug=f"widget-{n}")
    response = client.get(reverse("claims:search"), {"q": "widget", "page": page})
    assert response.status_code == 200
    html = response.content.decode()
    assert "25 results for “widget”" in html and "Page 2 of 2" in html
    assert html.count('class="kind"') == 5
    assert 'href="?q=widget&amp;page=1" rel="prev"' in html


@pytest.mark.parametrize("page", ["0", "-3", "two", "1e3", ""])
def test_a_malformed_or_too_small_search_page_shows_the_first_page(client, db, page):
    for n in range(25):
        ClaimFactory(text=f"Ketamine widget claim number {n}", slug=f"widget-{n}")
    html = client.get(reverse("claims:search"), {"q": "widget", "page": page}).content.decode()
    assert "Page 1 of 2" in html and html.count('class="kind"') == 20
    assert 'rel="prev"' not in html


def test_a_search_page_past_the_end_is_served_in_two_queries(client, site_content, django_assert_num_queries):
    # SQLite: count, then the last page of hits. PostgreSQL: the page asked for (empty, with the count), then the
    # last page (claims/search.py, search_page).
    with django_assert_num_queries(2):
        html = client.get(reverse("claims:search"), {"q": "ketamine", "page": "922337203685477580"}).content.decode()
    assert "Page 922337203685477580" not in html and 'class="kind"' in html
