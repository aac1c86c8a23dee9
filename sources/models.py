"""Articles that make claims about ketamine, and the studies that claims rest on."""

from __future__ import annotations

import hashlib
import re

from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.urls import reverse
from simple_history.models import HistoricalRecords

DOI_PATTERN = r"^10\.\d{4,9}/\S+$"
doi_validator = RegexValidator(DOI_PATTERN, "Enter a DOI such as 10.1001/archpsyc.63.8.856 (without https://doi.org/).")
_DOI_PREFIXES = ("https://doi.org/", "http://doi.org/", "https://dx.doi.org/", "http://dx.doi.org/", "doi:")


def normalize_doi(value: str) -> str:
    """Strip resolver prefixes and surrounding space; DOIs are case-insensitive, so store lowercase."""
    value = (value or "").strip()
    for prefix in _DOI_PREFIXES:
        if value.lower().startswith(prefix):
            value = value[len(prefix) :]
            break
    return value.strip().lower()


def text_sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class SourceQuerySet(models.QuerySet):
    def by_title(self) -> SourceQuerySet:
        return self.order_by(Lower("title"), "pk")

    def public(self) -> SourceQuerySet:
        """Sources a reader may see: those with at least one statement of a published claim. A source just
        imported, whose candidates are still being reviewed, or whose claims are all drafts, stays private."""
        from claims.models import Assertion, Claim

        statements = Assertion.objects.filter(source=models.OuterRef("pk"), claim__status=Claim.Status.PUBLISHED)
        return self.filter(models.Exists(statements))


class SourceKind(models.TextChoices):
    CLINIC = "clinic", "Commercial clinic page"
    BLOG = "blog", "Blog"
    NEWS = "news", "News"
    REFERENCE = "reference", "Reference / harm-reduction site"
    REVIEW = "review", "Peer-reviewed review"
    PRIMARY_STUDY = "primary_study", "Peer-reviewed primary study"
    REGULATOR = "regulator", "Regulator / guideline"
    OTHER = "other", "Other"


class Source(models.Model):
    """An article that makes claims about ketamine, with an archived snapshot of its full text."""

    Kind = SourceKind

    title = models.CharField(max_length=300)
    slug = models.SlugField(max_length=120, unique=True)
    url = models.URLField(max_length=500, blank=True)
    author = models.CharField(max_length=200, blank=True)
    publisher = models.CharField(max_length=200, blank=True)
    published_on = models.DateField(null=True, blank=True)
    accessed_on = models.DateField(null=True, blank=True)
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.OTHER)
    commercial_interest = models.BooleanField(
        default=False, help_text="Clinic advertising, booking prompts, affiliate links or sponsorship."
    )
    commercial_interest_note = models.TextField(blank=True, help_text="What the signs of commercial interest are.")
    archive_name = models.CharField(
        max_length=200, blank=True, help_text="File or capture the archived text came from, for tracing."
    )
    text = models.TextField(blank=True, help_text="The archived full text; quotes are checked against it.")
    text_sha256 = models.CharField(max_length=64, blank=True, editable=False)
    notes = models.TextField(blank=True, help_text="Editor's notes (Markdown).")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = SourceQuerySet.as_manager()
    # Every saved version, with who and why (django-simple-history). Not the archived text: it is read-only once
    # saved, and a re-import keeps a snapshot of the old one (importer).
    history = HistoricalRecords(excluded_fields=["text"])

    class Meta:
        ordering = ["title"]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=SourceKind.values), name="source_kind_valid"),
        ]
        indexes = [
            # The source list and the compare page's choices: sources in title order, case-insensitively
            # (SourceQuerySet.by_title), read in index order instead of sorted on every request.
            models.Index(Lower("title"), "id", name="source_title_lower"),
        ]

    def __str__(self) -> str:
        return self.title

    def save(self, *args, **kwargs) -> None:
        # The digest always describes the text actually stored.
        self.text_sha256 = text_sha256(self.text) if self.text else ""
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("sources:source_detail", args=[self.slug])

    def is_public(self) -> bool:
        """Whether readers may see it (one query): see ``SourceQuerySet.public()``."""
        return Source.objects.public().filter(pk=self.pk).exists()


