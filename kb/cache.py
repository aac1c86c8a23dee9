"""Whole-page caching for anonymous readers, invalidated by a content version bumped on every edit.

Views marked with ``@cache_public_page`` are cached whole by ``PageCacheMiddleware``, which sits before the
session, CSRF and auth middleware: a reader without a session cookie is answered from the cache (or with a 304)
without touching them. Every public page is cached under a key holding the current content version, the scheme,
the host, the path and only the query parameters the page reads (``PAGE_QUERY_PARAMS``; the view never sees the
others, so ``?junk=N`` neither changes the page nor adds a cache entry). A page whose parameters it could not use
as given (an invalid filter value, ``page=01``, a page past the last) is rendered but not stored
(``skip_storing``), so junk values of the parameters a page does read cost no cache memory either. Any save or
delete of content (claims, assertions, evidence, sources, studies, conditions, tags, history) bumps the version, so
the next request renders afresh; old entries simply expire. Signed-in users (editors) always bypass the cache.

HTTP caching follows the same version: a cached page's ``ETag`` is derived from the version and the key, so a
revalidation (``If-None-Match``) is answered with a 304 after one cache read, without reading the page. Anonymous
pages say ``Cache-Control: public, max-age=KB_HTTP_MAX_AGE`` and ``Vary: Cookie``; signed-in users get
``private, no-store``. Each entry holds the page and its gzipped copy, compressed once when stored.

The version lives in the cache itself: with Redis (``REDIS_URL``) it is shared by every worker process and app
server. With the default local-memory cache each process has its own copy, which is right for one process
(``make run``, tests) but would let other workers serve a page until its timeout; deployments with several
workers should set ``REDIS_URL``.

With Redis, each process reads the version at most every ``KB_VERSION_CHECK_MS`` (500 ms) and keeps the last
``LOCAL_PAGES`` pages it served in its own memory, under the same versioned keys. A cache hit or a 304 then costs
no Redis round trip (each cost as much as a whole hello-world request: issue 16 measured 0.43-0.62x of its
throughput with one or two reads per request). The price is bounded staleness: an edit made through this process
is visible here on the next request (the bump sets the version it reads), but another worker or app server may
serve the previous page for up to ``KB_VERSION_CHECK_MS`` after the edit. Browsers and proxies may keep a page for
``KB_HTTP_MAX_AGE`` (60 s) anyway. ``KB_VERSION_CHECK_MS=0`` reads the version on every request, as before.

The cache fails open: when Redis cannot be reached, pages are rendered uncached and edits are saved, the failure
is logged at most once a minute per process, and the cache is not tried again for ``RETRY_SECONDS``. An edit made
while the cache was down bumps the version as soon as this process reaches the cache again, and is also counted in
the database (``kb.models.CacheOutageEdits``): the process that saved it may end before the cache is back (a
gunicorn worker recycled, a task worker restarted), and a Redis that kept its data would then serve the pages of
before the edit. So every process using a shared cache compares that count, at most every
``OUTAGE_CHECK_SECONDS``, with the count the cache was last made stale for (``OUTAGE_KEY``), and bumps the version
when it has grown.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import threading
import time
from collections import OrderedDict

from django.conf import settings
from django.core.cache import cache, caches
from django.core.cache.backends.locmem import LocMemCache
from django.db import DatabaseError, transaction
from django.db.models import F
from django.http import HttpRequest, HttpResponse, QueryDict
from django.urls import Resolver404, resolve
from django.utils import timezone
from django.utils.cache import get_conditional_response, patch_cache_control, patch_vary_headers
from django.utils.text import compress_string
from redis.exceptions import RedisError

logger = logging.getLogger("kb.cache")

VERSION_KEY = "kb:content-version"
# What a cache that is down raises: redis-py's errors (refused, timed out, reset) and socket errors.
CACHE_ERRORS = (RedisError, OSError)
RETRY_SECONDS = 5.0  # after a failure, this process leaves the cache alone this long (no connect per request)
OUTAGE_KEY = "kb:outage-edits"  # the count of edits saved during outages that the version has been bumped for
OUTAGE_CHECK_SECONDS = 5.0  # how often a process reads that count from the database (one query; shared caches only)
LOG_EVERY_SECONDS = 60.0

# The query parameters each cached page reads, by URL name: its filter form's fields and its page numbers.
# Anything else in the query string is dropped before the view runs and is not part of the cache key. A page
# that starts reading a new parameter must be listed here (tests/test_http_caching.py checks every cached page is).
PAGE_QUERY_PARAMS: dict[str, tuple[str, ...]] = {
    "home": (),
    "sitemap": ("p",),
    "claims:condition_list": (),
    "claims:condition_detail": ("question", "verdict", "grade", "category", "page"),
    "claims:claim_detail": (),
    "claims:disagreements": ("page",),
    "claims:matrix": ("condition", "category", "verdict", "page"),
    "claims:tag_list": (),
    "claims:tag_detail": ("page",),
    "claims:search": ("q", "kind", "page"),
    "claims:about_grading": (),
    "sources:source_list": ("page",),
    "sources:source_detail": (),
    "sources:study_list": ("page",),
    "sources:study_detail": ("claims_page", "citations_page"),
    "sources:compare": ("a", "b"),
}

# Response headers that belong to the moment, not to the page: never stored with it.
_UNSTORED_HEADERS = {"content-length", "content-encoding", "vary", "etag", "cache-control", "x-page-cache"}


class _CacheHealth:
    """This process's view of the cache: whether to try it now, and when the last failure was logged."""

    def __init__(self) -> None:
        self.down_until = 0.0
        self.logged_at = float("-inf")
        self.pending_bump = False  # an edit was saved while the cache was down

    def available(self) -> bool:
        return time.monotonic() >= self.down_until

    def failed(self, exc: Exception) -> None:
        now = time.monotonic()
        self.down_until = now + RETRY_SECONDS
        if now - self.logged_at >= LOG_EVERY_SECONDS:
            self.logged_at = now
            logger.warning("Page cache unreachable, serving pages uncached: %s: %s", type(exc).__name__, exc)


