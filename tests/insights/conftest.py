"""A tiny portfolio whose plan is known: one developer, a late project and an easy one.

Ada works 8 delivery hours on weekdays; each project is 40 developer hours (five working days).
"Tight" is promised two days out, so it is late; "Easy" is promised in 60 days.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.utils import timezone

from promisekeeper.catalog.models import SopPhase, SopVersion
from promisekeeper.delivery.models import Project
from promisekeeper.delivery.services import project_create
from promisekeeper.insights.selectors import plan_facts
from promisekeeper.organisation.models import OrganisationSettings
from promisekeeper.people.models import Person, Role, Team
from promisekeeper.promising.cache import plan_cache_clear
from promisekeeper.sales.models import Customer
from tests import factories


@pytest.fixture(autouse=True)
def fresh_snapshot() -> Iterator[None]:
    """Each test's database is new, so no snapshot or plan facts may leak between tests."""
    plan_cache_clear()
    plan_facts._facts_cache.clear()
    yield
    plan_cache_clear()
    plan_facts._facts_cache.clear()


@dataclass
class World:
    today: datetime.date
    developer: Role
    designer: Role
    digital: Team
    other: Team
    ada: Person
    ben: Person
    sop: SopVersion
    alpha: Customer
    beta: Customer
    tight: Project
    easy: Project
    done_on_time: Project
    done_late: Project


def world_create(*, seller: object, other_seller: object) -> World:
    today = timezone.localdate()
    OrganisationSettings.objects.create(
        name="Acme Test", country="", planning_horizon_days=120, risk_slack_threshold_days=5
    )
    developer = factories.RoleFactory(name="developer")
    designer = factories.RoleFactory(name="designer")
    digital = factories.TeamFactory(name="Digital")
    other = factories.TeamFactory(name="Other")
    ada = factories.PersonFactory(name="Ada Lovelace", team=digital, delivery_share=Decimal(1))
    factories.SkillFactory(person=ada, role=developer, efficiency=Decimal(1))
    ben = factories.PersonFactory(name="Ben Design", team=other, delivery_share=Decimal(1))
    factories.SkillFactory(person=ben, role=designer, efficiency=Decimal(1))
    sop = factories.SopVersionFactory(offering__name="Site", checkin_cadence_days=7)
    SopPhase.objects.create(
        sop_version=sop,
        key="build",
        name="Build",
        role=developer,
        effort_low=Decimal(40),
        effort_likely=Decimal(40),
        effort_high=Decimal(40),
        max_hours_per_day=Decimal(8),
    )
    alpha = factories.CustomerFactory(name="Alpha Ltd")
    beta = factories.CustomerFactory(name="Beta Ltd")
    tight = project_create(
        name="Tight",
        customer=alpha,
        sop_version=sop,
        release_date=today,
        promised_date=today + datetime.timedelta(days=2),
    )
    easy = project_create(
        name="Easy",
        customer=beta,
        sop_version=sop,
        release_date=today,
        promised_date=today + datetime.timedelta(days=60),
    )
    Project.objects.filter(pk=tight.pk).update(sales_owner=seller)
    Project.objects.filter(pk=easy.pk).update(sales_owner=other_seller)
    done_on_time = _delivered(
        sop, alpha, today, promised=-10, delivered=-12, actual=50, owner=seller
    )
    done_late = _delivered(sop, beta, today, promised=-20, delivered=-16, actual=40, owner=seller)
    return World(
        today,
        developer,
        designer,
        digital,
        other,
        ada,
        ben,
        sop,
        alpha,
        beta,
        Project.objects.get(pk=tight.pk),
        Project.objects.get(pk=easy.pk),
        done_on_time,
        done_late,
    )


def _delivered(
    sop: SopVersion,
    customer: Customer,
    today: datetime.date,
    *,
    promised: int,
    delivered: int,
    actual: int,
    owner: object,
) -> Project:
    day = datetime.timedelta(days=1)
    project = factories.ProjectFactory(
        name=f"Delivered {promised}",
        customer=customer,
        sop_version=sop,
        release_date=today - 60 * day,
        promised_date=today + promised * day,
        delivered_date=today + delivered * day,
        status=Project.Status.DELIVERED,
        sales_owner=owner,
    )
    factories.ProjectPhaseFactory(
        project=project,
        key="build",
        name="Build",
        role=Role.objects.get(name="developer"),
        effort_estimated_hours=Decimal(40),
        effort_actual_hours=Decimal(actual),
        progress=Decimal(1),
    )
    return project


@pytest.fixture
def world(sales_user: object, ops_user: object) -> World:
    return world_create(seller=sales_user, other_seller=ops_user)
