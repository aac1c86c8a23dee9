"""Hardening of the site as a whole: which address a request comes from (login throttling, django-axes) and the
Content-Security-Policy of each page (django-csp). See docs/operations.md, "Security".
"""

from __future__ import annotations

from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_username, get_cool_off
from csp.constants import SELF, UNSAFE_INLINE
from csp.middleware import CSPMiddleware, PolicyParts
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db.models import Sum
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import render

# What kb.security.LoginThrottle counts, in this order: one username from one address, then one address.
LOCKOUT_PARAMETERS = [["username", "ip_address"], "ip_address"]


def client_ip(request: HttpRequest) -> str | None:
    """The client's address as the nearest trusted proxy saw it (``AXES_CLIENT_IP_CALLABLE``).

    With ``KB_TRUSTED_PROXIES`` = 0 (the default) it is the connection's own address: a header cannot be trusted
    when nothing in front of the site is known to overwrite it, and a client could otherwise send a new
    ``X-Forwarded-For`` with every guess and never be locked out. Behind N proxies that each append the address
    they saw (nginx's ``$proxy_add_x_forwarded_for``, a load balancer), the client is the N-th address from the
    right: what a client wrote itself lies further left and is ignored.
    """
    proxies = settings.KB_TRUSTED_PROXIES
    if proxies:
        forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
        forwarded = [part for part in forwarded if part]
        if len(forwarded) >= proxies:
            return forwarded[-proxies]
    return request.META.get("REMOTE_ADDR")


class LoginThrottle(AxesDatabaseHandler):
    """django-axes' database handler with two limits instead of one: ``AXES_FAILURE_LIMIT`` failures for one
    username from one address lock that pair out; ``KB_ADDRESS_FAILURE_LIMIT`` failures from one address, whatever
    the usernames, lock the address out. django-axes compares the largest count of all its lockout parameters with a
    single limit, so with ``ip_address`` alone at 5, a shared office address would be locked after 5 mistakes of
    different people; its maintainers advise a custom handler for separate limits (jazzband/django-axes#661).

    Only the counting is changed (``get_failures``, read by django-axes before every login and after every failure),
    and what a successful login forgets: only that username's failures from that address, not the address's whole
    count (django-axes would forget every row matching any lockout parameter, so one colleague's, or an attacker's
    own account's, successful login would unlock every other username at that address)."""

    def __init__(self) -> None:
        if settings.AXES_LOCKOUT_PARAMETERS != LOCKOUT_PARAMETERS:
            raise ImproperlyConfigured(f"LoginThrottle needs AXES_LOCKOUT_PARAMETERS = {LOCKOUT_PARAMETERS}")
        super().__init__()

    def failure_counts(self, request: HttpRequest, credentials: dict | None = None) -> tuple[int, int]:
        """The failures (within the cool-off) of this username from this address, and of this address (2 queries)."""
        pair, address = (
            attempts.aggregate(n=Sum("failures_since_start"))["n"] or 0
            for attempts in self.get_user_attempts(request, credentials)
        )
        return pair, address

    def get_failures(self, request: HttpRequest, credentials: dict | None = None) -> int:
        """The failures django-axes compares with ``AXES_FAILURE_LIMIT``: the pair's count, raised to that limit once
        the address has reached its own."""
        pair, address = self.failure_counts(request, credentials)
        if address >= settings.KB_ADDRESS_FAILURE_LIMIT:
            return max(pair, settings.AXES_FAILURE_LIMIT)
        return pair

    def reset_user_attempts(self, request: HttpRequest, credentials: dict | None = None) -> int:
        return self.reset_attempts(
            ip_address=request.axes_ip_address, username=get_client_username(request, credentials)
        )


def lockout_response(
    request: HttpRequest, original_response: HttpResponse | None = None, credentials: dict | None = None
) -> HttpResponse:
    """The "Sign-in locked" page (``AXES_LOCKOUT_CALLABLE``, HTTP 429): which lock holds, the address's (every
    username) or the username's from this address, with its limit and how long it lasts."""
    _, address = LoginThrottle().failure_counts(request, credentials)
    whole_address = address >= settings.KB_ADDRESS_FAILURE_LIMIT
    context = {
        "whole_address": whole_address,
        "failure_limit": settings.KB_ADDRESS_FAILURE_LIMIT if whole_address else settings.AXES_FAILURE_LIMIT,
        "username": get_client_username(request, credentials) or "",
        "cooloff_timedelta": get_cool_off(request),
    }
    return render(request, settings.AXES_LOCKOUT_TEMPLATE, context, status=settings.AXES_HTTP_RESPONSE_CODE)


class ContentSecurityPolicyMiddleware(CSPMiddleware):
    """django-csp's middleware, with the admin's one relaxation: Django's own admin templates (the change list)
    and the import review write small inline ``<style>`` blocks, so under ``/admin/`` styles may be inline. Scripts
    stay ``'self'`` everywhere; the public pages allow nothing inline (the JSON-LD block is data, which browsers
    do not run and CSP does not govern)."""

    def get_policy_parts(
        self, request: HttpRequest, response: HttpResponseBase, report_only: bool = False
    ) -> PolicyParts:
        parts = super().get_policy_parts(request, response, report_only)
        if request.path_info.startswith(settings.KB_ADMIN_PATH) and parts.replace is None:
            # Replaced, not extended: a browser ignores 'unsafe-inline' in a directive that also lists a hash (the
            # server-error page's), so the admin's inline styles were all refused (the review page's "In context"
            # lost its line breaks, its fields their widths).
            parts.replace = {"style-src": [SELF, UNSAFE_INLINE]}
        return parts
