"""Log in as each demo role in a real browser and check the pages render without errors."""

from __future__ import annotations

import pytest

from promisekeeper.demo.seed import demo_company_create

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PAGES = {
    "sales": ["/", "/api/docs"],
    "ops": ["/", "/people/", "/delivery/projects/"],  # the admin is the admin role's only
    "admin": ["/", "/admin/", "/admin/catalog/sopversion/", "/admin/sales/deal/", "/api/docs"],
}


@pytest.mark.parametrize("username", sorted(PAGES))
def test_demo_role_logs_in_and_pages_load_without_console_errors(browser, live_server, username):
    demo_company_create(seed=1, size="S")
    for width in (1280, 820):  # laptop and tablet
        errors = _visit_pages(browser, live_server.url, username, width)
        assert errors == [], f"at width {width}"


def _visit_pages(browser, base_url: str, username: str, width: int) -> list[str]:
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("response", lambda r: r.status >= 400 and errors.append(f"{r.status} {r.url}"))

    page.goto(f"{base_url}/")
    assert page.url.startswith(f"{base_url}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", "promise-demo")
    page.click("button[type=submit]")
    page.wait_for_url(f"{base_url}/")
    assert "Northwind Digital & Installations" in page.inner_text("h1")
    assert page.evaluate("typeof htmx") == "object", "htmx is served locally"

    for path in PAGES[username]:
        response = page.goto(f"{base_url}{path}")
        assert response is not None and response.status == 200, path
        page.wait_for_load_state("networkidle")

    page.goto(f"{base_url}/")
    page.click("text=Log out")
    page.wait_for_url(f"{base_url}/login/")
    context.close()
    return errors
