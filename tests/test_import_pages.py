"""The importer on real web pages (issue 15): lists and tables, page furniture, FAQ context, fragments, stance per
suggested claim, and the review screen's threshold, claim search, refresh and link to a drafted claim."""

from __future__ import annotations

import time
from collections import Counter
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from claims.models import Claim
from importer import services, tasks
from importer.extract import SKIPPED_REASONS, relevant_clauses, split_sentences, stance_cue
from importer.models import Candidate, Job
from importer.text import InputError, readable_document, readable_text
from revisions.models import Revision
from tests.factories import NOT_SAFE_IF_YOU_HAVE, ClaimFactory, blood_pressure_claims

PAGE = """<!doctype html><html><head><title>Ketamine side effects | Clinic</title></head><body>
<div class="site-menu"><a href="/">Home</a> <a href="/services">Ketamine infusions</a>
<a href="/team">Our team</a></div>
<div id="cookie-consent">We use cookies to give you the best experience on our website. Accept all cookies.</div>
<main><article>
<h1>What to expect from ketamine infusions</h1>
<p>Ketamine is used to treat depression that has not responded to other medications.</p>
<p>Rare but serious side effects include:</p>
<ul><li>Headache</li><li>Slowed breathing</li><li>Dependence and misuse</li></ul>
<table><tr><th>Route</th><th>Dose</th></tr>
<tr><td>Intravenous ketamine</td><td>0.5 mg/kg over 40 minutes</td></tr></table>
</article></main>
<div class="share-bar">Share this article on Facebook, Twitter or by email with your friends today.</div>
<div class="related-posts"><h3>Read next</h3>
<p>Ketamine is not addictive at clinical doses, our doctors explain.</p></div>
<div id="comments"><p>Jane wrote: Ketamine is not addictive at clinical doses and it changed my life.</p></div>
</body></html>"""


@pytest.fixture
def side_effects(db):
    return ClaimFactory(
        text="Ketamine's side effects include headache, nausea and slowed breathing", slug="side-effects",
        category="side_effect",
    )  # fmt: skip


# --- text -------------------------------------------------------------------------------------------------------


def test_a_page_keeps_its_article_with_list_items_and_table_rows_and_drops_div_furniture():
    readable = readable_document(PAGE.encode(), name="page.html")
    lines = readable.text.splitlines()
    assert "- Headache" in lines and "- Slowed breathing" in lines
    assert "Intravenous ketamine | 0.5 mg/kg over 40 minutes" in lines  # cells not run together
    for furniture in ("cookies", "Share this", "Read next", "not addictive", "Our team"):
        assert furniture not in readable.text
    assert readable.dropped >= 5


def test_a_page_with_only_navigation_is_refused_with_that_reason():
    menu = "<html><body><div class='menu'>" + "".join(f"<a href='/{i}'>Ketamine page {i}</a>" for i in range(9))
    with pytest.raises(InputError, match="no readable article"):
        readable_text((menu + "</div><nav>Home About Contact us today please</nav></body></html>").encode(), "x.html")


ARTICLE = """<!doctype html><html><head><title>Ketamine guide</title></head><body>
<main>{before}<article class="post {cls}">
<h1>Ketamine for depression</h1>
<p>Ketamine can ease symptoms of depression within hours, rather than the weeks most antidepressants need.</p>
{middle}
<p>It is mainly offered to people whose depression has not improved with two standard medications.</p>
{end}
</article>{after}</main></body></html>"""


def _read(middle: str = "", end: str = "", before: str = "", after: str = "", cls: str = "") -> list[str]:
    page = ARTICLE.format(middle=middle, end=end, before=before, after=after, cls=cls)
    lines = readable_text(page.encode(), name="page.html").splitlines()
    kept = "Ketamine can ease symptoms of depression within hours, rather than the weeks most antidepressants need."
    assert kept in lines  # the article is kept
    return lines


@pytest.mark.parametrize(
    "sources",
    [
        '<section class="Sources_sources__Yk1tB"><h2>Sources reviewed by our medical team</h2><ol><li>A national '
        "association. Consensus statement on ketamine treatment for mood disorders.</li></ol></section>",
        "<h2>References</h2><ol><li>A national association. Consensus statement on ketamine treatment for mood "
        "disorders.</li></ol>",
        '<ol class="references"><li>A national association. Consensus statement on ketamine treatment for mood '
        "disorders.</li></ol>",
        '<div role="doc-bibliography"><p>A national association. Consensus statement on ketamine treatment for mood '
        "disorders.</p></div>",
    ],
)
def test_a_list_of_references_or_sources_in_the_article_is_dropped(sources):
    lines = _read(end=sources + "<h2>Bottom line</h2><p>Ketamine works quickly for many people with depression.</p>")
    assert not any("Consensus statement" in line or line.startswith(("Sources", "References")) for line in lines)
    assert "Ketamine works quickly for many people with depression." in lines  # the next section is not


@pytest.mark.parametrize(
    "furniture",
    [
        '<div class="AdSlot_slot__Vc8pZ"><p>Feeling stuck? Take our free mood check about ketamine today.</p></div>',
        '<div data-ad-unit="learn_1"><p>Feeling stuck? Take our free mood check about ketamine today.</p></div>',
        '<ins class="adsbygoogle"><p>Feeling stuck? Take our free mood check about ketamine today.</p></ins>',
        '<div aria-label="Advertisement"><p>Feeling stuck? Take our free mood check about ketamine today.</p></div>',
        '<div class="sponsored-content"><p>Feeling stuck? Take our free mood check about ketamine today.</p></div>',
        '<div class="AuthorBio_bio__Pq0sA"><p>Feeling stuck? Take our free mood check about ketamine today.</p></div>',
        '<div itemprop="author"><p>Feeling stuck? Take our free mood check about ketamine today.</p></div>',
        '<p><a rel="author" href="/a">Dana</a> writes: Feeling stuck? Take our free mood check about ketamine today.'
        "</p>",
        '<div role="dialog" aria-modal="true"><p>Feeling stuck? Take our free mood check about ketamine today.</p>'
        "</div>",
        "<dialog open><p>Feeling stuck? Take our free mood check about ketamine today.</p></dialog>",
        '<div role="complementary"><p>Feeling stuck? Take our free mood check about ketamine today.</p></div>',
    ],
)
def test_ads_author_bios_dialogs_and_sidebars_inside_the_article_are_dropped(furniture):
    lines = _read(middle=furniture)
    assert not any("mood check" in line for line in lines)
    assert "It is mainly offered to people whose depression has not improved with two standard medications." in lines


DISCLAIMER = (
    "<p>This guide is for general information and isn’t a substitute for advice from your own doctor. Our pharmacy "
    "does not dispense esketamine at every location.</p>"
)


@pytest.mark.parametrize(
    "where",
    [
        {"end": f'<div class="Disclaimer_disclaimer__Pa3Qs">{DISCLAIMER}</div>'},  # inside the article (page 18)
        {"end": f'<section id="disclaimer">{DISCLAIMER}</section>'},
        {"after": f'<div class="page-disclaimer">{DISCLAIMER}</div>'},  # after it, in <main>
    ],
)
def test_a_disclaimer_block_is_dropped_inside_the_article_or_after_it(where):
    lines = _read(**where)
    assert not any("dispense" in line or "general information" in line for line in lines)
    assert "It is mainly offered to people whose depression has not improved with two standard medications." in lines


LONG_SECTION = (
    "<p>Ketamine is mainly used when two or more antidepressants have not helped enough. Most clinics give it as an "
    "infusion over about forty minutes, and a nurse checks your blood pressure during and after each session. Many "
    "people notice a lift in mood within a day, though the effect often fades after a week or two without further "
    "sessions. Side effects such as nausea, dizziness and a dreamlike feeling usually pass within an hour.</p>"
)


@pytest.mark.parametrize(
    "wrapper",
    [
        '<div class="entry-content" data-show-disclaimer="true">{}</div>',  # a data-* attribute is no class
        '<div class="with-disclaimer">{}</div>',  # too long for a disclaimer: the article's own text
    ],
)
def test_the_article_s_text_in_a_block_that_only_mentions_a_disclaimer_is_kept(wrapper):
    lines = _read(middle=wrapper.format(LONG_SECTION))
    assert any(line.startswith("Ketamine is mainly used when two or more antidepressants") for line in lines)


def test_a_class_that_only_contains_the_letters_ad_is_no_ad_and_an_article_is_never_dropped():
    lines = _read(
        middle='<div class="css-1ad2f gradient-head"><p>Ketamine blocks the NMDA receptor in the brain.</p></div>',
        cls="author-dana bio",  # an <article> whose classes name its author is still the article
    )
    assert "Ketamine blocks the NMDA receptor in the brain." in lines


def test_a_pull_quote_and_a_figure_caption_inside_the_article_are_kept_in_place():
    lines = _read(
        middle='<figure class="PullQuote_quote__w2Ev8"><blockquote><p>“Ketamine isn’t a cure, but feeling better '
        "within a day can be the opening people need.”</p></blockquote><figcaption>— A psychiatrist and medical "
        "reviewer</figcaption></figure>"
    )
    quote = "“Ketamine isn’t a cure, but feeling better within a day can be the opening people need.”"
    assert lines[2:5] == [quote, "— A psychiatrist and medical reviewer", lines[4]]
    assert lines[4].startswith("It is mainly offered")


def test_a_nested_lists_parent_ending_in_a_colon_is_a_lead_in_and_context_of_its_items():
    text = (
        "Like any medication, ketamine has side effects. Here’s what to watch for:\n"
        "- Short-term, during or soon after a session:\n- Nausea\n- Headache\n"
        "- Long-term, mostly with frequent use:\n- Bladder damage\n- Addiction\n"
    )
    skipped = Counter()
    found = {s.text: s for s, _ in relevant_clauses(text, skipped)}
    assert list(found) == ["Like any medication, ketamine has side effects.", "Nausea", "Headache", "Bladder damage",
                           "Addiction"]  # fmt: skip
    assert found["Nausea"].lead == (
        "Like any medication, ketamine has side effects. Here’s what to watch for: Short-term, during or soon after a "
        "session:"
    )
    assert found["Addiction"].lead.endswith("watch for: Long-term, mostly with frequent use:")
    assert skipped["lead-in"] == 3
    # an item ending in ":" with no items after it is an item
    assert [s.text for s, _ in relevant_clauses("Ketamine side effects include:\n- Nausea\n- Dizziness:\n")] == [
        "Nausea",
        "Dizziness:",
    ]


# The page's title and the FAQ's heading name no ketamine: only a question that names it opens its answer.
FAQ = """<!doctype html><html><body><main><article><h1>Infusions at our clinic: questions</h1>
<p>Ketamine is given as an infusion at our clinic, and many patients feel better within hours.</p>
<h2>Frequently asked questions</h2>{faq}</article></main></body></html>"""


@pytest.mark.parametrize(
    "faq",
    [
        "<details><summary>Can I drive home after a ketamine session?</summary><div><p>No. Plan on having someone "
        "drive you, and don’t drive until the next day.</p></div></details>"
        "<details><summary>Where do I park?</summary><p>Plan on using the garage next door on the left.</p></details>",
        '<div itemscope itemtype="https://schema.org/FAQPage"><div itemscope itemprop="mainEntity" '
        'itemtype="https://schema.org/Question"><span itemprop="name">Can I drive home after a ketamine session?</span>'
        '<div itemscope itemprop="acceptedAnswer" itemtype="https://schema.org/Answer"><span itemprop="text">No. Plan '
        "on having someone drive you, and don’t drive until the next day.</span></div></div>"
        '<div itemscope itemprop="mainEntity" itemtype="https://schema.org/Question"><span itemprop="name">Where do I '
        'park?</span><div itemscope itemprop="acceptedAnswer" itemtype="https://schema.org/Answer"><span '
        'itemprop="text">Plan on using the garage next door on the left.</span></div></div></div>',
        # an accordion rendered as a list: each question comes out as a list item over its answer
        '<ul class="items"><li><div role="button"><div class="label">Can I drive home after a ketamine session?</div>'
        "</div><div><p>No. Plan on having someone drive you, and don’t drive until the next day.</p></div></li>"
        '<li><div role="button"><div class="label">Where do I park?</div></div><div><p>Plan on using the garage next '
        "door on the left.</p></div></li></ul>",
    ],
)
def test_an_faq_answer_is_read_under_its_question_that_names_ketamine(faq):
    text = readable_text(FAQ.format(faq=faq).encode(), name="faq.html")
    assert "Can I drive home after a ketamine session?\nNo. Plan on having someone drive you" in text
    found = [s.text for s, _ in relevant_clauses(text)]
    assert "Plan on having someone drive you, and don’t drive until the next day." in found
    assert "Plan on using the garage next door on the left." not in found  # its question does not name ketamine


def _offered(text: str) -> tuple[list[str], Counter]:
    """The sentences offered from ``text`` (no claim filter: the rules alone) and the lines skipped, by reason."""
    skipped = Counter()
    return [s.text for s, _ in relevant_clauses(text, skipped, claim_filter=None)], skipped


FAQ_PAGE = (
    "{title}\nKetamine is given as an infusion at our clinic.\n{heading}\n"
    "- Do I have to stop my antidepressant?\nUsually not. Most people stay on their current medicines.\n"
    "- How soon will I feel different?\nSome people feel lighter the same evening.\n"
    "© 2026 Osprey Point. All rights reserved.\n"
)


@pytest.mark.parametrize(
    ("title", "heading"),
    [
        ("Ketamine-Assisted Therapy", "Frequently asked questions"),
        ("Our clinic", "Ketamine: frequently asked questions"),
    ],
)
def test_an_faq_answer_is_about_ketamine_when_the_page_title_or_the_faq_heading_names_it(title, heading):
    text = FAQ_PAGE.format(title=title, heading=heading)
    found, _ = _offered(text)
    assert "Most people stay on their current medicines." in found
    assert "Some people feel lighter the same evening." in found
    assert not [f for f in found if "?" in f or "©" in f]  # no question, nor the footer line after the last answer


def test_an_faq_on_a_page_not_about_ketamine_gives_no_candidate_from_its_answers():
    # Ketamine is named in a paragraph, but neither the page's title, the FAQ's heading nor a question names it.
    text = FAQ_PAGE.format(title="Our clinic", heading="Frequently asked questions")
    found, skipped = _offered(text)
    assert found == ["Ketamine is given as an infusion at our clinic."]
    assert skipped["off-topic"] == 4  # the two answers and the footer line's two sentences
    # a later heading that names no ketamine ends the section whose heading did
    text = FAQ_PAGE.format(title="Our clinic", heading="Ketamine: frequently asked questions\nVisiting us")
    assert relevant_clauses(text, claim_filter=None)[1:] == []


def test_an_instruction_under_a_question_that_does_not_name_ketamine_is_not_offered():
    # The page's title names ketamine: its FAQ answers are about it, but not an instruction about the visit.
    text = (
        "Ketamine Therapy FAQ\nKetamine is given as an infusion at our clinic.\n"
        "Do I need to prepare for my appointment?\nTake your usual medications unless your doctor tells you "
        "otherwise. Please arrive ten minutes early. On the day, park behind the building. You won't be able to "
        "drive for the rest of the day, so please arrange a ride home.\n"
        "What will I feel during a session?\nMost people feel relaxed.\n"
        "Can I drive home after a ketamine session?\nPlan on having someone drive you.\n"
    )
    found, skipped = _offered(text)
    assert found == [
        "Ketamine is given as an infusion at our clinic.",
        "You won't be able to drive for the rest of the day, so please arrange a ride home.",  # a statement first
        "Most people feel relaxed.",
        "Plan on having someone drive you.",  # its question names ketamine: it answers about ketamine
    ]
    assert skipped["off-topic"] == 3


def test_an_instruction_that_names_the_domain_is_still_read():
    text = (
        "Ketamine Therapy FAQ\nDo I need to prepare?\n"
        "Please don't eat for four hours before, since ketamine can make some people queasy.\n"
    )
    found = [s.text for s, _ in relevant_clauses(text, claim_filter=None)]
    assert found == ["Please don't eat for four hours before, since ketamine can make some people queasy."]


def test_a_list_item_is_about_what_most_of_its_list_is_about():
    text = (
        "Ketamine therapy has side effects.\nRarer, but important to know about:\n"
        "- Bladder pain and damage in people who use large amounts\n- Memory problems with heavy, frequent use\n"
        "- Cravings or misuse, since ketamine can be habit-forming\n"
    )
    found, skipped = _offered(text)
    assert found[1:] == [
        "Bladder pain and damage in people who use large amounts",
        "Memory problems with heavy, frequent use",
        "Cravings or misuse, since ketamine can be habit-forming",
    ]  # in the page's order
    assert skipped["off-topic"] == 0 and skipped["lead-in"] == 1


def test_a_list_mostly_not_about_ketamine_and_title_case_entries_stay_out():
    footer = "Ketamine therapy has side effects.\nFind us\n- Home\n- Ketamine infusions\n- About our team\n- Contact\n"
    assert [s.text for s, _ in relevant_clauses(footer, claim_filter=None)] == [
        "Ketamine therapy has side effects.",
        "Ketamine infusions",
    ]
    contents = "Ketamine therapy has side effects.\nContents\n- Side effects of ketamine\n- Real-Life Success Stories\n"
    assert "Real-Life Success Stories" not in [s.text for s, _ in relevant_clauses(contents, claim_filter=None)]


def test_call_us_told_of_someone_else_is_no_call_to_action():
    text = (
        "Ketamine is offered to adults with depression.\n"
        "Most of the people we see have tried two antidepressants before they call us.\n"
        "Call us or book online today.\n"
    )
    found, skipped = _offered(text)
    assert found == text.splitlines()[:2]
    assert skipped["boilerplate"] == 1


