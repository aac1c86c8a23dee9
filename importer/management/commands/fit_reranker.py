from __future__ import annotations

import json
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from importer.bench import fit_rerankers
from importer.embedding import CachedEmbedder, get_encoder, unavailable_reason
from importer.rerank import COEFFICIENTS


class Command(BaseCommand):
    help = (
        "Fit the import re-ranker (importer/reranker.json) on every labelled article's answer key: the seed "
        "articles, each ranked against the other seed articles, and every held-out article in "
        "importer/benchdata/heldout/answers.json, ranked against the whole seed knowledge base (as in make "
        "bench-import). Deterministic; --check fails when the file is stale, also after a held-out article is added."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--fixture", default=str(Path(settings.BASE_DIR) / "fixtures" / "kb.json"))
        parser.add_argument("--output", default=str(COEFFICIENTS))
        parser.add_argument("--check", action="store_true", help="fail when the file differs from a fresh fit")

    def handle(self, *args, fixture: str, output: str, check: bool, **options) -> None:
        encoder = get_encoder()
        if encoder is None:  # the committed file holds both models: fitting needs the embedding model
            raise CommandError(f"Semantic matching is off ({unavailable_reason()}): the re-ranker cannot be fitted.")
        text = json.dumps(fit_rerankers(Path(fixture), CachedEmbedder(encoder)), indent=1) + "\n"
        path = Path(output)
        if check:
            if not path.exists() or path.read_text(encoding="utf-8") != text:
                raise CommandError(f"{path} differs from a fresh fit; run `make reranker`.")
            self.stdout.write(f"{path} is up to date.")
            return
        path.write_text(text, encoding="utf-8")
        self.stdout.write(f"Wrote {path}.")
