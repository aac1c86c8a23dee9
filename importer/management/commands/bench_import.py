from __future__ import annotations

import json as jsonlib
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from importer.bench import measure_speed, render, render_speed, run


class Command(BaseCommand):
    help = "Leave-one-out evaluation of the article extractor on the seed fixture (see importer/bench.py)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--fixture", default=str(Path(settings.BASE_DIR) / "fixtures" / "kb.json"))
        parser.add_argument("--json", help="Also write the results to this file.")
        parser.add_argument(
            "--no-speed", action="store_true", help="skip the import timing on the 10,000-claim synthetic base"
        )

    def handle(self, *args, fixture: str, json: str | None = None, no_speed: bool = False, **options) -> None:
        result = run(Path(fixture))
        self.stdout.write(render(result), ending="")
        if not no_speed:
            result["speed"] = measure_speed(Path(fixture), log=self.stderr.write)
            self.stdout.write("\n" + render_speed(result["speed"]), ending="")
        if json:
            Path(json).parent.mkdir(parents=True, exist_ok=True)
            Path(json).write_text(_dumps(result), encoding="utf-8")


def _dumps(result: dict) -> str:
    return jsonlib.dumps(result, indent=2) + "\n"