def test_an_faq_question_read_as_a_list_item_is_counted_as_a_question_and_not_offered():
    text = (
        "Ketamine infusions: what patients ask\n"
        "- Is ketamine addictive?\nIt can be, when it is misused outside of medical care.\n"
        "- Can I keep taking my antidepressant during ketamine treatment?\nUsually, yes. Most people stay on their "
        "current medicines.\n"
        "- Do people wonder whether ketamine is safe\n"
    )
    found, skipped = _offered(text)
    assert not [f for f in found if "?" in f or "wonder" in f]
    assert "Most people stay on their current medicines." in found  # answers its question, though it names nothing
    # the title, the three questions and "Usually, yes." (too short to state anything); no question is "off-topic"
    assert skipped["heading"] == 5 and skipped["off-topic"] == 0


def test_a_list_of_ordinary_items_is_still_read_after_a_question():
    text = "What side effects does ketamine have?\n- Nausea\n- Dizziness\n"
    assert [s.text for s, _ in relevant_clauses(text, claim_filter=None)] == ["Nausea", "Dizziness"]


STEPS_AND_FAQ = (
    "What a course of ketamine therapy looks like\n"
    "A typical course of ketamine therapy runs over six weeks and includes three kinds of sessions:\n"
    "- Preparation. In one or two therapy sessions, you and your therapist talk about your history.\n"
    "- Dosing sessions. You take a ketamine lozenge and rest for about an hour while a therapist stays with you.\n"
    "- Repeat. Most clients have three to six dosing sessions, each followed by integration.\n"
    "Will I lose control during a ketamine session?\n"
    "- No. The dose is far lower than an anesthetic dose, so you stay awake the whole time.\n"
    "Can I keep taking my antidepressant during ketamine therapy?\n"
    "- Usually, yes. Most clients stay on their regular medicines while they have ketamine.\n"
    "Rare but serious side effects of ketamine include:\n- Nausea\n- Slowed breathing\n"
)


def test_the_label_or_bare_answer_opening_a_list_item_is_no_candidate_but_what_follows_it_is():
    skipped = Counter()
    offered = [s.text for s, _ in relevant_clauses(STEPS_AND_FAQ, skipped)]
    for stub in ("Preparation.", "Dosing sessions.", "Repeat.", "No.", "Usually, yes."):
        assert stub not in offered
    assert skipped["stub"] == 5
    assert "Most clients stay on their regular medicines while they have ketamine." in offered
    assert "The dose is far lower than an anesthetic dose, so you stay awake the whole time." in offered
    # The learned models' training rows (the rules before the claim filter) keep them: clauses that state nothing.
    assert "Preparation." in [s.text for s, _ in relevant_clauses(STEPS_AND_FAQ, claim_filter=None)]


def test_a_one_line_side_effect_under_a_lead_in_is_still_a_candidate_beside_item_stubs():
    offered = [s.text for s, _ in relevant_clauses(STEPS_AND_FAQ)]
    assert "Nausea" in offered and "Slowed breathing" in offered
    # A short opening that names ketamine says what it is about: it stays.
    named = "Ketamine's uses:\n- Esketamine spray. It is approved for depression.\n- Ketamine is fast. It can help.\n"
    assert "Esketamine spray." in [s.text for s, _ in relevant_clauses(named)]


def test_a_sentence_only_telling_the_reader_they_have_heard_of_ketamine_is_no_candidate():
    text = (
        "Ketamine for depression\n"
        "If you have lived with depression for a while, you have probably heard a friend mention ketamine.\n"
        "Chances are someone has mentioned ketamine to you.\n"
        "Ketamine can ease depression within hours.\n"
        "You may have heard of ketamine as a party drug, and that reputation puts some people off.\n"
        "Its history is why some people hesitate when we first mention it.\n"
    )
    skipped = Counter()
    offered = [s.text for s, _ in relevant_clauses(text, skipped)]
    assert offered == text.splitlines()[3:]  # what is said of ketamine, or by someone else, stays
    assert skipped["stub"] == 2


GLOSSARY = """<!doctype html><html><body><main><article><h1>Ketamine for depression</h1>
<p>Ketamine is an anesthetic that is also used to treat depression that has not eased with other care.</p>
<ul class="tabs" role="tablist"><li role="tab">Overview</li><li role="tab">Risks</li></ul>
<div role="tablist"><button role="tab">Results</button></div>
<ol class="steps"><li role="tab">Before</li><li role="tab">After</li></ol>
<h2>Terms to know</h2>
<dl class="glossary"><dt>Esketamine</dt><dd>A form of ketamine sold as a nasal spray.</dd>
<dt>Dissociation</dt><dd>A feeling of being detached from your body. It is the most common effect of ketamine.</dd>
</dl>
<p>Side effects include:</p><ul><li>Nausea</li></ul>
</article></main></body></html>"""


def test_a_tab_strip_is_dropped_and_a_glossary_term_is_the_lead_in_of_its_definition():
    text = readable_text(GLOSSARY.encode(), name="glossary.html")
    lines = text.splitlines()
    for label in ("Overview", "Risks", "Results", "Before", "After"):
        assert label not in text
    assert lines[lines.index("Esketamine") + 1] == "- A form of ketamine sold as a nasal spray."
    assert lines[lines.index("Dissociation") + 1].startswith("- A feeling of being detached")
    found = {s.text: s for s, _ in relevant_clauses(text, claim_filter=None)}
    assert "Esketamine" not in found and "Dissociation" not in found  # terms are not offered
    assert found["A form of ketamine sold as a nasal spray."].lead == "Esketamine"
    assert found["It is the most common effect of ketamine."].lead == "Dissociation"
    assert found["Nausea"].lead == "Side effects include:"  # an ordinary list keeps its own lead-in


@pytest.mark.parametrize(
    "marker",
    [
        '<sup class="footnote"><a href="#fn-1">1</a></sup>',
        '<sup><a href="#cite_note-3">[3]</a></sup>',
        '<sup><a role="doc-noteref" href="/notes#n2">2</a></sup>',
        "<sup>4,5</sup>",
    ],
)
def test_a_footnote_marker_is_not_kept_in_the_archived_text(marker):
    html = (
        f"<main><article><p>Ketamine can ease the symptoms of depression in a matter of hours.{marker} Since then it "
        "has become an option for hard-to-treat depression.</p></article></main>"
    )
    assert readable_text(html.encode(), name="fn.html") == (
        "Ketamine can ease the symptoms of depression in a matter of hours. Since then it has become an option for "
        "hard-to-treat depression.\n"
    )


def test_a_superscript_exponent_or_unit_is_kept():
    html = (
        "<main><article><p>Ketamine doses are sometimes given per m<sup>2</sup> of body surface, and a vial holds "
        "10<sup>3</sup> micrograms of ketamine in total.</p></article></main>"
    )
    text = readable_text(html.encode(), name="sup.html")
    assert "per m2 of body surface" in text and "holds 103 micrograms" in text


def test_a_short_html_fragment_is_still_read():
    assert readable_text(b"<p>Ketamine works within hours for <a href='/x'>many</a> patients.</p>", "x.html") == (
        "Ketamine works within hours for many patients.\n"
    )


def test_plain_text_lists_keep_their_lines():
    text = "Ketamine side effects include:\n- Nausea\n- Dizziness\n"
    assert readable_text(text.encode(), name="a.txt") == text


# Held-out page 09 (r19) is a Squarespace page; these were the conversion's gaps seen on it before any extractor run
# (strict xfails until h16e). Each rule is also tested on a page of its own below.
SQUARESPACE_PAGE = (
    Path(__file__).resolve().parent.parent / "importer/benchdata/heldout/09_osprey-point-ketamine-assisted-therapy.html"
)


def test_a_squarespace_page_whose_body_class_names_its_header_is_still_read():
    page = SQUARESPACE_PAGE.read_text(encoding="utf-8")
    assert "header-overlay-alignment-center tweak-transparent-header" in page  # the <body> as Squarespace serves it
    assert "Ketamine acts on glutamate instead" in readable_document(page, name="page.html").text


def test_a_list_item_written_as_a_paragraph_keeps_its_list_marker():
    lines = readable_document(SQUARESPACE_PAGE.read_bytes(), name="page.html").text.splitlines()
    assert "- Blood pressure that isn’t under control" in lines


def test_an_faq_question_inside_an_accordion_button_is_kept_over_its_answer():
    text = readable_document(SQUARESPACE_PAGE.read_bytes(), name="page.html").text
    # Squarespace writes its accordion as <li><h4><button>question</button></h4><div>answer</div></li>: the question
    # is a heading first in its item, a line of its own, and the answer keeps the item's marker (h17c).
    assert "Will I lose control or pass out?\n- No. The dose is far lower" in text


SHORT_ARTICLE = (
    "<h1>Ketamine for depression</h1><p>Ketamine can ease the symptoms of depression within hours for many people.</p>"
)


@pytest.mark.parametrize(
    "page",
    [
        f'<html><body class="tweak-transparent-header header-overlay"><main>{SHORT_ARTICLE}</main></body></html>',
        f'<html class="has-sticky-header"><body><article class="post-header-layout">{SHORT_ARTICLE}</article>'
        "</body></html>",
        f'<body><div class="site-header-offset"><div class="content"><main>{SHORT_ARTICLE}</main></div></div>'
        '<div class="site-footer"><p>Every page of this site is written by our own team of clinicians.</p></div>'
        "</body>",
    ],
)
def test_a_furniture_looking_class_on_the_page_or_what_holds_its_article_does_not_drop_the_article(page):
    text = readable_document(page, name="page.html").text
    assert "Ketamine can ease the symptoms of depression within hours for many people." in text
    assert "written by our own team" not in text  # a furniture block beside the article is still dropped


def test_each_paragraph_written_list_item_keeps_its_marker_in_nested_and_multi_paragraph_lists():
    page = (
        "<main><h1>Ketamine side effects</h1><p>Ketamine can cause side effects that are worth knowing about.</p>"
        "<p>Common side effects include:</p><ul>"
        "<li><p>Nausea</p></li>"
        "<li>\n  <p>Dizziness or feeling unsteady</p>\n</li>"
        "<li><p>Short-term, during a session:</p><ul><li><p>Blurred vision</p></li><li>Headache</li></ul></li>"
        "<li><p>A rise in blood pressure.</p><p>It usually settles within an hour of the dose.</p></li>"
        "</ul></main>"
    )
    lines = readable_document(page, name="page.html").text.splitlines()
    assert lines[lines.index("Common side effects include:") :] == [
        "Common side effects include:",
        "- Nausea",
        "- Dizziness or feeling unsteady",
        "- Short-term, during a session:",
        "- Blurred vision",
        "- Headache",
        "- A rise in blood pressure.",
        "It usually settles within an hour of the dose.",  # an item's second paragraph is a line of its own
    ]


def test_an_accordion_button_keeps_its_question_and_other_buttons_stay_dropped():
    page = (
        "<main><h1>Ketamine therapy questions</h1><p>Ketamine therapy is offered at our clinic in three forms.</p>"
        '<div class="accordion"><button aria-expanded="false" aria-controls="a1">Is ketamine addictive?</button>'
        '<div id="a1"><p>It can be habit-forming when it is misused outside of medical care.</p></div>'
        '<h3><button type="button">How fast does it work?</button></h3>'
        "<div><p>Many people feel better within a day of their first infusion.</p></div></div>"
        '<p>Ready to start? <button type="button">Book now</button></p>'
        '<button type="button" aria-label="Share">Share this page</button>'
        '<form><button type="submit">Send</button></form></main>'
    )
    text = readable_document(page, name="page.html").text
    assert "Is ketamine addictive?\nIt can be habit-forming" in text
    assert "How fast does it work?\nMany people feel better" in text
    assert "Book now" not in text and "Share this page" not in text and "Send" not in text


def _lines(page: str) -> list[str]:
    return readable_document(page, name="page.html").text.splitlines()


ARTICLE_START = (
    "<main><article><h1>Ketamine for depression</h1>"
    "<p>Ketamine can ease the symptoms of depression within hours for many people.</p>"
)


def test_a_heading_first_in_a_list_item_stays_a_heading_and_the_items_text_keeps_the_marker():
    lines = _lines(
        ARTICLE_START + "<p>A series goes like this:</p><ol>"
        "<li><h3>Evaluation</h3><p>A psychiatrist reviews your history and medicines.</p></li>"
        "<li>\n  <h3>Dosing sessions</h3>\n  <p>Six sessions of ketamine over three weeks.</p>"
        "<p>Each lasts two hours.</p></li>"
        "<li><h3>Side effects to expect</h3><ul><li>Nausea</li><li>Feeling detached</li></ul></li>"
        "<li><p>Integration visits with your therapist.</p></li></ol>"
        "<h2>Rare risks</h2><ul><li>Raised blood pressure</li>"
        "<li><strong>Bladder damage</strong> with heavy use</li></ul>"
        "</article></main>"
    )  # fmt: skip
    assert lines[lines.index("A series goes like this:") :] == [
        "A series goes like this:",
        "Evaluation",  # a heading, not "- Evaluation"
        "- A psychiatrist reviews your history and medicines.",
        "Dosing sessions",
        "- Six sessions of ketamine over three weeks.",
        "Each lasts two hours.",  # an item's second paragraph is a line of its own, as before
        "Side effects to expect",  # a real heading in an item over a genuine list: both read right
        "- Nausea",
        "- Feeling detached",
        "- Integration visits with your therapist.",  # an item without a heading keeps its marker
        "Rare risks",  # a genuine list under a heading
        "- Raised blood pressure",
        "- Bladder damage with heavy use",
    ]
    found = {s.text: s for s, _ in relevant_clauses("\n".join(lines) + "\n")}
    assert "Evaluation" not in found and "- Evaluation" not in found
    assert found["Six sessions of ketamine over three weeks."].kind == "item"
    assert found["Six sessions of ketamine over three weeks."].lead == "Dosing sessions"


@pytest.mark.parametrize(
    "teasers",
    [
        # Squarespace's summary block: a title link, a date, an excerpt and "Read More →" to the same page
        '<div class="summary-item"><div class="summary-title"><a href="/blog/integration">What is integration, and '
        'why does it matter?</a></div><time>Oct 3, 2026</time><div class="summary-excerpt"><p>Our therapists explain '
        'the quiet hour after a ketamine session.</p></div><a href="/blog/integration">Read More →</a></div>'
        '<div class="summary-item"><div class="summary-title"><a href="/blog/tms">TMS or ketamine? Questions to '
        'ask</a></div><div class="summary-excerpt"><p>Two newer options for stubborn depression, side by side.</p>'
        "</div><a href=\"/blog/tms\">Read More →</a></div>",
        # WordPress's latest-posts block: <li>s, the excerpt's "Read more" link to the same page
        '<ul class="wp-block-latest-posts__list"><li><a class="wp-block-latest-posts__post-title" href="/integration/">'
        'What is integration, and why does it matter?</a><div class="wp-block-latest-posts__post-excerpt">Our '
        'therapists explain the quiet hour after a ketamine session. <a href="/integration/">Read more</a></div></li>'
        '<li><a href="/tms/">TMS or ketamine? Questions to ask</a><div>Two newer options for stubborn depression, '
        'side by side. <a href="/tms/">Read more</a></div></li></ul>',
        # Elementor's posts widget: <article>s whose heading links to the post, no "Read more"
        '<div class="elementor-posts-container"><article class="elementor-post"><h3 class="elementor-post__title">'
        '<a href="https://example.org/integration/">What is integration, and why does it matter?</a></h3><div '
        'class="elementor-post__excerpt"><p>Our therapists explain the quiet hour after a ketamine session.</p></div>'
        '</article><article class="elementor-post"><h3><a href="https://example.org/tms/">TMS or ketamine? Questions '
        "to ask</a></h3><p>Two newer options for stubborn depression, side by side.</p></article></div>",
    ],
)  # fmt: skip
def test_teasers_of_other_pages_inside_the_article_are_dropped(teasers):
    text = readable_document(ARTICLE_START + "<h2>From the blog</h2>" + teasers + "</article></main>", "p.html").text
    assert "within hours for many people" in text
    for furniture in ("quiet hour", "side by side", "Questions to ask", "why does it matter", "Read"):
        assert furniture not in text


def test_links_that_are_no_teasers_keep_their_text():
    page = (
        ARTICLE_START + '<p>In <a href="/study">a 2006 trial</a>, ketamine lifted mood within a day for most '
        'patients.</p><h2><a href="#risks">Risks of ketamine</a></h2><p>Ketamine can raise blood pressure for an '
        'hour.</p><p><a href="/guide">Our guide to ketamine infusions</a></p><h3><a href="/ptsd">Ketamine for '
        "PTSD</a></h3><p>Ketamine may ease PTSD symptoms, and the full study is <a href=\"/ptsd-study\">here</a>."
        "</p></article></main>"
    )  # fmt: skip
    text = readable_document(page, "p.html").text
    assert "In a 2006 trial, ketamine lifted mood within a day for most patients." in text  # a link in a sentence
    assert "Risks of ketamine\nKetamine can raise blood pressure for an hour." in text  # a link within the page
    assert "Our guide to ketamine infusions" in text  # a title link alone, no heading, no second link
    assert "Ketamine may ease PTSD symptoms" in text  # its section links to a second page: no teaser


def test_a_blog_posts_own_linked_title_is_kept():
    page = (
        '<main><article><header><h1><a href="/ketamine-for-depression/" rel="bookmark">Ketamine for depression</a>'
        "</h1><p>By the clinic team</p></header><p>Ketamine can ease the symptoms of depression within hours for "
        "many people.</p></article></main>"
    )
    assert "Ketamine for depression" in readable_document(page, "p.html").text


