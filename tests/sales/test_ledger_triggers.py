"""The ledger moves on every write to a table the plan reads, whoever writes it (database
triggers), and a commit's journal row still lets another process replay it."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection
from django.urls import reverse

from promisekeeper.catalog.models import (
    IncomingSupply,
    Offering,
    Product,
    SopDependency,
    SopPhase,
    SopPhaseCrew,
    SopVersion,
    StockReservation,
)
from promisekeeper.delivery.models import Project, ProjectPhase
from promisekeeper.organisation.models import CompanyClosure, Ledger, OrganisationSettings
from promisekeeper.organisation.selectors import ledger_version_get
from promisekeeper.people.models import Person, Role, Skill, TimeOff
from promisekeeper.promising.cache import plan_cache_stats, portfolio_snapshot
from promisekeeper.promising.commit import promise_commit
from promisekeeper.promising.idempotency import commit_fingerprint
from promisekeeper.promising.lines import QuoteLine
from promisekeeper.promising.quote import quote_check
from promisekeeper.sales.models import (
    CapacityReservation,
    Deal,
    DealLine,
    Hold,
    ProductAvailability,
    ReservationChange,
)
from tests.sales.conftest import deal_for, nth_working_day

pytestmark = [pytest.mark.django_db, pytest.mark.both_databases]

# Every model promising.snapshot (or the quote's live stock check) reads.
PLANNED_MODELS = (
    OrganisationSettings,
    CompanyClosure,
    Role,
    Person,
    Skill,
    TimeOff,
    Offering,
    SopVersion,
    SopPhase,
    SopPhaseCrew,
    SopDependency,
    Product,
    IncomingSupply,
    StockReservation,
    Project,
    ProjectPhase,
    Deal,
    DealLine,
    Hold,
    CapacityReservation,
    ProductAvailability,
)


def _triggered_tables() -> set[str]:
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(
                "SELECT tbl_name FROM sqlite_master WHERE type = 'trigger' "
                "AND sql LIKE '%organisation_ledger%' GROUP BY tbl_name HAVING count(*) = 3"
            )
        else:
            cursor.execute(
                "SELECT event_object_table FROM information_schema.triggers "
                "WHERE action_statement LIKE '%pk_ledger_bump%' "
                "GROUP BY event_object_table HAVING count(*) = 3"
            )
        return {row[0] for row in cursor.fetchall()}


def test_every_table_the_plan_reads_bumps_the_ledger_on_insert_update_and_delete():
    # Guards against a later migration that rebuilds a table (SQLite) and drops its triggers.
    assert _triggered_tables() == {model._meta.db_table for model in PLANNED_MODELS}


def test_the_journal_and_the_ledger_itself_have_no_ledger_trigger():
    assert not _triggered_tables() & {
        ReservationChange._meta.db_table,
        Ledger._meta.db_table,
    }


def test_the_first_write_creates_the_ledger_row_and_each_write_moves_it():
    assert not Ledger.objects.exists()
    role = Role.objects.create(name="designer")
    assert ledger_version_get() == 1
    role.name = "visual designer"
    role.save()
    assert ledger_version_get() == 2
    role.delete()
    assert ledger_version_get() == 3


def _one_site(shop) -> list[QuoteLine]:
    return [QuoteLine(quantity=1, offering_id=shop.offering.pk)]


def _earliest(shop, user):
    return quote_check(
        user=user, customer=shop.customer, deal=None, lines=_one_site(shop), wanted_date=None
    ).earliest_date


def _admin_change_data(person: Person, hours: str) -> dict[str, str]:
    skill = person.skills.get()
    data = {
        "name": person.name,
        "email": person.email,
        "user": "",
        "team": "",
        "start_date": person.start_date.isoformat(),
        "end_date": "",
        "delivery_share": str(person.delivery_share),
        "cost_rate": "",
        "skills-TOTAL_FORMS": "1",
        "skills-INITIAL_FORMS": "1",
        "skills-MIN_NUM_FORMS": "0",
        "skills-MAX_NUM_FORMS": "1000",
        "skills-0-id": str(skill.pk),
        "skills-0-person": str(person.pk),
        "skills-0-role": str(skill.role_id),
        "skills-0-efficiency": str(skill.efficiency),
        "_save": "Save",
    }
    for day in ("mon", "tue", "wed", "thu", "fri"):
        data[f"hours_{day}"] = hours
    for day in ("sat", "sun"):
        data[f"hours_{day}"] = "0"
    return data


def test_hours_changed_through_the_orm_the_admin_or_raw_sql_give_a_fresh_quote(
    shop, sales_rep, superuser, client
):
    # 40 hours of work: 5 working days at 8 h, 10 at 4 h, 20 at 2 h.
    assert _earliest(shop, sales_rep) == nth_working_day(5)

    person = Person.objects.get(pk=shop.person.pk)
    for day in ("mon", "tue", "wed", "thu", "fri"):
        setattr(person, f"hours_{day}", Decimal(4))
    person.save()
    assert _earliest(shop, sales_rep) == nth_working_day(10)

    client.force_login(superuser)
    url = reverse("admin:people_person_change", args=[person.pk])
    response = client.post(url, _admin_change_data(person, "2"))
    assert response.status_code == 302, response.context["adminform"].errors
    assert _earliest(shop, sales_rep) == nth_working_day(20)

    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE people_person SET hours_mon = 8, hours_tue = 8, hours_wed = 8, "
            "hours_thu = 8, hours_fri = 8 WHERE id = %s",
            [person.pk],
        )
    assert _earliest(shop, sales_rep) == nth_working_day(5)


def test_a_commit_elsewhere_is_replayed_not_rebuilt(
    shop, sales_rep, django_capture_on_commit_callbacks
):
    deal = deal_for(shop, sales_rep)
    lines = _one_site(shop)
    before = portfolio_snapshot()
    version = before.ledger_version
    # This "process" keeps its snapshot; the commit's own cache put is not run (no callbacks).
    with django_capture_on_commit_callbacks(execute=False):
        result = promise_commit(
            user=sales_rep,
            deal=deal,
            lines=lines,
            promised_date=nth_working_day(5),
            idempotency_key="elsewhere",
            request_fingerprint=commit_fingerprint(
                deal_id=deal.pk, lines=lines, promised_date=nth_working_day(5), exception_id=None
            ),
        )
    assert result.status == "committed"
    change = ReservationChange.objects.get()
    assert change.first_version == version + 1
    assert change.version == ledger_version_get() > change.first_version  # several writes
    counted = plan_cache_stats()

    after = portfolio_snapshot()

    stats = plan_cache_stats()
    assert after.ledger_version == change.version
    assert stats.snapshot_replays == counted.snapshot_replays + 1
    assert stats.snapshot_builds == counted.snapshot_builds
    assert _earliest(shop, sales_rep) == nth_working_day(10)
