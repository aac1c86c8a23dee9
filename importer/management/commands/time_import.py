from __future__ import annotations

import json
import time
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from importer.bench import speed_article


class Command(BaseCommand):
    help = (
        "Time imports of the benchmark's 5,000-word article into this database's knowledge base (make bench-import "
        "runs it on the 10,000-claim synthetic one): the first import in this new process, then a second one in the "
        "same process. Each imported source is deleted afterwards. Prints JSON."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--fixture", default=str(Path(settings.BASE_DIR) / "fixtures" / "kb.json"))
        parser.add_argument(
            "--new-article", action="store_true", help="first delete the article's stored clause embeddings"
        )

    def handle(self, *args, fixture: str, new_article: bool, **options) -> None:
        # Everything a web worker has imported already is imported before timing.
        import scipy.sparse  # noqa: F401
        import sklearn.linear_model  # noqa: F401

        from importer.embedding import CachedEmbedder
        from importer.extract import relevant_clauses
        from importer.models import TextEmbedding
        from importer.services import import_article
        from sources.models import Source

        text = speed_article(Path(fixture))
        clauses = [clause.text for _, parts in relevant_clauses(text) for clause in parts]
        if new_article:
            TextEmbedding.objects.filter(digest__in=[CachedEmbedder.digest(c) for c in clauses]).delete()
        runs = []
        for run in range(2):
            started, cpu = time.perf_counter(), time.process_time()
            summary = import_article(text, title=f"Speed benchmark {run}", url=f"https://example.org/speed-{run}")
            runs.append(
                {
                    "seconds": round(time.perf_counter() - started, 3),
                    "cpu_seconds": round(time.process_time() - cpu, 3),
                    "candidates": summary.candidates,
                    "embedded": summary.embedded,
                    "semantic_off": summary.semantic_off,
                }
            )
            Source.objects.filter(pk=summary.source.pk).delete()
        self.stdout.write(json.dumps({"words": len(text.split()), "clauses": len(clauses), "runs": runs}))
