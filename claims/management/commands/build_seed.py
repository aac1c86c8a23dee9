from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError, CommandParser

from claims.management.commands.export_kb import dump, write
from claims.seed import SeedError, build_document


class Command(BaseCommand):
    help = "Build the kb-export fixture from the authoring files in fixtures/seed/ (see FORMAT.md there)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--output", "-o", help="File to write (default: standard output).")

    def handle(self, *args, output: str | None = None, **options) -> None:
        try:
            text = dump(build_document())
        except SeedError as exc:
            raise CommandError(str(exc)) from None
        write(self, text, output)
