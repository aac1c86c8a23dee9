"""Site-wide views that belong to no app."""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.cache import cache
from django.db import DatabaseError, connections
from django.http import HttpRequest, HttpResponseRedirect, JsonResponse
from django.templatetags.static import static
from django.utils.cache import patch_cache_control
from django.views.decorators.cache import never_cache

from kb.cache import CACHE_ERRORS

logger = logging.getLogger("kb.healthz")

FAVICON_MAX_AGE = 24 * 60 * 60


def favicon(request: HttpRequest) -> HttpResponseRedirect:
    """``/favicon.ico``, which browsers ask for on their own (for the sitemap, say, which links no icon): the SVG
    icon that base.html links. A temporary redirect, cached for a day: the icon's hashed name changes with it."""
    response = HttpResponseRedirect(static("favicon.svg"))
    patch_cache_control(response, public=True, max_age=FAVICON_MAX_AGE)
    return response


@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    """``/healthz`` for load balancers and monitoring: the database's and the cache's state in JSON; 503 when the
    database cannot be queried (the site cannot serve), 200 with the cache down (pages are served uncached)."""
    try:
        with connections["default"].cursor() as cursor:
            cursor.execute("SELECT 1")
        database = "ok"
    except DatabaseError as exc:
        logger.error("Health check: database unreachable: %s", exc)
        database = "unreachable"
    backend = settings.CACHES["default"]["BACKEND"].rsplit(".", 1)[-1]
    try:
        cache.get("kb:healthz")
        cache_state = "ok"
    except CACHE_ERRORS:
        cache_state = "unreachable"
    body = {
        "status": "ok" if database == "ok" else "error",
        "database": {"state": database, "vendor": connections["default"].vendor},
        "cache": {"state": cache_state, "backend": backend},
    }
    return JsonResponse(body, status=200 if database == "ok" else 503)
