"""Background jobs: imports, embedding warm-up and search re-indexing, run as tasks (django-tasks).

A ``Job`` row is what an editor sees: queued with the job's input, run by ``run_job`` in a worker
(``manage.py db_worker``; immediately in tests), with its progress, and its summary or its error in words. The task
queue only carries the job's id. The work itself is the existing services': ``services.import_article`` (one
transaction: a failed import leaves nothing half-written), ``services.warm_embeddings`` and
``claims.search.rebuild_index``.

A worker killed outright (SIGKILL, out of memory, its machine lost) runs no ``except`` or ``finally``: its job
would stay "running" forever. So while a job runs, a thread of its worker writes a heartbeat every sixth of
``KB_JOB_LOST_AFTER`` seconds (``Heartbeat``), and a running job with no heartbeat for that long is lost: its page
says so and offers Retry (``is_lost``, ``retry``). The database rolled back what the dead worker's transaction had
written when its connection dropped, so nothing of an import is half-written. django-tasks-db has no such check yet
(its issue #5, "Unclean exits of the worker leave tasks in limbo"); its own record of the attempt is marked failed
on retry.

Progress is written to the job's row between phases. Inside the import's transaction a row written would be seen
only at commit (and on SQLite that transaction holds the write lock), so progress there goes to the cache, which
the job page reads while the job runs: with Redis (several servers) every process sees it; with the local-memory
cache of ``make run`` the page shows the phase only.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connection, connections, transaction
from django.db.models import F, Q
from django.utils import timezone
from django_tasks import task

from importer.models import Job
from importer.text import InputError
from kb.cache import CACHE_ERRORS

logger = logging.getLogger("importer.tasks")

PROGRESS_KEY = "kb:job-progress:{}"
HEARTBEAT_KEY = "kb:job-heartbeat:{}"
PROGRESS_SECONDS = 24 * 60 * 60  # how long a running job's progress is kept in the cache
REPORT_EVERY = 0.5  # seconds between two progress writes of one job (a write per sentence would slow the import)


def queue(job: Job) -> Job:
    """Hand a saved job to the task queue, remembering the task's id (the worker's record of the attempt)."""
    result = run_job.enqueue(job.pk)
    Job.objects.filter(pk=job.pk).update(task_id=str(result.id))
    job.refresh_from_db()
    return job


def queue_import(
    raw: bytes, *, name: str, fmt: str, title: str, url: str, author: str, publisher: str, kind: str, user
) -> Job:
    """Queue the import of an article whose input the form has checked (size, binary, empty, kind)."""
    params = {"name": name, "format": fmt, "url": url, "author": author, "publisher": publisher, "kind": kind}
    job = Job.objects.create(kind=Job.Kind.IMPORT, title=title, params=params, upload=raw, created_by=user)
    return queue(job)


def queue_job(kind: str, user) -> Job:
    """Queue an embedding warm-up or a rebuild of the search index."""
    job = Job.objects.create(kind=kind, title=Job.Kind(kind).label, created_by=user)
    return queue(job)


def queue_claims_reindex(claim_ids, *, title: str, user=None) -> Job | None:
    """Queue the update of these claims' search entries (after a tag's rename or merge); None when there are
    none."""
    claim_ids = sorted(set(claim_ids))
    if not claim_ids:
        return None
    job = Job.objects.create(kind=Job.Kind.REINDEX, title=title[:300], params={"claims": claim_ids}, created_by=user)
    return queue(job)


def queue_refresh(candidate_ids, *, title: str, back: str, user) -> Job:
    """Queue the re-ranking of these candidates' suggestions against today's claims; ``back`` is the page the
    editor came from (the job's page links to it when done)."""
    job = Job.objects.create(
        kind=Job.Kind.REFRESH, title=title[:300], params={"candidates": sorted(set(candidate_ids)), "back": back},
        created_by=user,
    )  # fmt: skip
    return queue(job)


def lost_after() -> timedelta:
    return timedelta(seconds=settings.KB_JOB_LOST_AFTER)


def lost_after_words() -> str:
    seconds = settings.KB_JOB_LOST_AFTER
    if seconds % 60 == 0 and seconds >= 120:
        return f"{seconds // 60} minutes"
    return f"{seconds} second{'s' if seconds != 1 else ''}"


def last_heartbeat(job: Job, cached: float | None = None) -> datetime | None:
    """When the worker of a running job last said it was alive: the latest of its row's heartbeat, its start, and
    ``cached`` (the heartbeat it wrote to the cache, as a timestamp, when its row could not be written)."""
    beats = [moment for moment in (job.heartbeat_at, job.started_at) if moment is not None]
    if cached:
        beats.append(datetime.fromtimestamp(cached, tz=timezone.get_current_timezone()))
    return max(beats, default=None)


def is_lost(job: Job, cached: float | None = None, now: datetime | None = None) -> bool:
    """A running job whose worker has not written a heartbeat for ``KB_JOB_LOST_AFTER`` seconds: it was killed, or
    its machine lost. (A queued job is only waiting for a worker: its page says so.)"""
    if job.status != Job.Status.RUNNING:
        return False
    beat = last_heartbeat(job, cached)
    return beat is None or (now or timezone.now()) - beat > lost_after()


def cached_heartbeat(job: Job) -> float | None:
    try:
        return cache.get(HEARTBEAT_KEY.format(job.pk))
    except CACHE_ERRORS:
        return None


def retry(job: Job) -> bool:
    """Queue a failed or lost job again (its input is kept); False when it is neither (a second click, or another
    editor's retry, already queued it; or its worker is alive after all). A lost job's attempt is recorded as
    failed in the task queue, and if its worker comes back it can no longer write to the job (``run_job``)."""
    cutoff = timezone.now() - lost_after()
    lost = Q(status=Job.Status.RUNNING) & (
        Q(heartbeat_at__lt=cutoff) | Q(heartbeat_at__isnull=True, started_at__lt=cutoff)
    )
    if job.status == Job.Status.RUNNING and not is_lost(job, cached_heartbeat(job)):
        return False
    reset = Job.objects.filter(Q(pk=job.pk) & (Q(status=Job.Status.FAILED) | lost)).update(
        status=Job.Status.QUEUED, error="", summary=[], phase="", done=0, total=0, started_at=None,
        finished_at=None, heartbeat_at=None,
    )  # fmt: skip
    if reset:
        if job.status == Job.Status.RUNNING:
            _fail_task_record(job.task_id)
        queue(job)
    return bool(reset)


def _fail_task_record(task_id: str) -> None:
    """Mark the task queue's record of a lost attempt failed (django-tasks-db leaves it running forever)."""
    from django_tasks_db.models import DBTaskResult

    # A task id that is no UUID was given by another backend (the immediate one): it has no such record.
    with contextlib.suppress(ValueError, ValidationError, DatabaseError):
        DBTaskResult.objects.filter(id=task_id, status="RUNNING").update(status="FAILED", finished_at=timezone.now())


class Heartbeat:
    """While a job runs, a thread writes the time to its row every sixth of ``KB_JOB_LOST_AFTER`` (with its own
    database connection), and to the cache. On SQLite an import's transaction holds the database's write lock, and
    a row write would wait for it: meanwhile the beat goes to the cache only. Not started when the job runs inside
    its caller's transaction (the immediate backend in a test): another connection could not see its row."""

    def __init__(self, job: Job, attempt: int) -> None:
        self.job_id, self.attempt = job.pk, attempt
        self.interval = settings.KB_JOB_LOST_AFTER / 6
        self.stopped = threading.Event()
        # The job's own connection (not the ``connection`` proxy, which is each thread's own): is it inside a
        # transaction?
        self.main = connections[DEFAULT_DB_ALIAS]
        self.thread = threading.Thread(target=self._run, name=f"job-{job.pk}-heartbeat", daemon=True)

    def __enter__(self) -> Heartbeat:
        if not connection.in_atomic_block:
            self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stopped.set()
        if self.thread.is_alive():
            self.thread.join(timeout=30)

    def beat(self) -> None:
        now = timezone.now()
        with contextlib.suppress(CACHE_ERRORS):
            cache.set(HEARTBEAT_KEY.format(self.job_id), now.timestamp(), settings.KB_JOB_LOST_AFTER * 2)
        if self.main.vendor == "sqlite" and self.main.in_atomic_block:
            return
        try:
            Job.objects.filter(pk=self.job_id, status=Job.Status.RUNNING, attempts=self.attempt).update(
                heartbeat_at=now
            )
        except DatabaseError:  # a heartbeat missed is not an error: the next one may pass
            logger.warning("Job %s: could not write its heartbeat", self.job_id, exc_info=True)

    def _run(self) -> None:
        try:
            while not self.stopped.wait(self.interval):
                self.beat()
        finally:
            connections.close_all()  # this thread's connections only


class JobProgress:
    """A job's progress, reported like ``kb.progress.Progress`` does on a terminal: ``callback(label)`` is a
    ``(done, total)`` function for the services' ``progress=`` arguments. Written at most every ``REPORT_EVERY``
    seconds (and at each phase's start and end): to the job's row outside a transaction, to the cache inside one."""

    def __init__(self, job: Job) -> None:
        self.job = job
        self.written_at = 0.0
        self.label = ""

    def phase(self, label: str, done: int = 0, total: int = 0) -> None:
        self.label = label
        self._write(label, done, total, force=True)

    def callback(self, label: str, in_transaction: bool = False) -> Callable[[int, int], None]:
        """``in_transaction``: the reports come from inside the caller's transaction (the import's extraction)."""

        def report(done: int, total: int) -> None:
            first = label != self.label
            self.label = label
            self._write(label, done, total, force=first or done >= total, in_transaction=in_transaction)

        return report

    def _write(self, label: str, done: int, total: int, force: bool = False, in_transaction: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self.written_at < REPORT_EVERY:
            return
        self.written_at = now
        if in_transaction:
            # Progress is a courtesy: with the cache down the page shows the phase only.
            with contextlib.suppress(CACHE_ERRORS):
                cache.set(PROGRESS_KEY.format(self.job.pk), (label, done, total), PROGRESS_SECONDS)
        else:
            Job.objects.filter(pk=self.job.pk).update(phase=label[:100], done=done, total=total)
            with contextlib.suppress(CACHE_ERRORS):
                cache.delete(PROGRESS_KEY.format(self.job.pk))


def live_progress(job: Job) -> tuple[str, int, int, bool]:
    """(phase, done, total, lost) of a job: what a running job reported last, from the cache when it is inside its
    transaction, else from its row; and whether it is lost (``is_lost``). One cache read."""
    if job.status == Job.Status.RUNNING:
        keys = PROGRESS_KEY.format(job.pk), HEARTBEAT_KEY.format(job.pk)
        try:
            found = cache.get_many(keys)
        except CACHE_ERRORS:
            found = {}
        lost = is_lost(job, found.get(keys[1]))
        if found.get(keys[0]):
            return (*found[keys[0]], lost)
        return job.phase, job.done, job.total, lost
    return job.phase, job.done, job.total, False


def _run_import(job: Job, progress: JobProgress) -> tuple[list[str], int | None]:
    from importer import services

    params = job.params
    progress.phase("reading the article")
    summary = services.import_article(
        bytes(job.upload), name=params.get("name", "input"), fmt=params.get("format", "auto"), title=job.title,
        url=params.get("url", ""), author=params.get("author", ""), publisher=params.get("publisher", ""),
        kind=params.get("kind", "other"), user=job.created_by, embedding_budget=services.WEB_EMBEDDING_BUDGET,
        progress=progress.callback("sentences about ketamine", in_transaction=True),
        embedding_progress=progress.callback("embedding new texts"),
    )  # fmt: skip
    return summary.lines(), summary.source.pk


def _run_propose(job: Job, progress: JobProgress) -> tuple[list[str], int | None]:
    from importer import services

    if job.source is None:
        raise InputError("The source was deleted.")
    progress.phase("reading the new text")
    summary = services.propose_candidates(
        job.source, user=job.created_by, embedding_budget=services.WEB_EMBEDDING_BUDGET,
        progress=progress.callback("sentences about ketamine", in_transaction=True),
        embedding_progress=progress.callback("embedding new texts"),
    )  # fmt: skip
    return summary.lines(), summary.source.pk


def _run_embed(job: Job, progress: JobProgress) -> tuple[list[str], None]:
    from importer import services
    from importer.embedding import ModelUnavailable, unavailable_reason

    embed = services.embedder()
    if embed is None:
        raise InputError(f"Nothing was embedded: semantic matching is off ({unavailable_reason()}).")
    progress.phase("finding texts without an embedding")
    missing = services.unembedded_texts(embed)
    try:
        count = services.warm_embeddings(embed, missing, progress.callback("embedding texts"))
    except ModelUnavailable as error:  # the model is loaded only now: its files may not be the pinned ones
        raise InputError(f"Nothing was embedded: semantic matching is off ({error}).") from None
    if not count:
        return ["Every claim text and quote already has an embedding."], None
    return [f"Embedded {count} text{'s' if count != 1 else ''}."], None


def _run_reindex(job: Job, progress: JobProgress) -> tuple[list[str], None]:
    from claims.search import index_claims, rebuild_index

    if "claims" in job.params:  # some claims' entries: a tag was renamed or merged
        progress.phase("updating the claims' search entries")
        with transaction.atomic():
            count = index_claims(job.params["claims"])
        return [f"Updated the search entries of {count} published claim{'s' if count != 1 else ''}."], None
    progress.phase("rebuilding the search index")
    with transaction.atomic():
        count = rebuild_index()
    return [f"Rebuilt the search index: {count} entries."], None


def _run_refresh(job: Job, progress: JobProgress) -> tuple[list[str], None]:
    from importer import services
    from importer.models import Candidate

    progress.phase("ranking today's claims")
    with transaction.atomic():
        candidates = list(Candidate.objects.filter(pk__in=job.params.get("candidates", [])).select_related("source"))
        count = services.refresh_suggestions(candidates)
    if not count:
        raise InputError("Nothing was re-ranked: the candidates were deleted since (their source was re-imported?).")
    return [f"Re-ranked the suggestions of {count} candidate{'s' if count != 1 else ''} against today’s claims."], None


RUNNERS = {
    Job.Kind.IMPORT: _run_import,
    Job.Kind.PROPOSE: _run_propose,
    Job.Kind.EMBED: _run_embed,
    Job.Kind.REINDEX: _run_reindex,
    Job.Kind.REFRESH: _run_refresh,
}


@task()
def run_job(job_id: int) -> str:
    """Run a queued job and record how it ended on its row. An input the import refuses (InputError) fails the job
    with that reason; any other error fails it with a plain message, is logged, and is raised again so that the task
    queue records the failure and its traceback too."""
    now = timezone.now()
    claimed = Job.objects.filter(pk=job_id, status=Job.Status.QUEUED).update(
        status=Job.Status.RUNNING, started_at=now, heartbeat_at=now, attempts=F("attempts") + 1
    )
    if not claimed:  # run already (a second worker, or a retry queued twice), or deleted
        return "not queued"
    job = Job.objects.select_related("created_by", "source").get(pk=job_id)
    progress = JobProgress(job)
    try:
        with Heartbeat(job, job.attempts):
            lines, source_id = RUNNERS[job.kind](job, progress)
    except InputError as exc:
        _finish(
            job, Job.Status.FAILED, error=f"{exc} Nothing was imported." if job.kind == Job.Kind.IMPORT else str(exc)
        )
        return "failed"
    except Exception as exc:
        logger.exception("Job %s (%s) failed", job_id, job.kind)
        undone = "Nothing was imported" if job.kind == Job.Kind.IMPORT else "Nothing was changed"
        _finish(
            job, Job.Status.FAILED,
            error=f"The job stopped on an unexpected error ({type(exc).__name__}: {exc}). {undone}; retry it, and "
            "if it fails again tell the site's operators (the worker's log has the details).",
        )  # fmt: skip
        raise
    except BaseException:
        # The worker was told to stop at once (a second Ctrl+C or SIGTERM raises SystemExit in the job): the
        # import's transaction was rolled back on the way out; say so, rather than leave the job "running".
        undone = "nothing was imported" if job.kind == Job.Kind.IMPORT else "nothing was changed"
        _finish(job, Job.Status.FAILED, error=f"The worker was stopped during this job; {undone}. Retry it.")
        raise
    _finish(job, Job.Status.SUCCEEDED, summary=lines, source_id=source_id)
    return "succeeded"


def _finish(job: Job, status: str, *, error: str = "", summary: list[str] | None = None, source_id=None) -> None:
    fields = {"status": status, "finished_at": timezone.now(), "error": error, "summary": summary or []}
    if status == Job.Status.SUCCEEDED:
        fields.update(phase="", done=0, total=0)
        if job.kind == Job.Kind.IMPORT:
            fields.update(upload=b"", source_id=source_id)  # its text is archived in the source's snapshot now
    # Only this attempt's: a worker that was thought lost and retried, and comes back, must not overwrite the
    # retry's outcome.
    Job.objects.filter(pk=job.pk, status=Job.Status.RUNNING, attempts=job.attempts).update(**fields)
    with contextlib.suppress(CACHE_ERRORS):
        cache.delete_many([PROGRESS_KEY.format(job.pk), HEARTBEAT_KEY.format(job.pk)])
