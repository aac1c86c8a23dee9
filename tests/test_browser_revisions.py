"""A revision of published content end to end in Debian's Chromium (issue 18): an editor changes a published claim's
wording with a reason in the admin; readers keep the published wording; another person, a reviewer, finds it in the
work queue, reads the side-by-side diff and approves it; readers then see the new wording and the public change log
lists it with the reason and no one's name. Also the refusals, each in words: no reason, the author approving their
own revision, and an approval whose base changed in between (the conflict). No page may log a Content-Security-Policy
violation. Skipped, as tests/test_browser.py is, without Chromium or axe-core."""

from __future__ import annotations

from contextlib import contextmanager
from importlib import import_module

import pytest

from tests import test_browser
from tests.test_browser import RECORD_VIOLATIONS, VIEWPORTS, _violations, browser, seeded  # noqa: F401 - fixtures

pytestmark = list(test_browser.pytestmark)

SLUG = "effective-ptsd"
PASSWORDS = {"edna": "pw-edna-123!", "rex": "pw-rex-123!"}


def _ensure_groups() -> None:
    """The Editor and Reviewer groups as the migrations make them: a transactional test before this one may have
    emptied the database (the flush keeps permissions, not groups)."""
    from django.contrib.auth.models import Group, Permission

    groups = import_module("claims.migrations.0004_editor_reviewer_groups")
    later = [
        ("claims", import_module("claims.migrations.0010_estimate_permissions").CODENAMES),
        ("importer", import_module("importer.migrations.0002_importer_permissions").CODENAMES),
        ("revisions", import_module("revisions.migrations.0002_revision_permissions").CODENAMES),
    ]

    def permissions(pairs) -> list:
        found = []
        for app_label, codename in pairs:
            found.append(Permission.objects.get(content_type__app_label=app_label, codename=codename))
        return found

    extra = [(app, codename) for app, codenames in later for codename in codenames]
    editor = [*groups._codenames(groups.EDITOR), *extra]
    Group.objects.get_or_create(name="Editor")[0].permissions.set(permissions(editor))
    reviewer = [*editor, *groups._codenames(groups.REVIEWER_EXTRA)]
    Group.objects.get_or_create(name="Reviewer")[0].permissions.set(permissions(reviewer))


@pytest.fixture
def cast(seeded):  # noqa: F811
    """An editor (edna) and a reviewer (rex), with the seed content."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    _ensure_groups()
    User = get_user_model()
    for name, group in (("edna", "Editor"), ("rex", "Reviewer")):
        user = User.objects.create_user(name, password=PASSWORDS[name], is_staff=True)
        user.groups.add(Group.objects.get(name=group))


class Session:
    """One person's browser (its own cookies), recording Content-Security-Policy violations and console errors."""

    def __init__(self, browser, live_server) -> None:  # noqa: F811
        self.url = live_server.url
        self.context = browser.new_context(viewport=VIEWPORTS["desktop"])
        self.context.add_init_script(RECORD_VIOLATIONS)
        self.page = self.context.new_page()
        self.errors: list[str] = []
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)

    def open(self, path: str):
        response = self.page.goto(self.url + path)
        assert response.ok, path
        self.settled()
        return self.page

    def settled(self) -> None:
        """After a load or a form's answer: no policy violation, no console error."""
        self.page.wait_for_load_state("networkidle")
        assert _violations(self.page) == [], self.page.url
        assert self.errors == [], self.page.url

    def sign_in(self, username: str) -> None:
        self.open("/admin/login/")
        self.page.fill("#id_username", username)
        self.page.fill("#id_password", PASSWORDS[username])
        self.page.locator("input[type=submit]").click()
        self.page.wait_for_url("**/admin/")
        self.settled()

    def edit_claim(self, claim, field: str, value: str, reason: str) -> None:
        self.open(f"/admin/claims/claim/{claim.pk}/change/")
        self.page.fill(f"#id_{field}", value)
        self.page.fill("#id_change_reason", reason)
        self.page.locator("input[name=_save]").click()
        self.page.wait_for_load_state()
        self.settled()

    def decide(self, revision, decision: str = "Approve") -> str:
        """Press a decision button on a revision's review page (opened already); the admin's message."""
        self.page.get_by_role("button", name=decision).click()
        self.page.wait_for_load_state()
        self.settled()
        return self.page.locator(".messagelist").inner_text()


@contextmanager
def _session(browser, live_server):  # noqa: F811
    session = Session(browser, live_server)
    try:
        yield session
    finally:
        session.context.close()


def _public_page(browser, live_server):  # noqa: F811
    """The claim's public page as a reader sees it (a fresh, anonymous browser)."""
    return _session(browser, live_server)


