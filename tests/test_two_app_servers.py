"""Several app servers, one truth (docs/operations.md, "Two app servers, a worker, PostgreSQL and Redis"): two
gunicorn instances on two loopback ports share one PostgreSQL database and one Redis, as the deploy recipe runs
them. An edit saved through one is what the other serves once ``KB_VERSION_CHECK_MS`` has passed (its cached copy of
the page is not served then), and a task worker in a process of its own takes the imports queued through either.

Needs PostgreSQL (``DATABASE_URL=postgres://…``, as CI's second run has) and a Redis server (``KB_TEST_REDIS_URL``,
default ``redis://127.0.0.1:6379/15``); skipped, saying which is missing, without them. ``KB_TEST_PORTS=8130,8131``
chooses the two ports (default: two free ones).
"""

from __future__ import annotations

import http.cookiejar
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.db import connection

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
REDIS_URL = os.environ.get("KB_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
VERSION_CHECK_MS = 500  # the default with Redis: another server may serve the previous page this long after an edit
ARTICLE = (
    "Ketamine for depression\n"
    "Ketamine works within hours for many patients with treatment-resistant depression.\n"
    "Some clinics now offer nasal spray ketamine at home, although the effects fade within a week.\n"
)


def _missing() -> str:
    """Why this test cannot run here ("" when it can)."""
    if connection.vendor != "postgresql":
        return "needs PostgreSQL shared by two servers: run with DATABASE_URL=postgres://… (CI's second run does)"
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=0.5).ping()
    except redis.RedisError as exc:
        return f"needs a Redis server at {REDIS_URL} (KB_TEST_REDIS_URL): {exc}"
    return ""


def _ports() -> list[int]:
    if os.environ.get("KB_TEST_PORTS"):
        return [int(p) for p in os.environ["KB_TEST_PORTS"].split(",")[:2]]
    ports = []
    for _ in range(2):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            ports.append(s.getsockname()[1])
    return ports


def _environment() -> dict[str, str]:
    """The deploy recipe's environment, pointed at the test database every process shares."""
    db = connection.settings_dict
    auth = urllib.parse.quote(db["USER"] or "") + (f":{urllib.parse.quote(db['PASSWORD'])}" if db["PASSWORD"] else "")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PYTEST_"))}
    env.update(
        KB_ENV_FILE="",
        DEBUG="0",
        SECRET_KEY="two-app-servers-test-only-" + "k" * 40,
        ALLOWED_HOSTS="127.0.0.1",
        DATABASE_URL=f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}",
        REDIS_URL=REDIS_URL,
        KB_TASKS="database",
        KB_EMBEDDINGS="off",  # ranking by wording: the test is about who does the work, not how well
        WEB_CONCURRENCY="1",
        LOG_LEVEL="WARNING",
        KB_VERSION_CHECK_MS=str(VERSION_CHECK_MS),
    )
    return env


class _Form(HTMLParser):
    """The fields of the first form with a given id, as a browser would submit it unchanged."""

    def __init__(self, form_id: str) -> None:
        super().__init__()
        self.form_id, self.inside, self.fields = form_id, False, []
        self.select, self.textarea = None, None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self.inside = a.get("id") == self.form_id
        if not self.inside:
            return
        if tag == "input" and a.get("name") and a.get("type") not in ("submit", "button", "file"):
            if a.get("type") in ("checkbox", "radio") and "checked" not in a:
                return
            self.fields.append((a["name"], a.get("value", "")))
        elif tag == "select":
            self.select = a.get("name")
        elif tag == "option" and self.select and "selected" in a:
            self.fields.append((self.select, a.get("value", "")))
        elif tag == "textarea":
            self.textarea = [a.get("name"), ""]

    def handle_data(self, data):
        if self.textarea is not None:
            self.textarea[1] += data

    def handle_endtag(self, tag):
        if tag == "form":
            self.inside = False
        elif tag == "select":
            self.select = None
        elif tag == "textarea" and self.textarea is not None:
            name, value = self.textarea
            self.fields.append((name, value[1:] if value.startswith("\n") else value))
            self.textarea = None


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class Browser:
    """One person's cookies (session, CSRF) against one server; the same cookies work on the other server."""

    def __init__(self, jar: http.cookiejar.CookieJar, base: str) -> None:
        self.base = base
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar), _NoRedirect)
        self.jar = jar

    def request(self, path: str, data: list | dict | None = None) -> tuple[int, dict, str]:
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        req = urllib.request.Request(self.base + path, data=body, headers={"Referer": self.base + path})
        try:
            with self.opener.open(req, timeout=30) as response:
                return response.status, dict(response.headers), response.read().decode()
        except urllib.error.HTTPError as exc:
            return exc.code, dict(exc.headers), exc.read().decode(errors="replace")

    def csrf(self) -> str:
        return next(c.value for c in self.jar if c.name == "csrftoken")

    def login(self, username: str, password: str) -> None:
        self.request("/admin/login/")
        status, headers, _ = self.request(
            "/admin/login/?next=/admin/",
            {"username": username, "password": password, "csrfmiddlewaretoken": self.csrf(), "next": "/admin/"},
        )
        assert status == 302, "the sign-in was refused"

    def submit(self, path: str, form_id: str, **changes) -> tuple[int, dict, str]:
        """Open an admin form, change some fields and send it as a browser would."""
        status, _, html = self.request(path)
        assert status == 200, f"{path}: {status}"
        parser = _Form(form_id)
        parser.feed(html)
        fields = [(k, v) for k, v in parser.fields if k not in changes] + list(changes.items())
        return self.request(path, fields)


