"""Full history (django-simple-history): every change of what readers see is recorded with who, when, what and why,
workflow writes included, and editors see it with a diff in the admin."""

from __future__ import annotations

import pytest
from django.urls import reverse

from claims import services
from claims.models import Assertion, Claim, Condition, EffectEstimate, Evidence, Status
from sources.models import Source, Study
from tests.factories import (
    AssertionFactory,
    ClaimFactory,
    ConditionFactory,
    EffectEstimateFactory,
    EvidenceFactory,
    SourceFactory,
    StudyFactory,
)
from tests.test_workflow import _admin_form_data

pytestmark = pytest.mark.django_db


@pytest.fixture
def draft(users):
    claim = ClaimFactory(text="Ketamine reduces suicidal ideation", slug="suicidal-ideation", status="draft",
                         grade="very_low", last_edited_by=users["editor"])  # fmt: skip
    return claim


def test_changing_a_claims_wording_in_the_admin_is_recorded_with_who_and_what(client, users, draft):
    client.force_login(users["editor"])
    url = reverse("admin:claims_claim_change", args=[draft.pk])
    data = _admin_form_data(client.get(url))
    data.update(text="Ketamine quickly reduces suicidal ideation")
    assert client.post(url, data).status_code == 302
    latest = draft.history.latest()
    assert latest.history_user == users["editor"] and latest.history_type == "~"
    delta = latest.diff_against(latest.prev_record)
    assert ("text", "Ketamine reduces suicidal ideation", "Ketamine quickly reduces suicidal ideation") in [
        (c.field, c.old, c.new) for c in delta.changes
    ]
    # The admin's history page lists the version with its editor and the change, old → new.
    page = client.get(reverse("admin:claims_claim_history", args=[draft.pk])).content.decode()
    assert "edna" in page and "Ketamine quickly reduces suicidal ideation" in page
    change = page.split("<strong>Text:</strong>", 1)[1].split("</li>", 1)[0]
    assert "Ketamine reduces suicidal ideation" in change and "&rarr;" in change


def test_workflow_steps_written_with_update_are_recorded_with_their_reason(users, draft):
    services.submit_for_review(draft, users["editor"])
    services.publish(draft, users["reviewer"])
    services.return_to_draft(draft, users["reviewer"], "Evidence base misses Wilkinson 2018.")
    records = list(draft.history.order_by("history_date", "history_id"))
    statuses = [(r.status, r.history_user.username if r.history_user else None) for r in records]
    assert statuses[-3:] == [("in_review", "edna"), ("published", "rex"), ("draft", "rex")]
    assert records[-1].history_change_reason == "Evidence base misses Wilkinson 2018."
    assert records[-2].reviewed_role == "reviewer" and records[-2].published_at is not None
    assert records[-3].history_change_reason == "Status: draft → in_review."


def test_a_recomputed_grading_is_recorded(users, draft):
    EvidenceFactory(claim=draft, study=StudyFactory(design="rct"))
    before = draft.history.count()
    services.refresh_grading(draft, users["editor"])
    assert draft.history.count() == before + 1
    latest = draft.history.latest()
    assert (latest.starting_level, latest.suggested_grade) == ("high", "high")
    assert latest.history_change_reason == "Grading recomputed from the evidence base."
    services.refresh_grading(draft, users["editor"])  # nothing changed: nothing recorded
    assert draft.history.count() == before + 1


def test_a_bottom_lines_review_is_recorded(users):
    condition = ConditionFactory(name="PTSD", slug="ptsd")
    services.save_bottom_line(condition, users["editor"], "About half respond within a day.")
    condition.save()
    services.submit_bottom_line(condition, users["editor"])
    services.publish_bottom_line(condition, users["reviewer"])
    records = list(condition.history.order_by("history_date", "history_id"))
    assert [(r.bottom_line_status, r.bottom_line) for r in records[-2:]] == [
        ("in_review", ""),
        ("published", "About half respond within a day."),
    ]
    assert records[-1].history_user == users["reviewer"]


