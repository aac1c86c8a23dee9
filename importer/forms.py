from __future__ import annotations

from collections.abc import Callable, Sequence

from django import forms
from django.contrib import admin
from django.contrib.admin.widgets import AutocompleteSelect

from claims.models import Assertion, Category, Claim, Condition, Stance
from importer.text import FORMATS, MAX_BYTES, InputError, decode
from sources.models import Source


class ImportForm(forms.Form):
    title = forms.CharField(max_length=300)
    url = forms.URLField(
        required=False, label="URL", assume_scheme="https", help_text="A known URL updates that source."
    )
    author = forms.CharField(max_length=200, required=False)
    publisher = forms.CharField(max_length=200, required=False)
    kind = forms.ChoiceField(choices=Source.Kind.choices, initial=Source.Kind.OTHER)
    format = forms.ChoiceField(
        choices=[(f, f.capitalize() if f != "auto" else "Detect from the file") for f in FORMATS], initial="auto"
    )
    file = forms.FileField(required=False, help_text=f"Plain text, Markdown or HTML, up to {MAX_BYTES // 1048576} MB.")
    text = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 12}), label="…or paste the text")

    def clean_file(self):
        upload = self.cleaned_data.get("file")
        if upload and upload.size > MAX_BYTES:
            raise forms.ValidationError(f"The file is larger than {MAX_BYTES // 1048576} MB.")
        return upload

    def clean_text(self):
        text = self.cleaned_data.get("text") or ""
        if len(text.encode("utf-8")) > MAX_BYTES:
            raise forms.ValidationError(f"The pasted text is larger than {MAX_BYTES // 1048576} MB.")
        return text

    def clean(self):
        data = super().clean()
        if "file" in self.errors or "text" in self.errors:
            return data  # the field's own error says what is wrong
        uploaded, pasted = bool(data.get("file")), bool((data.get("text") or "").strip())
        if uploaded and pasted:
            raise forms.ValidationError("Upload a file or paste the text, not both.")
        if not uploaded and not pasted:
            raise forms.ValidationError("Upload a file or paste the text.")
        # The checks that need no parsing run here, so that bad input is refused at once rather than by a job:
        # an empty, oversized, binary or non-UTF-8 file. What needs the article parsed (an HTML page with no
        # readable text) is found by the import job, which says so on its page.
        if uploaded:
            upload = data["file"]
            raw, name = upload.read(), upload.name
            try:
                decode(raw, name)
            except InputError as exc:
                raise forms.ValidationError(f"{exc} Nothing was imported.") from None
        else:
            raw, name = data["text"].encode("utf-8"), "pasted text"
        data["raw"], data["name"] = raw, name
        return data


class ClaimByWordsField(forms.ModelChoiceField):
    """A claim chosen by searching its words (Django admin's autocomplete over the claims' admin search), posted as
    its id; a slug typed by hand is accepted too."""

    def to_python(self, value):
        if value in self.empty_values:
            return None
        if str(value).isdigit():
            found = self.queryset.filter(pk=int(value)).first()
        else:
            found = self.queryset.filter(slug=value).first()
        if found is None:
            raise forms.ValidationError(f"No claim “{value}” was found.", code="invalid_choice")
        return found


class _ClaimSearch(AutocompleteSelect):
    def optgroups(self, name, value, attr=None):
        # A slug typed by hand (accepted by ClaimByWordsField) is no id to look up when the form is shown again.
        return super().optgroups(name, [v for v in value if str(v).isdigit()], attr)


def _claim_search_widget(field: forms.ModelChoiceField) -> forms.Widget:
    """Django admin's autocomplete: it finds claims through the claims admin's search fields (every word must match),
    reached through the assertion's claim field, the relation an attached claim becomes."""
    widget = _ClaimSearch(
        Assertion._meta.get_field("claim"), admin.site, attrs={"data-placeholder": "Search claims by their words"}
    )
    widget.choices = field.choices
    return widget


