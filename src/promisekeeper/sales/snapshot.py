"""The one adapter between the database and the engine.

``portfolio_snapshot()`` turns the business's state into the engine's
``Instance`` (dates become day indices from today, Decimals become floats,
holidays and closures become closed days) and plans it. The result is cached
per ledger version: every capacity-affecting write bumps the ledger, so a warm
call costs a dictionary lookup and a stale snapshot is never served.

Two plans come back. ``firm_plan`` holds what the business is bound to (work
in delivery, committed work, held deals); promise questions are answered on
top of it. ``plan`` adds the tentative pipeline on top of the firm plan, for
pictures of load and demand.

Projects committed through ``promise_commit`` own CapacityReservation rows: the
hours the promise was checked against. They are *pinned*: their allocations are
those rows, taken off the capacity before anything else is planned, so the plan
always agrees with the database backstop (PersonDayLoad). A committing process
puts the next version's snapshot in the cache itself (``snapshot_with_commits``);
every other process replays the ReservationChange rows written since its version
(``snapshot_catch_up``), or rebuilds when another kind of write came between.
"""

from __future__ import annotations

import datetime
import math
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal
from functools import partial
from typing import Any, TypeVar

import holidays
import numpy as np
from django.db import connection
from django.db.models import Prefetch, Q
from django.utils import timezone

from promisekeeper.catalog.models import SopPhase, SopVersion
from promisekeeper.delivery.models import Project as DeliveryProject
from promisekeeper.delivery.models import ProjectPhase
from promisekeeper.engine.capacity import capacity_matrix
from promisekeeper.engine.errors import InvalidInput
from promisekeeper.engine.io import project_from_dict, project_to_dict
from promisekeeper.engine.model import (
    Calendar,
    Dependency,
    EffortPhase,
    FixedPhase,
    Instance,
    Person,
    Phase,
    Project,
    ProjectState,
    TimeOff,
    validate_instance,
)
from promisekeeper.engine.placement import Context
from promisekeeper.engine.plan import Allocations, PhaseTiming, Plan, ProjectResult, project_result
from promisekeeper.engine.promise import free_grid, plan_context
from promisekeeper.engine.schedule import default_order, schedule, schedule_in_order
from promisekeeper.organisation import sql
from promisekeeper.organisation.models import CompanyClosure, OrganisationSettings
from promisekeeper.organisation.selectors import ledger_version_get
from promisekeeper.people.models import Person as DbPerson
from promisekeeper.people.models import Role
from promisekeeper.sales.models import CapacityReservation, Deal, ReservationChange

SCHEDULE_SECONDS = 1.0
T = TypeVar("T")
DEFAULT_MAX_HOURS_PER_DAY = 8.0

_STATE_OF_STATUS: dict[str, ProjectState] = {
    DeliveryProject.Status.IN_DELIVERY: ProjectState.IN_DELIVERY,
    DeliveryProject.Status.COMMITTED: ProjectState.COMMITTED,
    DeliveryProject.Status.HELD: ProjectState.HELD,
    DeliveryProject.Status.TENTATIVE: ProjectState.TENTATIVE,
}
TENTATIVE_DEAL_STAGES = (Deal.Stage.LEAD, Deal.Stage.QUALIFIED, Deal.Stage.PROPOSAL)


def person_engine_id(pk: int) -> str:
    return f"person-{pk}"


def project_engine_id(pk: int) -> str:
    return f"project-{pk}"


def deal_engine_id(pk: int) -> str:
    return f"deal-{pk}"


@dataclass(frozen=True, slots=True)
class ProjectRef:
    """Which database row an engine project stands for: a delivery project or a deal."""

    kind: str
    pk: int


Memo = dict[tuple[Any, ...], Any]
"""Reads a reservation change cannot alter (SOP phase rows, delivered-project history).

A snapshot replayed from another shares its parent's memo; any other capacity write means a
rebuild, which starts an empty one.
"""