@pytest.mark.parametrize(
    "cards",
    [
        # Squarespace's list section, as on held-out page 09
        '<ul class="user-items-list-simple"><li class="list-item"><div class="list-item-content"><h2>Initial '
        'evaluation</h2><div><p>$350</p><p>With one of our psychiatrists, in person or by video.</p></div><a '
        'href="/contact">Book now</a></div></li><li class="list-item"><div class="list-item-content"><h2>Dosing '
        'session</h2><div><p>$600</p><p>Medicine, monitoring and your therapist’s time.</p></div></div></li></ul>',
        # Elementor's price table: the price in spans, features as a list, a button
        '<div class="elementor-price-table"><div class="elementor-price-table__header"><h3>Initial evaluation</h3>'
        '</div><div class="elementor-price-table__price"><span class="currency">$</span><span class="integer">350'
        '</span><span class="period">/visit</span></div><ul><li>With one of our psychiatrists, in person or by '
        'video.</li></ul><a class="elementor-button" href="/book">Book now</a></div><div class="elementor-price-table">'
        '<h3>Dosing session</h3><div class="price">From €600</div><p>Medicine, monitoring and your therapist’s time.'
        "</p></div>",
    ],
)  # fmt: skip
def test_price_cards_inside_the_article_are_dropped(cards):
    text = readable_document(ARTICLE_START + "<h2>Fees</h2>" + cards + "</article></main>", "p.html").text
    assert "within hours for many people" in text
    for furniture in ("evaluation", "350", "600", "psychiatrists, in person", "therapist’s time", "Book now"):
        assert furniture not in text


def test_prices_in_a_table_or_a_sentence_are_kept():
    page = (
        ARTICLE_START + "<p>Each ketamine infusion costs $550, and insurance rarely pays for it.</p>"
        "<table><tr><th>Visit</th><th>Fee</th></tr><tr><td>Ketamine infusion</td><td>$550</td></tr></table>"
        "<div><h3>Ketamine infusion</h3><p>$550</p><p>A series of six infusions over two to three weeks is usual, "
        "and most patients notice a change within the first few sessions; ketamine is given by a nurse who watches "
        "your blood pressure and breathing the whole time, and you rest for an hour afterwards before someone "
        "drives you home, because ketamine impairs driving for the rest of the day.</p></div></article></main>"
    )  # fmt: skip
    text = readable_document(page, "p.html").text
    assert "Each ketamine infusion costs $550, and insurance rarely pays for it." in text
    assert "Ketamine infusion | $550" in text
    assert "A series of six infusions" in text  # a long section is content, whatever price it names


@pytest.mark.parametrize(
    "hero",
    [
        # Squarespace: the title and the tagline in one block, the button in another, in one section
        '<section><div class="fluid-engine"><div class="sqs-block-html"><h1>Ketamine-Assisted Therapy</h1><p>Thoughtful'
        ' care, one session at a time.</p></div><div class="sqs-block-button"><a class="sqs-block-button-element" '
        'href="/contact">Book a free 15-minute call</a></div></div></section>',
        # Wix: rich-text elements and a button element in one section (Elementor's widget classes are dropped by
        # trafilatura itself)
        '<section class="wixui-section"><div data-testid="columns"><div data-testid="richTextElement"><h1 '
        'class="font_0 wixui-rich-text__text">Ketamine-Assisted Therapy</h1></div><div data-testid="richTextElement">'
        '<p class="font_7">Thoughtful care, one session at a time.</p></div><a data-testid="linkElement" '
        'class="StylableButton2545352419__root wixui-button" href="https://www.example.org/book"><span>Get started'
        "</span></a></div></section>",
    ],
)  # fmt: skip
def test_a_heros_tagline_and_button_are_dropped_and_its_title_kept(hero):
    page = (
        f"<main><article>{hero}<p>Ketamine can ease the symptoms of depression within hours for many people.</p>"
        "</article></main>"
    )
    lines = readable_document(page, "p.html").text.splitlines()
    assert lines == [
        "Ketamine-Assisted Therapy",
        "Ketamine can ease the symptoms of depression within hours for many people.",
    ]


def test_a_standfirst_beside_a_share_button_or_a_long_introduction_is_kept():
    page = (
        '<main><article><header><h1>Ketamine for depression</h1><p>Ketamine can lift mood within hours.</p><a '
        'class="share-button" href="https://twitter.com/intent/tweet">Share on X</a></header><div class="intro">'
        "<h1>What a ketamine session is like</h1><p>A session lasts about two hours. Ketamine is given by a nurse, "
        "and most people feel detached or dreamy for forty minutes or so before the effects fade; a psychiatrist "
        "checks your blood pressure before and after, and you rest until you feel steady on your feet.</p>"
        '<a class="btn" href="/book">Book a session</a></div></article></main>'
    )  # fmt: skip
    text = readable_document(page, "p.html").text
    assert "Ketamine can lift mood within hours." in text
    assert "A session lasts about two hours." in text


def test_a_landing_page_of_only_a_hero_teasers_and_price_cards_is_refused_as_having_no_article():
    page = (
        '<main><article><section><h1>Ketamine-Assisted Therapy</h1><p>Thoughtful care for depression, one session at '
        'a time.</p><a class="button" href="/contact">Book a free call</a></section><ul><li><h3>Initial evaluation</h3>'
        "<p>$350</p><p>With one of our psychiatrists, in person or by video.</p></li></ul><div><h3><a href=\"/blog/"
        'integration">What is integration, and why does it matter?</a></h3><p>Our therapists explain the quiet hour '
        "after a ketamine session.</p></div></article></main>"
    )  # fmt: skip
    with pytest.raises(InputError, match="no readable article"):
        readable_document(page, name="page.html")


@pytest.mark.parametrize(
    "card",
    [
        # Elementor, as on held-out page 10: the photo in one column, "Meet our …", the bio and a button in the next
        '<section class="elementor-section"><div class="elementor-column"><img src="/dr-vollmer.jpg" alt="Dr. Renata '
        'Vollmer"></div><div class="elementor-column"><h3>Meet our medical director</h3><p>Dr. Renata Vollmer is a '
        "board-certified anesthesiologist who has spent fifteen years caring for patients in operating rooms and pain "
        'clinics.</p><a class="elementor-button" href="/about/">Meet the whole team</a></div></section>',
        # an icon box headed by a role (page 10's, less the builder's classes, which trafilatura drops by itself)
        '<div class="feature"><span class="icon"><svg viewBox="0 0 512 512"><path d="M504 256"></path></svg></span>'
        "<h3>Board-certified anesthesiologist</h3><p>Our medical director has fifteen years of experience in "
        "sedation and pain care.</p></div>",
        # a card headed by a person's name with credentials
        '<div class="card"><img src="/jd.jpg" alt=""><h4>Jane Doe, PMHNP-BC</h4><p>Jane has fifteen years of '
        "experience in psychiatric care and leads our infusion nurses.</p></div>",
        # marked as a person, without a heading or a picture
        '<div itemscope itemtype="https://schema.org/Person"><p>Renata Vollmer has fifteen years of experience in '
        "sedation and pain care.</p></div>",
        '<div class="team-member"><p>Renata Vollmer has fifteen years of experience in sedation and pain care.</p>'
        "</div>",
    ],
)  # fmt: skip
def test_person_and_bio_cards_inside_the_article_are_dropped(card):
    page = ARTICLE_START + card + "<h2>Side effects</h2><p>Ketamine can raise blood pressure for an hour.</p>"
    text = readable_document(page + "</article></main>", "p.html").text
    assert "within hours for many people" in text
    assert "Ketamine can raise blood pressure for an hour." in text
    for furniture in ("fifteen years", "Meet", "anesthesiologist", "Jane Doe"):
        assert furniture not in text


def test_a_section_that_quotes_a_doctor_or_names_a_role_is_kept():
    page = (
        ARTICLE_START + '<section><h2>How fast does it work?</h2><img src="/jd.jpg" alt="Dr. Jane Doe"><p>“Many '
        "patients feel better within a day,” says Dr. Jane Doe, a psychiatrist at the clinic.</p></section>"
        # a heading that names a role but no picture, and a role heading over a long section
        "<div><h3>Your psychiatrist</h3><p>Your psychiatrist checks how ketamine suits you before the first "
        'session.</p></div><div><h3>Our doctors</h3><img src="/team.jpg" alt="The team"><p>Every infusion of '
        "ketamine is overseen by a physician who stays on site for the whole session, checks your blood pressure and "
        "breathing before, during and after it, adjusts the rate of the drip when you feel too detached, and talks "
        "with you afterwards about how you feel, what to expect in the next days and when the next session should "
        "be; a nurse stays with you throughout.</p></div></article></main>"
    )  # fmt: skip
    text = readable_document(page, "p.html").text
    assert "“Many patients feel better within a day,” says Dr. Jane Doe, a psychiatrist at the clinic." in text
    assert "Your psychiatrist checks how ketamine suits you before the first session." in text
    assert "Every infusion of ketamine is overseen by a physician" in text  # a long section is content


@pytest.mark.parametrize(
    "page, gone",
    [
        ("09_", ("Thoughtful care", "$350", "Medicine, monitoring", "quiet hour", "side by side", "wear to who")),
        ("10_", ("Meet our medical director", "Dr. Renata Vollmer", "fifteen years of experience")),
    ],
    ids=["the Squarespace page", "the Elementor page"],
)
def test_a_builder_page_offers_none_of_its_furniture_and_keeps_its_labelled_statements(page, gone):
    import json

    from importer.bench import HELDOUT_DIR, heldout_text

    key = next(
        a for a in json.loads((HELDOUT_DIR / "answers.json").read_text())["articles"] if a["file"].startswith(page)
    )
    text = heldout_text(HELDOUT_DIR / key["file"])
    for answer in key["assertions"]:
        assert text[answer["offset"] : answer["offset"] + len(answer["quote"])] == answer["quote"]
    sentences = [" ".join(s.text.split()) for s, _ in relevant_clauses(text)]
    furniture = [" ".join(f.split()) for f in key["furniture"]]
    assert [s for s in sentences if any(s in f or f in s for f in furniture)] == []
    for words in gone:
        assert words not in text
    if page == "09_":
        assert text.startswith("Ketamine-Assisted Therapy\n")


# --- candidates ---------------------------------------------------------------------------------------------------


def test_each_list_item_is_a_candidate_with_its_lead_in_as_context_and_the_lead_in_is_not():
    text = readable_text(PAGE.encode(), name="page.html")
    skipped = Counter()
    found = {s.text: s for s, _ in relevant_clauses(text, skipped)}
    for item in ("Headache", "Slowed breathing", "Dependence and misuse"):
        assert found[item].kind == "item" and found[item].lead == "Rare but serious side effects include:"
        assert text[found[item].start : found[item].end] == item  # the quote is the item, verbatim
    assert "Rare but serious side effects include:" not in found
    assert found["Intravenous ketamine | 0.5 mg/kg over 40 minutes"].kind == "row"
    assert skipped["lead-in"] == 1 and skipped["heading"] >= 2  # the title and the table's header row


def test_the_import_summary_counts_what_was_skipped(side_effects):
    summary = services.import_article(PAGE.encode(), name="page.html", title="Side effects")
    line = next(line for line in summary.lines() if line.startswith("Not proposed"))
    assert "1 lead-ins of lists" in line and "headings or questions" in line and "page furniture" in line
    quotes = set(Candidate.objects.values_list("quote", flat=True))
    assert {"Headache", "Slowed breathing", "Dependence and misuse"} <= quotes
    assert not any("addictive" in q or "cookies" in q for q in quotes)
    headache = Candidate.objects.get(quote="Headache")
    assert headache.suggestions[0]["claim"] == side_effects.pk and headache.category == "side_effect"


def test_a_sentence_under_a_question_naming_ketamine_is_about_ketamine():
    text = (
        "Frequently asked questions\nHow fast does ketamine work?\n"
        "Many patients feel better within a day of their first infusion.\nWhere is the parking?\n"
    )
    found = [s.text for s, _ in relevant_clauses(text)]
    assert found == ["Many patients feel better within a day of their first infusion."]


def test_prepositional_fragments_are_not_candidates():
    text = (
        "Because of its hallucinogenic properties, ketamine is given under supervision.\n"
        "In initial clinical trials, ketamine lifted mood within hours.\nIn initial clinical trials\n"
    )
    quotes = [c.text for _, parts in relevant_clauses(text) for c in parts]
    assert "Because of its hallucinogenic properties" not in quotes and "In initial clinical trials" not in quotes
    assert "Because of its hallucinogenic properties, ketamine is given under supervision." in quotes


def test_a_list_of_five_thousand_items_is_read_in_linear_time():
    def seconds(n: int) -> float:
        text = "Ketamine side effects include:\n" + "".join(f"- Nausea number {i}\n" for i in range(n))
        started = time.perf_counter()
        assert len(split_sentences(text)) == n + 1
        return time.perf_counter() - started

    small, large = seconds(500), seconds(5000)
    assert large < 25 * small + 0.5  # ten times the items: about ten times the time, not a hundred


def test_opening_frames_and_conditions_put_to_the_reader_stay_with_their_clause():
    text = (
        "In addition to its effects on pain, ketamine improves quality of life in patients with chronic pain.\n"
        "If you have tried several treatments and still feel stuck, ketamine could be worth a conversation.\n"
        "By blocking a specific receptor called NMDA, ketamine modulates glutamate, leading to rapid effects.\n"
    )
    quotes = [c.text for _, parts in relevant_clauses(text) for c in parts]
    assert "In addition to its effects on pain" not in quotes
    assert "If you have tried several treatments and still feel stuck" not in quotes
    assert text.splitlines()[1] in quotes
    assert "By blocking a specific receptor called NMDA" in quotes  # a phrase of means says how ketamine acts


def test_frames_of_comparison_and_purpose_stay_with_their_clause():
    text = (
        "As with any medical treatment, ketamine therapy should be given under medical supervision.\n"
        "To see if ketamine is right for you, it’s important to discuss it with your doctor.\n"
        "As research continues to explore its full potential, ketamine offers hope for resistant depression.\n"
    )
    quotes = [c.text for _, parts in relevant_clauses(text) for c in parts]
    assert quotes == text.splitlines()


def test_a_numbered_line_between_paragraphs_heads_a_section_but_a_numbered_list_is_a_list():
    listicle = (
        "Seven things to know about ketamine therapy.\n\n3. It can work fast\n\n"
        "Many people notice a shift in mood within hours of a ketamine session.\n\n"
        "4. It helps many people, but not everyone\n\nSome see little benefit from ketamine.\n"
    )
    skipped = Counter()
    found = [s.text for s, _ in relevant_clauses(listicle, skipped)]
    assert "It can work fast" not in found and "It helps many people, but not everyone" not in found
    assert "Many people notice a shift in mood within hours of a ketamine session." in found
    assert skipped["heading"] >= 2
    numbered = "Ketamine side effects include:\n1. Nausea\n2. Dizziness\n"
    assert [(s.text, s.kind) for s, _ in relevant_clauses(numbered)] == [("Nausea", "item"), ("Dizziness", "item")]


def test_titles_tables_of_contents_and_the_page_talking_about_itself_are_not_candidates():
    text = (
        "7 Things to Know About Ketamine Therapy Before You Book a Session\n"
        "Contents:\n- Introduction to Ketamine Therapy\n- Safety and Side Effects of Ketamine Therapy\n"
        "In this article, we will delve deep into the world of ketamine and its effects on depression.\n"
        "Ketamine can lift depression within hours.\n"
        "- Mild nausea\n"
        "This article is for general information only and is not a substitute for professional medical advice.\n"
        "Call our patient line or request a free phone consultation about ketamine.\n"
    )
    skipped = Counter()
    found = [s.text for s, _ in relevant_clauses(text, skipped)]
    assert found == ["Ketamine can lift depression within hours.", "Mild nausea"]
    assert skipped["heading"] == 4 and skipped["boilerplate"] == 3  # the title, "Contents:", two entries
    # what looks like them but states something is read: a side effect in Title Case, a claim about substitutes
    text = "Ketamine side effects include:\n- Increased Heart Rate\nKetamine is not a substitute for psychotherapy.\n"
    assert [s.text for s, _ in relevant_clauses(text)] == [
        "Increased Heart Rate",
        "Ketamine is not a substitute for psychotherapy.",
    ]
    assert "sentences about the page itself" in SKIPPED_REASONS["boilerplate"]


def test_calls_to_action_and_questions_put_as_statements_are_not_candidates():
    text = (
        "Ketamine can lift depression within hours.\n"
        "If you or someone close to you is in a mental crisis, seek help immediately.\n"
        "To delve deeper into these scientific processes, consider the findings shared about ketamine.\n"
        "However, contact your clinic before any ketamine session.\n"
        "A common inquiry is whether ketamine is appropriate for everyone with depression.\n"
        "Many patients wonder how long the effects of ketamine last.\n"
    )
    skipped = Counter()
    found = [s.text for s, _ in relevant_clauses(text, skipped)]
    assert found == ["Ketamine can lift depression within hours."]
    assert skipped["boilerplate"] == 3 and skipped["heading"] == 2
    # What an imperative or a question word carries as a statement is read: a "that" clause, an exhortation, an
    # answer that says what is asked.
    text = (
        "Remember that ketamine therapy doesn't work as a first option for treating mental illness.\n"
        "Let us embrace this breakthrough in ketamine treatment.\n"
        "Ketamine is considered when other treatments have failed.\n"
        "Patients often ask for ketamine after years of depression.\n"
    )
    assert len(relevant_clauses(text)) == 4


# --- the held-out clinic page (importer/benchdata/heldout/06_…html) ------------------------------------------------


def _clinic_page():
    import json

    from importer.bench import HELDOUT_DIR, heldout_text

    key = next(
        a for a in json.loads((HELDOUT_DIR / "answers.json").read_text())["articles"] if a["file"].endswith(".html")
    )
    return heldout_text(HELDOUT_DIR / key["file"]), key


