"""Admin forms for the editorial workflow: GRADE assessment checks, quote verification, safe saves."""

from __future__ import annotations

from django import forms
from django.forms.models import BaseInlineFormSet

from claims import grading
from claims.models import Assertion, Claim, EffectEstimate, Grade, StatementType, Verdict
from claims.services import EditConflict, check_version, derived_starting_level
from sources.models import Study

EVIDENCE_PREFIX = "evidence"


def override_error(grade: str, suggested: str) -> str:
    return (
        f"The final grade ({Grade(grade).label.lower()}) differs from the suggested certainty "
        f"({Grade(suggested).label.lower()}) computed from the evidence base and the judgments. Write why in "
        "“Grade override reason”, or adjust the judgments."
    )


class ClaimAdminForm(forms.ModelForm):
    expected_version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    change_reason = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Why you are changing the grade, status or rationale (kept in the claim's history).",
    )

    class Meta:
        model = Claim
        fields = "__all__"  # noqa: DJ007 - the ModelAdmin's fieldsets choose the fields

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["expected_version"].initial = self.instance.version

    def clean(self):
        data = super().clean()
        if self.instance.pk:
            expected = data.get("expected_version")
            try:
                check_version(self.instance.pk, expected if expected is not None else self.instance.version)
            except EditConflict as exc:
                raise forms.ValidationError(str(exc), code="conflict") from None
        grade = data.get("grade")
        # In the admin the evidence inline is posted with the form and its formset does this check with the
        # evidence as edited (EvidenceFormSet.clean); on its own, the form checks against the saved evidence.
        evidence_posted = f"{EVIDENCE_PREFIX}-TOTAL_FORMS" in self.data
        if (
            grade
            and grade != Grade.NOT_GRADED
            and not evidence_posted
            and not (data.get("grade_override_reason") or "").strip()
        ):
            start = derived_starting_level(self.instance) if self.instance.pk else "very_low"
            suggested = grading.suggested_level(_judgments(data, start))
            if suggested != grade:
                self.add_error("grade_override_reason", override_error(grade, suggested))
        if data.get("statement_type") == StatementType.GOOD_PRACTICE and grade and grade != Grade.NOT_GRADED:
            self.add_error(
                "grade",
                "A good-practice statement is not rated for certainty: set the grade to “Not yet graded”, or make "
                "the claim an effect or a recommendation.",
            )
        supported = data.get("verdict") == Verdict.SUPPORTED
        if supported and not evidence_posted and not (self.instance.pk and self.instance.evidence.exists()):
            self.add_error("verdict", SUPPORTED_WITHOUT_EVIDENCE)
        return data


def _judgments(data: dict, start: str) -> grading.Judgments:
    return grading.Judgments(
        starting_level=start,
        risk_of_bias=data.get("risk_of_bias") or "none",
        inconsistency=data.get("inconsistency") or "none",
        indirectness=data.get("indirectness") or "none",
        imprecision=data.get("imprecision") or "none",
        publication_bias=data.get("publication_bias") or "none",
        large_effect=int(data.get("large_effect") or 0),
        dose_response=bool(data.get("dose_response")),
        plausible_confounding=bool(data.get("plausible_confounding")),
    )


SUPPORTED_WITHOUT_EVIDENCE = (
    "A claim can be “supported” only by evidence: add a study to its evidence base, or choose another verdict "
    "(“insufficient evidence” when nothing tests it)."
)


class EvidenceFormSet(BaseInlineFormSet):
    """Checks the verdict and the final grade against the evidence base as edited."""

    def clean(self):
        super().clean()
        claim = self.instance
        kept = [form for form in self.forms if form.cleaned_data and not form.cleaned_data.get("DELETE")]
        if claim.verdict == Verdict.SUPPORTED and not kept:
            raise forms.ValidationError(SUPPORTED_WITHOUT_EVIDENCE)
        if claim.grade == Grade.NOT_GRADED or (claim.grade_override_reason or "").strip():
            return
        studies = [
            form.cleaned_data["study"]
            for form in self.forms
            if form.cleaned_data and not form.cleaned_data.get("DELETE") and form.cleaned_data.get("study")
        ]
        # A read-only inline (a published claim's: its evidence changes as revisions) is not validated: the admin
        # gives each of its forms the initial values as cleaned data, so the study is an id there.
        ids = [study for study in studies if isinstance(study, int)]
        by_id = dict(Study.objects.filter(pk__in=ids).values_list("pk", "design")) if ids else {}
        designs = [by_id.get(study) if isinstance(study, int) else study.design for study in studies]
        start = grading.starting_level_for_designs(designs)
        saved_start = derived_starting_level(claim) if claim.pk else "very_low"
        suggested = grading.suggested_level(
            grading.Judgments(
                starting_level=start,
                risk_of_bias=claim.risk_of_bias,
                inconsistency=claim.inconsistency,
                indirectness=claim.indirectness,
                imprecision=claim.imprecision,
                publication_bias=claim.publication_bias,
                large_effect=claim.large_effect,
                dose_response=claim.dose_response,
                plausible_confounding=claim.plausible_confounding,
            )
        )
        if suggested != claim.grade:
            change = (
                f"With this evidence base the starting level becomes {start.replace('_', ' ')}. "
                if start != saved_start
                else ""
            )
            raise forms.ValidationError(change + override_error(claim.grade, suggested))


class EffectEstimateForm(forms.ModelForm):
    """An effect estimate; the model's ``clean`` checks that the excerpt holds every number and the CI the value."""

    excerpt_url = forms.URLField(
        label="Excerpt's page",
        max_length=500,
        assume_scheme="https",
        help_text="The stored public page the excerpt was copied from.",
    )

    class Meta:
        model = EffectEstimate
        fields = "__all__"  # noqa: DJ007 - the ModelAdmin's fields choose the fields
        widgets = {"excerpt": forms.Textarea(attrs={"rows": 3})}


class AssertionAdminForm(forms.ModelForm):
    """Saving an assertion verifies its quote against the archived text (the model's clean does it)."""

    class Meta:
        model = Assertion
        fields = "__all__"  # noqa: DJ007 - the ModelAdmin's fieldsets choose the fields

    def _post_clean(self):
        # An editor saving the assertion re-verifies it, so a "source changed" flag is cleared first.
        self.instance.source_changed = False
        super()._post_clean()


class TransitionForm(forms.Form):
    comment = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        label="Comment (kept in each claim's history)",
    )
    override_self_approval = forms.BooleanField(
        required=False,
        label="Publish claims I edited last myself (superuser override; recorded in the history)",
    )
