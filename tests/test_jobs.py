"""Background jobs (importer/tasks.py): the admin's import queues a job; its page shows progress, the summary or the
error in words; a failed job leaves nothing half-written and can be retried; a job whose worker was killed is
shown lost and can be retried; who may see and retry jobs. Most tests run tasks immediately (tests/conftest.py); two
run the real database backend with a worker, one of them in a process of its own, killed mid-import."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
import urllib.parse
from datetime import timedelta
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone

from claims.models import SearchEntry
from importer import services, tasks
from importer.models import Candidate, Job, SourceSnapshot
from importer.text import MAX_BYTES
from sources.models import Source
from tests.factories import ClaimFactory

ARTICLE = (
    "Ketamine for depression\n"
    "Ketamine works within hours for many patients with treatment-resistant depression.\n"
    "Some clinics now offer nasal spray ketamine at home, although the effects fade within a week.\n"
)
NAVIGATION_ONLY = (
    "<html><body><nav><a href='/'>Home</a> <a href='/about'>About us</a></nav>"
    "<div class='cookie-banner'><a href='/ok'>Accept</a></div></body></html>"
)
FORM = {"title": "Ketamine news", "kind": "news", "format": "auto"}
DATABASE_BACKEND = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}


@pytest.fixture(autouse=True)
def _wording_only(monkeypatch):
    """The jobs' behaviour does not depend on sentence embeddings; ranking by wording keeps these tests quick."""
    monkeypatch.setenv("KB_EMBEDDINGS", "off")


@pytest.fixture
def claims(db):
    ClaimFactory(text="Ketamine's antidepressant effect begins within hours", slug="onset", category="onset")
    ClaimFactory(text="Ketamine can be given as a nasal spray at home", slug="nasal", category="administration")


def _import(client, **fields):
    return client.post(reverse("admin:importer_import"), {**FORM, "text": ARTICLE, **fields})


def _run_worker() -> None:
    """What `manage.py db_worker --batch` does: take every queued task, run it, and stop."""
    from django_tasks_db.management.commands.db_worker import Worker

    Worker(
        queue_names=["default"], interval=0, batch=True, backend_name="default", startup_delay=False,
        max_tasks=None, worker_id="test-worker", excluded_queue_names=[],
    ).run()  # fmt: skip


# --- queuing and the job page --------------------------------------------------------------------------------


def test_an_import_sends_the_editor_to_the_job_page_with_the_summary_and_a_link_to_review(client, users, claims):
    client.force_login(users["editor"])
    response = _import(client)
    job = Job.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("admin:importer_job_change", args=[job.pk])
    html = client.get(response["Location"]).content.decode()
    assert "Done" in html and "Created source “Ketamine news” (ketamine-news)." in html
    source = Source.objects.get(slug="ketamine-news")
    assert f"?source__id__exact={source.pk}&amp;status__exact=pending" in html  # "Review the candidates"
    assert Candidate.objects.filter(source=source).exists()
    job.refresh_from_db()
    assert job.status == Job.Status.SUCCEEDED and job.source == source and job.created_by == users["editor"]
    assert bytes(job.upload) == b""  # the text is archived in the snapshot: the job no longer keeps a copy
    assert 'http-equiv="refresh"' not in html  # a finished job's page stops refreshing itself


@pytest.mark.django_db(transaction=True)
def test_with_the_database_backend_the_request_only_queues_and_a_worker_does_the_import(client, settings):
    settings.TASKS = DATABASE_BACKEND
    ClaimFactory(text="Ketamine's antidepressant effect begins within hours", slug="onset", category="onset")
    # A superuser: a transactional test may follow another that emptied the tables, the groups' rows included.
    client.force_login(get_user_model().objects.create_superuser("ada", password="pw-ada-123!"))
    upload = SimpleUploadedFile("article.txt", ARTICLE.encode(), content_type="text/plain")
    response = client.post(reverse("admin:importer_import"), {**FORM, "file": upload})
    job = Job.objects.get()
    assert response.status_code == 302
    assert job.status == Job.Status.QUEUED and job.task_id and not Source.objects.exists()
    html = client.get(response["Location"]).content.decode()
    assert "Queued" in html and "db_worker" in html and 'http-equiv="refresh"' in html

    _run_worker()

    job.refresh_from_db()
    assert job.status == Job.Status.SUCCEEDED, job.error
    assert Source.objects.get(slug="ketamine-news").archive_name == "article.txt"
    assert "Created source “Ketamine news”" in client.get(response["Location"]).content.decode()
    from django_tasks_db.models import DBTaskResult

    assert DBTaskResult.objects.get(id=job.task_id).status == "SUCCESSFUL"


