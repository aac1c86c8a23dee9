"""Sentence embeddings in the importer: the model's own vectors, pinned files, the ranking, the stored vectors."""

from __future__ import annotations

import re
import shutil
from datetime import timedelta

import numpy as np
import pytest
from django.utils import timezone

from claims.models import Claim
from importer import embedding, services
from importer.embedding import CachedEmbedder, ModelUnavailable
from importer.extract import ClaimIndex, ClaimRecord
from importer.models import TextEmbedding
from tests.factories import AssertionFactory, ClaimFactory

# The first values of all-MiniLM-L6-v2's vector for this sentence, as Hugging Face transformers (PyTorch) computes
# it with the model's mean pooling and normalisation (checked once against torch 2.13 + transformers).
REFERENCE = [0.0676569, 0.06349588, 0.04871317, 0.07930496, 0.03744803, 0.0026528]


@pytest.fixture
def encoder():
    loaded = embedding.get_encoder()
    assert loaded is not None, f"the embedding model is missing: {embedding.unavailable_reason()} (make installs it)"
    return loaded


@pytest.fixture
def fresh_model_state(monkeypatch):
    """Forget the process's loaded model around a test that changes where it comes from."""
    embedding._load.cache_clear()
    yield monkeypatch
    embedding._load.cache_clear()


def test_the_encoder_reproduces_the_reference_implementation(encoder):
    vectors = encoder.encode(["This is an example sentence", "Ketamine works within hours."])
    assert vectors.shape == (2, 384)
    assert np.allclose(vectors[0][:6], REFERENCE, atol=1e-5)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


def test_batching_by_length_does_not_change_a_vector(encoder):
    texts = ["Short.", "A much longer sentence about ketamine infusions given in a clinic over several weeks."]
    together = encoder.encode(texts)
    assert np.allclose(together[0], encoder.encode(texts[:1])[0], atol=1e-5)
    assert np.allclose(together[1], encoder.encode(texts[1:])[0], atol=1e-5)


def _copy_model(tmp_path):
    source = embedding.model_dir()
    target = tmp_path / "model"
    target.mkdir()
    for name in embedding.PINNED:
        (target / name).symlink_to(source / name)
    return target


def test_weights_that_differ_from_the_pinned_revision_are_refused(tmp_path, fresh_model_state):
    target = _copy_model(tmp_path)
    (target / "model.safetensors").unlink()
    shutil.copyfile(embedding.model_dir() / "tokenizer.json", target / "model.safetensors")  # the wrong file
    with pytest.raises(ModelUnavailable, match="not the pinned 53aa5117"):
        embedding.verify(target)
    fresh_model_state.setenv("KB_EMBEDDING_MODEL_DIR", str(target))
    assert embedding.get_encoder() is None
    assert "not the pinned" in embedding.unavailable_reason()


def test_missing_model_files_are_named(tmp_path, fresh_model_state):
    fresh_model_state.setenv("KB_EMBEDDING_MODEL_DIR", str(tmp_path))
    assert embedding.get_encoder() is None
    assert f"{tmp_path}/model.safetensors is missing" in embedding.unavailable_reason()


def test_embeddings_can_be_turned_off(fresh_model_state):
    fresh_model_state.setenv("KB_EMBEDDINGS", "off")
    assert embedding.get_encoder() is None
    assert embedding.unavailable_reason() == "KB_EMBEDDINGS=off"


# --- ranking -------------------------------------------------------------------------------------------------

CLAIMS = [
    ClaimRecord(1, "As an anaesthetic, ketamine carries a low risk of respiratory depression.", "safety"),
    ClaimRecord(2, "Ketamine is a dissociative anaesthetic with a long record of medical use in surgery.", "history"),
    ClaimRecord(3, "Ketamine commonly causes nausea.", "side_effect"),
    ClaimRecord(4, "Ketamine's antidepressant effect begins within hours of a treatment.", "onset"),
]