class AttachForm(forms.Form):
    """Attach a candidate to one or more claims: tick the suggested claims it states, each with its stance, and/or
    search another claim by its words. The quote is shared."""

    claims = forms.ModelMultipleChoiceField(
        queryset=Claim.objects.none(), required=False, widget=forms.CheckboxSelectMultiple
    )
    other_claim = ClaimByWordsField(queryset=Claim.objects.all(), required=False, label="…or another claim")
    # Blank: judged against the found claim's wording when the form is saved, as each suggestion's stance is; the
    # review page's script shows that judgement as soon as a claim is picked (static/js/claim-stance.js).
    other_stance = forms.ChoiceField(
        choices=[("", "judged against the claim"), *Stance.choices], required=False, label="its stance"
    )
    quote = forms.CharField(
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Shorten or extend it as needed; it must stay verbatim from the article.",
    )

    def __init__(
        self,
        *args,
        suggestions: list[tuple[Claim, float, str]] | None = None,
        stance: str = "",
        judge: Callable[[Claim], str] | None = None,
        stance_url: str = "",
        **kwargs,
    ) -> None:
        """``suggestions``: (claim, score, the clause's stance toward that claim), best first; ``stance``: the
        clause's own, for a suggestion stored without one; ``judge``: the clause's stance toward another claim
        (``extract.stance_toward``), for a claim found by search whose stance the editor left blank; ``stance_url``:
        where the review page's script asks for that stance as soon as the claim is picked."""
        super().__init__(*args, **kwargs)
        self.suggestions = list(suggestions or [])
        self.stance, self.judge = stance or Stance.SUPPORTS, judge
        self.fields["other_claim"].widget = _claim_search_widget(self.fields["other_claim"])
        if stance_url:
            self.fields["other_stance"].widget.attrs["data-stance-url"] = stance_url
        self.fields["claims"].queryset = Claim.objects.filter(pk__in=[c.pk for c, _, _ in self.suggestions])
        for claim, _, own_stance in self.suggestions:
            label = f"Stance toward “{claim}”"
            self.fields[f"stance_{claim.pk}"] = forms.ChoiceField(
                choices=Stance.choices,
                initial=own_stance or stance or Stance.SUPPORTS,
                required=False,
                label=label,
                widget=forms.Select(attrs={"aria-label": label}),
            )

    def rows(self) -> list[tuple]:
        """(claim, similarity, ticked?, its stance field) per suggestion, for the template."""
        ticked = {str(v) for v in (self.data.getlist("claims") if self.is_bound else self.initial.get("claims", []))}
        return [
            (claim, score, str(claim.pk) in ticked, self[f"stance_{claim.pk}"]) for claim, score, _ in self.suggestions
        ]

    def clean(self):
        data = super().clean()
        choices = [(claim, data.get(f"stance_{claim.pk}") or self.stance) for claim in data.get("claims") or []]
        other = data.get("other_claim")
        if other is not None:
            if other.pk in {claim.pk for claim, _ in choices}:
                self.add_error("other_claim", f"“{other}” is already ticked above.")
            else:
                judged = self.judge(other) if self.judge else self.stance
                choices.append((other, data.get("other_stance") or judged))
        if not choices and not self.errors:
            raise forms.ValidationError("Tick at least one of the suggested claims or search for another claim.")
        data["choices"] = choices
        return data


class NewClaimForm(forms.Form):
    text = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), label="Claim, in your own words")
    category = forms.ChoiceField(choices=Category.choices)
    conditions = forms.ModelMultipleChoiceField(
        queryset=Condition.objects.order_by("name"), to_field_name="slug", required=False
    )
    quote = forms.CharField(max_length=1000, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, likely: Sequence[str] = (), **kwargs):
        """``likely``: the extractor's known guesses at the category, distinct and most likely first
        (``Candidate.likely_categories()``); offered first, as their own group, so that an editor correcting the first
        guess usually finds the right one next to it."""
        super().__init__(*args, **kwargs)
        labels = dict(Category.choices)
        if likely:
            self.fields["category"].choices = [
                ("Likely", [(c, labels[c]) for c in likely]),
                ("Other categories", [(c, label) for c, label in Category.choices if c not in likely]),
            ]


class RejectForm(forms.Form):
    note = forms.CharField(required=False, max_length=500, label="Why (optional)")
