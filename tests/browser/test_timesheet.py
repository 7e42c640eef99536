"""The timesheet grid in a real Chromium, by keyboard: pick a phase, type a day's hours, Tab
to the next day, see the totals follow, save."""

from __future__ import annotations

from urllib.parse import quote

import pytest

from tests.delivery.timesheet_world import company_create

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_person_fills_in_their_week_with_the_keyboard(browser, live_server):
    company = company_create()
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))
    page.on("pageerror", lambda error: errors.append(str(error)))
    week = f"/delivery/timesheets/{company.ada.pk}/?week={company.last_monday}"
    page.goto(f"{live_server.url}/login/?next={quote(week)}")
    page.fill("#id_username", "ada")
    page.fill("#id_password", "pass-word-123")
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}{week}")

    page.select_option("#phase-0", str(company.build.pk))
    page.focus("#hours-0-0")
    page.keyboard.type("7.5")
    page.keyboard.press("Tab")
    page.keyboard.type("1:30")
    assert page.evaluate("document.activeElement.id") == "hours-0-1"
    assert page.inner_text("[data-week-total]") == "9"
    assert page.inner_text("[data-row-total]") == "9"
    page.keyboard.press("Enter")  # submits the form
    page.wait_for_load_state("networkidle")

    assert "Hours saved: 2 new." in page.inner_text("main")
    assert company.entries() == [
        ("Ada", company.day(0), "Build", 450, ""),
        ("Ada", company.day(1), "Build", 90, ""),
    ]
    context.close()
    assert errors == []
