"""Importing an article: formats, bad input, idempotence, changed sources, the review queue."""

from __future__ import annotations

import io
import re
from collections import Counter

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse

from claims.models import Assertion, Claim
from importer import extract, services
from importer.extract import (
    ClaimIndex,
    ClaimRecord,
    Sentence,
    StudyRecord,
    cited_studies,
    clauses,
    learned_categories,
    likely_categories,
    split_sentences,
    stance_cue,
    terms,
    terms_many,
)
from importer.models import Candidate, SourceSnapshot
from importer.text import MAX_BYTES, InputError, readable_text
from sources.models import Source
from tests.factories import AssertionFactory, ClaimFactory, StudyFactory

pytestmark = pytest.mark.django_db

ARTICLE = (
    "Ketamine for depression\n"
    "Ketamine works within hours for many patients with treatment-resistant depression. "
    "It may also reduce suicidal thoughts, according to Zarate et al. (2006).\n"
    "Some clinics now offer nasal spray ketamine at home, although the effects fade within a week.\n"
    "Living with illness is hard.\n"
)


@pytest.fixture
def known_claims(db):
    # Drafts: a statement attached to a draft is saved at once (on a published claim it waits for review as a
    # revision: tests/test_revisions.py).
    onset = ClaimFactory(
        text="Ketamine's antidepressant effect begins within hours", slug="onset", category="onset", status="draft"
    )
    nasal = ClaimFactory(
        text="Ketamine can be given as a nasal spray at home", slug="nasal", category="administration", status="draft"
    )
    StudyFactory(label="Zarate et al. 2006", slug="zarate-2006", year=2006, authors="Zarate CA Jr")
    return {"onset": onset, "nasal": nasal}


# --- text and extraction ------------------------------------------------------------------------------------


def test_html_keeps_readable_text_and_drops_scripts_styles_and_navigation():
    html = (
        "<html><head><title>T</title><style>p{color:red}</style><script>var x = 'ketamine';</script></head>"
        "<body><nav>Home | About</nav><article><h1>Ketamine</h1><p>Ketamine acts on <b>NMDA</b> receptors.</p>"
        "</article><footer>© Clinic</footer></body></html>"
    )
    text = readable_text(html.encode(), name="a.html")
    assert text == "Ketamine\nKetamine acts on NMDA receptors.\n"


def test_markdown_is_reduced_to_its_text():
    text = readable_text(b"# Ketamine\n\nIt **works** [fast](http://x.test).\n", name="a.md")
    assert text == "Ketamine\nIt works fast.\n"


def test_plain_text_is_archived_unchanged_apart_from_line_endings():
    assert readable_text(b"One line.\r\nTwo lines.\r\n", name="a.txt") == "One line.\nTwo lines.\n"


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b"", "is empty"),
        (b"   \n\t", "is empty"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary"),
        (b"caf\xe9 ketamine", "not UTF-8"),
        (b"x" * (MAX_BYTES + 1), "limit is 2 MB"),
        (b"<html><script>only script</script></html>", "no readable text"),
    ],
)
def test_bad_input_is_refused_with_a_clear_reason(raw, message):
    with pytest.raises(InputError, match=message):
        readable_text(raw, name="upload.html" if b"<html>" in raw else "upload")


def test_sentences_keep_exact_offsets_and_headings_stay_separate():
    sentences = split_sentences(ARTICLE)
    assert sentences[0].text == "Ketamine for depression"
    for sentence in sentences:
        assert ARTICLE[sentence.start : sentence.end] == sentence.text
    assert any(s.text.startswith("It may also reduce suicidal thoughts") for s in sentences)


def test_a_paragraph_of_100_kb_is_read_sentence_by_sentence_in_pieces_pysbd_reads_quickly(monkeypatch):
    sentences = [f"Ketamine helped patient {n} within hours." for n in range(2500)]
    line = " ".join(sentences)
    handed = []
    segmenter = extract._segmenter()

    class Recording:  # pysbd's time grows with the square of what it is handed
        def processor(self, text):
            handed.append(len(text))
            return segmenter.processor(text)

    monkeypatch.setattr(extract, "_segmenter", Recording)
    found = split_sentences(f"Ketamine for depression\n{line}\n")
    assert [s.text for s in found[1:]] == sentences
    assert all(f"Ketamine for depression\n{line}\n"[s.start : s.end] == s.text for s in found)
    assert len(line) > 100_000 and max(handed) <= 5000


def test_clauses_split_at_conjunctions_that_start_a_new_proposition():
    sentence = next(s for s in split_sentences(ARTICLE) if s.text.startswith("Some clinics"))
    parts = [c.text for c in clauses(sentence)]
    assert parts == ["Some clinics now offer nasal spray ketamine at home", "although the effects fade within a week."]
    for part in clauses(sentence):
        assert ARTICLE[part.start : part.end] == part.text


@pytest.mark.parametrize(
    "text, expected",
    [
        (  # a leading subordinate clause is a proposition of its own
            "While the drug is usually well tolerated, nausea and dizziness are common after a session.",
            ["While the drug is usually well tolerated", "nausea and dizziness are common after a session."],
        ),
        (
            "One infusion eased symptoms within a day, with the benefit lasting about a week.",
            ["One infusion eased symptoms within a day", "with the benefit lasting about a week."],
        ),
        (
            "Clinics offer it as an option, particularly for people whom two antidepressants did not help.",
            ["Clinics offer it as an option", "particularly for people whom two antidepressants did not help."],
        ),
        (
            "Patients describe not only faster relief of low mood but also better sleep and appetite.",
            ["Patients describe not only faster relief of low mood", "but also better sleep and appetite."],
        ),
        (
            "Clinics offer it as a last option, especially for people at risk of suicide.",
            ["Clinics offer it as a last option", "especially for people at risk of suicide."],
        ),
        (  # too short to stand alone: the leading clause stays with the rest
            "If needed, doctors repeat the infusion twice a week.",
            ["If needed, doctors repeat the infusion twice a week."],
        ),
        (  # commas of a list, a parenthesis or a quotation do not end the leading clause
            "Although side effects such as nausea, dizziness and dissociation are common, they pass within hours.",
            ["Although side effects such as nausea, dizziness and dissociation are common", "they pass within hours."],
        ),
        (
            "Although nausea, dizziness, headaches and dissociation are common, they pass within hours.",
            ["Although nausea, dizziness, headaches and dissociation are common", "they pass within hours."],
        ),
        (
            "If (as in one small trial, n=20) the dose is raised, side effects become more common.",
            ["If (as in one small trial, n=20) the dose is raised", "side effects become more common."],
        ),
        (
            'While some call it "a miracle, plain and simple," the evidence is thinner than that.',
            ['While some call it "a miracle, plain and simple," the evidence is thinner than that.'],
        ),
        (  # a relative clause describes what it follows: it stays with it
            "Ketamine acts on dopamine and serotonin, which are involved in mood and behaviour.",
            ["Ketamine acts on dopamine and serotonin, which are involved in mood and behaviour."],
        ),
        (  # a trailing concession that says nothing of the domain stays with its main clause
            "Small studies suggest it may help with PTSD, though the evidence there is much thinner.",
            ["Small studies suggest it may help with PTSD, though the evidence there is much thinner."],
        ),
        (  # one that does is a clause of its own
            "Ketamine lifts mood within hours, although the effects fade within a week.",
            ["Ketamine lifts mood within hours", "although the effects fade within a week."],
        ),
        (  # the same words twice: each clause keeps its own offsets
            "Because ketamine acts within hours, ketamine acts within hours, it says.",
            ["Because ketamine acts within hours", "ketamine acts within hours, it says."],
        ),
    ],
)
def test_clauses_split_off_leading_clauses_and_trailing_qualifiers(text, expected):
    prefix = "Ketamine is an anaesthetic. "
    sentence = Sentence(len(prefix), len(prefix) + len(text), text)
    parts = clauses(sentence)
    assert [c.text for c in parts] == expected
    for part in parts:
        assert (prefix + text)[part.start : part.end] == part.text