def test_a_running_job_shows_its_phase_and_how_far_it_got(client, users, db):
    job = Job.objects.create(kind=Job.Kind.IMPORT, title="Long article", created_by=users["editor"])
    Job.objects.filter(pk=job.pk).update(status=Job.Status.RUNNING, started_at=timezone.now())
    client.force_login(users["editor"])
    url = reverse("admin:importer_job_change", args=[job.pk])
    # Inside the import's transaction progress goes to the cache; between phases, to the row.
    progress = tasks.JobProgress(job)
    with transaction.atomic():
        progress.callback("sentences about ketamine", in_transaction=True)(12, 40)
    assert Job.objects.get(pk=job.pk).phase == ""
    html = client.get(url).content.decode()
    assert "Running</strong>: sentences about ketamine — 12 of 40" in html
    assert '<progress max="40" value="12"' in html and 'http-equiv="refresh"' in html
    progress.callback("embedding new texts")(256, 1000)
    assert Job.objects.filter(pk=job.pk, phase="embedding new texts", done=256, total=1000).exists()
    assert "embedding new texts — 256 of 1000" in client.get(url).content.decode()


def test_the_job_page_reads_a_fixed_number_of_queries(client, users, db, django_assert_num_queries):
    job = Job.objects.create(kind=Job.Kind.IMPORT, title="Article", created_by=users["editor"], status="failed")
    client.force_login(users["editor"])
    url = reverse("admin:importer_job_change", args=[job.pk])
    client.get(url)
    # session, user, job with its editor and source, the user's groups' permissions (can_import), own permissions
    with django_assert_num_queries(5):
        assert client.get(url).status_code == 200


# --- failures and retries ------------------------------------------------------------------------------------


def test_a_page_with_nothing_to_read_fails_the_job_in_words_and_writes_nothing(client, users, claims):
    client.force_login(users["editor"])
    response = _import(client, text=NAVIGATION_ONLY, format="html")
    job = Job.objects.get()
    assert job.status == Job.Status.FAILED
    html = client.get(response["Location"]).content.decode()
    assert "The page has no readable article" in html and "Nothing was imported." in html
    assert 'value="Retry"' in html
    assert not Source.objects.exists() and not SourceSnapshot.objects.exists() and not Candidate.objects.exists()


def test_an_error_midway_rolls_the_import_back_and_a_retry_from_the_page_completes_it(
    client, users, claims, monkeypatch
):
    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(services, "extract", broken)  # after the source and its snapshot were saved
    client.force_login(users["editor"])
    url = _import(client)["Location"]
    job = Job.objects.get()
    assert job.status == Job.Status.FAILED
    html = client.get(url).content.decode()
    assert "unexpected error (RuntimeError: disk full)" in html and "Nothing was imported" in html
    assert not Source.objects.exists() and not SourceSnapshot.objects.exists()

    monkeypatch.undo()
    monkeypatch.setenv("KB_EMBEDDINGS", "off")
    response = client.post(url, {"decision": "retry"}, follow=True)
    assert "Queued again." in response.content.decode()
    job.refresh_from_db()
    assert job.status == Job.Status.SUCCEEDED and job.attempts == 2 and job.error == ""
    assert Source.objects.filter(slug="ketamine-news").exists()
    assert "Created source “Ketamine news”" in response.content.decode()
    # A second retry of a job that is done queues nothing.
    html = client.post(url, {"decision": "retry"}, follow=True).content.decode()
    assert "not queued again" in html and Job.objects.get().attempts == 2