@pytest.mark.parametrize(
    ("factory", "model"),
    [
        (AssertionFactory, Assertion),
        (EvidenceFactory, Evidence),
        (SourceFactory, Source),
        (StudyFactory, Study),
        (ConditionFactory, Condition),
        (ClaimFactory, Claim),
    ],
)
def test_every_content_model_keeps_its_versions_and_deletions(factory, model):
    obj = factory()
    obj.save()
    pk = obj.pk
    obj.delete()
    types = list(model.history.filter(id=pk).order_by("history_date", "history_id").values_list("history_type"))
    assert [t for (t,) in types] == ["+", "~", "-"]


def test_effect_estimates_keep_their_versions(site_content):
    estimate = EffectEstimateFactory(claim=site_content["helps"], study=site_content["rct"])
    estimate.value = 3.6
    estimate.excerpt = "Response at 24 hours: OR 3.6 (95% CI 2.1 to 5.8; 3 studies, 120 participants)."
    estimate.save()
    values = list(EffectEstimate.history.filter(id=estimate.pk).order_by("history_date").values_list("value"))
    assert values == [(3.5,), (3.6,)]


def test_a_sources_history_does_not_copy_its_archived_text(site_content):
    source = site_content["clinic"]
    source.title = "Clinic page (renamed)"
    source.save()
    latest = source.history.latest()
    assert latest.title == "Clinic page (renamed)"
    assert not hasattr(latest, "text")


def test_editors_see_the_history_but_cannot_revert_from_it(client, users, draft):
    draft.text = "Ketamine reduces suicidal thoughts"
    draft.save()
    client.force_login(users["editor"])
    page = client.get(reverse("admin:claims_claim_history", args=[draft.pk]))
    assert page.status_code == 200
    old = draft.history.earliest()
    version = reverse("admin:claims_claim_simple_history", args=[draft.pk, old.history_id])
    shown = client.get(version).content.decode()  # the old version, read-only (SIMPLE_HISTORY_REVERT_DISABLED)
    assert "Ketamine reduces suicidal ideation" in shown and 'name="_save"' not in shown
    client.post(version, _admin_form_data(client.get(reverse("admin:claims_claim_change", args=[draft.pk]))))
    draft.refresh_from_db()
    assert draft.text == "Ketamine reduces suicidal thoughts"
    assert draft.status == Status.DRAFT


def test_tags_their_renames_and_a_claims_links_are_recorded(client, users, draft):
    from taggit.models import Tag

    ptsd = ConditionFactory(name="PTSD", slug="ptsd")
    client.force_login(users["editor"])
    url = reverse("admin:claims_claim_change", args=[draft.pk])
    data = _admin_form_data(client.get(url))
    data.update(tags="rapid", conditions=[str(ptsd.pk)])
    assert client.post(url, data).status_code == 302
    tagged = draft.tagged_items.get()
    put_on = tagged.history.get()
    assert put_on.history_type == "+" and put_on.history_user == users["editor"] and put_on.tag.name == "rapid"
    # The claim's version after the link carries the conditions it was linked to.
    assert [c.condition_id for c in draft.history.latest().conditions.all()] == [ptsd.pk]
    # A tag renamed in the admin keeps its old name in the history.
    tag = Tag.objects.get(name="rapid")
    client.force_login(users["reviewer"])
    url = reverse("admin:taggit_tag_change", args=[tag.pk])
    assert client.post(url, {"name": "rapid onset", "slug": "rapid-onset"}).status_code == 302
    names = [row.name for row in tag.history.order_by("history_date")]
    assert names == ["rapid", "rapid onset"]
    assert tag.history.latest().history_user == users["reviewer"]
    # Taking the tag off is recorded too.
    draft.tags.set([])
    assert tagged.history.latest().history_type == "-"