def test_likely_categories_put_the_best_suggestions_first_then_the_cues_then_the_other_suggestions():
    # Without the learned category model (tests/test_import_learned.py), which votes on the second and third guess.
    onset = ClaimRecord(1, "Ketamine works within hours.", "onset")
    lasting = ClaimRecord(2, "Its effects are long-lasting.", "duration")
    nasal = ClaimRecord(3, "It can be given as a nasal spray.", "administration")
    text = "Symptoms eased within hours and lasted, with little nausea"  # cues: onset, duration, side effect
    guesses = likely_categories(text, [(onset, 0.5), (lasting, 0.3), (nasal, 0.25)], category_model=None)
    assert guesses == ["onset", "duration", "side_effect", "administration"]
    # A weak best match: the keyword cues lead, the suggestions follow.
    assert likely_categories("Mild nausea and headaches are common", [(onset, 0.05)], category_model=None) == [
        "side_effect",
        "onset",
    ]
    assert likely_categories("Nothing to go on here", [], category_model=None) == ["efficacy"]


def test_likely_categories_learn_each_category_s_words_from_the_knowledge_base():
    onset = ClaimRecord(1, "Ketamine works within hours.", "onset", ("relief came within hours",))
    lasting = ClaimRecord(2, "Its effects are long-lasting.", "duration", ("the benefit lasted for months",))
    nasal = ClaimRecord(3, "It can be given as a nasal spray.", "administration", ("a spray into each nostril",))
    vision = ClaimRecord(4, "Ketamine can cause blurred vision.", "side_effect", ("foggy, blurred eyesight",))
    index = ClaimIndex([onset, lasting, nasal, vision], reranker=None)
    text = "Within hours some saw foggy, blurred shapes"
    ranked = [(onset, 0.5), (lasting, 0.3)]
    # By the suggestions and cues alone, two guesses; the side effect is not among them.
    assert likely_categories(text, ranked, category_model=None) == ["onset", "duration"]
    # The side-effect claims' words ("blurred", "foggy") bring it among the three an editor is offered, before the
    # category the clause shares no word with; the suggestions' guesses keep their places.
    assert learned_categories(index, text)[:2] == ["onset", "side_effect"]
    assert likely_categories(text, ranked, index, category_model=None) == [
        "onset",
        "duration",
        "side_effect",
        "administration",
    ]
    # An index without claims learns nothing.
    empty = ClaimIndex([], reranker=None)
    assert likely_categories(text, ranked, empty, None) == likely_categories(text, ranked, category_model=None)


def test_terms_of_many_texts_at_once_are_those_of_each_text_alone():
    texts = [
        "Rapid relief",  # a concept at the very start and end of a text
        "relief that wears off, rapid",
        "It doesn’t work for people who haven’t responded",  # curly apostrophes
        "",
        "IV infusions in a clinical setting, side effects fade; series of infusions",
        "nasal\nesketamine",  # a line break inside a text
    ]
    assert terms_many(texts) == [Counter(terms(text)) for text in texts]


def test_a_word_and_its_inflections_meet_after_stemming():
    """The stemmer gives "headache" and "headaches" one stem (the hand-written one it replaced left "headache" whole
    and cut "headaches" to "headach"), and likewise "reduce", "reduces", "reduced", "reducing"."""
    assert set(terms("headache")) == set(terms("Headaches")) == {"headach"}
    assert len({extract.stem(word) for word in ("reduce", "reduces", "reduced", "reducing")}) == 1


def test_a_one_word_list_item_is_ranked_to_the_claim_naming_it_in_another_inflection():
    index = ClaimIndex(
        [
            ClaimRecord(1, "Ketamine commonly causes headaches", "side_effect"),
            ClaimRecord(2, "Ketamine reduces suicidal thoughts", "efficacy"),
        ],
        reranker=None,
    )
    assert index.rank("Headache")[0][0].id == 1
    assert index.rank("It may reduce thoughts of suicide")[0][0].id == 2


def test_term_vectors_kept_under_one_stemmer_version_are_not_read_under_another(monkeypatch):
    """Kept term vectors (``TextTerms``) and index files are keyed by the analysis' fingerprint: a new release of the
    stemmer library may stem differently, so its version is part of it."""
    import importlib.metadata

    current = extract._analyser_fingerprint()
    assert current == extract.TERM_ANALYSER
    real_version = importlib.metadata.version
    monkeypatch.setattr(
        importlib.metadata,
        "version",
        lambda name: "0.0-other" if name == "snowballstemmer" else real_version(name),
    )
    assert extract._analyser_fingerprint() != current


def test_stance_cues_for_hedges_and_negations():
    assert stance_cue("Ketamine may reduce pain.") == "qualifies"
    assert stance_cue("Ketamine is not a cure.", "Ketamine cures depression") == "contradicts"
    assert stance_cue("Ketamine reduces pain.") == "supports"


def test_named_citations_are_matched_to_known_studies():
    studies = [
        StudyRecord(7, "Zarate et al. 2006", "Zarate CA Jr", 2006),
        StudyRecord(8, "Feder et al. 2014", "", 2014),
    ]
    ids, text = cited_studies("In a trial, Zarate et al. (2006) found a fast effect.", studies)
    assert ids == [7] and text == "Zarate et al. (2006)"


def test_claims_are_ranked_by_similarity():
    index = ClaimIndex(
        [
            ClaimRecord(1, "Ketamine blocks NMDA receptors", "mechanism", ("ketamine is an NMDA receptor antagonist",)),
            ClaimRecord(2, "Ketamine works within hours", "onset", ("relief within a few hours",)),
        ]
    )
    ranked = index.rank("By blocking NMDA receptors, ketamine changes glutamate signalling")
    assert ranked[0][0].id == 1