def _wait_until_up(base: str, process: subprocess.Popen) -> None:
    for _ in range(300):
        if process.poll() is not None:
            raise RuntimeError(f"{base}: the process stopped (exit {process.returncode})")
        try:
            with urllib.request.urlopen(base + "/healthz", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{base} did not answer /healthz")


@pytest.fixture
def servers(transactional_db):
    """Two gunicorn instances and one task worker, each a process of its own, as docs/operations.md runs them."""
    reason = _missing()
    if reason and os.environ.get("CI") and connection.vendor == "postgresql":
        pytest.fail(f"CI's PostgreSQL run must run this test: {reason}")  # .ci/run starts Redis when it is down
    if reason:
        pytest.skip(reason)
    env = _environment()
    subprocess.run(
        [str(BIN / "python"), "manage.py", "collectstatic", "--noinput", "-v0"], cwd=ROOT, env=env, check=True
    )
    processes, bases = [], []
    try:
        for port in _ports():
            gunicorn = [str(BIN / "gunicorn"), "-c", "gunicorn.conf.py", "kb.wsgi:application"]
            processes.append(subprocess.Popen(gunicorn, cwd=ROOT, env={**env, "GUNICORN_BIND": f"127.0.0.1:{port}"}))
            bases.append(f"http://127.0.0.1:{port}")
        worker = [str(BIN / "python"), "manage.py", "db_worker", "--no-reload", "--interval", "0.2"]
        processes.append(subprocess.Popen(worker, cwd=ROOT, env=env))
        for base, process in zip(bases, processes, strict=False):
            _wait_until_up(base, process)
        yield bases, processes[-1]
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()


@pytest.mark.servers
def test_two_app_servers_share_edits_at_once_and_a_worker_takes_imports_queued_through_either(servers):
    from django.contrib.auth import get_user_model

    from importer.models import Job
    from sources.models import Source
    from tests.factories import ClaimFactory, ConditionFactory

    (a, b), worker = servers
    condition = ConditionFactory(name="Tinnitus", slug="tinnitus", description="Ringing in the ears.")
    ClaimFactory(text="Ketamine quiets tinnitus", slug="tinnitus-claim", status="published").conditions.add(condition)
    get_user_model().objects.create_superuser("ada", password="pw-ada-123!")
    jar = http.cookiejar.CookieJar()
    editor_a, editor_b = Browser(jar, a), Browser(jar, b)
    reader_b = Browser(http.cookiejar.CookieJar(), b)

    # A reader's page on server B, then served from the shared cache.
    status, _, html = reader_b.request("/conditions/tinnitus/")
    assert status == 200 and "Ringing in the ears." in html
    status, headers, _ = reader_b.request("/conditions/tinnitus/")
    assert headers.get("X-Page-Cache") == "hit"

    # An editor changes the public condition through server A: a pending revision, which readers do not see yet.
    editor_a.login("ada", "pw-ada-123!")
    status, headers, html = editor_a.submit(
        f"/admin/claims/condition/{condition.pk}/change/", "condition_form", description="Ringing or buzzing.",
        change_reason="Buzzing too.", _save="",
    )  # fmt: skip
    assert status == 302 and "/admin/revisions/revision/" in headers["Location"], html[:2000]
    revision_page = urllib.parse.urlsplit(headers["Location"]).path
    status, headers, html = reader_b.request("/conditions/tinnitus/")
    assert "Ringing in the ears." in html and "Ringing or buzzing." not in html
    # Another reviewer approves it through server A; server B has it once its version check interval has passed.
    # (A second superuser: a transactional test may follow one that emptied the groups.)
    get_user_model().objects.create_superuser("rex", password="pw-rex-123!")
    reviewer_a = Browser(http.cookiejar.CookieJar(), a)
    reviewer_a.login("rex", "pw-rex-123!")
    reviewer_a.request(revision_page)
    approval = {"decision": "approve", "csrfmiddlewaretoken": reviewer_a.csrf()}
    status, _, html = reviewer_a.request(revision_page, approval)
    assert status == 302, html[:2000]
    time.sleep(VERSION_CHECK_MS / 1000 + 0.1)
    status, headers, html = reader_b.request("/conditions/tinnitus/")
    assert status == 200 and "Ringing or buzzing." in html and "Ringing in the ears." not in html
    assert headers.get("X-Page-Cache") != "hit"

    # One import queued through each server; the worker process takes both, and each job's page on the other
    # server shows its summary.
    job_pages = []
    for editor, title in ((editor_a, "Through server A"), (editor_b, "Through server B")):
        text = f"{ARTICLE}{title}, ketamine was said to help within a day.\n"  # two articles, not one twice
        fields = {"title": title, "kind": "news", "format": "auto", "text": text, "csrfmiddlewaretoken": editor.csrf()}
        status, headers, _ = editor.request("/admin/importer/candidate/import/", fields)
        assert status == 302 and "/admin/importer/job/" in headers["Location"]
        job_pages.append(urllib.parse.urlsplit(headers["Location"]).path)
    for page, other in zip(job_pages, (editor_b, editor_a), strict=True):
        for _ in range(300):
            status, _, html = other.request(page)
            if "<strong>Done</strong>" in html or "<strong>Failed</strong>" in html:
                break
            assert worker.poll() is None, "the worker stopped"
            time.sleep(0.2)
        assert "<strong>Done</strong>" in html, html[:3000]
    assert set(Source.objects.values_list("title", flat=True)) >= {"Through server A", "Through server B"}
    assert Job.objects.filter(status=Job.Status.SUCCEEDED).count() == 2