health = _CacheHealth()


class _LocalPages:
    """This process's copies of the last pages it served from the shared cache, by versioned key (so a new
    version misses them, as it misses the shared entries), each kept as long as the shared entry: no Redis read
    for a page this process has served lately. Least recently used first out, at most ``LOCAL_PAGES`` pages."""

    def __init__(self) -> None:
        self.entries: OrderedDict[str, tuple[float, tuple]] = OrderedDict()
        self.lock = threading.Lock()  # threaded servers (runserver, gunicorn's gthread workers)

    def get(self, key: str) -> tuple | None:
        with self.lock:
            found = self.entries.get(key)
            if found is None:
                return None
            expires, page = found
            if time.monotonic() >= expires:
                del self.entries[key]
                return None
            self.entries.move_to_end(key)
            return page

    def put(self, key: str, page: tuple, seconds: float) -> None:
        with self.lock:
            self.entries[key] = (time.monotonic() + seconds, page)
            self.entries.move_to_end(key)
            while len(self.entries) > LOCAL_PAGES:
                self.entries.popitem(last=False)


LOCAL_PAGES = 64  # a page and its gzipped copy: ~100 kB for the largest, so a few MB per process
_local_pages = _LocalPages()
# The version this process last read or wrote, and when (time.monotonic()): see KB_VERSION_CHECK_MS above.
_known_version: tuple[int, float] | None = None
_outage_checked_at = float("-inf")


def reset() -> None:
    """Forget this process's version and page copies (tests clear the shared cache between tests)."""
    global _known_version, _outage_checked_at
    _known_version = None
    _outage_checked_at = float("-inf")
    with _local_pages.lock:
        _local_pages.entries.clear()


