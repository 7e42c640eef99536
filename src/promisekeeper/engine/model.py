"""The engine's input model: plain, validated, frozen data with integer days.

Day ``0`` is the first day of the planning horizon (``Calendar.start``). Every
day index is an integer; ``end_day`` values are exclusive. Hours are floats.
Dates exist only at the edges (``Calendar.date_of`` / ``Calendar.day_of``).

Construct the dataclasses directly, or read an instance from JSON with
:mod:`promisekeeper.engine.io`. Call :func:`validate_instance` (done by
``io`` and by :func:`promisekeeper.engine.schedule.schedule`) to get an
:class:`~promisekeeper.engine.errors.InvalidInput` naming the bad field.
"""

from __future__ import annotations

import enum
import math
from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

from promisekeeper.engine.effort import (
    EffortDistribution,
    remaining_effort,
    validate_distribution,
)
from promisekeeper.engine.errors import InvalidInput

MAX_HORIZON_DAYS = 3 * 366
DEFAULT_HORIZON_DAYS = 548
WEEKDAYS = 7


class ProjectState(enum.IntEnum):
    """How firmly a project is in the book; lower values are scheduled first."""

    IN_DELIVERY = 0
    COMMITTED = 1
    HELD = 2
    TENTATIVE = 3

    @property
    def label(self) -> str:
        return self.name.lower()

    @classmethod
    def from_label(cls, label: str) -> ProjectState:
        try:
            return cls[label.upper()]
        except KeyError:
            allowed = ", ".join(s.label for s in cls)
            raise InvalidInput(
                "state", f"unknown state {label!r}; expected one of {allowed}"
            ) from None


@dataclass(frozen=True, slots=True)
class Calendar:
    """The organisation's planning grid.

    ``working_weekdays[w]`` says whether the organisation works on weekday ``w``
    (Monday = 0). ``closed_days`` are day indices of public holidays and company
    closures. Fixed phases run on consecutive *working* days of this calendar.
    """

    start: date
    horizon_days: int = DEFAULT_HORIZON_DAYS
    working_weekdays: tuple[bool, ...] = (True, True, True, True, True, False, False)
    closed_days: frozenset[int] = frozenset()

    def date_of(self, day: int) -> date:
        return self.start + timedelta(days=day)

    def day_of(self, when: date) -> int:
        return (when - self.start).days

    def weekday(self, day: int) -> int:
        return (self.start.weekday() + day) % WEEKDAYS

    def is_working_day(self, day: int) -> bool:
        return self.working_weekdays[self.weekday(day)] and day not in self.closed_days


@dataclass(frozen=True, slots=True)
class TimeOff:
    """Absence from ``start_day`` to ``end_day`` (exclusive).

    ``hours_per_day=None`` means whole days; otherwise that many contracted
    hours are lost on each day of the range (a partial day off), which costs
    ``hours_per_day * delivery_share`` hours of delivery capacity.
    """

    start_day: int
    end_day: int
    hours_per_day: float | None = None


@dataclass(frozen=True, slots=True)
class Person:
    """Somebody who delivers work.

    ``skills`` maps a role to an efficiency: 1.0 is standard, 0.6 means an hour
    of this person's time delivers 0.6 hours of that role's effort.
    ``weekly_hours`` holds seven values, Monday first. Available hours on a day
    are ``weekly_hours[weekday] * delivery_share`` minus time off, and zero
    before ``start_day``, from ``end_day`` on, and on closed days.
    """

    id: str
    skills: Mapping[str, float]
    weekly_hours: tuple[float, ...] = (8.0, 8.0, 8.0, 8.0, 8.0, 0.0, 0.0)
    start_day: int = 0
    end_day: int | None = None
    delivery_share: float = 1.0
    time_off: tuple[TimeOff, ...] = ()


@dataclass(frozen=True, slots=True)
class Dependency:
    """This phase starts at least ``lag_days`` calendar days after ``phase`` ends."""

    phase: str
    lag_days: int = 0