def test_the_thesaurus_matches_a_claim_worded_differently():
    """ "in a matter of hours" shares no word with "rapid", but both are the concept of a fast onset."""
    index = ClaimIndex(
        [
            ClaimRecord(1, "Ketamine is a rapid-acting antidepressant", "onset"),
            ClaimRecord(2, "Ketamine is an antidepressant used in clinics", "indication"),
        ]
    )
    ranked = index.rank("ketamine lifts depression in a matter of hours")
    assert ranked[0][0].id == 1


def test_a_clause_is_ranked_with_its_sentence_as_context():
    claims = [
        ClaimRecord(1, "Rapid onset explains antidepressant action", "onset"),
        ClaimRecord(2, "New synapses explain antidepressant action", "mechanism"),
    ]
    clause = "which is thought to matter for antidepressant action"
    sentence = "Ketamine helps nerve cells grow new synapses, " + clause
    alone = ClaimIndex(claims, reranker=None).rank(clause)
    assert alone[0][1] == alone[1][1]  # the clause alone cannot tell them apart (first stage)
    assert ClaimIndex(claims).rank(clause, context=sentence)[0][0].id == 2


def test_a_claim_nobody_quotes_yet_does_not_outrank_one_that_sources_state():
    index = ClaimIndex(
        [
            ClaimRecord(1, "Ketamine works within hours", "onset"),
            ClaimRecord(2, "Ketamine works within hours", "onset", ("ketamine works within a few hours",)),
        ]
    )
    assert [claim.id for claim, _ in index.rank("ketamine works within a few hours")] == [2, 1]


def test_the_thesaurus_reads_contractions_with_either_apostrophe():
    from importer.extract import concept_terms

    assert "@resistant" in concept_terms("her depression didn’t respond to two medications")
    assert "@resistant" in concept_terms("patients who haven't improved")
    assert concept_terms("heart failure, over the course of a year, a painting") == []


@pytest.mark.parametrize(
    ("concept", "stated", "not_stated"),
    [
        ("@dependence", "Cravings, since ketamine can be habit-forming", "doses vary depending on the person"),
        ("@diversion", "Ketamine is a Schedule III controlled substance", "given in a controlled setting"),
        ("@diversion", "we keep every dose locked up and logged", "we log how you feel after each dose"),
        ("@offlabel", "Because ketamine isn’t FDA-approved for it", "Esketamine is FDA-approved for depression"),
        ("@offlabel", "No, used off-label", "Yes, approved for treatment-resistant depression"),
        ("@bladder", "Bladder irritation and pain, seen with heavy use", "stomach upset and nausea"),
        ("@veterinary", "Hospitals and veterinarians still use it every day", "we vet every referral carefully"),
        ("@series", "for others it takes two or three infusions", "she tried two antidepressants"),
        ("@series", "six infusions over two to three weeks", "within two to three hours"),
        ("@unknown", "Honestly, nobody knows exactly why it helps", "nobody should drive afterwards"),
        ("@unknown", "though the full picture is still being worked out", "our staff worked with you throughout"),
        ("@supervised", "With a nurse in the room, the dissociation is mild", "the room is dim and quiet"),
        ("@supervised", "a nurse stays with you throughout the session", "you can stay with family afterwards"),
        ("@supervised", "you remain for two hours of monitoring", "dosing and monitoring vary between clinics"),
        ("@supervised", "the spray is used under observation", "that observation started the research"),
        ("@supervised", "every dose is given on site", "the injection site may be sore"),
        ("@supervised", "it must be taken in a certified clinic", "a clinic that mails lozenges to your home"),
        ("@line", "For most patients it is not the first step", "the first step is a phone call"),
        ("@line", "we mostly offer it to adults whose anxiety lingers", "Free parking is offered to patients"),
        ("@line", "it is meant for people who have run out of options", "This guide is meant for adults only"),
        ("@line", "for those who have run out of options", "the spray comes in two options"),
        ("@line", "you have tried three or more medications", "you have tried yoga and walking"),
    ],
)
def test_the_thesaurus_knows_ordinary_paraphrases_of_a_claim(concept, stated, not_stated):
    """Each is the same idea in other words on two or more held-out articles (h20t, docs/importing.md)."""
    from importer.extract import concept_terms

    assert concept in concept_terms(stated)
    assert concept not in concept_terms(not_stated)


def test_questions_are_not_candidates():
    from importer.extract import extract

    text = "Ketamine therapy FAQ\nHow quickly does ketamine work for depression?\nKetamine often works within hours.\n"
    assert [c.clause.text for c in extract(text, ClaimIndex([]))] == ["Ketamine often works within hours."]


def test_a_section_heading_does_not_end_the_article_s_subject():
    from importer.extract import extract

    side_effects = "Side effects\nMild nausea is the most common side effect.\n"
    text = "Ketamine therapy explained\nKetamine is given as an infusion.\n" + side_effects
    quotes = [c.clause.text for c in extract(text, ClaimIndex([]))]
    assert quotes == ["Ketamine is given as an infusion.", "Mild nausea is the most common side effect."]
    assert extract(side_effects, ClaimIndex([])) == []


def test_a_short_sentence_is_a_candidate_and_a_short_heading_is_not():
    from importer.extract import extract

    text = "Ketamine and PTSD\nRisks:\nKetamine works within hours. It is addictive. Nausea is common!\n"
    quotes = [c.clause.text for c in extract(text, ClaimIndex([]))]
    assert quotes == ["Ketamine works within hours.", "It is addictive.", "Nausea is common!"]


# --- importing ----------------------------------------------------------------------------------------------


def test_import_creates_the_source_snapshot_and_candidates(known_claims):
    summary = services.import_article(ARTICLE.encode(), name="a.txt", title="Ketamine news", kind="news")
    source = Source.objects.get(slug="ketamine-news")
    assert source.text == ARTICLE and len(source.text_sha256) == 64
    assert SourceSnapshot.objects.filter(source=source).count() == 1
    quotes = list(Candidate.objects.filter(source=source).values_list("quote", flat=True))
    assert "Ketamine works within hours for many patients with treatment-resistant depression." in quotes
    assert not any("Living with illness" in q for q in quotes)
    zarate = Candidate.objects.get(source=source, quote__startswith="It may also reduce")
    assert zarate.cited_study.label == "Zarate et al. 2006" and zarate.stance == "qualifies"
    onset = Candidate.objects.get(source=source, quote__startswith="Ketamine works within hours")
    assert onset.suggestions[0]["claim"] == known_claims["onset"].pk and onset.category == "onset"
    for candidate in Candidate.objects.filter(source=source):
        assert source.text[candidate.offset : candidate.offset + len(candidate.quote)] == candidate.quote
    assert summary.candidates == Candidate.objects.filter(source=source).count()
    assert "Sentences read: 5" in " ".join(summary.lines())


