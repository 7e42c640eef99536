"""The one adapter between the database and the engine: the business at one ledger version as
an engine instance, planned."""

from __future__ import annotations

import datetime
import threading
from collections import OrderedDict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import holidays
from django.db.models import Prefetch, Q
from django.utils import timezone

from promisekeeper.delivery.models import Project as DeliveryProject
from promisekeeper.delivery.models import ProjectPhase
from promisekeeper.engine.edits import Booked, pin_projects, plan_without, schedule_after
from promisekeeper.engine.model import (
    Calendar,
    Instance,
    Person,
    Project,
    ProjectState,
    TimeOff,
)
from promisekeeper.engine.plan import Allocations, Plan
from promisekeeper.organisation.models import CompanyClosure, OrganisationSettings
from promisekeeper.people.models import Person as DbPerson
from promisekeeper.people.models import Role
from promisekeeper.people.models import TimeOff as DbTimeOff
from promisekeeper.promising.plan_edits import CommittedProject, Pinned, firm_plan_build
from promisekeeper.promising.to_engine import (
    STATE_OF_STATUS,
    Memo,
    ProjectRef,
    day_index,
    deal_engine_id,
    deal_to_engine,
    delivery_project_to_engine,
    person_engine_id,
)
from promisekeeper.sales.models import CapacityReservation, Deal
from promisekeeper.sales.units import hours_from_minutes

TENTATIVE_DEAL_STAGES = (Deal.Stage.LEAD, Deal.Stage.QUALIFIED, Deal.Stage.PROPOSAL)


@dataclass(frozen=True)
class Snapshot:
    """The business at one ledger version, as the engine sees it, with its plans.

    ``plan`` (firm work plus the tentative pipeline) is planned on first use: promise
    questions and commits need only ``firm_plan``, pictures of load and demand need both.
    """

    ledger_version: int
    today: datetime.date
    instance: Instance
    firm_plan: Plan
    projects: dict[str, ProjectRef]
    people: dict[str, int]
    built_in_seconds: float = 0.0
    hold_expiries: Mapping[str, datetime.datetime] = field(default_factory=dict)
    """When each active hold the firm plan counts expires, by the held deal's engine id."""
    memo: Memo = field(default_factory=dict, repr=False, compare=False)
    answers: OrderedDict[tuple[Any, ...], Any] = field(
        default_factory=OrderedDict, init=False, repr=False, compare=False
    )
    """Answers computed on this very snapshot (see ``cache.answer_cached``); a new snapshot,
    replayed or rebuilt, starts with none."""
    answers_lock: threading.Lock = field(
        default_factory=threading.Lock, init=False, repr=False, compare=False
    )
    _pipeline: list[Plan] = field(default_factory=list, repr=False, compare=False)
    _pipeline_lock: threading.Lock = field(
        default_factory=threading.Lock, repr=False, compare=False
    )

    @property
    def valid_until(self) -> datetime.datetime | None:
        """When the first hold this snapshot counts expires: past it, the snapshot is stale
        (time moves without the ledger)."""
        return min(self.hold_expiries.values(), default=None)

    @property
    def plan(self) -> Plan:
        """The firm plan with the tentative pipeline planned after it (computed once)."""
        if self._pipeline:
            return self._pipeline[0]
        with self._pipeline_lock:
            if not self._pipeline:
                firm_count = len(self.firm_plan.instance.projects)
                if firm_count == len(self.instance.projects):
                    self._pipeline.append(self.firm_plan)
                else:
                    self._pipeline.append(schedule_after(self.firm_plan, self.instance))
        return self._pipeline[0]

    def day_of(self, when: datetime.date) -> int:
        return self.instance.calendar.day_of(when)

    def date_of(self, day: int) -> datetime.date:
        return self.instance.calendar.date_of(day)

    def clamp_day(self, when: datetime.date) -> int:
        """Day index of ``when``, pulled into the horizon (a past date becomes today)."""
        return min(max(self.day_of(when), 0), self.instance.calendar.horizon_days - 1)


