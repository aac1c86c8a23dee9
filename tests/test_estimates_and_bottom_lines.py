"""Effect estimates and bottom lines behind the answer-first pages (issue 13): the numbers an excerpt holds, bad input
refused in the admin with the field named and nothing saved, and a condition's bottom line through review."""

from __future__ import annotations

import copy
import json
import re
from html import unescape

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.urls import reverse
from django.utils import timezone

from claims import services
from claims.estimates import estimate_errors, numbers_in, written_in
from claims.exchange import ImportRefused, export_document, import_document
from claims.models import Claim, Condition, EffectEstimate, Evidence, Status
from tests.factories import (
    ClaimFactory,
    ConditionFactory,
    EffectEstimateFactory,
    EvidenceFactory,
    StudyFactory,
)
from tests.test_workflow import _admin_form_data

pytestmark = pytest.mark.django_db


def _field_error(html: str, field_id: str) -> str:
    """The error shown at one field of an admin form (the list its input points to with aria-describedby)."""
    match = re.search(rf'<ul class="errorlist" id="{re.escape(field_id)}_error">(.*?)</ul>', html, re.S)
    assert match, f"no error shown at {field_id}"
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", match.group(1))).split())


def _words(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


# --- numbers in an excerpt -----------------------------------------------------------------------------------------


def test_a_number_with_thousands_separators_is_one_number():
    assert numbers_in("1,242 participants") == [1242.0]
    assert written_in(1242, "in 1,242 patients")
    assert not written_in(242, "in 1,242 patients") and not written_in(1, "in 1,242 patients")


def test_a_minus_sign_set_apart_from_its_digits_still_makes_the_number_negative():
    assert -0.89 in numbers_in("SMD − 0.89")
    assert written_in(-0.89, "an SMD of − 0.89 favoured ketamine")


def test_a_range_written_with_a_hyphen_holds_two_positive_bounds():
    assert {0.16, 0.55} <= set(numbers_in("0.16-0.55"))
    assert written_in(0.16, "(95% CI 0.16-0.55)") and written_in(0.55, "(95% CI 0.16-0.55)")


def test_a_true_minus_sign_makes_the_number_negative():
    assert -0.47 in numbers_in("−0.47")
    assert written_in(-0.47, "SMD −0.47 at 24 hours")


def test_both_bounds_of_a_confidence_interval_in_parentheses_are_written_and_nothing_else():
    text = "(95% CI 2.1 to 5.8)"
    assert written_in(2.1, text) and written_in(5.8, text)
    for absent in (2.0, 2.2, 21, 58, 5.9):
        assert not written_in(absent, text), absent


def test_a_value_whose_sign_contradicts_a_true_minus_in_the_excerpt_is_refused():
    excerpt = "PTSD severity at 24 hours: SMD −0.47 (95% CI −0.84 to −0.10)."
    errors = estimate_errors(value=0.47, ci_low=0.10, ci_high=0.84, participants=None, studies=None, excerpt=excerpt)
    assert {"value", "ci_low", "ci_high"} <= set(errors)


def test_an_effect_is_shown_with_true_minus_signs_and_its_ci():
    study = StudyFactory()
    claim = ClaimFactory()
    EvidenceFactory(claim=claim, study=study)
    estimate = EffectEstimateFactory(
        claim=claim, study=study, measure="mean_difference", value=-5.0, ci_low=-7.9, ci_high=-2.1, unit="MADRS points",
        participants=None, studies=None, excerpt="MD −5.0 MADRS points (95% CI −7.9 to −2.1).",
    )  # fmt: skip
    assert estimate.effect_text() == "−5 MADRS points (95 % CI −7.9 to −2.1)"


# --- bad estimates in the admin ------------------------------------------------------------------------------------


@pytest.fixture
def traced(db):
    """A draft claim about PTSD with one trial in its evidence base, and the form data of a sound estimate of it."""
    ptsd = ConditionFactory(name="PTSD", slug="ptsd")
    study = StudyFactory(label="Feder et al. 2014", design="rct")
    claim = ClaimFactory(text="Ketamine reduces PTSD symptoms", slug="ptsd-symptoms", status="draft", grade="low")
    claim.conditions.add(ptsd)
    EvidenceFactory(claim=claim, study=study)
    data = {
        "study": study.pk, "claim": claim.pk, "condition": ptsd.pk, "outcome": "PTSD severity (IES-R)",
        "measure": "mean_difference", "value": "12.7", "unit": "IES-R points", "ci_low": "2.5", "ci_high": "22.8",
        "participants": "41", "studies": "1", "timepoint": "24 hours", "comparator": "midazolam",
        "population": "adults with chronic PTSD", "intervention": "racemic ketamine 0.5 mg/kg IV, one infusion",
        "excerpt": "IES-R at 24 hours: mean difference 12.7 (95% CI, 2.5-22.8; P = .02), 41 patients.",
        "excerpt_url": "https://pubmed.ncbi.nlm.nih.gov/24740528/",
    }  # fmt: skip
    return {"claim": claim, "study": study, "ptsd": ptsd, "data": data}


def test_an_editor_records_a_traced_estimate_in_the_admin(client, users, traced):
    client.force_login(users["editor"])
    response = client.post(reverse("admin:claims_effectestimate_add"), traced["data"])
    assert response.status_code == 302
    estimate = EffectEstimate.objects.get()
    assert (estimate.value, estimate.ci_low, estimate.ci_high, estimate.participants) == (12.7, 2.5, 22.8, 41)


BAD_ESTIMATES = [
    ({"value": "4.2"}, "value", "The excerpt does not contain the value 4.2"),
    ({"ci_low": "13.0"}, "ci_low", "The CI 13 to 22.8 does not contain the value 12.7"),
    ({"ci_low": "23.0"}, "ci_low", "The lower bound of the CI is above its upper bound"),
    ({"ci_high": ""}, "ci_high", "Give both bounds of the 95 % CI, or neither"),
    ({"participants": "-41"}, "participants", "must be a positive whole number"),
    ({"participants": "0"}, "participants", "must be a positive whole number"),
    ({"participants": "40"}, "participants", "The excerpt does not contain the number of participants (40)"),
]


@pytest.mark.parametrize(("change", "field", "message"), BAD_ESTIMATES)
def test_the_estimate_admin_refuses_a_number_the_excerpt_does_not_back_naming_the_field(
    client, users, traced, change, field, message
):
    client.force_login(users["editor"])
    response = client.post(reverse("admin:claims_effectestimate_add"), {**traced["data"], **change})
    assert response.status_code == 200
    assert message in _field_error(response.content.decode(), f"id_{field}")
    assert not EffectEstimate.objects.exists()


def test_the_estimate_admin_refuses_a_study_outside_the_claims_evidence(client, users, traced):
    other = StudyFactory(label="Unrelated 2020")
    client.force_login(users["editor"])
    response = client.post(reverse("admin:claims_effectestimate_add"), {**traced["data"], "study": other.pk})
    assert response.status_code == 200
    assert "not in this claim's evidence base" in _field_error(response.content.decode(), "id_claim")
    assert not EffectEstimate.objects.exists()


def test_changing_a_saved_estimate_to_a_number_its_excerpt_lacks_is_refused_and_keeps_the_old_one(
    client, users, traced
):
    client.force_login(users["reviewer"])
    client.post(reverse("admin:claims_effectestimate_add"), traced["data"])
    estimate = EffectEstimate.objects.get()
    url = reverse("admin:claims_effectestimate_change", args=[estimate.pk])
    response = client.post(url, {**traced["data"], "value": "21.7"})
    assert response.status_code == 200
    assert "The excerpt does not contain the value 21.7" in _field_error(response.content.decode(), "id_value")
    estimate.refresh_from_db()
    assert estimate.value == 12.7


def _estimate_inline(traced, **change) -> dict:
    """One new estimate posted in the claim form's estimates inline."""
    data = {k: v for k, v in traced["data"].items() if k != "claim"}
    row = {f"effect_estimates-0-{k}": v for k, v in {**data, **change}.items()}
    return {"effect_estimates-TOTAL_FORMS": "1", **row}


def test_the_claim_form_refuses_an_estimate_whose_excerpt_lacks_its_value_and_saves_nothing_else(client, users, traced):
    claim = traced["claim"]
    url = reverse("admin:claims_claim_change", args=[claim.pk])
    client.force_login(users["editor"])
    data = _admin_form_data(client.get(url))
    data.update(rationale="Rewritten while adding the estimate.", grade_override_reason="One small crossover trial.")
    data.update(_estimate_inline(traced, value="9.9"))
    response = client.post(url, data)
    assert response.status_code == 200
    html = response.content.decode()
    assert "The excerpt does not contain the value 9.9" in _field_error(html, "id_effect_estimates-0-value")
    assert not EffectEstimate.objects.exists()
    claim.refresh_from_db()
    assert (claim.rationale, claim.grade_override_reason, claim.version) == ("", "", 1)
    # The same estimate with its true value is saved with the claim.
    data.update(_estimate_inline(traced))
    assert client.post(url, data).status_code == 302
    assert EffectEstimate.objects.get().claim == claim


def test_an_editor_cannot_add_an_estimate_to_a_published_claim_from_the_estimate_admin(client, users, traced):
    Claim.objects.filter(pk=traced["claim"].pk).update(status=Status.PUBLISHED)
    client.force_login(users["editor"])
    response = client.post(reverse("admin:claims_effectestimate_add"), traced["data"])
    assert response.status_code in (200, 403)
    assert not EffectEstimate.objects.exists()
    assert "PTSD severity (IES-R)" not in client.get(traced["claim"].get_absolute_url()).content.decode()


# --- a supported verdict needs evidence ----------------------------------------------------------------------------

SUPPORTED_ONLY_BY_EVIDENCE = "A claim can be “supported” only by evidence"


def test_the_claim_form_refuses_supported_for_a_claim_with_no_evidence(client, users):
    claim = ClaimFactory(text="Ketamine cures tinnitus", slug="tinnitus", status="draft", grade="very_low")
    url = reverse("admin:claims_claim_change", args=[claim.pk])
    client.force_login(users["editor"])
    data = _admin_form_data(client.get(url))
    assert data["evidence-TOTAL_FORMS"] == 0  # the evidence inline is posted, empty
    data.update(verdict="supported", summary="It works.")
    response = client.post(url, data)
    assert response.status_code == 200
    html = response.content.decode()
    assert SUPPORTED_ONLY_BY_EVIDENCE in _words(html) and "choose another verdict" in _words(html)
    claim.refresh_from_db()
    assert (claim.verdict, claim.summary, claim.version) == ("not_assessed", "", 1)
    # Insufficient evidence is what a claim nothing tests gets, and it saves.
    data.update(verdict="insufficient_evidence")
    assert client.post(url, data).status_code == 302
    claim.refresh_from_db()
    assert claim.verdict == "insufficient_evidence"


def test_removing_the_last_study_of_a_supported_claim_is_refused_and_the_study_stays(client, users):
    claim = ClaimFactory(text="Ketamine reduces PTSD symptoms", slug="ptsd", status="draft", verdict="supported")
    evidence = EvidenceFactory(claim=claim, study=StudyFactory(design="rct"))
    url = reverse("admin:claims_claim_change", args=[claim.pk])
    client.force_login(users["editor"])
    data = _admin_form_data(client.get(url))
    data.update({"evidence-0-DELETE": "on", "grade_override_reason": "Kept while the evidence is rebuilt."})
    response = client.post(url, data)
    assert response.status_code == 200
    assert SUPPORTED_ONLY_BY_EVIDENCE in _words(response.content.decode())
    assert Evidence.objects.filter(pk=evidence.pk).exists()


def test_a_new_claim_cannot_be_added_as_supported_without_evidence(client, users):
    client.force_login(users["editor"])
    data = {
        "text": "Ketamine cures everything", "slug": "cures-everything", "category": "efficacy", "verdict": "supported",
        "grade": "very_low", "risk_of_bias": "none", "inconsistency": "none", "indirectness": "none",
        "imprecision": "none", "publication_bias": "none", "large_effect": "0",
    }  # fmt: skip
    for prefix in ("evidence", "effect_estimates", "assertions", "changes"):
        data.update({f"{prefix}-TOTAL_FORMS": "0", f"{prefix}-INITIAL_FORMS": "0"})
    response = client.post(reverse("admin:claims_claim_add"), data)
    assert response.status_code == 200
    assert SUPPORTED_ONLY_BY_EVIDENCE in _words(response.content.decode())
    assert not Claim.objects.filter(slug="cures-everything").exists()


# --- a condition cannot lie within itself --------------------------------------------------------------------------


def _condition_form(condition: Condition, **changes) -> dict:
    data = {
        "name": condition.name, "slug": condition.slug, "aliases": json.dumps(condition.aliases),
        "parent": condition.parent_id or "", "description": condition.description,
        "bottom_line_draft": condition.bottom_line_draft,
    }  # fmt: skip
    return {**data, **changes}


@pytest.fixture
def depression_tree(db):
    mood = ConditionFactory(name="Mood disorders", slug="mood-disorders")
    depression = ConditionFactory(name="Depression", slug="depression", parent=mood)
    trd = ConditionFactory(name="Treatment-resistant depression", slug="trd", parent=depression)
    # A published claim about TRD makes the tree public (claims.public): a condition no published claim uses has no
    # page, bottom line or not.
    ClaimFactory(text="Ketamine helps treatment-resistant depression", slug="trd-helps").conditions.add(trd)
    return {"mood": mood, "depression": depression, "trd": trd}


CYCLES = [("mood", "trd"), ("mood", "depression"), ("depression", "depression")]  # (moved, its new parent)


@pytest.mark.parametrize(("moved", "new_parent"), CYCLES)
def test_the_condition_admin_refuses_a_parent_that_makes_a_condition_its_own_ancestor(
    client, users, depression_tree, moved, new_parent
):
    condition, parent = depression_tree[moved], depression_tree[new_parent]
    client.force_login(users["editor"])
    url = reverse("admin:claims_condition_change", args=[condition.pk])
    response = client.post(url, _condition_form(condition, parent=parent.pk, description="Moved."))
    assert response.status_code == 200
    assert "cannot be its own ancestor" in _field_error(response.content.decode(), "id_parent")
    condition.refresh_from_db()
    assert condition.parent_id == (None if moved == "mood" else depression_tree["mood"].pk)
    assert condition.description == ""


def test_the_condition_admin_saves_a_parent_that_makes_no_cycle(client, users, depression_tree):
    anxiety = ConditionFactory(name="Anxiety", slug="anxiety")
    client.force_login(users["editor"])
    url = reverse("admin:claims_condition_change", args=[anxiety.pk])
    assert client.post(url, _condition_form(anxiety, parent=depression_tree["mood"].pk)).status_code == 302
    anxiety.refresh_from_db()
    assert anxiety.parent == depression_tree["mood"]


# --- bad input through import_document -----------------------------------------------------------------------------


def test_an_import_with_a_bad_estimate_changes_nothing_in_an_existing_knowledge_base(traced):
    EffectEstimateFactory(
        claim=traced["claim"], study=traced["study"], outcome="Response", value=3.5, ci_low=2.1, ci_high=5.8,
        participants=120, studies=3,
    )  # fmt: skip
    before = export_document()
    doc = copy.deepcopy(before)
    doc["claims"][0]["text"] = "Edited in the file"
    doc["conditions"][0]["bottom_line"] = "A new bottom line."
    doc["effect_estimates"][0]["participants"] = -120
    with pytest.raises(ImportRefused) as refused:
        import_document(doc)
    assert "effect_estimates[0].participants" in str(refused.value)
    assert export_document() == before


# --- the bottom line's review ----------------------------------------------------------------------------------------


@pytest.fixture
def second_reviewer(db):
    user = get_user_model().objects.create_user("rita", password="pw-rita-123!", is_staff=True)
    user.groups.add(Group.objects.get(name="Reviewer"))
    return user


def _step(client, action: str, condition: Condition) -> str:
    """Run a bottom-line action from the condition list and confirm it; the messages shown afterwards."""
    changelist = reverse("admin:claims_condition_changelist")
    selected = {"action": f"{action}_bottom_lines", "_selected_action": [condition.pk]}
    confirm = client.post(changelist, selected)
    assert confirm.status_code == 200 and "Yes, " in confirm.content.decode()
    response = client.post(changelist, {**selected, "confirm": "yes"}, follow=True)
    return _words(response.content.decode().split('<ul class="messagelist">', 1)[1].split("</ul>", 1)[0])


def _bottom_line(client, condition: Condition) -> str:
    html = client.get(condition.get_absolute_url()).content.decode()
    return html.split('id="bottom-line-title"', 1)[1].split("</section>", 1)[0]


def test_an_editors_bottom_line_reaches_readers_only_once_a_reviewer_publishes_it(
    client, users, depression_tree, second_reviewer
):
    trd = depression_tree["trd"]
    assert "Editors have not yet written a bottom line" in _bottom_line(client, trd)  # cached for readers now
    client.force_login(users["editor"])
    url = reverse("admin:claims_condition_change", args=[trd.pk])
    text = "About **half** of people respond within a day. The effect fades within a week."
    assert client.post(url, _condition_form(trd, bottom_line_draft=text)).status_code == 302
    assert "a draft; readers see no bottom line" in _words(client.get(url).content.decode())
    client.logout()
    assert "half" not in _bottom_line(client, trd)

    client.force_login(users["editor"])
    assert "1 bottom line submitted for review." in _step(client, "submit", trd)
    changelist = client.get(reverse("admin:claims_condition_changelist")).content.decode()
    assert 'value="publish_bottom_lines"' not in changelist  # not offered to an editor
    with pytest.raises(services.WorkflowError, match="Only reviewers can publish bottom lines"):
        services.publish_bottom_line(Condition.objects.get(pk=trd.pk), users["editor"])
    client.logout()
    assert "half" not in _bottom_line(client, trd)

    client.force_login(second_reviewer)
    assert "1 bottom line published." in _step(client, "publish", trd)
    client.logout()
    shown = _bottom_line(client, trd)
    assert "About <strong>half</strong> of people respond within a day." in shown
    today = timezone.localdate()
    assert f"Last reviewed {today.day} {today:%B %Y} by a reviewer." in _words(shown)
    page = _words(client.get(trd.get_absolute_url()).content.decode())
    for name in ("edna", "rita", "rex"):
        assert not re.search(rf"\b{name}\b", page), name


def test_a_reviewer_cannot_publish_the_bottom_line_they_wrote(client, users, depression_tree, second_reviewer):
    trd = depression_tree["trd"]
    client.force_login(users["reviewer"])
    url = reverse("admin:claims_condition_change", args=[trd.pk])
    client.post(url, _condition_form(trd, bottom_line_draft="Ketamine helps within a day."))
    assert "1 bottom line submitted for review." in _step(client, "submit", trd)
    messages = _step(client, "publish", trd)
    assert "Not published: You wrote the bottom line of Treatment-resistant depression, so another reviewer must" in (
        messages
    )
    assert "bottom line published" not in messages
    trd.refresh_from_db()
    assert (trd.bottom_line, trd.bottom_line_status, trd.reviewed_at) == ("", "in_review", None)
    client.logout()
    assert "Ketamine helps within a day." not in _bottom_line(client, trd)
    client.force_login(second_reviewer)
    assert "1 bottom line published." in _step(client, "publish", trd)


def test_a_draft_cannot_be_published_before_it_is_submitted(client, users, depression_tree, second_reviewer):
    trd = depression_tree["trd"]
    client.force_login(users["editor"])
    client.post(
        reverse("admin:claims_condition_change", args=[trd.pk]),
        _condition_form(trd, bottom_line_draft="Skipping the review."),
    )
    client.force_login(second_reviewer)
    assert "is not in review" in _step(client, "publish", trd)
    client.logout()
    assert "Skipping the review." not in _bottom_line(client, trd)


def test_editing_a_published_bottom_line_keeps_it_public_until_the_new_one_is_published(
    client, users, depression_tree, second_reviewer
):
    trd = depression_tree["trd"]
    url = reverse("admin:claims_condition_change", args=[trd.pk])
    client.force_login(users["editor"])
    client.post(url, _condition_form(trd, bottom_line_draft="The old bottom line."))
    _step(client, "submit", trd)
    client.force_login(second_reviewer)
    _step(client, "publish", trd)
    client.logout()
    assert "The old bottom line." in _bottom_line(client, trd)

    client.force_login(users["editor"])
    trd.refresh_from_db()
    client.post(url, _condition_form(trd, bottom_line_draft="The new bottom line."))
    admin_page = _words(client.get(url).content.decode())
    assert "a draft; readers see the published text below" in admin_page
    client.logout()
    shown = _bottom_line(client, trd)
    assert "The old bottom line." in shown and "The new bottom line." not in shown

    client.force_login(users["editor"])
    _step(client, "submit", trd)
    client.logout()
    assert "The old bottom line." in _bottom_line(client, trd)

    client.force_login(second_reviewer)
    _step(client, "publish", trd)
    client.logout()
    shown = _bottom_line(client, trd)
    assert "The new bottom line." in shown and "The old bottom line." not in shown


def test_a_superuser_publishes_their_own_bottom_line_only_with_an_override_and_a_reason(users, depression_tree):
    admin, trd = users["admin"], depression_tree["trd"]
    services.save_bottom_line(trd, admin, "Written by the only editor on call.")
    trd.save()
    services.submit_bottom_line(trd, admin)
    with pytest.raises(services.WorkflowError, match="self-approval override"):
        services.publish_bottom_line(trd, admin)
    with pytest.raises(services.WorkflowError, match="self-approval override"):
        services.publish_bottom_line(trd, admin, override=True, reason="  ")
    services.publish_bottom_line(trd, admin, override=True, reason="Urgent correction.")
    trd.refresh_from_db()
    assert (trd.bottom_line, trd.reviewed_role) == ("Written by the only editor on call.", "administrator")


def test_a_bottom_line_is_shown_as_sanitised_markdown(client, users, depression_tree, second_reviewer):
    trd = depression_tree["trd"]
    client.force_login(users["editor"])
    client.post(
        reverse("admin:claims_condition_change", args=[trd.pk]),
        _condition_form(trd, bottom_line_draft="Works *fast*.<script>alert(1)</script>"),
    )
    _step(client, "submit", trd)
    client.force_login(second_reviewer)
    _step(client, "publish", trd)
    client.logout()
    shown = _bottom_line(client, trd)
    assert "<em>fast</em>" in shown and "<script" not in shown
