from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest
from django.urls import reverse

from promisekeeper.catalog.models import SopPhase
from promisekeeper.catalog.services import sop_phase_add, sop_version_create
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def offering():
    role = factories.RoleFactory(name="developer")
    v1 = factories.SopVersionFactory(
        offering__name="Website build", checkin_channels="email", deliverables="A site"
    )
    sop_phase_add(
        sop_version=v1,
        key="build",
        name="Build",
        role=role,
        effort_low=Decimal(80),
        effort_likely=Decimal(100),
        effort_high=Decimal(150),
    )
    v2 = sop_version_create(offering=v1.offering, copy_from=v1, checkin_channels="email, call")
    SopPhase.objects.filter(sop_version=v2, key="build").update(effort_likely=Decimal(120))
    sop_phase_add(
        sop_version=v2,
        key="launch",
        name="Launch",
        role=role,
        effort_low=Decimal(8),
        effort_likely=Decimal(12),
        effort_high=Decimal(20),
    )
    return v1.offering


def test_offering_list_links_each_offering_with_its_current_version(client, offering, sales_user):
    client.force_login(sales_user)
    page = client.get(reverse("catalog:offerings")).content.decode()
    assert f'href="/catalog/offerings/{offering.pk}/"' in page
    assert "v2" in page


def test_offering_page_renders_the_current_sop(client, offering, sales_user):
    client.force_login(sales_user)
    response = client.get(reverse("catalog:offering_detail", args=[offering.pk]))
    assert response.context["current"].version == 2
    page = response.content.decode()
    assert "Launch" in page and "80.00 / 120.00 / 150.00" in page
    assert "every 7 days by email, call" in page
    assert "A site" in page


def test_version_history_shows_what_changed(client, offering, sales_user):
    client.force_login(sales_user)
    response = client.get(reverse("catalog:offering_detail", args=[offering.pk]))
    [(newer, older, diff)] = response.context["diffs"]
    assert (older.version, newer.version) == (1, 2)
    added = [line for kind, line in diff if kind == "add"]
    removed = [line for kind, line in diff if kind == "del"]
    assert any("Check-ins: every 7 days by email, call" in line for line in added)
    assert any("80.00/120.00/150.00" in line for line in added)
    assert any("80.00/100.00/150.00" in line for line in removed)
    assert any("Phase launch" in line for line in added)


def test_chosen_comparison_in_either_direction(client, offering, sales_user):
    client.force_login(sales_user)
    url = reverse("catalog:offering_detail", args=[offering.pk])
    backwards = client.get(url, {"from": "2", "to": "1"}).context["chosen"]
    assert any(kind == "del" and "Phase launch" in line for kind, line in backwards)
    same = client.get(url, {"from": "2", "to": "2"}).context["chosen"]
    assert same == []
    assert client.get(url, {"from": "9", "to": "1"}).context["chosen"] is None


def test_offerings_csv(client, offering, sales_user):
    client.force_login(sales_user)
    response = client.get(reverse("catalog:offerings"), {"format": "csv"})
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert rows == [
        {
            "offering_id": str(offering.pk),
            "offering": "Website build",
            "active": "True",
            "versions": "2",
            "current_version": "2",
        }
    ]


def test_missing_offering_is_404_and_pages_need_login(client, sales_user):
    assert client.get(reverse("catalog:offerings")).status_code == 302
    client.force_login(sales_user)
    assert client.get(reverse("catalog:offering_detail", args=[999])).status_code == 404
