"""The adapter's translation from database rows to the engine's integer-day model."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from promisekeeper.catalog.models import SopDependency
from promisekeeper.delivery.models import Project
from promisekeeper.engine.model import EffortPhase, ProjectState
from promisekeeper.organisation.models import CompanyClosure, OrganisationSettings
from promisekeeper.promising.cache import plan_cache_clear, portfolio_snapshot
from promisekeeper.promising.snapshot import calendar_build
from promisekeeper.promising.to_engine import delivery_project_to_engine
from tests.factories import (
    TODAY,
    PersonFactory,
    ProjectFactory,
    ProjectPhaseFactory,
    RoleFactory,
    SkillFactory,
    SopPhaseFactory,
    SopVersionFactory,
    TimeOffFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _empty_cache():
    plan_cache_clear()
    yield
    plan_cache_clear()


def _organisation(**fields) -> OrganisationSettings:
    return OrganisationSettings.objects.create(
        name="Acme", country="GB", subdivision="ENG", **fields
    )


def test_calendar_closes_public_holidays_and_company_closures():
    today = datetime.date(2026, 12, 21)  # a Monday
    CompanyClosure.objects.create(
        name="Christmas", start_date=datetime.date(2026, 12, 24), end_date=datetime.date(2027, 1, 1)
    )
    calendar = calendar_build(org=_organisation(), today=today)
    assert calendar.start == today
    assert set(range(3, 12)) <= calendar.closed_days  # 24 Dec .. 1 Jan
    assert calendar.day_of(datetime.date(2027, 3, 29)) in calendar.closed_days  # Easter Monday
    assert calendar.day_of(datetime.date(2027, 5, 31)) in calendar.closed_days  # Spring bank hol.
    assert 0 not in calendar.closed_days
    assert not calendar.is_working_day(5)  # Saturday
    assert calendar.date_of(calendar.day_of(datetime.date(2027, 3, 1))) == datetime.date(2027, 3, 1)


def test_calendar_follows_working_weekdays_and_horizon():
    calendar = calendar_build(
        org=_organisation(working_weekdays=[0, 1, 2, 3], planning_horizon_days=90), today=TODAY
    )
    assert calendar.working_weekdays == (True, True, True, True, False, False, False)
    assert calendar.horizon_days == 90


def test_project_remaining_effort_is_estimate_times_what_is_left():
    role = RoleFactory(name="developer")
    sop = SopVersionFactory()
    design = SopPhaseFactory(sop_version=sop, key="design", role=role)
    build = SopPhaseFactory(sop_version=sop, key="build", role=role, order=1)
    SopDependency.objects.create(phase=build, predecessor=design, lag_days=5)
    project = ProjectFactory(
        sop_version=sop,
        status=Project.Status.IN_DELIVERY,
        promised_date=TODAY + datetime.timedelta(days=10),
    )
    ProjectPhaseFactory(
        project=project,
        sop_phase=design,
        key="design",
        role=role,
        effort_estimated_hours=Decimal(40),
        progress=Decimal("0.25"),
    )
    ProjectPhaseFactory(
        project=project,
        sop_phase=build,
        key="build",
        role=role,
        order=1,
        effort_estimated_hours=Decimal(100),
    )
    calendar = calendar_build(org=None, today=TODAY)
    engine_project = delivery_project_to_engine(
        Project.objects.prefetch_related("phases").get(pk=project.pk), calendar
    )
    first, second = engine_project.phases
    assert isinstance(first, EffortPhase) and isinstance(second, EffortPhase)
    assert first.effort_hours == pytest.approx(30.0)
    assert second.effort_hours == pytest.approx(100.0)
    assert [(d.phase, d.lag_days) for d in second.predecessors] == [("design", 5)]
    assert engine_project.promised_day == 10
    assert engine_project.state is ProjectState.IN_DELIVERY


def _phase_under_way(*, progress: str, actual: int) -> EffortPhase:
    role = RoleFactory(name="developer")
    sop = SopVersionFactory()
    build = SopPhaseFactory(sop_version=sop, key="build", role=role)  # 8/16/32 h: ×0.5 .. ×2
    project = ProjectFactory(sop_version=sop, status=Project.Status.IN_DELIVERY)
    ProjectPhaseFactory(
        project=project,
        sop_phase=build,
        key="build",
        role=role,
        effort_estimated_hours=Decimal(40),
        effort_actual_hours=Decimal(actual),
        progress=Decimal(progress),
    )
    calendar = calendar_build(org=None, today=TODAY)
    (phase,) = delivery_project_to_engine(
        Project.objects.prefetch_related("phases").get(pk=project.pk), calendar
    ).phases
    assert isinstance(phase, EffortPhase)
    return phase


def test_a_phase_past_its_estimate_keeps_the_work_its_spent_hours_imply():
    phase = _phase_under_way(progress="0.90", actual=48)  # "90 % done" at 120 % of 40 h
    assert (phase.effort_hours, phase.spent_hours) == (40.0, 48.0)
    assert (phase.effort_low, phase.effort_high) == (20.0, 80.0)
    assert phase.remaining_hours > 40 * 0.10  # more than the progress report leaves


def test_a_phase_whose_hours_ran_past_its_progress_plans_the_rest_at_that_pace():
    # 12 h bought 25 % (10 h by the estimate): the other 75 % at that pace is 36 h, more
    # than the progress rule's 30 h or the hours rule's 28 h.
    phase = _phase_under_way(progress="0.25", actual=12)
    assert (phase.effort_hours, phase.spent_hours) == (36.0, 0.0)
    assert phase.remaining_hours == 36.0


def test_snapshot_translates_people_and_skips_finished_projects():
    _organisation()
    role = RoleFactory(name="developer")
    person = PersonFactory(hours_fri=Decimal(0), delivery_share=Decimal("0.5"))
    SkillFactory(person=person, role=role, efficiency=Decimal("0.8"))
    PersonFactory()  # no skill: no capacity to plan with
    TimeOffFactory(
        person=person,
        start_date=TODAY + datetime.timedelta(days=2),
        end_date=TODAY + datetime.timedelta(days=3),
    )
    open_project = ProjectFactory(status=Project.Status.COMMITTED)
    ProjectPhaseFactory(project=open_project, role=role)
    ProjectFactory(status=Project.Status.DELIVERED, delivered_date=TODAY)
    ProjectFactory(status=Project.Status.CANCELLED)

    snapshot = portfolio_snapshot(today=TODAY)

    (engine_person,) = snapshot.instance.people
    assert engine_person.skills == {"developer": pytest.approx(0.8)}
    assert engine_person.weekly_hours[4] == 0.0
    assert engine_person.delivery_share == pytest.approx(0.5)
    assert [(t.start_day, t.end_day) for t in engine_person.time_off] == [(2, 4)]
    assert [ref.pk for ref in snapshot.projects.values() if ref.kind == "project"] == [
        open_project.pk
    ]


def test_snapshot_is_cached_until_the_ledger_moves():
    _organisation()
    first = portfolio_snapshot(today=TODAY)
    assert portfolio_snapshot(today=TODAY) is first
    CompanyClosure.objects.create(name="Inventory", start_date=TODAY, end_date=TODAY)
    rebuilt = portfolio_snapshot(today=TODAY)
    assert rebuilt is not first
    assert rebuilt.ledger_version == first.ledger_version + 1
