"""What the importer learns from the labelled articles (h15j): the claim filter that drops clauses stating no claim,
the category model that votes on a candidate's likely categories, and list lead-ins that frame their items as who
should or should not have the treatment."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from django.conf import settings
from django.core.management import call_command

from importer import bench, categorymodel, claimfilter, services
from importer.claimfilter import FEATURES, ClaimFilter
from importer.extract import (
    SKIPPED_REASONS,
    ClaimIndex,
    ClaimRecord,
    extract,
    frames_candidacy,
    likely_categories,
    relevant_clauses,
)
from importer.models import Candidate
from tests.factories import (
    BLOOD_PRESSURE_RISE,
    NOT_SAFE_IF_YOU_HAVE,
    UNSUITABLE_WITH_HIGH_BLOOD_PRESSURE,
    blood_pressure_claims,
)

FIXTURE = Path(settings.BASE_DIR) / "fixtures" / "kb.json"


def _by_length(threshold: float) -> ClaimFilter:
    """A filter that trusts longer clauses: its probability grows with the clause's length in words."""
    coef = np.zeros(len(FEATURES))
    coef[FEATURES.index("log_words")] = 4.0
    return ClaimFilter(np.zeros(len(FEATURES)), np.ones(len(FEATURES)), coef, -8.0, threshold)


TEXT = (
    "Ketamine is an anaesthetic that doctors now use for depression.\n"
    "Patients who try it often notice a change within hours.\n"
    "Side effects are mild.\n"
    "It is addictive.\n"
)


# --- the claim filter ------------------------------------------------------------------------------------------------


def test_the_claim_filter_drops_what_it_is_sure_states_no_claim_and_the_summary_counts_it():
    skipped = Counter()
    found = [s.text for s, _ in relevant_clauses(TEXT, skipped, claim_filter=_by_length(0.5))]
    # "Side effects are mild." (4 words) scores 1 / (1 + e^(8 - 4 log 4)) = 0.20: dropped; longer ones kept
    assert "Side effects are mild." not in found
    assert "Patients who try it often notice a change within hours." in found
    assert skipped["unlikely"] == 1
    assert SKIPPED_REASONS["unlikely"] == "sentences the learned claim filter judged to state no claim"
    # without a filter every relevant sentence is kept
    assert "Side effects are mild." in [s.text for s, _ in relevant_clauses(TEXT, claim_filter=None)]


def test_a_short_sentence_about_ketamine_itself_is_never_judged():
    found = [s.text for s, _ in relevant_clauses(TEXT, claim_filter=_by_length(0.99))]
    assert found == ["Ketamine is an anaesthetic that doctors now use for depression.", "It is addictive."]
    assert not claimfilter.judged("It is addictive.", "It is addictive.")
    assert not claimfilter.judged("“It’s not a cure,” she said.", "“It’s not a cure,” she said.")
    assert claimfilter.judged("Ketamine is not a cure", "Ketamine is not a cure, and nobody says so.")


def test_a_clause_dropped_from_a_sentence_leaves_its_other_clauses():
    text = "Ketamine works within a few hours of the first infusion for most patients, but it is costly.\n"
    everything = [c.text for _, parts in relevant_clauses(text, claim_filter=None) for c in parts]
    assert everything == [
        "Ketamine works within a few hours of the first infusion for most patients",
        "but it is costly.",
    ]
    skipped = Counter()
    kept = [c.text for _, parts in relevant_clauses(text, skipped, claim_filter=_by_length(0.9)) for c in parts]
    assert kept == everything[:1]
    assert not skipped["unlikely"]  # the sentence is still proposed
    assert skipped["unlikely-part"] == 1  # and the clause it lost is counted


@pytest.mark.django_db
def test_the_import_summary_counts_every_clause_the_claim_filter_drops(monkeypatch):
    monkeypatch.setattr(claimfilter, "default_filter", lambda: _by_length(0.9))
    text = (
        "Ketamine works within a few hours of the first infusion for most patients, but it is costly.\n"
        "Side effects are mild.\n"
    )
    summary = services.import_article(text.encode(), name="a.txt", title="Ketamine costs", kind="news")
    quotes = set(Candidate.objects.values_list("quote", flat=True))
    assert quotes == {"Ketamine works within a few hours of the first infusion for most patients"}
    said = " ".join(summary.lines())
    assert "Sentences read: 2." in said  # a sentence that lost a clause is still one sentence read
    assert "1 sentences the learned claim filter judged to state no claim" in said
    assert "1 clauses the learned claim filter dropped from sentences otherwise proposed" in said


