"""Configuration is read from the environment and fails loudly on bad values."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from kb.env import ConfigurationError, env_bool, load_dotenv, parse_database_url

ROOT = Path(__file__).resolve().parent.parent


def _settings_in_subprocess(env: dict) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "DEBUG", "DATABASE_URL"}}
    clean.update({"KB_ENV_FILE": "", "DJANGO_SETTINGS_MODULE": "kb.settings"}, **env)
    return subprocess.run(
        [sys.executable, "-c", "from django.conf import settings; print(settings.DEBUG, settings.DATABASES)"],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_missing_secret_key_with_debug_off_stops_with_a_clear_error():
    result = _settings_in_subprocess({})
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr


def test_debug_on_runs_without_a_secret_key():
    result = _settings_in_subprocess({"DEBUG": "1"})
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("True")


def test_database_url_unset_means_the_embedded_sqlite_file():
    result = _settings_in_subprocess({"SECRET_KEY": "x"})
    assert result.returncode == 0, result.stderr
    assert "sqlite3" in result.stdout and "db.sqlite3" in result.stdout


def test_a_bad_debug_value_is_refused_by_name(monkeypatch):
    monkeypatch.setenv("DEBUG", "maybe")
    with pytest.raises(ConfigurationError, match="DEBUG"):
        env_bool("DEBUG")


def test_postgres_url_is_parsed_into_connection_settings():
    config = parse_database_url("postgres://kb:s%40cret@db.example:6543/knowledge", ROOT)
    assert config["ENGINE"] == "django.db.backends.postgresql"
    assert (config["NAME"], config["USER"], config["PASSWORD"]) == ("knowledge", "kb", "s@cret")
    assert (config["HOST"], config["PORT"]) == ("db.example", "6543")
    assert config["OPTIONS"] == {"connect_timeout": "5"}  # libpq's default is to wait without limit
    assert parse_database_url("postgres://kb@db/kb?connect_timeout=2", ROOT)["OPTIONS"] == {"connect_timeout": "2"}


def test_sqlite_url_paths_are_relative_to_the_project_or_absolute():
    assert parse_database_url("sqlite:///local.db", ROOT)["NAME"] == str(ROOT / "local.db")
    assert parse_database_url("sqlite:////tmp/abs.db", ROOT)["NAME"] == "/tmp/abs.db"


@pytest.mark.parametrize("url", ["mysql://root@localhost/kb", "postgres://localhost", "sqlite://"])
def test_unsupported_or_incomplete_database_urls_are_refused(url):
    with pytest.raises(ConfigurationError, match="DATABASE_URL"):
        parse_database_url(url, ROOT)


def test_dotenv_fills_gaps_but_real_environment_variables_win(tmp_path, monkeypatch):
    env_file = tmp_path / ".env"
    env_file.write_text("# local\nKB_TEST_A=from-file\nKB_TEST_B='quoted value'\n", encoding="utf-8")
    monkeypatch.setenv("KB_TEST_A", "from-environment")
    monkeypatch.delenv("KB_TEST_B", raising=False)
    load_dotenv(env_file)
    assert os.environ["KB_TEST_A"] == "from-environment"
    assert os.environ["KB_TEST_B"] == "quoted value"
    monkeypatch.delenv("KB_TEST_B")


def test_a_malformed_dotenv_line_is_reported_with_its_line_number(tmp_path):
    env_file = tmp_path / ".env"
    env_file.write_text("DEBUG=1\nthis is not an assignment\n", encoding="utf-8")
    with pytest.raises(ConfigurationError, match=r"\.env:2"):
        load_dotenv(env_file)


def test_a_cache_directory_is_shared_by_the_server_and_the_task_worker(tmp_path):
    """`make run` gives runserver and its task worker one file cache (KB_CACHE_DIR): a job's edit, which bumps the
    content version in the worker, is seen by the server's next request (with a local-memory cache it was not)."""
    script = (
        "import sys, django; django.setup(); from django.conf import settings; from kb import cache; "
        "print(settings.CACHES['default']['BACKEND']); "
        "cache.bump_content_version() if sys.argv[1] == 'bump' else None; print(cache.content_version())"
    )
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    env.update(KB_ENV_FILE="", DJANGO_SETTINGS_MODULE="kb.settings", DEBUG="1", KB_CACHE_DIR=str(tmp_path / "cache"))

    def run(action: str) -> list[str]:
        result = subprocess.run(
            [sys.executable, "-c", script, action], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
        )
        assert result.returncode == 0, result.stderr
        return result.stdout.split()

    backend, before = run("read")
    assert backend == "django.core.cache.backends.filebased.FileBasedCache"
    _, bumped = run("bump")  # the worker
    _, seen = run("read")  # the server, in another process
    assert int(bumped) == int(before) + 1 and seen == bumped


def test_schema_commands_run_without_a_secret_key_but_the_rest_do_not():
    """CI's migrations check runs in a bare checkout; a server, a migration or a shell still needs the key."""
    env = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "DEBUG", "DATABASE_URL"}}
    env.update(KB_ENV_FILE="", DJANGO_SETTINGS_MODULE="kb.settings")

    def manage(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
        )

    checked = manage("makemigrations", "--check", "--dry-run")
    assert checked.returncode == 0, checked.stderr
    refused = manage("migrate", "--plan")
    assert refused.returncode != 0 and "SECRET_KEY is not set" in refused.stderr
