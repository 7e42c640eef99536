"""Every page of the shared view in a real Chromium, as each demo role, on the demo company."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from playwright.sync_api import expect

from promisekeeper.delivery.models import Project
from promisekeeper.demo.seed import demo_company_create
from promisekeeper.organisation.selectors import organisation_settings_get
from promisekeeper.people.models import Person
from promisekeeper.promising.cache import portfolio_snapshot
from tests.insights.conftest import fresh_snapshot  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]
USERS = ("sales", "ops", "admin")


def _login(browser, live_server, username: str, width: int = 1280):
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", "promise-demo")
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")
    return context, page, errors


def _charts_drawn(page, section: str) -> None:
    page.wait_for_selector(f"{section} .js-plotly-plot svg.main-svg", timeout=20_000)


@pytest.mark.parametrize("username", USERS)
@pytest.mark.parametrize("width", [1280, 820], ids=["laptop", "tablet"])
def test_every_page_loads_without_console_errors(browser, live_server, username, width):
    demo_company_create(seed=1, size="S")
    project = Project.objects.filter(status=Project.Status.IN_DELIVERY).first()
    person = Person.objects.first()
    context, page, errors = _login(browser, live_server, username, width)
    pages = [
        "/",
        "/delivery/projects/",
        f"/delivery/projects/{project.pk}/",
        "/insights/deals/",
        "/catalog/offerings/",
        f"/catalog/offerings/{project.sop_version.offering_id}/",
        "/insights/heatmap/",
        "/insights/timeline/",
    ]
    if username != "sales":  # people are operations' (docs/permissions.md)
        pages += ["/people/", f"/people/{person.pk}/", "/people/new/"]
    for path in pages:
        response = page.goto(f"{live_server.url}{path}")
        assert response is not None and response.status == 200, path
        page.wait_for_load_state("networkidle")
        if path == "/":
            _charts_drawn(page, "#heatmap")
            _charts_drawn(page, "#timeline")
            assert page.locator(".sparkline.js-plotly-plot").count() == 6
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 1, f"{path} scrolls sideways at {width}px"
    context.close()
    assert errors == []


def test_at_risk_list_matches_the_engine_plan(browser, live_server):
    demo_company_create(seed=1, size="S")
    snapshot = portfolio_snapshot()
    threshold = organisation_settings_get().risk_slack_threshold_days
    states = {p.id: p.state.label for p in snapshot.instance.projects}
    expected = {
        snapshot.projects[engine_id].pk
        for engine_id, result in snapshot.firm_plan.projects.items()
        if snapshot.projects[engine_id].kind == "project"
        and states[engine_id] in ("in_delivery", "committed", "held")
        and (
            result.status.value in ("late", "unscheduled")
            or (result.lateness_days is not None and -result.lateness_days < threshold)
        )
    }
    assert expected, "the demo company has work at risk to show"
    context, page, errors = _login(browser, live_server, "ops")
    shown = {
        int(value)
        for value in page.locator("#at-risk tr[data-project]").evaluate_all(
            "rows => rows.map(r => r.dataset.project)"
        )
    }
    assert shown == expected
    late = [
        snapshot.projects[i].pk
        for i, r in snapshot.firm_plan.projects.items()
        if r.status.value == "late" and snapshot.projects[i].kind == "project"
    ]
    for pk in late:
        assert page.locator(f"#at-risk tr[data-project='{pk}']").get_attribute("class") == "late"
    context.close()
    assert errors == []


def test_timeline_filter_updates_the_chart_in_place(browser, live_server):
    demo_company_create(seed=1, size="S")
    context, page, errors = _login(browser, live_server, "sales")
    _charts_drawn(page, "#timeline")
    before = int(page.inner_text("[data-count=gantt]"))
    options = page.locator("#timeline select[name=customer] option").evaluate_all(
        "options => options.map(o => o.value).filter(Boolean)"
    )
    customer = options[0]
    expected = Project.objects.filter(
        customer_id=customer, status__in=("in_delivery", "committed")
    ).count()
    page.select_option("#timeline select[name=customer]", customer)
    # A locator assertion, not wait_for_function("..."): the CSP forbids evaluating strings.
    expect(page.locator("[data-count=gantt]")).to_have_text(str(expected))
    assert expected < before
    assert f"customer={customer}" in page.url, "the filter is in the address bar"
    _charts_drawn(page, "#timeline")
    rows = page.locator("#timeline .gantt-table tbody tr").count()
    assert rows == expected
    context.close()
    assert errors == []


def test_heatmap_cell_click_lists_its_projects(browser, live_server):
    demo_company_create(seed=1, size="S")
    context, page, errors = _login(browser, live_server, "ops")
    _charts_drawn(page, "#heatmap")
    page.click("#heatmap details.table-alt summary")
    page.locator("#heatmap .heat-table tbody tr").first.locator("button").nth(1).click()
    page.wait_for_selector("#cell-detail .cell-detail h3")
    assert "week of" in page.inner_text("#cell-detail h3")
    page.check("#heatmap input[name=expand][value=developer]")
    page.wait_for_selector("#heatmap .heat-table tr.person", state="attached")
    _charts_drawn(page, "#heatmap")
    context.close()
    assert errors == []


def test_kpi_formula_is_visible_on_keyboard_focus(browser, live_server):
    demo_company_create(seed=1, size="S")
    context, page, errors = _login(browser, live_server, "sales")
    formula = page.locator("#formula-on_time")
    assert not formula.is_visible()
    page.focus("article[data-kpi=on_time]")
    assert formula.is_visible()
    context.close()
    assert errors == []


def test_dashboard_screenshot(browser, live_server, tmp_path):
    """Writes docs/dashboard.png when PK_WRITE_SCREENSHOT=1, otherwise a throwaway copy."""
    demo_company_create(seed=1, size="S")
    context, page, errors = _login(browser, live_server, "ops", width=1280)
    _charts_drawn(page, "#heatmap")
    _charts_drawn(page, "#timeline")
    page.wait_for_timeout(300)
    target = (
        ROOT / "docs" / "dashboard.png"
        if os.environ.get("PK_WRITE_SCREENSHOT") == "1"
        else tmp_path / "dashboard.png"
    )
    page.screenshot(path=str(target), full_page=True)
    assert target.stat().st_size > 50_000
    context.close()
    assert errors == []


def test_time_off_preview_then_save_in_the_browser(browser, live_server):
    import datetime

    from django.utils import timezone

    from promisekeeper.insights.selectors.plan_facts import plan_facts_get
    from promisekeeper.people.models import TimeOff

    demo_company_create(seed=1, size="S")
    facts = plan_facts_get()
    busiest = facts.person_pks[int(facts.firm_remaining.argmax())]
    booked = TimeOff.objects.filter(person_id=busiest).count()
    context, page, errors = _login(browser, live_server, "ops")
    page.goto(f"{live_server.url}/people/{busiest}/")
    today = timezone.localdate()
    page.fill("#id_start_date", today.isoformat())
    page.fill("#id_end_date", (today + datetime.timedelta(days=20)).isoformat())
    page.click("button[value=preview]")
    page.wait_for_selector("#preview")
    assert "This change moves" in page.inner_text("#preview")
    assert TimeOff.objects.filter(person_id=busiest).count() == booked
    page.click("button[value=save]")
    page.wait_for_selector("text=Time off saved")
    assert TimeOff.objects.filter(person_id=busiest).count() == booked + 1
    context.close()
    assert errors == []
