from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.urls import path

from kb.urls import urlpatterns as site_urlpatterns


def hello(request: HttpRequest) -> HttpResponse:
    """The cheapest Django response: the baseline for the cached-page throughput ratio."""
    return HttpResponse("Hello, world\n", content_type="text/plain")


urlpatterns = [path("bench/hello/", hello, name="bench_hello"), *site_urlpatterns]
