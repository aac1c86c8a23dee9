from __future__ import annotations

import time

from django.core.management.base import BaseCommand, CommandError

from importer.embedding import ModelUnavailable, unavailable_reason
from importer.services import embedder, prune_embeddings, prune_terms, unembedded_texts, warm_embeddings
from kb.progress import Progress


class Command(BaseCommand):
    help = (
        "Compute and store the sentence embeddings of every claim text and quote the importer's ranking uses and "
        "that has none yet (once after loading a large knowledge base; imports then embed only what is new). "
        "With --prune, first delete the stored vectors (older than an hour) that no claim text, quote or pending "
        "candidate uses."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--prune",
            action="store_true",
            help="first delete the stored vectors, older than an hour, that no claim text, quote or pending "
            "candidate uses (reviewed clauses, edited or deleted texts); works with semantic matching off too",
        )

    def handle(self, *args, **options) -> None:
        if options["prune"]:
            removed = prune_embeddings()
            self.stdout.write(f"Deleted {removed} stored embedding{'s' if removed != 1 else ''} that nothing uses.")
            removed = prune_terms()
            self.stdout.write(f"Deleted {removed} stored term count{'s' if removed != 1 else ''} that nothing uses.")
        embed = embedder()
        if embed is None:
            if options["prune"]:
                self.stdout.write(f"Nothing embedded: semantic matching is off ({unavailable_reason()}).")
                return
            raise CommandError(f"Semantic matching is off: {unavailable_reason()}.")
        missing = unembedded_texts(embed)
        if not missing:
            self.stdout.write("Every claim text and quote already has an embedding.")
            return
        started = time.monotonic()
        try:
            warm_embeddings(embed, missing, Progress(self.stderr._out).callback("embedding texts"))
        except ModelUnavailable as error:  # loaded only now: its files may not be the pinned ones
            raise CommandError(f"Semantic matching is off: {error}.") from None
        seconds = time.monotonic() - started
        self.stdout.write(f"Embedded {len(missing)} text{'s' if len(missing) != 1 else ''} in {seconds:.0f} s.")