def snapshot_build(*, today: datetime.date, ledger_version: int) -> Snapshot:
    """Read the database and plan it; uncached (``portfolio_snapshot`` caches it)."""
    import time

    started = time.perf_counter()
    org = OrganisationSettings.objects.filter(singleton=True).first()
    calendar = calendar_build(org=org, today=today)
    roles = tuple(Role.objects.order_by("name").values_list("name", flat=True))
    people, people_map = _people(calendar)
    memo: Memo = {}
    firm, tentative, refs, hold_expiries = _projects(calendar, memo)
    instance = Instance(calendar, roles, people, (*firm, *tentative))
    pinned = pinned_allocations(instance, refs, people_map)
    firm_plan = firm_plan_build(replace(instance, projects=instance.projects[: len(firm)]), pinned)
    return Snapshot(
        ledger_version=ledger_version,
        today=today,
        instance=instance,
        firm_plan=firm_plan,
        projects=refs,
        people=people_map,
        built_in_seconds=time.perf_counter() - started,
        hold_expiries=hold_expiries,
        memo=memo,
    )


def calendar_build(
    *, org: OrganisationSettings | None, today: datetime.date, horizon_days: int | None = None
) -> Calendar:
    """The planning calendar from today: working weekdays, public holidays and closures, over
    the organisation's planning horizon or ``horizon_days`` (a period looked back on)."""
    horizon = horizon_days or (org.planning_horizon_days if org else 548)
    weekdays = set(org.working_weekdays) if org else {0, 1, 2, 3, 4}
    end = today + datetime.timedelta(days=horizon)
    closed: set[int] = set()
    if org and org.country:
        years = range(today.year, end.year + 1)
        public = holidays.country_holidays(org.country, subdiv=org.subdivision or None, years=years)
        closed.update((day - today).days for day in public if today <= day < end)
    for closure in CompanyClosure.objects.filter(end_date__gte=today, start_date__lt=end):
        first = max(closure.start_date, today)
        last = min(closure.end_date, end - datetime.timedelta(days=1))
        closed.update(range((first - today).days, (last - today).days + 1))
    return Calendar(
        start=today,
        horizon_days=horizon,
        working_weekdays=tuple(w in weekdays for w in range(7)),
        closed_days=frozenset(closed),
    )


def _people(calendar: Calendar) -> tuple[tuple[Person, ...], dict[str, int]]:
    rows = (
        DbPerson.objects.filter(_active_in_horizon(calendar))
        .prefetch_related("skills__role", "time_off")
        .order_by("pk")
    )
    people = []
    for row in rows:
        skills = {skill.role.name: float(skill.efficiency) for skill in row.skills.all()}
        if not skills:
            continue
        off = row.time_off.all()
        people.append(person_to_engine(row, skills=skills, time_off=off, today=calendar.start))
    return tuple(people), {p.id: int(p.id.removeprefix("person-")) for p in people}


def person_to_engine(
    row: DbPerson,
    *,
    skills: dict[str, float],
    time_off: Iterable[DbTimeOff],
    today: datetime.date,
    engine_id: str | None = None,
) -> Person:
    """A person row (saved or not) as the engine's person; time off that ended is dropped."""
    return Person(
        engine_id or person_engine_id(row.pk),
        skills,
        weekly_hours=tuple(float(h) for h in row.weekly_hours),
        start_day=max(0, (row.start_date - today).days),
        end_day=None if row.end_date is None else max(0, (row.end_date - today).days + 1),
        delivery_share=float(row.delivery_share),
        time_off=tuple(time_off_to_engine(t, today=today) for t in time_off if t.end_date >= today),
    )


def time_off_to_engine(row: DbTimeOff, *, today: datetime.date) -> TimeOff:
    """A time-off row (saved or not) as engine days: its last day is included."""
    return TimeOff(
        (row.start_date - today).days,
        (row.end_date - today).days + 1,
        None if row.hours_per_day is None else float(row.hours_per_day),
    )


def _active_in_horizon(calendar: Calendar) -> Q:
    end = calendar.date_of(calendar.horizon_days)
    return Q(start_date__lt=end) & (Q(end_date__isnull=True) | Q(end_date__gte=calendar.start))


