from __future__ import annotations

import json
import sys

from django.core.management.base import BaseCommand, CommandParser

from claims.exchange import export_document


def dump(document: dict) -> str:
    """The canonical serialisation: stable key order, UTF-8 kept readable, a final newline."""
    return json.dumps(document, ensure_ascii=False, indent=2) + "\n"


def write(command: BaseCommand, text: str, output: str | None) -> None:
    """Write a document to ``output`` (saying so on stderr), or to standard output."""
    if output:
        with open(output, "w", encoding="utf-8") as handle:
            handle.write(text)
        command.stderr.write(f"Wrote {output}")
    else:
        sys.stdout.write(text)


class Command(BaseCommand):
    help = "Write the whole knowledge base as a kb-export JSON document (stdout, or --output FILE)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--output", "-o", help="File to write instead of standard output.")

    def handle(self, *args, output: str | None = None, **options) -> None:
        write(self, dump(export_document()), output)
