from __future__ import annotations

from django.core.management.base import BaseCommand, CommandParser

from claims.report import build_report, render_report


class Command(BaseCommand):
    help = (
        "Content report: per source its claims, assertions, stances, citations with their fidelity and how "
        "much of its text is quoted; claims per category and grade; where sources disagree; citation "
        "findings."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--uncovered", action="store_true", help="List each source's unquoted sentences.")

    def handle(self, *args, uncovered: bool = False, **options) -> None:
        self.stdout.write(render_report(build_report(), show_uncovered=uncovered), ending="")
