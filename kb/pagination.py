from __future__ import annotations

from django.core.paginator import Page, Paginator
from django.http import HttpRequest

from kb.cache import check_page_number


def paginate(request: HttpRequest, items, per_page: int, count: int | None = None, param: str = "page") -> Page:
    """The requested page; a missing, malformed or out-of-range ``?page=`` falls back to the nearest page (which
    is then not stored in the page cache: ``kb.cache.check_page_number``).

    Pass ``count`` when the number of items is known already, to spare the COUNT query. ``param`` names the query
    parameter, for a page with two paginated lists.
    """
    paginator = Paginator(items, per_page)
    if count is not None:
        paginator.count = count
    page = paginator.get_page(request.GET.get(param))
    check_page_number(request, page.number, param)
    return page


def query_without_page(request: HttpRequest, param: str = "page") -> str:
    """The current query string minus ``param``, for building pagination links that keep the filters (and, on a
    page with two lists, the other list's page)."""
    params = request.GET.copy()
    params.pop(param, None)
    return params.urlencode()
