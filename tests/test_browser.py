"""A reader's journey in a real browser (Debian's Chromium driven by Playwright), checked by axe-core.

Home → PTSD condition page → a claim → the quoted passage in its source (anchor) → the cited study, at
desktop and phone widths, with a screenshot of every page in test-artifacts/screenshots/. Skipped, with the
reason, when Chromium or axe-core is missing (`make test` installs axe-core; `.ci/run` installs Chromium).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.core.management import call_command

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = Path(os.environ.get("KB_CHROMIUM", "/usr/bin/chromium"))
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
SHOTS = ROOT / "test-artifacts" / "screenshots"
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

pytestmark = [pytest.mark.browser]

if not CHROMIUM.exists():
    pytestmark.append(pytest.mark.skip(reason=f"browser tests need Chromium at {CHROMIUM} (apt-get install chromium)"))
elif not AXE.exists():
    pytestmark.append(pytest.mark.skip(reason="browser tests need axe-core (npm install, as `make test` does)"))

VIEWPORTS = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 375, "height": 740}}
# The layout checks below: a desktop and a current phone (390 CSS px wide).
WIDTHS = {"desktop": VIEWPORTS["desktop"], "phone-390": {"width": 390, "height": 844}}


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an event loop running in this thread; Django then refuses ORM calls here
    # (fixtures, database flush) unless told this is safe, which it is: nothing else runs in the loop.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def seeded(transactional_db):
    """The real seed content, as `make run` loads it."""
    call_command("import_kb", str(ROOT / "fixtures" / "kb.json"))


def _check_page(page, name: str, viewport: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{viewport}-{name}.png"), full_page=True)
    # Readable at the width: nothing may force horizontal scrolling of the page itself.
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0, f"{name} scrolls horizontally by {overflow}px at {viewport} width"
    # Evaluated through the DevTools protocol, not added as an inline <script>, which the Content-Security-Policy
    # refuses (script-src 'self'), as it should.
    page.evaluate(AXE.read_text(encoding="utf-8"))
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    serious = [
        f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes'][:3]]}"
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]
    assert not serious, f"axe-core on {name} at {viewport}: " + "; ".join(serious)


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_reader_follows_a_ptsd_claim_to_its_source_quote_and_study(browser, live_server, seeded, viewport):
    context = browser.new_context(viewport=VIEWPORTS[viewport])
    page = context.new_page()
    try:
        page.goto(live_server.url + "/")
        assert page.get_by_role("heading", level=1).count() == 1
        _check_page(page, "home", viewport)

        page.locator("main a[href='/conditions/ptsd/']").first.click()
        page.wait_for_url("**/conditions/ptsd/")
        assert "Ketamine for" in page.get_by_role("heading", level=1).inner_text()
        _check_page(page, "condition", viewport)

        # The seed's PTSD efficacy claim, which an article supports by citing a trial: follow it.
        page.locator(".claim-row a.claim-link[href='/claims/effective-ptsd/']").click()
        page.wait_for_url("**/claims/**")
        assert page.locator(".wording").count() >= 1
        _check_page(page, "claim", viewport)

        wording = page.locator(".wording").filter(has=page.locator("a[href*='/studies/']")).first
        source_link = wording.locator("a[href*='/sources/']").first
        anchor = source_link.get_attribute("href").split("#")[1]
        source_link.click()
        page.wait_for_url(f"**#{anchor}")
        target = page.locator(f"#{anchor}")
        assert target.count() == 1
        assert page.evaluate("(id) => document.querySelector(':target')?.id", anchor) == anchor
        assert target.locator("xpath=following-sibling::mark[1]").inner_text()
        _check_page(page, "source", viewport)

        page.locator(".citations a[href*='/studies/']").first.click()
        page.wait_for_url("**/studies/**")
        assert page.locator("a[href^='https://doi.org/'], a[href^='https://pubmed.ncbi.nlm.nih.gov/']").count() >= 1
        _check_page(page, "study", viewport)
    finally:
        context.close()


COMPARED = "/compare/?a=ketamine-therapy-overview-000&b=understanding-ketamine-treatments-001"


@pytest.mark.parametrize(
    "path",
    ["/conditions/", "/disagreements/", "/matrix/", "/search/?q=PTSD", "/about/grading/", "/tags/"]
    + ["/compare/", COMPARED],
)
def test_other_public_pages_pass_axe_at_phone_width(browser, live_server, seeded, path):
    context = browser.new_context(viewport=VIEWPORTS["phone"])
    page = context.new_page()
    try:
        page.goto(live_server.url + path)
        name = path.strip("/").replace("/", "-").replace("?", "-").replace("=", "-") or "home"
        _check_page(page, name, "phone")
    finally:
        context.close()


def test_every_page_works_without_javascript(browser, live_server, seeded):
    context = browser.new_context(java_script_enabled=False, viewport=VIEWPORTS["desktop"])
    page = context.new_page()
    try:
        page.goto(live_server.url + "/conditions/ptsd/")
        page.select_option("#id_category", "efficacy")
        page.get_by_role("button", name="Apply").click()
        page.wait_for_url("**category=efficacy**")
        assert page.locator(".claim-row").count() >= 1
        page.fill("#header-q", "NMDA")
        page.locator(".header-search button").click()
        page.wait_for_url("**/search/?q=NMDA")
        assert page.locator(".results li").count() >= 1
    finally:
        context.close()


def test_editor_imports_an_article_and_attaches_a_clause_to_two_claims(browser, live_server, seeded):
    """The import journey in the admin: paste an article, open its first candidate that has suggestions, tick two
    suggested claims with different stances, and find both assertions recorded (one held-out article as text)."""
    from django.contrib.auth import get_user_model

    from claims.models import Assertion
    from importer.models import Candidate
    from revisions.models import Revision

    get_user_model().objects.create_superuser("ada", password="pw-ada-123!")
    article = (ROOT / "importer" / "benchdata" / "heldout" / "02_ketamine-depression-explainer.txt").read_text()
    context = browser.new_context(viewport=VIEWPORTS["desktop"])
    page = context.new_page()
    try:
        page.goto(live_server.url + "/admin/login/")
        page.fill("#id_username", "ada")
        page.fill("#id_password", "pw-ada-123!")
        page.locator("input[type=submit]").click()
        page.goto(live_server.url + "/admin/importer/candidate/import/")
        page.fill("#id_title", "Ketamine for depression: an explainer")
        page.fill("#id_text", article)
        page.locator("input[type=submit]").click()
        # The import is a job (run at once in tests: tests/conftest.py); its page shows the summary when done.
        page.wait_for_url("**/importer/job/*/change/")
        assert "Candidates:" in page.locator(".messagelist").inner_text()
        page.get_by_role("link", name="Review the candidates").click()
        page.wait_for_url("**/importer/candidate/?**")

        candidate = Candidate.objects.get(quote__contains="reduced depressive symptoms within 24 hours")
        assert len(candidate.suggestions) >= 2
        page.goto(live_server.url + f"/admin/importer/candidate/{candidate.pk}/change/")
        first, second = (s["claim"] for s in candidate.suggestions[:2])
        page.check(f"#id_claims_{first}")
        page.check(f"#id_claims_{second}")
        page.select_option(f"select[name=stance_{second}]", "qualifies")
        page.get_by_role("button", name="Attach to the ticked claims").click()
        page.wait_for_load_state()
        assert "Attached to" in page.locator(".messagelist").inner_text()
        # On a draft claim the statement is saved; on a published one it waits for review as a revision.
        made = dict(Assertion.objects.filter(quote=candidate.quote).values_list("claim_id", "stance"))
        for revision in Revision.objects.filter(state="pending"):
            if revision.proposed.get("quote") == candidate.quote:
                made[revision.proposed["claim"]] = revision.proposed["stance"]
        # The first keeps the stance pre-selected for it: the clause's stance toward that claim.
        assert made[first] == candidate.suggestions[0]["stance"] and made[second] == "qualifies"
        assert Candidate.objects.get(pk=candidate.pk).status == "accepted"
        page.goto(live_server.url + f"/admin/importer/candidate/{candidate.pk}/change/")
        assert page.locator("ul.became li").count() + page.locator("ul.waiting li").count() == 2
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / "desktop-admin-review.png"), full_page=True)
    finally:
        context.close()


# --- Content-Security-Policy ------------------------------------------------------------------------------------


CSP_PAGES = [
    "/", "/conditions/", "/conditions/ptsd/", "/claims/effective-ptsd/", "/disagreements/", "/matrix/",
    "/search/?q=PTSD", "/sources/", "/studies/", "/tags/", "/about/grading/", "/compare/", COMPARED, "/api/docs",
]  # fmt: skip


def _violations(page) -> list[str]:
    return page.evaluate("window.__cspViolations || []")


# Records every violation the page reports, before any of its own scripts run (an init script is not subject to
# the page's policy).
RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  const where = `${e.sourceFile}:${e.lineNumber}`;
  window.__cspViolations.push(`${e.violatedDirective} blocked ${e.blockedURI || "inline"} (${where})`);
});
"""


