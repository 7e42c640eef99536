"""Item 4, the other capacity cuts: a person's hours lowered or a company closure added over
reserved hours needs an explicit confirm in the admin; once confirmed the displaced hours are
placed again (before the promised date where they fit) and what cannot be kept is flagged
to the owner and operations at once.

Through the admin (HTTP, as an administrator), asserting the database afterwards. The shop:
one developer with 8 h on weekdays; one "Website build" unit is 40 h."""

# ruff: noqa: F811  (persona and shop fixtures are imported from tests.sales.conftest)

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.urls import reverse

from promisekeeper.organisation.models import CompanyClosure
from promisekeeper.people.models import Person, Skill
from promisekeeper.sales.models import AuditEvent, CapacityReservation, Notification, PersonDayLoad
from tests.integrity.invariants import capacity_violations
from tests.integrity.test_capacity_cut_time_off import _promise
from tests.sales.conftest import (  # noqa: F401  (fixtures)
    nth_working_day,
    ops_manager,
    sales_rep,
    shop,
)
from tests.sales.test_ledger_triggers import _admin_change_data

pytestmark = pytest.mark.django_db


def _reserved() -> list[tuple[datetime.date, int]]:
    return sorted(CapacityReservation.objects.values_list("day", "minutes"))


def _lower_hours(client, person: Person, hours: str, **extra):
    url = reverse("admin:people_person_change", args=[person.pk])
    return client.post(url, {**_admin_change_data(person, hours), **extra})


def test_lowering_a_persons_hours_under_promised_work_needs_a_confirm(
    client, shop, sales_rep, superuser
):
    _promise(shop, sales_rep, nth_working_day(10))
    before = _reserved()
    client.force_login(superuser)

    response = _lower_hours(client, shop.person, "4")

    assert response.status_code == 200
    errors = str(response.context["adminform"].form.errors["confirm"])
    assert "Acme site: 40 h move, kept" in errors  # every booked day is over the new hours
    assert Person.objects.get(pk=shop.person.pk).hours_mon == 8
    assert _reserved() == before


def test_confirmed_lower_hours_move_the_work_within_them_and_keep_the_promise(
    client, shop, sales_rep, superuser
):
    deal = _promise(shop, sales_rep, nth_working_day(10))
    client.force_login(superuser)

    response = _lower_hours(client, shop.person, "4", confirm="on")

    assert response.status_code == 302
    reserved = _reserved()
    assert sum(minutes for _, minutes in reserved) == 40 * 60
    assert max(minutes for _, minutes in reserved) == 4 * 60
    assert max(day for day, _ in reserved) == nth_working_day(10)
    assert set(PersonDayLoad.objects.values_list("capacity_minutes", flat=True)) == {4 * 60}
    assert capacity_violations(connection) == []
    event = AuditEvent.objects.get(action="promise.replanned", deal=deal)
    assert event.actor == superuser and event.payload["kept"] is True
    assert not Notification.objects.exists()


def test_lower_hours_that_break_a_promise_are_flagged_to_the_owner_and_operations(
    client, shop, sales_rep, ops_manager, superuser
):
    deal = _promise(shop, sales_rep, nth_working_day(5))
    client.force_login(superuser)

    response = _lower_hours(client, shop.person, "4", confirm="on")

    assert response.status_code == 302
    assert max(day for day, _ in _reserved()) == nth_working_day(10)
    assert capacity_violations(connection) == []
    told = set(Notification.objects.filter(deal=deal).values_list("user__username", flat=True))
    assert told == {sales_rep.username, ops_manager.username}
    assert "cannot be kept after the new hours or dates of Ana" in (
        Notification.objects.filter(user=sales_rep).get().text
    )


def _closure_data(start: datetime.date, end: datetime.date, **extra) -> dict[str, str]:
    return {
        "name": "Office move",
        "start_date": start.isoformat(),
        "end_date": end.isoformat(),
        "_save": "Save",
        **extra,
    }


def test_a_closure_over_promised_work_needs_a_confirm_then_moves_the_work_off_its_days(
    client, shop, sales_rep, superuser
):
    deal = _promise(shop, sales_rep, nth_working_day(10))
    start, end = nth_working_day(2), nth_working_day(3)
    before = _reserved()
    client.force_login(superuser)
    url = reverse("admin:organisation_companyclosure_add")

    refused = client.post(url, _closure_data(start, end))

    assert refused.status_code == 200
    assert "Acme site: 16 h move, kept" in str(refused.context["adminform"].form.errors)
    assert not CompanyClosure.objects.exists() and _reserved() == before

    saved = client.post(url, _closure_data(start, end, confirm="on"))

    assert saved.status_code == 302
    assert CompanyClosure.objects.get().start_date == start
    reserved = _reserved()
    assert not [day for day, _ in reserved if start <= day <= end]
    assert sum(minutes for _, minutes in reserved) == 40 * 60
    assert max(day for day, _ in reserved) == nth_working_day(7)
    assert set(
        PersonDayLoad.objects.filter(day=start).values_list("capacity_minutes", flat=True)
    ) <= {0}
    assert capacity_violations(connection) == []
    assert AuditEvent.objects.filter(action="promise.replanned", deal=deal).count() == 1


def test_a_closure_or_hours_change_over_free_days_saves_without_a_confirm(
    client, shop, sales_rep, superuser
):
    _promise(shop, sales_rep, nth_working_day(5))
    before = _reserved()
    client.force_login(superuser)
    later = nth_working_day(30)

    added = client.post(
        reverse("admin:organisation_companyclosure_add"), _closure_data(later, later)
    )
    raised = _lower_hours(client, shop.person, "9")

    assert added.status_code == 302 and raised.status_code == 302
    assert CompanyClosure.objects.count() == 1
    assert Person.objects.get(pk=shop.person.pk).hours_mon == 9
    assert _reserved() == before


def test_a_skill_promised_work_stands_on_cannot_be_removed_or_made_slower(
    client, shop, sales_rep, superuser
):
    _promise(shop, sales_rep, nth_working_day(10))
    skill = Skill.objects.get(person=shop.person)
    client.force_login(superuser)

    removed = _lower_hours(client, shop.person, "8", **{"skills-0-DELETE": "on"})
    slower = client.post(
        reverse("admin:people_skill_change", args=[skill.pk]),
        {"role": skill.role_id, "efficiency": "0.50", "_save": "Save"},
    )
    delete_page = client.get(reverse("admin:people_skill_delete", args=[skill.pk]))

    assert removed.status_code == 200
    refusal = str(removed.context["inline_admin_formsets"][0].formset.non_form_errors())
    assert "Ana holds 40 h of promised work as developer until" in refusal
    assert "cannot be removed" in refusal
    assert slower.status_code == 200
    assert "cannot be made slower" in str(slower.context["adminform"].form.errors)
    assert delete_page.status_code == 403
    assert Skill.objects.get(pk=skill.pk).efficiency == 1


def test_a_skill_without_promised_work_on_it_can_be_removed(client, shop, superuser):
    client.force_login(superuser)

    response = _lower_hours(client, shop.person, "8", **{"skills-0-DELETE": "on"})

    assert response.status_code == 302
    assert not Skill.objects.filter(person=shop.person).exists()
