"""Who may read what: sales read deals and promises, operations capacity and people, and why
someone is away only operations and that person know (docs/permissions.md)."""

# ruff: noqa: F811  (persona and shop fixtures are imported from tests.sales.conftest)

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from promisekeeper.api.services import api_token_create
from promisekeeper.insights.feeds import feed_token_issue
from promisekeeper.people.models import TimeOff
from tests.factories import TimeOffFactory, UserFactory
from tests.sales.conftest import (  # noqa: F401  (fixtures)
    deal_for,
    ops_manager,
    sales_rep,
    shop,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def no_role(db):
    return UserFactory(username="no-role")


@pytest.fixture
def sick(shop):
    today = timezone.localdate()
    return TimeOffFactory(
        person=shop.person,
        kind=TimeOff.Kind.SICK,
        status="approved",
        start_date=today,
        end_date=today + datetime.timedelta(days=2),
    )


def _feed(shop) -> str:
    return reverse("people:person_calendar", args=[shop.person.pk])


def _get(client, name, *args, **query):
    return client.get(reverse(name, args=args), query)


def test_a_user_without_a_role_reads_no_export_page_or_calendar(client, shop, sick, no_role):
    deal_for(shop, None)
    client.force_login(no_role)
    refused = {
        "deals.csv": _get(client, "insights:deals", format="csv"),
        "projects.csv": _get(client, "delivery:projects", format="csv"),
        "people.csv": _get(client, "people:people", format="csv"),
        "offerings.csv": _get(client, "catalog:offerings", format="csv"),
        "heatmap.csv": _get(client, "insights:heatmap_csv"),
        "at-risk.csv": _get(client, "insights:at_risk_csv"),
        "dashboard": _get(client, "insights:dashboard"),
        "person": _get(client, "people:person_detail", shop.person.pk),
        "calendar": client.get(_feed(shop)),
    }
    assert {name: r.status_code for name, r in refused.items()} == dict.fromkeys(refused, 403)
    assert "Sick" not in refused["calendar"].content.decode()
    assert "ask an administrator" in refused["dashboard"].content.decode()


def test_sales_read_deals_and_projects_but_not_people(client, shop, sick, sales_rep):
    client.force_login(sales_rep)
    deals = _get(client, "insights:deals", format="csv")
    assert deals.status_code == 200 and deals["Content-Type"].startswith("text/csv")
    assert _get(client, "delivery:projects", format="csv").status_code == 200
    assert _get(client, "people:people", format="csv").status_code == 403
    assert _get(client, "people:person_detail", shop.person.pk).status_code == 403
    assert client.get(_feed(shop)).status_code == 403
    page = _get(client, "insights:dashboard").content.decode()
    assert reverse("people:people") not in page  # no link the seller cannot follow
    assert 'name="expand"' not in page  # nor one person's load on the heatmap
    cell = _get(client, "insights:heatmap_cell", row=f"person:{shop.person.pk}", week=0)
    assert cell.status_code == 403
    heat = _get(client, "insights:heatmap_csv").content.decode()
    assert shop.person.name not in heat and "developer" in heat


def test_operations_read_people_and_why_they_are_away(client, shop, sick, ops_manager):
    client.force_login(ops_manager)
    people = _get(client, "people:people", format="csv")
    assert people.status_code == 200 and shop.person.name in people.content.decode()
    feed = client.get(_feed(shop))
    assert feed.status_code == 200 and "Sick (approved)" in feed.content.decode()
    heat = _get(client, "insights:heatmap_csv").content.decode()
    assert shop.person.name in heat


def test_a_person_reads_their_own_page_and_calendar_with_the_reason(client, shop, sick, no_role):
    shop.person.user = no_role
    shop.person.save()
    client.force_login(no_role)
    assert _get(client, "people:person_detail", shop.person.pk).status_code == 200
    feed = client.get(_feed(shop))
    assert feed.status_code == 200 and "Sick (approved)" in feed.content.decode()
    assert _get(client, "people:people").status_code == 403  # but not everyone else's


def test_a_sellers_calendar_link_shows_a_team_away_not_why(client, shop, sick, sales_rep):
    secret = feed_token_issue(user=sales_rep)
    feed = client.get(reverse("feeds:team", args=[secret, shop.role.pk]))
    assert feed.status_code == 200
    body = feed.content.decode()
    assert "Away (approved)" in body and "Sick" not in body


def test_the_api_refuses_a_token_without_a_role(client, shop, sales_rep, no_role):
    deal = deal_for(shop, sales_rep)
    _, key = api_token_create(user=no_role)
    headers = {"Authorization": f"Bearer {key}"}
    history = client.get(f"/api/deals/{deal.pk}/history", headers=headers)
    assert history.status_code == 403
    quote = client.post(
        "/api/quotes",
        {"lines": [{"offering_id": shop.offering.pk, "quantity": 1}]},
        content_type="application/json",
        headers=headers,
    )
    assert quote.status_code == 403