def test_the_clinic_page_keeps_every_labelled_statement_and_none_of_its_furniture():
    text, key = _clinic_page()
    sentences = [s.text for s, _ in relevant_clauses(text)]
    assert key["furniture"] and not any(f in text for f in key["furniture"])
    for answer in key["assertions"]:
        assert text[answer["offset"] : answer["offset"] + len(answer["quote"])] == answer["quote"]
    # a list item read with its lead-in; an FAQ answer that names ketamine only in its question; a table row
    found = {s.text: s for s, _ in relevant_clauses(text)}
    assert found["Mild nausea"].lead.endswith("Common ones include:")
    assert "A few people don’t get much benefit at all." in sentences
    assert "Initial series | 6 infusions | over 2–3 weeks" in sentences
    assert not any("substitute for advice" in s or "Book a free" in s for s in sentences)  # disclaimer, call to action


# --- stance -------------------------------------------------------------------------------------------------------

SECOND_LINE = (
    "Ketamine is a second-line option, mainly for patients who have not responded to conventional treatments, "
    "not a first-line treatment."
)
OFF_LABEL = "Ketamine's use for mental health is off-label (racemic ketamine has no psychiatric approval)."
LOWER_RISK = (
    "Ketamine carries a lower risk than conventional antidepressants of sexual dysfunction, weight gain and sedation."
)


# Stance toward one claim (``stance_cue``), one case a line: clause | claim | stance, where "-" for a claim is the
# candidate's own stance (toward a claim in its own words) and $NAME one of the claims above; an indented line goes on
# from the line before. Grouped by the round that added each rule, a comment naming the rule.
STANCE_CASES = """
# issue 15, rounds 1-4: typographic apostrophes, off-label, shared negations and hedges
Ketamine hasn’t been proven to cure depression | Ketamine cures depression | qualifies
Most patients don’t experience lasting side effects | Side effects are lasting | contradicts
Ketamine isn’t FDA-approved for depression | Ketamine's use for depression is off-label | supports
Ketamine is not addictive at clinical doses | Ketamine is not addictive at clinical doses | supports
# a hedge shared with the claim cancels
Ketamine may help with PTSD | Ketamine may reduce PTSD symptoms | supports
Ketamine may help with PTSD | Ketamine reduces PTSD symptoms | qualifies
It helps people who have not responded to other drugs | Ketamine works in resistant depression | supports
How it works is not yet fully understood | Its mechanism has not been established | supports
# "that" after "note" opens the sentence's own statement, not a relative clause about other patients
Remember that ketamine doesn’t work as a first option | $SECOND_LINE | supports
# a claim that is a negation is supported in positive words, contradicted by the very word it negates
Generally, it’s reserved for those who haven’t found relief elsewhere | $SECOND_LINE | supports
Ketamine is now a first-line treatment for depression | $SECOND_LINE | contradicts
Ketamine isn’t a first-line treatment | $SECOND_LINE | supports
# a claim's parenthesis restates it: "off-label" once on each side
It’s prescribed off-label for depression | $OFF_LABEL | supports
Ketamine is approved for depression | $OFF_LABEL | contradicts
# clauses that limit a claim's wording: a bounded duration, an onset in hours, named risks
For most people the lift wears off after about a week |
    Ketamine’s antidepressant effects are long-lasting | qualifies
The effects typically begin within a few hours | Ketamine relieves symptoms immediately | contradicts
In rare cases it can cause serious side effects | Ketamine is generally safe and well tolerated | qualifies
Side effects are mild and fade quickly | Ketamine is generally safe and well tolerated | supports
# hedges: "not a panacea" hedges; a hedge in a relative clause about something else does not; "its
# potential to" is no hedge; research still exploring a use is one
It’s not a panacea, and more research is needed |
    Its risks and benefits are not yet fully established; more research is needed | supports
Unlike antidepressants, which may take weeks, ketamine works within hours | Ketamine acts rapidly | supports
Ketamine’s potential to lift mood quickly sets it apart | Ketamine acts rapidly | supports
Research is exploring its use in PTSD | Ketamine reduces PTSD symptom severity | qualifies
People with heart problems are not suitable candidates | Heart problems can make ketamine unsuitable | supports
# issue 15, round 3: an onset "within hours" is qualified by "hours or days", contradicted by "immediate"
It can lift mood within hours or days | Ketamine's effect begins within hours of a treatment | qualifies
It provides immediate relief | Ketamine's effect begins within hours of a treatment | contradicts
It can lift mood within hours or days | Ketamine improves mood within hours to days | supports
# a duration of about a week against one of several weeks, either way round
Its effects often fade within a week | The effect lasts from days to several weeks | contradicts
The effect lasts from days to several weeks | The effect lasts several days up to about one week | contradicts
Its effects last several days to a week | The effect lasts several days up to about one week | supports
# where it is given: at home against "only in a clinical setting", and the reverse
It can be self-administered at home | It should be given only in a clinical setting | contradicts
It is never given at home | It should be given only in a clinical setting | supports
Patients are watched for two hours afterwards | It can be self-administered at home | contradicts
# the same quantity in opposite directions
Ketamine inhibits the activity of glutamate | Ketamine raises glutamate levels | contradicts
By increasing levels of glutamate, it repairs connections | Ketamine inhibits glutamate | contradicts
Ketamine blocks glutamate at NMDA receptors | Ketamine inhibits glutamate | supports
# exceptions contradict a claim for everyone
Some people don’t respond to ketamine at all | It brings relief for all patients | contradicts
# a negation inside "that hasn't …" is a relative clause's
For depression that hasn’t budged, its benefits outweigh its risks | Its benefits outweigh its risks | supports
# a modal of possibility shared with the claim's "can" / "commonly"
People with heart problems may not be suitable candidates | Heart problems can make ketamine unsuitable | supports
You might feel floaty or detached | Ketamine commonly causes dissociative effects | supports
Ketamine may help with PTSD | Ketamine can reduce PTSD symptoms | supports
Ketamine may help and more research is needed | Ketamine can reduce PTSD symptoms | qualifies
# negative words that negate nothing: additive "not just", litotes, set phrases
Ketamine is not just fast but also lasting | Ketamine acts rapidly | supports
Nausea after a session is not uncommon | Ketamine commonly causes nausea | supports
There is no doubt that ketamine acts quickly | Ketamine acts rapidly | supports
Ketamine is not fast | Ketamine acts rapidly | contradicts
# "A but B": each side speaks for itself, read on the side that shares the claim's words
It may cause nausea but is generally safe | Ketamine is generally safe and well tolerated | supports
It is generally safe but may cause nausea | Ketamine causes nausea | qualifies
It is popular but is not effective for anxiety | Ketamine is effective for anxiety | contradicts
It does not cure depression but it helps many patients | Ketamine helps patients | supports
# h15i: stance on pages it was not tuned on
# a harm the clause denies supports a claim that it is lower, fewer or less likely; typographic or not
Unlike many antidepressants, it doesn’t tend to cause weight gain or sexual side effects | $LOWER_RISK | supports
Unlike many antidepressants, it doesn't tend to cause weight gain | $LOWER_RISK | supports
Ketamine does not cause sedation | $LOWER_RISK | supports
Patients rarely complain, and it causes no nausea | Ketamine causes fewer cases of nausea | supports
# … but only that harm: denying something else still contradicts, and so does a denied benefit
Ketamine does not work for anxiety | $LOWER_RISK | contradicts
Unlike many antidepressants, it isn’t fast | $LOWER_RISK | contradicts
# a claim that itself negates the harm shares the negation; a double negation affirms
It doesn’t cause weight gain | Ketamine does not cause weight gain | supports
Weight gain is not uncommon on ketamine | $LOWER_RISK | supports
It causes weight gain in some patients | Ketamine does not cause weight gain | contradicts
# "seem" and "appear" hedge a verb, not a perception or a place; "suggest" hedges a finding, not advice
A single dose seemed to lift mood | A single dose of ketamine lifts mood | qualifies
Colours and sounds can seem strange | Ketamine commonly causes perceptual effects | supports
It even appears on the list of essential medicines | Ketamine is an essential medicine | supports
Ketamine usually isn’t the first thing a doctor will suggest | $SECOND_LINE | supports
Findings suggest that ketamine eases suicidal thoughts | Ketamine eases suicidal thoughts | qualifies
# a belief ascribed to researchers or a theory hedges; the writer's own "we believe" states
Scientists think this sets off a chain reaction | Ketamine sets off a cascade in neurons | qualifies
One leading theory holds that it raises BDNF | Ketamine raises BDNF | qualifies
We believe ketamine should only be given in a clinic | Ketamine should only be given in a clinic | supports
# thin evidence and open questions hedge
Evidence for OCD is thinner still | Ketamine reduces symptoms of OCD | qualifies
Whether that means fewer suicides is still an open question | Ketamine prevents suicide | qualifies
# not knowing is "not yet known": it hedges a claim, and a claim of the unknown shares it
Scientists still don’t fully understand all the steps | How ketamine works is not yet fully understood | supports
Nor do we know much about years of use | Its long-term efficacy has not been established | supports
We don’t yet have good data on years of treatment | Its long-term safety is not yet known | supports
What researchers don’t know yet is how long it works | Ketamine’s effects are long-lasting | qualifies
# "not a miracle" hedges in every form: contracted, typographic, with "the"
It isn’t a miracle drug | Ketamine is a transformative breakthrough | qualifies
It is not the miracle some advertising suggests | Ketamine is a transformative breakthrough | qualifies
It isn’t a miracle drug | Ketamine brings relief for all patients | contradicts
# coordinated parts speak for themselves: a negation in one does not negate the other
It works quickly, but it isn’t a miracle drug, and the benefits usually need upkeep |
    Ketamine is given as a series of sessions, with maintenance needed to sustain the benefit | supports
It is prized in surgery because it works fast and, unlike many sedatives, tends not to suppress breathing |
    Ketamine became popular in surgery because of its rapid onset | supports
# … but a list's last item is no part of its own, and a negated part that shares the claim's words counts
It shows promise for PTSD, anxiety, and some chronic pain conditions | Ketamine reduces chronic pain | qualifies
Ketamine is not effective for pain, and it causes nausea | Ketamine is effective for pain | contradicts
# a negation whose subject is what ketamine is compared with
A single infusion lowered depression scores within 24 hours, something standard antidepressants can’t do |
    Ketamine relieves depression sooner than conventional antidepressants | supports
Ketamine can’t do that | Ketamine relieves depression within hours | contradicts
# disapproval of home use qualifies the claim of it and agrees with "only in a clinic"
Some at-home programs exist, but they’re more controversial | It can be self-administered at home | qualifies
Telehealth companies mail it to patients’ homes, a practice several clinicians called worrying |
    It should be given only in a clinical setting | supports
We never send ketamine home with patients | It should be given only in a clinical setting | supports
# "commonly" is qualified by "a few" or "sometimes"; "not uncommon" is no exception
A few people get a headache afterwards | Ketamine commonly causes headaches | qualifies
Headaches afterwards are not uncommon | Ketamine commonly causes headaches | supports
# named risks qualify a claim of lower risk than antidepressants, unless they are the antidepressants'
In rare cases it can cause serious side effects | It has a low risk of side effects compared with SSRIs | qualifies
Side effects of traditional antidepressants include weight gain |
    It has a low risk of side effects compared with conventional antidepressants | supports
# an onset from hours to a couple of days contradicts "immediate"
Mood lifts from a few hours to a couple of days after | Ketamine relieves symptoms immediately | contradicts
# a candidate's own stance (no claim: -), toward a claim in its own words
# a caution to the reader is no hedge, not knowing is what it says
Ketamine may not be right for you if you are pregnant | - | supports
People with heart conditions may not be suitable candidates | - | supports
We don’t yet know much about the long-term effects | - | supports
Ketamine may help with PTSD | - | qualifies
Some researchers believe it rewires the brain | - | qualifies
# h16b (found on 08's editor trial): a consequence ("so …", "which means …") is read apart from what it follows
Ketamine raises blood pressure for a short time, so it isn’t safe for everyone |
    Ketamine causes transient increases in blood pressure | supports
It raises blood pressure, which means it isn’t safe for everyone | Ketamine raises blood pressure | supports
It raises blood pressure, so it isn’t safe for everyone | Ketamine is safe for everyone | contradicts
# … a reported finding's "could" is the "can" of what was found; "may", or "could" unreported, still hedges
Researchers found that a single dose could ease depression within hours | A single dose eases depression | supports
Trials showed that it could lift mood within a day | Ketamine lifts mood | supports
Research has indicated that ketamine may be effective for PTSD | Ketamine reduces PTSD symptom severity | qualifies
Researchers found that it may ease depression | Ketamine eases depression | qualifies
Patients with chronic pain could also benefit | Ketamine reduces chronic pain | qualifies
# … a harm denied in everyday words is the claim's harm in clinical ones
Unlike many other anesthetics, it doesn’t tend to slow a person’s breathing |
    As an anaesthetic, ketamine carries a low risk of respiratory depression | supports
It does not raise your blood pressure | Ketamine carries a lower risk of hypertension | supports
It does not slow your breathing | Ketamine carries a lower risk of hypertension | contradicts
# … telling the reader what others say is no hedge
You may have heard of ketamine as a party drug | Ketamine has been used recreationally as a club drug | supports
You may have heard of ketamine as a party drug | - | supports
You might have read that it works within hours | Ketamine works within hours | supports
You may feel drowsy afterwards | Ketamine causes drowsiness | qualifies
# h19s: not shown, not proven, not proof hedge (the held-out keys' convention, 3 answers of 4; issue 15's first round
# had "hasn’t been proven to cure" contradict, above); "no evidence" and a plain negation still contradict
Whether it prevents suicide over the long term hasn’t been shown | Ketamine prevents suicide and saves lives | qualifies
Quieter suicidal thoughts are not proof that the drug prevents suicide | Ketamine prevents suicide | qualifies
Its benefit in OCD has not yet been demonstrated | Ketamine reduces symptoms of OCD | qualifies
It hasn't been shown to prevent suicide | - | qualifies
There’s no good evidence yet that it lowers the number of suicides | Ketamine prevents suicide | contradicts
Ketamine does not prevent suicide | Ketamine prevents suicide | contradicts
Its long-term benefit hasn’t been proven | The long-term efficacy of ketamine has not been proven | supports
It helps patients whose earlier treatments were never proven to work | Ketamine helps patients | supports
# … early or uncertain evidence hedges what it is evidence of, inside a relative clause too; "early" alone does not
We also treat PTSD, where early results are encouraging | Ketamine reduces PTSD symptom severity | qualifies
The evidence for those is earlier and less certain than for depression | Ketamine reduces chronic pain | qualifies
For social anxiety, the research is too early for us to recommend it |
    Ketamine reduces symptoms of social anxiety disorder | qualifies
Research on chronic pain is thinner than for depression | Ketamine reduces chronic pain | qualifies
In the early 2000s, researchers found that it eased depression | Ketamine reduces depressive symptoms | supports
It was developed in the early 1960s as an anesthetic | Ketamine was introduced as an anaesthetic in the 1960s | supports
The evidence for depression is strong | Ketamine reduces depressive symptoms | supports
# … a harm said to be rare qualifies a claim of a low risk of it; said in the claim's terms, compared as the claim
# compares, of another harm, or against a claim that it happens in rare cases, it does not
Very rarely, breathing problems or seizures |
    As an anaesthetic, ketamine carries a low risk of respiratory depression | qualifies
Slowed breathing, which is rare at the doses used for depression |
    As an anaesthetic, ketamine carries a low risk of respiratory depression | qualifies
It rarely causes weight gain | Ketamine carries a low risk of weight gain | supports
Compared with daily antidepressants it rarely causes weight gain or sexual side effects | $LOWER_RISK | supports
Nausea is rare | As an anaesthetic, ketamine carries a low risk of respiratory depression | supports
Breathing problems are rare at these doses |
    Ketamine can, in rare cases, cause serious adverse effects such as respiratory depression | supports
# … an onset of a day or two qualifies "within hours" and contradicts "immediately", as "a couple of days" does;
# "within a day" contradicts "immediately" only
More often it takes a day or two | Ketamine's antidepressant effect begins within hours of a treatment | qualifies
More often it takes a day or two | Ketamine relieves depressive symptoms immediately | contradicts
More often it takes a day or two | Ketamine improves mood within hours to days | supports
People who respond often feel better within 1 or 2 days | Ketamine relieves symptoms immediately | contradicts
Some people notice a difference within a day | Ketamine relieves depressive symptoms immediately | contradicts
Some people notice a difference within a day | Ketamine's effect begins within hours of a treatment | supports
# h20s: a verb of noticing presents what was noticed as fact, as "found" does: its "could" is no hedge; "seemed to"
# and "may" after it still hedge
Psychiatrists noticed that a single low dose could lift severe depression | Ketamine reduces depression | supports
Doctors observed that patients could sleep again | Ketamine improves sleep | supports
Researchers noticed that a single low dose seemed to lift mood | A single dose lifts mood | qualifies
Researchers noticed that it may ease pain | Ketamine reduces chronic pain | qualifies
# … not knowing with an adverb between ("no one fully knows yet"), or said with "nobody", is the not knowing a claim of
# the unknown shares and a hedge of any other claim; "no one should" still negates
No one fully knows yet how ketamine helps |
    How ketamine produces its effects on mental health conditions is not yet fully understood | supports
Nobody really understands how it lifts mood | Ketamine lifts mood by blocking NMDA receptors | qualifies
No one should take ketamine at home alone | Ketamine can be self-administered by patients at home | contradicts
# … a negation of "everyone" with words between limits, as "not everyone" does: it qualifies a claim that is not for
# everyone, still contradicts one for everyone, is shared with a negated claim; a plain negation still contradicts
Home treatment isn’t right for everyone | Ketamine can be self-administered by patients at home | qualifies
It doesn’t work for every kind of pain | Ketamine reduces chronic pain | qualifies
It does not help everyone | Ketamine therapy is a revolutionary breakthrough in mental health | qualifies
Ketamine isn’t right for everyone | Ketamine can deliver rapid relief of depression for all patients | contradicts
It won’t work for every person who tries it | Ketamine helps everyone with depression | contradicts
It isn’t right for everyone | $SECOND_LINE | supports
It doesn’t work for chronic pain | Ketamine reduces chronic pain | contradicts
# … "not a cure" limits a claim of great benefit as "not a panacea" does; it is the negation a claim that it does not
# cure shares; it and "does not cure" still contradict a claim that it cures
Ketamine isn’t a cure | Ketamine cures depression | contradicts
Ketamine isn’t a cure | Ketamine therapy is a revolutionary breakthrough in mental health | qualifies
Ketamine isn’t a cure | Ketamine does not cure depression or PTSD; it improves symptoms only temporarily | supports
Ketamine isn’t a cure | Ketamine brings lasting relief for all patients | contradicts
Ketamine does not cure depression | Ketamine cures depression | contradicts
# … not studied, not tested say what not shown says of the evidence
The long-term safety of repeated treatment hasn’t been studied well |
    The long-term safety and side effects of ketamine therapy are not yet known | supports
Esketamine hasn’t been tested in teenagers | Esketamine relieves depression in teenagers | qualifies
Esketamine did not relieve depression in teenagers | Esketamine relieves depression in teenagers | contradicts
# "contraindicated" is its own negation of use, as "unsuitable" is of suitable: a clause that says it is not used
# for them shares it; one that says it is used for them contradicts it
We don’t use ketamine during a manic episode or in anyone with active psychosis |
    Ketamine is contraindicated in people with psychosis or mania | supports
We use ketamine for people with active psychosis | Ketamine is contraindicated in people with psychosis | contradicts
Ketamine is contraindicated in uncontrolled high blood pressure |
    Ketamine is contraindicated in people with uncontrolled hypertension | supports
# h21s: keeping the drug from patients' homes is a safeguard, no negation of a claim not about home or clinic use; it
# still contradicts the at-home claim and agrees with the clinic-only one
We never send doses home with patients, and every dose is logged |
    Ketamine has a potential for misuse and diversion that calls for regulatory safeguards | supports
Every dose we give is measured, logged and never sent home with you |
    Ketamine can cause psychological and physical dependence | supports
We never send doses home with patients | Ketamine can be self-administered by patients at home | contradicts
We never send doses home with patients |
    Ketamine should be administered only in a clinical setting under supervision | supports
# … non-responders said without "people" ("a few don't respond at all", "others") and a plan for when it fails ("if
# nothing has changed", "look at other options") contradict a claim for all patients, and only such a claim
Others improve only a little, and a few don’t respond at all |
    Ketamine can deliver rapid relief of depression for all patients | contradicts
If nothing has changed after six | Ketamine can deliver rapid relief of depression for all patients | contradicts
We’ll stop and look at other options | Ketamine can deliver rapid relief of depression for all patients | contradicts
If nothing has changed after six | Ketamine therapy is usually given as a series of sessions | supports
# … the writer's "we suggest it" is advice, no hedge ("studies suggest that" still hedges); "you may also know it as"
# introduces, as "you may know it as" does
We suggest it after at least two antidepressants have not been enough | $SECOND_LINE | supports
Studies suggest that it helps after two antidepressants have failed | Ketamine works in resistant depression | qualifies
You may also know it by its street name, “Special K” |
    Ketamine has been used recreationally as a "club drug" | supports
You may also come across lozenges and esketamine, a nasal spray | - | supports
You may also feel sick afterwards | Ketamine causes nausea | qualifies
# … a denied panacea is the own negation of a claim that it does not cure, and still hedges a claim of great benefit
Ketamine is not a miracle cure |
    Ketamine does not cure depression or PTSD; it improves symptoms only temporarily | supports
It is not the miracle some advertising suggests |
    Ketamine does not cure depression or PTSD; it improves symptoms only temporarily | supports
Ketamine is not a miracle cure | Ketamine therapy is a revolutionary breakthrough in mental health | qualifies
# … an onset after the second or third infusion contradicts "immediately" and qualifies "within hours"; an onset
# "within hours to days" allows it
Others notice a change only after the second or third infusion |
    Ketamine relieves depressive symptoms immediately | contradicts
For some people the change comes only after the third or fourth session |
    Ketamine's antidepressant effect begins within hours of a treatment | qualifies
Others notice a change only after the second or third infusion | Ketamine improves mood within hours to days | supports
# … what comes with "the first or second" treatment qualifies a claim of what a single one does
Many patients notice a lighter mood within a day of their first or second treatment |
    A single intravenous ketamine infusion significantly reduces depressive symptoms within 24 hours | qualifies
Many patients notice a lighter mood within a day of their first treatment |
    A single intravenous ketamine infusion significantly reduces depressive symptoms within 24 hours | supports
# … a corrective negation without a verb ("…, not years", "but not instant") denies only what it names: it negates a
# claim that shares its words ("instant" is "immediate"), no other
Most studies have followed people for weeks or months, not years |
    The long-term safety and side effects of ketamine therapy are not yet known | supports
Faster than pills, but not instant | Ketamine is a rapid-acting antidepressant | supports
Faster than pills, but not instant | Ketamine relieves depressive symptoms immediately | contradicts
We offer it as one part of a wider plan, never as a stand-alone fix |
    Ketamine therapy is often delivered together with psychotherapy | supports
We offer it as one part of a wider plan, never as a stand-alone treatment |
    Ketamine is a stand-alone treatment for depression | contradicts
We offer it, but we do not use it alone | Ketamine therapy is often delivered together with psychotherapy | contradicts
# … a side effect denied supports a claim of a low risk of side effects in general; a denied harm under a hedge
# qualifies the lower-risk claim; a denied benefit still contradicts
This treatment doesn’t tend to cause weight gain, sexual problems or emotional blunting |
    Ketamine has a low risk of side effects compared with conventional antidepressants | supports
Ketamine doesn’t appear to cause the weight gain or sexual problems of other antidepressants | $LOWER_RISK | qualifies
Ketamine doesn’t appear to cause weight gain |
    Ketamine has a low risk of side effects compared with conventional antidepressants | qualifies
Ketamine doesn’t tend to cause weight gain | $LOWER_RISK | supports
Ketamine doesn’t appear to lift mood | Ketamine has a low risk of side effects | contradicts
# … "A, and that appears to B": a claim that A leads to B is read on the whole, hedge and all; a claim of A alone on A
It blocks a receptor called NMDA, and that appears to trigger a surge of glutamate |
    By blocking NMDA receptors, ketamine triggers a release of glutamate | qualifies
It blocks a receptor called NMDA, and that appears to trigger a surge of glutamate |
    Ketamine acts by blocking NMDA receptors | supports
# … a verb of coming back or fading makes ", and" a coordination: the negated part does not negate the other
It won’t fix a lonely winter, and symptoms often return without maintenance |
    Ketamine therapy is usually given as a series of sessions, with maintenance treatments | supports
It won’t fix a lonely winter, and without follow-up the old symptoms usually come back |
    Ketamine therapy is usually given as a series of sessions, with maintenance treatments | supports
It won’t fix a lonely winter, and symptoms often return without maintenance |
    Ketamine fixes the circumstances behind a lonely winter | contradicts
# … relief said to come with depression's qualifies a claim that does not name depression
Anxiety often eases along with depression | Ketamine has anxiolytic effects and reduces symptoms of anxiety disorders |
    qualifies
This treatment can also calm the racing worry that so often comes with depression |
    Ketamine has anxiolytic effects and reduces symptoms of anxiety disorders | qualifies
Anxiety often eases along with depression | Ketamine reduces depressive symptoms in major depressive disorder | supports
Anxiety often eases within hours | Ketamine has anxiolytic effects and reduces symptoms of anxiety disorders | supports
# … a negated instruction to the reader negates no claim that is no negation, and is shared with a negated one
Please don’t eat for about four hours before your infusion, since ketamine can make some people queasy |
    Ketamine commonly causes nausea | supports
On treatment days, don’t eat for 4 hours beforehand, because ketamine can make you feel sick |
    Ketamine commonly causes nausea | supports
Don’t drive until the next day | Patients should not drive after a ketamine session | supports
Ketamine doesn’t make people queasy | Ketamine commonly causes nausea | contradicts
# … a benefit that lasts only with repeated treatment qualifies the long-lasting claim, not a claim of lasting harm
For some patients the lift holds for months after a series | Ketamine's antidepressant effects are long-lasting |
    qualifies
With repeated treatments, the improvement can last for weeks or months |
    Ketamine's antidepressant effects are long-lasting | qualifies
Memory problems can persist after repeated doses |
    Frequent, long-term ketamine use is associated with lasting cognitive impairment | supports
Ketamine is never sent home with patients because it is not safe | Ketamine is generally safe | contradicts
# h22s: a negation in a "that" clause whose subject is another treatment is that treatment's, not the clause's; one
# whose subject is ketamine or points to it stays the clause's
It is now an accepted option for depression that other treatments haven’t touched |
    Ketamine therapy has gained recognition as a viable treatment option for depression | supports
Many of our patients have found that talk therapy alone hasn’t been enough |
    Ketamine reduces PTSD symptom severity | supports
Some patients have found that ketamine therapy hasn’t eased their PTSD | Ketamine reduces PTSD symptom severity |
    contradicts
Some patients have found that the treatment hasn’t eased their PTSD | Ketamine reduces PTSD symptom severity |
    contradicts
Ketamine is not a drug that other treatments can replace for PTSD | Ketamine reduces PTSD symptom severity |
    contradicts
# h22s: toward a claim sharing no word with either side, a consequence is read on its conclusion; not when the claim
# shares the reason's words, nor when the reason limits the claim's wording
These rules aren’t always absolute, so your psychiatrist will go through them with you |
    Whether ketamine therapy suits a patient has to be decided individually together with a healthcare provider |
    supports
There is no agreed dosing schedule yet, so our psychiatrist adjusts the dose to each person’s response |
    Whether ketamine therapy suits a patient has to be decided individually together with a healthcare provider |
    supports
Ketamine doesn’t work for everyone, so your psychiatrist will check in after each session |
    Ketamine works for everyone | contradicts
The relief from one dose usually lasts about a week, so most people need a series |
    Ketamine's antidepressant effects are long-lasting | qualifies
# h23s: an approval ends the development a claim says is still going on; an approval to come does not
Regulators approved the nasal formulation last year for adults with severe depression |
    The new nasal formulation is still in clinical trials | contradicts
The nasal formulation has received regulatory approval in several countries |
    The new nasal formulation is still being developed | contradicts
The nasal formulation could be approved next year | The new nasal formulation is still being developed | qualifies
# h23s: "rarely" or "seldom" before the claim's own word denies it; a harm said to be rare, or a rare excess, does not
Relief from the first session is seldom instant | The treatment relieves low mood immediately | contradicts
The calm after a session rarely fades within a day | The calm after a session fades within a day | contradicts
It rarely causes nausea | The drug carries a lower risk of nausea than older medicines | supports
Patients seldom need more than six sessions | Most patients need a series of sessions | supports
# h23s: "not shown to V" hedges V only: not a claim of another outcome, still the claim that states V
The spray has not been proven to prevent relapse, even though it eases racing thoughts |
    The spray eases racing thoughts | supports
The spray has not been proven to prevent relapse, even though it eases racing thoughts |
    The spray prevents relapse | qualifies
# h23s: nobody at hand to help is the reason for supervision
We don’t recommend it, because nobody is around to help if you feel faint |
    Ketamine should be given only in a clinic under medical supervision | supports
With the lozenges, no one is there to check on you | Patients can take ketamine lozenges at home | qualifies
# h23s: "usually", "often" and "typically" in a claim share a clause's "may", as "can" and "commonly" do; "in some
# cases" says less than "usually"
Patients may need booster sessions every few months | Treatment is usually given as a series of sessions | supports
In some cases, booster sessions may be needed | Treatment is usually given as a series of sessions | qualifies
# h24s: a condition lived alongside depression is qualified as one eased along with it; other "alongside" is not
Many of our patients live with panic attacks alongside their depression |
    Ketamine reduces symptoms of anxiety disorders | qualifies
We give it alongside a safety plan for people with thoughts of suicide | Ketamine reduces suicidal thoughts | supports
Ketamine can be used alongside your depression medication |
    Ketamine can be combined with existing antidepressants | supports
# h24s: "can't yet say / tell" is not knowing, a hedge a claim of the unknown shares; "can't" of ability still denies
Doctors can’t yet say how long the benefit lasts over years | The long-term benefit of the treatment is not yet known |
    supports
Doctors can’t yet say how long the benefit lasts over years | The benefit lasts for years | qualifies
You can’t take these doses at home | Patients can take ketamine lozenges at home | contradicts
Most patients can’t tell ketamine from placebo | Patients can tell ketamine from placebo | contradicts
# h24s: a risk said to be low qualifies a claim that the harm can happen; a claim of safeguards it still supports
At the doses we use, the risk of addiction is very low | Ketamine can cause psychological dependence | qualifies
In a supervised program the risk is low |
    Ketamine has a potential for misuse and diversion that calls for safeguards | supports
The risk of addiction is very low | Ketamine can cause nausea | supports
The risk of relapse is low after a series | Ketamine can lead to lasting remission | supports
# h24s: a hedge inside what was noticed does not hedge a claim that it was discovered; a claim of the finding, it does
In the 1990s, doctors noticed that the drug seemed to lift low mood |
    The drug's antidepressant potential was discovered in the 1990s | supports
In the 1990s, doctors noticed that the drug seemed to lift low mood | The drug lifts low mood | qualifies
In the 1990s, doctors noticed that the drug lifted mood, though the evidence is still preliminary |
    The drug's antidepressant potential was discovered in the 1990s | qualifies
"""


