"""factory_boy factories: valid rows by default, so each test varies one condition."""

from __future__ import annotations

import datetime
from decimal import Decimal

import factory
from django.contrib.auth import get_user_model

from promisekeeper.catalog.models import Offering, Product, SopPhase, SopVersion
from promisekeeper.delivery.models import CheckIn, Project, ProjectPhase, TimesheetEntry
from promisekeeper.people.models import Person, Role, Skill, Team, TimeOff
from promisekeeper.sales.models import Customer, Deal, DealLine, Promise

TODAY = datetime.date(2026, 3, 2)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda o: f"{o.username}@example.com")
    password = factory.django.Password("pass-word-123")


class RoleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Role
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"role{n}")


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Team

    name = factory.Sequence(lambda n: f"team{n}")


class PersonFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Person

    name = factory.Sequence(lambda n: f"Person {n}")
    email = factory.Sequence(lambda n: f"person{n}@example.com")
    start_date = TODAY - datetime.timedelta(days=365)


class SkillFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Skill

    person = factory.SubFactory(PersonFactory)
    role = factory.SubFactory(RoleFactory)
    efficiency = Decimal("1.00")


class TimeOffFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TimeOff

    person = factory.SubFactory(PersonFactory)
    start_date = TODAY
    end_date = TODAY + datetime.timedelta(days=4)


class OfferingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Offering

    name = factory.Sequence(lambda n: f"Offering {n}")


class SopVersionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SopVersion

    offering = factory.SubFactory(OfferingFactory)
    version = 1


class SopPhaseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SopPhase

    sop_version = factory.SubFactory(SopVersionFactory)
    key = factory.Sequence(lambda n: f"phase-{n}")
    name = factory.Sequence(lambda n: f"Phase {n}")
    kind = SopPhase.Kind.EFFORT
    role = factory.SubFactory(RoleFactory)
    effort_low = Decimal(8)
    effort_likely = Decimal(16)
    effort_high = Decimal(32)


class ProductFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Product

    sku = factory.Sequence(lambda n: f"SKU-{n}")
    name = factory.Sequence(lambda n: f"Product {n}")
    stock_on_hand = 10


class CustomerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Customer

    name = factory.Sequence(lambda n: f"Customer {n}")


class DealFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Deal

    customer = factory.SubFactory(CustomerFactory)
    name = factory.Sequence(lambda n: f"Deal {n}")


class DealLineFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = DealLine

    deal = factory.SubFactory(DealFactory)
    offering = factory.SubFactory(OfferingFactory)
    quantity = 1


class PromiseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Promise

    deal = factory.SubFactory(DealFactory)
    promised_date = TODAY + datetime.timedelta(days=30)
    confidence = "P80"
    created_by = factory.SubFactory(UserFactory)


class ProjectFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Project

    name = factory.Sequence(lambda n: f"Project {n}")
    customer = factory.SubFactory(CustomerFactory)
    sop_version = factory.SubFactory(SopVersionFactory)
    release_date = TODAY


class ProjectPhaseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ProjectPhase

    project = factory.SubFactory(ProjectFactory)
    key = factory.Sequence(lambda n: f"phase-{n}")
    name = factory.Sequence(lambda n: f"Phase {n}")
    kind = SopPhase.Kind.EFFORT
    role = factory.SubFactory(RoleFactory)
    effort_estimated_hours = Decimal(40)


class TimesheetEntryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TimesheetEntry

    person = factory.SubFactory(PersonFactory)
    phase = factory.SubFactory(ProjectPhaseFactory)
    day = TODAY
    minutes = 8 * 60


class CheckInFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CheckIn

    project = factory.SubFactory(ProjectFactory)
    kind = CheckIn.Kind.CUSTOMER
    due_date = TODAY
