from __future__ import annotations

from django.contrib import admin
from django.db.models import Count

from claims.models import Assertion, Claim, Condition, Evidence


@admin.register(Condition)
class ConditionAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "claim_count"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(_claims=Count("claims"))

    @admin.display(description="Claims", ordering="_claims")
    def claim_count(self, obj: Condition) -> int:
        return obj._claims


class EvidenceInline(admin.TabularInline):
    model = Evidence
    extra = 0
    autocomplete_fields = ["study"]


class AssertionInline(admin.StackedInline):
    model = Assertion
    extra = 0
    autocomplete_fields = ["source", "cited_study"]
    fields = [
        "source",
        "quote",
        "offset",
        "stance",
        "cited_study",
        "citation_fidelity",
        "fidelity_note",
        "note",
    ]


@admin.register(Claim)
class ClaimAdmin(admin.ModelAdmin):
    list_display = ["text", "category", "grade", "status", "source_count", "updated_at"]
    list_filter = ["status", "grade", "category", "conditions"]
    search_fields = ["text", "slug"]
    prepopulated_fields = {"slug": ["text"]}
    filter_horizontal = ["conditions", "conflicting_claims"]
    inlines = [EvidenceInline, AssertionInline]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(_sources=Count("assertions__source", distinct=True))

    @admin.display(description="Sources", ordering="_sources")
    def source_count(self, obj: Claim) -> int:
        return obj._sources


@admin.register(Assertion)
class AssertionAdmin(admin.ModelAdmin):
    list_display = ["short_quote", "source", "claim", "stance", "cited_study", "citation_fidelity"]
    list_filter = ["stance", "citation_fidelity", "source"]
    list_select_related = ["source", "claim", "cited_study"]
    search_fields = ["quote", "claim__text", "source__title"]
    autocomplete_fields = ["claim", "source", "cited_study"]

    @admin.display(description="Quote")
    def short_quote(self, obj: Assertion) -> str:
        return obj.quote if len(obj.quote) <= 80 else obj.quote[:79] + "…"