def content_version() -> int:
    """The current content version (at most one cache read). Never fails: with the cache down it is a value never
    given before, so that an ETag or a key made from it matches nothing and the caller renders afresh."""
    if health.available():
        try:
            return _current_version()
        except CACHE_ERRORS as exc:
            health.failed(exc)
    return time.time_ns()


def _current_version() -> int:
    """The version this process read less than ``KB_VERSION_CHECK_MS`` ago, or else the shared one (one cache read).
    Raises ``CACHE_ERRORS``."""
    global _known_version
    check_seconds = settings.KB_VERSION_CHECK_MS / 1000
    now = time.monotonic()
    if check_seconds > 0 and _known_version is not None and now - _known_version[1] < check_seconds:
        return _known_version[0]
    version = _read_version()
    _known_version = (version, now)
    return version


def _read_version() -> int:
    """The shared content version (one cache read; a few more on a fresh cache). Raises ``CACHE_ERRORS``."""
    if health.pending_bump:
        _bump()
        health.pending_bump = False
    _apply_outage_edits()
    version = cache.get(VERSION_KEY)
    if version is None:
        # A fresh start (or an evicted key) must not reuse pages cached under an old counter.
        cache.add(VERSION_KEY, time.time_ns(), timeout=None)
        version = cache.get(VERSION_KEY)
    return version


def _apply_outage_edits() -> None:
    """Bump the version if edits were saved during an outage since the last bump for them, by any process (one
    database read at most every ``OUTAGE_CHECK_SECONDS``; none with a cache local to this process, which is never
    down). Raises ``CACHE_ERRORS``; a database that cannot be read is left for the next check."""
    global _outage_checked_at
    now = time.monotonic()
    if now - _outage_checked_at < OUTAGE_CHECK_SECONDS or isinstance(caches["default"], LocMemCache):
        return
    _outage_checked_at = now
    from kb.models import CacheOutageEdits

    try:
        count = CacheOutageEdits.objects.filter(pk=1).values_list("count", flat=True).first() or 0
    except DatabaseError:
        return
    if count > (cache.get(OUTAGE_KEY) or 0):
        _bump()
        cache.set(OUTAGE_KEY, count, timeout=None)


def _record_outage_edit() -> None:
    """Count in the database an edit saved while the cache is down, in the edit's transaction when there is one
    (a savepoint: a failure here never fails the edit; it is logged)."""
    from kb.models import CacheOutageEdits

    try:
        with transaction.atomic():
            at = timezone.now()
            if not CacheOutageEdits.objects.filter(pk=1).update(count=F("count") + 1, last_at=at):
                CacheOutageEdits.objects.get_or_create(pk=1, defaults={"count": 1, "last_at": at})
    except DatabaseError as exc:
        logger.warning("Could not record an edit saved while the page cache was down: %s", exc)


def _bump() -> None:
    """Increment the shared version; this process knows the new one at once (its next page is the edited one)."""
    global _known_version
    try:
        version = cache.incr(VERSION_KEY)
    except ValueError:
        version = time.time_ns()
        cache.set(VERSION_KEY, version, timeout=None)
    _known_version = (version, time.monotonic())


def bump_content_version() -> None:
    """Make every cached page stale, now and again when the transaction commits. Never fails an edit: with the
    cache down, the bump waits for this process's next use of the cache (until then nothing is served from it here).

    Inside a transaction the edit is not yet visible to other connections: a page another worker renders between
    this bump and the commit shows the old content under the new version. The second bump, once committed (once per
    transaction however many writes bump), leaves no such page in use."""
    _bump_now()
    connection = transaction.get_connection()
    if connection.in_atomic_block and not any(func is _bump_now for _, func, _ in connection.run_on_commit):
        transaction.on_commit(_bump_now)


def _bump_now() -> None:
    global _known_version
    _known_version = None
    if not health.available():
        health.pending_bump = True
        _record_outage_edit()
        return
    try:
        _bump()
    except CACHE_ERRORS as exc:
        health.pending_bump = True
        health.failed(exc)
        _record_outage_edit()