@dataclass(frozen=True, slots=True)
class EffortPhase:
    """``effort_hours`` of one role, spread over days.

    At most ``max_people`` people work on it on any day, each at most
    ``max_hours_per_day``. Work may pause between days. ``effort_low`` and
    ``effort_high`` (optional) bound the uncertainty used by ``confidence``;
    ``effort_distribution`` (optional) gives the effort another shape, such as
    a lognormal or past actual/estimate ratios (see
    :mod:`promisekeeper.engine.effort`); ``per_unit_hours`` is the part of the
    effort that scales with the project's quantity (used by ``options`` to
    shrink scope).

    ``spent_hours`` above 0 marks a phase under way: ``effort_hours`` (and the
    bounds and distribution) then describe its *total* effort, and the engine
    plans :attr:`remaining_hours`, the effort still to do given what has been
    spent. With ``spent_hours`` 0 (the default) ``effort_hours`` is the effort
    to place, as it always was.
    """

    id: str
    role: str
    effort_hours: float
    max_people: int = 1
    max_hours_per_day: float = 8.0
    predecessors: tuple[Dependency, ...] = ()
    effort_low: float | None = None
    effort_high: float | None = None
    per_unit_hours: float = 0.0
    name: str = ""
    effort_distribution: EffortDistribution | None = None
    spent_hours: float = 0.0

    @property
    def kind(self) -> str:
        return "effort"

    @property
    def remaining_hours(self) -> float:
        """The effort the planner places: ``effort_hours`` when nothing is spent, else
        what is still to do of the total given the spent hours (never below
        :func:`~promisekeeper.engine.effort.minimum_remaining`).

        >>> EffortPhase("build", "dev", 40.0).remaining_hours
        40.0
        >>> EffortPhase("build", "dev", 40.0, spent_hours=10.0).remaining_hours
        30.0
        """
        return remaining_effort(
            self.effort_hours,
            self.spent_hours,
            low=self.effort_low,
            high=self.effort_high,
            distribution=self.effort_distribution,
        )


@dataclass(frozen=True, slots=True)
class FixedPhase:
    """``days`` consecutive working days, each needing an exact crew.

    ``crew`` maps a role to the number of people of that role needed on every
    day; each crew member works ``hours_per_day`` hours. This is the activity
    of the classic resource-constrained project scheduling problem (RCPSP).
    """

    id: str
    days: int
    crew: Mapping[str, int]
    hours_per_day: float = 8.0
    predecessors: tuple[Dependency, ...] = ()
    days_low: int | None = None
    days_high: int | None = None
    name: str = ""

    @property
    def kind(self) -> str:
        return "fixed"


Phase = EffortPhase | FixedPhase


@dataclass(frozen=True, slots=True)
class Project:
    """A piece of work to deliver: phases linked by precedence (a DAG).

    ``promised_day`` is the last day (inclusive) on which the project may
    finish and still be on time. ``release_day`` is the earliest start.
    """

    id: str
    phases: tuple[Phase, ...]
    release_day: int = 0
    promised_day: int | None = None
    priority: int = 0
    state: ProjectState = ProjectState.COMMITTED
    win_probability: float = 1.0
    quantity: float = 1.0
    name: str = ""


def project_roles(project: Project) -> set[str]:
    """The roles ``project``'s phases need: each effort phase's role, each crew role with
    a count above zero."""
    roles: set[str] = set()
    for phase in project.phases:
        if isinstance(phase, EffortPhase):
            roles.add(phase.role)
        else:
            roles.update(role for role, count in phase.crew.items() if count > 0)
    return roles


@dataclass(frozen=True, slots=True)
class Instance:
    """Everything the engine needs to plan: calendar, roles, people, projects."""

    calendar: Calendar
    roles: tuple[str, ...]
    people: tuple[Person, ...]
    projects: tuple[Project, ...] = ()
    meta: Mapping[str, object] = field(default_factory=dict)


def _require(condition: bool, field_name: str, message: str) -> None:
    if not condition:
        raise InvalidInput(field_name, message)


