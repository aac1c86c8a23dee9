"""Audit of issue 16 (an operator's trial of docs/operations.md): gaps found, each pinned by a test that failed
(a strict xfail) until it was fixed. The gaps fixed during the audit are tested where they belong
(tests/test_operations.py); the edit saved while Redis was down, in tests/test_http_caching.py."""

from __future__ import annotations

import pytest
from django.core.cache import caches
from django.core.cache.backends.locmem import LocMemCache

from kb import cache as page_cache

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _cache_healthy():
    page_cache.health.__init__()
    yield
    page_cache.health.__init__()


def _cached_pages() -> int:
    """How many pages the suite's local-memory cache holds."""
    default = caches["default"]
    if not isinstance(default, LocMemCache):
        pytest.skip("counts the entries of the suite's local-memory cache")
    return sum(1 for key in default._cache if ":kb:page:" in key)


@pytest.mark.parametrize(
    "url, junk",
    [
        ("/conditions/ptsd/", "grade=junk{n}"),
        ("/conditions/ptsd/", "verdict=junk{n}"),
        ("/conditions/ptsd/", "question=junk{n}"),
        ("/conditions/ptsd/", "page=99{n:03d}"),  # past the last page: the last page is shown
        ("/matrix/", "page=junk{n}"),
        ("/matrix/", "page=0{n}"),  # page=01, page=02, …: page 1 under another name
        ("/search/?q=ketamine", "kind=junk{n}"),
    ],
)
def test_junk_values_of_a_parameter_a_page_reads_add_no_cache_entries(client, site_content, url, junk):
    assert client.get(url)["X-Page-Cache"] == "miss"
    before = _cached_pages()
    for n in range(1, 21):
        response = client.get(f"{url}{'&' if '?' in url else '?'}{junk.format(n=n)}")
        assert response.status_code == 200  # the page ignores the value it cannot use, as readers see
    assert _cached_pages() <= before + 1  # at most one entry for "a value this page cannot use"