def _stance_cases() -> list:
    claims = {"$SECOND_LINE": SECOND_LINE, "$OFF_LABEL": OFF_LABEL, "$LOWER_RISK": LOWER_RISK}
    lines: list[str] = []
    for line in STANCE_CASES.splitlines():
        if line.startswith(" "):
            lines[-1] += " " + line.strip()
        elif line.strip() and not line.startswith("#"):
            lines.append(line)
    cases = []
    for line in lines:
        clause, claim, stance = (part.strip() for part in line.split(" | "))
        claim = "" if claim == "-" else claims.get(claim, claim)
        cases.append(pytest.param(clause, claim, stance, id=f"{clause[:40]} / {claim[:30]}"))
    return cases


@pytest.mark.parametrize(("clause", "claim", "stance"), _stance_cases())
def test_the_stance_toward_a_claim_follows_the_rules_of_each_round(clause, claim, stance):
    assert stance_cue(clause, claim) == stance


def test_the_bench_lists_each_stance_shown_wrong_for_error_analysis(monkeypatch):
    from importer import bench
    from importer.extract import CandidateData, ClaimIndex, ClaimRecord, Sentence

    text = "Ketamine works within hours and its effects last a week."
    whole = Sentence(0, len(text), text)
    candidate = CandidateData(whole, whole, "onset", "supports", suggestions=[(1, 0.9, "supports")])
    monkeypatch.setattr(bench, "extract", lambda *args, **kwargs: [candidate])
    answers = [
        bench.Answer(0, "Ketamine works within hours", 1, "onset", "supports"),
        bench.Answer(text.index("its effects"), "its effects last a week", 2, "duration", "qualifies"),
    ]
    index = ClaimIndex([ClaimRecord(1, "claim 1", "onset")])
    score = bench.score_article("a", text, answers, index, [], [])
    assert score.stance_right == 1
    # Claim 2 is not in the knowledge base (an editor drafts it from the candidate): the candidate's own stance was
    # shown, and the miss says so.
    assert score.stance_misses == [
        {"quote": "its effects last a week", "clause": text, "claim": 2, "key": "qualifies", "shown": "supports",
         "suggested": False, "in_kb": False}
    ]  # fmt: skip


def test_the_bench_scores_a_claim_found_by_search_with_the_stance_the_review_screen_shows(monkeypatch):
    """The answer's claim is in the knowledge base but not suggested: an editor finds it by the review screen's
    search, which shows the clause's stance judged against that claim's wording (h16b), not the candidate's own."""
    from importer import bench
    from importer.extract import CandidateData, ClaimIndex, ClaimRecord, Sentence

    text = "Most insurance plans do not cover ketamine infusions."
    whole = Sentence(0, len(text), text)
    # Its own stance: toward a claim in its own words, a negation decides nothing.
    candidate = CandidateData(whole, whole, "administration", "supports", suggestions=[(1, 0.4, "supports")])
    monkeypatch.setattr(bench, "extract", lambda *args, **kwargs: [candidate])
    covered = ClaimRecord(2, "Insurance covers ketamine infusions", "administration")
    index = ClaimIndex([ClaimRecord(1, "Ketamine infusions are expensive", "administration"), covered])
    answers = [bench.Answer(0, text, 2, "administration", "contradicts")]
    score = bench.score_article("a", text, answers, index, [], [])
    assert (score.stance_right, score.stance_misses) == (1, [])
    # The key says supports: the miss shows the judged stance, of a claim the knowledge base holds.
    answers = [bench.Answer(0, text, 2, "administration", "supports")]
    (miss,) = bench.score_article("a", text, answers, index, [], []).stance_misses
    assert (miss["shown"], miss["suggested"], miss["in_kb"]) == ("contradicts", False, True)


def test_a_candidate_s_own_stance_is_toward_a_claim_in_its_own_words(db):
    ClaimFactory(text="Insurance covers ketamine infusions", slug="covered", category="administration")
    text = "Most insurance plans do not cover ketamine infusions.\nKetamine may lift mood within hours.\n"
    services.import_article(text.encode(), name="a.txt", title="Insurance")
    negated, hedged = Candidate.objects.order_by("offset")
    # Toward the suggested claim the negation contradicts; for a claim found by search or drafted from the clause
    # (whose wording is not known), a negation alone decides nothing and a hedge qualifies.
    assert negated.suggestions[0]["stance"] == "contradicts" and negated.stance == "supports"
    assert hedged.stance == "qualifies"
    services.refresh_suggestions(list(Candidate.objects.all()))
    negated.refresh_from_db()
    assert negated.stance == "supports"


