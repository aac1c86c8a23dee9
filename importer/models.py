"""Imported article snapshots and the candidate assertions proposed from them, awaiting an editor."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse

from claims.models import Category, Stance


class SourceSnapshot(models.Model):
    """One archived version of a source's text; the newest is also ``Source.text``."""

    source = models.ForeignKey("sources.Source", on_delete=models.CASCADE, related_name="snapshots")
    text = models.TextField()
    sha256 = models.CharField(max_length=64)
    original_name = models.CharField(max_length=255, blank=True)
    original_format = models.CharField(max_length=10, blank=True)
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    imported_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-imported_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["source", "sha256"], name="snapshot_source_sha256_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.source} @ {self.imported_at:%Y-%m-%d %H:%M}"


class CandidateQuerySet(models.QuerySet):
    def pending(self) -> CandidateQuerySet:
        return self.filter(status=Candidate.Status.PENDING)


class Candidate(models.Model):
    """A clause of an imported article that probably states a claim, with the extractor's suggestions."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        ACCEPTED = "accepted", "Accepted"
        REJECTED = "rejected", "Rejected"

    source = models.ForeignKey("sources.Source", on_delete=models.CASCADE, related_name="candidates")
    snapshot = models.ForeignKey(SourceSnapshot, on_delete=models.SET_NULL, null=True, related_name="candidates")
    quote = models.CharField(max_length=1000, help_text="The clause proposed as the quote.")
    offset = models.PositiveIntegerField()
    sentence = models.TextField(help_text="The whole sentence the clause is in.")
    sentence_offset = models.PositiveIntegerField()
    category = models.CharField(max_length=20, choices=Category.choices)
    other_categories = models.JSONField(
        default=list, blank=True, help_text="The extractor's next guesses at the category, most likely first."
    )
    stance = models.CharField(max_length=12, choices=Stance.choices)
    conditions = models.JSONField(default=list, blank=True, help_text="Slugs of conditions named in the sentence.")
    cited_study = models.ForeignKey("sources.Study", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    citation_text = models.CharField(max_length=300, blank=True)
    suggestions = models.JSONField(default=list, blank=True, help_text='[{"claim": id, "score": 0.42}, …]')
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    assertions = models.ManyToManyField(
        "claims.Assertion",
        blank=True,
        related_name="+",
        help_text="What the clause became: one assertion per claim it states (a clause often states several).",
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    note = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = CandidateQuerySet.as_manager()

    class Meta:
        ordering = ["source", "offset", "pk"]
        constraints = [
            # Re-importing the same text proposes nothing new.
            models.UniqueConstraint(fields=["source", "offset", "quote"], name="candidate_source_offset_quote_unique"),
            models.CheckConstraint(
                condition=Q(status__in=["pending", "accepted", "rejected"]), name="candidate_status_valid"
            ),
        ]
        indexes = [
            # The review queue: a source's pending candidates in reading order.
            models.Index(fields=["status", "source", "offset"], name="candidate_queue"),
        ]

    def __str__(self) -> str:
        return self.quote[:80]

    def likely_categories(self) -> list[str]:
        """The extractor's guesses at the category, most likely first (unknown values dropped)."""
        known = set(Category.values)
        return [c for c in dict.fromkeys([self.category, *(self.other_categories or [])]) if c in known]

    def context(self, chars: int = 300) -> tuple[str, str]:
        """Text before and after the sentence in the snapshot it came from (or the source's current text)."""
        text = self.snapshot.text if self.snapshot_id else self.source.text
        end = self.sentence_offset + len(self.sentence)
        return text[max(0, self.sentence_offset - chars) : self.sentence_offset], text[end : end + chars]


class TextEmbedding(models.Model):
    """A sentence embedding of one text (a claim's wording or a quote), kept so that each text is embedded once.

    Derived data: keyed by the SHA-256 of the model's name and the text, so an edited text simply gets a new row
    and a change of model never reads an old one. Not part of the export format; deleting every row is safe (they
    are recomputed on the next import).
    """

    digest = models.CharField(max_length=64, primary_key=True)
    vector = models.BinaryField(help_text="float32 values, little-endian")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "text embedding"

    def __str__(self) -> str:
        return self.digest[:12]


class JobQuerySet(models.QuerySet):
    def unfinished(self) -> JobQuerySet:
        return self.filter(status__in=[Job.Status.QUEUED, Job.Status.RUNNING])


class Job(models.Model):
    """A background job run by a task worker (importer/tasks.py): an import, an embedding warm-up, a rebuild of
    the search index (or of some claims' entries, after a tag's rename), or a refresh of candidates' suggestions.
    Holds what the job needs to run again (an import's file), its progress between phases, its worker's heartbeat,
    and its summary or its error in words. The task queue (django-tasks) only runs it; this row is what editors
    see."""

    class Kind(models.TextChoices):
        IMPORT = "import", "Import an article"
        EMBED = "embed", "Embed new texts"
        REINDEX = "reindex", "Rebuild the search index"
        PROPOSE = "propose", "Propose candidates for an approved new version"
        REFRESH = "refresh", "Refresh suggestions"

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Done"
        FAILED = "failed", "Failed"

    kind = models.CharField(max_length=10, choices=Kind.choices)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    title = models.CharField(max_length=300, help_text="What the job is about: the article's title for an import.")
    params = models.JSONField(default=dict, blank=True, help_text="An import's details: url, author, kind, …")
    upload = models.BinaryField(default=b"", blank=True, help_text="The article as sent, kept until it is imported.")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(
        null=True, blank=True, help_text="When its worker last said it was still running it (importer/tasks.py)."
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    task_id = models.CharField(max_length=64, blank=True, help_text="The task queue's id of the latest attempt.")
    phase = models.CharField(max_length=100, blank=True)
    done = models.PositiveIntegerField(default=0)
    total = models.PositiveIntegerField(default=0)
    summary = models.JSONField(default=list, blank=True, help_text="The summary's lines, when done.")
    error = models.TextField(blank=True, help_text="Why it failed, in words.")
    source = models.ForeignKey("sources.Source", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    objects = JobQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["queued", "running", "succeeded", "failed"]), name="job_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(kind__in=["import", "propose", "embed", "reindex", "refresh"]), name="job_kind_valid"
            ),
        ]
        indexes = [
            # The jobs list, newest first, filtered by status.
            models.Index(fields=["status", "-created_at"], name="job_status_created"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.title}"

    def get_absolute_url(self) -> str:
        return reverse("admin:importer_job_change", args=[self.pk])

    @property
    def finished(self) -> bool:
        return self.status in (self.Status.SUCCEEDED, self.Status.FAILED)


class TextTerms(models.Model):
    """The term counts of one text (a claim's wording or a quote) as the importer's ranking reads them, kept so that
    building the ranking index of a large knowledge base does not run the tokenizer and thesaurus over every text
    again (``importer.extract.term_vectors``).

    Derived data, like ``TextEmbedding``: keyed by the SHA-256 of the term analysis' fingerprint and the text, so an
    edited text gets a new row and a changed thesaurus never reads an old one. Not exported; deleting every row is
    safe.
    """

    digest = models.CharField(max_length=64, primary_key=True)
    terms = models.BinaryField(help_text="int64 little-endian: the terms' hashes, then their counts")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "text's term counts"
        verbose_name_plural = "texts' term counts"

    def __str__(self) -> str:
        return self.digest[:12]
