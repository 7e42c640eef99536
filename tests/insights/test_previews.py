"""What-if previews plan the changed business in memory: the same answer as writing the change
and rolling it back, nothing written, and no lock held, so a commit completes meanwhile."""

from __future__ import annotations

import datetime
import threading
from collections.abc import Callable
from decimal import Decimal

import pytest
from django.db import connection, transaction

from promisekeeper.delivery.models import Project
from promisekeeper.delivery.services import project_create
from promisekeeper.organisation.selectors import ledger_version_get
from promisekeeper.people.models import Person, Skill, TimeOff
from promisekeeper.people.services import (
    person_build,
    person_hire,
    time_off_build,
    time_off_create,
    time_off_update,
)
from promisekeeper.promising.booking import CommitResult
from promisekeeper.promising.cache import portfolio_snapshot
from promisekeeper.promising.commit import promise_commit
from promisekeeper.promising.idempotency import commit_fingerprint
from promisekeeper.promising.lines import QuoteLine
from promisekeeper.promising.previews import (
    AffectedPromise,
    hire_preview,
    plan_changes,
    time_off_preview,
)
from promisekeeper.promising.snapshot import snapshot_build
from promisekeeper.sales.models import CapacityReservation, Promise
from tests.sales.conftest import Shop, deal_for, nth_working_day, shop_create


def _commit(shop: Shop, user: object, name: str, by: datetime.date) -> CommitResult:
    deal = deal_for(shop, user, name=name)
    lines = [QuoteLine(quantity=1, offering_id=shop.offering.pk)]
    return promise_commit(
        user=user,
        deal=deal,
        lines=lines,
        promised_date=by,
        idempotency_key=f"preview-{deal.pk}",
        request_fingerprint=commit_fingerprint(deal_id=deal.pk, lines=lines, promised_date=by),
    )


def _business(user: object) -> Shop:
    """Ana (the only developer) has "Booked" reserved on her first five working days and
    "Open" (40 unreserved hours) planned after it."""
    shop = shop_create()
    assert _commit(shop, user, "Booked", nth_working_day(20)).status == "committed"
    project_create(
        name="Open",
        customer=shop.customer,
        sop_version=shop.sop,
        release_date=nth_working_day(1),
        promised_date=nth_working_day(30),
    )
    return shop


def _written_and_rolled_back(change: Callable[[], object]) -> list[AffectedPromise]:
    """The old preview, as the reference: write the change, rebuild the plan, roll back."""
    before = portfolio_snapshot()
    with transaction.atomic():
        change()
        after = snapshot_build(today=before.today, ledger_version=-1)
        transaction.set_rollback(True)
    return plan_changes(before, after.firm_plan)


def _two_weeks_off(shop: Shop) -> dict[str, object]:
    return {
        "person": shop.person,
        "start_date": nth_working_day(1),
        "end_date": nth_working_day(10),
    }


def _newcomer() -> dict[str, object]:
    return {
        "name": "Cleo",
        "email": "cleo@example.com",
        "start_date": datetime.date(2020, 1, 1),
        "delivery_share": Decimal(1),
    }


def _counts() -> tuple[int, ...]:
    return (
        Person.objects.count(),
        Skill.objects.count(),
        TimeOff.objects.count(),
        Project.objects.count(),
        Promise.objects.count(),
        CapacityReservation.objects.count(),
        ledger_version_get(),
    )


@pytest.mark.django_db
def test_time_off_over_reserved_days_pushes_the_open_promise_later_as_a_write_would(sales_user):
    shop = _business(sales_user)
    fields = _two_weeks_off(shop)

    previewed = time_off_preview(time_off=time_off_build(**fields))

    assert previewed == _written_and_rolled_back(lambda: time_off_create(**fields))
    assert [a.name for a in previewed] == ["Open"]
    assert previewed[0].days_later is not None and previewed[0].days_later > 0


@pytest.mark.django_db
def test_moving_booked_time_off_previews_as_updating_it_would(sales_user):
    shop = _business(sales_user)
    booked = time_off_create(
        person=shop.person, start_date=nth_working_day(60), end_date=nth_working_day(61)
    )
    fields = _two_weeks_off(shop)
    del fields["person"]

    previewed = time_off_preview(
        time_off=time_off_build(person=shop.person, **fields), replaces=booked
    )

    assert previewed == _written_and_rolled_back(
        lambda: time_off_update(time_off=booked, kind="vacation", status="approved", **fields)
    )
    assert [a.name for a in previewed] == ["Open"]


@pytest.mark.django_db
def test_hiring_a_developer_pulls_the_open_promise_earlier_as_a_write_would(sales_user):
    shop = _business(sales_user)
    skills = [(shop.role, Decimal(1))]

    previewed = hire_preview(person=person_build(**_newcomer()), skills=skills)

    assert previewed == _written_and_rolled_back(lambda: person_hire(skills=skills, **_newcomer()))
    assert [a.name for a in previewed] == ["Open"]
    assert previewed[0].days_later is not None and previewed[0].days_later < 0


@pytest.mark.django_db
def test_a_preview_leaves_the_database_as_it_was(sales_user):
    shop = _business(sales_user)
    before = _counts()

    time_off_preview(time_off=time_off_build(**_two_weeks_off(shop)))
    hire_preview(person=person_build(**_newcomer()), skills=[(shop.role, Decimal(1))])

    assert _counts() == before


@pytest.mark.django_db(transaction=True)
@pytest.mark.both_databases
def test_a_commit_completes_while_a_preview_is_planning(sales_user):
    shop = _business(sales_user)
    planning = threading.Event()
    committed = threading.Event()
    outcome: dict[str, object] = {}

    def hold() -> None:
        planning.set()
        outcome["commit_finished_first"] = committed.wait(timeout=30)

    def preview() -> None:
        try:
            outcome["affected"] = time_off_preview(
                time_off=time_off_build(**_two_weeks_off(shop)), planning=hold
            )
        finally:
            connection.close()

    thread = threading.Thread(target=preview)
    thread.start()
    assert planning.wait(timeout=30)
    result = _commit(shop, sales_user, "Meanwhile", nth_working_day(40))
    still_previewing = thread.is_alive()
    committed.set()
    thread.join(timeout=60)

    assert result.status == "committed" and still_previewing
    assert Promise.objects.filter(deal__name="Meanwhile").exists()
    assert outcome["commit_finished_first"] is True
    assert [a.name for a in outcome["affected"]] == ["Open"]  # type: ignore[attr-defined]