def test_each_suggestion_carries_its_own_stance_shown_on_the_review_screen(client, users, db):
    approved = ClaimFactory(text="Ketamine is approved for depression", slug="approved", category="indication")
    off_label = ClaimFactory(text="Ketamine is not approved for depression", slug="not-approved", category="indication")
    text = "Ketamine is not approved for depression by regulators in most countries.\n"
    services.import_article(text.encode(), name="a.txt", title="Approval")
    candidate = Candidate.objects.get()
    stances = {s["claim"]: s["stance"] for s in candidate.suggestions}
    assert stances == {approved.pk: "contradicts", off_label.pk: "supports"}
    client.force_login(users["admin"])
    html = client.get(reverse("admin:importer_candidate_change", args=[candidate.pk])).content.decode()
    assert f'name="stance_{approved.pk}"' in html
    for pk, stance in stances.items():
        select = html[html.index(f'name="stance_{pk}"') :]
        select = select[: select.index("</select>")]
        assert f'value="{stance}" selected' in select


# --- review screen ------------------------------------------------------------------------------------------------


def test_nothing_is_pre_ticked_below_the_match_threshold(client, users, db):
    ClaimFactory(text="Low mood is common in winter", slug="weak", category="efficacy")
    services.import_article(b"Ketamine lifted my mood within hours of the infusion.\n", name="a.txt", title="Mood")
    candidate = Candidate.objects.get()
    assert candidate.suggestions and candidate.suggestions[0]["score"] < 0.2
    client.force_login(users["admin"])
    html = client.get(reverse("admin:importer_candidate_change", args=[candidate.pk])).content.decode()
    assert 'name="claims"' in html and " checked" not in html


def test_the_review_screen_says_why_a_candidacy_claim_is_listed_first_under_its_lead_in(client, users, db):
    side_effect, unsuitable = blood_pressure_claims()
    text = NOT_SAFE_IF_YOU_HAVE + "\nKetamine has side effects. Side effects include:\n- High blood pressure\n"
    services.import_article(text.encode(), name="a.txt", title="Who should not have it")
    framed, plain = Candidate.objects.filter(quote="High blood pressure").order_by("offset")
    # The candidacy claim comes first under the contraindication lead-in whatever the scores (it may score lower
    # than the side effect listed below it).
    assert [s["claim"] for s in framed.suggestions][:2] == [unsuitable.pk, side_effect.pk]
    client.force_login(users["admin"])
    html = client.get(reverse("admin:importer_candidate_change", args=[framed.pk])).content.decode()
    row = html[html.index(f'id="id_claims_{unsuitable.pk}"') : html.index(f'id="id_claims_{side_effect.pk}"')]
    assert "offered first for the list’s lead-in" in row
    assert "first those about who should or should not have ketamine" in html
    assert html.count("offered first for the list’s lead-in") == 1  # not the side-effect claim below it
    # The same item under a side-effect lead-in is ranked by score alone, and the page says nothing of the kind.
    assert not any(s.get("offered_first") for s in plain.suggestions)
    html = client.get(reverse("admin:importer_candidate_change", args=[plain.pk])).content.decode()
    assert "offered first" not in html and "most similar first" in html
    # A refresh keeps the order and the reason.
    services.refresh_suggestions([framed])
    framed.refresh_from_db()
    assert [s.get("offered_first") for s in framed.suggestions][:2] == ["candidacy", None]


def test_another_claim_is_found_by_its_words_and_attached(client, users, db):
    ClaimFactory(text="Ketamine works within hours", slug="onset", category="onset")
    target = ClaimFactory(
        text="Ketamine is a second-line option for treatment-resistant depression", slug="second-line",
        category="candidacy",
    )  # fmt: skip
    services.import_article(b"Ketamine works within hours for many people.\n", name="a.txt", title="Hours")
    candidate = Candidate.objects.get()
    client.force_login(users["admin"])
    page = client.get(reverse("admin:importer_candidate_change", args=[candidate.pk])).content.decode()
    assert "admin-autocomplete" in page and "autocomplete.js" in page
    search = client.get(
        reverse("admin:autocomplete"),
        {"term": "second-line resistant", "app_label": "claims", "model_name": "assertion", "field_name": "claim"},
    ).json()
    assert [r["id"] for r in search["results"]] == [str(target.pk)]
    response = client.post(
        reverse("admin:importer_candidate_change", args=[candidate.pk]),
        {"decision": "attach", "other_claim": target.pk, "other_stance": "supports", "quote": candidate.quote},
        follow=True,
    )
    # The claim is published: the statement waits for a second reviewer as a revision (tests/test_revisions.py).
    revision = Revision.objects.get()
    assert revision.claim == target and revision.proposed["quote"] == candidate.quote
    assert f"waits for review as revision #{revision.pk}" in response.content.decode()
    assert not target.assertions.exists()
    page = client.get(reverse("admin:importer_candidate_change", args=[candidate.pk])).content.decode()
    assert "Waiting for review" in page and f"revision #{revision.pk}</a>: {target.text}" in page


def test_a_claim_found_by_search_takes_the_stance_judged_against_its_wording(client, users, db):
    covered = ClaimFactory(text="Insurance covers ketamine infusions", slug="covered", status="draft")
    refused = ClaimFactory(text="Insurers refuse to pay for ketamine", slug="refused", status="draft")
    services.import_article(b"Most insurance plans do not cover ketamine infusions.\n", name="a.txt", title="Cost")
    candidate = Candidate.objects.get()
    assert candidate.stance == "supports"  # its own: toward a claim in its own words, a negation decides nothing
    client.force_login(users["editor"])
    url = reverse("admin:importer_candidate_change", args=[candidate.pk])
    page = client.get(url).content.decode()
    stance_url = reverse("admin:importer_candidate_stance", args=[candidate.pk])
    # "its stance" starts blank, "judged against the claim", and names where the page's script asks for it.
    select = page[page.index('name="other_stance"') :]
    assert f'data-stance-url="{stance_url}"' in select[: select.index(">")]
    assert '<option value="" selected>judged against the claim</option>' in select
    assert "claim-stance.js" in page
    # What the script shows as soon as the claim is picked …
    assert client.get(stance_url, {"claim": covered.pk}).json() == {
        "claim": covered.pk, "stance": "contradicts", "label": "Contradicts"
    }  # fmt: skip
    assert client.get(stance_url, {"claim": "covered"}).status_code == 400
    assert client.get(stance_url, {"claim": 999_999}).status_code == 404
    # … and what the form saves when the editor leaves it blank; a stance the editor chose stands.
    client.post(url, {"decision": "attach", "other_claim": covered.pk, "other_stance": "", "quote": candidate.quote})
    client.post(url, {"decision": "attach", "other_claim": refused.pk, "other_stance": "qualifies",
                      "quote": candidate.quote})  # fmt: skip
    stances = dict(candidate.assertions.values_list("claim__slug", "stance"))
    assert stances == {"covered": "contradicts", "refused": "qualifies"}


def test_the_stance_of_a_found_claim_is_not_told_to_who_may_not_see_the_candidate(client, users, db):
    claim = ClaimFactory(text="Insurance covers ketamine infusions", slug="covered")
    services.import_article(b"Most insurance plans do not cover ketamine infusions.\n", name="a.txt", title="Cost")
    url = reverse("admin:importer_candidate_stance", args=[Candidate.objects.get().pk])
    assert client.get(url, {"claim": claim.pk}).status_code == 302  # to the admin's login
    client.force_login(get_user_model().objects.create_user("sam", password="pw-sam-123!", is_staff=True))
    assert client.get(url, {"claim": claim.pk}).status_code == 403


def test_another_claim_search_puts_the_claims_whose_text_holds_the_words_first(client, users, db):
    wording = ClaimFactory(text="Ketamine may raise blood pressure during an infusion", slug="zz-raise")
    every_word = ClaimFactory(text="Blood tests and a pressure check come before ketamine", slug="zz-check")
    by_rationale = ClaimFactory(text="A baseline ECG is advised", slug="aa-ecg", rationale="Blood pressure matters.")
    by_slug = ClaimFactory(text="Ketamine is monitored", slug="blood-pressure-monitoring")
    ClaimFactory(text="Ketamine works within hours", slug="onset")
    client.force_login(users["admin"])
    search = client.get(
        reverse("admin:autocomplete"),
        {"term": "blood pressure", "app_label": "claims", "model_name": "assertion", "field_name": "claim"},
    ).json()
    # The words as typed, then every word in the text, then the claims matched through slug or rationale (by text).
    assert [r["id"] for r in search["results"]] == [str(c.pk) for c in (wording, every_word, by_rationale, by_slug)]
    listed = client.get(reverse("admin:claims_claim_changelist"), {"q": "blood pressure"})
    assert listed.context["cl"].result_count == 4  # the list's own search matches the same claims


def test_refresh_suggestions_offers_a_claim_added_after_the_import(client, users, db):
    services.import_article(b"Ketamine can cause nausea and dizziness.\n", name="a.txt", title="Nausea")
    candidate = Candidate.objects.get()
    assert candidate.suggestions == []
    newer = ClaimFactory(text="Ketamine can cause nausea and dizziness", slug="nausea", category="side_effect")
    client.force_login(users["admin"])
    url = reverse("admin:importer_candidate_change", args=[candidate.pk])
    assert "Refresh suggestions" in client.get(url).content.decode()
    # A job (tests run it at once): its page says what it did and leads back to the candidate.
    response = client.post(url, {"decision": "refresh"}, follow=True)
    job = Job.objects.get()
    assert response.redirect_chain == [(reverse("admin:importer_job_change", args=[job.pk]), 302)]
    html = response.content.decode()
    assert "Re-ranked the suggestions of 1 candidate against today’s claims." in html
    assert f'href="{url}">Back to the candidate</a>' in html
    candidate.refresh_from_db()
    assert candidate.suggestions[0]["claim"] == newer.pk and candidate.category == "side_effect"
    assert "checked" in client.get(url).content.decode()  # now a good match: pre-ticked


@pytest.mark.django_db(transaction=True)
def test_refreshing_suggestions_only_queues_a_job_that_a_worker_runs(client, settings):
    from django.contrib.auth import get_user_model

    from tests.test_jobs import DATABASE_BACKEND, _run_worker

    settings.TASKS = DATABASE_BACKEND
    services.import_article(b"Ketamine can cause nausea and dizziness.\n", name="a.txt", title="Nausea")
    candidate = Candidate.objects.get()
    newer = ClaimFactory(text="Ketamine can cause nausea and dizziness", slug="nausea", category="side_effect")
    client.force_login(get_user_model().objects.create_superuser("ada", password="pw-ada-123!"))
    url = reverse("admin:importer_candidate_change", args=[candidate.pk])
    html = client.post(url, {"decision": "refresh"}, follow=True).content.decode()
    assert "<strong>Queued</strong>" in html
    candidate.refresh_from_db()
    assert candidate.suggestions == []  # the request did not rank anything
    _run_worker()
    candidate.refresh_from_db()
    assert candidate.suggestions[0]["claim"] == newer.pk


def test_refreshing_candidates_deleted_since_fails_the_job_in_words(client, users, db):
    services.import_article(b"Ketamine can cause nausea and dizziness.\n", name="a.txt", title="Nausea")
    candidate = Candidate.objects.get()
    job = Job.objects.create(kind=Job.Kind.REFRESH, title="gone", params={"candidates": [candidate.pk + 1]},
                             created_by=users["editor"])  # fmt: skip
    tasks.queue(job)
    client.force_login(users["editor"])
    html = client.get(reverse("admin:importer_job_change", args=[job.pk])).content.decode()
    assert "<strong>Failed</strong>" in html and "Nothing was re-ranked: the candidates were deleted since" in html


def test_the_refresh_action_re_ranks_the_chosen_candidates(client, users, db):
    services.import_article(b"Ketamine can cause nausea and dizziness.\n", name="a.txt", title="Nausea")
    newer = ClaimFactory(text="Ketamine can cause nausea and dizziness", slug="nausea", category="side_effect")
    client.force_login(users["admin"])
    candidate = Candidate.objects.get()
    changelist = reverse("admin:importer_candidate_changelist") + f"?source__id__exact={candidate.source_id}"
    response = client.post(
        changelist, {"action": "refresh_suggestions", "_selected_action": [candidate.pk]}, follow=True
    )
    html = response.content.decode()
    assert "Re-ranked the suggestions of 1 candidate" in html
    assert "Back to the candidate</a>" in html and f"?source__id__exact={candidate.source_id}" in html
    candidate.refresh_from_db()
    assert candidate.suggestions[0]["claim"] == newer.pk


@pytest.mark.parametrize("text", ["Ketamine causes nausea", "Ketamine causes nausea."])
def test_after_drafting_a_claim_the_message_links_to_it_and_ends_with_one_full_stop(client, users, db, text):
    services.import_article(b"Ketamine can cause nausea and dizziness.\n", name="a.txt", title="Nausea")
    candidate = Candidate.objects.get()
    client.force_login(users["admin"])
    response = client.post(
        reverse("admin:importer_candidate_change", args=[candidate.pk]),
        {"decision": "new", "text": text, "category": "side_effect", "quote": candidate.quote},
        follow=True,
    )
    claim = Claim.objects.get(text=text)
    link = f'<a href="{reverse("admin:claims_claim_change", args=[claim.pk])}">{text}</a>'
    html = response.content.decode()
    assert link in html
    if text.endswith("."):
        assert link + "." not in html  # not "…causes nausea.</a>."
    else:
        assert link + "." in html


def test_the_candidate_list_filtered_by_source_drops_the_source_column(client, users, side_effects):
    summary = services.import_article(PAGE.encode(), name="page.html", title="Side effects")
    client.force_login(users["admin"])
    url = reverse("admin:importer_candidate_changelist")
    assert "column-source_title" in client.get(url).content.decode()
    assert "column-source_title" not in client.get(url, {"source__id__exact": summary.source.pk}).content.decode()


# --- page builders (h17e: held-out page 10, WordPress + Elementor) -------------------------------------------------


def test_a_page_builders_widget_wrappers_keep_the_article_and_a_sidebar_widget_is_still_dropped():
    def block(html: str) -> str:  # Elementor's nesting of one block of the article
        return (
            '<section class="elementor-section"><div class="elementor-container"><div class="elementor-column">'
            '<div class="elementor-widget-wrap"><div class="elementor-element elementor-widget '
            f'elementor-widget-text-editor"><div class="elementor-widget-container">{html}</div></div></div></div>'
            "</div></section>"
        )

    sidebar = (
        '<div id="secondary" class="widget-area"><section class="widget widget_recent_entries"><h2>Recent posts</h2>'
        "<p>Ketamine is not addictive at clinical doses, our doctors explain.</p></section>"
        '<div class="widget widget_text"><p>Our clinic is open six days a week for new patients.</p></div></div>'
    )
    page = (
        '<html><body class="elementor-template-full-width"><div data-elementor-type="wp-page" class="elementor">'
        + block("<h1>Ketamine for depression</h1>")
        + block("<p>Ketamine can ease the symptoms of depression within hours for many people.</p>")
        + block("<p>Side effects include:</p><ul><li>Nausea</li><li>Dizziness</li></ul>")
        + "</div>"
        + sidebar
        + "</body></html>"
    )
    text = readable_document(page, name="page.html").text
    assert "Ketamine can ease the symptoms of depression within hours for many people.\n" in text
    assert "Side effects include:\n- Nausea\n- Dizziness\n" in text
    assert "not addictive" not in text and "six days a week" not in text
    # A page whose only prose is in sidebar widgets has no article.
    with pytest.raises(InputError, match="no readable article"):
        readable_document(f"<html><body>{sidebar}</body></html>", name="page.html")


def _page_10() -> str:
    from importer.bench import HELDOUT_DIR

    return (HELDOUT_DIR / "10_bright-meadow-ketamine-infusion-therapy.html").read_text(encoding="utf-8")


def test_an_elementor_page_under_the_full_width_template_converts_as_under_the_default_template():
    # Held-out page 10 as Elementor's "Full Width" template serves it (r20's first version): no <main> and no
    # "page-content" wrapper, the page's document straight in <body>; its only <article>s are the blog teasers.
    page = _page_10()
    main_open = '<main id="content" class="site-main post-812 page type-page status-publish hentry">\n\n\t\n\t'
    full_width = (
        page.replace(main_open + '<div class="page-content">', "")
        .replace("\t\t\t</div>\n\n\t\n</main>", "")
        .replace('"page-template-default page ', '"page-template page-template-elementor_header_footer page ')
    )
    assert "<main" not in full_width and "page-content" not in full_width and "<article" in full_width
    text = readable_document(full_width, name="page.html").text
    assert text == readable_document(page, name="page.html").text
    assert "Many people describe feeling pleasantly detached" in text  # the article, not one teaser
    assert "How to prepare for your first infusion" not in text  # a teaser's title


def test_a_tablist_holding_tab_panels_keeps_the_panels_and_a_strip_of_tab_titles_is_dropped():
    lines = _lines(
        "<main><h1>What to expect from ketamine</h1><p>Ketamine infusions are given in our clinic by a nurse.</p>"
        '<div class="tabs"><div class="tabs-wrapper" role="tablist">'
        '<div role="tab" aria-controls="t1">Before</div><div role="tab" aria-controls="t2">During</div></div>'
        '<div class="tabs-content-wrapper" role="tablist">'
        '<div class="mobile-title" role="tab" aria-controls="t1" aria-expanded="false">Before</div>'
        '<div id="t1" role="tabpanel"><p>Please do not eat for six hours before your appointment.</p></div>'
        '<div class="mobile-title" role="tab" aria-controls="t2" aria-expanded="false">During</div>'
        '<div id="t2" role="tabpanel" hidden="hidden"><p>Many people feel pleasantly detached during it.</p></div>'
        "</div></div>"
        '<div role="tablist"><button role="tab">Overview</button><button role="tab">Risks</button></div>'
        "<p>Ketamine is not a cure for depression.</p></main>"
    )
    assert lines == [
        "What to expect from ketamine",
        "Ketamine infusions are given in our clinic by a nurse.",
        "Please do not eat for six hours before your appointment.",
        "Many people feel pleasantly detached during it.",
        "Ketamine is not a cure for depression.",
    ]  # the tab titles (desktop and mobile copies) and the strip of tabs are dropped


