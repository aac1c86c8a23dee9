from __future__ import annotations

from django import forms

from claims.models import Claim, Condition, Grade
from sources.models import Source


def _blank(label: str, choices) -> list[tuple[str, str]]:
    return [("", label), *choices]


class ConditionFilterForm(forms.Form):
    grade = forms.ChoiceField(required=False, choices=_blank("Any grade", Grade.choices))
    category = forms.ChoiceField(required=False, choices=_blank("Any category", Claim.Category.choices))


class MatrixFilterForm(forms.Form):
    condition = forms.ModelChoiceField(
        required=False,
        queryset=Condition.objects.order_by("name"),
        to_field_name="slug",
        empty_label="Any condition",
    )
    category = forms.ChoiceField(required=False, choices=_blank("Any category", Claim.Category.choices))


class CompareForm(forms.Form):
    a = forms.ModelChoiceField(
        queryset=Source.objects.by_title().only("pk", "slug", "title"),
        to_field_name="slug",
        label="First source",
        empty_label="Choose a source",
    )
    b = forms.ModelChoiceField(
        queryset=Source.objects.by_title().only("pk", "slug", "title"),
        to_field_name="slug",
        label="Second source",
        empty_label="Choose a source",
    )

    def clean(self):
        data = super().clean()
        if data.get("a") and data.get("a") == data.get("b"):
            raise forms.ValidationError("Choose two different sources to compare.")
        return data


class SearchForm(forms.Form):
    KIND_CHOICES = [("", "Everything"), ("claim", "Claims"), ("source", "Sources"), ("study", "Studies")]
    q = forms.CharField(required=False, max_length=200, label="Search")
    kind = forms.ChoiceField(required=False, choices=KIND_CHOICES, label="Show")
