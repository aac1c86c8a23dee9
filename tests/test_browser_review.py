"""The importer's review screen in Debian's Chromium at 1280 px (issue 15): the candidate list of an imported clinic
page (the held-out article 06) fits the width without sideways scrolling, filtered by its source too (the Source column
is dropped then), so does a candidate's review page, and "…or another claim" finds a claim by its words and attaches
it. Skipped, as tests/test_browser.py is, without Chromium or axe-core."""

from __future__ import annotations

import pytest

from tests import test_browser
from tests.browser_review import HELDOUT, _log_in, _sideways, import_page
from tests.test_browser import VIEWPORTS, _check_page, _page, browser, seeded  # noqa: F401 - fixtures used by name

pytestmark = list(test_browser.pytestmark)

CLINIC_PAGE = HELDOUT / "06_cedar-hollow-ketamine-infusions.html"


@pytest.fixture
def imported(seeded, monkeypatch):  # noqa: F811
    """The clinic page imported into the seed knowledge base (ranked by wording: the test is about the screen)."""
    return import_page(CLINIC_PAGE, "Ketamine infusion therapy at a clinic", monkeypatch)


@pytest.mark.parametrize("filtered", [False, True], ids=["all-sources", "one-source"])
def test_the_candidate_list_fits_1280px_without_sideways_scrolling(browser, live_server, imported, filtered):  # noqa: F811
    from importer.models import Candidate

    query = f"?source__id__exact={imported.source.pk}" if filtered else ""
    with _page(browser, VIEWPORTS["desktop"]) as page:
        _log_in(page, live_server)
        page.goto(live_server.url + "/admin/importer/candidate/" + query)
        headers = [h.strip().lower() for h in page.locator("#result_list thead th").all_inner_texts()]
        assert ("source" in headers) is not filtered  # the column would repeat one title on every row
        assert page.locator("#result_list tbody tr").count() == min(Candidate.objects.count(), 100)
        assert _sideways(page, "#changelist .results") <= 0, "the candidate table scrolls sideways"
        # Short words (a stance, a status, a category) are not broken mid-word to make it fit ("Suppor|ts").
        broken = page.evaluate(
            """[...document.querySelectorAll(CELLS)].flatMap(td => {
                const words = [];
                const walker = document.createTreeWalker(td, NodeFilter.SHOW_TEXT);
                for (let node = walker.nextNode(); node; node = walker.nextNode()) {
                    for (const m of node.textContent.matchAll(/\\S+/g)) {
                        const range = document.createRange();
                        range.setStart(node, m.index);
                        range.setEnd(node, m.index + m[0].length);
                        if (range.getClientRects().length > 1) words.push(m[0]);
                    }
                }
                return words;
            })""".replace(
                "CELLS",
                repr("#result_list td.field-stance, #result_list td.field-status, #result_list td.field-category"),
            )
        )
        assert broken == [], f"words broken across lines: {sorted(set(broken))}"
        _check_page(page, "admin-candidates-" + ("one-source" if filtered else "all"), "desktop")


def test_the_review_page_fits_1280px_and_finds_another_claim_by_its_words(browser, live_server, imported):  # noqa: F811
    from claims.models import Assertion, Claim
    from importer.models import Candidate
    from revisions.models import Revision

    candidate = Candidate.objects.get(quote="Mild nausea")
    wanted = Claim.objects.get(slug="urological-harm-with-frequent-use")
    assert wanted.pk not in [s["claim"] for s in candidate.suggestions]  # reachable only by the search
    with _page(browser, VIEWPORTS["desktop"]) as page:
        _log_in(page, live_server)
        page.goto(live_server.url + f"/admin/importer/candidate/{candidate.pk}/change/")
        assert _sideways(page, "#content-main") <= 0, "the review page scrolls sideways"
        _check_page(page, "admin-review-clinic-page", "desktop")

        # Django admin's autocomplete (select2): type words of the claim, pick it from the results.
        page.locator("#id_other_claim + .select2 .select2-selection").click()
        page.locator(".select2-search__field").fill("bladder urinary")
        option = page.locator(".select2-results__option", has_text="damage the bladder and urinary tract")
        option.first.wait_for()
        option.first.click()
        page.select_option("#id_other_stance", "qualifies")
        page.get_by_role("button", name="Attach to the ticked claims").click()
        page.wait_for_load_state()
        message = page.locator(".messagelist").inner_text()
        assert "Attached to" in message and "waits for review as revision" in message
    # The claim is published: the statement waits for a second reviewer (tests/test_revisions.py).
    assert not Assertion.objects.filter(claim=wanted, quote="Mild nausea").exists()
    revision = Revision.objects.get(claim=wanted, state="pending")
    assert revision.proposed["quote"] == "Mild nausea" and revision.proposed["stance"] == "qualifies"
    assert revision.proposed["source"] == imported.source.pk


def test_a_claim_found_by_its_words_shows_the_stance_judged_against_it(browser, live_server, imported):  # noqa: F811
    """h16b: the search's claim gets the clause's stance toward its wording, as a suggestion does, shown as soon as it
    is picked: "It’s not a good match for everyone." supports a claim in its own words (its own stance) and
    contradicts the claim that ketamine helps all patients."""
    from playwright.sync_api import expect

    from claims.models import Claim
    from importer.models import Candidate
    from revisions.models import Revision

    candidate = Candidate.objects.get(quote__startswith="It’s not a good match for everyone")
    wanted = Claim.objects.get(slug="works-for-everyone")
    assert candidate.stance == "supports"
    assert wanted.pk not in [s["claim"] for s in candidate.suggestions]  # reachable only by the search
    with _page(browser, VIEWPORTS["desktop"]) as page:
        _log_in(page, live_server)
        page.goto(live_server.url + f"/admin/importer/candidate/{candidate.pk}/change/")
        assert page.input_value("#id_other_stance") == ""  # "judged against the claim"
        page.locator("#id_other_claim + .select2 .select2-selection").click()
        page.locator(".select2-search__field").fill("rapid relief all patients")
        option = page.locator(".select2-results__option", has_text="management of depression for all patients")
        option.first.wait_for()
        option.first.click()
        # Playwright's own assertion waits without evaluating a string in the page (wait_for_function does, which
        # the page's CSP forbids: script-src 'self', no 'unsafe-eval'; Chromium 156 enforces it there).
        expect(page.locator("#id_other_stance")).to_have_value("contradicts")
        assert "guess toward this claim" in page.locator("#other-stance-note").inner_text()
        _check_page(page, "admin-review-found-claim-stance", "desktop")
        page.get_by_role("button", name="Attach to the ticked claims").click()
        page.wait_for_load_state()
        assert "(contradicts)" in page.locator(".messagelist").inner_text()
    assert Revision.objects.get(claim=wanted, state="pending").proposed["stance"] == "contradicts"
