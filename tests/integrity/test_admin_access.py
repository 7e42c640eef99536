"""The admin is for administrators only, shows service-written rows read-only, and records
every change it makes in the audit trail with the user who made it."""

# ruff: noqa: F811  (persona and shop fixtures are imported from tests.sales.conftest)

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group, User
from django.urls import reverse

from promisekeeper.demo.seed import demo_company_create
from promisekeeper.organisation.models import CompanyClosure
from promisekeeper.organisation.services import group_permissions_sync
from promisekeeper.people.models import Person
from promisekeeper.promising.exceptions import exception_request
from promisekeeper.sales.models import AuditEvent, Deal, ExceptionRequest
from tests.factories import UserFactory
from tests.integrity.conftest import row_counts
from tests.sales.conftest import (  # noqa: F401  (fixtures)
    deal_for,
    nth_working_day,
    ops_manager,
    other_rep,
    sales_rep,
    shop,
)

pytestmark = pytest.mark.django_db

PASSWORD = "pass-word-123"  # the factories' password
SERVICE_WRITTEN = [
    "sales_promise",
    "sales_auditevent",
    "sales_capacityreservation",
    "sales_persondayload",
    "sales_productavailability",
    "sales_reservationchange",
    "sales_exceptionrequest",
    "sales_hold",
    "catalog_stockreservation",
    "delivery_checkin",
    "delivery_projectforecast",
]


@pytest.fixture
def staff_seller(groups):
    """A seller with staff status, as the demo's seller used to be."""
    user = UserFactory(username="staff-seller", is_staff=True)
    user.groups.add(groups["sales"])
    return user


@pytest.fixture
def administrator(groups):
    group_permissions_sync()
    user = UserFactory(username="administrator")  # the admin role, without staff status
    user.groups.add(Group.objects.get(name="admin"))
    return user


def test_a_staff_seller_cannot_open_the_admin_or_approve_their_own_exception(
    client, shop, staff_seller, ops_manager
):
    deal = deal_for(shop, staff_seller)
    asked = exception_request(user=staff_seller, deal=deal, requested_date=nth_working_day(2))
    client.force_login(staff_seller)
    before = row_counts()
    change = reverse("admin:sales_exceptionrequest_change", args=[asked.pk])
    assert client.get(reverse("admin:index"))["Location"].startswith(reverse("admin:login"))
    response = client.post(
        change,
        {
            "deal": deal.pk,
            "requested_date": nth_working_day(2),
            "requested_by": staff_seller.pk,
            "status": "approved",
            "decided_by": ops_manager.pk,
        },
    )
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))
    assert ExceptionRequest.objects.get(pk=asked.pk).status == "pending"
    owner_change = reverse("admin:sales_deal_change", args=[deal.pk])
    assert client.post(owner_change, {"owner": ops_manager.pk}).status_code == 302
    assert Deal.objects.get(pk=deal.pk).owner_id == staff_seller.pk
    assert row_counts() == before


def test_the_admin_login_refuses_staff_without_the_admin_role(client, staff_seller, administrator):
    login = reverse("admin:login")
    refused = client.post(login, {"username": staff_seller.username, "password": PASSWORD})
    assert refused.status_code == 200 and refused.context["form"].errors
    assert "_auth_user_id" not in client.session
    allowed = client.post(login, {"username": administrator.username, "password": PASSWORD})
    assert allowed.status_code == 302
    assert client.get(reverse("admin:index")).status_code == 200


def test_the_demo_sellers_and_operators_are_not_staff():
    demo_company_create(seed=1, size="S")
    staff = {u.username: u.is_staff for u in User.objects.filter(username__in=["sales", "ops"])}
    assert staff == {"sales": False, "ops": False}
    assert User.objects.get(username="admin").groups.filter(name="admin").exists()


@pytest.mark.parametrize("model", SERVICE_WRITTEN)
def test_rows_the_services_write_are_read_only_in_the_admin_even_for_a_superuser(
    client, superuser, model
):
    client.force_login(superuser)
    assert client.get(reverse(f"admin:{model}_changelist")).status_code == 200
    before = row_counts()
    assert client.get(reverse(f"admin:{model}_add")).status_code == 403
    assert client.post(reverse(f"admin:{model}_add"), {}).status_code == 403
    assert row_counts() == before


def test_an_admin_change_of_a_deals_owner_is_in_its_history_with_the_real_user(
    client, shop, administrator, sales_rep, other_rep
):
    deal = deal_for(shop, sales_rep)
    client.force_login(administrator)
    change = reverse("admin:sales_deal_change", args=[deal.pk])
    form = client.get(change).context["adminform"].form
    data = {name: value for name, value in form.initial.items() if value is not None}
    data |= {
        "owner": other_rep.pk,
        "lines-TOTAL_FORMS": "0",
        "lines-INITIAL_FORMS": "0",
    }
    response = client.post(change, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert Deal.objects.get(pk=deal.pk).owner_id == other_rep.pk
    event = AuditEvent.objects.get(action="admin.changed")
    assert (event.actor, event.deal_id) == (administrator, deal.pk)
    assert event.payload["model"] == "sales.deal"
    assert event.payload["change"] == [{"changed": {"fields": ["Owner"]}}]


def test_admin_adds_and_deletes_of_what_plans_stand_on_are_audited(client, shop, administrator):
    client.force_login(administrator)
    response = client.post(
        reverse("admin:organisation_companyclosure_add"),
        {"name": "Summer", "start_date": nth_working_day(3), "end_date": nth_working_day(4)},
    )
    assert response.status_code == 302
    closure = CompanyClosure.objects.get(name="Summer")
    response = client.post(
        reverse("admin:people_person_changelist"),
        {"action": "delete_selected", "_selected_action": [shop.person.pk], "post": "yes"},
    )
    assert response.status_code == 302
    assert not Person.objects.filter(pk=shop.person.pk).exists()
    events = {
        (e.action, e.payload["model"], e.payload["object_id"]): e.actor
        for e in AuditEvent.objects.all()
    }
    assert events == {
        ("admin.added", "organisation.companyclosure", str(closure.pk)): administrator,
        ("admin.deleted", "people.person", str(shop.person.pk)): administrator,
    }
