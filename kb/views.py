"""Site-wide views that belong to no app."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponseRedirect
from django.templatetags.static import static
from django.utils.cache import patch_cache_control

FAVICON_MAX_AGE = 24 * 60 * 60


def favicon(request: HttpRequest) -> HttpResponseRedirect:
    """``/favicon.ico``, which browsers ask for on their own (for the sitemap, say, which links no icon): the SVG
    icon that base.html links. A temporary redirect, cached for a day: the icon's hashed name changes with it."""
    response = HttpResponseRedirect(static("favicon.svg"))
    patch_cache_control(response, public=True, max_age=FAVICON_MAX_AGE)
    return response
