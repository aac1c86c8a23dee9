from __future__ import annotations

from pathlib import Path

from django.core.management.base import CommandError

from importer.bench import fit_rerankers
from importer.embedding import CachedEmbedder, get_encoder, unavailable_reason
from importer.management.fitcommand import FitCommand
from importer.rerank import COEFFICIENTS


def _fit_with_embeddings(fixture: Path, heldout: Path) -> dict:
    encoder = get_encoder()
    if encoder is None:  # the committed file holds both models: fitting needs the embedding model
        raise CommandError(f"Semantic matching is off ({unavailable_reason()}): the re-ranker cannot be fitted.")
    return fit_rerankers(fixture, CachedEmbedder(encoder), heldout)


class Command(FitCommand):
    help = (
        "Fit the import re-ranker (importer/reranker.json) on every labelled article's answer key: the seed "
        "articles, each ranked against the other seed articles, and every held-out article in "
        "importer/benchdata/heldout/answers.json, ranked against the whole seed knowledge base (as in make "
        "bench-import). Deterministic; --check fails when the file is stale, also after a held-out article is added."
    )
    fit = staticmethod(_fit_with_embeddings)
    output = COEFFICIENTS
    make_target = "reranker"
