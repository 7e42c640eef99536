"""Writes about people; each changes capacity, so each bumps the ledger."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from django.db import transaction

from promisekeeper.people.models import Person, Role, Skill, TimeOff


def person_build(*, name: str, email: str, start_date: datetime.date, **fields: Any) -> Person:
    """A validated person, not saved: what ``person_create`` would save (previews plan it)."""
    person = Person(name=name, email=email, start_date=start_date, **fields)
    person.full_clean()
    return person


@transaction.atomic
def person_create(*, name: str, email: str, start_date: datetime.date, **fields: Any) -> Person:
    """Create a validated person."""
    person = person_build(name=name, email=email, start_date=start_date, **fields)
    person.save()
    return person


@transaction.atomic
def skill_set(*, person: Person, role: Role, efficiency: Decimal) -> Skill:
    """Give a person a role at an efficiency (create or update)."""
    skill = Skill.objects.filter(person=person, role=role).first() or Skill(
        person=person, role=role
    )
    skill.efficiency = efficiency
    skill.full_clean()
    skill.save()
    return skill


def time_off_build(
    *,
    person: Person,
    start_date: datetime.date,
    end_date: datetime.date,
    kind: str = TimeOff.Kind.VACATION,
    status: str = TimeOff.Status.APPROVED,
    hours_per_day: Decimal | None = None,
) -> TimeOff:
    """A validated time-off entry, not saved: what ``time_off_create`` would book."""
    time_off = TimeOff(
        person=person,
        start_date=start_date,
        end_date=end_date,
        kind=kind,
        status=status,
        hours_per_day=hours_per_day,
    )
    time_off.full_clean()
    return time_off


@transaction.atomic
def time_off_create(
    *,
    person: Person,
    start_date: datetime.date,
    end_date: datetime.date,
    kind: str = TimeOff.Kind.VACATION,
    status: str = TimeOff.Status.APPROVED,
    hours_per_day: Decimal | None = None,
) -> TimeOff:
    """Book time off; validated, bumps the ledger."""
    time_off = time_off_build(
        person=person,
        start_date=start_date,
        end_date=end_date,
        kind=kind,
        status=status,
        hours_per_day=hours_per_day,
    )
    time_off.save()
    return time_off


@transaction.atomic
def person_hire(
    *,
    name: str,
    email: str,
    start_date: datetime.date,
    skills: list[tuple[Role, Decimal]],
    **fields: Any,
) -> Person:
    """Create a person with their skills in one transaction (so the plan never sees half)."""
    person = person_create(name=name, email=email, start_date=start_date, **fields)
    for role, efficiency in skills:
        skill_set(person=person, role=role, efficiency=efficiency)
    return person


@transaction.atomic
def time_off_update(
    *,
    time_off: TimeOff,
    start_date: datetime.date,
    end_date: datetime.date,
    kind: str,
    status: str,
    hours_per_day: Decimal | None = None,
) -> TimeOff:
    """Change booked time off; validated, bumps the ledger."""
    time_off.start_date = start_date
    time_off.end_date = end_date
    time_off.kind = kind
    time_off.status = status
    time_off.hours_per_day = hours_per_day
    time_off.full_clean()
    time_off.save()
    return time_off