def test_a_paraphrase_finds_its_claim_by_meaning_when_the_words_differ(encoder):
    clause = "valued in part because it does not suppress breathing the way many other anesthetics do"
    by_words = ClaimIndex(CLAIMS).rank(clause)
    by_meaning = ClaimIndex(CLAIMS, embed=CachedEmbedder(encoder)).rank(clause)
    assert by_words[0][0].id != 1  # the shared word "anesthetics" wins
    assert by_meaning[0][0].id == 1
    assert all(0 <= score <= 1 for _, score in by_meaning)


def test_a_clause_sharing_no_word_with_any_claim_still_gets_suggestions_by_meaning(encoder):
    clause = "people feel better the same afternoon"
    assert ClaimIndex(CLAIMS).rank(clause) == []
    # The embeddings' part alone (no category model): with the committed category model the nausea claim comes first
    # (the strict xfail below, left open in issue 15).
    ranked = ClaimIndex(CLAIMS, embed=CachedEmbedder(encoder)).rank(clause, category_model=None)
    assert ranked[0][0].id == 4


@pytest.mark.xfail(
    strict=True,
    raises=AssertionError,
    reason="issue 15: the committed category model reads this clause as a side effect more than onset (0.24 against "
    "0.13), and the re-ranker's category_model column puts the nausea claim first; refitting the re-ranker on "
    "in-fold category-model probabilities (e14a40c) narrowed the gap but did not close it",
)
def test_the_committed_category_model_does_not_overturn_the_meaning_of_a_clause_sharing_no_word(encoder):
    ranked = ClaimIndex(CLAIMS, embed=CachedEmbedder(encoder)).rank("people feel better the same afternoon")
    assert ranked[0][0].id == 4


def test_an_empty_index_ranks_nothing(encoder):
    assert ClaimIndex([], embed=CachedEmbedder(encoder)).rank("Ketamine works within hours.") == []


# --- stored vectors ---------------------------------------------------------------------------------------------

ARTICLE = (
    "Ketamine and breathing\n"
    "Doctors like ketamine because it does not suppress breathing the way many other anesthetics do.\n"
    "Mild nausea is the most common side effect of ketamine.\n"
)


@pytest.mark.django_db
def test_each_text_is_embedded_once_and_kept_between_imports(encoder):
    claim = ClaimFactory(text=CLAIMS[0].text, slug="breathing", category="safety")
    ClaimFactory(text=CLAIMS[2].text, slug="nausea", category="side_effect")
    AssertionFactory(claim=claim, quote="Ketamine does not depress breathing.")
    first = services.import_article(ARTICLE, title="Breathing", name="a.txt")
    assert first.embedded == 3 + len(first_clauses(first))  # two claims, one quote, and the article's clauses
    assert TextEmbedding.objects.count() == first.embedded
    top = first.source.candidates.get(quote__contains="suppress breathing").suggestions[0]
    assert top["claim"] == claim.pk
    assert any("by wording and by meaning" in line for line in first.lines())
    changed = ARTICLE + "Ketamine can raise blood pressure for a short time.\n"
    second = services.import_article(changed, title="Breathing", name="a.txt")
    assert second.embedded == 1  # only the new sentence; the claims, the quote and the old clauses are stored


def first_clauses(summary) -> list:
    return list(summary.source.candidates.values_list("quote", flat=True))


@pytest.mark.django_db
def test_an_import_without_the_model_ranks_by_wording_and_says_why(fresh_model_state):
    fresh_model_state.setenv("KB_EMBEDDINGS", "off")
    ClaimFactory(text=CLAIMS[2].text, slug="nausea", category="side_effect")
    summary = services.import_article(ARTICLE, title="Breathing", name="a.txt")
    assert summary.candidates and not TextEmbedding.objects.exists()
    assert "Claims were suggested by wording only: semantic matching is off (KB_EMBEDDINGS=off)." in (summary.lines())
    assert Claim.objects.count() == 1


