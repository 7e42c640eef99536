"""The KPI page over HTTP: who may see it, and what it shows from the database."""

from __future__ import annotations

import datetime
import json
import re

import plotly.graph_objects as go
import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone

from promisekeeper.delivery.models import Project
from promisekeeper.demo.seed import demo_company_create
from promisekeeper.insights.models import RiskStateChange
from tests import factories

pytestmark = pytest.mark.django_db

DAY = datetime.timedelta(days=1)
URL = "/insights/kpis/"


def _promised_and_delivered(*, confidence: str, late_days: int) -> Project:
    today = timezone.localdate()
    deal = factories.DealFactory()
    promised = today - 10 * DAY
    factories.PromiseFactory(deal=deal, confidence=confidence, promised_date=promised)
    return factories.ProjectFactory(
        deal=deal,
        release_date=today - 60 * DAY,
        promised_date=promised,
        delivered_date=promised + late_days * DAY,
        status=Project.Status.DELIVERED,
    )


def _row(page: str, marker: str) -> list[str]:
    """The cells of the table row carrying ``marker`` (an attribute), tags stripped."""
    row = re.search(rf"<tr {marker}>(.*?)</tr>", page, re.S)
    assert row, marker
    return [
        re.sub(r"<[^>]+>", "", cell).strip()
        for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row.group(1), re.S)
    ]


def test_the_kpi_page_is_for_sales_and_operations_only(client, sales_user, ops_user, outsider):
    assert reverse("insights:kpis") == URL
    response = client.get(URL)
    assert response.status_code == 302 and response["Location"] == f"/login/?next={URL}"
    client.force_login(outsider)
    assert client.get(URL).status_code == 403
    for user in (sales_user, ops_user):
        client.force_login(user)
        assert client.get(URL).status_code == 200


def test_the_kpi_page_shows_calibration_kept_and_recognition_from_delivered_promises(
    client, sales_user
):
    for late_days in (0, -2, 3, 0):  # P80: three of four kept
        rescued = _promised_and_delivered(confidence="P80", late_days=late_days)
    _promised_and_delivered(confidence="P50", late_days=1)
    RiskStateChange.objects.create(
        project=rescued, before="", after="at_risk", changed_at=timezone.now()
    )
    worker = factories.PersonFactory(name="Grace Hopper")
    factories.TimesheetEntryFactory(
        person=worker, phase=factories.ProjectPhaseFactory(project=rescued)
    )
    client.force_login(sales_user)

    page = client.get(URL).content.decode()

    assert _row(page, 'data-level="P80"') == ["P80", "80 %", "4", "3", "75 %"]
    assert _row(page, 'data-level="P50"') == ["P50", "50 %", "1", "0", "0 %"]
    assert _row(page, 'data-level="P95"') == ["P95", "95 %", "0", "0", "no data"]
    assert _row(page, 'data-kept="current"') == ["Against the date at delivery", "3", "5", "60 %"]
    # Every KPI's definition is on the page itself, not only in a tooltip.
    assert page.count('<p class="definition">') == 6
    assert "Grace Hopper" in page.split('id="recognition"')[1]
    figure = json.loads(re.search(r'id="calibration-figure"[^>]*>(.*?)</script>', page, re.S)[1])
    go.Figure(figure)  # raises on an invalid Plotly property
    assert figure["data"][2]["x"] == [50.0, 80.0] and figure["data"][2]["y"] == [0.0, 75.0]
    assert figure["data"][1]["x"] == []  # these promises stored no forecast dates
    slip = json.loads(re.search(r'id="slip-figure"[^>]*>(.*?)</script>', page, re.S)[1])
    go.Figure(slip)


def test_an_empty_period_says_so_instead_of_showing_zero(client, ops_user):
    client.force_login(ops_user)

    page = client.get(URL).content.decode()

    assert "No delivered promise with a confidence level yet" in page
    assert _row(page, 'data-kept="current"') == [
        "Against the date at delivery",
        "0",
        "0",
        "no data",
    ]
    assert 'id="calibration-figure"' not in page


def test_the_demo_company_fills_utilisation_estimates_and_slip(
    client, django_assert_max_num_queries
):
    demo_company_create(seed=1, size="S")
    client.force_login(get_user_model().objects.get(username="ops"))

    with django_assert_max_num_queries(25):
        response = client.get(URL)

    context = response.context
    assert context["utilisation"].total.logged_hours > 0
    assert context["utilisation"].total.available_hours > 0
    assert context["effort"], "delivered demo projects have estimates and actual hours"
    assert context["kept"].deliveries > 0
