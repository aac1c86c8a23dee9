from __future__ import annotations

import json
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from importer.bench import HELDOUT_DIR, fit_claim_filter
from importer.claimfilter import COEFFICIENTS


class Command(BaseCommand):
    help = (
        "Fit the import's claim filter (importer/claimfilter.json) on every labelled article: the seed's and the "
        "held-out ones, its threshold chosen by a leave-one-article-out over them. Deterministic; needs neither the "
        "knowledge base nor the embedding model."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--fixture", default=str(Path(settings.BASE_DIR) / "fixtures" / "kb.json"))
        parser.add_argument("--heldout", default=str(HELDOUT_DIR))
        parser.add_argument("--output", default=str(COEFFICIENTS))
        parser.add_argument("--check", action="store_true", help="fail when the file differs from a fresh fit")

    def handle(self, *args, fixture: str, heldout: str, output: str, check: bool, **options) -> None:
        text = json.dumps(fit_claim_filter(Path(fixture), Path(heldout)), indent=1) + "\n"
        path = Path(output)
        if check:
            if not path.exists() or path.read_text(encoding="utf-8") != text:
                raise CommandError(f"{path} differs from a fresh fit; run `make claim-filter`.")
            self.stdout.write(f"{path} is up to date.")
            return
        path.write_text(text, encoding="utf-8")
        self.stdout.write(f"Wrote {path}.")