def memoised(memo: Memo | None, key: tuple[Any, ...], read: Callable[[], T]) -> T:
    """``read()`` once per memo (every time when there is none)."""
    if memo is None:
        return read()
    if key not in memo:
        memo[key] = read()
    value: T = memo[key]
    return value


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
    valid_until: datetime.datetime | None = None
    memo: Memo = field(default_factory=dict, repr=False, compare=False)
    _pipeline: list[Plan] = field(default_factory=list, repr=False, compare=False)
    _pipeline_lock: threading.Lock = field(
        default_factory=threading.Lock, repr=False, compare=False
    )

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
                    self._pipeline.append(_with_pipeline(self.instance, self.firm_plan, firm_count))
        return self._pipeline[0]

    def day_of(self, when: datetime.date) -> int:
        return self.instance.calendar.day_of(when)

    def date_of(self, day: int) -> datetime.date:
        return self.instance.calendar.date_of(day)

    def clamp_day(self, when: datetime.date) -> int:
        """Day index of ``when``, pulled into the horizon (a past date becomes today)."""
        return min(max(self.day_of(when), 0), self.instance.calendar.horizon_days - 1)


_cache: dict[tuple[int, datetime.date, str], Snapshot] = {}
_cache_lock = threading.Lock()


def portfolio_snapshot(
    *, today: datetime.date | None = None, ledger_version: int | None = None
) -> Snapshot:
    """The current snapshot, from cache when the ledger has not moved since it was built.

    ``ledger_version`` is a version the caller has just read (under the ledger lock, for a
    commit).
    """
    from django.db import connection

    today = today or timezone.localdate()
    version = ledger_version_get() if ledger_version is None else ledger_version
    key = (version, today, connection.alias)
    cached = _fresh(_cache.get(key))
    if cached is not None:
        return cached
    with _cache_lock:
        cached = _fresh(_cache.get(key))
        if cached is None:
            older = [
                s
                for (cached_version, day, alias), s in _cache.items()
                if day == today and alias == key[2] and cached_version < version and _fresh(s)
            ]
            caught_up = snapshot_catch_up(older[0], key[0]) if older else None
            cached = caught_up or snapshot_build(today=today, ledger_version=key[0])
            _cache.clear()
            _cache[key] = cached
    return cached


def snapshot_catch_up(snapshot: Snapshot, version: int) -> Snapshot | None:
    """``snapshot`` brought to ``version`` by replaying reservation changes; None if it can't be.

    It can when every ledger version since the snapshot's is a ReservationChange (a commit
    or a re-date somewhere else); any other capacity write needs a full rebuild. One query
    reads all the changes, whose payloads carry the project and its booked hours.
    """
    changes = _changes_between(snapshot.ledger_version, version)
    if len(changes) != version - snapshot.ledger_version:
        return None
    commits = []
    row_of_person = {snapshot.people[p.id]: k for k, p in enumerate(snapshot.instance.people)}
    for change in changes:
        if change.project_id is None:
            continue  # products only: stock is read live, the plan is unchanged
        committed = _committed_from_payload(snapshot, change, row_of_person)
        if committed is None:
            return None
        commits.append(committed)
    if not commits:
        return replace(snapshot, ledger_version=version, built_in_seconds=0.0)
    return snapshot_with_commits(snapshot, ledger_version=version, commits=commits)


def _changes_between(after: int, through: int) -> list[ReservationChange]:
    """The reservation changes of ledger versions ``after`` < v <= ``through``, in order (one
    fixed statement: every process runs it after every commit another process made)."""
    change = ReservationChange
    names = ("version", "project", "deal", "replaced", "payload")
    rows = sql.fetch_all(
        f"SELECT {', '.join(sql.column(change, n) for n in names)} FROM {sql.table(change)} "  # noqa: S608
        f"WHERE {sql.column(change, 'version')} > %s AND {sql.column(change, 'version')} <= %s "
        f"ORDER BY {sql.column(change, 'version')}",
        [after, through],
    )
    decode = change._meta.get_field("payload").from_db_value  # type: ignore[union-attr]
    return [
        ReservationChange(
            version=v,
            project_id=project,
            deal_id=deal,
            replaced=replaced,
            payload=decode(payload, None, connection),  # type: ignore[arg-type]
        )
        for v, project, deal, replaced, payload in rows
    ]


