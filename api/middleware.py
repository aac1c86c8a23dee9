"""HTTP behaviour of every response under /api/: ETags and 304s, and errors in the API's JSON shape."""

from __future__ import annotations

import hashlib
import json

from django.http import HttpRequest, HttpResponse
from django.utils.cache import get_conditional_response, patch_cache_control

from kb.cache import content_version

API_PREFIX = "/api/"


def api_etag(request: HttpRequest) -> str:
    """The ETag of an API answer: the content version (bumped by every edit, kb/cache.py), the API's version and the
    full path with its query. No query runs: an unchanged knowledge base answers a revalidation with a 304 at once.
    With several worker processes the version must be shared (``REDIS_URL``), as for the page cache."""
    from api.views import API_VERSION

    key = f"{content_version()}|{API_VERSION}|{request.get_full_path()}"
    return '"' + hashlib.sha256(key.encode("utf-8")).hexdigest()[:32] + '"'


def _json_error(status: int, detail: str, response: HttpResponse | None = None) -> HttpResponse:
    answer = HttpResponse(json.dumps({"detail": detail}), status=status, content_type="application/json")
    if response is not None and response.has_header("Allow"):
        answer["Allow"] = response["Allow"]
    return answer


class ApiMiddleware:
    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not request.path.startswith(API_PREFIX):
            return self.get_response(request)
        etag = api_etag(request) if request.method == "GET" else None
        if etag is not None:
            not_modified = get_conditional_response(request, etag=etag)
            if not_modified is not None:
                return not_modified
        response = self.get_response(request)
        is_json = response.get("Content-Type", "").startswith("application/json")
        if response.status_code == 405 and not is_json:
            response = _json_error(405, "The API is read-only: use GET.", response)
        elif response.status_code == 404 and not is_json:
            response = _json_error(404, "No such API endpoint: see /api/docs.")
        if etag is not None and response.status_code == 200:
            response["ETag"] = etag
            # Caches may keep an answer but must ask again each time (a 304 costs nothing).
            patch_cache_control(response, public=True, no_cache=True)
        return response