def test_the_threshold_drops_at_most_the_budget_of_the_clauses_holding_an_answer():
    probabilities = np.array([0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9])
    labels = np.array([0, 1, 0, 1, 1, 1, 1, 1, 1, 1])
    assert claimfilter.threshold_for(probabilities, labels, budget=0.0) == 0.1  # keeps every answer
    assert claimfilter.threshold_for(probabilities, labels, budget=0.125) == 0.3  # may drop one of the eight
    dropped = probabilities < claimfilter.threshold_for(probabilities, labels, budget=0.125)
    assert labels[dropped].sum() == 1


def test_each_article_is_read_with_a_claim_filter_fitted_without_it(monkeypatch):
    document = json.loads(FIXTURE.read_text(encoding="utf-8"))
    articles = bench.labelled_articles(document)
    assert len(articles) >= 6 and any(a.name.endswith(".html") for a in articles)
    seen = []
    real_fit = claimfilter.fit

    def spy(matrix, labels, names, budget=claimfilter.BUDGET):
        seen.append(set(names))
        return real_fit(matrix, labels, names, budget)

    monkeypatch.setattr(claimfilter, "fit", spy)
    folds = bench.claim_filter_folds(articles)
    assert set(folds) == {a.name for a in articles}
    assert len(seen) == len(articles)
    for article, names in zip(articles, seen, strict=True):
        assert article.name not in names and len(names) == len(articles) - 1


def test_the_committed_claim_filter_is_a_fresh_fit_of_every_labelled_article():
    call_command("fit_claim_filter", "--check")  # raises CommandError when importer/claimfilter.json is stale
    committed = claimfilter.default_filter()
    assert 0 < committed.threshold < 0.5  # it drops only clauses it is sure of
    assert committed.coef[FEATURES.index("item")] > 0  # a list item usually is a claim


# --- the category model ----------------------------------------------------------------------------------------------

ROWS = [
    ("Esketamine is approved by the FDA for depression", "indication"),
    ("The nasal spray is FDA approved for adults with depression", "indication"),
    ("It is approved for treatment-resistant depression", "indication"),
    ("Ketamine is given as an infusion into a vein", "administration"),
    ("The infusion is given over forty minutes in a clinic", "administration"),
    ("Patients sit in a chair while the infusion is given", "administration"),
    ("Nausea and dizziness are common during a session", "side_effect"),
    ("Some people feel dizzy or sick afterwards", "side_effect"),
    ("Headache and nausea can follow the session", "side_effect"),
]


def test_the_category_model_learns_how_articles_word_a_category():
    model = categorymodel.fit([t for t, _ in ROWS], [c for _, c in ROWS])
    assert model.ranking("Only the spray is approved by the FDA")[0] == "indication"
    assert model.ranking("Expect some nausea")[0] == "side_effect"
    assert model.ranking("Wording it has never seen")[:1] != []


def test_the_category_model_computes_what_scikit_learn_fitted_and_survives_its_file():
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    texts, labels = [t for t, _ in ROWS], [c for _, c in ROWS]
    model = categorymodel.fit(texts, labels)
    vectorizer = TfidfVectorizer(analyzer=categorymodel.category_terms, sublinear_tf=True, min_df=2)
    reference = LogisticRegression(C=categorymodel.C, max_iter=5000, tol=1e-8).fit(
        vectorizer.fit_transform(texts), labels
    )
    clause = "The infusion is approved, but nausea is common"
    expected = reference.predict_proba(vectorizer.transform([clause]))[0]
    assert np.allclose(model.probabilities(clause), expected, atol=1e-9)
    stored = categorymodel.CategoryModel.from_dict(json.loads(json.dumps(model.as_dict())))
    assert np.allclose(stored.probabilities(clause), expected, atol=1e-3)  # four decimals in the file
    # The last text read is kept (rank_clause reads each clause twice): another text in between is read afresh, and
    # what a caller gets cannot be changed under the next one.
    other = "Ketamine works within hours"
    expected_other = reference.predict_proba(vectorizer.transform([other]))[0]
    assert np.allclose(model.probabilities(other), expected_other, atol=1e-9)
    first = model.probabilities(clause)
    assert np.allclose(first, expected, atol=1e-9) and model.probabilities(clause) is first
    with pytest.raises(ValueError):
        first[0] = 1.0


def test_the_category_model_votes_on_the_second_and_third_guess_never_the_first():
    model = categorymodel.fit([t for t, _ in ROWS], [c for _, c in ROWS])
    clause = "Ketamine infusions are approved and given in a clinic"
    ranked = [(ClaimRecord(1, "Ketamine is given as an infusion.", "administration"), 0.9)]
    without = likely_categories(clause, ranked, None, category_model=None)
    with_model = likely_categories(clause, ranked, None, category_model=model)
    assert without[0] == with_model[0] == "administration"
    assert "indication" not in without[:3]
    assert "indication" in with_model[1:3]  # the model's own first choice after the suggestions'