def test_reimporting_the_same_text_creates_nothing(known_claims):
    services.import_article(ARTICLE.encode(), name="a.txt", title="Ketamine news", url="https://example.org/k")
    counts = (Source.objects.count(), SourceSnapshot.objects.count(), Candidate.objects.count())
    summary = services.import_article(
        ARTICLE.encode(), name="a.txt", title="Ketamine news", url="https://example.org/k"
    )
    assert summary.unchanged
    assert (Source.objects.count(), SourceSnapshot.objects.count(), Candidate.objects.count()) == counts


def test_a_changed_text_is_a_new_snapshot_and_lost_quotes_are_flagged(known_claims):
    services.import_article(ARTICLE.encode(), name="a.txt", title="Ketamine news", url="https://example.org/k")
    source = Source.objects.get(slug="ketamine-news")
    kept = AssertionFactory(source=source, claim=known_claims["onset"], quote="Ketamine works within hours", offset=24)
    lost = AssertionFactory(
        source=source, claim=known_claims["nasal"], quote="nasal spray ketamine at home", offset=None
    )
    changed = ARTICLE.replace("Some clinics now offer nasal spray ketamine at home", "Clinics only treat in person")
    changed = "Updated.\n" + changed
    summary = services.import_article(changed.encode(), name="a.txt", title="Renamed", url="https://example.org/k")
    source.refresh_from_db()
    assert source.text == changed and SourceSnapshot.objects.filter(source=source).count() == 2
    kept.refresh_from_db()
    lost.refresh_from_db()
    assert not kept.source_changed and changed[kept.offset :].startswith(kept.quote)
    assert lost.source_changed
    assert summary.flagged == [lost.pk]
    # The flagged assertion shows up in the editors' work queue.
    assert Assertion.objects.filter(source_changed=True).count() == 1


def test_a_changed_version_replaces_undecided_candidates_and_does_not_ask_again_about_decided_ones(known_claims):
    services.import_article(ARTICLE.encode(), name="a.txt", title="Ketamine news", url="https://example.org/k")
    source = Source.objects.get(slug="ketamine-news")
    accepted = Candidate.objects.get(source=source, quote__startswith="Ketamine works within hours")
    services.attach(accepted, known_claims["onset"], None)
    rejected = Candidate.objects.get(source=source, quote__startswith="It may also reduce")
    services.reject(rejected, None)
    changed = "A new first paragraph about ketamine infusions at the clinic.\n" + ARTICLE.replace(
        "although the effects fade within a week", "and the effects last for months"
    )
    summary = services.import_article(
        changed.encode(), name="a.txt", title="Ketamine news", url="https://example.org/k"
    )
    pending = list(source.candidates.pending())
    # One pending candidate per clause of the new text, each at its place in it; none left from the old text.
    assert len({(c.offset, c.quote) for c in pending}) == len(pending)
    for candidate in pending:
        assert changed[candidate.offset : candidate.offset + len(candidate.quote)] == candidate.quote
        assert candidate.snapshot.sha256 == source.snapshots.first().sha256
    assert not any(c.quote.startswith("It may also reduce") for c in pending)  # rejected before: not asked again
    assert any("the effects last for months" in c.quote for c in pending)
    assert summary.replaced >= 1 and summary.already_decided == 2  # the accepted clause and the rejected one
    assert "not proposed again: 2" in " ".join(summary.lines())
    assert Candidate.objects.get(pk=rejected.pk).status == "rejected"
    assert Candidate.objects.get(pk=accepted.pk).status == "accepted"


def test_a_clause_the_article_repeats_is_asked_about_again_as_often_as_it_was_not_decided(known_claims):
    text = "Ketamine is addictive.\nKetamine is given as an infusion in clinics.\nKetamine is addictive.\n"
    services.import_article(text.encode(), name="a.txt", title="Twice", url="https://example.org/t")
    first, second = Candidate.objects.filter(quote="Ketamine is addictive.").order_by("offset")
    services.reject(first, None)  # the second stays undecided
    changed = "Ketamine nasal spray is approved for depression.\n" + text  # every clause moves
    summary = services.import_article(changed.encode(), name="a.txt", title="Twice", url="https://example.org/t")
    pending = Candidate.objects.pending().filter(quote="Ketamine is addictive.")
    assert pending.count() == 1 and summary.already_decided == 1


TWICE = "Ketamine is addictive.\nKetamine is given as an infusion in clinics.\nKetamine is addictive.\n"


@pytest.mark.parametrize("decided_one", ["first", "second"])
@pytest.mark.parametrize("decision", ["accept", "reject"])
def test_the_undecided_repeat_of_a_clause_is_the_one_proposed_again(known_claims, decided_one, decision):
    services.import_article(TWICE.encode(), name="a.txt", title="Twice", url="https://example.org/t")
    first, second = Candidate.objects.filter(quote="Ketamine is addictive.").order_by("offset")
    chosen, other = (first, second) if decided_one == "first" else (second, first)
    if decision == "accept":
        services.attach(chosen, known_claims["onset"], None)
    else:
        services.reject(chosen, None)
    # Text added before and after, and the line between lengthened: every place moves by a different amount.
    changed = "A new first line about ketamine.\n" + TWICE.replace("in clinics.", "in clinics, say doctors.")
    changed += "And a new last line about ketamine infusions.\n"
    services.import_article(changed.encode(), name="a.txt", title="Twice", url="https://example.org/t")
    pending = list(Candidate.objects.pending().filter(quote="Ketamine is addictive."))
    # The one left undecided comes back, at its own place; the decided one does not.
    undecided_place = changed.index("Ketamine is addictive.") if other == first else changed.rindex("Ketamine is add")
    assert [c.offset for c in pending] == [undecided_place]


def test_a_decided_candidate_takes_more_claims_at_its_own_sentence_after_a_newer_version(known_claims):
    text = "Clinics now offer ketamine infusions.\nKetamine works within hours for many.\n"
    services.import_article(text.encode(), name="a.txt", title="Moves", url="https://example.org/m")
    accepted = Candidate.objects.get(quote="Ketamine works within hours for many.")
    services.attach(accepted, known_claims["onset"], None)
    changed = "Ketamine works within hours for many.\n" + text  # the same sentence, now also at the top
    services.import_article(changed.encode(), name="a.txt", title="Moves", url="https://example.org/m")
    accepted = Candidate.objects.get(pk=accepted.pk)  # as the review page loads it, with the source's new text
    later = services.attach(accepted, known_claims["nasal"], None, quote="Ketamine works within hours")
    assert later.offset == changed.rindex("Ketamine works within hours")  # its own sentence, not the new first one


