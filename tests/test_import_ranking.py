"""Ranking claims for an imported clause: the learned re-ranker, its refit, and the cached term counts behind the
index (never stale: the claims are read afresh, only the analysis of a text already seen is reused)."""

from __future__ import annotations

import json
import zlib
from pathlib import Path

import numpy as np
import pytest
from django.conf import settings

from claims.models import Claim, Status
from importer import bench, extract, rerank, services
from importer.bench import fit_reranker
from importer.categorymodel import CategoryModel
from importer.extract import ClaimIndex, ClaimRecord, analyse_terms, term_vectors
from importer.indexstore import IndexStore
from importer.logistic import FitError
from importer.models import TextTerms
from importer.rerank import FEATURES, Reranker
from tests.factories import AssertionFactory, ClaimFactory, ConditionFactory

FIXTURE = Path(settings.BASE_DIR) / "fixtures" / "kb.json"


def _only(feature: str, weight: float = 5.0) -> Reranker:
    """A re-ranker that looks at one feature (and a little at the first stage's score)."""
    coef = np.zeros(len(FEATURES))
    coef[FEATURES.index(feature)] = weight
    coef[FEATURES.index("score")] = 1.0
    return Reranker(np.zeros(len(FEATURES)), np.ones(len(FEATURES)), coef, -2.0)


# --- the re-ranker -----------------------------------------------------------------------------------------------

CLAIMS = [
    ClaimRecord(1, "Ketamine quickly reduces symptoms of depression", "efficacy", (), ("depression",)),
    # about PTSD, without naming it in its wording
    ClaimRecord(2, "Ketamine eases symptoms within a day", "efficacy", (), ("PTSD", "post-traumatic stress disorder")),
]
CLAUSE = "For veterans with PTSD, ketamine quickly reduces symptoms."


def test_the_reranker_puts_first_the_claim_about_the_condition_the_sentence_names():
    first_stage = ClaimIndex(CLAIMS, reranker=None).rank(CLAUSE)
    assert [claim.id for claim, _ in first_stage] == [1, 2]  # more words are shared with the depression claim
    reranked = ClaimIndex(CLAIMS, reranker=_only("condition_named")).rank(CLAUSE)
    assert [claim.id for claim, _ in reranked] == [2, 1]
    assert all(0 < score < 1 for _, score in reranked)  # a probability


def test_a_reranker_that_ignores_the_condition_keeps_the_first_stage_order():
    reranked = ClaimIndex(CLAIMS, reranker=_only("condition_named", weight=0.0)).rank(CLAUSE)
    assert [claim.id for claim, _ in reranked] == [1, 2]


def test_the_committed_reranker_ranks_a_claims_own_wording_first_above_the_match_threshold():
    claims = [
        ClaimRecord(1, "Ketamine can cause nausea and dizziness", "side_effect", ("Nausea is common.",)),
        ClaimRecord(2, "Ketamine works within hours", "onset", ("It works in a matter of hours.",)),
        ClaimRecord(3, "Ketamine is given as a nasal spray", "administration", ()),
    ]
    ranked = ClaimIndex(claims).rank("Ketamine can cause nausea and dizziness in some patients.")
    assert ranked[0][0].id == 1 and ranked[0][1] >= extract.MATCH_SCORE


def test_the_committed_coefficients_match_the_features_the_code_computes():
    data = json.loads(rerank.COEFFICIENTS.read_text(encoding="utf-8"))
    for model in ("semantic", "wording"):
        assert data[model]["features"] == list(FEATURES)
        assert len(data[model]["coef"]) == len(FEATURES)
        assert Reranker.from_dict(data[model]).as_dict() == data[model]  # read back whole, its pairwise C included


def test_coefficients_fitted_on_other_features_are_refused_with_the_command_to_run():
    data = json.loads(rerank.COEFFICIENTS.read_text(encoding="utf-8"))["wording"]
    with pytest.raises(ValueError, match="make reranker"):
        Reranker.from_dict({**data, "features": data["features"][:-1]})


def test_refitting_the_reranker_gives_the_same_coefficients_every_time():
    document = json.loads(FIXTURE.read_text(encoding="utf-8"))
    articles = bench.seed_articles(document)[:2]
    first = fit_reranker(bench.Examples(document), articles).as_dict()
    second = fit_reranker(bench.Examples(document), articles).as_dict()
    assert first == second
    assert first["coef"] != [0.0] * len(FEATURES)  # it learned something


def test_a_fold_never_sees_the_article_it_is_tested_on(monkeypatch):
    """The nested leave-one-article-out: the re-ranker for seed article k is fitted on other seed and held-out
    articles, each ranked against a knowledge base without k's quotes."""
    document = json.loads(FIXTURE.read_text(encoding="utf-8"))
    seen = []
    real_index = bench._index

    def spy(document, assertions, embed=None, reranker="default", every_claim=False):
        seen.append({a["source"] for a in assertions})
        return real_index(document, assertions, embed, reranker, every_claim)

    monkeypatch.setattr("importer.bench._index", spy)
    seed = bench.seed_articles(document)
    tested = seed[0]
    heldout = bench.heldout_articles(document)[:1]
    fit_reranker(bench.Examples(document), [*seed[1:3], *heldout], without=[tested.source])
    assert len(seen) == 3 and all(tested.source not in sources for sources in seen)
    # A seed article is ranked without its own quotes, a held-out one against every other seed quote.
    assert seed[1].source not in seen[0] and seed[2].source in seen[0]
    assert {seed[1].source, seed[2].source} <= seen[2]