def test_public_pages_and_the_admin_log_no_content_security_policy_violation(browser, live_server, seeded):
    """Each public page (the claim page with its JSON-LD, the matrix, search, the API docs) and the admin pages an
    editor uses load under the policy the server sends, with no violation reported and no console error."""
    from django.contrib.auth import get_user_model

    from claims.models import Claim

    get_user_model().objects.create_superuser("ada", password="pw-ada-123!")
    context = browser.new_context(viewport=VIEWPORTS["desktop"])
    context.add_init_script(RECORD_VIOLATIONS)
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    try:
        for path in CSP_PAGES:
            response = page.goto(live_server.url + path)
            assert response.ok, path
            assert "default-src 'self'" in response.headers["content-security-policy"], path
            page.wait_for_load_state("networkidle")
            assert _violations(page) == [], path
        assert page.locator("#swagger-ui .opblock").count() >= 1  # the API docs' script ran
        claim_page = page.goto(live_server.url + "/claims/effective-ptsd/")
        assert 'type="application/ld+json"' in claim_page.text()  # the JSON-LD is there, and no violation
        page.goto(live_server.url + "/admin/login/")
        page.fill("#id_username", "ada")
        page.fill("#id_password", "pw-ada-123!")
        page.locator("input[type=submit]").click()
        claim = Claim.objects.get(slug="effective-ptsd")
        # A pending revision with a long text, shown as a line diff on its review page, and a running job.
        from importer.models import Job
        from revisions import services as revisions

        long_text = "\n".join(f"Line {n} of the rationale." for n in range(12))
        revision = revisions.propose(claim, {"rationale": long_text}, None, "Rewritten.")
        job = Job.objects.create(kind="import", title="An article", status="running", phase="reading the article")
        for path in ("/admin/", "/admin/claims/claim/", f"/admin/claims/claim/{claim.pk}/change/",
                     "/admin/claims/condition/", "/admin/importer/candidate/import/", "/admin/claims/claim/queue/",
                     "/admin/revisions/revision/", f"/admin/revisions/revision/{revision.pk}/change/",
                     "/admin/importer/job/", f"/admin/importer/job/{job.pk}/change/"):  # fmt: skip
            response = page.goto(live_server.url + path)
            assert response.ok, path
            page.wait_for_load_state("networkidle")
            assert _violations(page) == [], path
        # The claim form's rationale preview (a script file) still works under the policy.
        page.goto(live_server.url + f"/admin/claims/claim/{claim.pk}/change/")
        page.fill("#id_rationale", "Now **zebrafish** text")
        page.locator("#rationale-preview strong", has_text="zebrafish").wait_for(timeout=5000)
        assert _violations(page) == []
    finally:
        context.close()
    assert errors == []