def test_a_worker_stopped_midway_fails_the_job_saying_so_and_leaves_nothing_half_written(
    client, users, claims, monkeypatch
):
    def stopped(*args, **kwargs):
        raise SystemExit(1)  # what the worker raises in a job when told twice to stop

    monkeypatch.setattr(services, "extract", stopped)
    client.force_login(users["editor"])
    html = client.get(_import(client)["Location"]).content.decode()
    assert "The worker was stopped during this job; nothing was imported. Retry it." in html
    assert 'value="Retry"' in html
    assert Job.objects.get().status == Job.Status.FAILED
    assert not Source.objects.exists() and not SourceSnapshot.objects.exists()


# --- a worker killed outright ---------------------------------------------------------------------------------

ROOT = Path(__file__).resolve().parent.parent


def _worker_environment(tmp_path: Path) -> dict[str, str]:
    """The worker's environment: this test's database (on SQLite a file copy of the in-memory test database, see
    ``_Shared``), a short lost-after, and on SQLite a file cache shared with this process."""
    db = connection.settings_dict
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PYTEST_", "REDIS_URL"))}
    env.update(
        KB_ENV_FILE="", DEBUG="0", SECRET_KEY="killed-worker-test-only-" + "k" * 40, ALLOWED_HOSTS="127.0.0.1",
        KB_TASKS="database", KB_EMBEDDINGS="off", KB_JOB_LOST_AFTER=str(LOST_AFTER), LOG_LEVEL="WARNING",
        KB_TEST_MARKER=str(tmp_path / "mid-job"),
    )  # fmt: skip
    if connection.vendor == "sqlite":
        env.update(DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}", KB_CACHE_DIR=str(tmp_path / "cache"))
    else:
        auth = urllib.parse.quote(db["USER"] or "") + (
            f":{urllib.parse.quote(db['PASSWORD'])}" if db["PASSWORD"] else ""
        )
        env["DATABASE_URL"] = f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    return env


def _status(html: str) -> str:
    start = html.find('class="job-status"')
    return html[start : start + 400]


class _Shared:
    """The database the worker process and this one share. PostgreSQL: the test database itself. SQLite: the test
    database lives in this process's memory, so the worker gets a file copy (``to_worker``), and this process reads
    the worker's writes back from it (``from_worker``) before each look at the page."""

    def __init__(self, tmp_path: Path) -> None:
        self.file = tmp_path / "db.sqlite3"
        self.sqlite = connection.vendor == "sqlite"

    def to_worker(self) -> None:
        if self.sqlite:
            connection.ensure_connection()
            with sqlite3.connect(self.file) as copy:
                connection.connection.backup(copy)

    def from_worker(self) -> None:
        if self.sqlite:
            connection.ensure_connection()
            copy = sqlite3.connect(self.file)  # a killed worker's hot journal is rolled back on this first read
            try:
                copy.backup(connection.connection)
            finally:
                copy.close()


LOST_AFTER = 3  # seconds without a heartbeat: the worker beats every half second