@pytest.mark.django_db
def test_an_import_whose_texts_are_all_stored_never_loads_the_model(encoder, fresh_model_state):
    ClaimFactory(text=CLAIMS[2].text, slug="nausea", category="side_effect")
    services.import_article(ARTICLE, title="Breathing", name="a.txt", url="https://example.org/a")
    embedding._load.cache_clear()  # a new process: the vectors are stored, the model is not loaded
    summary = services.import_article(ARTICLE, title="Breathing", name="b.txt", url="https://example.org/b")
    assert summary.embedded == 0 and any("by wording and by meaning" in line for line in summary.lines())
    assert embedding._load.cache_info().currsize == 0


@pytest.mark.django_db
def test_model_files_found_unpinned_when_first_needed_make_the_import_rank_by_wording(tmp_path, fresh_model_state):
    target = _copy_model(tmp_path)
    (target / "model.safetensors").unlink()
    shutil.copyfile(embedding.model_dir() / "tokenizer.json", target / "model.safetensors")  # the wrong file
    fresh_model_state.setenv("KB_EMBEDDING_MODEL_DIR", str(target))
    assert embedding.present() == ""  # the files are there; their SHA-256 is checked when the model is loaded
    ClaimFactory(text=CLAIMS[2].text, slug="nausea", category="side_effect")
    summary = services.import_article(ARTICLE, title="Breathing", name="a.txt")
    assert summary.candidates and not TextEmbedding.objects.exists()
    assert any("semantic matching is off" in line and "not the pinned" in line for line in summary.lines())


@pytest.mark.django_db
def test_many_stored_vectors_are_read_in_one_query_with_the_same_result(monkeypatch, django_assert_num_queries):
    vectors = {CachedEmbedder.digest(f"text {n}"): np.full(384, n, dtype=np.float32) for n in range(4)}
    services._store_embeddings(vectors)
    wanted = [*list(vectors)[:3], "no-such-digest"]
    by_lists = services._stored_embeddings(wanted)
    monkeypatch.setattr(services, "READ_ALL_TERMS", 2)  # more digests than this: the whole table, one query
    with django_assert_num_queries(1):
        whole = services._stored_embeddings(wanted)
    assert set(whole) == set(by_lists) == set(wanted[:3])
    assert all(np.array_equal(whole[d], by_lists[d]) for d in whole)


# --- large knowledge bases: the admin's budget and embed_texts ------------------------------------------------


@pytest.mark.django_db
def test_an_admin_import_over_the_embedding_budget_ranks_by_wording_and_names_the_command(
    client, users, monkeypatch, encoder
):
    from django.urls import reverse

    for n in range(3):
        ClaimFactory(text=f"Ketamine claim number {n} about nausea", slug=f"c-{n}")
    monkeypatch.setattr(services, "WEB_EMBEDDING_BUDGET", 2)
    client.force_login(users["editor"])
    response = client.post(
        reverse("admin:importer_import"),
        {"title": "Breathing", "kind": "news", "format": "auto", "text": ARTICLE},
        follow=True,
    )
    html = response.content.decode()
    # Three claim texts and the article's clauses.
    assert re.search(
        r"\d+ texts \(the knowledge base&#x27;s and this article&#x27;s\) have no embedding yet, more than an "
        r"import from the admin computes \(2\)",
        html,
    )
    assert "run `python manage.py embed_texts` once" in html
    assert not TextEmbedding.objects.exists()
    assert services.Candidate.objects.filter(source__slug="breathing").exists()  # imported all the same


