from __future__ import annotations

import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from importer.services import import_article
from importer.text import FORMATS, MAX_BYTES, InputError
from kb.progress import Progress
from sources.models import Source


class Command(BaseCommand):
    help = (
        "Import an article (plain text, Markdown or HTML): archive its text and propose candidate assertions "
        "for the admin review queue. Re-importing the same text creates nothing; a changed text of a known "
        "source (same URL or slug) is archived as a new snapshot and quotes that disappeared are flagged."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", help="File to import, or - for standard input.")
        parser.add_argument("--title", required=True)
        parser.add_argument("--url", default="")
        parser.add_argument("--author", default="")
        parser.add_argument("--publisher", default="")
        parser.add_argument("--kind", default="other", help=f"One of: {', '.join(Source.Kind.values)}.")
        parser.add_argument("--slug", default="", help="Defaults to the slugified title.")
        parser.add_argument("--format", dest="fmt", default="auto", choices=FORMATS)
        parser.add_argument("--no-progress", action="store_true")

    def handle(self, *args, path: str, fmt: str, no_progress: bool, **options) -> None:
        if path == "-":
            raw, name = sys.stdin.buffer.read(MAX_BYTES + 1), "stdin"
            if len(raw) > MAX_BYTES:  # only the first bytes were read: their count is not the input's size
                raise CommandError(f"stdin is larger than {MAX_BYTES // 1048576} MB; nothing was imported.")
        else:
            file = Path(path)
            if not file.is_file():
                raise CommandError(f"{path}: no such file")
            if file.stat().st_size > MAX_BYTES:
                raise CommandError(f"{path} is larger than {MAX_BYTES // 1048576} MB; nothing was imported.")
            raw, name = file.read_bytes(), file.name
        bar = Progress(self.stderr._out)  # the raw stream: the bar redraws its line with "\r"
        try:
            summary = import_article(
                raw,
                name=name,
                fmt=fmt,
                title=options["title"],
                url=options["url"],
                author=options["author"],
                publisher=options["publisher"],
                kind=options["kind"],
                slug=options["slug"],
                progress=None if no_progress else bar.callback("sentences about ketamine"),
                embedding_progress=None if no_progress else bar.callback("embedding new texts"),
            )
        except InputError as exc:
            raise CommandError(f"{exc} Nothing was imported.") from None
        for line in summary.lines():
            self.stdout.write(line)
        if summary.candidates:
            self.stdout.write("Review the candidates in the admin: Article import → Candidates.")