def test_every_article_of_the_held_out_answer_key_takes_part_in_the_fit(tmp_path):
    """A held-out article added to answers.json is learned from by the next refit (and makes the file stale)."""
    document = json.loads(FIXTURE.read_text(encoding="utf-8"))
    small = {**document, "sources": document["sources"][:1]}
    small["assertions"] = [a for a in document["assertions"] if a["source"] == small["sources"][0]["id"]]
    fixture = tmp_path / "kb.json"
    fixture.write_text(json.dumps(small), encoding="utf-8")
    key = json.loads((bench.HELDOUT_DIR / "answers.json").read_text(encoding="utf-8"))
    before, after = tmp_path / "before", tmp_path / "after"
    for directory, articles in ((before, key["articles"][:1]), (after, key["articles"][:2])):
        directory.mkdir()
        (directory / "answers.json").write_text(json.dumps({"articles": articles}), encoding="utf-8")
        for article in articles:
            (directory / article["file"]).write_bytes((bench.HELDOUT_DIR / article["file"]).read_bytes())
    first, second = bench.fit_rerankers(fixture, directory=before), bench.fit_rerankers(fixture, directory=after)
    assert key["articles"][1]["file"] not in first["fitted_on"] and key["articles"][1]["file"] in second["fitted_on"]
    assert first["wording"]["coef"] != second["wording"]["coef"]