@pytest.mark.django_db
def test_embed_texts_embeds_what_is_missing_once(encoder):
    from io import StringIO

    from django.core.management import call_command

    claim = ClaimFactory(text=CLAIMS[0].text, slug="breathing")
    AssertionFactory(claim=claim, quote="Ketamine does not depress breathing.")
    out, err = StringIO(), StringIO()
    call_command("embed_texts", stdout=out, stderr=err)
    assert "Embedded 2 texts" in out.getvalue() and re.search(r"embedding texts +\[#+\] 100% 2/2", err.getvalue())
    assert TextEmbedding.objects.count() == 2
    out = StringIO()
    call_command("embed_texts", stdout=out)
    assert "Every claim text and quote already has an embedding." in out.getvalue()


@pytest.mark.django_db
def test_embed_texts_says_why_it_cannot_run(fresh_model_state):
    from django.core.management import CommandError, call_command

    fresh_model_state.setenv("KB_EMBEDDINGS", "off")
    with pytest.raises(CommandError, match="Semantic matching is off: KB_EMBEDDINGS=off."):
        call_command("embed_texts")


@pytest.mark.django_db
def test_import_source_shows_the_first_embedding_of_the_knowledge_base(encoder, tmp_path):
    from io import StringIO

    from django.core.management import call_command

    ClaimFactory(text=CLAIMS[2].text, slug="nausea")
    path = tmp_path / "a.txt"
    path.write_text(ARTICLE, encoding="utf-8")
    out, err = StringIO(), StringIO()
    call_command("import_source", str(path), title="Breathing", stdout=out, stderr=err)
    assert re.search(r"embedding new texts +\[#+\] 100% (\d+)/\1", err.getvalue())
    assert "by wording and by meaning" in out.getvalue()


@pytest.mark.django_db
def test_an_import_refused_for_its_metadata_embeds_nothing(encoder):
    ClaimFactory(text=CLAIMS[2].text, slug="nausea")
    with pytest.raises(services.InputError, match="url: Enter a valid URL"):
        services.import_article(ARTICLE, title="Breathing", name="a.txt", url="not a url")
    assert not TextEmbedding.objects.exists() and not services.Source.objects.exists()


@pytest.mark.django_db
def test_an_import_into_an_empty_knowledge_base_says_there_was_nothing_to_match(encoder):
    summary = services.import_article(ARTICLE, title="Breathing", name="a.txt")
    assert (
        "Claims were suggested by wording only: semantic matching is off (the knowledge base has no claims yet)."
        in summary.lines()
    )


def test_quote_scores_are_the_mean_of_each_claims_two_best_quotes(encoder):
    rng = np.random.default_rng(7)
    words = ["ketamine", "works", "fast", "nausea", "infusion", "pain", "mood", "clinic", "dose", "brain"]
    claims = [
        ClaimRecord(
            i,
            f"Claim {i} " + " ".join(rng.choice(words, 4)),
            "efficacy",
            tuple(" ".join(rng.choice(words, 5)) for _ in range(n)),
        )  # fmt: skip
        for i, n in enumerate([0, 1, 2, 3, 5, 7, 1, 0])
    ]
    embed = CachedEmbedder(encoder)
    index = ClaimIndex(claims, embed=embed)
    clause = "ketamine infusion for pain in a clinic"
    _, quote_scores, _ = index._semantic_scores(clause)
    vector = index._centred(embed([clause])[0])
    for i, claim in enumerate(claims):
        quotes = claim.quotes[: ClaimIndex.EMBEDDED_QUOTES]  # only the first four quotes of a claim are embedded
        sims = sorted((max(0.0, float(index._centred(embed([q])[0]) @ vector)) for q in quotes), reverse=True)
        assert quote_scores[i] == pytest.approx((sum(sims[:2])) / 2, abs=1e-5), claim