def _keeps_local_copies() -> bool:
    """Whether pages are copied into this process: only while the version is checked every KB_VERSION_CHECK_MS (a
    shared cache: a local-memory cache is this process's memory already)."""
    return settings.KB_VERSION_CHECK_MS > 0


def skip_storing(request: HttpRequest) -> None:
    """Serve this page but do not store it: the request's query holds a value the page could not use as given (an
    invalid filter value, a page number spelled otherwise — ``page=01`` — or past the last page). Such spellings
    are unbounded, and each would otherwise be one more cached copy of a page (issue 16's operator trial: 150
    requests of ``?grade=junkN`` took Redis from 1.3 MB to 15.3 MB). Readers following the pages' own links never
    send them, so their pages are still cached."""
    request._kb_skip_storing = True


def check_form(request: HttpRequest, form) -> None:
    """``skip_storing`` when a bound filter form is invalid (its errors name the value given)."""
    if form.is_bound and not form.is_valid():
        skip_storing(request)


def check_page_number(request: HttpRequest, number: int, param: str = "page") -> None:
    """``skip_storing`` unless ``?param=`` is absent (page 1) or is the page's number as the pages' links write it."""
    raw = request.GET.get(param)
    if raw is None and number == 1:
        return
    if raw != str(number) or len(request.GET.getlist(param)) > 1:
        skip_storing(request)