# --- layout at phone and desktop widths ------------------------------------------------------------------------


@contextmanager
def _page(browser, viewport: dict, **options):
    context = browser.new_context(viewport=viewport, **options)
    try:
        yield context.new_page()
    finally:
        context.close()


def test_source_pages_on_a_phone_are_at_most_three_times_as_tall_as_on_a_desktop(browser, live_server, seeded):
    """A phone reader scrolls through the same page, not a claims table squeezed into a column one word wide
    (before: 142,413 px at 390 px against 9,947 px at 1280 px, the Claim column 32 px wide)."""
    from sources.models import Source

    heights: dict[str, dict[str, int]] = {}
    for name, viewport in WIDTHS.items():
        with _page(browser, viewport) as page:
            for source in Source.objects.public():
                page.goto(live_server.url + source.get_absolute_url())
                heights.setdefault(source.slug, {})[name] = page.evaluate("document.documentElement.scrollHeight")
                if name == "phone-390":
                    claim_column = page.locator(".claims-table thead th").nth(1).bounding_box()["width"]
                    assert claim_column >= 150, f"{source.slug}: the Claim column is {claim_column:.0f} px wide"
    assert len(heights) == 5
    for slug, height in heights.items():
        assert height["phone-390"] <= 3 * height["desktop"], f"{slug}: {height}"


