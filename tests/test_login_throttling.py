"""Admin login throttling (django-axes): a username is locked out from an address after repeated failures."""

from __future__ import annotations

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.core.management import call_command
from django.urls import reverse

pytestmark = pytest.mark.django_db

LOGIN = reverse("admin:login") + "?next=/admin/"
RIGHT = "pw-ada-123!"  # the superuser of the shared cast (tests/conftest.py)


def _login(client, password: str, username: str = "ada", address: str = "203.0.113.7", **headers):
    return client.post(LOGIN, {"username": username, "password": password}, REMOTE_ADDR=address, **headers)


def _signed_in(client) -> bool:
    return client.get(reverse("admin:index")).status_code == 200


def test_forty_wrong_passwords_then_the_right_one_does_not_sign_in(client, users):
    for _ in range(40):
        _login(client, "wrong-guess")
    response = _login(client, RIGHT)
    assert response.status_code == 429
    html = response.content.decode()
    assert "Sign-in locked" in html
    assert f"There were {settings.AXES_FAILURE_LIMIT} failed sign-ins for “ada” from this address" in html
    assert "not even the right password" in html and "Try again in 30 minutes" in html
    assert not _signed_in(client)


def test_failures_below_the_limit_do_not_lock_and_a_success_forgets_them(client, users):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert _login(client, "wrong-guess").status_code == 200  # the login form again, with Django's message
    assert _login(client, RIGHT).status_code == 302
    assert _signed_in(client)
    assert not AccessAttempt.objects.filter(username="ada").exists()  # AXES_RESET_ON_SUCCESS


def test_the_lock_holds_one_username_from_one_address_only(client, users):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _login(client, "wrong-guess")
    assert _login(client, RIGHT).status_code == 429
    # The same account from another address, and another account from the same one, still sign in.
    assert _login(client, "pw-rex-123!", username="rex").status_code == 302
    client.logout()
    assert _login(client, RIGHT, address="198.51.100.20").status_code == 302


def test_a_forged_forwarded_for_header_does_not_escape_the_lock(client, users):
    # No trusted proxy is configured (the default): the connection's address counts, whatever the header says.
    for n in range(settings.AXES_FAILURE_LIMIT):
        _login(client, "wrong-guess", HTTP_X_FORWARDED_FOR=f"192.0.2.{n}")
    assert _login(client, RIGHT, HTTP_X_FORWARDED_FOR="192.0.2.200").status_code == 429


def test_behind_a_trusted_proxy_the_address_it_saw_counts_and_not_what_the_client_wrote(client, users, settings):
    settings.KB_TRUSTED_PROXIES = 1
    proxy = "10.0.0.2"
    for n in range(settings.AXES_FAILURE_LIMIT):  # the client forges a different address left of the proxy's
        _login(client, "wrong-guess", address=proxy, HTTP_X_FORWARDED_FOR=f"192.0.2.{n}, 203.0.113.7")
    assert _login(client, RIGHT, address=proxy, HTTP_X_FORWARDED_FOR="203.0.113.7").status_code == 429
    # Another client behind the same proxy is not locked out.
    assert _login(client, RIGHT, address=proxy, HTTP_X_FORWARDED_FOR="198.51.100.9").status_code == 302


def test_an_administrator_unlocks_a_username_with_a_command(client, users):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _login(client, "wrong-guess")
    assert _login(client, RIGHT).status_code == 429
    call_command("axes_reset_username", "ada")
    assert _login(client, RIGHT).status_code == 302
    assert _signed_in(client)


def test_an_administrator_unlocks_a_login_in_the_admin(client, users):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _login(client, "wrong-guess", username="rex")
    assert _login(client, "pw-rex-123!", username="rex").status_code == 429
    client.force_login(users["admin"])
    attempts = client.get(reverse("admin:axes_accessattempt_changelist")).content.decode()
    assert "rex" in attempts and "203.0.113.7" in attempts
    attempt = AccessAttempt.objects.get(username="rex")
    client.post(
        reverse("admin:axes_accessattempt_changelist"),
        {"action": "delete_selected", "_selected_action": [attempt.pk], "post": "yes"},
    )
    client.logout()
    assert _login(client, "pw-rex-123!", username="rex").status_code == 302


def test_an_editor_cannot_see_or_clear_the_lockouts(client, users):
    client.force_login(users["editor"])
    assert client.get(reverse("admin:axes_accessattempt_changelist")).status_code == 403