def test_a_quote_keeps_its_occurrence_when_text_is_added_around_it_or_its_line_is_rewrapped():
    from claims.quotes import relocate_quote

    old = "A. works within hours. " + "x" * 37 + " works within hours. End."
    second = old.rindex("works within hours")
    new = "P" * 58 + old + " " + "y" * 40 + " works within hours."
    assert relocate_quote(old, new, "works within hours", second) == (58 + second, "works within hours")
    old = "First works within hours.\nThen later: works within hours.\n"
    new = "First works within hours.\nThen later: works within\nhours.\n"
    assert relocate_quote(old, new, "works within hours", old.rindex("works")) == (
        new.rindex("works"),
        "works within\nhours",
    )
    assert relocate_quote(old, "Nothing like it.", "works within hours", 6) is None


def test_a_decision_on_a_candidate_a_newer_version_replaced_says_so(known_claims):
    candidate = _imported(known_claims)
    Candidate.objects.filter(pk=candidate.pk).delete()  # as a re-import running meanwhile does
    with pytest.raises(services.DecisionError, match="A newer version of this article was imported meanwhile"):
        services.attach(candidate, known_claims["onset"], None)
    with pytest.raises(services.DecisionError, match="A newer version"):
        services.reject(candidate, None)


def test_a_different_article_whose_title_matches_a_source_slug_becomes_a_new_source(known_claims):
    services.import_article(ARTICLE.encode(), name="a.txt", title="Ketamine news", url="https://example.org/k")
    other = "Ketamine is an anaesthetic that clinics also use for depression.\n"
    summary = services.import_article(other.encode(), name="b.txt", title="Ketamine news", url="https://other.test/x")
    assert summary.created_source and summary.source.slug == "ketamine-news-2"
    original = Source.objects.get(slug="ketamine-news")
    assert original.text == ARTICLE and original.url == "https://example.org/k"
    # Without a URL, the same slug is the same source: a new version of it.
    third = services.import_article(other.encode(), name="b.txt", title="Ketamine news")
    assert third.source.pk in {original.pk, summary.source.pk}


def test_the_same_text_pasted_or_uploaded_or_under_another_title_is_not_imported_twice(known_claims):
    services.import_article(ARTICLE.encode(), name="a.txt", title="Ketamine news", url="https://example.org/k")
    counts = (Source.objects.count(), SourceSnapshot.objects.count(), Candidate.objects.count())
    pasted = services.import_article(
        ARTICLE.strip(), name="pasted text", title="Ketamine news", url="https://example.org/k"
    )
    assert pasted.unchanged
    renamed = services.import_article(ARTICLE.encode(), name="a.txt", title="Another title")
    assert renamed.unchanged and renamed.source.slug == "ketamine-news"
    assert "(ketamine-news) is already archived" in renamed.lines()[0]
    assert renamed.lines()[1] == "The source keeps its title “Ketamine news”; change it on its admin page."
    assert (Source.objects.count(), SourceSnapshot.objects.count(), Candidate.objects.count()) == counts
    # The same text published at another address is another source (syndicated copies are common).
    copy = services.import_article(ARTICLE.encode(), name="a.txt", title="Copy", url="https://copy.test/k")
    assert copy.created_source


def test_bad_input_writes_nothing(known_claims):
    before = (Source.objects.count(), Candidate.objects.count(), SourceSnapshot.objects.count())
    for raw, kind in [(b"", "news"), (b"\x00\x01binary", "news"), (ARTICLE.encode(), "tabloid")]:
        with pytest.raises(InputError):
            services.import_article(raw, name="x", title="T", kind=kind)
    assert (Source.objects.count(), Candidate.objects.count(), SourceSnapshot.objects.count()) == before


def test_a_failure_midway_rolls_the_whole_import_back(known_claims, monkeypatch):
    def boom(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(Candidate.objects, "bulk_create", boom)
    with pytest.raises(RuntimeError):
        services.import_article(ARTICLE.encode(), name="a.txt", title="Ketamine news")
    assert not Source.objects.filter(slug="ketamine-news").exists()
    assert not SourceSnapshot.objects.exists()


# --- command ------------------------------------------------------------------------------------------------


def test_import_source_command_prints_a_summary(known_claims, tmp_path):
    path = tmp_path / "article.md"
    path.write_text("# Ketamine\n\nKetamine **works** within hours for depression.\n", encoding="utf-8")
    out, err = io.StringIO(), io.StringIO()
    call_command("import_source", str(path), title="MD article", kind="blog", stdout=out, stderr=err)
    assert "Created source “MD article”" in out.getvalue() and "Candidates: 1" in out.getvalue()
    assert re.search(r"sentences about ketamine +\[#+\] 100% 1/1", err.getvalue())  # the heading is not about it
    assert Source.objects.get(slug="md-article").text == "Ketamine\nKetamine works within hours for depression.\n"


def test_import_source_command_refuses_bad_files(tmp_path, db):
    with pytest.raises(CommandError, match="no such file"):
        call_command("import_source", str(tmp_path / "missing.txt"), title="x")
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    with pytest.raises(CommandError, match="is empty.*Nothing was imported"):
        call_command("import_source", str(empty), title="x")
    big = tmp_path / "big.txt"
    big.write_bytes(b"a" * (MAX_BYTES + 1))
    with pytest.raises(CommandError, match="larger than 2 MB"):
        call_command("import_source", str(big), title="x")
    good = tmp_path / "good.txt"
    good.write_text(ARTICLE, encoding="utf-8")
    with pytest.raises(CommandError, match="Unknown kind"):
        call_command("import_source", str(good), title="x", kind="weird")
    assert not Source.objects.exists()


# --- admin: import page and review queue -------------------------------------------------------------------


def test_editor_imports_through_the_admin_page(client, users, known_claims):
    client.force_login(users["editor"])
    url = reverse("admin:importer_import")
    upload = SimpleUploadedFile("article.txt", ARTICLE.encode(), content_type="text/plain")
    response = client.post(
        url, {"title": "Ketamine news", "kind": "news", "format": "auto", "file": upload}, follow=True
    )
    assert "Created source “Ketamine news”" in response.content.decode()
    assert Candidate.objects.filter(source__slug="ketamine-news").exists()


def test_import_page_explains_missing_or_double_input_and_bad_files(client, users, db):
    client.force_login(users["editor"])
    url = reverse("admin:importer_import")
    html = client.post(url, {"title": "T", "kind": "news", "format": "auto"}).content.decode()
    assert "Upload a file or paste the text" in html
    upload = SimpleUploadedFile("x.bin", b"\x00\x00\x01\x02", content_type="application/octet-stream")
    html = client.post(url, {"title": "T", "kind": "news", "format": "auto", "file": upload}).content.decode()
    assert "looks like a binary file" in html and "Nothing was imported." in html
    assert not Source.objects.exists()


def test_import_page_names_one_problem_at_a_time_and_refuses_a_big_paste_with_its_form(client, users, db):
    client.force_login(users["editor"])
    url = reverse("admin:importer_import")
    form = {"title": "T", "kind": "news", "format": "auto"}
    both = SimpleUploadedFile("a.txt", ARTICLE.encode(), content_type="text/plain")
    html = client.post(url, {**form, "text": ARTICLE, "file": both}).content.decode()
    assert "Upload a file or paste the text, not both." in html
    empty = SimpleUploadedFile("a.txt", b"", content_type="text/plain")
    html = client.post(url, {**form, "file": empty}).content.decode()
    assert "The submitted file is empty." in html and "Upload a file or paste the text" not in html
    # A paste over the limit, even one over Django's default 2.5 MB of form data, gets the form's own message.
    big = "Ketamine works within hours. " * (MAX_BYTES // 29 + 20000)
    assert len(big) > 2.5 * 1024 * 1024
    response = client.post(url, {**form, "text": big})
    assert response.status_code == 200
    html = response.content.decode()
    assert "The pasted text is larger than 2 MB." in html and "Upload a file or paste the text" not in html
    assert 'value="T"' in html  # what was typed is still there
    assert not Source.objects.exists()


def test_a_pasted_markdown_text_is_recognised_and_converted(known_claims):
    pasted = "## Ketamine\n\nKetamine **works within hours** for [depression](https://x.test/d).\n"
    summary = services.import_article(pasted, name="pasted text", title="Pasted")
    assert summary.source.text == "Ketamine\nKetamine works within hours for depression.\n"
    plain = "Ketamine works within hours.\n- it is given as an infusion\n- or as a nasal spray\n"
    assert readable_text(plain, name="pasted text") == plain  # a list alone does not make Markdown
    # Nor do a "#" that means "number" and asterisks marking footnotes or significance in a plain article.
    plain = "Relief came fast (p<0.01**) but faded (p=0.2**).\n# of patients who relapsed: 12.\nSee Zarate *et al*.\n"
    assert readable_text(plain, name="pasted text") == plain


def test_import_source_refuses_a_large_stdin_with_its_real_size_unknown(db, monkeypatch):
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(b"k" * (MAX_BYTES + 10))))
    with pytest.raises(CommandError, match="stdin is larger than 2 MB; nothing was imported"):
        call_command("import_source", "-", title="Big")
    assert not Source.objects.exists()