@pytest.mark.parametrize("viewport", list(WIDTHS))
@pytest.mark.parametrize("path", ["/", "/about/grading/"])
def test_the_grade_legend_never_runs_a_badge_into_its_meaning(browser, live_server, transactional_db, path, viewport):
    with _page(browser, WIDTHS[viewport]) as page:
        page.goto(live_server.url + path)
        overlaps = page.evaluate(
            """() => [...document.querySelectorAll('.levels > div')].map(row => {
                const badge = row.querySelector('dt .grade').getBoundingClientRect();
                const meaning = row.querySelector('dd').getBoundingClientRect();
                const apart = badge.right <= meaning.left || badge.bottom <= meaning.top;
                return apart ? null : [row.querySelector('dt').innerText, badge.right, meaning.left];
            })"""
        )
        assert len(overlaps) == 4
        assert overlaps == [None] * 4, f"badges overlapping their meaning: {overlaps}"


@pytest.mark.parametrize("viewport", list(WIDTHS))
def test_grade_chart_labels_are_at_least_14px_on_a_phone_and_a_desktop(browser, live_server, seeded, viewport):
    with _page(browser, WIDTHS[viewport]) as page:
        for path in ("/", "/sources/ketamine-therapy-overview-000/"):
            page.goto(live_server.url + path)
            # The size the reader sees: the font size times the SVG's scale on screen.
            sizes = page.evaluate(
                """() => [...document.querySelectorAll('.chart-label, .chart-count')].map(
                    text => parseFloat(getComputedStyle(text).fontSize) * text.getScreenCTM().a)"""
            )
            assert len(sizes) == 10
            assert min(sizes) >= 14, f"chart text on {path} rendered at {min(sizes):.1f}px"


@pytest.mark.parametrize("viewport", list(WIDTHS))
def test_the_matrix_keeps_its_claim_column_and_header_row_in_view_while_it_scrolls(
    browser, live_server, seeded, viewport
):
    with _page(browser, WIDTHS[viewport]) as page:
        page.goto(live_server.url + "/matrix/")
        region = page.locator(".matrix-scroll")
        sticky = page.evaluate(
            """() => [document.querySelector('.matrix thead th:nth-child(2)'),
                      document.querySelector('.matrix tbody tr:nth-child(5) th')].map(
                cell => getComputedStyle(cell).position)"""
        )
        assert sticky == ["sticky", "sticky"]
        region.evaluate("region => { region.scrollTop = 600; region.scrollLeft = 300; }")
        assert region.evaluate("region => region.scrollTop") > 0  # the region itself scrolls down the claims
        box = region.bounding_box()
        header = page.locator(".matrix thead th").nth(1).bounding_box()
        # A row well below the top of the region after scrolling: its claim is still at the region's left edge.
        row = page.locator(".matrix tbody tr").nth(12).locator("th").bounding_box()
        assert abs(header["y"] - box["y"]) <= 1, (header, box)
        assert abs(row["x"] - box["x"]) <= 1, (row, box)


def test_the_print_header_and_footer_show_only_in_print_on_every_page(browser, live_server, seeded):
    with _page(browser, WIDTHS["desktop"]) as page:
        page.goto(live_server.url + "/matrix/")
        assert page.locator(".print-header").is_hidden() and page.locator(".print-footer").is_hidden()
        page.emulate_media(media="print")
        header, footer = page.locator(".print-header"), page.locator(".print-footer")
        assert header.is_visible() and footer.is_visible()
        assert f"{live_server.url}/matrix/" in header.inner_text()
        assert "not medical advice" in footer.inner_text()
        # Fixed boxes are what the browser repeats on every printed page.
        assert header.evaluate("e => getComputedStyle(e).position") == "fixed"
        assert footer.evaluate("e => getComputedStyle(e).position") == "fixed"


@pytest.mark.skipif(not shutil.which("pdftotext"), reason="needs pdftotext (Debian: apt-get install poppler-utils)")
def test_every_printed_page_of_a_long_source_names_its_address_and_says_it_is_not_medical_advice(
    browser, live_server, seeded, tmp_path
):
    path = "/sources/ketamine-therapy-overview-000/"
    with _page(browser, WIDTHS["desktop"]) as page:
        page.goto(live_server.url + path)
        page.pdf(path=str(tmp_path / "page.pdf"), format="A4")
    text = subprocess.run(
        ["pdftotext", "-raw", str(tmp_path / "page.pdf"), "-"], check=True, capture_output=True, text=True
    ).stdout
    pages = text.split("\f")[:-1]  # pdftotext ends every page with a form feed
    assert len(pages) > 5
    for number, content in enumerate(pages, start=1):
        flat = re.sub(r"\s+", " ", content)
        assert f"{live_server.url}{path}" in flat, f"printed page {number} lacks the page's address"
        assert "not medical advice" in flat, f"printed page {number} lacks the disclaimer"