def test_each_article_is_read_with_a_category_model_fitted_without_its_answers(monkeypatch):
    document = json.loads(FIXTURE.read_text(encoding="utf-8"))
    articles = bench.labelled_articles(document)
    rows = bench.category_rows(articles)
    texts_of = {article.name: {t for a, t, _ in rows if a == article.name} for article in articles}
    seen = []
    monkeypatch.setattr(categorymodel, "fit", lambda texts, labels: seen.append(set(texts)) or None)
    bench.category_model_folds(articles)
    for article, texts in zip(articles, seen, strict=True):
        assert texts_of[article.name] - texts  # its own clauses are missing (another article may share a wording)
        assert texts and all(texts_of[o.name] <= texts for o in articles if o.name != article.name)


def test_the_committed_category_model_is_a_fresh_fit_of_every_labelled_answer():
    call_command("fit_category_model", "--check")  # raises CommandError when importer/categorymodel.json is stale
    assert set(categorymodel.default_model().classes) == {
        "administration", "candidacy", "duration", "efficacy", "history", "indication", "mechanism", "onset",
        "safety", "side_effect",
    }  # fmt: skip


# --- list lead-ins about who should (not) have the treatment ------------------------------------------------------


@pytest.mark.parametrize(
    "lead",
    [
        "It may not be safe if you have:",
        "You shouldn’t take ketamine if you have:",
        "Avoid ketamine if you:",
        "Ketamine is contraindicated in:",
        "It is not recommended for people with:",
        "Good candidates include people who:",
        "It’s generally considered for people who:",
        "We usually recommend it for adults who:",
        "We may recommend ketamine-assisted therapy if you:",
        "Ketamine may be worth discussing with us if you:",
        "We’ll talk through your history carefully if you have:",
        "Your psychiatrist may suggest ketamine or esketamine if you:",
    ],
)
def test_a_lead_in_about_who_should_or_should_not_have_it_frames_candidacy(lead):
    assert frames_candidacy(lead)


@pytest.mark.parametrize(
    "lead",
    ["Rare but serious side effects include:", "Common ones include:", "Here’s what to watch for:", "Key takeaways",
     "Ketamine can be given in several ways:", "Patients often report:",
     "Call us right away if you have:", "Seek emergency care if you notice:",
     "We recommend eating lightly. Tell the nurse if you feel:"],
)  # fmt: skip
def test_other_lead_ins_do_not_frame_candidacy(lead):
    assert not frames_candidacy(lead)


CLAIMS = [
    ClaimRecord(1, BLOOD_PRESSURE_RISE, "side_effect",
                ("a rise in blood pressure during the infusion", "blood pressure goes up for a while")),
    ClaimRecord(2, UNSUITABLE_WITH_HIGH_BLOOD_PRESSURE, "candidacy"),
    ClaimRecord(3, "Ketamine commonly causes nausea.", "side_effect", ("nausea is common",)),
]  # fmt: skip


def test_an_item_under_a_contraindication_lead_in_is_offered_the_candidacy_claim_first():
    index = ClaimIndex(CLAIMS, reranker=None)
    (candidate,) = [c for c in extract(NOT_SAFE_IF_YOU_HAVE, index, claim_filter=None) if c.sentence.kind == "item"]
    assert [cid for cid, _, _ in candidate.suggestions][:2] == [2, 1]
    assert candidate.category == "candidacy"
    assert candidate.candidacy_first  # decided by the ranking, once for the candidate: what its suggestions record
    # the scores are the ranking's own: the side-effect claim still scores higher, it is just not offered first
    scores = dict((cid, score) for cid, score, _ in candidate.suggestions)
    assert scores[1] > scores[2]


def test_an_item_under_a_side_effect_lead_in_keeps_the_side_effect_claim_first():
    index = ClaimIndex(CLAIMS, reranker=None)
    text = "Ketamine helps many people with depression. Side effects include:\n- High blood pressure\n"
    (candidate,) = [c for c in extract(text, index, claim_filter=None) if c.sentence.kind == "item"]
    assert candidate.suggestions[0][0] == 1
    assert candidate.category == "side_effect"
    assert not candidate.candidacy_first


def test_refreshing_an_item_under_a_contraindication_lead_in_reads_it_with_its_lead_in_again(db):
    side_effect, unsuitable = blood_pressure_claims()
    services.import_article(NOT_SAFE_IF_YOU_HAVE.encode(), name="a.txt", title="Who should not have it")
    item = Candidate.objects.get(quote="High blood pressure")
    assert [s["claim"] for s in item.suggestions][:2] == [unsuitable.pk, side_effect.pk]
    Candidate.objects.filter(pk=item.pk).update(suggestions=[], category="efficacy")
    services.refresh_suggestions(list(Candidate.objects.filter(pk=item.pk)))
    item.refresh_from_db()
    assert [s["claim"] for s in item.suggestions][:2] == [unsuitable.pk, side_effect.pk]
    assert item.category == "candidacy"