@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_import_leaves_its_job_lost_with_nothing_written_and_a_retry_completes_it(
    client, settings, tmp_path
):
    settings.TASKS = DATABASE_BACKEND
    settings.KB_JOB_LOST_AFTER = LOST_AFTER
    if connection.vendor == "sqlite":  # the worker's heartbeat reaches the page through the cache shared by files
        files = {"BACKEND": "django.core.cache.backends.filebased.FileBasedCache", "LOCATION": str(tmp_path / "cache")}
        settings.CACHES = {"default": files}
    ClaimFactory(text="Ketamine's antidepressant effect begins within hours", slug="onset", category="onset")
    client.force_login(get_user_model().objects.create_superuser("ada", password="pw-ada-123!"))
    url = _import(client)["Location"]
    shared = _Shared(tmp_path)
    shared.to_worker()
    env = _worker_environment(tmp_path)
    marker = Path(env["KB_TEST_MARKER"])
    command = [sys.executable, "tests/slow_worker.py", "--no-reload", "--interval", "0.1", "--no-startup-delay"]
    worker = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 60
        while not marker.exists():  # the worker took the job and stopped inside the import's transaction
            assert worker.poll() is None, worker.stderr.read().decode()
            assert time.monotonic() < deadline, "the worker never reached the import's slow step"
            time.sleep(0.1)
        # Alive past the lost-after: its heartbeat keeps the job running (on SQLite through the cache, as the
        # import's transaction holds the write lock).
        time.sleep(LOST_AFTER + 1)
        shared.from_worker()
        html = client.get(url).content.decode()
        assert "<strong>Running</strong>" in html and 'value="Retry"' not in html, _status(html)
        assert not Source.objects.exists()  # the import's writes are not visible before it commits
    finally:
        worker.kill()  # SIGKILL: no except, no finally, nothing said
        worker.wait(timeout=30)
    assert worker.returncode == -signal.SIGKILL

    deadline = time.monotonic() + LOST_AFTER + 15
    while True:
        shared.from_worker()
        html = client.get(url).content.decode()
        if "<strong>Lost</strong>" in html or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert "<strong>Lost</strong>: its worker stopped without finishing it" in html
    assert "Nothing was imported: the import runs in one transaction" in html
    assert 'value="Retry"' in html and 'http-equiv="refresh"' not in html
    job = Job.objects.get()
    assert job.status == Job.Status.RUNNING and job.attempts == 1
    assert not Source.objects.exists() and not SourceSnapshot.objects.exists() and not Candidate.objects.exists()
    first_attempt = job.task_id

    html = client.post(url, {"decision": "retry"}, follow=True).content.decode()
    assert "Queued again." in html and "<strong>Queued</strong>" in html
    _run_worker()
    job.refresh_from_db()
    assert job.status == Job.Status.SUCCEEDED and job.attempts == 2, job.error
    assert "Created source “Ketamine news”" in client.get(url).content.decode()
    assert Source.objects.count() == 1 and SourceSnapshot.objects.count() == 1 and Candidate.objects.exists()
    from django_tasks_db.models import DBTaskResult

    # The task queue's record of the killed attempt is closed as failed, not left running forever.
    assert DBTaskResult.objects.get(id=first_attempt).status == "FAILED"
    assert DBTaskResult.objects.get(id=job.task_id).status == "SUCCESSFUL"


def _running(job: Job, *, beat_seconds_ago: float) -> None:
    then = timezone.now() - timedelta(seconds=beat_seconds_ago)
    Job.objects.filter(pk=job.pk).update(
        status=Job.Status.RUNNING, started_at=then - timedelta(seconds=5), heartbeat_at=then, attempts=1
    )


def test_a_running_job_whose_worker_went_silent_is_lost_and_its_owner_may_retry_it(client, users, claims, settings):
    settings.KB_JOB_LOST_AFTER = 120
    job = Job.objects.create(kind=Job.Kind.IMPORT, title="Ketamine news", created_by=users["editor"],
                             params={"name": "a.txt", "kind": "news"}, upload=ARTICLE.encode())  # fmt: skip
    _running(job, beat_seconds_ago=121)
    url = reverse("admin:importer_job_change", args=[job.pk])
    colleague = get_user_model().objects.create_user("cleo", password="pw-cleo-123!", is_staff=True)
    colleague.groups.add(*users["editor"].groups.all())
    client.force_login(colleague)
    html = client.get(url).content.decode()
    assert "<strong>Lost</strong>" in html and "says nothing for 2 minutes" in html
    assert 'value="Retry"' not in html and "someone allowed to change jobs, can" in html
    assert '<td class="field-state">Lost</td>' in client.get(reverse("admin:importer_job_changelist")).content.decode()
    assert client.post(url, {"decision": "retry"}).status_code == 403
    client.force_login(users["editor"])
    html = client.post(url, {"decision": "retry"}, follow=True).content.decode()
    assert "Queued again." in html and "Created source “Ketamine news”" in html
    job.refresh_from_db()
    assert job.status == Job.Status.SUCCEEDED and job.attempts == 2 and Source.objects.count() == 1