def cache_public_page(view):
    """Mark a public view for ``PageCacheMiddleware``: anonymous GET/HEAD requests are served from the cache, and
    its query parameters are filtered to those in ``PAGE_QUERY_PARAMS``."""

    @functools.wraps(view)
    def page(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        return view(request, *args, **kwargs)

    page.kb_page_cache = True  # a wrapper: marking a shared view (Django's sitemap) would mark it everywhere
    return page


@functools.lru_cache(maxsize=4096)
def _cached_view_name(urlconf: str, path: str) -> str | None:
    """The URL name of the page-cached view at ``path``, or None (resolving costs ~20 µs; this, under 1 µs)."""
    try:
        match = resolve(path, urlconf)
    except Resolver404:
        return None
    return match.view_name if getattr(match.func, "kb_page_cache", False) else None


def _keep_read_parameters(request: HttpRequest, view_name: str) -> None:
    """Drop the query parameters the page does not read and put the rest in one order, in ``request.GET`` and in
    the query string (pages show their own URL, e.g. when printed: it must not show one reader's junk to all)."""
    if not request.META.get("QUERY_STRING"):
        return
    params = PAGE_QUERY_PARAMS.get(view_name)
    kept = QueryDict(mutable=True)
    for name in sorted(request.GET):
        if params is None or name in params:
            kept.setlist(name, request.GET.getlist(name))
    kept._mutable = False
    request.GET = kept
    request.META["QUERY_STRING"] = kept.urlencode()


def page_key(request: HttpRequest, version: int) -> str:
    """The cache key: content version, scheme, host (pages hold absolute URLs), path, and the query parameters
    the page reads (``_keep_read_parameters`` has put them in order)."""
    identity = f"{request.scheme}://{request.get_host()}{request.path}?{request.META.get('QUERY_STRING', '')}"
    return f"kb:page:{version}:{hashlib.sha256(identity.encode('utf-8')).hexdigest()[:32]}"


def _etag(key: str) -> str:
    # Weak: the gzipped and the plain body are the same page (RFC 9110 8.8.1), and GZipMiddleware keeps it as is.
    _, _, version, digest = key.split(":")
    return f'W/"{int(version):x}-{digest[:16]}"'


def _public(response: HttpResponse) -> HttpResponse:
    patch_cache_control(response, public=True, max_age=settings.KB_HTTP_MAX_AGE)
    patch_vary_headers(response, ("Cookie",))
    return response


# States of a request to a cached page, kept on the request between the middleware's steps.
_PENDING = "pending"  # has a session cookie: signed in or not is known after the auth middleware
_SIGNED_IN = "signed-in"
_UNCACHED = "uncached"  # anonymous, but the page cache is off or down


class PageCacheMiddleware:
    """Serve anonymous readers' cached pages before the session, CSRF and auth middleware; store the pages those
    render; set the HTTP caching headers of every public page. Place it after ``ConditionalGetMiddleware`` and
    before ``SessionMiddleware``."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.method not in ("GET", "HEAD"):
            return self.get_response(request)
        view_name = _cached_view_name(getattr(request, "urlconf", None) or settings.ROOT_URLCONF, request.path_info)
        if view_name is None:
            return self.get_response(request)
        _keep_read_parameters(request, view_name)
        if settings.SESSION_COOKIE_NAME in request.COOKIES:
            request._kb_page = _PENDING  # decided in process_view, once the session has been read
        else:
            served = self._serve(request)
            if served is not None:
                return served
        return self._finish(request, self.get_response(request))

    def process_view(self, request: HttpRequest, view_func, view_args, view_kwargs) -> HttpResponse | None:
        if getattr(request, "_kb_page", None) != _PENDING:
            return None
        if request.user.is_authenticated:
            request._kb_page = _SIGNED_IN
            return None
        return self._serve(request)

    def _serve(self, request: HttpRequest) -> HttpResponse | None:
        """A 304 or the cached page, or None after noting on the request what to do with the page rendered."""
        request._kb_page = _UNCACHED
        if settings.KB_PAGE_CACHE_SECONDS <= 0 or not health.available():
            return None
        try:
            key = page_key(request, _current_version())
            etag = _etag(key)
            not_modified = get_conditional_response(request, etag=etag)
            if not_modified is not None:
                not_modified["ETag"] = etag
                return _public(not_modified)
            cached = _local_pages.get(key)
            if cached is None:
                cached = cache.get(key)
                if cached is not None and _keeps_local_copies():
                    _local_pages.put(key, cached, settings.KB_PAGE_CACHE_SECONDS)
        except CACHE_ERRORS as exc:
            health.failed(exc)
            return None
        if cached is None:
            request._kb_page = (key, etag)
            return None
        content, gzipped, headers = cached
        body, encoding = (gzipped, "gzip") if "gzip" in request.META.get("HTTP_ACCEPT_ENCODING", "") else (content, "")
        response = HttpResponse(body, headers=headers)
        if encoding:
            response["Content-Encoding"] = encoding
        response["Content-Length"] = str(len(body))
        response["ETag"] = etag
        response["X-Page-Cache"] = "hit"
        patch_vary_headers(response, ("Accept-Encoding",))
        return _public(response)

    def _finish(self, request: HttpRequest, response: HttpResponse) -> HttpResponse:
        state = getattr(request, "_kb_page", None)
        if state == _SIGNED_IN:
            patch_cache_control(response, private=True, no_store=True)
            return response
        if state in (None, _PENDING) or response.status_code != 200 or response.streaming or response.cookies:
            return response  # not a page for everyone (an error, a redirect, one that sets a cookie)
        if isinstance(state, tuple) and getattr(request, "_kb_skip_storing", False):
            response["ETag"] = state[1]  # the same request gives the same page under this version: a 304 is right
            response["X-Page-Cache"] = "not stored"
        elif isinstance(state, tuple):
            key, etag = state
            if hasattr(response, "render") and callable(response.render):
                response = response.render()
            headers = {name: value for name, value in response.items() if name.lower() not in _UNSTORED_HEADERS}
            page = (response.content, compress_string(response.content), headers)
            try:
                cache.set(key, page, settings.KB_PAGE_CACHE_SECONDS)
                if _keeps_local_copies():
                    _local_pages.put(key, page, settings.KB_PAGE_CACHE_SECONDS)
            except CACHE_ERRORS as exc:
                health.failed(exc)
            response["ETag"] = etag
            response["X-Page-Cache"] = "miss"
        return _public(response)
