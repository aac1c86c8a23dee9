from __future__ import annotations

from django.core.management.base import BaseCommand

from claims.figures import refresh_all
from claims.models import PublishedCount
from kb.cache import bump_content_version


class Command(BaseCommand):
    help = (
        "Recount the stored counts of published claims that the home page, the conditions list, the tag list and "
        "the disagreements page show, and rewrite the condition pages' entries and figures (claims.figures). "
        "Every write keeps them current; this is for after writes that bypass the ORM (raw SQL, a restored "
        "database dump)."
    )

    def handle(self, *args, **options) -> None:
        before = dict(PublishedCount.objects.values_list("pk", "n"))
        refresh_all()
        after = dict(PublishedCount.objects.values_list("pk", "n"))
        changed = sum(1 for pk, n in after.items() if before.get(pk, 0) != n)
        bump_content_version()
        self.stdout.write(self.style.SUCCESS(f"Recounted {len(after)} stored counts; {changed} changed."))
