"""The Content-Security-Policy of public pages and of the admin (django-csp, kb/security.py)."""

from __future__ import annotations

import base64
import hashlib
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parent.parent


def _policy(response, header: str = "Content-Security-Policy") -> dict[str, list[str]]:
    assert header in response, f"no {header} header"
    directives = {}
    for part in response[header].split(";"):
        name, *values = part.split()
        directives[name] = values
    return directives


def test_a_public_page_allows_scripts_and_styles_from_this_site_only(client, site_content):
    response = client.get("/claims/ketamine-reduces-ptsd-symptoms/")
    assert b'<script type="application/ld+json">' in response.content  # the JSON-LD data block is there
    policy = _policy(response)
    assert policy["default-src"] == ["'self'"]
    assert policy["script-src"] == ["'self'"]  # no 'unsafe-inline', no nonce: the JSON-LD is data, not script
    assert "'unsafe-inline'" not in policy["style-src"] and "'unsafe-eval'" not in response["Content-Security-Policy"]
    assert policy["frame-ancestors"] == ["'none'"] and policy["object-src"] == ["'none'"]
    assert policy["base-uri"] == ["'none'"] and policy["form-action"] == ["'self'"]


def test_a_cached_public_page_carries_the_same_policy(client, site_content):
    first = client.get("/conditions/ptsd/")
    second = client.get("/conditions/ptsd/")
    assert second["X-Page-Cache"] == "hit"
    assert second["Content-Security-Policy"] == first["Content-Security-Policy"]


def test_the_public_templates_write_no_inline_script_or_style():
    # Every public page is covered by the strict policy, so nothing inline may be written there (the admin's
    # templates may use inline <style>, which its policy allows; templates/500.html is allowed by hash).
    offenders = []
    for path in (ROOT / "templates").rglob("*.html"):
        if "admin" in path.parts or path.name == "500.html":
            continue
        text = path.read_text(encoding="utf-8")
        for pattern in (r"<script(?![^>]*\bsrc=)(?![^>]*application/ld\+json)", r"<style", r"\sstyle=", r"\son\w+="):
            if re.search(pattern, text):
                offenders.append(f"{path.relative_to(ROOT)}: {pattern}")
    assert offenders == []


def test_the_server_error_page_style_is_allowed_by_its_hash():
    css = re.search(r"<style>(.*?)</style>", (ROOT / "templates" / "500.html").read_text(), re.S).group(1)
    digest = base64.b64encode(hashlib.sha256(css.encode()).digest()).decode()
    assert f"'sha256-{digest}'" in settings.CONTENT_SECURITY_POLICY["DIRECTIVES"]["style-src"]


def test_the_admin_may_use_inline_styles_but_not_inline_scripts(client, users):
    client.force_login(users["editor"])
    for url in (reverse("admin:index"), reverse("admin:claims_claim_changelist"), reverse("admin:login")):
        policy = _policy(client.get(url))
        assert policy["style-src"][-1] == "'unsafe-inline'", url
        # a hash beside it would make browsers ignore 'unsafe-inline' (CSP level 2 and later)
        assert not any(source.startswith("'sha256-") for source in policy["style-src"]), url
        assert policy["script-src"] == ["'self'"], url
        assert policy["frame-ancestors"] == ["'none'"], url


def test_the_claim_form_loads_its_rationale_preview_as_a_file(client, users):
    client.force_login(users["editor"])
    html = client.get(reverse("admin:claims_claim_add")).content.decode()
    assert 'src="/static/js/rationale-preview.js"' in html
    assert re.search(r"<script>", html) is None  # no inline script on the claim form


def _settings_in_subprocess(env: dict) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("KB_CSP", "AXES_"))}
    clean.update({"KB_ENV_FILE": "", "DJANGO_SETTINGS_MODULE": "kb.settings", "SECRET_KEY": "x"}, **env)
    code = (
        "from django.conf import settings as s; "
        "print(bool(s.CONTENT_SECURITY_POLICY), s.CONTENT_SECURITY_POLICY_REPORT_ONLY, s.AXES_FAILURE_LIMIT)"
    )
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=clean, capture_output=True, text=True, timeout=60)


def test_report_only_mode_sends_the_policy_without_enforcing_it():
    result = _settings_in_subprocess({"KB_CSP_REPORT_ONLY": "1", "KB_CSP_REPORT_URI": "/csp-reports"})
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("False {'DIRECTIVES'")
    assert "'report-uri': ['/csp-reports']" in result.stdout and "'frame-ancestors': [\"'none'\"]" in result.stdout


def test_report_only_header_is_sent_instead_of_the_enforced_one(client, site_content, settings):
    settings.CONTENT_SECURITY_POLICY_REPORT_ONLY = settings.CONTENT_SECURITY_POLICY
    settings.CONTENT_SECURITY_POLICY = None
    response = client.get("/")
    assert "Content-Security-Policy" not in response
    assert _policy(response, "Content-Security-Policy-Report-Only")["script-src"] == ["'self'"]


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"AXES_FAILURE_LIMIT": "0"}, "AXES_FAILURE_LIMIT must be at least 1"),
        ({"AXES_COOLOFF_MINUTES": "-5"}, "AXES_COOLOFF_MINUTES must be 0 or more"),
        ({"KB_TRUSTED_PROXIES": "many"}, "KB_TRUSTED_PROXIES must be an integer"),
    ],
)
def test_bad_throttling_settings_stop_start_up_by_name(env, message):
    result = _settings_in_subprocess(env)
    assert result.returncode != 0 and message in result.stderr


def test_throttling_defaults_are_five_failures():
    result = _settings_in_subprocess({})
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[-1] == "5"
