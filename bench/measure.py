"""Measure every benchmarked page of one database in-process: server time and SQL queries.

Run by ``bench/run.py`` as ``python -m bench.measure`` with DJANGO_SETTINGS_MODULE=bench.settings, the bench
database in DATABASE_URL and the page cache off (KB_PAGE_CACHE_SECONDS=0), so that every request renders.
Prints one JSON document on stdout.

Server time is the wall time of Django's test client handling the request in this process: URL resolution,
middleware, view, queries and template rendering, without any network or HTTP server in the way. Queries are
counted on a separate request, so that capturing them does not slow the timed ones.
"""

from __future__ import annotations

import json
import math
import os
import statistics
import sys
import time

import django

SEARCH_QUERIES = ["esketamine nasal spray", "bladder", "suicidal ideation", "blood pressure", "depression"]


def _percentile(samples: list[float], p: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(samples)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


def pick_urls() -> dict[str, list[str]]:
    """The pages to measure, chosen from the data: the biggest condition, source, study and tag, the published
    claim with the most assertions, and a fixed set of searches (a handful of queries)."""
    from django.db.models import Count, OuterRef, Q
    from django.urls import reverse

    from claims.models import Assertion, Claim, Condition, Evidence, TaggedClaim
    from kb.queries import correlated_count
    from sources.models import Source, Study

    published = Q(claims__status="published")
    condition = Condition.objects.annotate(n=Count("claims", filter=published)).order_by("-n", "slug").first()
    claim = Claim.objects.published().annotate(n=Count("assertions")).order_by("-n", "slug").only("slug").first()
    sources = list(Source.objects.annotate(n=Count("assertions")).order_by("-n", "slug").only("slug")[:2])
    # The most cited study (by articles), then the one most claims rest on: both of its lists are full.
    study = (
        Study.objects.annotate(
            n=correlated_count(Assertion.objects.public().filter(cited_study=OuterRef("pk")), "cited_study"),
            m=correlated_count(Evidence.objects.filter(study=OuterRef("pk"), claim__status="published"), "study"),
        )
        .order_by("-n", "-m", "slug")
        .only("slug")
        .first()
    )
    tag = (
        TaggedClaim.objects.filter(content_object__status="published")
        .values("tag__slug")
        .annotate(n=Count("id"))
        .order_by("-n", "tag__slug")
        .first()
    )
    search = reverse("claims:search")
    return {
        "home": ["/"],
        "condition": [condition.get_absolute_url()],
        "claim": [claim.get_absolute_url()],
        "source": [sources[0].get_absolute_url()],
        "study": [study.get_absolute_url()],
        "search": [f"{search}?q={q.replace(' ', '+')}" for q in SEARCH_QUERIES],
        "matrix": [reverse("claims:matrix")],
        "disagreements": [reverse("claims:disagreements")],
        "tag": [reverse("claims:tag_detail", args=[tag["tag__slug"]])],
        "tag list": [reverse("claims:tag_list")],
        "condition list": [reverse("claims:condition_list")],
        "compare": [f"{reverse('sources:compare')}?a={sources[0].slug}&b={sources[1].slug}"],
        "source list": [reverse("sources:source_list")],
        "study list": [reverse("sources:study_list")],
        "admin changelist": [reverse("admin:claims_claim_changelist")],
    }


def measure_page(client, urls: list[str], samples: int, budget: float) -> dict:
    """Time ``samples`` requests (cycling through ``urls``) after a warm-up, within ``budget`` seconds."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    counts = []
    for url in urls:
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(url)
        if response.status_code != 200:
            raise SystemExit(f"{url} answered {response.status_code}")
        counts.append(len(ctx.captured_queries))
    for url in urls:  # warm-up: database cache, template loader, lazy imports
        client.get(url)
    times = []
    deadline = time.perf_counter() + budget
    while len(times) < samples and (len(times) < 5 or time.perf_counter() < deadline):
        url = urls[len(times) % len(urls)]
        started = time.perf_counter()
        client.get(url)
        times.append((time.perf_counter() - started) * 1000)
    return {
        "urls": urls,
        "queries": max(counts),
        "queries_per_url": counts,
        "samples": len(times),
        "median_ms": round(statistics.median(times), 2),
        "p95_ms": round(_percentile(times, 95), 2),
        "max_ms": round(max(times), 2),
    }


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
    django.setup()
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client

    if settings.KB_PAGE_CACHE_SECONDS != 0:
        raise SystemExit("bench.measure needs KB_PAGE_CACHE_SECONDS=0: it measures uncached pages.")
    samples = int(os.environ.get("BENCH_SAMPLES", "30"))
    budget = float(os.environ.get("BENCH_PAGE_SECONDS", "8"))
    User = get_user_model()
    admin = User.objects.filter(username="bench-admin").first() or User.objects.create_superuser(
        "bench-admin", "bench@example.invalid", None
    )
    anonymous, editor = Client(), Client()
    editor.force_login(admin)
    pages = {}
    for name, urls in pick_urls().items():
        client = editor if name.startswith("admin") else anonymous
        pages[name] = measure_page(client, urls, samples, budget)
        print(
            f"    {name:<17} {pages[name]['queries']:>3} queries  median {pages[name]['median_ms']:8.1f} ms  "
            f"p95 {pages[name]['p95_ms']:8.1f} ms",
            file=sys.stderr,
        )
    if connection.vendor == "postgresql":
        version = f"PostgreSQL {connection.pg_version // 10000}.{connection.pg_version % 10000}"
    else:
        import sqlite3

        version = f"SQLite {sqlite3.sqlite_version}"
    json.dump({"vendor": connection.vendor, "database": version, "pages": pages}, sys.stdout)


if __name__ == "__main__":
    main()
