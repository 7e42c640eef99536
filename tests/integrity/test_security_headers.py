"""Item 12: every page carries a Content-Security-Policy that allows only our own files.

The browser test (tests/browser/test_csp.py) shows the pages run under it without a
violation; this checks the header itself and that no template still needs inline code.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

pytestmark = pytest.mark.django_db

TEMPLATES = Path(__file__).resolve().parents[2] / "src" / "promisekeeper"


def test_pages_send_a_strict_content_security_policy(client, sales_user):
    client.force_login(sales_user)
    response = client.get("/")
    policy = response["Content-Security-Policy"]
    directives = dict(
        (part.split()[0], part.split()[1:]) for part in policy.split(";") if part.strip()
    )
    assert directives["default-src"] == ["'self'"]
    assert "'unsafe-inline'" not in directives["script-src"]
    assert "'unsafe-eval'" not in directives["script-src"]
    assert directives["object-src"] == ["'none'"]
    assert directives["frame-ancestors"] == ["'none'"]
    assert directives["base-uri"] == ["'self'"]
    assert directives["form-action"] == ["'self'"]


def test_the_login_page_has_the_policy_too(client):
    assert "default-src 'self'" in client.get("/login/")["Content-Security-Policy"]


def test_no_template_has_inline_script_or_style():
    offenders = []
    for template in TEMPLATES.rglob("*.html"):
        text = template.read_text()
        inline = re.findall(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>", text)
        inline += re.findall(r"<style\b|\sstyle=\"|\son[a-z]+=\"", text)
        if inline:
            offenders.append(f"{template.relative_to(TEMPLATES)}: {inline}")
    assert offenders == []
