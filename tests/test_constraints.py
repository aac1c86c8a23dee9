"""Integrity lives in the database: duplicates and bad values are refused even when forms are bypassed."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import ProtectedError

from claims.models import Assertion, Claim
from sources.models import Study
from tests.factories import AssertionFactory, ClaimFactory, SourceFactory, StudyFactory

pytestmark = pytest.mark.django_db


def test_two_claims_cannot_share_a_slug():
    ClaimFactory(slug="ketamine-blocks-nmda")
    with pytest.raises(IntegrityError), transaction.atomic():
        ClaimFactory(slug="ketamine-blocks-nmda")


def test_two_sources_cannot_share_a_slug():
    SourceFactory(slug="same")
    with pytest.raises(IntegrityError), transaction.atomic():
        SourceFactory(slug="same")


def test_a_malformed_doi_is_refused_by_validation_and_by_the_database():
    study = StudyFactory.build(doi="not-a-doi")
    with pytest.raises(ValidationError) as excinfo:
        study.full_clean()
    assert "doi" in excinfo.value.message_dict
    with pytest.raises(IntegrityError), transaction.atomic():
        study.save()


def test_a_doi_pasted_as_a_link_is_stored_as_the_bare_identifier():
    study = StudyFactory(doi="https://doi.org/10.1001/ARCHPSYC.63.8.856")
    study.refresh_from_db()
    assert study.doi == "10.1001/archpsyc.63.8.856"
    assert study.doi_url == "https://doi.org/10.1001/archpsyc.63.8.856"


def test_two_studies_cannot_share_a_doi_whatever_its_case():
    StudyFactory(doi="10.1001/archpsyc.63.8.856")
    with pytest.raises(IntegrityError), transaction.atomic():
        Study.objects.create(label="Copy", slug="copy", design="rct", doi="10.1001/ARCHPSYC.63.8.856")


def test_many_studies_may_have_no_doi_or_pmid():
    StudyFactory(doi="", pmid=None)
    StudyFactory(doi="", pmid=None)
    assert Study.objects.filter(doi="", pmid__isnull=True).count() == 2


def test_two_studies_cannot_share_a_pmid():
    StudyFactory(pmid=16894061)
    with pytest.raises(IntegrityError), transaction.atomic():
        StudyFactory(pmid=16894061)


@pytest.mark.parametrize(
    ("field", "value"),
    [("grade", "medium"), ("status", "live"), ("category", "vibes"), ("risk_of_bias", "a bit")],
)
def test_an_unknown_enumeration_value_is_refused_by_the_database(field, value):
    claim = ClaimFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        Claim.objects.filter(pk=claim.pk).update(**{field: value})


def test_an_unknown_stance_is_refused_by_the_database():
    assertion = AssertionFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        Assertion.objects.filter(pk=assertion.pk).update(stance="agrees")


def test_a_source_states_a_claim_with_the_same_quote_only_once():
    assertion = AssertionFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        AssertionFactory(claim=assertion.claim, source=assertion.source, quote=assertion.quote)


def test_a_study_cited_by_an_assertion_cannot_be_deleted_from_under_it():
    study = StudyFactory()
    AssertionFactory(cited_study=study)
    with pytest.raises(ProtectedError), transaction.atomic():
        study.delete()


def test_saving_a_source_records_the_sha256_of_its_text():
    source = SourceFactory(text="abc")
    assert source.text_sha256 == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