def _projects(
    calendar: Calendar, memo: Memo
) -> tuple[list[Project], list[Project], dict[str, ProjectRef], dict[str, datetime.datetime]]:
    firm: list[Project] = []
    tentative: list[Project] = []
    refs: dict[str, ProjectRef] = {}
    phase_rows = ProjectPhase.objects.select_related("role", "sop_phase").prefetch_related(
        "sop_phase__predecessors__predecessor"
    )
    projects = (
        DeliveryProject.objects.filter(status__in=list(STATE_OF_STATUS))
        .prefetch_related(Prefetch("phases", queryset=phase_rows))
        .order_by("pk")
    )
    for row in projects:
        project = delivery_project_to_engine(row, calendar)
        refs[project.id] = ProjectRef("project", row.pk)
        (tentative if project.state is ProjectState.TENTATIVE else firm).append(project)
    hold_expiries: dict[str, datetime.datetime] = {}
    for deal, state, expires in _deals_without_project(calendar):
        deal_project = deal_to_engine(deal, calendar, state, memo)
        if deal_project is None:
            continue
        refs[deal_project.id] = ProjectRef("deal", deal.pk)
        (tentative if state is ProjectState.TENTATIVE else firm).append(deal_project)
        if expires is not None:
            hold_expiries[deal_project.id] = expires
    return firm, tentative, refs, hold_expiries


def _deals_without_project(
    calendar: Calendar,
) -> Iterable[tuple[Deal, ProjectState, datetime.datetime | None]]:
    now = timezone.now()
    deals = (
        Deal.objects.filter(project__isnull=True)
        .filter(stage__in=[*TENTATIVE_DEAL_STAGES, Deal.Stage.HELD])
        .prefetch_related("lines__offering", "holds")
        .order_by("pk")
    )
    for deal in deals:
        live = [h.expires_at for h in deal.holds.all() if h.active and h.expires_at > now]
        if live:
            yield deal, ProjectState.HELD, min(live)
        else:
            yield deal, ProjectState.TENTATIVE, None


def pinned_allocations(
    instance: Instance, refs: dict[str, ProjectRef], people_map: dict[str, int]
) -> Pinned:
    """Reserved hours of open delivery projects in ``instance``, as allocations keyed by
    project index (what ``firm_plan_build`` pins)."""
    index_of_pk = {
        ref.pk: k
        for k, project in enumerate(instance.projects)
        if (ref := refs[project.id]).kind == "project"
    }
    row_of_person = {people_map[p.id]: row for row, p in enumerate(instance.people)}
    phase_index = {
        k: {phase.id: j for j, phase in enumerate(instance.projects[k].phases)}
        for k in index_of_pk.values()
    }
    horizon = instance.calendar.horizon_days
    today = instance.calendar.start
    columns: dict[int, list[tuple[int, int, int, float]]] = {}
    rows = CapacityReservation.objects.filter(project_id__in=list(index_of_pk)).values_list(
        "project_id", "phase_key", "person_id", "day", "minutes"
    )
    for project_pk, phase_key, person_pk, day, minutes in rows:
        k = index_of_pk[project_pk]
        columns.setdefault(k, [])
        d = (day - today).days
        person = row_of_person.get(person_pk)
        phase = phase_index[k].get(phase_key)
        if 0 <= d < horizon and person is not None and phase is not None:
            columns[k].append((person, d, phase, hours_from_minutes(minutes)))
    return {k: Allocations.from_rows(rows_, project=k) for k, rows_ in columns.items()}


def snapshot_with_commits(
    snapshot: Snapshot, *, ledger_version: int, commits: Sequence[CommittedProject]
) -> Snapshot:
    """``snapshot`` with each committed project pinned to its hours, in one pass (one copy of
    the free grid however many commits are replayed); a later commit of the same project
    supersedes an earlier one."""
    latest = {c.project.id: c for c in commits}
    gone: set[str] = set(latest)
    for c in commits:
        gone.update(r for r in c.replaces if r)
        if c.deal_pk is not None:
            gone.add(deal_engine_id(c.deal_pk))
    firm_plan = pin_projects(
        snapshot.firm_plan, [Booked(c.project, c.allocations) for c in commits], removing=gone
    )
    firm_instance = firm_plan.instance
    kept = list(latest.values())
    tentative = tuple(
        p
        for p in snapshot.instance.projects[len(snapshot.firm_plan.instance.projects) :]
        if p.id not in gone
    )
    instance = replace(firm_instance, projects=(*firm_instance.projects, *tentative))
    refs = {pid: r for pid, r in snapshot.projects.items() if pid not in gone}
    refs.update((c.project.id, c.ref) for c in kept)
    return Snapshot(
        ledger_version=ledger_version,
        today=snapshot.today,
        instance=instance,
        firm_plan=firm_plan,
        projects=refs,
        people=snapshot.people,
        hold_expiries={d: t for d, t in snapshot.hold_expiries.items() if d not in gone},
        memo=snapshot.memo,
    )