def test_anonymous_users_cannot_import_or_review(client, db):
    assert client.get(reverse("admin:importer_import")).status_code == 302
    assert client.get(reverse("admin:importer_candidate_changelist")).status_code == 302


def _imported(known_claims) -> Candidate:
    services.import_article(ARTICLE.encode(), name="a.txt", title="Ketamine news", kind="news")
    return Candidate.objects.get(quote__startswith="Ketamine works within hours")


def test_review_page_shows_context_and_suggestions(client, users, known_claims):
    candidate = _imported(known_claims)
    client.force_login(users["editor"])
    html = client.get(reverse("admin:importer_candidate_change", args=[candidate.pk])).content.decode()
    assert "<strong>Ketamine works within hours for many patients" in html
    assert "antidepressant effect begins within hours" in html and "Create a new draft claim" in html


def test_attaching_creates_a_verified_assertion_and_moves_to_the_next(client, users, known_claims):
    candidate = _imported(known_claims)
    client.force_login(users["editor"])
    url = reverse("admin:importer_candidate_change", args=[candidate.pk])
    onset = known_claims["onset"]
    response = client.post(
        url,
        {
            "decision": "attach",
            "claims": [onset.pk],
            f"stance_{onset.pk}": "supports",
            "quote": "Ketamine works within hours",
        },
    )
    assert response.status_code == 302 and "/importer/candidate/" in response["Location"]
    assertion = Assertion.objects.get(claim=onset)
    assert assertion.quote == "Ketamine works within hours" and assertion.offset == ARTICLE.index(
        "Ketamine works within"
    )
    candidate.refresh_from_db()
    assert candidate.status == "accepted" and candidate.decided_by == users["editor"]
    assert list(candidate.assertions.all()) == [assertion]


def test_one_clause_can_be_attached_to_several_claims_with_their_own_stances(client, users, known_claims):
    candidate = _imported(known_claims)
    client.force_login(users["editor"])
    url = reverse("admin:importer_candidate_change", args=[candidate.pk])
    onset, nasal = known_claims["onset"], known_claims["nasal"]
    page = client.get(url).content.decode()
    assert f'name="stance_{onset.pk}"' in page  # each suggestion has its own stance
    client.post(
        url,
        {
            "decision": "attach",
            "claims": [onset.pk],
            f"stance_{onset.pk}": "supports",
            "other_claim": "nasal",
            "other_stance": "qualifies",
            "quote": candidate.quote,
        },
    )
    stances = dict(Assertion.objects.filter(quote=candidate.quote).values_list("claim__slug", "stance"))
    assert stances == {"onset": "supports", "nasal": "qualifies"}
    assert {a.claim_id for a in Candidate.objects.get(pk=candidate.pk).assertions.all()} == {onset.pk, nasal.pk}
    page = client.get(url).content.decode()
    assert "Became assertions of" in page and "Attach to more claims" in page
    assert f'name="stance_{onset.pk}"' not in page  # a claim it already states is not offered again
    assert "<h2>Reject</h2>" not in page  # accepted: it can take more claims, but not be rejected


def test_attaching_to_several_claims_is_all_or_nothing(users, known_claims):
    candidate = _imported(known_claims)
    services.attach(candidate, known_claims["nasal"], users["editor"])
    with pytest.raises(services.DecisionError, match="already states .*nothing was attached"):
        services.attach_many(
            candidate, [(known_claims["onset"], "supports"), (known_claims["nasal"], "supports")], users["editor"]
        )
    assert not Assertion.objects.filter(claim=known_claims["onset"]).exists()
    assert Candidate.objects.get(pk=candidate.pk).assertions.count() == 1


def test_attaching_with_a_quote_not_in_the_text_is_refused(client, users, known_claims):
    candidate = _imported(known_claims)
    client.force_login(users["editor"])
    url = reverse("admin:importer_candidate_change", args=[candidate.pk])
    response = client.post(
        url,
        {
            "decision": "attach",
            "claims": [known_claims["onset"].pk],
            "quote": "Ketamine cures everyone",
        },
    )
    assert "The quote must be words of this candidate’s sentence" in response.content.decode()
    candidate.refresh_from_db()
    assert candidate.status == "pending" and not Assertion.objects.exists()


REPEATING = (
    "Ketamine works within hours for depression, a clinic says.\n"
    "Ketamine is given as an infusion in a clinic over forty minutes.\n"
    "In short: Ketamine works within hours for many patients.\n"
)