def test_a_pairwise_fit_puts_first_the_claim_the_key_names_and_scores_it_as_a_probability():
    rng = np.random.default_rng(0)
    n_clauses, depth = 60, 5
    matrix = rng.normal(size=(n_clauses * depth, len(FEATURES)))
    groups = np.repeat(np.arange(n_clauses), depth)
    labels = np.zeros(n_clauses * depth, dtype=int)
    stated = np.arange(n_clauses) * depth + rng.integers(0, depth, n_clauses)
    labels[stated[: n_clauses // 2]] = 1  # half the clauses state a claim of their list, half none
    matrix[labels == 1, FEATURES.index("condition_named")] += 3  # what tells the stated claim apart
    reranker = rerank.fit_pairwise(matrix, labels, groups, c=0.1)
    probability = reranker.probability(matrix)
    assert rerank.hits(probability, labels, groups) == (n_clauses // 2, n_clauses // 2)
    assert np.all((probability > 0) & (probability < 1))
    assert probability[labels == 1].mean() > 0.5 > probability[labels == 0].mean()
    assert reranker.as_dict()["pairwise_C"] == 0.1


def test_pairs_are_taken_within_a_clause_only():
    groups = np.array([0, 0, 0, 1, 1])
    labels = np.array([1, 0, 0, 0, 0])
    better, worse = rerank.pairs(groups, labels)
    assert sorted(zip(better.tolist(), worse.tolist(), strict=True)) == [(0, 1), (0, 2)]


def test_a_reranker_is_not_chosen_from_one_article_and_the_error_says_why():
    one = (np.zeros((2, len(FEATURES))), np.array([1, 0]), np.array([0, 0]))
    with pytest.raises(FitError, match="two labelled articles or more .*, got 1"):
        rerank.choose_c([one])


def test_a_refit_that_cannot_be_done_fails_with_the_reason_and_writes_nothing(tmp_path, monkeypatch):
    from django.core.management import CommandError, call_command

    from importer.management.commands import fit_reranker as command

    one = (np.zeros((2, len(FEATURES))), np.array([1, 0]), np.array([0, 0]))
    monkeypatch.setattr(command.Command, "fit", staticmethod(lambda fixture, heldout: rerank.choose_c([one])))
    output = tmp_path / "reranker.json"
    with pytest.raises(CommandError, match="Cannot fit reranker.json: .*two labelled articles or more .*, got 1"):
        call_command("fit_reranker", output=str(output))
    assert not output.exists()


def test_each_bench_fold_learns_from_every_other_labelled_article(monkeypatch):
    """Leave-one-article-out over seed and held-out articles; the scheme before h15h learns from the seed alone."""
    document = json.loads(FIXTURE.read_text(encoding="utf-8"))
    articles = [
        *bench.seed_articles(document)[:2],
        bench.Labelled("a.txt", "Ketamine works within hours.", ()),
        bench.Labelled("b.txt", "Ketamine can cause nausea.", ()),
    ]
    folds = []

    def spy(examples, training, without=(), pairwise=True):
        folds.append(({a.name for a in training}, set(without), pairwise))

    monkeypatch.setattr(bench, "fit_reranker", spy)
    monkeypatch.setattr(bench, "score_article", lambda name, *args: bench.ArticleScore(name))
    names = {a.name for a in articles}
    result = bench.evaluate_all(document, articles, training="all")
    assert [a["source"] for a in result["seed"]["articles"]] == [a.name for a in articles[:2]]
    assert [a["source"] for a in result["heldout"]["articles"]] == ["a.txt", "b.txt"]
    assert folds == [(names - {a.name}, {a.source} - {None}, True) for a in articles]
    folds.clear()
    bench.evaluate_all(document, articles, training="seed")
    seed = {a.name for a in articles[:2]}
    assert folds == [(seed - {a.name}, {a.source} - {None}, False) for a in articles]


def test_a_grown_knowledge_base_holds_the_other_held_out_pages_keyed_quotes_and_never_the_pages_own():
    """h21p: a held-out page ranked as after the other held-out pages were imported and reviewed."""
    document = json.loads(FIXTURE.read_text(encoding="utf-8"))
    claim, other_claim = document["claims"][0]["id"], document["claims"][1]["id"]

    def page(name: str, *keyed: tuple[str, int | None]) -> bench.Labelled:
        return bench.Labelled(name, "", tuple(bench.Answer(0, q, c, "efficacy", "supports") for q, c in keyed))

    tested = page("a.txt", ("its own quote about ketamine", claim))
    other = page(
        "b.txt",
        ("another page's wording of the claim", claim),
        ("another page's wording of the claim", claim),  # keyed twice: one assertion, as the database keeps it
        ("another page's wording of the other claim", other_claim),
        ("a quote keyed to a claim the seed lacks", None),
    )
    seed = bench.seed_articles(document)
    index = bench.grown_knowledge_base(document, tested, [*seed, tested, other], reranker=None)
    quotes = {record.id: record.quotes for record in index.claims}
    assert len(quotes) == len(document["claims"])  # every seed claim, no other
    seed_quotes = [a["quote"] for a in document["assertions"] if a["claim"] == claim]
    assert quotes[claim] == (*seed_quotes, "another page's wording of the claim")  # the seed's first, as the app reads
    assert quotes[other_claim][-1] == "another page's wording of the other claim"
    every_quote = [q for qs in quotes.values() for q in qs]
    assert "its own quote about ketamine" not in every_quote
    assert "a quote keyed to a claim the seed lacks" not in every_quote
    assert len(every_quote) == len(document["assertions"]) + 2
    # Today's held-out knowledge base holds the seed's quotes only.
    today = bench.knowledge_base(document, other, reranker=None)
    assert "another page's wording of the claim" not in [q for r in today.claims for q in r.quotes]
    with pytest.raises(ValueError):
        bench.grown_knowledge_base(document, seed[0], [*seed, other])


def test_the_bench_ranks_each_held_out_page_again_against_the_grown_knowledge_base_with_the_same_fold(monkeypatch):
    document = json.loads(FIXTURE.read_text(encoding="utf-8"))
    claim = document["claims"][0]["id"]
    articles = [
        *bench.seed_articles(document)[:2],
        bench.Labelled("a.txt", "Ketamine works within hours.", (bench.Answer(0, "works within hours", claim, "onset",
                                                                             "supports"),)),
        bench.Labelled("b.txt", "Ketamine can cause nausea.", (bench.Answer(0, "can cause nausea", claim, "harm",
                                                                          "supports"),)),
    ]  # fmt: skip
    monkeypatch.setattr(bench, "fit_reranker", lambda examples, training, without=(), pairwise=True: object())
    ranked = []

    def spy(name, text, answers, index, *args):
        quotes = [q for r in index.claims for q in r.quotes]
        ranked.append((name, index.reranker, set(quotes)))
        # first only against the grown knowledge base, so that the rendered figures tell the two apart
        return bench.ArticleScore(name, clauses_in_kb=1, clause_top1_hits=len(quotes) > len(document["assertions"]))

    monkeypatch.setattr(bench, "score_article", spy)
    result = bench.evaluate_all(document, articles, training="all", grown=True)
    assert [name for name, _, _ in ranked] == [a.name for a in articles[:2]] + ["a.txt", "a.txt", "b.txt", "b.txt"]
    (_, a_today, a_today_quotes), (_, a_grown, a_grown_quotes) = ranked[2:4]
    assert a_grown is a_today  # the same re-ranker: only the knowledge base differs
    assert a_grown_quotes - a_today_quotes == {"can cause nausea"}
    assert ranked[5][2] - ranked[4][2] == {"works within hours"}
    assert [a["source"] for a in result["heldout_grown"]["articles"]] == ["a.txt", "b.txt"]
    rendered = bench.render({**result["seed"], "heldout": result["heldout"], **result, "semantic_off": ""})
    assert "against a grown knowledge base" in rendered
    assert "top-1 0/2 → 2/2" in rendered
    assert "heldout_grown" not in bench.evaluate_all(document, articles, training="all")


# --- the cached term counts --------------------------------------------------------------------------------------


def test_cached_term_vectors_equal_a_fresh_analysis():
    texts = ["Ketamine works within hours.", "Rapid relief for treatment-resistant depression", "Nausea"]
    extract._TERM_MEMORY.clear()
    fresh = analyse_terms(texts)
    cached = term_vectors(texts)
    again = term_vectors(texts)
    for a, b, c in zip(fresh, cached, again, strict=True):
        assert np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1]) and np.array_equal(b[0], c[0])


def test_the_term_analysis_fingerprint_changes_with_the_thesaurus(monkeypatch):
    before = extract._analyser_fingerprint()
    monkeypatch.setitem(extract.CONCEPTS, "fast", extract.CONCEPTS["fast"] + "|speedy")
    assert extract._analyser_fingerprint() != before


def test_a_clinic_page_s_words_for_supervision_meet_the_claim_of_supervised_use():
    """A page says "a nurse stays with you", "while staff watch", "two hours of monitoring" where the claim says
    "supervision" and "clinical setting": the thesaurus's ``@supervised`` makes them one term (h22p)."""
    claims = [
        ClaimRecord(1, "Ketamine should be given only in a clinical setting under supervision", "administration"),
        ClaimRecord(2, "Ketamine can be taken as a nasal spray", "administration"),
    ]
    index = ClaimIndex(claims)
    for clause in ("A nurse stays with you the whole time.", "You stay for two hours of monitoring afterwards."):
        assert [claim.id for claim, _ in index.rank(clause)] == [1]


def test_a_page_s_words_for_where_ketamine_comes_in_care_meet_the_second_line_claim():
    """A page says "you have tried two or more antidepressants" or "we offer it to adults whose…" where the claim says
    "a second-line option": the thesaurus's widened ``@line`` makes them one term (h23p). Without it the first
    clause shares no term with any claim, and the second's words go to the claim about sessions offered to adults."""
    claims = [
        ClaimRecord(1, "Ketamine is a second-line option, not a first-line treatment", "efficacy"),
        ClaimRecord(2, "Ketamine sessions for adults are offered in the clinic", "administration"),
    ]
    index = ClaimIndex(claims)
    assert [claim.id for claim, _ in index.rank("You have tried two or more antidepressants.")] == [1]
    assert index.rank("We offer it to adults whose depression has lingered.")[0][0].id == 1


@pytest.mark.django_db
def test_an_index_built_from_stored_term_counts_ranks_as_one_built_from_scratch():
    onset = ClaimFactory(text="Ketamine works within hours", slug="onset", category="onset")
    ClaimFactory(text="Ketamine can cause nausea", slug="nausea", category="side_effect")
    AssertionFactory(claim=onset, quote="Relief came in a matter of hours.")
    extract._TERM_MEMORY.clear()
    TextTerms.objects.all().delete()
    clause = "Many patients feel better within hours."
    scratch = services.claim_index().rank(clause)
    assert TextTerms.objects.count() == 3  # two claim texts and one quote, stored
    extract._TERM_MEMORY.clear()  # a new process: the counts come from the table
    assert services.claim_index().rank(clause) == scratch
    assert scratch[0][0].id == onset.pk


@pytest.mark.django_db
def test_an_edited_claim_is_ranked_by_its_new_wording():
    claim = ClaimFactory(text="Ketamine can cause nausea", slug="c", category="side_effect")
    ClaimFactory(text="Ketamine is given as a nasal spray", slug="nasal", category="administration")
    clause = "Ketamine works within hours for many people."
    assert claim.pk not in [c.id for c, _ in services.claim_index(embed=None).rank(clause)]
    Claim.objects.filter(pk=claim.pk).update(text="Ketamine works within hours")  # no signal, no save()
    ranked = services.claim_index().rank(clause)
    assert ranked[0][0].id == claim.pk and ranked[0][0].text == "Ketamine works within hours"
    nausea = services.claim_index().rank("It can cause nausea.")
    assert claim.pk not in [c.id for c, _ in nausea]


@pytest.mark.django_db
def test_a_deleted_claim_is_never_offered_and_a_new_or_published_one_always_is():
    gone = ClaimFactory(text="Ketamine can cause nausea and dizziness", slug="gone", category="side_effect")
    clause = "Ketamine can cause nausea and dizziness."
    assert services.claim_index().rank(clause)[0][0].id == gone.pk
    gone.delete()
    assert services.claim_index().rank(clause) == []
    draft = ClaimFactory(
        text="Ketamine can cause nausea and dizziness", slug="new", category="side_effect", status=Status.DRAFT
    )
    assert services.claim_index().rank(clause)[0][0].id == draft.pk
    draft.status = Status.PUBLISHED
    draft.save()
    assert services.claim_index().rank(clause)[0][0].id == draft.pk


@pytest.mark.django_db
def test_a_claims_conditions_reach_the_index():
    ptsd = ConditionFactory(name="Post-traumatic stress disorder (PTSD)", slug="ptsd", aliases=["trauma"])
    claim = ClaimFactory(text="Ketamine reduces symptoms of PTSD", slug="ptsd-claim", category="efficacy")
    claim.conditions.add(ptsd)
    (record,) = services.claim_index().claims
    assert set(record.conditions) >= {"Post-traumatic stress disorder (PTSD)", "PTSD", "trauma"}


@pytest.mark.django_db
def test_building_the_index_takes_four_queries_when_the_texts_are_known(django_assert_num_queries):
    claims = [ClaimFactory(text=f"Ketamine claim number {n}", slug=f"c{n}", category="efficacy") for n in range(5)]
    for claim in claims:
        AssertionFactory(claim=claim, quote=f"A quote for {claim.text}.")
    services.claim_index()  # counts the terms of every text once, and stores them
    with django_assert_num_queries(4):  # assertions, conditions, claims' conditions, claims
        services.claim_index()
    extract._TERM_MEMORY.clear()
    services.index_store().clear()  # a new process, and no index files (KB_INDEX_CACHE_DIR is empty here)
    with django_assert_num_queries(5):  # … and the stored term counts (at most 500 digests a query)
        index = services.claim_index()
    assert len(index.claims) == 5


@pytest.mark.django_db
def test_an_import_stores_the_term_counts_of_the_knowledge_base_and_counts_every_sentence():
    ClaimFactory(text="Ketamine works within hours", slug="onset", category="onset")
    TextTerms.objects.all().delete()
    text = (
        "Ketamine basics\n"
        "Ketamine works within hours for many people. The weather was nice.\n"
        "Side effects include:\n"
        "- Nausea\n"
        "- Dizziness\n"
    )
    summary = services.import_article(text, title="Basics")
    assert TextTerms.objects.filter(digest=extract.term_digest("Ketamine works within hours")).exists()
    assert summary.sentences == len(extract.split_sentences(text))


# --- how the bench counts the right claim first --------------------------------------------------------------------


def test_the_bench_counts_the_right_claim_first_per_candidate_and_pair_wise_beside_it(monkeypatch):
    from importer import bench
    from importer.extract import CandidateData, Sentence

    text = "Ketamine works within hours and its effects last a week. Ketamine is given as a nasal spray."
    first, second = text.index("Ketamine works"), text.index("Ketamine is given")
    candidates = [
        # The key attaches the first sentence to two claims; its first suggestion is one of them.
        CandidateData(Sentence(first, second - 1, text[first : second - 1]), Sentence(first, second - 1, ""),
                      "onset", "supports", suggestions=[(2, 0.9, "supports"), (4, 0.5, "supports"),
                                                        (5, 0.4, "supports"), (1, 0.3, "supports")]),
        # Its claim is only fourth: neither first nor among the first three.
        CandidateData(Sentence(second, len(text), text[second:]), Sentence(second, len(text), ""),
                      "administration", "supports", suggestions=[(4, 0.5, "supports"), (5, 0.4, "supports"),
                                                                 (2, 0.3, "supports"), (3, 0.2, "supports")]),
    ]  # fmt: skip
    monkeypatch.setattr(bench, "extract", lambda *args, **kwargs: candidates)
    answers = [
        bench.Answer(first, "Ketamine works within hours", 2, "onset", "supports"),
        bench.Answer(text.index("its effects"), "its effects last a week", 1, "duration", "qualifies"),
        bench.Answer(second, "Ketamine is given as a nasal spray", 3, "administration", "supports"),
        bench.Answer(second, "Ketamine is given as a nasal spray", 99, "administration", "supports"),  # not in the base
    ]
    index = ClaimIndex([ClaimRecord(i, f"claim {i}", "onset") for i in (1, 2, 3, 4, 5)])
    score = bench.score_article("a", text, answers, index, [], [])
    overall = bench._summary([score])["overall"]
    # Per candidate with a known claim in its key: the first is right first, the second is not in the top 3.
    assert (overall["top1"], overall["top3"]) == (0.5, 0.5)
    # Per (candidate, answer) pair: 1 of 3 first (the duration claim cannot also be first), 1 of 3 in the top 3.
    assert (overall["pair_top1"], overall["pair_top3"]) == (1 / 3, 1 / 3)
    assert overall["top1_ceiling"] == 2 / 3
    assert "pair_top1" in "\n".join(bench._verdicts(overall))


def test_the_bench_lists_each_candidate_whose_first_suggestion_is_not_its_keyed_claim(monkeypatch):
    from importer import bench
    from importer.extract import CandidateData, Sentence

    text = "Ketamine works within hours. Ketamine is given as a nasal spray. Ketamine is cheap. Ketamine is new."
    starts = [text.index(s) for s in ("Ketamine works", "Ketamine is given", "Ketamine is cheap", "Ketamine is new")]
    spans = [Sentence(a, b - 1, text[a : b - 1]) for a, b in zip(starts, [*starts[1:], len(text) + 1], strict=True)]
    candidates = [
        # Right first: not listed.
        CandidateData(spans[0], spans[0], "onset", "supports",
                      suggestions=[(2, 0.9, "supports"), (4, 0.5, "supports")]),
        # Its claim is third: listed with that rank, and the first three suggestions with their scores.
        CandidateData(spans[1], spans[1], "administration", "supports",
                      suggestions=[(4, 0.5, "supports"), (5, 0.4, "contradicts"), (3, 0.2, "supports"),
                                   (1, 0.1, "supports")]),
        # Its claim is not suggested at all.
        CandidateData(spans[2], spans[2], "cost", "supports", suggestions=[(5, 0.3, "supports")]),
        # The key attaches it to no claim the knowledge base holds: not counted in top-1, so not listed.
        CandidateData(spans[3], spans[3], "other", "supports", suggestions=[(4, 0.3, "supports")]),
    ]  # fmt: skip
    monkeypatch.setattr(bench, "extract", lambda *args, **kwargs: candidates)
    keyed = zip(spans, (2, 3, 1, 99), strict=True)
    answers = [bench.Answer(s.start, s.text, claim, "onset", "supports") for s, claim in keyed]
    index = ClaimIndex([ClaimRecord(i, f"claim {i}", "onset") for i in (1, 2, 3, 4, 5)])
    score = bench.score_article("a", text, answers, index, [], [])
    assert (score.clauses_in_kb, score.clause_top1_hits) == (3, 1)
    third, unsuggested = score.ranking_misses
    assert (third["article"], third["clause"]) == ("a", spans[1].text)
    assert [(k["claim"], k["rank"], k["score"]) for k in third["key"]] == [(3, 3, 0.2)]
    assert [(f["claim"], f["text"], f["score"]) for f in third["first"]] == [
        (4, "claim 4", 0.5), (5, "claim 5", 0.4), (3, "claim 3", 0.2)
    ]  # fmt: skip
    assert [(k["claim"], k["rank"]) for k in unsuggested["key"]] == [(1, None)]  # not among the suggestions
    # In the bench's JSON, beside the stance misses.
    assert bench._summary([score])["articles"][0]["ranking_misses"] == [third, unsuggested]


# --- the index's matrices, kept between imports (importer/indexstore.py) ---------------------------------------------


@pytest.fixture
def index_files(settings, tmp_path):
    """Index files in a directory of the test's own; forgets the process's kept matrices before and after."""
    settings.KB_INDEX_CACHE_DIR = str(tmp_path / "claim-index")
    services.index_store().clear()
    yield tmp_path / "claim-index"
    services.index_store().clear()


def _new_process() -> None:
    """What a new process has: no matrices or term counts in memory (the files and tables stay)."""
    services.index_store().clear()
    extract._TERM_MEMORY.clear()
    extract._DIGESTS.clear()


def _three_claims():
    onset = ClaimFactory(text="Ketamine works within hours", slug="onset", category="onset")
    nausea = ClaimFactory(text="Ketamine can cause nausea", slug="nausea", category="side_effect")
    AssertionFactory(claim=onset, quote="Relief came in a matter of hours.")
    AssertionFactory(claim=nausea, quote="Some patients feel sick during the infusion.")
    ClaimFactory(text="Ketamine is given as a nasal spray", slug="nasal", category="administration")
    return onset, nausea


CLAUSES = ["Many patients feel better within hours.", "It can make you feel sick.", "A nasal spray is approved."]


def _ranked(index) -> list:
    return [[(claim.id, score) for claim, score in index.rank(clause)] for clause in CLAUSES]


@pytest.mark.django_db
def test_a_new_process_ranks_from_the_kept_files_as_from_a_fresh_build_without_reading_term_counts(
    index_files, django_assert_num_queries
):
    _three_claims()
    built = _ranked(services.claim_index())
    assert len(list(index_files.glob("*.npz"))) == 1  # the TF-IDF matrices (no embeddings asked for)
    _new_process()
    TextTerms.objects.all().delete()  # not needed any more: the matrices of these very texts are in the file
    with django_assert_num_queries(4):  # assertions, conditions, claims' conditions, claims
        index = services.claim_index()
    assert _ranked(index) == built
    assert _ranked(ClaimIndex(index.claims)) == built  # built afresh, no store


@pytest.mark.django_db
def test_kept_matrices_never_offer_an_edited_deleted_or_newly_quoted_claim_as_it_was(index_files):
    onset, nausea = _three_claims()
    clause = "Many patients feel better within hours."
    assert services.claim_index().rank(clause)[0][0].id == onset.pk
    Claim.objects.filter(pk=onset.pk).update(text="Ketamine is a dissociative anaesthetic")  # no signal
    onset.assertions.all().delete()
    _new_process()
    assert onset.pk not in [c.id for c, _ in services.claim_index().rank(clause)]
    AssertionFactory(claim=nausea, quote="Many patients feel better within hours.")
    _new_process()
    assert services.claim_index().rank(clause)[0][0].id == nausea.pk
    nausea.delete()
    _new_process()
    assert nausea.pk not in [c.id for c, _ in services.claim_index().rank(clause)]
    assert len(list(index_files.glob("*.npz"))) <= 4  # the most recently used files only


@pytest.mark.django_db
def test_an_unreadable_index_file_is_deleted_and_the_index_built_again(index_files):
    _three_claims()
    built = _ranked(services.claim_index())
    (path,) = index_files.glob("*.npz")
    path.write_bytes(path.read_bytes()[:1000])  # cut short, as by a full disk
    _new_process()
    assert _ranked(services.claim_index()) == built
    assert path.exists() and len(path.read_bytes()) > 1000  # written again, whole


@pytest.mark.django_db
def test_an_index_directory_that_cannot_be_written_only_costs_a_rebuild(settings, tmp_path):
    blocked = tmp_path / "a-file"
    blocked.write_text("not a directory")
    settings.KB_INDEX_CACHE_DIR = str(blocked / "claim-index")
    _three_claims()
    built = _ranked(services.claim_index())
    _new_process()
    assert _ranked(services.claim_index()) == built
    services.index_store().clear()


def _without_quote_postings(arrays: dict) -> dict:
    return {name: value for name, value in arrays.items() if name != "_quote_postings"}


@pytest.mark.django_db
@pytest.mark.parametrize(
    "kept",
    [
        # another knowledge base's matrices under this key (a planted or mislabelled file)
        lambda arrays: ClaimIndex([ClaimRecord(1, "Ketamine is cheap", "cost", ("It costs little.",))])._tfidf(),
        _without_quote_postings,  # a file written by code that kept other arrays
    ],
    ids=["another-knowledge-base", "other-arrays"],
)
def test_kept_matrices_that_do_not_fit_todays_claims_are_built_again(index_files, kept):
    _three_claims()
    built = _ranked(services.claim_index())
    (path,) = index_files.glob("*.npz")
    IndexStore(index_files).put(path.stem, kept(IndexStore(index_files).get(path.stem)))
    _new_process()
    assert _ranked(services.claim_index()) == built
    assert _ranked(services.claim_index()) == built  # and the file written again is the right one
    _new_process()
    assert _ranked(services.claim_index()) == built


@pytest.mark.django_db
def test_matrices_kept_by_other_index_building_code_are_not_read(index_files, monkeypatch):
    _three_claims()
    services.claim_index()
    (first,) = index_files.glob("*.npz")
    monkeypatch.setattr(extract, "index_builder", lambda: "the next version")  # a deploy that changes _tfidf
    _new_process()
    services.claim_index()
    assert len(list(index_files.glob("*.npz"))) == 2  # built again under a key of its own


class _WordEmbedder:
    """Deterministic vectors (a CRC of each word: Python's ``hash()`` of a string changes with ``PYTHONHASHSEED``, and
    a test reading cosines must not depend on it), named as a model, so that a store keeps them."""

    model = "test-words"

    def __call__(self, texts):
        vectors = np.zeros((len(texts), 16))
        for row, text in enumerate(texts):
            for word in text.lower().split():
                vectors[row, zlib.crc32(word.strip(".,:").encode()) % 16] += 1
        return vectors


def test_kept_embedding_matrices_of_other_claims_are_built_again(tmp_path):
    claims = [
        ClaimRecord(1, "Ketamine works within hours", "onset", ("Relief came in hours.", "Fast relief.")),
        ClaimRecord(2, "Ketamine can cause nausea", "side_effect", ("Some feel sick.",)),
    ]
    clause = "Patients feel sick after the infusion."
    fresh = ClaimIndex(claims, embed=_WordEmbedder(), reranker=None).rank(clause)
    ClaimIndex(claims, embed=_WordEmbedder(), reranker=None, store=IndexStore(tmp_path))
    key = extract.semantic_key(claims, _WordEmbedder.model)
    other = ClaimIndex([ClaimRecord(3, "Ketamine is cheap", "cost")], embed=_WordEmbedder(), reranker=None)
    IndexStore(tmp_path).put(key, other._embed_claims())  # one claim, no quote, under these claims' key
    kept = ClaimIndex(claims, embed=_WordEmbedder(), reranker=None, store=IndexStore(tmp_path))  # a new process
    assert kept.rank(clause) == fresh


def test_an_index_directory_anyone_may_write_to_is_not_used(tmp_path, caplog):
    shared = tmp_path / "shared"
    shared.mkdir()
    arrays = {"values": np.arange(3)}
    IndexStore(shared).put("a1", arrays)
    shared.chmod(0o777)
    assert IndexStore(shared).get("a1") is None  # another process: the file is not read
    IndexStore(shared).put("b2", arrays)
    assert not (shared / "b2.npz").exists()
    assert "anyone may write" in caplog.text
    shared.chmod(0o755)
    assert np.array_equal(IndexStore(shared).get("a1")["values"], [0, 1, 2])


def test_the_index_store_keeps_the_most_recently_used_files_and_arrays(tmp_path):
    store = IndexStore(tmp_path, memory=1, files=2)
    for n, key in enumerate(["a1", "b2", "c3"]):
        store.put(key, {"values": np.arange(n + 1), "matrix": (np.ones(1), np.zeros(1, np.int32), np.array([0, 1]),
                                                              np.array([1, 1]))})  # fmt: skip
    assert sorted(p.stem for p in tmp_path.glob("*.npz")) == ["b2", "c3"]
    assert list(store.memory) == ["c3"]
    kept = IndexStore(tmp_path).get("b2")  # another process
    assert np.array_equal(kept["values"], [0, 1]) and [a.tolist() for a in kept["matrix"]] == [
        [1.0],
        [0],
        [0, 1],
        [1, 1],
    ]
    assert IndexStore(tmp_path).get("a1") is None
    with pytest.raises(ValueError):
        store.get("../elsewhere")


# --- the first stage, one batch of clauses at a time ------------------------------------------------------------------


def test_tfidf_quote_scores_are_the_mean_of_each_claims_two_best_quotes_counting_a_tie_twice():
    clause = "Ketamine lifted my mood within hours"
    claims = [
        ClaimRecord(1, "Ketamine is a nasal spray", "administration", (clause, clause, "A spray")),  # tied best
        ClaimRecord(2, "Ketamine relieves depression", "efficacy", (clause,)),  # one quote: half of it
        ClaimRecord(3, "Ketamine works fast", "onset", (clause, "My mood lifted", "Unrelated words")),
        ClaimRecord(4, "Ketamine can cause nausea", "side_effect"),  # no quote
    ]
    index = ClaimIndex(claims, reranker=None)
    alone = index._lexical(clause, clause)
    index.prepare([clause, "Another clause about nausea"])
    batched = index._lexical(clause, clause)
    mood = float((index._vectors([clause]) @ index._vectors(["My mood lifted"]).T).toarray()[0, 0])
    expected = [1.0, 0.5, (1.0 + mood) / 2, 0.0]
    assert alone["quote"] == pytest.approx(expected) and batched["quote"] == pytest.approx(expected)
    assert np.array_equal(alone["quote"], batched["quote"]) and np.array_equal(alone["text"], batched["text"])
    assert list(alone["quote_best"]) == pytest.approx([1.0, 1.0, 1.0, 0.0])


def test_claims_tied_on_score_beyond_the_limit_are_ranked_by_id():
    claims = [ClaimRecord(i, "Ketamine works within hours", "onset") for i in (9, 3, 7, 1, 5, 2)]
    index = ClaimIndex(claims, reranker=None)
    assert [claim.id for claim, _ in index.rank("Ketamine works within hours.", limit=4)] == [1, 2, 3, 5]


def test_the_bench_counts_right_and_wrong_pre_ticks_at_each_threshold():
    sentence = extract.Sentence(0, 10, "Ketamine x")
    right = extract.CandidateData(sentence, sentence, "efficacy", "supports", suggestions=[(1, 0.3, "supports")])
    wrong = extract.CandidateData(sentence, sentence, "efficacy", "supports", suggestions=[(2, 0.5, "supports")])
    low = extract.CandidateData(sentence, sentence, "efficacy", "supports", suggestions=[(1, 0.12, "supports")])
    nothing = extract.CandidateData(sentence, sentence, "efficacy", "supports", suggestions=[(3, 0.9, "supports")])
    stated = {id(right): {1}, id(wrong): {1}, id(low): {1}}  # the key attaches ``nothing`` to no known claim
    ticks = bench.tick_counts([right, wrong, low, nothing], stated)
    # [right ticked, wrong ticked, right but not ticked]
    assert ticks["0.10"] == [2, 2, 0]
    assert ticks["0.20"] == [1, 2, 1]
    assert ticks["0.40"] == [0, 2, 2]


# --- features the importer computes anyway (h22f) ----------------------------------------------------------------

SIDE_EFFECT_OR_ONSET = [
    ClaimRecord(1, "Ketamine works within hours", "onset"),
    ClaimRecord(2, "Ketamine can raise the heart rate", "side_effect"),
]


def _category_model(category: str) -> CategoryModel:
    """A category model sure of ``category`` whatever the clause says."""
    classes = ("onset", "side_effect")
    intercept = np.array([5.0 if c == category else -5.0 for c in classes])
    return CategoryModel({}, np.zeros(0), classes, np.zeros((2, 0)), intercept)


def test_the_learned_category_models_probability_of_a_claims_category_reorders_the_claims():
    clause, context = "A faster heart rate within hours", "You might notice: A faster heart rate within hours"
    index = ClaimIndex(SIDE_EFFECT_OR_ONSET, reranker=_only("category_model"))
    for category, first in (("side_effect", 2), ("onset", 1)):
        ranked = index.rank(clause, context=context, lead=True, category_model=_category_model(category))
        assert ranked[0][0].id == first
    best, matrix = index.features(clause, context, lead=True, category_model=_category_model("onset"))
    by_claim = dict(zip(best, matrix[:, FEATURES.index("category_model")], strict=True))
    # the log of the probability, floored at 1e-3: sure of onset (log 1 = 0), not of side effects (log 1e-3)
    assert by_claim[0] == pytest.approx(0, abs=1e-3) and by_claim[1] == pytest.approx(np.log(1e-3), abs=1e-3)
    # No model: every category equally likely (not log 1 = 0, which would read as certain for every claim).
    best, matrix = index.features(clause, context, lead=True, category_model=None)
    assert list(matrix[:, FEATURES.index("category_model")]) == pytest.approx([np.log(1 / 10)] * len(best))


def test_a_list_items_lead_in_reaches_the_reranker_through_its_embedding():
    """An item's own words share nothing with a claim its lead-in names: sem_context reads the item with it."""
    claims = [
        ClaimRecord(1, "Ketamine works within hours", "onset"),
        ClaimRecord(2, "Side effects pass", "side_effect"),
    ]
    clause, context = "A faster heartbeat", "Side effects you might notice: A faster heartbeat"
    index = ClaimIndex(claims, embed=_WordEmbedder(), reranker=None)
    column = FEATURES.index("sem_context")
    best, matrix = index.features(clause, context, lead=True, category_model=None)
    with_lead = dict(zip(best, matrix[:, column], strict=True))
    assert with_lead.get(1, 0) > 0 and with_lead.get(1, 0) > with_lead.get(0, 0)
    # Prose is read alone: its own cosine (no second embedding of the sentence).
    best, matrix = index.features(clause, context, lead=False, category_model=None)
    assert list(matrix[:, column]) == list(matrix[:, FEATURES.index("sem_text")])
