"""Item 13: a NUL byte or an out-of-range number in any input is a 400 naming the field.

On PostgreSQL a NUL in text reaches the database and fails (500); on SQLite a number past
64 bits overflows the driver (500). Both databases must answer 400 and write nothing.
"""

from __future__ import annotations

import pytest

from promisekeeper.api.services import api_token_create
from promisekeeper.delivery.models import ThankYouNote
from promisekeeper.sales.models import ExceptionRequest
from tests import factories
from tests.sales.conftest import deal_for, nth_working_day

pytestmark = pytest.mark.django_db

HUGE = "9" * 20


@pytest.fixture
def seller_client(client, shop, sales_rep):
    client.force_login(sales_rep)
    return client


@pytest.mark.parametrize(
    ("path", "field", "value"),
    [
        ("/delivery/projects/", "q", "a\x00b"),
        ("/delivery/projects/", "status", "\x00"),
        ("/people/", "role", "dev\x00"),
        ("/people/", "q", "\x00"),
        ("/insights/deals/", "q", "\x00"),
        ("/insights/deals/", "owner", HUGE),
        ("/delivery/projects/", "owner", HUGE),
        ("/delivery/projects/", "customer", HUGE),
        ("/delivery/projects/", "offering", HUGE),
        ("/people/", "team", HUGE),
        ("/", "team", HUGE),
        ("/", "salesperson", HUGE),
        ("/", "customer", HUGE),
        ("/insights/timeline/", "role", "\x00"),
        ("/sales/quote/", "deal", HUGE),
    ],
)
def test_a_bad_query_parameter_is_a_400_naming_it(
    client, shop, sales_rep, ops_manager, path, field, value
):
    # People pages are operations' to read (docs/permissions.md); the rest a seller's.
    client.force_login(ops_manager if path.startswith("/people/") else sales_rep)
    response = client.get(path, {field: value})
    assert response.status_code == 400, (path, field, response.status_code)
    assert field in response.content.decode()


def test_a_nul_in_a_form_field_is_a_400_and_writes_nothing(seller_client, shop, sales_rep):
    project = factories.ProjectFactory(customer=shop.customer, sop_version=shop.sop)
    response = seller_client.post(
        f"/delivery/projects/{project.pk}/thanks/", {"text": "Thanks\x00 a lot"}
    )
    assert response.status_code == 400
    assert "text" in response.content.decode()
    assert not ThankYouNote.objects.exists()


def test_a_huge_line_item_in_the_quote_form_is_refused_naming_the_line(seller_client, shop):
    response = seller_client.post(
        "/sales/quote/",
        {
            "customer": shop.customer.pk,
            "line_item": f"offering:{HUGE}",
            "line_quantity": "1",
            "action": "ask",
        },
    )
    assert response.status_code in (200, 400)
    assert "Line 1 item" in response.content.decode() or "line_item" in response.content.decode()


@pytest.fixture
def token(shop, sales_rep):
    return api_token_create(user=sales_rep)[1]


def test_a_nul_in_an_api_body_is_a_400_naming_the_field(client, shop, sales_rep, token):
    deal = deal_for(shop, sales_rep)
    response = client.post(
        "/api/exceptions",
        {
            "deal_id": deal.pk,
            "requested_date": nth_working_day(3).isoformat(),
            "scope_note": "rush\x00",
        },
        content_type="application/json",
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 400
    assert response.json()["field"] == "scope_note"
    assert not ExceptionRequest.objects.exists()


def test_a_nul_in_an_api_header_is_a_400_naming_it(client, shop, sales_rep, token):
    deal = deal_for(shop, sales_rep)
    response = client.post(
        f"/api/deals/{deal.pk}/cancel",
        {"reason": "x"},
        content_type="application/json",
        headers={"Authorization": f"Bearer {token}", "Idempotency-Key": "k\x00"},
    )
    assert response.status_code < 500
    assert response.status_code != 200


def test_a_nul_in_the_session_cookie_is_a_400_not_a_database_error(client, shop):
    client.cookies["sessionid"] = "abcdefgh\x00ijkl"
    response = client.get("/")
    assert response.status_code == 400
    assert "sessionid" in response.content.decode()
