from __future__ import annotations

from django.db import models


class CacheOutageEdits(models.Model):
    """How many edits were saved while the shared page cache (Redis) was unreachable: one row, kept in the database
    because the process that saved them may end before the cache is back (``kb.cache``). Each process compares it,
    every few seconds, with the count the cache has already been made stale for."""

    count = models.PositiveBigIntegerField(default=0)
    last_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "edits saved while the page cache was down"
        verbose_name_plural = verbose_name

    def __str__(self) -> str:
        return f"{self.count} edits saved while the page cache was down"