def test_an_attached_quote_is_stored_where_the_candidate_sentence_is_not_where_its_words_first_appear(
    known_claims,
):
    services.import_article(REPEATING.encode(), name="a.txt", title="Repeats", url="https://example.org/r")
    candidate = Candidate.objects.get(source__slug="repeats", quote__startswith="In short")
    assertion = services.attach(candidate, known_claims["onset"], None, quote="Ketamine works within hours")
    place = REPEATING.index("In short") + len("In short: ")
    assert REPEATING.index("Ketamine works within hours") == 0 and assertion.offset == place
    assert REPEATING[assertion.offset :].startswith(assertion.quote)
    # A changed version keeps it at the same occurrence of its words, not at the first one.
    changed = "A new opening line about ketamine infusions.\n" + REPEATING
    services.import_article(changed.encode(), name="a.txt", title="Repeats", url="https://example.org/r")
    assertion.refresh_from_db()
    assert assertion.offset == changed.index("In short") + len("In short: ") and not assertion.source_changed
    # Words from another sentence of the article are refused, not attached to the wrong place.
    with pytest.raises(services.DecisionError, match="words of this candidate’s sentence"):
        services.attach(candidate, known_claims["nasal"], None, quote="given as an infusion")
    assert Assertion.objects.count() == 1


def test_a_quote_may_run_on_into_the_next_sentence(known_claims):
    services.import_article(REPEATING.encode(), name="a.txt", title="Repeats")
    candidate = Candidate.objects.get(source__slug="repeats", quote__startswith="Ketamine works")
    quote = "a clinic says. Ketamine is given"
    assertion = services.attach(candidate, known_claims["nasal"], None, quote=quote)
    assert REPEATING[assertion.offset : assertion.offset + len(quote)].replace("\n", " ") == quote


def test_creating_a_new_claim_makes_a_draft_that_stays_private(client, users, known_claims):
    candidate = Candidate.objects.get(pk=_imported(known_claims).pk)
    client.force_login(users["editor"])
    url = reverse("admin:importer_candidate_change", args=[candidate.pk])
    client.post(
        url,
        {
            "decision": "new",
            "text": "Ketamine helps within hours in TRD",
            "category": "onset",
            "quote": candidate.quote,
        },
    )
    claim = Claim.objects.get(text="Ketamine helps within hours in TRD")
    assert claim.status == "draft" and claim.grade == "not_graded"
    assert claim.assertions.get().quote == candidate.quote
    client.logout()
    assert client.get(claim.get_absolute_url()).status_code == 404


def test_the_new_claim_form_offers_the_extractor_s_likely_categories_first(client, users, known_claims):
    candidate = _imported(known_claims)
    assert candidate.category == "onset"
    assert candidate.category not in candidate.other_categories and len(candidate.other_categories) <= 2
    Candidate.objects.filter(pk=candidate.pk).update(other_categories=["efficacy", "no_such_category"])
    client.force_login(users["editor"])
    url = reverse("admin:importer_candidate_change", args=[candidate.pk])
    html = client.get(url).content.decode()
    assert "category onset (next guesses: efficacy)" in html
    likely = re.search(r'<optgroup label="Likely">(.*?)</optgroup>', html, re.S).group(1)
    assert re.findall(r'value="(\w+)"', likely) == ["onset", "efficacy"] and "selected" in likely.split("efficacy")[0]
    others = re.search(r'<optgroup label="Other categories">(.*?)</optgroup>', html, re.S).group(1)
    assert 'value="history"' in others and 'value="onset"' not in others
    # Any category can still be chosen; a made-up one is refused with the form's message.
    response = client.post(url, {"decision": "new", "text": "A claim", "category": "made_up", "quote": candidate.quote})
    assert "Select a valid choice" in response.content.decode() and not Claim.objects.filter(text="A claim").exists()
    client.post(url, {"decision": "new", "text": "A claim", "category": "history", "quote": candidate.quote})
    assert Claim.objects.get(text="A claim").category == "history"


def test_rejecting_and_deciding_twice(client, users, known_claims):
    candidate = _imported(known_claims)
    services.reject(candidate, users["editor"], "Filler")
    candidate.refresh_from_db()
    assert candidate.status == "rejected" and candidate.note == "Filler"
    with pytest.raises(services.DecisionError, match="has been rejected"):
        services.attach(candidate, known_claims["onset"], users["editor"])
    with pytest.raises(services.DecisionError, match="already been decided"):
        services.reject(candidate, users["editor"])
    client.force_login(users["editor"])
    page = client.get(reverse("admin:importer_candidate_change", args=[candidate.pk])).content.decode()
    assert "Attach to" not in page and "<h2>Reject</h2>" not in page and "Create a new draft claim" not in page
    accepted = Candidate.objects.pending().first()
    services.attach(accepted, known_claims["onset"], users["editor"])
    with pytest.raises(services.DecisionError, match="already been decided"):
        services.reject(accepted, users["editor"])


def test_candidate_list_query_count_is_fixed(client, users, known_claims, django_assert_max_num_queries):
    _imported(known_claims)
    client.force_login(users["editor"])
    url = reverse("admin:importer_candidate_changelist")
    client.get(url)
    with django_assert_max_num_queries(12) as first:
        client.get(url)
    services.import_article(ARTICLE.replace("Ketamine news", "Other").encode(), name="b.txt", title="Other article")
    with django_assert_max_num_queries(len(first.captured_queries)):
        client.get(url)


def test_the_extractor_meets_its_recall_target_on_the_seed_articles(db):
    from pathlib import Path

    from importer.bench import run

    result = run(Path(__file__).resolve().parent.parent / "fixtures" / "kb.json", compare=False)
    if not result["totals"]["assertions"]:
        pytest.skip("the seed fixture holds no assertions")
    assert result["overall"]["recall"] >= 0.85
    assert result["heldout"]["overall"]["recall"] >= 0.85
    # The category is among the three guesses the review page offers first (measured: 0.94 seed, 0.88 held-out).
    assert result["overall"]["category_top3"] >= 0.85
    assert result["heldout"]["overall"]["category_top3"] >= 0.85


def test_the_held_out_answer_key_matches_its_articles_and_the_seed_claims():
    import json

    from claims.models import Category, Stance
    from importer.bench import HELDOUT_DIR, heldout_text

    claims = {c["slug"]: c for c in json.loads((HELDOUT_DIR.parents[2] / "fixtures/seed/claims.json").read_text())}
    articles = json.loads((HELDOUT_DIR / "answers.json").read_text(encoding="utf-8"))["articles"]
    assert any(article["file"].endswith(".html") for article in articles)
    for article in articles:
        text = heldout_text(HELDOUT_DIR / article["file"])  # an HTML page's offsets are into its readable text
        assert article["assertions"]
        for a in article["assertions"]:
            assert text[a["offset"] : a["offset"] + len(a["quote"])] == a["quote"], a["quote"]
            # a list item's quote is its words, as a candidate holds them, without the "- " the conversion writes
            assert not a["quote"].startswith(("- ", "* ", "• ")), a["quote"]
            assert a["category"] in Category.values and a["stance"] in Stance.values
            if a["claim"] is not None:
                assert claims[a["claim"]]["category"] == a["category"], a["quote"]


