"""The KPI page in a real Chromium: its charts draw, without errors, at laptop and tablet width."""

from __future__ import annotations

import datetime
import os

import pytest
from django.utils import timezone

from promisekeeper.delivery.models import Project
from promisekeeper.demo.seed import demo_company_create
from tests import factories
from tests.browser.test_pages import _login
from tests.insights.conftest import fresh_snapshot  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _delivered_promises() -> None:
    """The demo's delivered projects predate recorded promises: add a few made at P80."""
    today = timezone.localdate()
    for late_days in (-3, 0, 4):
        deal = factories.DealFactory()
        promised = today - datetime.timedelta(days=20)
        factories.PromiseFactory(
            deal=deal,
            confidence="P80",
            promised_date=promised,
            p50_date=promised - datetime.timedelta(days=2),
            p80_date=promised,
            p95_date=promised + datetime.timedelta(days=5),
        )
        factories.ProjectFactory(
            deal=deal,
            release_date=today - datetime.timedelta(days=90),
            promised_date=promised,
            delivered_date=promised + datetime.timedelta(days=late_days),
            status=Project.Status.DELIVERED,
        )


@pytest.mark.parametrize("width", [1280, 820], ids=["laptop", "tablet"])
def test_the_kpi_page_draws_its_charts(browser, live_server, width, tmp_path):
    demo_company_create(seed=1, size="S")
    _delivered_promises()
    context, page, errors = _login(browser, live_server, "ops", width)

    response = page.goto(f"{live_server.url}/insights/kpis/")

    assert response is not None and response.status == 200
    for section in ("#date-calibration", "#promises-kept"):
        page.wait_for_selector(f"{section} .js-plotly-plot svg.main-svg", timeout=20_000)
    assert page.locator("p.definition").first.is_visible()  # not only on hover
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 1, f"the KPI page scrolls sideways at {width}px"
    shots = os.environ.get("PK_SCREENSHOT_DIR")
    page.screenshot(path=f"{shots or tmp_path}/kpis-{width}.png", full_page=True)
    context.close()
    assert errors == []
