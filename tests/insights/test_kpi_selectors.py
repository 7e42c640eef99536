"""The KPI page's figures from rows built with the factories, checked to the number."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from promisekeeper.catalog.models import SopPhase
from promisekeeper.delivery.models import Project, ProjectForecast
from promisekeeper.insights.kpis import triangular_quantile
from promisekeeper.insights.models import RiskStateChange
from promisekeeper.insights.selectors.checkins_held import checkins_held
from promisekeeper.insights.selectors.effort_calibration import effort_calibration_rows
from promisekeeper.insights.selectors.logged_utilisation import logged_utilisation
from promisekeeper.insights.selectors.promise_outcomes import (
    date_calibration_bins,
    forecast_calibration_bins,
    kept_summary,
    promise_outcomes,
    slip_buckets,
)
from promisekeeper.insights.selectors.recognition import rescued_promises
from promisekeeper.promising.available_hours import available_hours_by_person
from promisekeeper.promising.cache import portfolio_snapshot
from tests import factories

pytestmark = pytest.mark.django_db

D = datetime.date
DAY = datetime.timedelta(days=1)
SINCE = D(2026, 1, 1)
UNTIL = D(2026, 4, 30)


def _delivered(
    *promises: tuple[str | None, int], delivered: int, name: str = "", beyond: bool = False
) -> Project:
    """A project delivered ``delivered`` days after 1 Mar 2026, whose deal was promised
    (confidence, days after 1 Mar) in this order: the last one is the date in force."""
    base = D(2026, 3, 1)
    deal = factories.DealFactory()
    for confidence, offset in promises:
        factories.PromiseFactory(
            deal=deal,
            confidence=confidence,
            beyond_capacity=beyond and confidence is None,
            promised_date=base + offset * DAY,
        )
    return factories.ProjectFactory(
        name=name or deal.name,
        deal=deal,
        release_date=D(2025, 6, 1),
        promised_date=base + promises[-1][1] * DAY,
        delivered_date=base + delivered * DAY,
        status=Project.Status.DELIVERED,
    )


def test_date_calibration_bins_delivered_promises_by_the_confidence_of_the_date_in_force():
    for delivered in (0, -3, 5, 1, 10):  # P80 promises for 1 Mar: kept twice of five
        _delivered(("P80", 0), delivered=delivered)
    _delivered(("P50", 0), delivered=-1)  # kept
    _delivered(("P50", 0), delivered=2)  # late
    # Made at P95 first, re-dated at P80 to the 20th and delivered on the 15th: a kept P80.
    _delivered(("P95", 5), ("P80", 20), delivered=15)
    _delivered((None, 0), delivered=30, beyond=True)  # beyond capacity: no confidence
    factories.ProjectFactory(  # delivered before promises were recorded: no confidence
        release_date=D(2025, 6, 1),
        promised_date=D(2026, 3, 1),
        delivered_date=D(2026, 3, 1),
        status=Project.Status.DELIVERED,
    )
    _delivered(("P50", 0), delivered=-100)  # delivered before the period: not counted

    bins = date_calibration_bins(promise_outcomes(since=SINCE, until=UNTIL))

    assert [(b.level, b.stated, b.promises, b.kept) for b in bins] == [
        ("P50", 0.5, 2, 1),
        ("P80", 0.8, 6, 3),
        ("P95", 0.95, 0, 0),
    ]
    assert [b.observed for b in bins] == [0.5, 0.5, None]


def test_forecast_calibration_counts_every_promise_at_each_of_its_forecast_dates():
    base = D(2026, 3, 1)
    # (P50, P80, P95 dates as days after 1 Mar, delivered): by its P50 date once of three,
    # by its P80 date twice, by its P95 date three times; the last one has no P95 date.
    for p50, p80, p95, delivered in ((0, 4, 8, 2), (0, 3, 6, 7), (-2, 5, None, -3)):
        deal = factories.DealFactory()
        factories.PromiseFactory(  # the first promise: its forecast is not the one in force
            deal=deal, promised_date=base, p50_date=base, p80_date=base, p95_date=base
        )
        factories.PromiseFactory(
            deal=deal,
            promised_date=base + p80 * DAY,
            p50_date=base + p50 * DAY,
            p80_date=base + p80 * DAY,
            p95_date=None if p95 is None else base + p95 * DAY,
        )
        factories.ProjectFactory(
            deal=deal,
            release_date=D(2025, 6, 1),
            promised_date=base + p80 * DAY,
            delivered_date=base + delivered * DAY,
            status=Project.Status.DELIVERED,
        )

    bins = forecast_calibration_bins(promise_outcomes(since=SINCE, until=UNTIL))

    assert [(b.level, b.promises, b.kept) for b in bins] == [
        ("P50", 3, 1),
        ("P80", 3, 2),
        ("P95", 2, 1),
    ]


def test_kept_against_the_first_date_counts_a_re_dated_promise_as_broken():
    _delivered(("P80", 0), ("P80", 10), delivered=5)  # kept the new date, not the first
    _delivered(("P80", 0), delivered=0)  # kept both
    _delivered(("P80", 0), delivered=3)  # kept neither
    _delivered((None, 0), delivered=40, beyond=True)  # counted apart

    summary = kept_summary(promise_outcomes(since=SINCE, until=UNTIL))

    assert (summary.deliveries, summary.kept_current, summary.kept_original) == (3, 2, 1)
    assert summary.beyond_capacity == 1
    assert summary.current_rate == pytest.approx(2 / 3)
    assert summary.original_rate == pytest.approx(1 / 3)


def test_slip_distribution_counts_each_delivery_in_one_bucket_for_each_date():
    _delivered(("P80", 0), ("P80", 10), delivered=5)  # −5 against the new date, +5 the first
    _delivered(("P80", 0), delivered=0)  # on the day
    _delivered(("P80", 0), delivered=-9)  # more than a week early
    _delivered(("P80", 0), delivered=31)  # more than 30 days late
    _delivered(("P80", 0), delivered=14)  # 8–14 days late

    buckets = slip_buckets(promise_outcomes(since=SINCE, until=UNTIL))

    assert [(b.label, b.current, b.original) for b in buckets] == [
        ("more than a week early", 1, 1),
        ("1–7 days early", 1, 0),
        ("on the day", 1, 1),
        ("1–3 days late", 0, 0),
        ("4–7 days late", 0, 1),
        ("8–14 days late", 1, 1),
        ("15–30 days late", 0, 0),
        ("more than 30 days late", 1, 1),
    ]


def test_effort_calibration_per_offering_and_phase_uses_the_estimates_p80():
    sop = factories.SopVersionFactory(offering__name="Website")
    build = factories.SopPhaseFactory(
        sop_version=sop,
        name="Build",
        effort_low=Decimal(40),
        effort_likely=Decimal(40),
        effort_high=Decimal(60),
    )
    # Triangular (40, 40, 60): P80 = 60 − √(20 × 20 × 0.2) ≈ 51.06 hours.
    assert triangular_quantile(low=40, likely=40, high=60, q=0.8) == pytest.approx(51.0557, 1e-4)
    for actual in (36, 44, 52, 60):
        project = _delivered(("P80", 0), delivered=0)
        Project.objects.filter(pk=project.pk).update(sop_version=sop)
        factories.ProjectPhaseFactory(
            project=project,
            sop_phase=build,
            name="Build",
            effort_estimated_hours=Decimal(40),
            effort_actual_hours=Decimal(actual),
        )
    factories.ProjectPhaseFactory(  # no SOP range: the estimate is its own P80
        project=project,
        name="Design",
        effort_estimated_hours=Decimal(10),
        effort_actual_hours=Decimal(10),
    )
    factories.ProjectPhaseFactory(  # nothing logged: says nothing about the estimate
        project=project, name="Review", effort_estimated_hours=Decimal(8)
    )
    factories.ProjectPhaseFactory(  # a fixed phase has no hours estimate
        project=project,
        name="Install",
        kind=SopPhase.Kind.FIXED,
        effort_estimated_hours=Decimal(0),
        effort_actual_hours=Decimal(16),
    )

    rows = effort_calibration_rows(since=SINCE, until=UNTIL)

    table = [
        (
            r.offering,
            r.phase,
            r.calibration.phases,
            r.calibration.median_ratio,
            r.calibration.p80_ratio,
            r.calibration.within_p80,
        )
        for r in rows
    ]
    # Build: ratios 0.9, 1.1, 1.3, 1.5; median 1.2; P80 at rank 2.4 → 1.3 + 0.4 × 0.2 = 1.38;
    # within 51.06 h: 36 and 44. All phases add Design's 1.0 (within its P80).
    assert table == [
        ("Website", "", 5, pytest.approx(1.1), pytest.approx(1.34), 0.6),
        ("Website", "Build", 4, pytest.approx(1.2), pytest.approx(1.38), 0.5),
        ("Website", "Design", 1, 1.0, 1.0, 1.0),
    ]


def test_utilisation_divides_logged_by_available_hours_per_team_and_role():
    monday = D(2026, 3, 2)
    developer = factories.RoleFactory(name="developer")
    designer = factories.RoleFactory(name="designer")
    digital = factories.TeamFactory(name="Digital")
    studio = factories.TeamFactory(name="Studio")
    # Ada: 8 h weekdays at half delivery share → 4 h a day, 40 h in two weeks.
    ada = factories.PersonFactory(name="Ada", team=digital, delivery_share=Decimal("0.5"))
    factories.SkillFactory(person=ada, role=developer, efficiency=Decimal(1))
    factories.SkillFactory(person=ada, role=designer, efficiency=Decimal("0.5"))
    # Ben: 8 h a day, two days off → 64 h.
    ben = factories.PersonFactory(name="Ben", team=studio, delivery_share=Decimal(1))
    factories.SkillFactory(person=ben, role=designer, efficiency=Decimal(1))
    factories.TimeOffFactory(person=ben, start_date=D(2026, 3, 5), end_date=D(2026, 3, 6))
    gone = factories.PersonFactory(name="Gone", team=studio, end_date=D(2026, 2, 27))
    factories.SkillFactory(person=gone, role=designer)
    phase = factories.ProjectPhaseFactory()
    for day, minutes in ((0, 240), (1, 300), (8, 1260)):  # Ada: 30 h
        factories.TimesheetEntryFactory(
            person=ada, phase=phase, day=monday + day * DAY, minutes=minutes
        )
    for day in (0, 1, 2, 7, 8, 9, 10):  # Ben: 7 × 8 = 56 h
        factories.TimesheetEntryFactory(person=ben, phase=phase, day=monday + day * DAY)
    factories.TimesheetEntryFactory(person=ben, phase=phase, day=monday + 14 * DAY)  # after

    result = logged_utilisation(start=monday, end=monday + 13 * DAY)

    assert [(r.name, r.logged_hours, r.available_hours) for r in result.by_team] == [
        ("Digital", 30.0, 40.0),
        ("Studio", 56.0, 64.0),
    ]
    assert [r.utilisation for r in result.by_team] == [0.75, 0.875]
    assert [(r.name, r.logged_hours, r.available_hours) for r in result.by_role] == [
        ("designer", 56.0, 64.0),
        ("developer", 30.0, 40.0),  # Ada counts in her strongest role only
    ]
    assert (result.total.logged_hours, result.total.available_hours) == (86.0, 104.0)


def test_available_hours_are_the_planners_capacity_for_the_same_days():
    today = timezone.localdate()
    person = factories.SkillFactory(person__delivery_share=Decimal("0.75")).person
    factories.TimeOffFactory(person=person, start_date=today + 3 * DAY, end_date=today + 5 * DAY)
    snapshot = portfolio_snapshot(today=today)
    planned = float(snapshot.plan.capacity[0, :28].sum())

    available = available_hours_by_person(start=today, end=today + 27 * DAY)

    assert available == {person.pk: planned}
    assert 0 < planned < 20 * 8 * 0.75  # time off and weekends left out


def test_checkins_held_counts_those_due_in_the_period_and_marked_done():
    done = timezone.now()
    for due, held in ((D(2026, 3, 2), True), (D(2026, 3, 3), False), (D(2026, 3, 9), True)):
        factories.CheckInFactory(due_date=due, done_at=done if held else None)
    factories.CheckInFactory(kind="internal", due_date=D(2026, 3, 2), done_at=None)
    factories.CheckInFactory(due_date=D(2026, 3, 16), done_at=done)  # after the period
    factories.CheckInFactory(due_date=D(2026, 2, 27), done_at=done)  # before it

    rows = checkins_held(start=D(2026, 3, 2), end=D(2026, 3, 13))

    assert [(r.kind, r.due, r.held) for r in rows] == [
        ("Customer check-in", 3, 2),
        ("Sales–operations check-in", 1, 0),
        ("All check-ins", 4, 2),
    ]
    assert [r.share for r in rows] == [pytest.approx(2 / 3), 0.0, 0.5]


def test_recognition_names_who_logged_hours_on_at_risk_promises_delivered_on_time():
    now = timezone.now()
    rescued = _delivered(("P80", 10), delivered=8, name="Rescued")
    late_once = _delivered(("P80", 10), delivered=10, name="Was late")
    calm = _delivered(("P80", 10), delivered=5, name="Calm")
    broken = _delivered(("P80", 10), delivered=12, name="Broken")
    RiskStateChange.objects.create(
        project=rescued, before="on_track", after="at_risk", changed_at=now
    )
    RiskStateChange.objects.create(
        project=rescued, before="at_risk", after="on_track", changed_at=now
    )
    ProjectForecast.objects.create(  # its last forecast said late: no history rows needed
        project=late_once, state="late", checked_at=now, changed_at=now
    )
    RiskStateChange.objects.create(project=calm, before="", after="on_track", changed_at=now)
    RiskStateChange.objects.create(project=broken, before="", after="late", changed_at=now)
    ada, ben, cy = (factories.PersonFactory(name=n) for n in ("Ada", "Ben", "Cy"))
    for person, project in (
        (ben, rescued),
        (ada, rescued),
        (ada, rescued),
        (cy, calm),
        (cy, broken),
    ):
        phase = factories.ProjectPhaseFactory(project=project)
        factories.TimesheetEntryFactory(person=person, phase=phase)

    rows = rescued_promises(since=SINCE, until=UNTIL)

    assert [(r.project_name, r.people) for r in rows] == [
        ("Was late", []),
        ("Rescued", ["Ada", "Ben"]),
    ]