def validate_calendar(calendar: Calendar) -> None:
    _require(
        1 <= calendar.horizon_days <= MAX_HORIZON_DAYS,
        "calendar.horizon_days",
        f"must be between 1 and {MAX_HORIZON_DAYS}, got {calendar.horizon_days}",
    )
    _require(
        len(calendar.working_weekdays) == WEEKDAYS,
        "calendar.working_weekdays",
        "must have 7 values, Monday first",
    )


def validate_person(person: Person, roles: frozenset[str], where: str) -> None:
    _require(bool(person.id), f"{where}.id", "must not be empty")
    _require(
        len(person.weekly_hours) == WEEKDAYS,
        f"{where}.weekly_hours",
        f"must have 7 values, Monday first, got {len(person.weekly_hours)}",
    )
    for w, hours in enumerate(person.weekly_hours):
        _require(
            0 <= hours <= 24, f"{where}.weekly_hours[{w}]", f"must be 0..24 hours, got {hours}"
        )
    _require(
        0 <= person.delivery_share <= 1,
        f"{where}.delivery_share",
        f"must be between 0 and 1, got {person.delivery_share}",
    )
    for role, efficiency in person.skills.items():
        _require(role in roles, f"{where}.skills.{role}", f"unknown role {role!r}")
        _require(
            0 < efficiency <= 2,
            f"{where}.skills.{role}",
            f"efficiency must be in (0, 2], got {efficiency}",
        )
    if person.end_day is not None:
        _require(
            person.end_day >= person.start_day,
            f"{where}.end_day",
            "must not be before start_day",
        )
    for k, off in enumerate(person.time_off):
        _require(
            off.end_day >= off.start_day,
            f"{where}.time_off[{k}].end_day",
            "must not be before start_day",
        )
        if off.hours_per_day is not None:
            _require(
                0 <= off.hours_per_day <= 24,
                f"{where}.time_off[{k}].hours_per_day",
                f"must be 0..24, got {off.hours_per_day}",
            )


def validate_phase(phase: Phase, roles: frozenset[str], where: str) -> None:
    _require(bool(phase.id), f"{where}.id", "must not be empty")
    if isinstance(phase, EffortPhase):
        _require(phase.role in roles, f"{where}.role", f"unknown role {phase.role!r}")
        _require(
            phase.effort_hours >= 0,
            f"{where}.effort_hours",
            f"must be >= 0, got {phase.effort_hours}",
        )
        _require(
            phase.max_people >= 1, f"{where}.max_people", f"must be >= 1, got {phase.max_people}"
        )
        _require(
            0 < phase.max_hours_per_day <= 24,
            f"{where}.max_hours_per_day",
            f"must be in (0, 24], got {phase.max_hours_per_day}",
        )
        _require(phase.per_unit_hours >= 0, f"{where}.per_unit_hours", "must be >= 0")
        low = phase.effort_low if phase.effort_low is not None else phase.effort_hours
        high = phase.effort_high if phase.effort_high is not None else phase.effort_hours
        _require(
            0 <= low <= phase.effort_hours <= high,
            f"{where}.effort_low",
            "must satisfy 0 <= effort_low <= effort_hours <= effort_high",
        )
        _require(
            math.isfinite(phase.spent_hours) and phase.spent_hours >= 0,
            f"{where}.spent_hours",
            f"must be >= 0, got {phase.spent_hours}",
        )
        if phase.effort_distribution is not None:
            validate_distribution(phase.effort_distribution, f"{where}.effort_distribution")
    else:
        _require(phase.days >= 0, f"{where}.days", f"must be >= 0, got {phase.days}")
        _require(
            0 < phase.hours_per_day <= 24,
            f"{where}.hours_per_day",
            f"must be in (0, 24], got {phase.hours_per_day}",
        )
        for role, count in phase.crew.items():
            _require(role in roles, f"{where}.crew.{role}", f"unknown role {role!r}")
            _require(count >= 0, f"{where}.crew.{role}", f"must be >= 0, got {count}")
        low = phase.days_low if phase.days_low is not None else phase.days
        high = phase.days_high if phase.days_high is not None else phase.days
        _require(
            0 <= low <= phase.days <= high,
            f"{where}.days_low",
            "must satisfy days_low <= days <= days_high",
        )
    for k, dep in enumerate(phase.predecessors):
        _require(dep.lag_days >= 0, f"{where}.predecessors[{k}].lag_days", "must be >= 0")


