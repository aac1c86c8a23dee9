"""How long the admin's "Import an article" request takes, by article size (issue 16: ≤ 1 s whatever the size).

The request checks the input and queues a job (importer/tasks.py) with the database task backend, as deployed; the
import itself is the worker's. Each size is posted ``--repeat`` times by Django's test client in this process
(the request's own work: parsing the multipart body, the form's checks, two inserts); the median and the slowest
are printed as JSON. With ``--run-worker`` the queued jobs are then run by a worker (``db_worker --batch``) and the
job of the largest article is timed too.

    .venv/bin/python -m bench.admin_import [--repeat 5] [--run-worker]

The database is ``DATABASE_URL`` when set (it must be one made for benchmarks: jobs and a user are written to it),
else a fresh SQLite file in bench-results/ loaded with the fixture knowledge base.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HELDOUT = ROOT / "importer" / "benchdata" / "heldout"
SIZES = (10_000, 200_000, 1_000_000, 1_950_000)  # bytes; the form takes up to 2 MB (2,097,152)


def _article(size: int) -> bytes:
    """Real article text (the held-out articles), repeated with a numbered line per copy so that no two copies are
    the same text, cut at a line to ``size`` bytes."""
    texts = [p.read_text(encoding="utf-8") for p in sorted(HELDOUT.glob("*.txt"))]
    out, n = [], 0
    while sum(len(t) for t in out) < size:
        out.append(f"Part {n}.\n{texts[n % len(texts)]}\n")
        n += 1
    data = "".join(out).encode("utf-8")[:size]
    return data[: data.rfind(b"\n") + 1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--run-worker", action="store_true")
    args = parser.parse_args()

    results_dir = ROOT / "bench-results"
    results_dir.mkdir(exist_ok=True)
    fresh = not os.environ.get("DATABASE_URL")
    if fresh:
        db = results_dir / "admin-import.sqlite3"
        db.unlink(missing_ok=True)
        os.environ["DATABASE_URL"] = f"sqlite:///{db}"
    os.environ.update(
        KB_ENV_FILE="", DEBUG="0", SECRET_KEY="bench-only-secret-key-not-for-production", KB_TASKS="database",
        ALLOWED_HOSTS="testserver", DJANGO_SETTINGS_MODULE="bench.settings", LOG_LEVEL="WARNING",
    )  # fmt: skip
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.core.management import call_command
    from django.test import Client
    from django.urls import reverse

    from importer.models import Job

    call_command("migrate", "--noinput", verbosity=0)
    if fresh:
        call_command("import_kb", str(ROOT / "fixtures" / "kb.json"), verbosity=0)
    user = get_user_model().objects.filter(username="bench-importer").first()
    if user is None:
        user = get_user_model().objects.create_superuser("bench-importer", password=None)
    client = Client()
    client.force_login(user)
    url = reverse("admin:importer_import")
    rows = []
    for size in SIZES:
        raw = _article(size)
        timings = []
        for i in range(args.repeat):
            upload = SimpleUploadedFile(f"article-{size}-{i}.txt", raw, content_type="text/plain")
            fields = {"title": f"Bench article {size} {i}", "kind": "news", "format": "auto", "file": upload}
            started = time.perf_counter()
            response = client.post(url, fields)
            timings.append(time.perf_counter() - started)
            assert response.status_code == 302 and "/importer/job/" in response["Location"], response.status_code
        rows.append(
            {
                "bytes": len(raw),
                "median_ms": round(statistics.median(timings) * 1000, 1),
                "max_ms": round(max(timings) * 1000, 1),
                "within_1s": max(timings) <= 1.0,
            }
        )
        print(json.dumps(rows[-1]), file=sys.stderr, flush=True)
    result = {
        "database": os.environ["DATABASE_URL"].split("://")[0],
        "repeat": args.repeat,
        "requests": rows,
        "target_request_within_1s": "PASS" if all(row["within_1s"] for row in rows) else "FAIL",
    }
    if args.run_worker:
        # Only the largest article's first copy and the smallest's: the others would each take as long again.
        keep = {f"Bench article {SIZES[0]} 0", f"Bench article {SIZES[-1]} 0"}
        Job.objects.filter(status=Job.Status.QUEUED).exclude(title__in=keep).delete()
        from django_tasks_db.models import DBTaskResult

        DBTaskResult.objects.exclude(id__in=list(Job.objects.values_list("task_id", flat=True))).delete()
        started = time.perf_counter()
        call_command("db_worker", "--batch", "--no-reload", "--no-startup-delay", verbosity=0)
        result["worker_seconds_for_both"] = round(time.perf_counter() - started, 1)
        result["jobs"] = [
            {"title": j.title, "status": j.status, "seconds": round((j.finished_at - j.started_at).total_seconds(), 1)}
            for j in Job.objects.filter(title__in=keep)
        ]
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
