"""A tiny business to quote against: one developer, one offering, one stocked product.

One "Website build" unit is 40 hours of developer work (no uncertainty, so dates are
exact); the developer has 8 hours on weekdays, so each unit takes five working days.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.contrib.auth.models import AnonymousUser, Group
from django.utils import timezone

from promisekeeper.catalog.models import Offering, Product, SopPhase, SopVersion
from promisekeeper.organisation.models import OrganisationSettings
from promisekeeper.people.models import Person, Role, Skill
from promisekeeper.promising.cache import plan_cache_clear
from promisekeeper.sales.models import Customer, Deal, DealLine
from tests import factories

HORIZON_DAYS = 120
UNIT_HOURS = Decimal(40)


@dataclass
class Shop:
    role: Role
    person: Person
    offering: Offering
    sop: SopVersion
    product: Product
    customer: Customer


def shop_create(*, stock: int = 10, hours_per_day: str = "8") -> Shop:
    """The business every sales test starts from."""
    OrganisationSettings.objects.create(
        name="Test shop", country="", planning_horizon_days=HORIZON_DAYS
    )
    role = Role.objects.create(name="developer")
    hours = Decimal(hours_per_day)
    person = Person.objects.create(
        name="Ana",
        email="ana@example.com",
        start_date=datetime.date(2020, 1, 1),
        delivery_share=Decimal("1.00"),
        hours_mon=hours,
        hours_tue=hours,
        hours_wed=hours,
        hours_thu=hours,
        hours_fri=hours,
    )
    Skill.objects.create(person=person, role=role, efficiency=Decimal("1.00"))
    offering = Offering.objects.create(name="Website build")
    sop = SopVersion.objects.create(offering=offering, version=1)
    SopPhase.objects.create(
        sop_version=sop,
        key="build",
        name="Build",
        kind=SopPhase.Kind.EFFORT,
        role=role,
        effort_per_unit_low=UNIT_HOURS,
        effort_per_unit_likely=UNIT_HOURS,
        effort_per_unit_high=UNIT_HOURS,
        max_hours_per_day=Decimal(8),
    )
    product = Product.objects.create(sku="KIT-1", name="Router kit", stock_on_hand=stock)
    customer = Customer.objects.create(name="Acme")
    plan_cache_clear()
    return Shop(role, person, offering, sop, product, customer)


def deal_for(
    shop: Shop, owner: object | None, *, name: str = "Acme site", quantity: int = 1
) -> Deal:
    deal = Deal.objects.create(customer=shop.customer, name=name, owner=owner)
    DealLine.objects.create(deal=deal, offering=shop.offering, quantity=quantity)
    return deal


def working_days_through(end: datetime.date) -> int:
    """Weekdays from today to ``end`` inclusive (the shop has no holidays)."""
    today = timezone.localdate()
    return sum(
        1
        for k in range((end - today).days + 1)
        if (today + datetime.timedelta(days=k)).weekday() < 5
    )


def nth_working_day(n: int) -> datetime.date:
    """The date of the n-th weekday from today (n=1: the first, today if a weekday)."""
    day = timezone.localdate()
    seen = 0
    while True:
        if day.weekday() < 5:
            seen += 1
            if seen == n:
                return day
        day += datetime.timedelta(days=1)


@pytest.fixture
def shop(db: None) -> Shop:
    return shop_create()


@pytest.fixture
def sales_rep(groups: dict[str, Group]) -> object:
    user = factories.UserFactory(username="rep")
    user.groups.add(groups["sales"])
    return user


@pytest.fixture
def other_rep(groups: dict[str, Group]) -> object:
    user = factories.UserFactory(username="other-rep")
    user.groups.add(groups["sales"])
    return user


@pytest.fixture
def ops_manager(groups: dict[str, Group]) -> object:
    user = factories.UserFactory(username="ops-manager")
    user.groups.add(groups["operations"])
    return user


@pytest.fixture
def anonymous() -> AnonymousUser:
    return AnonymousUser()
