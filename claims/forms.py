from __future__ import annotations

from html import escape  # the stdlib one: Django's wraps it for lazy strings, a cost per option

from django import forms
from django.forms.utils import flatatt
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from claims.answers import SECTION_ORDER, SECTION_TITLES
from claims.models import Claim, Condition, Grade, Verdict
from sources.models import Source


def _blank(label: str, choices) -> list[tuple[str, str]]:
    return [("", label), *choices]


class ConditionFilterForm(forms.Form):
    question = forms.ChoiceField(
        required=False,
        label="Question",
        choices=_blank("Any question", [(key, SECTION_TITLES[key]) for key in SECTION_ORDER]),
    )
    verdict = forms.ChoiceField(required=False, label="Verdict", choices=_blank("Any verdict", Verdict.choices))
    grade = forms.ChoiceField(required=False, label="Certainty", choices=_blank("Any grade", Grade.choices))
    category = forms.ChoiceField(
        required=False, label="Category", choices=_blank("Any category", Claim.Category.choices)
    )


class MatrixFilterForm(forms.Form):
    """The matrix's filters. ``conditions`` are the ones offered (the view passes the public ones, by name); the
    chosen one is cleaned to its ``Condition`` without another query."""

    condition = forms.ChoiceField(
        required=False,
        label="Condition",
        # As a model choice says it: the value given may be a private condition's slug, which is not repeated.
        error_messages={"invalid_choice": "Select a valid choice. That choice is not one of the available choices."},
    )
    category = forms.ChoiceField(
        required=False, label="Category", choices=_blank("Any category", Claim.Category.choices)
    )
    verdict = forms.ChoiceField(required=False, label="Verdict", choices=_blank("Any verdict", Verdict.choices))

    def __init__(self, *args, conditions: list[Condition] | tuple = (), **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._conditions = {c.slug: c for c in conditions}
        self.fields["condition"].choices = _blank("Any condition", [(c.slug, c.name) for c in conditions])

    def clean_condition(self) -> Condition | None:
        slug = self.cleaned_data["condition"]
        return self._conditions[slug] if slug else None


class SourceSelect(forms.Widget):
    """A ``<select>`` of sources, written in one pass from ``sources`` ((slug, title) pairs, set by the form).

    Django's Select renders a template per option and normalises its choices on every form; for the compare
    page's two lists of 5,000 sources (the 100,000-claim benchmark) that took about half a second."""

    sources: list[tuple[str, str]] = []

    def render(self, name, value, attrs=None, renderer=None):
        attrs = self.build_attrs(self.attrs, {**(attrs or {}), "name": name, "required": True})
        selected = "" if value is None else str(value)
        options = [f'<option value=""{" selected" if not selected else ""}>Choose a source</option>']
        options += [
            f'<option value="{escape(slug)}"{" selected" if slug == selected else ""}>{escape(title)}</option>'
            for slug, title in self.sources
        ]
        return format_html("<select{}>{}</select>", flatatt(attrs), mark_safe("".join(options)))  # noqa: S308


class CompareForm(forms.Form):
    """Two sources by slug. The sources are read once (one query) for both lists and for checking the choice."""

    a = forms.CharField(label="First source", widget=SourceSelect)
    b = forms.CharField(label="Second source", widget=SourceSelect)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.sources = list(Source.objects.public().by_title().values_list("slug", "title"))
        self.slugs = {slug for slug, _ in self.sources}
        for name in ("a", "b"):
            self.fields[name].widget.sources = self.sources

    def _known(self, name: str) -> str:
        slug = self.cleaned_data[name]
        if slug not in self.slugs:
            raise forms.ValidationError(
                "There is no source “%(value)s”: choose one from the list.", params={"value": slug}
            )
        return slug

    def clean_a(self) -> str:
        return self._known("a")

    def clean_b(self) -> str:
        return self._known("b")

    def clean(self):
        data = super().clean()
        a, b = data.get("a"), data.get("b")
        if a and a == b:
            raise forms.ValidationError("Choose two different sources to compare.")
        if a and b:
            sources = Source.objects.defer("text").in_bulk([a, b], field_name="slug")
            data["a"], data["b"] = sources[a], sources[b]
        return data


class SearchForm(forms.Form):
    KIND_CHOICES = [("", "Everything"), ("claim", "Claims"), ("source", "Sources"), ("study", "Studies")]
    q = forms.CharField(required=False, max_length=200, label="Search")
    kind = forms.ChoiceField(required=False, choices=KIND_CHOICES, label="Show")
