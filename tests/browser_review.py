"""What the browser tests of the importer's review screen share (tests/test_browser_review.py and the editor's
trials on held-out pages, tests/test_browser_review_07.py and tests/test_browser_review_08.py): a held-out page
imported with an account to review it, the log-in, and how the review page and the candidate list are read. Their
fixtures (``browser``, ``seeded``) come from tests/test_browser.py, as its other browser tests take them."""

from __future__ import annotations

from pathlib import Path

from tests import test_browser

HELDOUT = test_browser.ROOT / "importer" / "benchdata" / "heldout"
USERNAME = "edna"
PASSWORD = "pw-edna-123!"


def import_page(path: Path, title: str, monkeypatch):
    """The page imported into the knowledge base ranked by wording (the tests are about the screen), and the
    account that reviews it: a superuser, since a transactional test's flush removes the Editor group its migration
    made (the trials themselves ran as an editor made by ``create_editor``). Returns the import's summary."""
    from django.contrib.auth import get_user_model

    from importer import services

    monkeypatch.setenv("KB_EMBEDDINGS", "off")
    get_user_model().objects.create_superuser(USERNAME, password=PASSWORD)
    return services.import_article(path.read_bytes(), name=path.name, title=title)


def _log_in(page, live_server) -> None:
    page.goto(live_server.url + "/admin/login/")
    page.fill("#id_username", USERNAME)
    page.fill("#id_password", PASSWORD)
    page.locator("input[type=submit]").click()
    page.wait_for_load_state()


def _review(page, live_server, quote: str):
    """Open the review page of the candidate whose proposed quote is ``quote``."""
    from importer.models import Candidate

    candidate = Candidate.objects.get(quote=quote)
    page.goto(live_server.url + f"/admin/importer/candidate/{candidate.pk}/change/")
    return candidate


def _suggested(page) -> list[tuple[str, bool, str]]:
    """The review page's suggested claims as (claim text, ticked, stance shown), in their order."""
    rows = []
    for box in page.locator("input[name=claims]").all():
        row = box.locator("xpath=ancestor::tr")
        text = row.inner_text().split(" — ")[0].strip()
        rows.append((text, box.is_checked(), row.locator("select").input_value()))
    return rows


def _sideways(page, selector: str) -> int:
    """How far the element scrolls sideways (0 when its content fits its width)."""
    return page.evaluate(
        f"(() => {{ const e = document.querySelector('{selector}'); return e.scrollWidth - e.clientWidth; }})()"
    )
