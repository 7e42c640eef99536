"""Check-ins: scheduled on working days only, marked done with notes, missed ones shown."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from hypothesis import given, settings
from hypothesis import strategies as st

from promisekeeper.delivery.checkins import (
    checkin_complete,
    checkin_owner_set,
    checkin_slots,
    checkins_missed,
    checkins_schedule,
)
from promisekeeper.delivery.models import CheckIn, Project
from promisekeeper.organisation.models import CompanyClosure, OrganisationSettings
from promisekeeper.organisation.working_days import WorkingDays
from tests.factories import TODAY, ProjectFactory, SopVersionFactory, UserFactory

MONDAY = TODAY
DAY = datetime.timedelta(days=1)


@given(
    weekdays=st.frozensets(st.integers(0, 6), min_size=1),
    closed_offsets=st.frozensets(st.integers(0, 120), max_size=60),
    cadence=st.integers(1, 30),
    length=st.integers(0, 120),
)
@settings(max_examples=300, deadline=None)
def test_checkins_fall_only_on_working_days(weekdays, closed_offsets, cadence, length):
    working = WorkingDays(
        weekdays=weekdays, closed=frozenset(MONDAY + o * DAY for o in closed_offsets)
    )
    end = MONDAY + length * DAY
    slots = checkin_slots(start=MONDAY, end=end, cadence_days=cadence, working=working)
    for slot in slots:
        assert working.is_working(slot.due_date)
        assert MONDAY < slot.due_date <= end
    customers = [s.due_date for s in slots if s.kind == CheckIn.Kind.CUSTOMER]
    internals = [s.due_date for s in slots if s.kind == CheckIn.Kind.INTERNAL]
    assert len(customers) == len(set(customers)) and len(internals) <= len(customers)
    assert all(any(i <= c for c in customers) for i in internals)
    if customers:
        # A nominal day that is a working day keeps its check-in.
        nominal = MONDAY + cadence * DAY
        if nominal <= end and working.is_working(nominal):
            assert customers[0] == nominal


def test_a_cadence_day_on_a_closure_moves_to_the_next_working_day():
    # Every 7 days from Monday 2 March: Mondays 9, 16 and 23 March; 16 March is closed, and
    # the internal check-in comes the working day before the customer one.
    working = WorkingDays(weekdays=frozenset(range(5)), closed=frozenset({MONDAY + 14 * DAY}))
    slots = checkin_slots(start=MONDAY, end=MONDAY + 21 * DAY, cadence_days=7, working=working)
    customer = [s.due_date for s in slots if s.kind == CheckIn.Kind.CUSTOMER]
    internal = [s.due_date for s in slots if s.kind == CheckIn.Kind.INTERNAL]
    assert customer == [MONDAY + 7 * DAY, MONDAY + 15 * DAY, MONDAY + 21 * DAY]
    assert internal == [MONDAY + 4 * DAY, MONDAY + 11 * DAY, MONDAY + 18 * DAY]


def test_a_cadence_day_past_the_last_working_day_moves_back():
    # Release Monday, end Saturday, every 5 days: the nominal Saturday moves back to Friday.
    working = WorkingDays(weekdays=frozenset(range(5)), closed=frozenset())
    slots = checkin_slots(start=MONDAY, end=MONDAY + 5 * DAY, cadence_days=5, working=working)
    assert [(s.kind, s.due_date) for s in slots] == [
        (CheckIn.Kind.INTERNAL, MONDAY + 3 * DAY),
        (CheckIn.Kind.CUSTOMER, MONDAY + 4 * DAY),
    ]


def _project(**fields) -> Project:
    sop = SopVersionFactory(checkin_cadence_days=7)
    return ProjectFactory(
        sop_version=sop, release_date=MONDAY, promised_date=MONDAY + 28 * DAY, **fields
    )


@pytest.mark.django_db
def test_scheduled_checkins_skip_closures_and_public_holidays():
    OrganisationSettings.objects.create(name="Org", country="GB", subdivision="ENG")
    # 2026: Good Friday 3 April and Easter Monday 6 April are holidays in England.
    project = ProjectFactory(
        sop_version=SopVersionFactory(checkin_cadence_days=7),
        release_date=datetime.date(2026, 3, 23),
        promised_date=datetime.date(2026, 4, 20),
        sales_owner=UserFactory(username="owner"),
    )
    CompanyClosure.objects.create(
        name="Away day", start_date=datetime.date(2026, 3, 30), end_date=datetime.date(2026, 3, 31)
    )
    checkins_schedule(project=project, today=MONDAY)
    rows = list(project.checkins.values_list("kind", "due_date"))
    customer = [d for k, d in rows if k == CheckIn.Kind.CUSTOMER]
    assert customer == [
        datetime.date(2026, 4, 1),  # 30 March closed, 31 March closed
        datetime.date(2026, 4, 7),  # 6 April is Easter Monday
        datetime.date(2026, 4, 13),
        datetime.date(2026, 4, 20),
    ]
    internal = [d for k, d in rows if k == CheckIn.Kind.INTERNAL]
    assert datetime.date(2026, 4, 2) in internal  # the day before 7 April, skipping 3–6 April
    assert datetime.date(2026, 3, 27) in internal  # Friday before 1 April's closures
    assert {c.owner.username for c in project.checkins.all()} == {"owner"}


@pytest.mark.django_db
def test_rescheduling_after_a_new_closure_moves_open_checkins_and_keeps_done_ones(ops_user):
    project = _project()
    checkins_schedule(project=project, today=MONDAY)
    first = project.checkins.get(kind=CheckIn.Kind.CUSTOMER, due_date=MONDAY + 7 * DAY)
    checkin_complete(user=ops_user, checkin_id=first.pk, notes="Happy so far.")
    CompanyClosure.objects.create(
        name="Closed", start_date=MONDAY + 7 * DAY, end_date=MONDAY + 14 * DAY
    )
    checkins_schedule(project=project, today=MONDAY)
    days = set(project.checkins.values_list("due_date", flat=True))
    assert MONDAY + 7 * DAY in days, "a check-in already held stays where it was"
    assert MONDAY + 14 * DAY not in days and MONDAY + 15 * DAY in days


@pytest.mark.django_db
def test_a_cancelled_project_loses_its_coming_checkins():
    project = _project()
    checkins_schedule(project=project, today=MONDAY)
    assert project.checkins.exists()
    project.status = Project.Status.CANCELLED
    project.save()
    checkins_schedule(project=project, today=MONDAY)
    assert not project.checkins.exists()


@pytest.mark.django_db
def test_the_owner_marks_a_checkin_done_with_notes(client, sales_user):
    project = _project(sales_owner=sales_user)
    checkins_schedule(project=project, today=MONDAY)
    checkin = project.checkins.first()
    client.force_login(sales_user)
    response = client.post(
        reverse("delivery:checkin_done", args=[checkin.pk]), {"notes": "Customer wants a demo."}
    )
    assert response.status_code == 302
    checkin.refresh_from_db()
    assert checkin.done_at is not None and checkin.done_by == sales_user
    assert checkin.notes == "Customer wants a demo."
    page = client.get(reverse("delivery:checkins")).content.decode()
    assert "Customer wants a demo." in page


@pytest.mark.django_db
def test_a_checkin_needs_notes_and_is_done_once(ops_user):
    project = _project()
    checkins_schedule(project=project, today=MONDAY)
    checkin = project.checkins.first()
    with pytest.raises(ValidationError, match="what was discussed"):
        checkin_complete(user=ops_user, checkin_id=checkin.pk, notes="  ")
    checkin_complete(user=ops_user, checkin_id=checkin.pk, notes="Done.")
    with pytest.raises(ValidationError, match="already"):
        checkin_complete(user=ops_user, checkin_id=checkin.pk, notes="Again.")


@pytest.mark.django_db
def test_another_seller_may_not_mark_a_checkin_done(client, sales_user, groups):
    project = _project(sales_owner=sales_user)
    checkins_schedule(project=project, today=MONDAY)
    checkin = project.checkins.first()
    other = UserFactory(username="other-seller")
    other.groups.add(groups["sales"])
    with pytest.raises(PermissionDenied):
        checkin_complete(user=other, checkin_id=checkin.pk, notes="Not mine.")
    client.force_login(other)
    response = client.post(reverse("delivery:checkin_done", args=[checkin.pk]), {"notes": "x"})
    assert response.status_code == 403
    checkin.refresh_from_db()
    assert checkin.done_at is None


@pytest.mark.django_db
def test_missed_checkins_are_on_the_owners_and_operations_dashboards(client, sales_user, ops_user):
    project = _project(sales_owner=sales_user, name="Rollout")
    checkins_schedule(project=project, today=MONDAY)
    later = MONDAY + 8 * DAY
    missed = checkins_missed(user=sales_user, today=later)
    assert [(c.kind, c.due_date) for c in missed] == [
        (CheckIn.Kind.INTERNAL, MONDAY + 4 * DAY),
        (CheckIn.Kind.CUSTOMER, MONDAY + 7 * DAY),
    ]
    assert list(checkins_missed(user=ops_user, today=later)) == list(missed)
    checkin_complete(user=sales_user, checkin_id=missed[0].pk, notes="Aligned with ops.")
    assert checkins_missed(user=sales_user, today=later).count() == 1
    assert not checkins_missed(user=UserFactory(username="nobody"), today=later).exists()


@pytest.mark.django_db
def test_missed_checkin_shows_on_the_dashboard(client, sales_user):
    project = _project(sales_owner=sales_user, name="Rollout")
    CheckIn.objects.create(project=project, kind="customer", due_date=MONDAY - 3 * DAY)
    CheckIn.objects.filter(project=project).update(owner=sales_user)
    client.force_login(sales_user)
    page = client.get(reverse("insights:dashboard")).content.decode()
    assert "Missed customer check-in" in page and "Rollout" in page


@pytest.mark.django_db
def test_the_database_refuses_notes_on_an_open_checkin_and_duplicate_days():
    project = _project()
    CheckIn.objects.create(project=project, kind="customer", due_date=MONDAY)
    with pytest.raises(IntegrityError, match="(?i)unique"), transaction.atomic():
        CheckIn.objects.create(project=project, kind="customer", due_date=MONDAY)
    with pytest.raises(IntegrityError, match="checkin_notes_only_when_done"), transaction.atomic():
        CheckIn.objects.create(project=project, kind="internal", due_date=MONDAY, notes="x")
    with pytest.raises(IntegrityError, match="checkin_kind_valid"), transaction.atomic():
        CheckIn.objects.create(project=project, kind="lunch", due_date=MONDAY)


@pytest.mark.django_db
def test_operations_hand_a_checkin_to_another_seller_who_may_then_mark_it(
    client, sales_user, ops_user, groups
):
    project = _project(sales_owner=sales_user)
    checkins_schedule(project=project, today=MONDAY)
    checkin = project.checkins.first()
    other = UserFactory(username="other-seller")
    other.groups.add(groups["sales"])
    client.force_login(ops_user)
    page = client.get(reverse("delivery:checkins")).content.decode()
    assert reverse("delivery:checkin_owner", args=[checkin.pk]) in page
    client.post(reverse("delivery:checkin_owner", args=[checkin.pk]), {"owner": other.pk})
    checkin.refresh_from_db()
    assert checkin.owner == other
    checkin_complete(user=other, checkin_id=checkin.pk, notes="Took it over.")


@pytest.mark.django_db
def test_a_seller_may_not_hand_over_a_checkin_nor_to_someone_without_a_role(
    client, sales_user, ops_user
):
    project = _project(sales_owner=sales_user)
    checkins_schedule(project=project, today=MONDAY)
    checkin = project.checkins.first()
    nobody = UserFactory(username="no-role")
    with pytest.raises(PermissionDenied):
        checkin_owner_set(user=sales_user, checkin_id=checkin.pk, owner=ops_user)
    with pytest.raises(ValidationError, match="sales or operations"):
        checkin_owner_set(user=ops_user, checkin_id=checkin.pk, owner=nobody)
    client.force_login(ops_user)
    client.post(reverse("delivery:checkin_owner", args=[checkin.pk]), {"owner": nobody.pk})
    checkin.refresh_from_db()
    assert checkin.owner == sales_user


@pytest.mark.django_db
def test_the_project_page_links_to_its_checkins_and_the_list_filters_by_project(client, ops_user):
    shown, hidden = _project(name="Shown"), _project(name="Hidden")
    checkins_schedule(project=shown, today=MONDAY)
    checkins_schedule(project=hidden, today=MONDAY)
    client.force_login(ops_user)
    url = f"{reverse('delivery:checkins')}?project={shown.pk}"
    page = client.get(reverse("delivery:project_detail", args=[shown.pk])).content.decode()
    assert url in page
    listed = client.get(url).content.decode()
    assert ">Shown</a>" in listed and ">Hidden</a>" not in listed


def test_sales_and_operations_meet_on_their_own_cadence_when_the_sop_sets_one():
    working = WorkingDays(weekdays=frozenset(range(5)), closed=frozenset())
    # MONDAY is a Monday: customers every 14 days, sales and operations every 7.
    slots = checkin_slots(
        start=MONDAY,
        end=MONDAY + 28 * DAY,
        cadence_days=14,
        working=working,
        internal_cadence_days=7,
    )
    customer = [s.due_date for s in slots if s.kind == CheckIn.Kind.CUSTOMER]
    internal = [s.due_date for s in slots if s.kind == CheckIn.Kind.INTERNAL]
    assert customer == [MONDAY + 14 * DAY, MONDAY + 28 * DAY]
    assert internal == [MONDAY + 7 * DAY, MONDAY + 14 * DAY, MONDAY + 21 * DAY, MONDAY + 28 * DAY]


def test_an_internal_cadence_day_on_a_weekend_moves_to_the_next_working_day():
    working = WorkingDays(weekdays=frozenset(range(5)), closed=frozenset({MONDAY + 7 * DAY}))
    slots = checkin_slots(
        start=MONDAY,
        end=MONDAY + 20 * DAY,
        cadence_days=0,  # no customer check-ins at all
        working=working,
        internal_cadence_days=5,  # Saturday, then a closed Monday...
    )
    assert [(s.kind, s.due_date) for s in slots] == [
        (CheckIn.Kind.INTERNAL, MONDAY + 8 * DAY),  # Sat 5 -> Mon 7 closed -> Tue 8
        (CheckIn.Kind.INTERNAL, MONDAY + 10 * DAY),
        (CheckIn.Kind.INTERNAL, MONDAY + 15 * DAY),
        (CheckIn.Kind.INTERNAL, MONDAY + 18 * DAY),  # Sat 20 is the last day: back to Fri 18
    ]


@pytest.mark.django_db
def test_scheduled_internal_checkins_follow_the_sops_cadence_and_the_sales_owner_owns_them():
    owner = UserFactory(username="owner")
    project = ProjectFactory(
        sop_version=SopVersionFactory(checkin_cadence_days=14, internal_checkin_cadence_days=7),
        release_date=MONDAY,
        promised_date=MONDAY + 28 * DAY,
        sales_owner=owner,
    )
    checkins_schedule(project=project, today=MONDAY)
    internal = project.checkins.filter(kind=CheckIn.Kind.INTERNAL)
    assert list(internal.values_list("due_date", flat=True)) == [
        MONDAY + k * DAY for k in (7, 14, 21, 28)
    ]
    assert {c.owner_id for c in internal} == {owner.pk}


@pytest.mark.django_db
def test_the_project_page_shows_the_coming_checkins_with_who_and_the_set_time(client, ops_user):
    OrganisationSettings.objects.create(
        name="Org", country="", internal_checkin_time=datetime.time(14, 30)
    )
    today = timezone.localdate()
    project = ProjectFactory(
        name="Harbour",
        sop_version=SopVersionFactory(checkin_cadence_days=7),
        release_date=today,
        promised_date=today + 28 * DAY,
        sales_owner=UserFactory(username="sam", first_name="Sam", last_name="Seller"),
    )
    checkins_schedule(project=project, today=today)
    client.force_login(ops_user)
    page = client.get(reverse("delivery:project_detail", args=[project.pk])).content.decode()
    assert "Sales–operations check-in" in page
    assert "14:30–15:00" in page
    assert "Sam Seller (sales) with operations" in page
