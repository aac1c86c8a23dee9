from __future__ import annotations

from django.contrib import admin
from django.db.models import Count, Q
from simple_history.admin import SimpleHistoryAdmin

from revisions.admin import ModeratedAdmin
from sources.models import Source, Study


class ChangedQuotesFilter(admin.SimpleListFilter):
    title = "quotes to re-check"
    parameter_name = "changed"

    def lookups(self, request, model_admin):
        return [("yes", "Has quotes no longer in its text")]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(_changed__gt=0)
        return queryset


@admin.register(Source)
class SourceAdmin(ModeratedAdmin, SimpleHistoryAdmin):  # "History": every version, who, why and what changed
    list_display = [
        "title", "kind", "commercial_interest", "publisher", "claim_count", "assertion_count",
        "citation_count", "changed_count", "updated_at",
    ]  # fmt: skip
    list_filter = ["kind", "commercial_interest", ChangedQuotesFilter]
    search_fields = ["title", "slug", "url", "author", "publisher", "archive_name"]
    prepopulated_fields = {"slug": ["title"]}
    readonly_fields = ["text_sha256", "created_at", "updated_at"]
    fieldsets = [
        (None, {"fields": ["title", "slug", "url", "author", "publisher", "kind"]}),
        ("Dates", {"fields": ["published_on", "accessed_on"]}),
        ("Commercial interest", {"fields": ["commercial_interest", "commercial_interest_note"]}),
        ("Archived text", {"fields": ["archive_name", "text", "text_sha256"]}),
        ("Notes", {"fields": ["notes", "created_at", "updated_at"]}),
    ]

    def view_on_site(self, obj: Source) -> str | None:
        # Only a source with a statement of a published claim has a public page (Source.objects.public()).
        return obj.get_absolute_url() if obj.is_public() else None

    def get_readonly_fields(self, request, obj=None):
        # The archived text is what the article said: quotes and their offsets, snapshots and candidates rest on
        # it. A new version comes in through "Import article", which keeps a snapshot, moves the quotes still there
        # and flags the others; editing it here would silently break them.
        fields = super().get_readonly_fields(request, obj)
        return [*fields, "text"] if obj is not None else fields

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if obj is None:
            return fieldsets
        note = (
            "To archive a changed version of this article, import it again (Candidates → Import article) with the "
            "same URL: its quotes are re-checked, moved or flagged, and the earlier text is kept as a snapshot."
        )
        return [
            (name, {**options, "description": note}) if name == "Archived text" else (name, options)
            for name, options in fieldsets
        ]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                _claims=Count("assertions__claim", distinct=True),
                _assertions=Count("assertions", distinct=True),
                _citations=Count("assertions", filter=Q(assertions__cited_study__isnull=False), distinct=True),
                _changed=Count("assertions", filter=Q(assertions__source_changed=True), distinct=True),
            )
        )

    @admin.display(description="Claims", ordering="_claims")
    def claim_count(self, obj: Source) -> int:
        return obj._claims

    @admin.display(description="Assertions", ordering="_assertions")
    def assertion_count(self, obj: Source) -> int:
        return obj._assertions

    @admin.display(description="Citations", ordering="_citations")
    def citation_count(self, obj: Source) -> int:
        return obj._citations

    @admin.display(description="Quotes to re-check", ordering="_changed")
    def changed_count(self, obj: Source) -> int:
        return obj._changed


class MissingIdentifierFilter(admin.SimpleListFilter):
    title = "identifiers"
    parameter_name = "ids"

    def lookups(self, request, model_admin):
        return [("no_doi", "No DOI"), ("no_pmid", "No PMID"), ("none", "No DOI, PMID or URL")]

    def queryset(self, request, queryset):
        if self.value() == "no_doi":
            return queryset.filter(doi="")
        if self.value() == "no_pmid":
            return queryset.filter(pmid__isnull=True)
        if self.value() == "none":
            return queryset.filter(doi="", pmid__isnull=True, url="")
        return queryset


class FidelityFilter(admin.SimpleListFilter):
    title = "citation fidelity"
    parameter_name = "fidelity"

    def lookups(self, request, model_admin):
        return [("unchecked", "Has citations not yet checked"), ("problem", "Cited inaccurately somewhere")]

    def queryset(self, request, queryset):
        if self.value() == "unchecked":
            return queryset.filter(_unchecked__gt=0)
        if self.value() == "problem":
            return queryset.filter(_problems__gt=0)
        return queryset


@admin.register(Study)
class StudyAdmin(ModeratedAdmin, SimpleHistoryAdmin):
    list_display = [
        "label", "design", "journal", "year", "doi", "pmid", "evidence_count", "citation_count",
        "unchecked_count",
    ]  # fmt: skip
    list_filter = ["design", MissingIdentifierFilter, FidelityFilter, "year"]
    search_fields = ["label", "title", "authors", "journal", "doi", "=pmid"]
    prepopulated_fields = {"slug": ["label"]}
    readonly_fields = ["created_at", "updated_at"]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                _evidence=Count("evidence", distinct=True),
                _citations=Count("citations", distinct=True),
                _unchecked=Count("citations", filter=Q(citations__citation_fidelity="not_checked"), distinct=True),
                _problems=Count(
                    "citations",
                    filter=Q(citations__citation_fidelity__in=["misattributed", "overstated", "wrong_study"]),
                    distinct=True,
                ),
            )
        )

    @admin.display(description="Evidence for", ordering="_evidence")
    def evidence_count(self, obj: Study) -> int:
        return obj._evidence

    @admin.display(description="Cited by", ordering="_citations")
    def citation_count(self, obj: Study) -> int:
        return obj._citations

    @admin.display(description="Citations not checked", ordering="_unchecked")
    def unchecked_count(self, obj: Study) -> int:
        return obj._unchecked
