from __future__ import annotations

import time

from django.core.management.base import BaseCommand, CommandError, CommandParser

from bench.synthetic import SyntheticRefused, generate


class Command(BaseCommand):
    help = (
        "Write a deterministic synthetic knowledge base for benchmarks: N claims with 5-10 assertions each, "
        "one source per ~20 claims, studies, 30 conditions, tags, grades, stances and statuses. Synthetic "
        "records have slugs starting with 'syn-' and replace an earlier synthetic set; a database with any "
        "other content is refused unless --force."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--claims", type=int, required=True, help="How many claims to generate.")
        parser.add_argument("--seed", type=int, default=1, help="The same seed gives the same content (default 1).")
        parser.add_argument(
            "--force",
            action="store_true",
            help="Write even though the database holds non-synthetic content (which is left untouched).",
        )

    def handle(self, *args, claims: int, seed: int, force: bool, **options) -> None:
        if claims < 1:
            raise CommandError("--claims must be at least 1.")
        started = time.perf_counter()
        try:
            # The raw stream: the progress bar redraws its line with "\r" and must not get a newline each time.
            result = generate(claims, seed, force=force, stream=self.stderr._out, log=self.stdout.write)
        except SyntheticRefused as exc:
            raise CommandError(str(exc)) from None
        elapsed = time.perf_counter() - started
        self.stdout.write(
            self.style.SUCCESS(
                f"Generated {result.claims:,} claims, {result.assertions:,} assertions, {result.sources:,} "
                f"sources, {result.studies:,} studies and {result.conditions} conditions (seed {seed}) "
                f"in {elapsed:.1f} s."
            )
        )
