"""`make bench`: build synthetic knowledge bases, time the pages, count their queries, measure throughput.

For each backend (SQLite always; PostgreSQL when DATABASE_URL points at one) and each size (1,000 and 10,000
claims; 100,000 too with BENCH_FULL=1) it creates a fresh bench database, migrates it, fills it with
``generate_synthetic`` and measures every page in-process with the page cache off (``bench/measure.py``).
Then it serves the largest database with gunicorn (2 workers, loopback) and loads it with ``wrk``: a cached
anonymous condition page against a hello-world Django view in the same setup. Prints a table with every
figure next to its target and writes everything to bench-results/results.json.

Bench databases are separate from the project's: bench-results/kb-bench-<size>.sqlite3 and, on the
PostgreSQL server named by DATABASE_URL, databases kb_bench_<size> (dropped and recreated on every run).

Environment: BENCH_FULL=1 adds 100,000 claims; BENCH_SIZES=1000,5000 picks sizes; BENCH_SAMPLES (30) requests
per page; BENCH_WRK_SECONDS (10) per load test; BENCH_SKIP_WRK=1 skips the throughput part.
"""

from __future__ import annotations

import json
import os
import platform
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench-results"
PYTHON = sys.executable
SEED = 1

# Targets from issue 7. Query counts: every public page the same at 1,000 and 10,000 claims, and at most 10.
MAX_QUERIES = 10
PUBLIC_PAGES = [
    "home", "condition", "claim", "source", "study", "search", "matrix", "disagreements", "tag", "tag list",
    "compare", "source list", "study list", "condition list",
]  # fmt: skip
MEDIAN_TARGET_MS = {"condition": 30.0, "claim": 30.0}  # at 10,000 claims, SQLite and PostgreSQL
SEARCH_P95_TARGET_MS = 50.0  # at 100,000 claims, PostgreSQL
ADMIN_TARGET_MS = 300.0  # admin claim changelist at 100,000 claims (median)
THROUGHPUT_RATIO_TARGET = 0.6  # cached condition page vs hello world


def log(message: str = "") -> None:
    print(message, file=sys.stderr, flush=True)


# --- databases ----------------------------------------------------------------------------------------------


def _base_env() -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        KB_ENV_FILE="",  # hermetic: not the developer's .env
        DEBUG="0",
        SECRET_KEY="bench-only-secret-key-not-for-production",
        ALLOWED_HOSTS="testserver,127.0.0.1,localhost",
        DJANGO_SETTINGS_MODULE="bench.settings",
        LOG_LEVEL="WARNING",
        PYTHONWARNINGS="ignore",
    )
    return env


def _pg_admin(url: str):
    import psycopg2

    parts = urlsplit(url)
    connection = psycopg2.connect(
        host=parts.hostname or "127.0.0.1",
        port=parts.port or 5432,
        user=parts.username or "postgres",
        password=parts.password or None,
        dbname="postgres",
    )
    connection.autocommit = True
    return connection


