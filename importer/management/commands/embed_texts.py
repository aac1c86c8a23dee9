from __future__ import annotations

import time

from django.core.management.base import BaseCommand, CommandError

from importer.embedding import unavailable_reason
from importer.services import embedder, unembedded_texts, warm_embeddings
from kb.progress import Progress


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
        warm_embeddings(embed, missing, Progress(self.stderr._out).callback("embedding texts"))
        self.stdout.write(f"Embedded {len(missing)} texts in {time.monotonic() - started:.0f} s.")
