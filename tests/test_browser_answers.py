"""The answer-first pages of the real seed in Debian's Chromium (issue 13): the depression condition page and a claim
page with a forest plot, at 390 px and 1280 px — no sideways scrolling, axe-core clean, readable plot labels, and a
phone page not much taller than the desktop one. Skipped, as tests/test_browser.py is, without Chromium or axe-core."""

from __future__ import annotations

import pytest

from tests import test_browser
from tests.test_browser import WIDTHS, _check_page, _page, browser, seeded  # noqa: F401 - fixtures used by name

pytestmark = list(test_browser.pytestmark)

CONDITION = "/conditions/depression/"
FOREST_CLAIM = "/claims/single-iv-infusion-reduces-ptsd-within-24h/"


@pytest.mark.parametrize(
    ("path", "viewport"),
    [
        (CONDITION, "desktop"),
        (CONDITION, "phone-390"),
        (FOREST_CLAIM, "desktop"),
        (FOREST_CLAIM, "phone-390"),
    ],
)
def test_answer_pages_fit_the_width_and_pass_axe(browser, live_server, seeded, path, viewport):  # noqa: F811
    with _page(browser, WIDTHS[viewport]) as page:
        page.goto(live_server.url + path)
        assert page.get_by_role("heading", level=1).count() == 1
        name = "answers-" + path.strip("/").split("/")[-1]
        _check_page(page, name, viewport)


@pytest.mark.parametrize("viewport", list(WIDTHS))
def test_the_forest_plot_is_read_at_14px_or_more_with_a_dashed_line_of_no_effect(
    browser,  # noqa: F811
    live_server,
    seeded,  # noqa: F811
    viewport,
):
    with _page(browser, WIDTHS[viewport]) as page:
        page.goto(live_server.url + FOREST_CLAIM)
        plot = page.locator("figure.forest svg[role='img']")
        assert plot.count() == 1
        assert plot.locator("g.forest-row").count() == 3  # the seed's three estimates of PTSD severity
        # The size the reader sees: the font size times the SVG's scale on screen.
        sizes = plot.evaluate(
            """svg => [...svg.querySelectorAll('text')].map(
                text => parseFloat(getComputedStyle(text).fontSize) * text.getScreenCTM().a)"""
        )
        assert len(sizes) >= 3 * 3
        assert min(sizes) >= 14, f"forest plot text rendered at {min(sizes):.1f}px at {viewport}"
        dashes = plot.locator("line.forest-null").evaluate("line => getComputedStyle(line).strokeDasharray")
        assert dashes not in ("", "none"), dashes
        # Wider than a phone, the plot scrolls inside its own box rather than the page (checked by _check_page).
        box = page.locator(".forest-scroll").bounding_box()
        assert box["width"] <= WIDTHS[viewport]["width"]


@pytest.mark.parametrize("path", [CONDITION, FOREST_CLAIM])
def test_answer_pages_on_a_phone_are_at_most_three_times_as_tall_as_on_a_desktop(
    browser,  # noqa: F811
    live_server,
    seeded,  # noqa: F811
    path,
):
    heights = {}
    for name, viewport in WIDTHS.items():
        with _page(browser, viewport) as page:
            page.goto(live_server.url + path)
            heights[name] = page.evaluate("document.documentElement.scrollHeight")
    assert heights["phone-390"] <= 3 * heights["desktop"], heights
