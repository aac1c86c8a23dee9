"""The base of the commands that refit a learned model file of the import (``fit_reranker``, ``fit_claim_filter``,
``fit_category_model``): the same arguments, and the same write, or with ``--check`` compare with the committed file."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import ClassVar

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from importer.bench import HELDOUT_DIR
from importer.logistic import FitError


class FitCommand(BaseCommand):
    """Fits a model on the seed fixture's articles and the held-out ones, and writes the file, or with ``--check``
    fails when the file differs from a fresh fit. A subclass names the fit (the seed fixture and the held-out
    directory -> the file's data), the file it writes and the make target that runs it; ``dumps`` may change how the
    data is written."""

    fit: ClassVar[Callable[[Path, Path], dict]]
    output: ClassVar[Path]
    make_target: ClassVar[str]

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--fixture", default=str(Path(settings.BASE_DIR) / "fixtures" / "kb.json"))
        parser.add_argument("--heldout", default=str(HELDOUT_DIR))
        parser.add_argument("--output", default=str(self.output))
        parser.add_argument("--check", action="store_true", help="fail when the file differs from a fresh fit")

    @staticmethod
    def dumps(data: dict) -> str:
        return json.dumps(data, indent=1) + "\n"

    def handle(self, *args, fixture: str, heldout: str, output: str, check: bool, **options) -> None:
        try:
            text = self.dumps(self.fit(Path(fixture), Path(heldout)))
        except FitError as error:  # too few labelled articles…: nothing is written
            raise CommandError(f"Cannot fit {Path(output).name}: {error}") from error
        path = Path(output)
        if check:
            if not path.exists() or path.read_text(encoding="utf-8") != text:
                raise CommandError(f"{path} differs from a fresh fit; run `make {self.make_target}`.")
            self.stdout.write(f"{path} is up to date.")
            return
        path.write_text(text, encoding="utf-8")
        self.stdout.write(f"Wrote {path}.")