@pytest.mark.django_db
def test_embed_texts_prune_keeps_what_claims_quotes_and_pending_candidates_use(encoder, users):
    from io import StringIO

    from django.core.management import call_command

    claim = ClaimFactory(text=CLAIMS[0].text, slug="breathing", category="safety")
    ClaimFactory(text=CLAIMS[2].text, slug="nausea", category="side_effect")
    AssertionFactory(claim=claim, quote="Ketamine does not depress breathing.")
    summary = services.import_article(ARTICLE, title="Breathing", name="a.txt")
    reviewed, waiting = summary.source.candidates.order_by("offset")[:2]
    services.reject(reviewed, users["editor"])
    Claim.objects.filter(pk=claim.pk).update(text="Ketamine rarely depresses breathing.")  # the old text is stale
    TextEmbedding.objects.update(created_at=timezone.now() - timedelta(hours=2))
    fresh = "A sentence an import running now has just embedded."
    TextEmbedding.objects.create(digest=CachedEmbedder.digest(fresh), vector=b"\0" * 4)  # within the grace period
    stored = TextEmbedding.objects.count()
    out = StringIO()
    call_command("embed_texts", "--prune", stdout=out, stderr=StringIO())
    digests = set(TextEmbedding.objects.values_list("digest", flat=True))
    digest = CachedEmbedder.digest
    assert digest(reviewed.quote) not in digests and digest(CLAIMS[0].text) not in digests
    assert "Deleted 2 stored embeddings that nothing uses." in out.getvalue()
    # Kept: the other claim, the quote, the clause awaiting review; embedded again: the edited claim's new text.
    assert {digest(CLAIMS[2].text), digest("Ketamine does not depress breathing."), digest(waiting.quote)} <= digests
    assert digest("Ketamine rarely depresses breathing.") in digests and digest(fresh) in digests
    assert "Embedded 1 text in" in out.getvalue()
    assert len(digests) == stored - 2 + 1
    out = StringIO()
    call_command("embed_texts", "--prune", stdout=out)
    assert "Deleted 0 stored embeddings" in out.getvalue()


@pytest.mark.django_db
def test_embed_texts_prunes_without_the_model(fresh_model_state):
    from io import StringIO

    from django.core.management import call_command

    TextEmbedding.objects.create(digest="0" * 64, vector=b"\0" * 4)
    TextEmbedding.objects.update(created_at=timezone.now() - timedelta(hours=2))
    fresh_model_state.setenv("KB_EMBEDDINGS", "off")
    out = StringIO()
    call_command("embed_texts", "--prune", stdout=out)
    assert "Deleted 1 stored embedding that nothing uses." in out.getvalue()
    assert "Nothing embedded: semantic matching is off (KB_EMBEDDINGS=off)." in out.getvalue()
    assert not TextEmbedding.objects.exists()


@pytest.mark.django_db
def test_an_import_whose_index_matrices_are_kept_reads_the_vectors_of_its_own_clauses_only(
    encoder, settings, tmp_path, monkeypatch
):
    settings.KB_INDEX_CACHE_DIR = str(tmp_path)
    services.index_store().clear()
    claim = ClaimFactory(text=CLAIMS[0].text, slug="breathing", category="safety")
    ClaimFactory(text=CLAIMS[2].text, slug="nausea", category="side_effect")
    AssertionFactory(claim=claim, quote="Ketamine does not depress breathing.")
    first = services.import_article(ARTICLE, title="Breathing", name="a.txt", url="https://example.org/a")
    services.index_store().clear()  # a new process: the matrices are in the files
    asked = []
    stored = services._stored_embeddings
    monkeypatch.setattr(services, "_stored_embeddings", lambda digests: asked.extend(digests) or stored(digests))
    second = services.import_article(ARTICLE, title="Breathing", name="b.txt", url="https://example.org/b")
    assert set(asked) == {CachedEmbedder.digest(quote) for quote in first_clauses(second)}
    assert any("by wording and by meaning" in line for line in second.lines())
    suggestions = [
        list(c.source.candidates.order_by("offset").values_list("quote", "suggestions")) for c in (first, second)
    ]
    assert suggestions[0] == suggestions[1]
    services.index_store().clear()