@dataclass(frozen=True)
class HoldPlaced:
    """A hold placed on a deal without a project: it plans as HELD, due by ``wanted_date``,
    until ``expires_at``."""

    deal_pk: int
    wanted_date: datetime.date | None
    expires_at: datetime.datetime


def snapshot_with_hold(
    snapshot: Snapshot, *, ledger_version: int, hold: HoldPlaced
) -> Snapshot | None:
    """``snapshot`` with the deal's work planned as held after the firm work, as its quote
    placed it (nothing else moves); None when the snapshot does not plan that deal (only a
    rebuild can then say what it is)."""
    deal_id = deal_engine_id(hold.deal_pk)
    firm_plan, tentative, current = _take_out(snapshot, deal_id)
    if current is None:
        return None
    calendar = snapshot.instance.calendar
    held = replace(
        current, state=ProjectState.HELD, promised_day=day_index(calendar, hold.wanted_date)
    )
    firm_instance = firm_plan.instance
    firm_plan = schedule_after(
        firm_plan, replace(firm_instance, projects=(*firm_instance.projects, held))
    )
    return _with_plans(
        snapshot,
        ledger_version=ledger_version,
        firm_plan=firm_plan,
        tentative=tentative,
        hold_expiries={**snapshot.hold_expiries, deal_id: hold.expires_at},
    )


def snapshot_without_holds(
    snapshot: Snapshot, *, ledger_version: int, deal_pks: Sequence[int]
) -> Snapshot | None:
    """``snapshot`` with the held work of these deals (their holds expired or were released)
    back in the tentative pipeline, its hours free again; None when a deal is not held there."""
    for deal_pk in deal_pks:
        deal_id = deal_engine_id(deal_pk)
        firm_plan, tentative, held = _take_out(snapshot, deal_id)
        if held is None or held.state is not ProjectState.HELD:
            return None
        tentative.append(replace(held, state=ProjectState.TENTATIVE, promised_day=None))
        expiries = {d: t for d, t in snapshot.hold_expiries.items() if d != deal_id}
        snapshot = _with_plans(
            snapshot,
            ledger_version=ledger_version,
            firm_plan=firm_plan,
            tentative=tentative,
            hold_expiries=expiries,
        )
    return replace(snapshot, ledger_version=ledger_version)


def _take_out(snapshot: Snapshot, project_id: str) -> tuple[Plan, list[Project], Project | None]:
    """The firm plan and the tentative projects without ``project_id``, and that project
    (None when the snapshot has no such project)."""
    firm_plan = snapshot.firm_plan
    firm_count = len(firm_plan.instance.projects)
    tentative = list(snapshot.instance.projects[firm_count:])
    for k, project in enumerate(tentative):
        if project.id == project_id:
            del tentative[k]
            return firm_plan, tentative, project
    for project in firm_plan.instance.projects:
        if project.id == project_id:
            return plan_without(firm_plan, project_id), tentative, project
    return firm_plan, tentative, None


def _with_plans(
    snapshot: Snapshot,
    *,
    ledger_version: int,
    firm_plan: Plan,
    tentative: Sequence[Project],
    hold_expiries: Mapping[str, datetime.datetime],
) -> Snapshot:
    """A new snapshot of the same people and projects' refs with these plans (answers and
    the pipeline's plan start afresh)."""
    firm_instance = firm_plan.instance
    return Snapshot(
        ledger_version=ledger_version,
        today=snapshot.today,
        instance=replace(firm_instance, projects=(*firm_instance.projects, *tentative)),
        firm_plan=firm_plan,
        projects=snapshot.projects,
        people=snapshot.people,
        hold_expiries=hold_expiries,
        memo=snapshot.memo,
    )