def test_attaching_to_another_claim_by_id_or_slug_or_to_nothing(client, users, known_claims):
    candidate = _imported(known_claims)
    client.force_login(users["editor"])
    url = reverse("admin:importer_candidate_change", args=[candidate.pk])
    html = client.post(url, {"decision": "attach", "quote": candidate.quote}).content.decode()
    assert "Tick at least one of the suggested claims" in html
    html = client.post(
        url, {"decision": "attach", "other_claim": "no-such-claim", "quote": candidate.quote}
    ).content.decode()
    assert "No claim “no-such-claim” was found." in html
    assert not Assertion.objects.exists()
    client.post(
        url, {"decision": "attach", "other_claim": "nasal", "quote": candidate.quote, "other_stance": "qualifies"}
    )
    assertion = Assertion.objects.get(claim=known_claims["nasal"])
    assert assertion.stance == "qualifies" and assertion.quote == candidate.quote


def test_a_malformed_url_is_refused_with_a_message_and_nothing_written(tmp_path, db):
    good = tmp_path / "good.txt"
    good.write_text(ARTICLE, encoding="utf-8")
    with pytest.raises(CommandError, match="url: Enter a valid URL.*Nothing was imported"):
        call_command("import_source", str(good), title="x", url="not a url")
    assert not Source.objects.exists() and not SourceSnapshot.objects.exists()


def test_the_migration_to_several_assertions_keeps_earlier_decisions(transactional_db):
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    # Every other app stays at its latest migration, so that the historical models match the tables (a claim
    # created through the state of importer 0002 alone would miss columns that later claims migrations added).
    others = [node for node in executor.loader.graph.leaf_nodes() if node[0] != "importer"]
    before = [("importer", "0002_importer_permissions"), *others]
    after = [("importer", "0003_candidate_assertions"), *others]
    executor.migrate(before)
    try:
        apps = executor.loader.project_state(before).apps
        source = apps.get_model("sources", "Source").objects.create(title="T", slug="t", text="Ketamine works.")
        claim = apps.get_model("claims", "Claim").objects.create(text="C", slug="c", category="onset")
        assertion = apps.get_model("claims", "Assertion").objects.create(
            claim=claim, source=source, quote="Ketamine works.", offset=0
        )
        apps.get_model("importer", "Candidate").objects.create(
            source=source, quote="Ketamine works.", offset=0, sentence="Ketamine works.", sentence_offset=0,
            category="onset", stance="supports", status="accepted", assertion=assertion,
        )  # fmt: skip
        executor = MigrationExecutor(connection)
        executor.migrate(after)
        apps = executor.loader.project_state(after).apps
        candidate = apps.get_model("importer", "Candidate").objects.get()
        assert list(candidate.assertions.values_list("pk", flat=True)) == [assertion.pk]
        # Back again: the first assertion is the one the single link keeps.
        executor = MigrationExecutor(connection)
        executor.migrate(before)
        apps = executor.loader.project_state(before).apps
        assert apps.get_model("importer", "Candidate").objects.get().assertion_id == assertion.pk
    finally:
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(executor.loader.graph.leaf_nodes())


def _staff_with(*codenames: str):
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Permission

    user = get_user_model().objects.create_user("sam", password="pw-sam-123!", is_staff=True)
    user.user_permissions.set(Permission.objects.filter(codename__in=codenames))
    return user


def test_a_viewer_of_candidates_sees_no_decisions_and_cannot_post_one(client, known_claims):
    candidate = _imported(known_claims)
    client.force_login(_staff_with("view_candidate"))
    url = reverse("admin:importer_candidate_change", args=[candidate.pk])
    page = client.get(url).content.decode()
    assert "Ketamine works within hours" in page and "Attach to" not in page and "<h2>Reject</h2>" not in page
    onset = known_claims["onset"]
    response = client.post(url, {"decision": "attach", "claims": [onset.pk], "quote": candidate.quote})
    assert response.status_code == 403 and not Assertion.objects.exists()


def test_only_someone_who_may_add_claims_can_draft_one_from_a_candidate(client, known_claims):
    candidate = _imported(known_claims)
    client.force_login(_staff_with("view_candidate", "change_candidate", "add_assertion"))
    url = reverse("admin:importer_candidate_change", args=[candidate.pk])
    assert "Create a new draft claim" not in client.get(url).content.decode()
    response = client.post(
        url, {"decision": "new", "text": "A new claim", "category": "onset", "quote": candidate.quote}
    )
    assert response.status_code == 403 and not Claim.objects.filter(text="A new claim").exists()


def test_a_tampered_attach_form_says_what_is_wrong_and_writes_nothing(client, users, known_claims):
    candidate = _imported(known_claims)
    client.force_login(users["editor"])
    url = reverse("admin:importer_candidate_change", args=[candidate.pk])
    unsuggested = ClaimFactory(text="Ketamine is an old drug", slug="old")
    page = client.post(url, {"decision": "attach", "claims": [unsuggested.pk], "quote": candidate.quote})
    assert "Select a valid choice" in page.content.decode()
    onset = known_claims["onset"]
    page = client.post(
        url, {"decision": "attach", "claims": [onset.pk], f"stance_{onset.pk}": "loves", "quote": candidate.quote}
    )
    assert "Select a valid choice" in page.content.decode()
    page = client.post(url, {"decision": "attach", "other_claim": "nasal", "other_stance": "x", "quote": "q"})
    assert "Select a valid choice" in page.content.decode()
    assert not Assertion.objects.exists() and Candidate.objects.get(pk=candidate.pk).status == "pending"


def test_adding_claims_later_keeps_who_accepted_the_candidate_first(users, known_claims):
    candidate = _imported(known_claims)
    services.attach(candidate, known_claims["onset"], users["editor"])
    first = Candidate.objects.get(pk=candidate.pk)
    services.attach(first, known_claims["nasal"], users["reviewer"])
    again = Candidate.objects.get(pk=candidate.pk)
    assert again.decided_by == users["editor"] and again.decided_at == first.decided_at
    assert again.assertions.count() == 2


def test_review_page_query_count_does_not_grow_with_suggestions_or_assertions(
    client, users, known_claims, django_assert_num_queries
):
    candidate = _imported(known_claims)
    client.force_login(users["editor"])
    url = reverse("admin:importer_candidate_change", args=[candidate.pk])
    client.get(url)
    # session, user, the candidate with its source/study/snapshot/decider, the user's and the groups' permissions,
    # the assertions it became with their claims, its statements waiting for review (revisions) with their claims,
    # the suggested claims, the next pending candidate, the conditions of the new-claim form.
    with django_assert_num_queries(10):
        client.get(url)
    services.attach(candidate, known_claims["onset"], users["editor"])
    Claim.objects.filter(pk=known_claims["nasal"].pk).update(status="published")  # this one waits as a revision
    services.attach(candidate, known_claims["nasal"], users["editor"])
    with django_assert_num_queries(10):
        client.get(url)