def fresh_database(backend: str, size: int, pg_url: str | None) -> str:
    """Create an empty bench database and return its DATABASE_URL."""
    if backend == "sqlite":
        path = RESULTS / f"kb-bench-{size}.sqlite3"
        for suffix in ("", "-journal", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        return f"sqlite:///{path}"
    name = f"kb_bench_{size}"
    admin = _pg_admin(pg_url)
    with admin.cursor() as cursor:
        cursor.execute(f"DROP DATABASE IF EXISTS {name}")
        cursor.execute(f"CREATE DATABASE {name}")
    admin.close()
    parts = urlsplit(pg_url)
    return urlunsplit((parts.scheme, parts.netloc, f"/{name}", parts.query, ""))


def _manage(env: dict[str, str], *args: str, quiet: bool = False) -> None:
    stderr = subprocess.DEVNULL if quiet else None
    subprocess.run(
        [PYTHON, "manage.py", *args], cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL, stderr=stderr
    )


def build(backend: str, size: int, pg_url: str | None) -> tuple[str, float]:
    url = fresh_database(backend, size, pg_url)
    env = {**_base_env(), "DATABASE_URL": url}
    _manage(env, "migrate", "--noinput", quiet=True)
    started = time.perf_counter()
    _manage(env, "generate_synthetic", "--claims", str(size), "--seed", str(SEED))
    return url, time.perf_counter() - started


def measure(url: str) -> dict:
    env = {**_base_env(), "DATABASE_URL": url, "KB_PAGE_CACHE_SECONDS": "0"}
    out = subprocess.run(
        [PYTHON, "-m", "bench.measure"], cwd=ROOT, env=env, check=True, stdout=subprocess.PIPE, text=True
    ).stdout
    return json.loads(out)


# --- throughput ---------------------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str) -> tuple[int, dict]:
    with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 - loopback only
        response.read()
        return response.status, dict(response.headers)


def _wrk(url: str, seconds: int) -> dict:
    # Two threads and 16 connections saturate two sync gunicorn workers on loopback.
    out = subprocess.run(
        ["wrk", "-t2", "-c16", f"-d{seconds}s", "--latency", url], check=True, stdout=subprocess.PIPE, text=True
    ).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    socket_errors = re.search(r"Socket errors: (.*)", out)
    p50 = re.search(r"50%\s+([\d.]+\w+)", out)
    return {
        "url": url,
        "requests_per_second": rps,
        "non_2xx": int(errors.group(1)) if errors else 0,
        "socket_errors": socket_errors.group(1) if socket_errors else "",
        "latency_p50": p50.group(1) if p50 else "",
    }


def throughput(url: str, condition_path: str, seconds: int) -> dict:
    port = _free_port()
    env = {**_base_env(), "DATABASE_URL": url}
    env.pop("KB_PAGE_CACHE_SECONDS", None)  # the default: pages cached
    server = subprocess.Popen(
        [
            str(Path(PYTHON).parent / "gunicorn"),
            "kb.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "2",
            "--log-level",
            "warning",
        ],  # fmt: skip
        cwd=ROOT,
        env=env,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                _get(f"{base}/bench/hello/")
                break
            except OSError:
                time.sleep(0.1)
        else:
            raise RuntimeError("gunicorn did not start")
        # Warm both workers' caches (local memory is per process) and check the page is served from the cache.
        for _ in range(20):
            status, headers = _get(base + condition_path)
        cached = headers.get("X-Page-Cache") == "hit"
        hello = _wrk(f"{base}/bench/hello/", seconds)
        page = _wrk(base + condition_path, seconds)
    finally:
        server.terminate()
        server.wait(timeout=30)
    ratio = page["requests_per_second"] / hello["requests_per_second"]
    cache_backend = "redis" if os.environ.get("REDIS_URL") else "local memory"
    return {
        "hello": hello,
        "cached_condition": page,
        "ratio": ratio,
        "served_from_cache": cached,
        "cache": cache_backend,
    }


# --- report -------------------------------------------------------------------------------------------------


def _status(ok: bool | None) -> str:
    return {True: "PASS", False: "FAIL", None: "n/a"}[ok]


def evaluate(runs: list[dict], throughputs: dict[str, dict], sizes: list[int]) -> list[dict]:
    """Every target, per backend, with the measured figure and PASS / FAIL (n/a when not measured)."""
    checks = []
    by = {(r["backend"], r["claims"]): r for r in runs}
    for backend in dict.fromkeys(r["backend"] for r in runs):
        small, large, full = by.get((backend, 1000)), by.get((backend, 10000)), by.get((backend, 100000))
        for page in PUBLIC_PAGES:
            if small and large:
                counts = [r["pages"][page]["queries"] for r in (small, large, full) if r]
                ok = len(set(counts)) == 1 and counts[0] <= MAX_QUERIES
                measured = " → ".join(str(n) for n in counts)
            else:
                ok, measured = None, "needs 1,000 and 10,000"
            checks.append(
                {
                    "target": f"queries, {page} ({'1k → 10k → 100k' if full else '1k → 10k'})",
                    "backend": backend,
                    "measured": measured,
                    "goal": f"equal, ≤ {MAX_QUERIES}",
                    "status": _status(ok),
                }
            )
        for page, limit in MEDIAN_TARGET_MS.items():
            value = large["pages"][page]["median_ms"] if large else None
            checks.append(
                {
                    "target": f"{page} page median, 10k, uncached",
                    "backend": backend,
                    "measured": f"{value:.1f} ms" if value is not None else "not measured",
                    "goal": f"≤ {limit:.0f} ms",
                    "status": _status(value <= limit if value is not None else None),
                }
            )
        if backend == "postgresql":
            value = full["pages"]["search"]["p95_ms"] if full else None
            checks.append(
                {
                    "target": "search p95, 100k",
                    "backend": backend,
                    "measured": f"{value:.1f} ms" if value is not None else "not measured (BENCH_FULL=1)",
                    "goal": f"≤ {SEARCH_P95_TARGET_MS:.0f} ms",
                    "status": _status(value <= SEARCH_P95_TARGET_MS if value is not None else None),
                }
            )
        value = full["pages"]["admin changelist"]["median_ms"] if full else None
        checks.append(
            {
                "target": "admin changelist median, 100k",
                "backend": backend,
                "measured": f"{value:.1f} ms" if value is not None else "not measured (BENCH_FULL=1)",
                "goal": f"≤ {ADMIN_TARGET_MS:.0f} ms",
                "status": _status(value <= ADMIN_TARGET_MS if value is not None else None),
            }
        )
        tp = throughputs.get(backend)
        ok = None
        measured = "not measured (no wrk)"
        if tp:
            ok = tp["ratio"] >= THROUGHPUT_RATIO_TARGET and tp["served_from_cache"]
            measured = (
                f"{tp['ratio']:.2f} ({tp['cached_condition']['requests_per_second']:.0f} / "
                f"{tp['hello']['requests_per_second']:.0f} req/s)"
            )
        checks.append(
            {
                "target": "cached condition page / hello world",
                "backend": backend,
                "measured": measured,
                "goal": f"≥ {THROUGHPUT_RATIO_TARGET}",
                "status": _status(ok),
            }
        )
    return checks


def print_report(runs: list[dict], checks: list[dict]) -> None:
    print()
    for run in runs:
        print(
            f"== {run['backend']}, {run['claims']:,} claims (generated in {run['generate_seconds']:.1f} s); "
            "uncached server time over repeated requests"
        )
        print(f"   {'page':<18}{'queries':>8}{'median ms':>12}{'p95 ms':>10}{'requests':>10}")
        for name, page in run["pages"].items():
            print(
                f"   {name:<18}{page['queries']:>8}{page['median_ms']:>12.1f}{page['p95_ms']:>10.1f}"
                f"{page['samples']:>10}"
            )
        print()
    print("== Targets (issue 7)")
    width = max(len(c["target"]) for c in checks)
    measured_width = max(len(c["measured"]) for c in checks)
    print(f"   {'target':<{width}}  {'backend':<11} {'measured':<{measured_width}}  {'goal':<14} result")
    for c in checks:
        print(
            f"   {c['target']:<{width}}  {c['backend']:<11} {c['measured']:<{measured_width}}  {c['goal']:<14} "
            f"{c['status']}"
        )
    failed = sum(c["status"] == "FAIL" for c in checks)
    passed = sum(c["status"] == "PASS" for c in checks)
    print(f"\n   {passed} passed, {failed} failed, {len(checks) - passed - failed} not measured")


def main() -> int:
    RESULTS.mkdir(exist_ok=True)
    sizes = [int(s) for s in os.environ.get("BENCH_SIZES", "").split(",") if s.strip()] or [1000, 10000]
    if os.environ.get("BENCH_FULL") == "1" and 100000 not in sizes:
        sizes.append(100000)
    database_url = os.environ.get("DATABASE_URL", "")
    pg_url = database_url if database_url.startswith(("postgres://", "postgresql://", "pgsql://")) else None
    backends = ["sqlite"] + (["postgresql"] if pg_url else [])
    if not pg_url:
        log("DATABASE_URL does not name a PostgreSQL database: measuring SQLite only.")
    wrk_seconds = int(os.environ.get("BENCH_WRK_SECONDS", "10"))
    do_wrk = os.environ.get("BENCH_SKIP_WRK") != "1"
    if do_wrk and not shutil.which("wrk"):
        log("wrk is not installed (Debian: apt-get install wrk): skipping the throughput measurement.")
        do_wrk = False

    started = time.perf_counter()
    runs, throughputs = [], {}
    for backend in backends:
        for size in sizes:
            log(f"== {backend}: {size:,} claims")
            url, generate_seconds = build(backend, size, pg_url)
            result = measure(url)
            runs.append({"backend": backend, "claims": size, "generate_seconds": generate_seconds, **result})
        if do_wrk:
            log(f"== {backend}: throughput with gunicorn (2 workers) and wrk, {wrk_seconds} s per URL")
            largest = runs[-1]
            throughputs[backend] = throughput(url, largest["pages"]["condition"]["urls"][0], wrk_seconds)
            tp = throughputs[backend]
            log(
                f"    hello {tp['hello']['requests_per_second']:.0f} req/s, cached condition page "
                f"{tp['cached_condition']['requests_per_second']:.0f} req/s, ratio {tp['ratio']:.2f}"
            )

    checks = evaluate(runs, throughputs, sizes)
    print_report(runs, checks)
    document = {
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "seed": SEED,
        "machine": {
            "platform": platform.platform(),
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
        },
        "runs": runs,
        "throughput": throughputs,
        "targets": checks,
        "duration_seconds": round(time.perf_counter() - started, 1),
    }
    path = RESULTS / "results.json"
    path.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"\n   Results in {path.relative_to(ROOT)} ({document['duration_seconds']:.0f} s in all)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
