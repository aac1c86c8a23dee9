from __future__ import annotations

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from claims.exchange import ImportRefused, import_document
from claims.models import Claim
from sources.models import Source

MAX_BYTES = 50 * 1024 * 1024


class Command(BaseCommand):
    help = (
        "Load a kb-export JSON document in one transaction. Existing records are matched by slug (claims, "
        "sources, studies, conditions) or by source + claim + quote (assertions) and updated; nothing is "
        "deleted. A malformed file is refused with every problem listed, and nothing is written."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="Path to a kb-export JSON file.")
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="Do nothing when the database already holds claims or sources (used by `make run`).",
        )

    def handle(self, *args, file: str, if_empty: bool = False, **options) -> None:
        if if_empty and (Claim.objects.exists() or Source.objects.exists()):
            self.stdout.write("The knowledge base already has content; not importing (--if-empty).")
            return
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"{file}: no such file")
        if path.stat().st_size > MAX_BYTES:
            raise CommandError(f"{file}: larger than {MAX_BYTES // (1024 * 1024)} MB; refusing to read it")
        try:
            document = json.loads(path.read_text(encoding="utf-8"))
        except UnicodeDecodeError as exc:
            raise CommandError(f"{file}: not UTF-8 text ({exc.reason} at byte {exc.start}); nothing written") from None
        except json.JSONDecodeError as exc:
            raise CommandError(
                f"{file}: not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg}); nothing written"
            ) from None
        try:
            result = import_document(document)
        except ImportRefused as exc:
            raise CommandError(f"{file}: {exc}") from None
        self.stdout.write(self.style.SUCCESS(f"Imported {file}: {result.summary()}"))