def test_an_accordion_header_with_role_button_keeps_its_question_and_a_link_button_stays_dropped():
    lines = _lines(
        "<main><h1>Ketamine therapy questions</h1><p>Ketamine therapy is offered at our clinic in three forms.</p>"
        '<div class="elementor-accordion"><div class="elementor-tab-title" role="button" aria-controls="c1" '
        'aria-expanded="false"><span class="icon" aria-hidden="true"></span>'
        '<a class="elementor-accordion-title" tabindex="0">Is ketamine addictive?</a></div>'
        '<div id="c1" role="region"><p>It can be habit-forming when it is misused outside of medical care.</p></div>'
        '<div class="cta" role="button" aria-expanded="false"><a href="/book">Book a consultation today</a></div>'
        "</div></main>"
    )
    assert lines[2:] == [
        "Is ketamine addictive?",
        "It can be habit-forming when it is misused outside of medical care.",
    ]


# --- a Webflow page (what r21 saw when converting held-out page 11; synthetic markup of the same shape, not the page)

WEBFLOW_PAGE = (
    '<html data-wf-page="1" data-wf-site="2"><body>'
    '<div role="banner" class="navbar w-nav"><nav role="navigation" class="nav-menu w-nav-menu">'
    '<a href="/about" class="nav-link w-nav-link">Who we are</a>'
    '<a href="/team" class="nav-link w-nav-link">Meet the team</a></nav></div>'
    '<div class="section article-section"><div class="container w-container"><div class="article-body">'
    '<div class="rich-text w-richtext"><h2>About our ketamine infusions</h2>'
    "<p>Ketamine infusions are given in our clinic while a nurse watches your blood pressure and heart rate.</p>"
    "<p>Most people feel calm and a little detached while the infusion runs, and this passes within the hour.</p>"
    "<p>We see adults whose depression has not lifted after several antidepressants.</p></div>"
    '<div class="table-embed w-embed"><table><thead><tr><th></th><th>Infusion</th><th>Nasal spray</th></tr></thead>'
    '<tbody><tr><th scope="row">How it is given</th><td>Through a drip in the arm</td><td>Sprayed into the nose</td>'
    "</tr></tbody></table></div>"
    "</div></div></div>"
    '<div id="faq" class="section faq-section"><div class="container w-container">'
    "<h2>Frequently asked questions</h2>"
    '<div class="faq-item w-dropdown"><div class="faq-question w-dropdown-toggle" id="w-dropdown-toggle-1" '
    'aria-controls="w-dropdown-list-1" aria-haspopup="menu" aria-expanded="false" role="button" tabindex="0">'
    '<div class="faq-icon w-icon-dropdown-toggle" aria-hidden="true"></div>'
    '<div class="faq-question-text">Does ketamine interact with other medicines?</div></div>'
    '<nav class="faq-answer w-dropdown-list" id="w-dropdown-list-1" aria-labelledby="w-dropdown-toggle-1">'
    '<div class="w-richtext"><p>Some sedatives can blunt the effect, so tell us everything you take.</p></div>'
    "</nav></div></div></div>"
    '<footer class="footer"><p>Get our monthly letter on health and recovery. No spam, ever.</p></footer>'
    "</body></html>"
)


def test_a_table_in_a_webflow_html_embed_is_read_as_rows():
    text = readable_document(WEBFLOW_PAGE, name="page.html").text
    assert "How it is given | Through a drip in the arm | Sprayed into the nose" in text


def test_a_webflow_faq_section_beside_the_article_column_is_read_with_its_questions():
    lines = readable_document(WEBFLOW_PAGE, name="page.html").text.splitlines()
    question = lines.index("Does ketamine interact with other medicines?")
    assert lines[question + 1] == "Some sedatives can blunt the effect, so tell us everything you take."


def test_a_webflow_page_keeps_its_article_and_drops_its_menu_and_footer():
    text = readable_document(WEBFLOW_PAGE, name="page.html").text
    assert "Most people feel calm and a little detached while the infusion runs" in text
    assert "Who we are" not in text and "Meet the team" not in text and "No spam" not in text


# --- h18c: a table alone in a builder's wrapper, and an FAQ the article picker left out

_FAQ_SECTION = WEBFLOW_PAGE[WEBFLOW_PAGE.index('<div id="faq"') : WEBFLOW_PAGE.index("<footer")]
_WITHOUT_FAQ = WEBFLOW_PAGE.replace(_FAQ_SECTION, "")
_COLUMN_END = _WITHOUT_FAQ.index("</table></div>") + len("</table></div>")  # after the table's embed, in the column


def test_a_table_alone_in_a_wrapper_classed_as_a_widget_is_read_and_one_in_a_furniture_block_is_not():
    table = "<table><tr><th>Route</th><th>Dose</th></tr><tr><td>Into a vein</td><td>0.5 mg per kg</td></tr></table>"
    text = readable_document(
        "<main><h1>Ketamine doses</h1><p>Ketamine is given at a low dose for depression in our clinic.</p>"
        f'<div class="elementor-widget-html"><div class="code-embed"><style>td {{ padding: 2px }}</style>{table}</div>'
        "</div>"
        f'<div class="sidebar-widget"><table><tr><td>Opening hours</td><td>Monday to Friday</td></tr></table></div>'
        "<p>The dose is adjusted to how each patient responds over the first sessions.</p></main>",
        name="page.html",
    ).text
    assert "Into a vein | 0.5 mg per kg" in text  # the wrappers ("widget", "embed") are taken away
    assert "Opening hours" not in text  # a table in a block our furniture rule names stays furniture
    assert "td {" not in text


def test_a_table_sharing_its_wrapper_with_other_words_keeps_the_wrapper():
    page = WEBFLOW_PAGE.replace("<table>", "<p>Prices are set by the clinic and change from time to time.</p><table>")
    text = readable_document(page, name="page.html").text
    assert "How it is given" not in text  # the embed holds more than the table: it is left as it is (and dropped)


def test_an_faq_inside_the_article_column_keeps_its_questions_written_in_blocks_inside_the_header():
    page = _WITHOUT_FAQ[:_COLUMN_END] + _FAQ_SECTION + _WITHOUT_FAQ[_COLUMN_END:]
    lines = readable_document(page, name="page.html").text.splitlines()
    question = lines.index("Does ketamine interact with other medicines?")
    assert lines[question - 1 : question + 2] == [
        "Frequently asked questions",
        "Does ketamine interact with other medicines?",
        "Some sedatives can blunt the effect, so tell us everything you take.",
    ]
    assert lines.count("Some sedatives can blunt the effect, so tell us everything you take.") == 1


def test_an_faq_section_before_the_article_column_is_read_before_the_article():
    article = _WITHOUT_FAQ.index('<div class="section article-section">')
    page = _WITHOUT_FAQ[:article] + _FAQ_SECTION + _WITHOUT_FAQ[article:]
    lines = readable_document(page, name="page.html").text.splitlines()
    assert lines[:4] == [
        "Frequently asked questions",
        "Does ketamine interact with other medicines?",
        "Some sedatives can blunt the effect, so tell us everything you take.",
        "About our ketamine infusions",
    ]


@pytest.mark.parametrize(
    "page",
    [
        _WITHOUT_FAQ.replace('<footer class="footer">', '<footer class="footer">' + _FAQ_SECTION),
        WEBFLOW_PAGE.replace('class="section faq-section"', 'class="sidebar faq-section"'),
        WEBFLOW_PAGE.replace(
            "<p>Some sedatives can blunt the effect, so tell us everything you take.</p>",
            '<a href="/medicines">Medicines</a> <a href="/sedatives">Sedatives</a>',
        ),
    ],
    ids=["in-the-footer", "in-a-sidebar", "links-only-panel"],
)
def test_disclosures_in_furniture_or_opening_only_links_are_not_read_as_an_faq(page):
    text = readable_document(page, name="page.html").text
    assert "Does ketamine interact with other medicines?" not in text
    assert "Some sedatives can blunt the effect" not in text
    assert "Most people feel calm and a little detached while the infusion runs" in text


_MIXED_BUILDER_PAGE = (
    '<main><h1>Ketamine for depression</h1><div class="elementor-element elementor-widget '
    'elementor-widget-text-editor"><div class="elementor-widget-container">'
    "<p>Ketamine can ease the symptoms of depression within hours.</p></div></div>"
    "<p>Its effect often fades within a week or two without further sessions.</p>{}</main>"
)
_RECENT_POSTS = (
    '<div class="elementor-element elementor-widget elementor-widget-wp-widget-recent-posts">'
    '<div class="elementor-widget-container">{}<h5>Recent posts</h5><ul>'
    '<li><a href="/blog/a">What to expect at your first ketamine infusion visit</a></li>'
    '<li><a href="/blog/b">How ketamine differs from the antidepressants you know</a></li></ul>'
    "<p>Our newest articles on ketamine care are written by our clinicians every month.</p>{}</div></div>"
)


@pytest.mark.parametrize(
    "widget",
    ["", _RECENT_POSTS.format("", ""), _RECENT_POSTS.format('<div class="widget widget_recent_entries">', "</div>")],
    ids=["no-widget", "wordpress-widget-in-the-builder", "wordpress-widget-with-its-own-wrapper"],
)
def test_a_page_mixing_builder_blocks_with_plain_paragraphs_keeps_the_blocks_and_a_wordpress_widget_stays_out(widget):
    lines = _lines(_MIXED_BUILDER_PAGE.format(widget))
    assert lines == [
        "Ketamine for depression",
        "Ketamine can ease the symptoms of depression within hours.",
        "Its effect often fades within a week or two without further sessions.",
    ]


def test_an_elementor_page_made_only_of_builder_blocks_keeps_its_icon_lists_and_icon_boxes():
    # Page 10 is read whole by trafilatura's guard (its blocks are nearly the whole page); the reading with the
    # builder's "widget" renamed would lose these lines, so it is not taken.
    lines = readable_document(_page_10(), name="page.html").text.splitlines()
    assert "- Active alcohol or drug misuse" in lines  # an icon list (<span> items)
    # An icon box (the medical director's box beside it is a person card, dropped as furniture).
    assert "Dim lights, warm blankets and your own playlist." in lines


def test_an_faq_beside_the_column_whose_questions_are_buttons_inside_headings_is_read():
    lines = _lines(
        '<html><body><div class="article-body"><h2>About ketamine</h2>'
        "<p>Ketamine infusions are given in our clinic while a nurse watches you.</p>"
        "<p>Most people feel calm and a little detached while the infusion runs today.</p></div>"
        '<div class="faq-section"><h2>Questions</h2><ul><li><h4><button aria-controls="a1" aria-expanded="false">'
        'Is ketamine addictive?</button></h4><div id="a1"><p>It can be habit-forming when it is misused outside of '
        "care.</p></div></li></ul></div></body></html>"
    )
    assert lines[3:] == [
        "Questions",
        "Is ketamine addictive?",
        "- It can be habit-forming when it is misused outside of care.",  # the item's marker, as on page 09
    ]


# --- an FAQ given only in the page's JSON-LD (h19f) ----------------------------------------------------------------


FAQ_DATA_ARTICLE = (
    "<main><article><h1>Ketamine infusions</h1>"
    "<p>Ketamine infusions are given in our clinic while a nurse watches you the whole time.</p>"
    "<p>Most people feel calm and a little detached while the infusion runs.</p></article></main>"
)


def _faq_data_page(*blobs: str, body: str = FAQ_DATA_ARTICLE) -> str:
    scripts = "".join(f'<script type="application/ld+json">{blob}</script>' for blob in blobs)
    return f"<!doctype html><html><head><title>Ketamine</title>{scripts}</head><body>{body}</body></html>"


def _faq_json(*pairs: tuple[str, str], wrap=lambda page: page) -> str:
    import json

    page = {
        "@context": "https://schema.org",
        "@type": "FAQPage",
        "mainEntity": [
            {"@type": "Question", "name": q, "acceptedAnswer": {"@type": "Answer", "text": a}} for q, a in pairs
        ],
    }
    return json.dumps(wrap(page))


DRIVE = ("Can I drive home after a ketamine infusion?", "No. Plan on having someone drive you home afterwards.")
FAST = ("How soon does ketamine work?", "Many people feel a difference within a day of the first infusion.")


def test_faq_answers_given_only_in_the_pages_json_ld_are_added_after_the_article_under_their_questions():
    readable = readable_document(_faq_data_page(_faq_json(DRIVE, FAST)), name="page.html")
    assert readable.text.endswith(
        "while the infusion runs.\n"
        "Can I drive home after a ketamine infusion?\nNo. Plan on having someone drive you home afterwards.\n"
        "How soon does ketamine work?\nMany people feel a difference within a day of the first infusion.\n"
    )
    assert readable.from_data == 2
    found, skipped = _offered(readable.text)
    # The question names ketamine, so it opens its answer (which names nothing of the domain itself).
    assert "Plan on having someone drive you home afterwards." in found
    assert "Many people feel a difference within a day of the first infusion." in found
    assert not [f for f in found if f.endswith("?")] and skipped["heading"] >= 2  # the title and the questions


def test_faq_pairs_the_page_shows_are_not_repeated_from_its_json_ld():
    # The page shows the answer with typographic apostrophes and its own line breaks; the data writes it straight,
    # in one line, and shorter (a sentence of the page's answer left out). The third pair is only in the data.
    shown = (
        "<section><h2>Questions</h2><details><summary>Is ketamine addictive?</summary><p>It can be habit-forming "
        "when it’s misused.\n  We screen everyone first.   Every dose is given here and logged.</p></details>"
        "<details><summary>Can I drive home after a ketamine infusion?</summary><p>No. Plan on having someone drive "
        "you home afterwards.</p></details></section>"
    )
    addictive = (
        "Is ketamine addictive?",
        "It can be habit-forming when it's misused. Every dose is given here and logged.",
    )
    data = _faq_json(addictive, DRIVE, FAST)
    text = readable_document(
        _faq_data_page(data, body=FAQ_DATA_ARTICLE.replace("</article>", shown + "</article>")), name="page.html"
    ).text
    assert text.count("habit-forming") == 1 and text.count("Plan on having someone drive you home") == 1
    assert text.endswith(
        "How soon does ketamine work?\nMany people feel a difference within a day of the first infusion.\n"
    )
    # A page showing all of its data's pairs converts as it does without the data.
    both = _faq_data_page(
        _faq_json(addictive, DRIVE), body=FAQ_DATA_ARTICLE.replace("</article>", shown + "</article>")
    )
    readable = readable_document(both, name="page.html")
    assert (
        readable.text
        == readable_document(
            _faq_data_page(body=FAQ_DATA_ARTICLE.replace("</article>", shown + "</article>")), name="p.html"
        ).text
    )
    assert readable.from_data == 0


def test_an_faq_the_page_shows_in_its_footer_stays_out_though_its_json_ld_repeats_it():
    footer = "<footer><h2>FAQ</h2><p>Can I drive home?</p><p>No. Plan on having someone drive you home.</p></footer>"
    data = _faq_json(("Can I drive home?", "No. Plan on having someone drive you home."))
    readable = readable_document(_faq_data_page(data, body=FAQ_DATA_ARTICLE + footer), name="page.html")
    assert "drive" not in readable.text and readable.from_data == 0


def test_a_sentence_shown_elsewhere_on_the_page_does_not_hide_a_longer_answer_given_only_in_the_data():
    answer = "Most people keep taking their antidepressant through a course of infusions. Call us to learn more."
    body = FAQ_DATA_ARTICLE.replace("</article>", "<p>Call us to learn more.</p></article>")
    text = readable_document(_faq_data_page(_faq_json(("Do I stop my antidepressant?", answer)), body=body)).text
    assert text.endswith(f"Do I stop my antidepressant?\n{answer}\n")


@pytest.mark.parametrize(
    "wrap",
    [
        lambda page: {"@context": "https://schema.org", "@graph": [{"@type": "WebSite", "name": "Clinic"}, page]},
        lambda page: [{"@type": "MedicalClinic", "name": "Clinic"}, page],
        lambda page: {**page, "@type": ["WebPage", "FAQPage"]},
        lambda page: {"@type": "WebPage", "mainEntity": {**page, "@type": "https://schema.org/FAQPage"}},
    ],
    ids=["@graph", "a list of objects", "a list of types", "inside a WebPage"],
)
def test_an_faq_in_json_ld_is_found_in_a_graph_a_list_or_another_node(wrap):
    readable = readable_document(_faq_data_page(_faq_json(DRIVE, wrap=wrap)), name="page.html")
    assert readable.text.endswith("\n".join(DRIVE) + "\n") and readable.from_data == 1


def test_html_in_a_json_ld_answer_is_read_as_text_and_the_added_lines_are_what_is_quoted(side_effects):
    answer = (
        "<p>Most people feel <strong>calmer</strong> within a day &amp; the effect builds.</p>"
        "<ul><li>Nausea</li><li>Dizziness</li></ul>"
    )
    question = "What side effects does ketamine have?"
    page = _faq_data_page(_faq_json((question, answer)))
    summary = services.import_article(page.encode(), name="page.html", title="Ketamine infusions")
    source = summary.source
    assert source.text.endswith(
        f"{question}\nMost people feel calmer within a day & the effect builds.\n- Nausea\n- Dizziness\n"
    )
    assert "<" not in source.text
    quotes = set(Candidate.objects.filter(source=source).values_list("quote", flat=True))
    assert {"Nausea", "Dizziness"} <= quotes
    for candidate in Candidate.objects.filter(source=source):
        assert source.text[candidate.offset : candidate.offset + len(candidate.quote)] == candidate.quote
    assert (
        "1 FAQ question and its answer was read from the page's data (its FAQPage JSON-LD), not from its visible "
        "text, and added after the article." in summary.lines()
    )


