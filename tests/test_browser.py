"""A reader's journey in a real browser (Debian's Chromium driven by Playwright), checked by axe-core.

Home → PTSD condition page → a claim → the quoted passage in its source (anchor) → the cited study, at
desktop and phone widths, with a screenshot of every page in test-artifacts/screenshots/. Skipped, with the
reason, when Chromium or axe-core is missing (`make test` installs axe-core; `.ci/run` installs Chromium).
"""

from __future__ import annotations

import os
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
    page.add_script_tag(path=str(AXE))
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


@pytest.mark.parametrize(
    "path", ["/conditions/", "/disagreements/", "/matrix/", "/search/?q=PTSD", "/about/grading/", "/compare/", "/tags/"]
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
        page.wait_for_url("**/importer/candidate/?**")
        assert "Candidates:" in page.locator(".messagelist").inner_text()

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
        made = dict(Assertion.objects.filter(quote=candidate.quote).values_list("claim_id", "stance"))
        assert made[first] == candidate.stance and made[second] == "qualifies"
        assert Candidate.objects.get(pk=candidate.pk).status == "accepted"
        page.goto(live_server.url + f"/admin/importer/candidate/{candidate.pk}/change/")
        assert page.locator("ul.became li").count() == 2
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / "desktop-admin-review.png"), full_page=True)
    finally:
        context.close()
