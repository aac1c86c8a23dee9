from __future__ import annotations

import json
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from importer.bench import HELDOUT_DIR, fit_category_model
from importer.categorymodel import COEFFICIENTS


class Command(BaseCommand):
    help = (
        "Fit the import's learned category model (importer/categorymodel.json) on every labelled article's answers: "
        "the seed's and the held-out ones. Deterministic; needs neither the knowledge base nor the embedding model."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--fixture", default=str(Path(settings.BASE_DIR) / "fixtures" / "kb.json"))
        parser.add_argument("--heldout", default=str(HELDOUT_DIR))
        parser.add_argument("--output", default=str(COEFFICIENTS))
        parser.add_argument("--check", action="store_true", help="fail when the file differs from a fresh fit")

    def handle(self, *args, fixture: str, heldout: str, output: str, check: bool, **options) -> None:
        text = _dumps(fit_category_model(Path(fixture), Path(heldout)))
        path = Path(output)
        if check:
            if not path.exists() or path.read_text(encoding="utf-8") != text:
                raise CommandError(f"{path} differs from a fresh fit; run `make category-model`.")
            self.stdout.write(f"{path} is up to date.")
            return
        path.write_text(text, encoding="utf-8")
        self.stdout.write(f"Wrote {path}.")


def _dumps(data: dict) -> str:
    """One line per key and one per category's coefficients: the file stays readable and its diffs short."""
    lines = []
    for key, value in data.items():
        if key == "coef":
            rows = ",\n  ".join(json.dumps(row) for row in value)
            lines.append(f' "coef": [\n  {rows}\n ]')
        else:
            lines.append(f" {json.dumps(key)}: {json.dumps(value, ensure_ascii=False)}")
    return "{\n" + ",\n".join(lines) + "\n}\n"