def _committed_from_payload(
    snapshot: Snapshot, change: ReservationChange, row_of_person: dict[int, int]
) -> CommittedProject | None:
    payload = change.payload or {}
    if "project" not in payload or change.project_id is None:
        return None  # (the check on project_id narrows its type)
    calendar = snapshot.instance.calendar
    try:
        project = project_from_dict(payload["project"], calendar, snapshot.instance.roles)
    except InvalidInput:
        return None  # planned on another day or against other roles: rebuild
    rows = []
    for person_pk, day, phase, hours in payload["reserved"]:
        person = row_of_person.get(person_pk)
        if person is None or not 0 <= phase < len(project.phases):
            return None
        d = (datetime.date.fromisoformat(day) - snapshot.today).days
        if 0 <= d < calendar.horizon_days:
            rows.append((person, d, phase, float(hours)))
    return CommittedProject(
        project,
        ProjectRef("project", change.project_id),
        _allocations(0, rows),
        (change.replaced, project.id),
        change.deal_id,
    )


def _fresh(snapshot: Snapshot | None) -> Snapshot | None:
    """The snapshot unless a hold it counts has expired since (time moves without the ledger)."""
    if snapshot is None or snapshot.valid_until is None:
        return snapshot
    return snapshot if timezone.now() < snapshot.valid_until else None


def snapshot_cache_put(snapshot: Snapshot) -> None:
    """Cache a snapshot its builder knows to be exact for its ledger version.

    Only call after the transaction that produced that version has committed. A newer
    snapshot already cached (another thread replayed past this version meanwhile) stays.
    """
    from django.db import connection

    key = (snapshot.ledger_version, snapshot.today, connection.alias)
    with _cache_lock:
        if any(v >= key[0] and day == key[1] and alias == key[2] for v, day, alias in _cache):
            return
        _cache.clear()
        _cache[key] = snapshot


def snapshot_cache_clear() -> None:
    """Forget cached snapshots (tests that change data without the ledger use it)."""
    with _cache_lock:
        _cache.clear()


def snapshot_build(*, today: datetime.date, ledger_version: int) -> Snapshot:
    """Read the database and plan it; uncached (``portfolio_snapshot`` caches it)."""
    import time

    started = time.perf_counter()
    org = OrganisationSettings.objects.filter(singleton=True).first()
    calendar = calendar_build(org=org, today=today)
    roles = tuple(Role.objects.order_by("name").values_list("name", flat=True))
    people, people_map = _people(calendar)
    memo: Memo = {}
    firm, tentative, refs, valid_until = _projects(calendar, memo)
    instance = Instance(calendar, roles, people, (*firm, *tentative))
    pinned = _pinned_allocations(instance, refs, people_map)
    firm_plan = _firm_plan(replace(instance, projects=instance.projects[: len(firm)]), pinned)
    return Snapshot(
        ledger_version=ledger_version,
        today=today,
        instance=instance,
        firm_plan=firm_plan,
        projects=refs,
        people=people_map,
        built_in_seconds=time.perf_counter() - started,
        valid_until=valid_until,
        memo=memo,
    )


def calendar_build(*, org: OrganisationSettings | None, today: datetime.date) -> Calendar:
    """The planning calendar from today: working weekdays, public holidays and closures."""
    horizon = org.planning_horizon_days if org else 548
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
    today = calendar.start
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
        off = tuple(
            TimeOff(
                (t.start_date - today).days,
                (t.end_date - today).days + 1,
                None if t.hours_per_day is None else float(t.hours_per_day),
            )
            for t in row.time_off.all()
            if t.end_date >= today
        )
        people.append(
            Person(
                person_engine_id(row.pk),
                skills,
                weekly_hours=tuple(float(h) for h in row.weekly_hours),
                start_day=max(0, (row.start_date - today).days),
                end_day=None if row.end_date is None else max(0, (row.end_date - today).days + 1),
                delivery_share=float(row.delivery_share),
                time_off=off,
            )
        )
    return tuple(people), {p.id: int(p.id.removeprefix("person-")) for p in people}


def _active_in_horizon(calendar: Calendar) -> Q:
    end = calendar.date_of(calendar.horizon_days)
    return Q(start_date__lt=end) & (Q(end_date__isnull=True) | Q(end_date__gte=calendar.start))