def topological_order(project: Project, where: str = "project") -> list[int]:
    """Indices of ``project.phases`` so that every predecessor comes first.

    Raises :class:`InvalidInput` on an unknown predecessor or a cycle.
    """
    index = {phase.id: i for i, phase in enumerate(project.phases)}
    if len(index) != len(project.phases):
        raise InvalidInput(f"{where}.phases", "phase ids must be unique")
    predecessors: list[list[int]] = []
    for phase in project.phases:
        for dep in phase.predecessors:
            if dep.phase not in index:
                raise InvalidInput(
                    f"{where}.phases.{phase.id}.predecessors",
                    f"unknown phase {dep.phase!r}",
                )
        predecessors.append([index[dep.phase] for dep in phase.predecessors])
    order = dependency_order(predecessors)
    if len(order) != len(project.phases):
        placed = set(order)
        stuck = sorted(p.id for i, p in enumerate(project.phases) if i not in placed)
        raise InvalidInput(f"{where}.phases", f"precedence cycle among phases {stuck}")
    return order


def dependency_order(predecessors: Sequence[Sequence[int]]) -> list[int]:
    """Indices 0..n-1 ordered so that each comes after all of ``predecessors[i]`` (Kahn).

    Items on a cycle (or waiting on one) are left out, so a short result means a cycle.
    """
    indegree = [len(preds) for preds in predecessors]
    successors: list[list[int]] = [[] for _ in predecessors]
    for i, preds in enumerate(predecessors):
        for p in preds:
            successors[p].append(i)
    ready = deque(i for i, d in enumerate(indegree) if d == 0)
    order: list[int] = []
    while ready:
        i = ready.popleft()
        order.append(i)
        for j in successors[i]:
            indegree[j] -= 1
            if indegree[j] == 0:
                ready.append(j)
    return order


def validate_project(
    project: Project, calendar: Calendar, roles: frozenset[str], where: str
) -> list[int]:
    _require(bool(project.id), f"{where}.id", "must not be empty")
    _require(
        0 <= project.release_day < calendar.horizon_days,
        f"{where}.release_day",
        f"must be inside the horizon (0..{calendar.horizon_days - 1}), got {project.release_day}",
    )
    if project.promised_day is not None:
        _require(
            0 <= project.promised_day < calendar.horizon_days,
            f"{where}.promised_day",
            f"must be inside the horizon (0..{calendar.horizon_days - 1}), got {project.promised_day}",
        )
    _require(
        0 <= project.win_probability <= 1,
        f"{where}.win_probability",
        f"must be between 0 and 1, got {project.win_probability}",
    )
    _require(project.quantity >= 0, f"{where}.quantity", "must be >= 0")
    for k, phase in enumerate(project.phases):
        validate_phase(phase, roles, f"{where}.phases[{k}]")
    return topological_order(project, where)


def validate_instance(instance: Instance) -> list[list[int]]:
    """Raise :class:`InvalidInput` naming the first bad field.

    Returns each project's phases in an order where predecessors come first.
    """
    validate_calendar(instance.calendar)
    roles = frozenset(instance.roles)
    _require(len(roles) == len(instance.roles), "roles", "role names must be unique")
    people_ids: set[str] = set()
    for k, person in enumerate(instance.people):
        validate_person(person, roles, f"people[{k}]")
        _require(
            person.id not in people_ids, f"people[{k}].id", f"duplicate person id {person.id!r}"
        )
        people_ids.add(person.id)
    project_ids: set[str] = set()
    orders = []
    for k, project in enumerate(instance.projects):
        orders.append(validate_project(project, instance.calendar, roles, f"projects[{k}]"))
        _require(
            project.id not in project_ids,
            f"projects[{k}].id",
            f"duplicate project id {project.id!r}",
        )
        project_ids.add(project.id)
    return orders
