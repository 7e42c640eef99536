"""Every form and query parameter of every page, fed a NUL, a huge number and an overlong text.

The crawl starts at the dashboard as the administrator (who sees every page) on the demo
company and follows the site's own links. Each GET form field and each query parameter a
link uses is sent with each bad value; each POST form is submitted with one field bad at a
time and the rest as the page filled them in. No answer may be a 5xx, and a POST with a
NUL or an overlong value must write nothing (a huge number is legal text in a free-text
field, so there only the status is checked).
"""

from __future__ import annotations

import re
from collections import deque
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import parse_qsl, urljoin, urlsplit

import pytest
from django.contrib.auth.models import User

from promisekeeper.demo.seed import demo_company_create
from promisekeeper.sales.models import Promise
from tests.integrity.conftest import row_counts

pytestmark = pytest.mark.django_db

NUL = "bad\x00value"
HUGE = "9" * 30
OVERLONG = "x" * 25_000
BAD_VALUES = {"nul": NUL, "huge": HUGE, "overlong": OVERLONG}
SKIP_PREFIXES = ("/admin/", "/api/", "/logout/", "/static/", "/plotly.min.js", "/favicon")
SKIP_SUFFIXES = (".pdf", ".ics", ".csv")
MAX_PAGES = 40


@dataclass
class Form:
    action: str
    method: str
    fields: dict[str, str] = field(default_factory=dict)
    free_text: set[str] = field(default_factory=set)


class PageParser(HTMLParser):
    """The links and forms of one page (the parts the crawl needs)."""

    def __init__(self, url: str) -> None:
        super().__init__()
        self.url = url
        self.links: list[str] = []
        self.forms: list[Form] = []
        self._select: str | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        form = self.forms[-1] if self.forms else None
        if tag == "a" and a.get("href"):
            self.links.append(urljoin(self.url, a["href"]))
        elif tag == "form":
            action = urljoin(self.url, a.get("action") or self.url)
            self.forms.append(Form(action, (a.get("method") or "get").lower()))
        elif form is None or not a.get("name"):
            return
        elif tag == "input":
            kind = a.get("type", "text")
            if kind in ("checkbox", "radio") and "checked" not in a:
                form.fields.setdefault(a["name"], "")
                return
            if kind == "submit" and any(k in form.fields for k in (a["name"],)):
                return
            form.fields[a["name"]] = a.get("value", "")
            if kind in ("text", "search", "email", "url", "tel", "password"):
                form.free_text.add(a["name"])
        elif tag == "button" and a.get("value") and a["name"] not in form.fields:
            form.fields[a["name"]] = a["value"]
        elif tag == "select":
            self._select = a["name"]
            form.fields.setdefault(a["name"], "")
        elif (
            tag == "option"
            and self._select
            and ("selected" in a or not form.fields.get(self._select))
        ):
            form.fields[self._select] = a.get("value", "")
        elif tag == "textarea":
            self._textarea = a["name"]
            form.fields[a["name"]] = ""
            form.free_text.add(a["name"])

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data: str) -> None:
        if self._textarea and self.forms:
            self.forms[-1].fields[self._textarea] += data


def _local(url: str) -> str | None:
    parts = urlsplit(url)
    if parts.netloc not in ("", "testserver") or not parts.path.startswith("/"):
        return None
    if parts.path.startswith(SKIP_PREFIXES) or parts.path.endswith(SKIP_SUFFIXES):
        return None
    return parts.path + (f"?{parts.query}" if parts.query else "")


def _crawl(client, starts: list[str]) -> dict[str, PageParser]:
    """The pages reachable from the dashboard, one per kind of path (``/people/<id>/``)."""
    seen: dict[str, PageParser] = {}
    kinds: set[str] = set()
    queue = deque(starts)
    while queue and len(seen) < MAX_PAGES:
        url = queue.popleft()
        path = urlsplit(url).path
        kind = re.sub(r"\d+", "<id>", path)
        if kind in kinds:
            continue
        kinds.add(kind)
        response = client.get(url)
        assert response.status_code < 500, url
        if response.status_code != 200 or "html" not in response["Content-Type"]:
            continue
        parser = PageParser("http://testserver" + url)
        parser.feed(response.content.decode())
        seen[path] = parser
        queue.extend(local for local in map(_local, parser.links) if local)
    return seen


def _query_keys(pages: dict[str, PageParser]) -> dict[str, set[str]]:
    """For each path, the query parameters its GET forms and the links to it use."""
    keys: dict[str, set[str]] = {path: set() for path in pages}
    for page in pages.values():
        for link in page.links:
            parts = urlsplit(link)
            if parts.path in keys:
                keys[parts.path] |= {name for name, _ in parse_qsl(parts.query)}
        for form in page.forms:
            path = urlsplit(form.action).path
            if form.method == "get" and path in keys:
                keys[path] |= set(form.fields)
    return keys


@pytest.fixture
def crawled(client):
    demo_company_create(seed=1, size="S")
    client.force_login(User.objects.get(username="admin"))
    promise = Promise.objects.order_by("pk").first()
    starts = ["/", "/sales/quote/", "/insights/heatmap/", "/insights/timeline/", "/people/new/"]
    pages = _crawl(client, [*starts, f"/sales/promises/{promise.pk}/sheet/"])
    assert len(pages) >= 15, sorted(pages)
    return pages


def test_no_query_parameter_makes_a_server_error(client, crawled):
    failures = []
    for path, names in _query_keys(crawled).items():
        for name in sorted(names):
            for kind, value in BAD_VALUES.items():
                response = client.get(path, {name: value})
                # NUL and overlong values never reach a view: 400 naming the parameter.
                expected_400 = kind != "huge"
                if response.status_code >= 500 or (expected_400 and response.status_code != 400):
                    failures.append(f"GET {path}?{name}=<{kind}>: {response.status_code}")
    assert failures == []


def test_no_form_field_makes_a_server_error_or_writes(client, crawled):
    failures = []
    posted = 0
    for path, page in crawled.items():
        for form in page.forms:
            target = _local(form.action)
            if form.method != "post" or target is None:
                continue
            for name in sorted(set(form.fields) - {"csrfmiddlewaretoken"}):
                for kind, value in BAD_VALUES.items():
                    before = row_counts()
                    response = client.post(target, {**form.fields, name: value})
                    posted += 1
                    where = f"POST {target} (from {path}) {name}=<{kind}>"
                    if response.status_code >= 500:
                        failures.append(f"{where}: {response.status_code}")
                    if (kind != "huge" or name not in form.free_text) and row_counts() != before:
                        failures.append(f"{where}: wrote to the database")
    assert posted > 0
    assert {"/", "/sales/quote/", "/people/", "/sales/exceptions/"} <= set(crawled)
    assert failures == []
