from __future__ import annotations

import time

from django.core.management.base import BaseCommand, CommandError

from importer.embedding import unavailable_reason
from importer.services import embedder, unembedded_texts, warm_embeddings


class Command(BaseCommand):
    help = (
        "Compute and store the sentence embeddings of every claim text and quote the importer's ranking uses and "
        "that has none yet (once after loading a large knowledge base; imports then embed only what is new)."
    )

    def handle(self, *args, **options) -> None:
        embed = embedder()
        if embed is None:
            raise CommandError(f"Semantic matching is off: {unavailable_reason()}.")
        missing = unembedded_texts(embed)
        if not missing:
            self.stdout.write("Every claim text and quote already has an embedding.")
            return
        started = time.monotonic()
        warm_embeddings(embed, missing, self._progress)
        self.stdout.write(f"Embedded {len(missing)} texts in {time.monotonic() - started:.0f} s.")

    def _progress(self, done: int, total: int) -> None:
        width = 30
        bar = "#" * int(width * done / total) + "." * (width - int(width * done / total))
        self.stderr.write(f"\r[{bar}] {done}/{total} texts", ending="")
        if done == total:
            self.stderr.write("")
