"""Whole-page caching for anonymous readers, invalidated by a content version bumped on every edit.

Every public page is cached under a key that includes the current content version. Any save or delete of
content (claims, assertions, evidence, sources, studies, conditions, tags, history) bumps the version, so the
next request renders afresh; old entries simply expire. Signed-in users (editors) always bypass the cache.

The version lives in the cache itself: with Redis (``REDIS_URL``) it is shared by every worker process, so
an edit is visible everywhere at once. With the default local-memory cache each process has its own copy,
which is right for one process (``make run``, tests) but would let other workers serve a page until its
timeout; deployments with several workers should set ``REDIS_URL``.
"""

from __future__ import annotations

import functools
import hashlib
import time

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse

VERSION_KEY = "kb:content-version"


def content_version() -> int:
    version = cache.get(VERSION_KEY)
    if version is None:
        # A fresh start (or an evicted key) must not reuse pages cached under an old counter.
        cache.add(VERSION_KEY, time.time_ns(), timeout=None)
        version = cache.get(VERSION_KEY)
    return version


def bump_content_version() -> None:
    try:
        cache.incr(VERSION_KEY)
    except ValueError:
        cache.set(VERSION_KEY, time.time_ns(), timeout=None)


def _page_key(request: HttpRequest, version: int) -> str:
    digest = hashlib.sha256(request.get_full_path().encode("utf-8")).hexdigest()[:32]
    return f"kb:page:{version}:{request.method}:{digest}"


def cache_public_page(view):
    """Serve anonymous GET/HEAD requests from the cache; store successful renders."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        timeout = settings.KB_PAGE_CACHE_SECONDS
        # Only look at the session (a query) when the reader sent a session cookie.
        signed_in = settings.SESSION_COOKIE_NAME in request.COOKIES and request.user.is_authenticated
        if timeout <= 0 or request.method not in ("GET", "HEAD") or signed_in:
            return view(request, *args, **kwargs)
        key = _page_key(request, content_version())
        cached = cache.get(key)
        if cached is not None:
            content, content_type, status = cached
            response = HttpResponse(content, content_type=content_type, status=status)
            response["X-Page-Cache"] = "hit"
            return response
        response = view(request, *args, **kwargs)
        if hasattr(response, "render") and callable(response.render):
            response = response.render()
        if response.status_code == 200 and not response.streaming:
            cache.set(key, (response.content, response["Content-Type"], response.status_code), timeout)
        response["X-Page-Cache"] = "miss"
        return response

    return wrapper
