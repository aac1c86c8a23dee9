"""How long "Refresh suggestions" takes in a large knowledge base: why it runs as a job (importer/tasks.py).

Times ``importer.services.refresh_suggestions`` on the knowledge base ``DATABASE_URL`` points at (one made for
benchmarks, e.g. ``generate_synthetic --claims 10000``; an article is imported into it first when it has no
candidate): one candidate in a new process (what the review page's button did inside the request), the same
candidate again in that process, and every candidate of the article (the list's action on a source). Prints JSON.

    DATABASE_URL=sqlite:///bench-results/kb10k.sqlite3 KB_EMBEDDINGS=off .venv/bin/python -m bench.refresh_suggestions
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    if not os.environ.get("DATABASE_URL"):
        sys.exit("Set DATABASE_URL to a knowledge base made for benchmarks (candidates are written to it).")
    os.environ.update(
        KB_ENV_FILE="", DEBUG="0", SECRET_KEY="bench-only-secret-key-not-for-production", ALLOWED_HOSTS="testserver",
        DJANGO_SETTINGS_MODULE="bench.settings", LOG_LEVEL="WARNING",
    )  # fmt: skip
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from claims.models import Claim
    from importer import services
    from importer.bench import speed_article
    from importer.models import Candidate

    imported = None
    if not Candidate.objects.exists():
        started = time.perf_counter()
        services.import_article(
            speed_article(ROOT / "fixtures" / "kb.json").encode(), name="bench.txt", title="Refresh bench article"
        )
        imported = round(time.perf_counter() - started, 2)
    candidates = list(Candidate.objects.select_related("source").order_by("pk"))
    one = candidates[:1]
    source = [c for c in candidates if c.source_id == one[0].source_id]

    def timed(group) -> float:
        started = time.perf_counter()
        services.refresh_suggestions(group)
        return round(time.perf_counter() - started, 2)

    result = {
        "claims": Claim.objects.count(),
        "embeddings": os.environ.get("KB_EMBEDDINGS", "on"),
        "import_seconds": imported,
        "one_candidate_new_process": timed(one),
        "one_candidate_same_process": timed(one),
        "source_candidates": len(source),
        "source_candidates_seconds": timed(source),
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
