from __future__ import annotations

from django.contrib import admin
from django.db.models import Count

from sources.models import Source, Study


@admin.register(Source)
class SourceAdmin(admin.ModelAdmin):
    list_display = ["title", "kind", "commercial_interest", "publisher", "assertion_count", "updated_at"]
    list_filter = ["kind", "commercial_interest"]
    search_fields = ["title", "slug", "url", "author", "publisher"]
    prepopulated_fields = {"slug": ["title"]}
    readonly_fields = ["text_sha256", "created_at", "updated_at"]
    fieldsets = [
        (None, {"fields": ["title", "slug", "url", "author", "publisher", "kind"]}),
        ("Dates", {"fields": ["published_on", "accessed_on"]}),
        ("Commercial interest", {"fields": ["commercial_interest", "commercial_interest_note"]}),
        ("Archived text", {"fields": ["archive_name", "text", "text_sha256"]}),
        ("Notes", {"fields": ["notes", "created_at", "updated_at"]}),
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(_assertions=Count("assertions"))

    @admin.display(description="Assertions", ordering="_assertions")
    def assertion_count(self, obj: Source) -> int:
        return obj._assertions


@admin.register(Study)
class StudyAdmin(admin.ModelAdmin):
    list_display = ["label", "design", "journal", "year", "doi", "pmid", "citation_count"]
    list_filter = ["design", "year"]
    search_fields = ["label", "title", "authors", "journal", "doi", "=pmid"]
    prepopulated_fields = {"slug": ["label"]}
    readonly_fields = ["created_at", "updated_at"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(_citations=Count("citations"))

    @admin.display(description="Cited by", ordering="_citations")
    def citation_count(self, obj: Study) -> int:
        return obj._citations