@pytest.mark.parametrize(
    "blob",
    [
        '{"@type": "FAQPage", "mainEntity": [',  # cut short
        "not json at all",
        "[" * 100_000 + "]" * 100_000,  # deeper than the parser goes (and larger than read)
        "[" * 5_000 + "]" * 5_000,  # deeper than the parser goes
        '{"@type": "FAQPage", "mainEntity": [' + ",".join([_faq_json(DRIVE)] * 3_000) + "]}",  # too large
        '{"@type": "MedicalClinic", "name": "Clinic", "mainEntity": {"name": "Q?", "acceptedAnswer": {"text": "A."}}}',
        '{"@type": "FAQPage", "mainEntity": "Can I drive home?"}',
        '{"@type": "FAQPage", "mainEntity": [{"name": 12, "acceptedAnswer": {"text": "No."}}]}',
        '{"@type": "FAQPage", "mainEntity": [{"name": "Can I drive?", "acceptedAnswer": {"text": ["No."]}}]}',
        '{"@type": "FAQPage", "mainEntity": [{"name": "Can I drive?", "acceptedAnswer": "No."}]}',
        '{"@type": "FAQPage", "mainEntity": [{"name": "Can I drive?", "acceptedAnswer": {"text": "<p> </p>"}}]}',
        '{"@type": "FAQPage", "mainEntity": null}',
        "null",
        '"FAQPage"',
    ],
    ids=[
        "cut short", "not json", "huge and deep", "deep", "too large", "another type", "a string entity",
        "a number for a name", "a list for a text", "a string for an answer", "an empty answer", "null entity",
        "null", "a string",
    ],
)  # fmt: skip
def test_json_ld_that_is_malformed_too_large_or_of_another_type_is_passed_over(blob):
    readable = readable_document(_faq_data_page(blob), name="page.html")
    assert readable.text == readable_document(_faq_data_page(), name="page.html").text
    assert readable.from_data == 0


def test_json_ld_without_an_faq_page_is_not_parsed_again(monkeypatch):
    """Most pages carry JSON-LD of other types (Organization, BreadcrumbList): the page is not parsed once more for
    them, only when the markup names an FAQPage."""
    from importer import text

    parsed = []
    monkeypatch.setattr(text, "_faq_pairs", lambda data: parsed.append(data) or [])
    clinic = '{"@type": "MedicalClinic", "name": "Clinic"}'
    assert readable_document(_faq_data_page(clinic), name="page.html").from_data == 0
    assert parsed == []
    readable_document(_faq_data_page(clinic, '{"@type": "schema:FAQPage", "mainEntity": []}'), name="page.html")
    assert len(parsed) == 2  # both blobs read once the page names an FAQPage


def test_page_11_shows_every_pair_of_its_faq_json_ld_and_none_is_repeated():
    from importer.bench import HELDOUT_DIR

    page = (HELDOUT_DIR / "11_fernbrook-ketamine-therapy-webflow.html").read_text(encoding="utf-8")
    readable = readable_document(page, name="page.html")
    assert readable.from_data == 0
    for words in ("habit-forming when it", "was approved as a nasal spray in 2019", "Each infusion is $450"):
        assert readable.text.count(words) == 1


# --- short statements missed on page 11 (h19f) -------------------------------------------------------------------


def test_a_statement_that_mentions_reading_online_is_no_call_to_read_on():
    text = (
        "Ketamine often helps within a day or two of the first infusion.\n"
        "It is not instant, whatever you may have read online.\nRead on to learn how a session works.\n"
    )
    found, skipped = _offered(text)
    assert "It is not instant, whatever you may have read online." in found
    assert "Read on to learn how a session works." not in found and skipped["boilerplate"] == 1


def test_a_clause_that_tells_of_asking_after_a_statement_leaves_the_statement_standing():
    text = (
        "Ketamine isn’t a first-line treatment, and we’ll always ask what you’ve already tried.\n"
        "Many patients ask whether ketamine is safe for them.\n"
        "A common question is whether ketamine works for anxiety, and we answer it below.\n"
        "Ketamine helps many people; some wonder how long the effect lasts.\n"
    )
    found, skipped = _offered(text)
    assert found == [
        "Ketamine isn’t a first-line treatment, and we’ll always ask what you’ve already tried.",
        "Ketamine helps many people; some wonder how long the effect lasts.",
    ]
    assert skipped["heading"] == 2  # questions put as statements, in the sentence's first clause


def test_it_right_after_a_sentence_naming_ketamine_in_the_same_paragraph_stands_for_ketamine():
    text = (
        "Doctors have learned that low doses of ketamine can lift mood. At our office, we offer it as one part of a "
        "wider plan.\n"
        "At our office, we offer it on weekdays.\n"  # a new paragraph: "it" stands for nothing named before it
        "Ketamine is given by a nurse. Our rooms are small, so it is important to arrive early.\n"  # "it" for nothing
        "Ketamine is given by a nurse. The room is quiet. We keep it dim.\n"  # not right after the sentence
    )
    found, _ = _offered(text)
    assert "At our office, we offer it as one part of a wider plan." in found
    assert "At our office, we offer it on weekdays." not in found
    assert "Our rooms are small, so it is important to arrive early." not in found
    assert "We keep it dim." not in found


@pytest.mark.parametrize(
    "after",
    [
        "\nTry it now",
        "\nIs it right for me?",
        "\nMenu\n- Pay for it online\n- Find it on a map",
        " Learn more about it.",
        " Book it today.",
    ],
    ids=["a button", "a question", "a menu item", "a call to action", "a call to book"],
)
def test_headings_buttons_and_menu_items_with_it_after_a_sentence_naming_ketamine_stay_out(after):
    found, _ = _offered(f"Ketamine is given by a nurse at our clinic.{after}\n")
    assert found == ["Ketamine is given by a nurse at our clinic."]


# --- a Wix page (what h20f saw on held-out page 13; synthetic markup of the same shape, not the page)

WIX_TEXT = (
    "<p>Ketamine has been used as an anesthetic since the 1960s and is still used in hospitals every day.</p>"
    "<p>At low doses it can ease the symptoms of depression within hours for many people who have tried other"
    " medicines, and the effect of a single dose usually fades after about a week without further infusions.</p>"
    "<p>It works mainly on glutamate, the chemical messenger the brain uses most, and not on serotonin as most"
    " antidepressants do, which is why it can help people whose depression has not responded to them.</p>"
)
WIX_BOX = (
    '<div class="wixui-box" data-testid="container-bg"><div data-testid="richTextElement" class="wixui-rich-text">'
    '<h4 class="font_4">Quick facts</h4><ul class="font_8">'
    '<li><p class="font_8"><span>Ketamine is used safely in hospitals every day.</span></p></li>'
    '<li><p class="font_8"><span>Most patients feel better after their first infusion.</span></p></li>'
    '<li><p class="font_8"><span>Infusions from $475</span></p></li></ul></div></div>'
)


def _wix_page(strip: str = "", columns: str = "", after: str = "") -> str:
    return (
        '<html><body><div id="SITE_CONTAINER"><header id="SITE_HEADER" class="wixui-header"><a href="/">Home</a>'
        '</header><main id="PAGES_CONTAINER">'
        f'{strip}<section class="wixui-section"><div data-testid="richTextElement"><h1 class="font_0">Ketamine '
        f"therapy</h1></div></section>{columns}{after}</main></div></body></html>"
    )


def _columns(first: str, second: str, column: str = "wixui-column-strip__column") -> str:
    return (
        f'<section class="wixui-section"><div data-testid="columns"><div class="{column}"><div data-testid="inline-'
        f'content"><div data-testid="richTextElement" class="wixui-rich-text">{first}</div></div></div>'
        f'<div class="{column}"><div data-testid="inline-content">{second}</div></div></div></section>'
    )


WIX_PROMO = (
    '<section class="wixui-section"><div data-testid="columns"><div class="wixui-column-strip__column">'
    '<div data-testid="richTextElement"><p class="font_9"><span>December special: $100 off your first infusion. '
    'Ketamine works in hours, not weeks. <a href="https://example.com/pricing"><span>Learn more</span></a>'
    "</span></p></div></div></div></section>"
)


@pytest.mark.parametrize(
    "strip",
    [
        WIX_PROMO,
        # WordPress themes' top bar, outside <main>, as a plain <div>
        '<div class="top-strip"><p>Now open on Saturdays! Ketamine care without the wait. '
        '<a href="/book">Book a visit</a></p></div>',
    ],
)
def test_an_announcement_strip_above_the_pages_title_is_dropped_and_the_article_kept(strip):
    lines = _lines(_wix_page(strip, columns=_columns(WIX_TEXT, "")))
    assert lines[0] == "Ketamine therapy"
    assert not any("special" in line or "Saturdays" in line for line in lines)
    assert any(line.startswith("At low doses it can ease") for line in lines)


def test_a_short_line_with_a_link_after_the_title_and_one_above_it_linking_nowhere_stay():
    above = '<section class="wixui-section"><p>Ketamine therapy is offered at both of our clinics today.</p></section>'
    after = '<section class="wixui-section"><p>Ketamine can help quickly. <a href="/faq">Read our FAQ</a></p></section>'
    lines = _lines(_wix_page(above, columns=_columns(WIX_TEXT, ""), after=after))
    assert lines[0] == "Ketamine therapy is offered at both of our clinics today."
    assert lines[-1] == "Ketamine can help quickly. Read our FAQ"


def test_a_title_low_on_the_page_does_not_make_the_article_above_it_an_announcement():
    article = "".join(
        f'<p>Ketamine can ease depression within hours for many people, study {n} of our series. <a href="/s{n}">'
        "Source</a></p>"
        for n in range(8)
    )
    page = f"<html><body><main><h2>Ketamine</h2>{article}<footer><h1>Our clinic</h1></footer></main></body></html>"
    lines = _lines(page)
    assert sum(line.startswith("Ketamine can ease depression") for line in lines) == 8


@pytest.mark.parametrize(
    "column", ["wixui-column-strip__column", "col-md-4 col", "wp-block-column", "elementor-column elementor-col-33"]
)
def test_a_short_boxed_list_in_a_side_column_beside_the_articles_column_is_dropped(column):
    lines = _lines(_wix_page(columns=_columns(WIX_TEXT, WIX_BOX, column)))
    assert not any("Quick facts" in line or "first infusion" in line or "$475" in line for line in lines)
    assert any(line.startswith("It works mainly on glutamate") for line in lines)


def test_a_keyed_box_in_the_articles_own_column_stays():
    # 08's "At a glance": a fact box among the article's paragraphs, no column of its own
    glance = (
        '<div class="callout at-a-glance"><h2>At a glance</h2><ul><li>What it is: a low dose of ketamine for severe'
        " depression.</li><li>How fast it works: some people notice a difference within a day.</li></ul></div>"
    )
    lines = _lines(_wix_page(columns=_columns(glance + WIX_TEXT, "")))
    assert "At a glance" in lines
    assert "- How fast it works: some people notice a difference within a day." in lines


@pytest.mark.parametrize(
    "side",
    [
        # a side column of prose, not a boxed list
        "<p>Ketamine infusions are given in our clinic while a nurse watches you.</p>",
        # a list beside a column that is not much longer
        "<ul><li>Ketamine can ease depression within hours.</li><li>Its effect fades after about a week.</li>"
        "<li>It works on glutamate.</li><li>It can raise blood pressure.</li><li>It can cause nausea.</li>"
        "<li>It is given as an infusion in our clinic.</li></ul>",
    ],
)
def test_a_side_column_of_prose_or_beside_a_column_of_like_length_stays(side):
    text = WIX_TEXT if side.startswith("<p>") else "<p>Ketamine is an anesthetic that also eases depression.</p>"
    lines = _lines(_wix_page(columns=_columns(text, side)))
    assert html_line(side) in lines


def test_a_heading_inside_a_list_item_is_not_counted_twice_as_the_side_columns_list():
    # three words in the item's heading and three of prose beside it: half the column is not in its list
    side = "<ul><li><h3>Why choose us</h3></li></ul><p>Nurses watch you.</p>"
    lines = _lines(_wix_page(columns=_columns(WIX_TEXT, side)))
    assert "Why choose us" in lines
    assert any(line.endswith("Nurses watch you.") for line in lines)


def html_line(block: str) -> str:
    return readable_text(f"<html><body><main>{block}</main></body></html>", name="x.html").splitlines()[0]


WIX_ACCORDION = (
    '<div class="wixui-accordion"><div class="wixui-accordion__item" data-hook="accordion-item">'
    '<div data-hook="accordion-item-header-wrapper"><button class="S2A3Nm wixui-accordion__item-header" '
    'aria-expanded="false" aria-controls="i0-content" id="i0-header" type="button"><div data-hook="accordion-item-'
    'title"><span class="wixui-accordion__item-title">Will ketamine make me lose control?</span></div>'
    '<div aria-hidden="true"><svg viewBox="0 0 24 24"><path d="M12 15z"></path></svg></div></button></div>'
    '<div class="wixui-accordion__item-content collapsed" id="i0-content" role="region" aria-labelledby="i0-header">'
    '<div data-testid="richTextElement"><p class="font_8"><span>No. You stay awake and breathing on your own the '
    "whole time.</span></p></div></div></div></div>"
)
BOOTSTRAP_ACCORDION = (
    '<div class="accordion" id="faq"><div class="accordion-item"><h2 class="accordion-header" id="h0">'
    '<button class="accordion-button collapsed" type="button" data-bs-toggle="collapse" data-bs-target="#c0" '
    'aria-expanded="false" aria-controls="c0">Will ketamine make me lose control?</button></h2>'
    '<div id="c0" class="accordion-collapse collapse" aria-labelledby="h0"><div class="accordion-body">'
    "No. You stay awake and breathing on your own the whole time.</div></div></div></div>"
)


@pytest.mark.parametrize("accordion", [WIX_ACCORDION, BOOTSTRAP_ACCORDION])
def test_an_faq_question_in_a_button_classed_as_the_items_header_is_read_over_its_answer(accordion):
    after = f'<section class="wixui-section"><h2>Frequently asked questions</h2>{accordion}</section>'
    lines = _lines(_wix_page(columns=_columns(WIX_TEXT, ""), after=after))
    assert lines[-3:] == [
        "Frequently asked questions",
        "Will ketamine make me lose control?",
        "No. You stay awake and breathing on your own the whole time.",
    ]


def test_a_menu_toggle_classed_as_the_headers_stays_dropped():
    toggle = (
        '<div><button class="header-menu-toggle" aria-expanded="false" aria-controls="m">Open the menu</button>'
        '<div id="m"><a href="/about">About us and our whole team of doctors</a></div></div>'
    )
    lines = _lines(_wix_page(columns=_columns(WIX_TEXT, ""), after=toggle))
    assert "Open the menu" not in lines
    assert lines[-1].startswith("It works mainly on glutamate")


def test_a_spacer_paragraph_of_a_zero_width_space_is_no_line_and_one_inside_a_sentence_stays():
    text = (
        '<p class="font_8">Ketamine can ease depression within hours for many people.</p>'
        '<p class="font_8"><span>&#8203;</span></p><h2>How does ketamine work?</h2>'
        "<ul><li><p>&#8203;&#8288; </p></li><li>It works on glu\u200btamate, the brain’s main messenger.</li></ul>"
        "<p>It works mainly on glutamate, the chemical messenger the brain uses most, and not on serotonin.</p>"
    )
    lines = _lines(_wix_page(columns=_columns(text, "")))
    assert lines == [
        "Ketamine therapy",
        "Ketamine can ease depression within hours for many people.",
        "How does ketamine work?",
        "- It works on glu\u200btamate, the brain’s main messenger.",
        "It works mainly on glutamate, the chemical messenger the brain uses most, and not on serotonin.",
    ]


# --- a session as a patient lives it, missed on page 13 and before it (h20m) -------------------------------------


@pytest.mark.parametrize(
    "sentence",
    [
        "Many find the experience peaceful; a few find it strange at first.",
        "You stay awake and breathing on your own the whole time, and a nurse is with you throughout.",
        "Some people find it deeply relaxing; others find it unsettling.",
        "You’ll need someone to drive you home, and you shouldn’t drive until the next day.",
        "We can give you a superbill to submit for possible reimbursement.",
    ],
    ids=["how it feels", "awake", "relaxing or unsettling", "the ride home", "paying for it"],
)
def test_how_a_session_feels_and_what_the_visit_asks_are_read_once_ketamine_is_named(sentence):
    found, _ = _offered(f"Ketamine is given as an infusion at our clinic.\n{sentence}\n")
    assert sentence in found


@pytest.mark.parametrize(
    "sentence",
    [
        "Many find the experience peaceful.",
        "You’ll need someone to drive you home.",
        "We can give you a superbill to submit for possible reimbursement.",
    ],
)
def test_words_of_a_session_name_nothing_on_a_page_that_has_not_named_ketamine(sentence):
    found, skipped = _offered(f"Our yoga retreat runs every weekend.\n{sentence}\n")
    assert found == [] and skipped["off-topic"] == 2


def test_a_concession_about_paying_stays_with_its_clause():
    # The words of a session make a sentence relevant; they do not make a trailing concession a clause of its own
    # ("though we provide a superbill …" limits the statement before it, as on page 09).
    text = (
        "Because ketamine isn’t approved for depression, most insurance plans don’t cover the sessions, though we "
        "provide a superbill you can submit.\n"
    )
    assert [c.text for _, parts in relevant_clauses(text, claim_filter=None) for c in parts] == [
        "Because ketamine isn’t approved for depression",
        "most insurance plans don’t cover the sessions, though we provide a superbill you can submit.",
    ]
