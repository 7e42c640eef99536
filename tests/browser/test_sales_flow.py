"""The promise flow in a real Chromium: quote says no with options, sales asks operations for an
exception, operations approves it, sales commits, and the customer promise sheet renders."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.utils import dateformat

from promisekeeper.sales.models import Deal, ExceptionRequest, Promise
from tests import factories
from tests.sales.conftest import nth_working_day, shop_create

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "pass-word-123"


def _user(username: str, group: str) -> object:
    user = factories.UserFactory(username=username)
    user.groups.add(Group.objects.get_or_create(name=group)[0])
    return user


def _login(browser, base_url: str, username: str, width: int):
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"{base_url}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base_url}/")
    return context, page, errors


@pytest.mark.parametrize("width", [1280, 820], ids=["laptop", "tablet"])
def test_quote_no_exception_approved_commit_and_sheet(browser, live_server, width):
    shop = shop_create()
    seller = _user("seller", "sales")
    _user("operator", "operations")
    wanted = nth_working_day(2)
    base = live_server.url

    # Sales: the answer updates through htmx as the lines change, and says no with options.
    context, page, errors = _login(browser, base, "seller", width)
    page.goto(f"{base}/sales/quote/")
    page.fill("#id_wanted_date", wanted.isoformat())
    page.select_option("#id_customer", str(shop.customer.pk))
    page.fill("#line-quantity-1", "3")
    page.select_option("#line-item-1", f"offering:{shop.offering.pk}")
    page.wait_for_selector("[data-verdict=no]")
    assert page.url == f"{base}/sales/quote/", "the answer came through htmx, not a page load"
    assert page.locator("[data-option]").count() >= 3
    assert page.locator("#answer").inner_text().count("Bottleneck: developer") == 1
    page.wait_for_selector(".load-chart .main-svg", timeout=20_000)

    page.click("text=Add line")
    page.wait_for_selector("#line-item-2")
    page.click("button[aria-label='Remove line 2']")
    page.wait_for_selector("#line-item-2", state="detached")

    page.wait_for_load_state("networkidle")
    page.wait_for_selector("[data-verdict=no]")
    page.fill("#id_scope_note", "Launch event on that day")
    page.click("button[value=exception]")
    page.wait_for_url(f"{base}/sales/deals/*/")
    assert "Exception request sent to operations." in page.inner_text("main")
    deal = Deal.objects.get(owner=seller)
    assert ExceptionRequest.objects.get(deal=deal).status == "pending"
    context.close()

    # Operations: sees the request with the engine's view; no overtime makes three weeks of
    # work in two days, so it approves the date beyond capacity, in place (htmx).
    context, page, ops_errors = _login(browser, base, "operator", width)
    assert "seller asks for" in page.locator(".notifications").text_content()
    page.goto(f"{base}/sales/exceptions/")
    card = page.locator("article.request").first
    assert "Does not fit" in card.inner_text()
    card.locator("input[value=approve_beyond_capacity]").check()
    card.locator("textarea").fill("The customer knows the install follows the event")
    card.locator("button", has_text="Decide").click()
    page.wait_for_selector("li.request.decided")
    decided = page.locator("li.request.decided").inner_text()
    assert "Approved" in decided and "beyond capacity" in decided
    context.close()

    # Sales: commits the approved date on the deal page, then opens the customer promise sheet.
    context, page, more_errors = _login(browser, base, "seller", width)
    page.goto(f"{base}/sales/deals/{deal.pk}/")
    label = dateformat.format(wanted, "j M Y")
    page.click(f"button:has-text('Commit {label}')")
    page.wait_for_selector("[data-promise]")
    promise = Promise.objects.get(deal=deal)
    assert promise.promised_date == wanted and promise.approval is not None
    assert promise.beyond_capacity and promise.confidence is None
    page.click("text=Customer promise sheet")
    page.wait_for_url(f"{base}/sales/promises/{promise.pk}/sheet/")
    sheet = page.inner_text("article.sheet")
    assert dateformat.format(wanted, "j F Y") in sheet
    assert "beyond capacity, agreed by operations" in sheet and "P80" not in sheet
    response = page.request.get(f"{base}/sales/promises/{promise.pk}/sheet.pdf")
    assert response.ok and response.body().startswith(b"%PDF")
    context.close()

    assert errors + ops_errors + more_errors == []