def _projects(
    calendar: Calendar, memo: Memo
) -> tuple[list[Project], list[Project], dict[str, ProjectRef], datetime.datetime | None]:
    firm: list[Project] = []
    tentative: list[Project] = []
    refs: dict[str, ProjectRef] = {}
    phase_rows = ProjectPhase.objects.select_related("role", "sop_phase").prefetch_related(
        "sop_phase__predecessors__predecessor"
    )
    projects = (
        DeliveryProject.objects.filter(status__in=list(_STATE_OF_STATUS))
        .prefetch_related(Prefetch("phases", queryset=phase_rows))
        .order_by("pk")
    )
    for row in projects:
        project = delivery_project_to_engine(row, calendar)
        refs[project.id] = ProjectRef("project", row.pk)
        (tentative if project.state is ProjectState.TENTATIVE else firm).append(project)
    valid_until: datetime.datetime | None = None
    for deal, state, expires in _deals_without_project(calendar):
        deal_project = deal_to_engine(deal, calendar, state, memo)
        if deal_project is None:
            continue
        refs[deal_project.id] = ProjectRef("deal", deal.pk)
        (tentative if state is ProjectState.TENTATIVE else firm).append(deal_project)
        if expires is not None and (valid_until is None or expires < valid_until):
            valid_until = expires
    return firm, tentative, refs, valid_until


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


def _day(calendar: Calendar, when: datetime.date | None) -> int | None:
    if when is None:
        return None
    return min(max((when - calendar.start).days, 0), calendar.horizon_days - 1)


def _f(value: Decimal | float | None, default: float = 0.0) -> float:
    return default if value is None else float(value)


def delivery_project_to_engine(row: DeliveryProject, calendar: Calendar) -> Project:
    """A delivery project's remaining work: estimate × (1 − progress) per phase."""
    phases: list[Phase] = []
    key_of_sop_phase = {p.sop_phase_id: p.key for p in row.phases.all() if p.sop_phase_id}
    for phase in row.phases.all():
        remaining = 1.0 - _f(phase.progress)
        sop = phase.sop_phase
        predecessors = tuple(
            Dependency(key_of_sop_phase[d.predecessor_id], int(d.lag_days))
            for d in (sop.predecessors.all() if sop else ())
            if d.predecessor_id in key_of_sop_phase
        )
        if phase.kind == SopPhase.Kind.FIXED:
            phases.append(
                FixedPhase(
                    phase.key,
                    math.ceil(phase.fixed_days * remaining - 1e-9),
                    {c["role"]: int(c["count"]) for c in phase.crew},
                    hours_per_day=_f(phase.hours_per_day, 8.0),
                    predecessors=predecessors,
                    name=phase.name,
                )
            )
            continue
        likely = _f(phase.effort_estimated_hours) * remaining
        low, high = likely, likely
        if sop is not None and sop.effort_likely + sop.effort_per_unit_likely * row.quantity > 0:
            planned = float(sop.effort_likely + sop.effort_per_unit_likely * row.quantity)
            low = likely * float(sop.effort_low + sop.effort_per_unit_low * row.quantity) / planned
            high = (
                likely * float(sop.effort_high + sop.effort_per_unit_high * row.quantity) / planned
            )
        phases.append(
            EffortPhase(
                phase.key,
                phase.role.name if phase.role else "",
                likely,
                max_people=sop.max_people if sop else 1,
                max_hours_per_day=_f(
                    sop.max_hours_per_day if sop else None, DEFAULT_MAX_HOURS_PER_DAY
                ),
                predecessors=predecessors,
                effort_low=min(low, likely),
                effort_high=max(high, likely),
                name=phase.name,
            )
        )
    return Project(
        project_engine_id(row.pk),
        tuple(phases),
        release_day=_day(calendar, row.release_date) or 0,
        promised_day=_day(calendar, row.promised_date),
        priority=row.priority,
        state=_STATE_OF_STATUS[row.status],
        quantity=float(row.quantity),
        name=row.name,
    )


