"""What an operator relies on: SQLite that does not lose edits, /healthz, JSON logs, the deploy settings."""

from __future__ import annotations

import contextlib
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _run_in_subprocess(args: list[str], env: dict, timeout: int = 180) -> subprocess.CompletedProcess:
    # The browser tests set DJANGO_ALLOW_ASYNC_UNSAFE in this process (Playwright runs an event loop); a deployment
    # would not, and `check --deploy` rightly refuses it.
    dropped = {"DEBUG", "DATABASE_URL", "REDIS_URL", "LOG_FORMAT", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    clean = {k: v for k, v in os.environ.items() if k not in dropped}
    clean.update({"KB_ENV_FILE": "", "DJANGO_SETTINGS_MODULE": "kb.settings"}, **env)
    return subprocess.run(args, cwd=ROOT, env=clean, capture_output=True, text=True, timeout=timeout)


# --- SQLite: two simultaneous admin saves -------------------------------------------------------------------


def _two_simultaneous_admin_saves() -> dict:
    """Run in a process of its own on a file database: two editors open a claim, then post their saves at the same
    moment, both having read the claim's version before either writes (unless the first holds the write lock)."""
    import threading

    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client, override_settings
    from django.test.utils import setup_test_environment
    from django.urls import reverse

    from claims import forms_admin
    from claims.models import Claim
    from tests.factories import ClaimFactory
    from tests.test_workflow import _admin_form_data

    setup_test_environment()
    override_settings(
        STORAGES={"staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
    ).enable()
    call_command("migrate", verbosity=0)
    claim = ClaimFactory(text="Ketamine reduces suicidal ideation", slug="si", status="draft", grade="very_low")
    url = reverse("admin:claims_claim_change", args=[claim.pk])
    clients, forms = [], []
    for name in ("edna", "rex"):
        client = Client(raise_request_exception=False)
        client.force_login(get_user_model().objects.create_superuser(name, password="pw-123-xyz!"))
        forms.append({**_admin_form_data(client.get(url)), "rationale": f"{name}'s rationale."})
        clients.append(client)
    connection.close()

    both_read = threading.Barrier(2)
    check_version = forms_admin.check_version

    def check_version_then_wait(*args, **kwargs):
        check_version(*args, **kwargs)
        # With IMMEDIATE the other save is still waiting for the lock: go on alone after a while.
        with contextlib.suppress(threading.BrokenBarrierError):
            both_read.wait(timeout=2)

    forms_admin.check_version = check_version_then_wait
    responses: list = [None, None]

    def save(i: int) -> None:
        try:
            responses[i] = clients[i].post(url, forms[i])
        finally:
            connection.close()

    threads = [threading.Thread(target=save, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return {
        "statuses": sorted(r.status_code for r in responses),
        "conflict_shown": any(b"Your changes were not saved" in r.content for r in responses),
        "saved": Claim.objects.get(pk=claim.pk).rationale,
    }


def test_two_simultaneous_admin_saves_on_sqlite_end_in_the_conflict_message_not_a_500(tmp_path):
    result = _run_in_subprocess(
        [sys.executable, __file__, "two-saves"], {"DATABASE_URL": f"sqlite:///{tmp_path / 'race.sqlite3'}"}
    )
    assert result.returncode == 0, result.stderr[-3000:]
    outcome = json.loads(result.stdout.splitlines()[-1])
    assert outcome["statuses"] == [200, 302], result.stderr[-3000:]
    assert outcome["conflict_shown"]
    assert outcome["saved"] in ("edna's rationale.", "rex's rationale.")


def test_sqlite_transactions_take_the_write_lock_when_they_begin(settings):
    from django.conf import settings as live

    if live.DATABASES["default"]["ENGINE"] != "django.db.backends.sqlite3":
        pytest.skip("the suite runs on PostgreSQL: the SQLite options are checked in the SQLite run")
    options = live.DATABASES["default"]["OPTIONS"]
    assert options["transaction_mode"] == "IMMEDIATE" and options["timeout"] >= 5


# --- /healthz -----------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_healthz_reports_the_database_and_the_cache_as_json(client):
    response = client.get("/healthz")
    assert response.status_code == 200 and response["Content-Type"] == "application/json"
    body = response.json()
    assert body["status"] == "ok" and body["database"]["state"] == "ok" and body["cache"]["state"] == "ok"
    assert "no-store" in response["Cache-Control"]


@pytest.mark.django_db
def test_healthz_stays_200_when_redis_is_down_and_says_so(client):
    from tests.test_http_caching import redis_down

    with redis_down:
        response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["cache"] == {"state": "unreachable", "backend": "RedisCache"}


@pytest.mark.django_db
def test_healthz_answers_503_when_the_database_is_down(client, monkeypatch):
    from django.db import OperationalError, connections

    def refuse():
        raise OperationalError("connection refused")

    monkeypatch.setattr(connections["default"], "ensure_connection", refuse)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["status"] == "error" and response.json()["database"]["state"] == "unreachable"


def test_healthz_answers_503_when_postgresql_accepts_connections_but_never_answers(tmp_path):
    # The operator's trial: with no connect timeout, libpq waits without limit for a server that does not answer
    # (a host gone, a firewall dropping packets): /healthz then hung until gunicorn killed its worker (55 s), never
    # answering 503. A listening socket that never accepts is such a server.
    import socket

    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(16)
        port = silent.getsockname()[1]
        code = (
            "import django; django.setup(); from django.test import Client; "
            "r = Client(HTTP_HOST='localhost').get('/healthz'); print(r.status_code, r.json()['database']['state'])"
        )
        env = {"DEBUG": "1", "DATABASE_URL": f"postgres://kb@127.0.0.1:{port}/kb", "LOG_LEVEL": "CRITICAL"}
        try:
            result = _run_in_subprocess([sys.executable, "-c", code], env, timeout=60)
        except subprocess.TimeoutExpired:
            pytest.fail("/healthz was still waiting for the database after 60 s")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["503", "unreachable"]


# --- logging and the deploy settings ------------------------------------------------------------------------

LOG_A_WARNING = [
    sys.executable,
    "-c",
    "import django, logging; django.setup(); logging.getLogger('kb.cache').warning('Redis is %s', 'down')",
]


def test_log_format_json_writes_one_json_object_per_line():
    result = _run_in_subprocess(LOG_A_WARNING, {"SECRET_KEY": "x", "LOG_FORMAT": "json"})
    assert result.returncode == 0, result.stderr
    record = json.loads(result.stderr.strip().splitlines()[-1])
    assert (record["level"], record["logger"], record["message"]) == ("WARNING", "kb.cache", "Redis is down")
    assert "time" in record


def test_plain_logs_by_default_and_a_bad_log_format_is_refused_by_name():
    plain = _run_in_subprocess(LOG_A_WARNING, {"SECRET_KEY": "x"})
    assert plain.returncode == 0 and "WARNING kb.cache: Redis is down" in plain.stderr
    bad = _run_in_subprocess(LOG_A_WARNING, {"SECRET_KEY": "x", "LOG_FORMAT": "xml"})
    assert bad.returncode != 0 and "LOG_FORMAT" in bad.stderr


DEPLOY_ENV = {  # the recipe in docs/operations.md
    "SECRET_KEY": "a-long-random-deploy-key-7f3c9e1b5d2a8f6c4e0b9d7a5c3e1f8b6d4a2c0e9f7b5d3",
    "ALLOWED_HOSTS": "kb.example.org",
    "SECURE_SSL": "1",
    "REDIS_URL": "redis://127.0.0.1:6379/0",
}


def test_check_deploy_is_clean_with_the_deploy_recipe():
    result = _run_in_subprocess(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"], DEPLOY_ENV
    )
    assert result.returncode == 0, result.stdout + result.stderr


def _recipe_exports() -> list[dict[str, str]]:
    """The variables each server recipe of docs/operations.md exports (its `export` lines that set the key)."""
    text = (ROOT / "docs" / "operations.md").read_text(encoding="utf-8").replace("\\\n", " ")
    exports = []
    for line in text.splitlines():
        if line.startswith("export ") and "SECRET_KEY=" in line:
            exports.append(dict(re.findall(r"([A-Z_]+)=(\S+)", line)))
    return exports


def test_the_recipes_turn_debug_off_whatever_the_env_file_make_run_wrote_says(tmp_path):
    # The operator's trial: `make run` (the README's first command) writes a .env with DEBUG=1 into the project
    # folder, which every process started there reads; a recipe that does not set DEBUG served "production" with it.
    exports = _recipe_exports()
    assert len(exports) >= 2  # "Deploying" and "Two app servers"
    assert all(export.get("DEBUG") == "0" for export in exports), exports
    deploy = {k: v for k, v in exports[0].items() if "…" not in v}  # placeholders: the key and the database
    env_file = tmp_path / ".env"
    env_file.write_text("DEBUG=1\nSECRET_KEY=written-by-make-run\n")
    result = _run_in_subprocess(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        {**deploy, "SECRET_KEY": DEPLOY_ENV["SECRET_KEY"], "KB_ENV_FILE": str(env_file)},
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_readmes_command_to_serve_on_every_interface_allows_the_address_readers_type():
    # The operator's trial: `make run HOST=0.0.0.0 PORT=8254` as the README said answered 400 Bad Request
    # ("Invalid HTTP_HOST header") to every request made to the machine's address: only loopback names are allowed.
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    line = re.search(r"`(make run [^`]*HOST=0\.0\.0\.0[^`]*)`", readme).group(1)
    command = dict(re.findall(r"([A-Z_]+)=(\S+)", line))
    assert "ALLOWED_HOSTS" in command, line
    code = "from django.conf import settings; print(settings.ALLOWED_HOSTS)"
    result = _run_in_subprocess([sys.executable, "-c", code], {"DEBUG": "1", "ALLOWED_HOSTS": command["ALLOWED_HOSTS"]})
    assert result.returncode == 0, result.stderr
    assert command["ALLOWED_HOSTS"].split(",")[0] in result.stdout


def test_the_deploy_recipe_turns_hsts_on_for_a_year():
    code = "from django.conf import settings as s; print(s.SECURE_HSTS_SECONDS, s.SECURE_HSTS_INCLUDE_SUBDOMAINS)"
    result = _run_in_subprocess([sys.executable, "-c", code], DEPLOY_ENV)
    assert result.stdout.split() == ["31536000", "True"], result.stderr


def test_gunicorn_conf_sets_a_timeout_workers_from_the_cpus_and_an_access_log():
    code = (
        "from gunicorn.config import Config; c = Config(); "
        "[c.set(k, v) for k, v in __import__('runpy').run_path('gunicorn.conf.py').items() if k in c.settings]; "
        "print(c.timeout, c.workers, c.accesslog)"
    )
    result = _run_in_subprocess([sys.executable, "-c", code], {"WEB_CONCURRENCY": "3"})
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["55", "3", "-"]


def test_two_app_servers_on_one_machine_share_no_gunicorn_control_socket():
    # gunicorn 25+ opens a control socket at one path per user by default: the second server on a machine took the
    # first one's over, and stopping either deleted the socket of the one still running (operator's trial).
    code = (
        "from gunicorn.config import Config; c = Config(); "
        "[c.set(k, v) for k, v in __import__('runpy').run_path('gunicorn.conf.py').items() if k in c.settings]; "
        "print(c.control_socket_disable)"
    )
    result = _run_in_subprocess([sys.executable, "-c", code], {"GUNICORN_BIND": "127.0.0.1:8001"})
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["True"]


# --- search: any accepted source is indexable --------------------------------------------------------------


@pytest.mark.django_db
def test_a_long_article_of_varied_words_is_indexed_and_its_assertions_can_be_saved(client):
    from claims.search import MAX_INDEXED_BYTES, search
    from tests.factories import AssertionFactory, ClaimFactory, SourceFactory

    # 1.9 MB, 212,000 distinct words: PostgreSQL's tsvector of it would be 2.5 MB, over its 1 MB limit.
    text = "Ketamine works by blocking NMDA receptors. " + " ".join(f"w{n:06d}x" for n in range(212_000))
    assert len(text.encode()) > 1_900_000  # the importer accepts up to 2 MB
    source = SourceFactory(title="A very long article", slug="long", text=text)
    assertion = AssertionFactory(claim=ClaimFactory(), source=source, quote="Ketamine works by blocking NMDA")
    assertion.note = "Saved again, which re-indexes the source."
    assertion.save()
    hits, total = search("w000123x", kind="source")
    assert [hit.title for hit in hits] == ["A very long article"]
    from claims.models import SearchEntry

    assert len(SearchEntry.objects.get(kind="source", object_id=source.pk).body.encode()) <= MAX_INDEXED_BYTES
    assert client.get(source.get_absolute_url()).status_code == 200


if __name__ == "__main__":
    import django

    sys.path.insert(0, str(ROOT))
    django.setup()
    if sys.argv[1:] == ["two-saves"]:
        print(json.dumps(_two_simultaneous_admin_saves()))
