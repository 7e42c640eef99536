from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from promisekeeper.organisation.selectors import ledger_version_get
from promisekeeper.people.models import Person, Skill, TimeOff
from promisekeeper.people.selectors import person_list_active, time_off_list
from promisekeeper.people.services import person_create, skill_set, time_off_create
from tests.factories import TODAY, PersonFactory, RoleFactory, SkillFactory, TimeOffFactory

pytestmark = pytest.mark.django_db


def _violates(factory, **fields) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        factory(**fields)


@pytest.mark.parametrize("share", ["-0.01", "1.01"])
def test_delivery_share_outside_zero_to_one_violates_constraint(share):
    _violates(PersonFactory, delivery_share=Decimal(share))


@pytest.mark.parametrize("share", ["0", "1"])
def test_delivery_share_at_the_bounds_is_allowed(share):
    assert PersonFactory(delivery_share=Decimal(share)).pk


def test_person_ending_before_starting_violates_constraint():
    _violates(PersonFactory, start_date=TODAY, end_date=TODAY - datetime.timedelta(days=1))


def test_negative_weekly_hours_violate_constraint():
    _violates(PersonFactory, hours_wed=Decimal("-1"))


def test_person_email_is_unique():
    PersonFactory(email="a@example.com")
    _violates(PersonFactory, email="a@example.com")


@pytest.mark.parametrize("efficiency", ["0", "1.51"])
def test_skill_efficiency_out_of_range_violates_constraint(efficiency):
    _violates(SkillFactory, efficiency=Decimal(efficiency))


def test_skill_efficiency_up_to_one_and_a_half_is_allowed():
    assert SkillFactory(efficiency=Decimal("1.5")).pk


def test_a_person_has_a_role_only_once():
    skill = SkillFactory()
    _violates(SkillFactory, person=skill.person, role=skill.role)


def test_time_off_ending_before_starting_violates_constraint():
    _violates(TimeOffFactory, start_date=TODAY, end_date=TODAY - datetime.timedelta(days=1))


def test_person_create_validates_and_bumps_ledger():
    person = person_create(name="Ada", email="ada@example.com", start_date=TODAY)
    assert Person.objects.get(pk=person.pk).weekly_hours[0] == Decimal(8)
    assert ledger_version_get() == 1
    with pytest.raises(ValidationError):
        person_create(name="Bad", email="not-an-email", start_date=TODAY)


def test_skill_set_updates_existing_skill():
    person = PersonFactory()
    role = RoleFactory(name="designer")
    skill_set(person=person, role=role, efficiency=Decimal("0.6"))
    skill_set(person=person, role=role, efficiency=Decimal("0.8"))
    assert Skill.objects.get(person=person, role=role).efficiency == Decimal("0.8")
    with pytest.raises(ValidationError):
        skill_set(person=person, role=role, efficiency=Decimal("2"))


def test_time_off_create_rejects_backwards_range():
    person = PersonFactory()
    with pytest.raises(ValidationError):
        time_off_create(
            person=person, start_date=TODAY, end_date=TODAY - datetime.timedelta(days=1)
        )
    time_off_create(person=person, start_date=TODAY, end_date=TODAY, hours_per_day=Decimal(4))
    assert TimeOff.objects.get().hours_per_day == Decimal(4)


def test_active_people_excludes_leavers_and_future_starters():
    current = PersonFactory()
    PersonFactory(
        start_date=TODAY - datetime.timedelta(days=30), end_date=TODAY - datetime.timedelta(days=1)
    )
    PersonFactory(start_date=TODAY + datetime.timedelta(days=1))
    assert list(person_list_active(on=TODAY)) == [current]


def test_time_off_list_returns_overlapping_absences():
    inside = TimeOffFactory(start_date=TODAY, end_date=TODAY + datetime.timedelta(days=2))
    TimeOffFactory(
        start_date=TODAY + datetime.timedelta(days=10), end_date=TODAY + datetime.timedelta(days=12)
    )
    assert list(
        time_off_list(
            start=TODAY + datetime.timedelta(days=1), end=TODAY + datetime.timedelta(days=5)
        )
    ) == [inside]
