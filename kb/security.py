"""Hardening of the site as a whole: which address a request comes from (login throttling, django-axes) and the
Content-Security-Policy of each page (django-csp). See docs/operations.md, "Security".
"""

from __future__ import annotations

from csp.constants import SELF, UNSAFE_INLINE
from csp.middleware import CSPMiddleware, PolicyParts
from django.conf import settings
from django.http import HttpRequest, HttpResponseBase


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