class StudyQuerySet(models.QuerySet):
    def by_label(self) -> StudyQuerySet:
        return self.order_by(Lower("label"), "pk")

    def public(self) -> StudyQuerySet:
        """Studies a published claim uses: in its evidence base, or cited by a statement of it. The API and the
        citation exports serve only these; a study entered for a draft claim stays private."""
        from claims.models import Assertion, Claim, Evidence

        published = Claim.Status.PUBLISHED
        evidence = Evidence.objects.filter(study=models.OuterRef("pk"), claim__status=published)
        citations = Assertion.objects.filter(cited_study=models.OuterRef("pk"), claim__status=published)
        return self.filter(models.Exists(evidence) | models.Exists(citations))


class StudyDesign(models.TextChoices):
    META_ANALYSIS_RCT = "meta_analysis_rct", "Meta-analysis of RCTs"
    SYSTEMATIC_REVIEW = "systematic_review", "Systematic review"
    RCT = "rct", "Randomised controlled trial"
    NON_RANDOMISED = "non_randomised", "Non-randomised trial"
    COHORT = "cohort", "Cohort study"
    CASE_CONTROL = "case_control", "Case-control study"
    CASE_SERIES = "case_series", "Case series"
    CASE_REPORT = "case_report", "Case report"
    PRECLINICAL = "preclinical", "Preclinical / animal study"
    EXPERT_OPINION = "expert_opinion", "Expert opinion / consensus"
    REGULATORY = "regulatory", "Regulatory decision"


class Study(models.Model):
    """A scholarly work or regulatory document that a claim rests on or that an article cites."""

    Design = StudyDesign

    label = models.CharField(max_length=120, unique=True, help_text='Short citation, e.g. "Zarate et al. 2006".')
    slug = models.SlugField(max_length=120, unique=True)
    authors = models.TextField(blank=True)
    title = models.CharField(max_length=500, blank=True)
    journal = models.CharField(max_length=200, blank=True)
    year = models.PositiveSmallIntegerField(null=True, blank=True)
    volume = models.CharField(max_length=40, blank=True)
    pages = models.CharField(max_length=40, blank=True)
    doi = models.CharField(max_length=200, blank=True, validators=[doi_validator], verbose_name="DOI")
    pmid = models.PositiveIntegerField(null=True, blank=True, unique=True, verbose_name="PMID")
    url = models.URLField(max_length=500, blank=True, help_text="For documents without a DOI.")
    design = models.CharField(max_length=30, choices=Design.choices)
    population = models.CharField(max_length=300, blank=True)
    sample_size = models.PositiveIntegerField(null=True, blank=True)
    summary = models.TextField(blank=True, help_text="What the study actually found (Markdown).")
    verified_from = models.TextField(
        "how this record was checked",
        blank=True,
        help_text="Where each fact of this record was confirmed (page addresses). Say so when only a weak page (a "
        "mirror, a proxy, a clinic's copy) confirms a fact, and what could not be confirmed.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = StudyQuerySet.as_manager()
    # Every saved version, with who and why (django-simple-history).
    history = HistoricalRecords()

    class Meta:
        ordering = ["label"]
        verbose_name_plural = "studies"
        constraints = [
            models.CheckConstraint(condition=Q(design__in=StudyDesign.values), name="study_design_valid"),
            models.CheckConstraint(condition=Q(doi="") | Q(doi__startswith="10."), name="study_doi_format"),
            models.CheckConstraint(condition=Q(pmid__isnull=True) | Q(pmid__gt=0), name="study_pmid_positive"),
            # Empty DOIs are allowed many times; a real DOI identifies one study.
            models.UniqueConstraint(Lower("doi"), condition=~Q(doi=""), name="study_doi_unique"),
        ]
        indexes = [
            # The study list: studies in label order, case-insensitively (StudyQuerySet.by_label).
            models.Index(Lower("label"), "id", name="study_label_lower"),
        ]

    def __str__(self) -> str:
        return self.label

    def save(self, *args, **kwargs) -> None:
        self.doi = normalize_doi(self.doi)
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("sources:study_detail", args=[self.slug])

    def clean(self) -> None:
        self.doi = normalize_doi(self.doi)
        if self.doi and not re.match(DOI_PATTERN, self.doi):
            raise ValidationError({"doi": doi_validator.message})

    @property
    def doi_url(self) -> str:
        return f"https://doi.org/{self.doi}" if self.doi else ""

    @property
    def pubmed_url(self) -> str:
        return f"https://pubmed.ncbi.nlm.nih.gov/{self.pmid}/" if self.pmid else ""
