"""Background jobs: imports, embedding warm-up and search re-indexing, run as tasks (django-tasks).

A ``Job`` row is what an editor sees: queued with the job's input, run by ``run_job`` in a worker
(``manage.py db_worker``; immediately in tests), with its progress, and its summary or its error in words. The task
queue only carries the job's id. The work itself is the existing services': ``services.import_article`` (one
transaction: a failed import leaves nothing half-written), ``services.warm_embeddings`` and
``claims.search.rebuild_index``.

Progress is written to the job's row between phases. Inside the import's transaction a row written would be seen
only at commit (and on SQLite that transaction holds the write lock), so progress there goes to the cache, which
the job page reads while the job runs: with Redis (several servers) every process sees it; with the local-memory
cache of ``make run`` the page shows the phase only.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable

from django.core.cache import cache
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django_tasks import task

from importer.models import Job
from importer.text import InputError
from kb.cache import CACHE_ERRORS

logger = logging.getLogger("importer.tasks")

PROGRESS_KEY = "kb:job-progress:{}"
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


def retry(job: Job) -> bool:
    """Queue a failed job again (its input is kept); False when it is not failed (a second click, or another
    editor's retry, already queued it)."""
    reset = Job.objects.filter(pk=job.pk, status=Job.Status.FAILED).update(
        status=Job.Status.QUEUED, error="", summary=[], phase="", done=0, total=0, started_at=None, finished_at=None
    )
    if reset:
        queue(job)
    return bool(reset)


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


def live_progress(job: Job) -> tuple[str, int, int]:
    """(phase, done, total) of a job: what a running job reported last, from the cache when it is inside its
    transaction, else from its row. One cache read."""
    if job.status == Job.Status.RUNNING:
        try:
            found = cache.get(PROGRESS_KEY.format(job.pk))
        except CACHE_ERRORS:
            found = None
        if found:
            return tuple(found)
    return job.phase, job.done, job.total


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
    from claims.search import rebuild_index

    progress.phase("rebuilding the search index")
    with transaction.atomic():
        count = rebuild_index()
    return [f"Rebuilt the search index: {count} entries."], None


RUNNERS = {Job.Kind.IMPORT: _run_import, Job.Kind.EMBED: _run_embed, Job.Kind.REINDEX: _run_reindex}


@task()
def run_job(job_id: int) -> str:
    """Run a queued job and record how it ended on its row. An input the import refuses (InputError) fails the job
    with that reason; any other error fails it with a plain message, is logged, and is raised again so that the task
    queue records the failure and its traceback too."""
    claimed = Job.objects.filter(pk=job_id, status=Job.Status.QUEUED).update(
        status=Job.Status.RUNNING, started_at=timezone.now(), attempts=F("attempts") + 1
    )
    if not claimed:  # run already (a second worker, or a retry queued twice), or deleted
        return "not queued"
    job = Job.objects.select_related("created_by").get(pk=job_id)
    progress = JobProgress(job)
    try:
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
    Job.objects.filter(pk=job.pk).update(**fields)
    with contextlib.suppress(CACHE_ERRORS):
        cache.delete(PROGRESS_KEY.format(job.pk))