def sop_phase_rows(sop_version: SopVersion, memo: Memo | None = None) -> list[SopPhase]:
    """An SOP version's phases in order, with roles, crews and dependencies loaded."""
    rows = memoised(
        memo,
        ("sop-phase-rows", sop_version.pk),
        lambda: tuple(
            sop_version.phases.select_related("role")
            .prefetch_related("crew__role", "predecessors")
            .order_by("order", "pk")
        ),
    )
    return list(rows)


def sop_phases(
    sop_version: SopVersion, quantity: int, *, prefix: str = "", memo: Memo | None = None
) -> tuple[Phase, ...]:
    """The phases an SOP version prescribes for ``quantity`` units (effort = fixed + per unit)."""
    rows = sop_phase_rows(sop_version, memo)
    key_of = {row.pk: f"{prefix}{row.key}" for row in rows}
    phases: list[Phase] = []
    for row in rows:
        predecessors = tuple(
            Dependency(key_of[d.predecessor_id], int(d.lag_days))
            for d in row.predecessors.all()
            if d.predecessor_id in key_of
        )
        if row.kind == SopPhase.Kind.FIXED:
            phases.append(
                FixedPhase(
                    key_of[row.pk],
                    int(row.fixed_days),
                    {c.role.name: int(c.count) for c in row.crew.all()},
                    hours_per_day=_f(row.hours_per_day, 8.0),
                    predecessors=predecessors,
                    name=row.name,
                )
            )
            continue
        per_unit = _f(row.effort_per_unit_likely) * quantity
        phases.append(
            EffortPhase(
                key_of[row.pk],
                row.role.name if row.role else "",
                _f(row.effort_likely) + per_unit,
                max_people=int(row.max_people),
                max_hours_per_day=_f(row.max_hours_per_day, DEFAULT_MAX_HOURS_PER_DAY),
                predecessors=predecessors,
                effort_low=_f(row.effort_low) + _f(row.effort_per_unit_low) * quantity,
                effort_high=_f(row.effort_high) + _f(row.effort_per_unit_high) * quantity,
                per_unit_hours=_f(row.effort_per_unit_likely),
                name=row.name,
            )
        )
    return tuple(phases)


def lines_to_engine(
    *,
    project_id: str,
    lines: Sequence[tuple[SopVersion, int]],
    calendar: Calendar,
    release_date: datetime.date | None = None,
    promised_date: datetime.date | None = None,
    state: ProjectState = ProjectState.TENTATIVE,
    win_probability: float = 1.0,
    name: str = "",
    memo: Memo | None = None,
) -> Project:
    """One engine project for a deal's offering lines; the lines run in parallel.

    With a single line the phase ids are the SOP keys; with several they are
    prefixed ``l<k>-`` so they stay unique (and stay valid ProjectPhase slugs).
    """
    phases: list[Phase] = []
    for k, (sop_version, quantity) in enumerate(lines):
        prefix = f"l{k}-" if len(lines) > 1 else ""
        phases.extend(sop_phases(sop_version, quantity, prefix=prefix, memo=memo))
    project_quantity = float(lines[0][1]) if len(lines) == 1 else 1.0
    return Project(
        project_id,
        tuple(phases),
        release_day=_day(calendar, release_date) or 0,
        promised_day=_day(calendar, promised_date),
        state=state,
        win_probability=win_probability,
        quantity=project_quantity,
        name=name,
    )


def deal_to_engine(
    deal: Deal, calendar: Calendar, state: ProjectState, memo: Memo | None = None
) -> Project | None:
    """A deal that has no project yet: its offering lines from each offering's latest SOP."""
    from promisekeeper.catalog.selectors import sop_version_latest

    lines: list[tuple[SopVersion, int]] = []
    for line in deal.lines.all():
        offering = line.offering
        if offering is None:
            continue
        version = memoised(
            memo,
            ("sop-version-latest", offering.pk),
            partial(sop_version_latest, offering=offering),
        )
        if version is not None:
            lines.append((version, int(line.quantity)))
    if not lines:
        return None
    return lines_to_engine(
        project_id=deal_engine_id(deal.pk),
        lines=lines,
        calendar=calendar,
        promised_date=deal.wanted_date if state is ProjectState.HELD else None,
        state=state,
        win_probability=float(deal.win_probability),
        name=deal.name,
        memo=memo,
    )


Pinned = dict[int, Allocations]


