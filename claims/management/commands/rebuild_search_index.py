from __future__ import annotations

from django.core.management.base import BaseCommand
from django.db import transaction

from claims.search import rebuild_index


class Command(BaseCommand):
    help = "Recreate the full-text search entries for every published claim, source and study."

    def handle(self, *args, **options) -> None:
        with transaction.atomic():
            count = rebuild_index()
        self.stdout.write(self.style.SUCCESS(f"Indexed {count} entries."))
