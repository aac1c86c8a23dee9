"""Admin login throttling (django-axes, kb.security.LoginThrottle): a username is locked out from an address after
AXES_FAILURE_LIMIT failures, and an address after KB_ADDRESS_FAILURE_LIMIT failures whatever the usernames (a spray
of names), so a shared office address is not locked after a few mistakes of different people."""

from __future__ import annotations

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.core.management import call_command
from django.urls import reverse

pytestmark = pytest.mark.django_db

LOGIN = reverse("admin:login") + "?next=/admin/"
RIGHT = "pw-ada-123!"  # the superuser of the shared cast (tests/conftest.py)


@pytest.fixture(autouse=True)
def fast_hashing(settings):
    """A cheap password hash (set before the cast is created): these tests sign in hundreds of times, and each
    sign-in, even for an unknown username, runs the hasher once."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def _login(client, password: str, username: str = "ada", address: str = "203.0.113.7", **headers):
    return client.post(LOGIN, {"username": username, "password": password}, REMOTE_ADDR=address, **headers)


def _signed_in(client) -> bool:
    return client.get(reverse("admin:index")).status_code == 200


def test_forty_wrong_passwords_then_the_right_one_does_not_sign_in(client, users):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _login(client, "wrong-guess")
    response = _login(client, RIGHT)
    assert response.status_code == 429
    html = response.content.decode()
    assert "Sign-in locked" in html
    assert f"There were {settings.AXES_FAILURE_LIMIT} failed sign-ins for “ada” from this address" in html
    assert "not even the right password" in html and "Try again in 30 minutes" in html
    # Guessing on while locked still counts: at the address's limit the whole address is locked.
    for _ in range(40 - settings.AXES_FAILURE_LIMIT - 1):
        _login(client, "wrong-guess")
    html = _login(client, RIGHT).content.decode()
    assert f"There were {settings.KB_ADDRESS_FAILURE_LIMIT} failed sign-ins from this address" in html
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


# --- the second limit: one address, any username -----------------------------------------------------------------


def _spray(client, n: int, address: str = "203.0.113.7", start: int = 0, **headers) -> None:
    """``n`` failed sign-ins from one address, each with another (made-up) username."""
    for k in range(start, start + n):
        _login(client, "wrong-guess", username=f"user{k}", address=address, **headers)


def test_a_spray_of_usernames_from_one_address_locks_the_address_at_its_own_limit(client, users):
    limit = settings.KB_ADDRESS_FAILURE_LIMIT
    assert limit > settings.AXES_FAILURE_LIMIT
    _spray(client, limit - 1)
    # Below the address's limit the right password still works, and signing in forgets only ada's own failures.
    assert _login(client, RIGHT).status_code == 302
    client.logout()
    _spray(client, 1, start=limit)
    response = _login(client, RIGHT)
    assert response.status_code == 429
    html = response.content.decode()
    assert f"There were {limit} failed sign-ins from this address, for one or more usernames" in html
    assert "locked for every username" in html and "Try again in 30 minutes" in html
    assert _login(client, "pw-rex-123!", username="rex").status_code == 429
    assert not _signed_in(client)
    # Another address is not concerned.
    assert _login(client, RIGHT, address="198.51.100.20").status_code == 302


def test_a_shared_office_address_is_not_locked_by_a_few_mistakes_of_different_people(client, users):
    _spray(client, 3 * settings.AXES_FAILURE_LIMIT)  # fifteen colleagues mistype once each
    assert _login(client, RIGHT).status_code == 302
    assert _signed_in(client)


def test_a_colleagues_sign_in_from_the_same_address_does_not_unlock_a_locked_username(client, users):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _login(client, "wrong-guess")
    assert _login(client, "pw-rex-123!", username="rex").status_code == 302
    client.logout()
    assert _login(client, RIGHT).status_code == 429
    assert AccessAttempt.objects.filter(username="ada").exists()


def test_the_address_lock_ends_after_the_cool_off(client, users):
    import datetime as dt

    _spray(client, settings.KB_ADDRESS_FAILURE_LIMIT)
    assert _login(client, RIGHT).status_code == 429
    AccessAttempt.objects.update(attempt_time=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=31))
    assert _login(client, RIGHT).status_code == 302


def test_an_administrator_unlocks_an_address_with_a_command_or_in_the_admin(client, users):
    _spray(client, settings.KB_ADDRESS_FAILURE_LIMIT)
    assert _login(client, RIGHT).status_code == 429
    call_command("axes_reset_ip", "203.0.113.7")
    assert _login(client, RIGHT).status_code == 302
    client.logout()

    _spray(client, settings.KB_ADDRESS_FAILURE_LIMIT)
    assert _login(client, RIGHT).status_code == 429
    client.force_login(users["admin"])
    changelist = reverse("admin:axes_accessattempt_changelist")
    listed = client.get(changelist, {"q": "203.0.113.7"}).content.decode()
    assert "user0" in listed and f"user{settings.KB_ADDRESS_FAILURE_LIMIT - 1}" in listed
    rows = list(AccessAttempt.objects.filter(ip_address="203.0.113.7").values_list("pk", flat=True))
    client.post(changelist, {"action": "delete_selected", "_selected_action": rows, "post": "yes"})
    client.logout()
    assert _login(client, RIGHT).status_code == 302


def test_a_spray_with_forged_forwarded_for_headers_is_still_one_address(client, users):
    for k in range(settings.KB_ADDRESS_FAILURE_LIMIT):
        _login(client, "wrong-guess", username=f"user{k}", HTTP_X_FORWARDED_FOR=f"192.0.2.{k}")
    assert _login(client, RIGHT, HTTP_X_FORWARDED_FOR="192.0.2.250").status_code == 429


def test_behind_a_trusted_proxy_a_spray_locks_the_client_and_not_everyone_behind_the_proxy(client, users, settings):
    settings.KB_TRUSTED_PROXIES = 1
    proxy = "10.0.0.2"
    for k in range(settings.KB_ADDRESS_FAILURE_LIMIT):  # forged addresses left of the one the proxy appended
        _login(
            client, "wrong-guess", username=f"user{k}", address=proxy, HTTP_X_FORWARDED_FOR=f"192.0.2.{k}, 203.0.113.7"
        )
    response = _login(client, RIGHT, address=proxy, HTTP_X_FORWARDED_FOR="203.0.113.7")
    assert response.status_code == 429 and "locked for every username" in response.content.decode()
    assert _login(client, RIGHT, address=proxy, HTTP_X_FORWARDED_FOR="198.51.100.9").status_code == 302


def test_the_address_limit_below_the_username_limit_is_refused_when_the_settings_load():
    import os
    import subprocess
    import sys

    from tests.test_settings import ROOT

    env = {**os.environ, "KB_ENV_FILE": "", "DEBUG": "1", "AXES_FAILURE_LIMIT": "5", "KB_ADDRESS_FAILURE_LIMIT": "3"}
    env.pop("DATABASE_URL", None)
    result = subprocess.run(
        [sys.executable, "-c", "from django.conf import settings; settings.DEBUG"],
        cwd=ROOT, env={**env, "DJANGO_SETTINGS_MODULE": "kb.settings"}, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode != 0 and "KB_ADDRESS_FAILURE_LIMIT" in result.stderr and "at least" in result.stderr