def test_a_running_job_with_a_recent_heartbeat_is_not_lost_and_cannot_be_retried(client, users, db, settings):
    settings.KB_JOB_LOST_AFTER = 120
    job = Job.objects.create(kind=Job.Kind.REINDEX, title="Rebuild", created_by=users["editor"])
    _running(job, beat_seconds_ago=100)
    url = reverse("admin:importer_job_change", args=[job.pk])
    client.force_login(users["editor"])
    html = client.get(url).content.decode()
    assert "<strong>Running</strong>" in html and 'value="Retry"' not in html and 'http-equiv="refresh"' in html
    html = client.post(url, {"decision": "retry"}, follow=True).content.decode()
    assert "neither failed nor lost: it was not queued again" in html
    assert Job.objects.get().status == Job.Status.RUNNING
    # A heartbeat the worker could only write to the cache (SQLite, inside an import's transaction) counts too.
    _running(job, beat_seconds_ago=500)
    cache.set(tasks.HEARTBEAT_KEY.format(job.pk), timezone.now().timestamp())
    assert "<strong>Running</strong>" in client.get(url).content.decode()
    cache.delete(tasks.HEARTBEAT_KEY.format(job.pk))
    assert "<strong>Lost</strong>" in client.get(url).content.decode()


def test_a_worker_thought_lost_that_comes_back_cannot_overwrite_the_retry(users, db, monkeypatch):
    job = Job.objects.create(kind=Job.Kind.REINDEX, title="Rebuild", created_by=users["editor"])

    def retried_meanwhile(job, progress):
        # While this attempt ran, it was declared lost, retried, and the retry's attempt took the job.
        Job.objects.filter(pk=job.pk).update(attempts=F("attempts") + 1, summary=["the retry's"])
        return ["the first attempt's"], None

    monkeypatch.setitem(tasks.RUNNERS, Job.Kind.REINDEX, retried_meanwhile)
    tasks.run_job.call(job.pk)
    job.refresh_from_db()
    assert job.status == Job.Status.RUNNING and job.summary == ["the retry's"] and job.finished_at is None


