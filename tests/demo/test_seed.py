from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.utils import timezone

from promisekeeper.catalog.models import SopVersion
from promisekeeper.delivery.models import CheckIn, Project, ProjectPhase
from promisekeeper.demo.seed import DemoDataExists, demo_company_create
from promisekeeper.organisation.models import CompanyClosure, OrganisationSettings
from promisekeeper.organisation.permissions import is_operations, is_sales
from promisekeeper.organisation.working_days import working_days_get
from promisekeeper.people.models import Person, Skill, TimeOff
from promisekeeper.promising.holds import hold_place
from promisekeeper.sales.models import Deal, Hold

pytestmark = pytest.mark.django_db


def _fingerprint() -> tuple:
    return (
        list(
            Person.objects.order_by("email").values_list(
                "email", "hours_fri", "delivery_share", "start_date"
            )
        ),
        list(
            Skill.objects.order_by("person__email", "role__name").values_list(
                "person__email", "role__name", "efficiency"
            )
        ),
        list(
            TimeOff.objects.order_by("person__email", "start_date").values_list(
                "person__email", "start_date", "end_date"
            )
        ),
        list(
            Deal.objects.order_by("name", "stage", "wanted_date").values_list(
                "name", "stage", "wanted_date"
            )
        ),
        list(
            Project.objects.order_by("name", "release_date").values_list(
                "name", "status", "release_date", "promised_date", "delivered_date"
            )
        ),
        list(
            ProjectPhase.objects.order_by(
                "project__name", "project__release_date", "order"
            ).values_list("key", "progress", "effort_actual_hours")
        ),
    )


def _wipe() -> None:
    call_command("flush", interactive=False, verbosity=0)


def test_demo_company_has_the_promised_shape():
    demo_company_create(seed=1, size="S")
    assert OrganisationSettings.objects.get().name == "Northwind Digital & Installations"
    assert Person.objects.count() == 25
    assert Project.objects.filter(status="delivered").count() == 80
    assert Project.objects.exclude(status="delivered").count() == 25
    assert Deal.objects.count() == 60
    assert SopVersion.objects.values("offering").distinct().count() == 6
    assert Person.objects.filter(hours_fri=0).exists(), "some staff work four-day weeks"
    assert Skill.objects.filter(efficiency__lt=1).exists(), "some staff are cross-trained"
    assert CompanyClosure.objects.filter(name__startswith="Christmas").exists()
    late = [
        p for p in Project.objects.filter(status="delivered") if p.delivered_date > p.promised_date
    ]
    assert late, "some finished projects were late"


def test_demo_accounts_have_their_roles():
    demo_company_create(seed=1, size="S")
    users = {user.username: user for user in get_user_model().objects.all()}
    assert is_sales(users["sales"]) and not is_operations(users["sales"])
    assert is_operations(users["ops"]) and not is_sales(users["ops"])
    assert users["admin"].is_superuser
    assert users["sales"].check_password("promise-demo")


@pytest.mark.django_db(transaction=True)  # flush needs no open transaction
def test_same_seed_gives_the_same_company():
    demo_company_create(seed=7, size="S")
    first = _fingerprint()
    _wipe()
    demo_company_create(seed=7, size="S")
    assert _fingerprint() == first


@pytest.mark.django_db(transaction=True)  # flush needs no open transaction
def test_different_seed_gives_a_different_company():
    demo_company_create(seed=1, size="S")
    first = _fingerprint()
    _wipe()
    demo_company_create(seed=2, size="S")
    assert _fingerprint() != first


def test_demo_refuses_to_overwrite_existing_data():
    demo_company_create(seed=1, size="S")
    with pytest.raises(DemoDataExists):
        demo_company_create(seed=1, size="S")
    assert Person.objects.count() == 25


def test_seed_command_creates_requested_size_and_refuses_twice(capsys):
    call_command("seed", "--size", "S", "--seed", "3")
    assert "size S" in capsys.readouterr().out
    with pytest.raises(CommandError, match="already holds data"):
        call_command("seed", "--size", "S")


def test_the_demo_seller_can_hold_capacity_right_after_seeding():
    demo_company_create(seed=1, size="S")
    seller = get_user_model().objects.get(username="sales")
    assert Hold.objects.filter(created_by=seller, active=True).exists()
    deal = (
        Deal.objects.filter(
            stage=Deal.Stage.PROPOSAL, project__isnull=True, lines__offering__isnull=False
        )
        .distinct()
        .first()
    )
    assert deal is not None

    hold = hold_place(user=seller, deal=deal, days=2)

    deal.refresh_from_db()
    assert hold.active and deal.stage == Deal.Stage.HELD


def test_demo_timesheets_add_up_to_the_actual_hours_of_work_in_delivery():
    from django.db.models import Sum
    from django.utils import timezone

    from promisekeeper.delivery.models import TimesheetEntry
    from promisekeeper.delivery.timesheets import phase_actual_hours

    demo_company_create(seed=1, size="S")
    assert TimesheetEntry.objects.exists()
    logged = dict(
        TimesheetEntry.objects.values("phase_id")
        .annotate(total=Sum("minutes"))
        .values_list("phase_id", "total")
    )
    for phase in ProjectPhase.objects.filter(project__status="in_delivery"):
        assert phase.effort_actual_hours == phase_actual_hours(logged.get(phase.pk, 0))
    days = TimesheetEntry.objects.values("person_id", "day").annotate(total=Sum("minutes"))
    assert max(d["total"] for d in days) <= 8 * 60
    assert max(d["day"] for d in days) < timezone.localdate()


def test_demo_check_ins_fall_on_working_days_and_some_are_missed():
    demo_company_create(seed=1, size="S")
    days = list(CheckIn.objects.values_list("due_date", flat=True))
    assert days
    working = working_days_get(start=min(days), end=max(days))
    assert all(working.is_working(day) for day in days)
    today = timezone.localdate()
    missed = CheckIn.objects.filter(due_date__lt=today, done_at__isnull=True)
    held = CheckIn.objects.filter(done_at__isnull=False)
    assert missed.exists() and held.count() > missed.count()
