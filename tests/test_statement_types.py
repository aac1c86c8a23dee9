"""Good-practice statements and recommendations: GRADE rates effects; advice is shown as what it is."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from claims import services
from claims.models import Claim
from tests.factories import ClaimFactory, ConditionFactory, EvidenceFactory, StudyFactory

pytestmark = pytest.mark.django_db


def _jsonld(response) -> dict:
    html = response.content.decode()
    return json.loads(html.split('<script type="application/ld+json">')[1].split("</script>")[0])


@pytest.fixture
def monitoring(db):
    """A good-practice statement, graded by no one, in review."""
    return ClaimFactory(
        text="Patients are monitored for two hours after each dose",
        slug="monitor-two-hours",
        category="administration",
        statement_type="good_practice",
        verdict="supported",
        grade="not_graded",
        status="in_review",
    )


def test_a_good_practice_statement_is_published_without_a_certainty_grade(monitoring, users):
    EvidenceFactory(claim=monitoring, study=StudyFactory(design="regulatory"))
    services.publish(monitoring, users["reviewer"])
    monitoring.refresh_from_db()
    assert monitoring.status == "published"


def test_an_effect_claim_without_a_grade_still_cannot_be_published(monitoring, users):
    Claim.objects.filter(pk=monitoring.pk).update(statement_type="effect")
    monitoring.refresh_from_db()
    with pytest.raises(services.WorkflowError, match="only a good-practice statement can"):
        services.publish(monitoring, users["reviewer"])


def test_the_claim_page_says_a_good_practice_statement_is_not_rated_for_certainty(client, monitoring):
    Claim.objects.filter(pk=monitoring.pk).update(status="published")
    response = client.get(monitoring.get_absolute_url())
    html = response.content.decode()
    assert "Administration claim · good-practice statement" in html
    assert "Good-practice statement (not rated for certainty)" in html
    assert "Not yet graded" not in html.split('class="answer"')[1].split("</div>")[0]
    rating = _jsonld(response)["reviewRating"]
    assert rating["alternateName"] == "Supported (good-practice statement, not rated for certainty)"
    assert rating["ratingValue"] == 5


def test_lists_show_a_good_practice_statement_as_such(client, monitoring):
    monitoring.status, monitoring.applies_generally = "published", True
    monitoring.save()  # through save(): the condition pages' stored entries are rewritten (claims/figures.py)
    # A general claim is on every (public) condition page; a condition is public once a published claim is about it.
    ClaimFactory(slug="ptsd-helps").conditions.add(ConditionFactory(slug="ptsd", name="PTSD"))
    html = client.get("/conditions/ptsd/").content.decode()
    row = html.split('href="/claims/monitor-two-hours/"')[1].split("</li>")[0]
    assert "Good-practice statement (not rated for certainty)" in row and "Not yet graded" not in row


def test_a_recommendation_keeps_the_certainty_of_its_evidence(client):
    claim = ClaimFactory(text="Benefits outweigh risks", slug="benefits", statement_type="recommendation",
                         verdict="partly_supported", grade="low")  # fmt: skip
    html = client.get(claim.get_absolute_url()).content.decode()
    assert "claim · recommendation" in html and "Low certainty" in html


def test_the_admin_refuses_a_certainty_grade_on_a_good_practice_statement(client, users, monitoring):
    client.force_login(users["reviewer"])
    url = reverse("admin:claims_claim_change", args=[monitoring.pk])
    page = client.get(url)
    form = page.context["adminform"].form
    data = {name: form[name].value() for name in form.fields if form[name].value() is not None}
    data = {k: ("" if v is None else v) for k, v in data.items() if not isinstance(v, list)}
    data.update(grade="moderate", text=monitoring.text, slug=monitoring.slug, tags="")
    for prefix in ("evidence", "effect_estimates", "assertions", "changes"):
        data.update({f"{prefix}-TOTAL_FORMS": "0", f"{prefix}-INITIAL_FORMS": "0"})
    response = client.post(url, data)
    assert response.status_code == 200
    assert "A good-practice statement is not rated for certainty" in response.content.decode()
    monitoring.refresh_from_db()
    assert monitoring.grade == "not_graded"