def test_an_editors_wording_change_waits_until_a_reviewer_approves_it_then_readers_see_it_logged(
    browser,  # noqa: F811
    live_server,
    cast,
):
    from claims.models import Claim
    from revisions.models import Revision

    claim = Claim.objects.get(slug=SLUG)
    old = claim.text
    new = "Ketamine reduces symptoms of PTSD in the short term, in small trials"
    assert old != new

    with _session(browser, live_server) as edna:
        edna.sign_in("edna")
        # Without a reason: refused in words, nothing saved.
        edna.edit_claim(claim, "text", new, "")
        assert "a revision needs a reason" in edna.page.locator(".errorlist").all_inner_texts()[0]
        assert not Revision.objects.exists()
        # With a reason: saved as a pending revision, and the editor is told so.
        edna.edit_claim(claim, "text", new, "Says how strong the evidence is.")
        revision = Revision.objects.get()
        # Only the wording: the untouched multi-line rationale, which the browser posts with CRLF, is no change.
        assert list(revision.proposed) == ["text"]
        assert edna.page.url.endswith(f"/admin/revisions/revision/{revision.pk}/change/")
        message = edna.page.locator(".messagelist").inner_text()
        assert f"saved as revision #{revision.pk}, pending review" in message
        assert "Readers keep seeing the published version" in message
        assert "Pending review" in edna.page.locator("#content-main").inner_text()
        # An editor cannot decide, and the page says who can.
        assert edna.page.get_by_role("button", name="Approve").count() == 0
        assert "Withdraw" in edna.page.locator(".revision-decision").inner_text()

    with _public_page(browser, live_server) as reader:
        page = reader.open(claim.get_absolute_url())
        assert old in page.locator("h1").inner_text()
        assert new not in page.content()

    with _session(browser, live_server) as rex:
        rex.sign_in("rex")
        queue = rex.open("/admin/claims/claim/queue/")
        assert "waiting for review (1)" in queue.locator("#content-main").inner_text()
        queue.get_by_role("link", name=str(revision)).click()
        rex.settled()
        table = queue.locator("table.revision-diff")
        assert "Published and proposed values, side by side" in table.locator("caption").inner_text()
        assert old in table.locator("td.before").first.inner_text()
        assert new in table.locator("td.after").first.inner_text()
        assert "Says how strong the evidence is." in queue.locator(".revision-reason").inner_text()
        assert f"Revision #{revision.pk} approved: readers see it now." in rex.decide(revision)

    with _public_page(browser, live_server) as reader:
        page = reader.open(claim.get_absolute_url())
        assert new in page.locator("h1").inner_text()
        assert page.locator("ol.history li").count() == 1
        log = page.locator("ol.history").inner_text()
        assert f"wording changed from “{old}”" in log and "Says how strong the evidence is." in log
        text = page.locator("main").inner_text()
        assert "edna" not in text and "rex" not in text


def test_self_approval_and_a_conflicting_approval_are_refused_in_words_and_change_nothing(
    browser,  # noqa: F811
    live_server,
    cast,
):
    from claims.models import Claim
    from revisions.models import Revision

    claim = Claim.objects.get(slug=SLUG)
    old = claim.text
    first, second = "Ketamine eases PTSD symptoms for days", "Ketamine may ease PTSD symptoms briefly"

    with _session(browser, live_server) as rex, _session(browser, live_server) as edna:
        rex.sign_in("rex")
        # A reviewer's own revision: another reviewer must approve it.
        rex.edit_claim(claim, "summary", "A short-lived easing of PTSD symptoms.", "Clearer summary.")
        own = Revision.objects.get()
        page = rex.page
        assert (
            "You proposed this revision, so another reviewer must approve it."
            in page.locator(".revision-decision").inner_text()
        )
        message = rex.decide(own)
        assert "Nothing was changed: You proposed this revision, so another reviewer must approve it." in message
        own.refresh_from_db()
        assert own.state == "pending"

        # Two revisions of the same wording; the reviewer opens the second, and meanwhile the first is approved.
        edna.sign_in("edna")
        edna.edit_claim(claim, "text", first, "First proposal.")
        edna.edit_claim(claim, "text", second, "Second proposal.")
        one, two = Revision.objects.filter(object_id=claim.pk, proposed__has_key="text").order_by("pk")
        rex.open(f"/admin/revisions/revision/{two.pk}/change/")
        with _session(browser, live_server) as other_tab:
            other_tab.sign_in("rex")
            other_tab.open(f"/admin/revisions/revision/{one.pk}/change/")
            assert f"Revision #{one.pk} approved" in other_tab.decide(one)
        message = rex.decide(two)
        assert "Nothing was changed: The published version changed after this revision was proposed" in message
        two.refresh_from_db()
        claim.refresh_from_db()
        assert two.state == "pending" and claim.text == first and claim.text != old
        # Shown again, the review page marks the conflict and offers no approval.
        page = rex.open(f"/admin/revisions/revision/{two.pk}/change/")
        assert f"Changed since: now “{first}”." in page.locator("tr.conflict").inner_text()
        assert page.get_by_role("button", name="Approve").is_disabled()