@pytest.mark.django_db(transaction=True)
def test_a_running_job_beats_its_heartbeat_into_its_row(settings, monkeypatch):
    settings.KB_JOB_LOST_AFTER = 1  # a beat every sixth of a second
    job = Job.objects.create(kind=Job.Kind.REINDEX, title="Rebuild")
    seen = []

    def slow(job, progress):
        time.sleep(0.6)
        seen.append(Job.objects.values_list("started_at", "heartbeat_at").get(pk=job.pk))
        return ["done"], None

    monkeypatch.setitem(tasks.RUNNERS, Job.Kind.REINDEX, slow)
    tasks.run_job.call(job.pk)
    ((started, beat),) = seen
    assert beat - started >= timedelta(seconds=0.3)
    assert Job.objects.get().status == Job.Status.SUCCEEDED


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"text": ""}, "Upload a file or paste the text."),
        ({"text": "", "file": SimpleUploadedFile("a.bin", b"\x00\x01\x02abc")}, "looks like a binary file"),
        ({"text": "", "file": SimpleUploadedFile("a.txt", b"\xff\xfe\xfa text")}, "is not UTF-8 text"),
        ({"text": "Ketamine works. " * (MAX_BYTES // 16 + 10)}, "The pasted text is larger than 2 MB."),
        ({"kind": "pamphlet"}, "Select a valid choice."),
        ({"format": "pdf"}, "Select a valid choice."),
    ],
)
def test_bad_input_is_refused_by_the_form_at_once_and_queues_nothing(client, users, db, fields, message):
    client.force_login(users["editor"])
    response = _import(client, **fields)
    assert response.status_code == 200 and message in response.content.decode()
    assert not Job.objects.exists()


# --- permissions ---------------------------------------------------------------------------------------------


def test_only_users_allowed_to_import_see_jobs(client, users, db):
    job = Job.objects.create(kind=Job.Kind.IMPORT, title="Article", created_by=users["editor"], status="failed")
    outsider = get_user_model().objects.create_user("otto", password="pw-otto-123!", is_staff=True)
    client.force_login(outsider)
    assert client.get(reverse("admin:importer_job_change", args=[job.pk])).status_code == 403
    assert client.get(reverse("admin:importer_job_changelist")).status_code == 403
    assert client.post(reverse("admin:importer_job_queue", args=["reindex"])).status_code == 403
    assert client.post(reverse("admin:importer_import"), {**FORM, "text": ARTICLE}).status_code == 403
    client.logout()
    assert client.get(reverse("admin:importer_job_change", args=[job.pk])).status_code == 302  # to the login page


def test_another_editors_job_is_shown_but_only_its_owner_or_a_permitted_user_may_retry_it(client, users, db):
    from django.contrib.auth.models import Group, Permission

    job = Job.objects.create(kind=Job.Kind.REINDEX, title="Rebuild", created_by=users["editor"], status="failed")
    url = reverse("admin:importer_job_change", args=[job.pk])
    colleague = get_user_model().objects.create_user("cleo", password="pw-cleo-123!", is_staff=True)
    colleague.groups.add(Group.objects.get(name="Editor"))
    client.force_login(colleague)
    html = client.get(url).content.decode()
    assert "Failed" in html and 'value="Retry"' not in html and "Only the editor who queued it" in html
    assert client.post(url, {"decision": "retry"}).status_code == 403
    assert Job.objects.get().status == Job.Status.FAILED
    colleague.user_permissions.add(Permission.objects.get(codename="change_job"))
    client.force_login(get_user_model().objects.get(pk=colleague.pk))
    assert 'value="Retry"' in client.get(url).content.decode()
    client.post(url, {"decision": "retry"})
    assert Job.objects.get().status == Job.Status.SUCCEEDED


# --- the other jobs ------------------------------------------------------------------------------------------


def test_the_search_index_is_rebuilt_by_a_job_queued_from_the_jobs_list(client, users, site_content):
    SearchEntry.objects.all().delete()
    client.force_login(users["editor"])
    listing = client.get(reverse("admin:importer_job_changelist")).content.decode()
    assert "Queue: rebuild the search index" in listing and "Import an article" in listing
    response = client.post(reverse("admin:importer_job_queue", args=["reindex"]), follow=True)
    assert "Rebuilt the search index:" in response.content.decode()
    assert SearchEntry.objects.filter(title="Ketamine reduces PTSD symptoms").exists()


def test_an_embedding_job_with_semantic_matching_off_fails_saying_why(client, users, db):
    client.force_login(users["editor"])
    html = client.post(reverse("admin:importer_job_queue", args=["embed"]), follow=True).content.decode()
    assert "Failed" in html and "Nothing was embedded: semantic matching is off (KB_EMBEDDINGS=off)." in html


def test_with_redis_down_an_import_job_still_completes_and_its_page_shows_it(client, users, claims):
    from django.test import override_settings

    from kb import cache as page_cache

    down = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens on port 1: every connection is refused
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }
    client.force_login(users["editor"])
    try:
        with override_settings(CACHES=down):
            url = _import(client)["Location"]
            html = client.get(url).content.decode()
    finally:
        page_cache.health.__init__()
    assert "Done" in html and "Created source “Ketamine news”" in html
    assert Job.objects.get().status == Job.Status.SUCCEEDED


def test_an_embedding_job_embeds_the_texts_that_have_none(client, users, db, monkeypatch):
    from importer import embedding
    from importer.models import TextEmbedding

    monkeypatch.setenv("KB_EMBEDDINGS", "on")
    if embedding.get_encoder() is None:
        pytest.fail(f"the embedding model is missing: {embedding.unavailable_reason()} (make installs it)")
    ClaimFactory(text="Ketamine can raise blood pressure during an infusion", slug="blood-pressure")
    client.force_login(users["editor"])
    html = client.post(reverse("admin:importer_job_queue", args=["embed"]), follow=True).content.decode()
    assert "Done" in html and "Embedded 1 text." in html
    assert TextEmbedding.objects.count() == 1
    html = client.post(reverse("admin:importer_job_queue", args=["embed"]), follow=True).content.decode()
    assert "Every claim text and quote already has an embedding." in html
