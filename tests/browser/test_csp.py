"""Item 12 of issue 15: the main pages run under the Content-Security-Policy without a violation.

Chromium reports every blocked script, style or image both as a console error and as a
``securitypolicyviolation`` event; the test records both on each page, as each role.
"""

from __future__ import annotations

import pytest

from promisekeeper.demo.seed import demo_company_create
from promisekeeper.people.models import Person
from promisekeeper.sales.models import Promise
from tests.insights.conftest import fresh_snapshot  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

RECORD_VIOLATIONS = """
window.__csp = [];
document.addEventListener('securitypolicyviolation', (e) => {
  window.__csp.push(`${e.violatedDirective} blocked ${e.blockedURI} at ${e.sourceFile}:${e.lineNumber}`);
});
"""


@pytest.mark.parametrize("username", ["sales", "ops"])
def test_main_pages_have_no_console_errors_or_csp_violations(browser, live_server, username):
    demo_company_create(seed=1, size="S")
    promise = Promise.objects.select_related("deal").order_by("pk").first()
    person = Person.objects.order_by("pk").first()
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.add_init_script(RECORD_VIOLATIONS)
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))
    page.on("pageerror", lambda error: errors.append(str(error)))
    login = page.goto(f"{live_server.url}/login/")
    assert "default-src 'self'" in login.headers["content-security-policy"]
    page.fill("#id_username", username)
    page.fill("#id_password", "promise-demo")
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")
    pages = {
        "dashboard": "/",
        "quote": "/sales/quote/",
        "quote of a deal": f"/sales/quote/?deal={promise.deal_id}",
        "deal": f"/sales/deals/{promise.deal_id}/",
        "sheet": f"/sales/promises/{promise.pk}/sheet/",
        "timeline": "/insights/timeline/",
        "heatmap": "/insights/heatmap/",
        "api docs": "/api/docs",
    }
    if username == "ops":  # people are operations' (docs/permissions.md)
        pages |= {
            "people plan": "/people/",
            "person": f"/people/{person.pk}/",
            "timesheet": f"/delivery/timesheets/{person.pk}/",
            "timesheet import": "/delivery/timesheets/import/",
        }
    violations: dict[str, list[str]] = {}
    for name, path in pages.items():
        response = page.goto(f"{live_server.url}{path}")
        assert response is not None and response.status == 200, path
        assert "content-security-policy" in response.headers, path
        page.wait_for_load_state("networkidle")
        if name == "dashboard":
            page.wait_for_selector("#timeline .js-plotly-plot svg.main-svg", timeout=20_000)
        found = page.evaluate("window.__csp")
        if found:
            violations[name] = found
    context.close()
    assert violations == {}
    assert errors == []