def _pinned_allocations(
    instance: Instance, refs: dict[str, ProjectRef], people_map: dict[str, int]
) -> Pinned:
    """Reserved hours of open delivery projects, as allocations keyed by project index."""
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
        "project_id", "phase_key", "person_id", "day", "hours"
    )
    for project_pk, phase_key, person_pk, day, hours in rows:
        k = index_of_pk[project_pk]
        columns.setdefault(k, [])
        d = (day - today).days
        person = row_of_person.get(person_pk)
        phase = phase_index[k].get(phase_key)
        if 0 <= d < horizon and person is not None and phase is not None:
            columns[k].append((person, d, phase, float(hours)))
    return {k: _allocations(k, rows_) for k, rows_ in columns.items()}


def _allocations(project: int, rows: list[tuple[int, int, int, float]]) -> Allocations:
    return Allocations(
        person=np.array([r[0] for r in rows], dtype=np.int32),
        day=np.array([r[1] for r in rows], dtype=np.int32),
        project=np.full(len(rows), project, dtype=np.int32),
        phase=np.array([r[2] for r in rows], dtype=np.int32),
        hours=np.array([r[3] for r in rows], dtype=np.float64),
    )


def pinned_result(project: Project, allocations: Allocations) -> ProjectResult:
    """A pinned project's outcome: each phase spans its first to last reserved day."""
    timings = []
    for j, phase in enumerate(project.phases):
        days = allocations.day[allocations.phase == j]
        if days.size:
            timings.append(PhaseTiming(phase.id, int(days.min()), int(days.max()) + 1))
    return project_result(project.id, project.promised_day, tuple(timings))


def _firm_plan(firm_instance: Instance, pinned: Pinned) -> Plan:
    """Plan firm work: pinned reservations as booked, everything else scheduled around them."""
    if not pinned:
        return schedule(firm_instance, time_limit=SCHEDULE_SECONDS)
    validate_instance(firm_instance)
    capacity = capacity_matrix(firm_instance)
    free = capacity.copy()
    for alloc in pinned.values():
        np.subtract.at(free, (alloc.person, alloc.day), alloc.hours)
    np.maximum(free, 0.0, out=free)
    unpinned = [k for k in range(len(firm_instance.projects)) if k not in pinned]
    sub = replace(firm_instance, projects=tuple(firm_instance.projects[k] for k in unpinned))
    sub_plan = schedule_in_order(
        sub,
        default_order(sub),
        ctx=Context(sub, capacity),
        free=free,
        repair_seconds=SCHEDULE_SECONDS,
    )
    remap = np.asarray(unpinned, dtype=np.int32)
    scheduled = sub_plan.allocations
    scheduled.project = remap[scheduled.project] if len(scheduled) else scheduled.project
    results = dict(sub_plan.projects)
    for k, alloc in pinned.items():
        project = firm_instance.projects[k]
        results[project.id] = pinned_result(project, alloc)
    return Plan(
        firm_instance,
        capacity,
        sub_plan.free,
        Allocations.concat([*pinned.values(), scheduled]),
        results,
    )


def _with_pipeline(instance: Instance, firm_plan: Plan, firm_count: int) -> Plan:
    ctx = Context(instance, firm_plan.capacity)
    tentative_order = [i for i in default_order(instance) if i >= firm_count]
    pipeline = schedule_in_order(instance, tentative_order, ctx=ctx, free=firm_plan.free.copy())
    return Plan(
        instance,
        firm_plan.capacity,
        pipeline.free,
        Allocations.concat([firm_plan.allocations, pipeline.allocations]),
        {**firm_plan.projects, **pipeline.projects},
        context=ctx,
    )


def plan_without(plan: Plan, project_id: str) -> Plan:
    """A copy of ``plan`` without one project: its hours are free again, nothing else moves."""
    projects = plan.instance.projects
    k = next((i for i, p in enumerate(projects) if p.id == project_id), None)
    if k is None:
        # Share the lookups (they have their own lock), never the free grid.
        return Plan(
            plan.instance,
            plan.capacity,
            free_grid(plan),
            plan.allocations,
            plan.projects,
            context=plan_context(plan),
        )
    alloc = plan.allocations
    mine = alloc.project == k
    free = free_grid(plan)
    np.add.at(free, (alloc.person[mine], alloc.day[mine]), alloc.hours[mine])
    np.minimum(free, plan.capacity, out=free)
    kept = alloc.where(~mine)
    kept.project = np.where(kept.project > k, kept.project - 1, kept.project).astype(np.int32)
    instance = replace(plan.instance, projects=projects[:k] + projects[k + 1 :])
    results = {pid: r for pid, r in plan.projects.items() if pid != project_id}
    return Plan(instance, plan.capacity, free, kept, results)


