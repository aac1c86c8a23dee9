"""Full history (django-simple-history) for writes that bypass ``save()``.

Every ``save()`` of a claim, statement, evidence row, effect estimate, condition, source or study writes a history
row by itself, with the signed-in user (``HistoryRequestMiddleware``). The workflow writes some fields with
``update()`` instead (claims/services.py: status changes, the recomputed grading, the bottom line's review), which
sends no signal: those call ``record()`` after writing, so that no change escapes the history.
"""

from __future__ import annotations

from django.db import models


def record(instance: models.Model, user=None, reason: str = "") -> None:
    """Write a history row of ``instance``, whose attributes the caller has set to what it just wrote: who
    (``user``, else the request's user), when (now), why (``reason``). One query (the insert)."""
    history = type(instance).history
    user = user if getattr(user, "pk", None) else None
    history.bulk_history_create([instance], update=True, default_user=user, default_change_reason=reason)
