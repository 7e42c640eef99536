"""Log in as each demo role in a real browser and check the pages render without errors."""

from __future__ import annotations

import pytest

from promisekeeper.organisation.demo import demo_company_create

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PAGES = {
    "sales": ["/", "/api/docs"],
    "ops": ["/", "/admin/", "/admin/delivery/project/", "/admin/people/person/"],
    "admin": ["/", "/admin/", "/admin/catalog/sopversion/", "/admin/sales/deal/", "/api/docs"],
}


@pytest.mark.parametrize("username", sorted(PAGES))
@pytest.mark.parametrize("width", [1280, 820], ids=["laptop", "tablet"])
def test_demo_role_logs_in_and_pages_load_without_console_errors(
    browser, live_server, username, width
):
    demo_company_create(seed=1, size="S")
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("response", lambda r: r.status >= 400 and errors.append(f"{r.status} {r.url}"))

    page.goto(f"{live_server.url}/")
    assert page.url.startswith(f"{live_server.url}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", "promise-demo")
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")
    assert "Northwind Digital & Installations" in page.inner_text("h1")
    assert page.evaluate("typeof htmx") == "object", "htmx is served locally"

    for path in PAGES[username]:
        response = page.goto(f"{live_server.url}{path}")
        assert response is not None and response.status == 200, path
        page.wait_for_load_state("networkidle")

    page.goto(f"{live_server.url}/")
    page.click("text=Log out")
    page.wait_for_url(f"{live_server.url}/login/")
    context.close()
    assert errors == []
