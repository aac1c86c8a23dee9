from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from claims.exchange_schema import SCHEMA_PATH, json_schema_text


class Command(BaseCommand):
    help = (
        f"Write the JSON Schema of the kb-export format, generated from claims/exchange_schema.py, to {SCHEMA_PATH} "
        "(or --output FILE); with --check, only say whether the file is up to date."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--output", "-o", help=f"File to write instead of {SCHEMA_PATH}.")
        parser.add_argument("--check", action="store_true", help="Fail when the file differs from the models.")

    def handle(self, *args, output: str | None = None, check: bool = False, **options) -> None:
        path = Path(output) if output else Path(settings.BASE_DIR) / SCHEMA_PATH
        text = json_schema_text()
        if check:
            if not path.is_file() or path.read_text(encoding="utf-8") != text:
                raise CommandError(f"{path} is not up to date: run `python manage.py kb_export_schema`")
            self.stdout.write(f"{path} is up to date.")
            return
        path.write_text(text, encoding="utf-8")
        self.stdout.write(self.style.SUCCESS(f"Wrote {path}"))