@dataclass(frozen=True)
class CommittedProject:
    """One project that now holds exactly ``allocations`` (reserved hours, any project index).

    ``replaces`` names the firm engine projects it supersedes (the deal's hold, or the
    project's own earlier plan); ``deal_pk`` names the deal whose tentative or held copy goes.
    """

    project: Project
    ref: ProjectRef
    allocations: Allocations
    replaces: tuple[str, ...] = ()
    deal_pk: int | None = None


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
    firm = snapshot.firm_plan
    for engine_id in sorted(gone & set(firm.projects)):
        firm = plan_without(firm, engine_id)
    firm_count = len(firm.instance.projects)
    kept = list(latest.values())
    pinned = [
        Allocations(
            person=c.allocations.person.astype(np.int32),
            day=c.allocations.day.astype(np.int32),
            project=np.full(len(c.allocations), firm_count + k, dtype=np.int32),
            phase=c.allocations.phase.astype(np.int32),
            hours=c.allocations.hours.astype(np.float64),
        )
        for k, c in enumerate(kept)
    ]
    free = free_grid(firm)
    for alloc in pinned:
        np.subtract.at(free, (alloc.person, alloc.day), alloc.hours)
    np.maximum(free, 0.0, out=free)
    firm_instance = replace(
        firm.instance, projects=(*firm.instance.projects, *(c.project for c in kept))
    )
    results = dict(firm.projects)
    for c, alloc in zip(kept, pinned, strict=True):
        results[c.project.id] = pinned_result(c.project, alloc)
    firm_plan = Plan(
        firm_instance,
        firm.capacity,
        free,
        Allocations.concat([firm.allocations, *pinned]),
        results,
    )
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
        valid_until=snapshot.valid_until,
        memo=snapshot.memo,
    )


BookedRow = tuple[int, int, int, Decimal]
"""One booked reservation: person row, day index, phase index (of the engine project), hours."""


def reservation_change_payload(
    snapshot: Snapshot, project: Project, booked: Sequence[BookedRow]
) -> dict[str, Any]:
    """What another process needs to replay a commit without reading its rows: the engine
    project and the booked (person, day, phase, hours), with database keys and dates."""
    calendar = snapshot.instance.calendar
    people = snapshot.instance.people
    return {
        "project": project_to_dict(project, calendar),
        "reserved": [
            [snapshot.people[people[person].id], calendar.date_of(day).isoformat(), phase, str(h)]
            for person, day, phase, h in booked
        ],
    }


def booked_allocations(booked: Sequence[BookedRow]) -> Allocations:
    """Booked rows (person index, day, phase index, hours) as engine allocations."""
    return _allocations(0, [(p, d, j, float(h)) for p, d, j, h in booked])


def allocation_rows(snapshot: Snapshot, plan: Plan | None = None) -> list[dict[str, object]]:
    """The plan's allocations with database keys and dates, for pages and exports."""
    plan = plan or snapshot.plan
    alloc = plan.allocations
    instance = plan.instance
    person_pk = np.array([snapshot.people[p.id] for p in instance.people], dtype=np.int64)
    rows = []
    for person, day, project, phase, hours in zip(
        alloc.person.tolist(),
        alloc.day.tolist(),
        alloc.project.tolist(),
        alloc.phase.tolist(),
        alloc.hours.tolist(),
        strict=True,
    ):
        engine_project = instance.projects[project]
        rows.append(
            {
                "person_pk": int(person_pk[person]),
                "date": snapshot.date_of(day),
                "project": snapshot.projects[engine_project.id],
                "phase": engine_project.phases[phase].id,
                "hours": hours,
            }
        )
    return rows
