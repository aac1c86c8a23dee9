"""What every page carries and how it reads, checked on the server: grade colours, the favicon, the print header and
footer, headings. Measurements in a real browser (widths, overlaps, sticky cells) are in test_browser.py."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.contrib.staticfiles import finders
from django.urls import reverse
from django.utils.timezone import localdate

pytestmark = pytest.mark.django_db

CSS = Path(__file__).resolve().parent.parent / "static" / "css" / "site.css"
GRADES = ["high", "moderate", "low", "very-low"]

# Machado, Oliveira & Fernandes (2009): how a deuteranope (severity 1) sees a colour, in linear RGB.
DEUTERANOPIA = [[0.367322, 0.860646, -0.227968], [0.280085, 0.672501, 0.047413], [-0.011820, 0.042940, 0.968881]]


def _grade_colours() -> dict[str, str]:
    root = re.search(r":root\s*{([^}]*)}", CSS.read_text()).group(1)
    return {name: re.search(rf"--{name}:\s*(#[0-9a-fA-F]{{6}})", root).group(1) for name in GRADES}


def _linear(hex_colour: str) -> list[float]:
    channels = [int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    return [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]


def _luminance(rgb: list[float]) -> float:
    return 0.2126 * rgb[0] + 0.7152 * rgb[1] + 0.0722 * rgb[2]


def _lightness(rgb: list[float]) -> float:
    """CIELAB L* (0 black … 100 white)."""
    y = _luminance(rgb)
    return 116 * y ** (1 / 3) - 16 if y > 216 / 24389 else 24389 / 27 * y


def _as_deuteranope_sees(rgb: list[float]) -> list[float]:
    return [min(1.0, max(0.0, sum(m * c for m, c in zip(row, rgb, strict=True)))) for row in DEUTERANOPIA]


def test_every_grade_colour_is_readable_as_text_on_white():
    for name, colour in _grade_colours().items():
        contrast = 1.05 / (_luminance(_linear(colour)) + 0.05)
        assert contrast >= 4.5, f"--{name} {colour} has contrast {contrast:.2f} on white"


def test_a_deuteranope_tells_the_four_grades_apart_by_lightness():
    colours = _grade_colours()
    lightness = [_lightness(_as_deuteranope_sees(_linear(colours[name]))) for name in GRADES]
    steps = [later - earlier for earlier, later in zip(lightness, lightness[1:], strict=False)]
    # From high to very low each grade is clearly lighter than the one before (the old palette: steps of 2–4).
    assert min(steps) >= 10, f"L* as a deuteranope sees the grades: {[round(x) for x in lightness]}"


# --- favicon ------------------------------------------------------------------------------------------------


def test_favicon_ico_leads_to_the_sites_icon_instead_of_a_404(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 302
    icon = response["Location"]
    assert re.fullmatch(r"/static/favicon(\.[0-9a-f]+)?\.svg", icon), icon
    assert finders.find("favicon.svg")
    assert f'<link rel="icon" href="{icon}" type="image/svg+xml">' in client.get("/").content.decode()


# --- print --------------------------------------------------------------------------------------------------


def test_a_printed_page_names_the_site_its_address_the_date_and_that_it_is_not_medical_advice(client, settings):
    settings.KB_SITE_NAME = "Test KB"
    settings.ALLOWED_HOSTS = ["kb.example.org"]
    html = client.get(reverse("claims:about_grading"), HTTP_HOST="kb.example.org").content.decode()
    header = html.split('<div class="print-only print-header">', 1)[1].split("</div>", 1)[0]
    footer = html.split('<div class="print-only print-footer">', 1)[1].split("</div>", 1)[0]
    assert "Test KB" in header and "http://kb.example.org/about/grading/" in header
    today = localdate()
    assert f"Generated {today.day} {today:%B %Y}." in footer
    assert "not medical advice" in footer


# --- headings -----------------------------------------------------------------------------------------------


class _Headings(HTMLParser):
    """Empty headings (no text at all, or only white space) and the page's internal links."""

    def __init__(self) -> None:
        super().__init__()
        self.open: list[list[str]] = []
        self.empty: list[str] = []
        self.links: set[str] = set()

    def handle_starttag(self, tag, attrs):
        href = dict(attrs).get("href") or ""
        if tag == "a" and href.startswith("/") and not href.startswith(("/admin/", "/static/")):
            self.links.add(href.split("#")[0])
        if re.fullmatch(r"h[1-6]", tag):
            self.open.append([tag, ""])

    def handle_endtag(self, tag):
        if self.open and self.open[-1][0] == tag:
            name, text = self.open.pop()
            if not text.strip():
                self.empty.append(name)

    def handle_data(self, data):
        for heading in self.open:
            heading[1] += data


def test_no_public_page_has_an_empty_heading(client, site_content):
    """Every page a reader can reach from the home page (and the comparison of two sources), followed link by link."""
    start = ["/", "/compare/?a=clinic-page&b=harm-reduction-guide", "/search/?q=ketamine", "/no/such/page/"]
    seen: set[str] = set()
    todo = list(start)
    empty = {}
    while todo:
        url = todo.pop()
        if url in seen or url.startswith("/sitemap"):
            continue
        seen.add(url)
        response = client.get(url)
        parser = _Headings()
        parser.feed(response.content.decode())
        if parser.empty:
            empty[url] = parser.empty
        todo.extend(parser.links - seen)
    assert len(seen) > 20  # the crawl reached the claim, source, study, condition and tag pages
    assert not empty, f"empty headings: {empty}"
