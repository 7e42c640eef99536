"""Eight saves race to log hours for one person on one day: no more than 24 h get in.

Each save logs 5 h on a phase of its own, so the day fits four of them; the check runs again
under the ledger lock, so the other four are refused however the saves interleave. Runs on
SQLite (file database, BEGIN IMMEDIATE) and, with PK_TEST_POSTGRES=1, on PostgreSQL.
"""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.db.models import Sum

from promisekeeper.delivery.models import TimesheetEntry
from promisekeeper.delivery.timesheets import EntryChange, TimesheetInvalid, timesheet_save
from tests import factories
from tests.delivery.timesheet_world import company_create
from tests.sales.test_concurrency import race

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.both_databases]

CLIENTS = 8


def test_racing_saves_never_put_more_than_24_hours_in_a_day():
    company = company_create()
    operator = factories.UserFactory(username="racing-ops")
    operator.groups.add(Group.objects.get_or_create(name="operations")[0])
    phases = [
        factories.ProjectPhaseFactory(project=company.site, role=company.developer, order=10 + k)
        for k in range(CLIENTS)
    ]
    day = company.day(2)

    def save(k: int) -> str:
        try:
            timesheet_save(
                user=operator,
                changes=[EntryChange(company.ada, phases[k], day, 5 * 60)],
                today=company.day(6),
            )
        except TimesheetInvalid:
            return "refused"
        return "saved"

    results = race(CLIENTS, save)

    assert sorted(map(str, results)) == ["refused"] * 4 + ["saved"] * 4
    total = TimesheetEntry.objects.filter(person=company.ada, day=day).aggregate(t=Sum("minutes"))
    assert total["t"] == 20 * 60
