"""What could make a wanted date possible? Concrete, re-checked alternatives.

When a new project cannot finish by the date a customer wants, :func:`options`
lists what would change that: a smaller scope, overtime, one more person, or
re-planning work that has not started. Every option is computed by placing the
project with the engine on a modified copy of the plan's free capacity (or,
for a reshuffle, by re-planning), never estimated. The plan itself is never
changed.

Each :class:`Option` is data: its kind, its outcome (which case of the kind it
is), the days, and the role, hours, people or moved projects that apply. Its
English sentence is made from those fields (:meth:`Option.describe`, with the
caller's way of writing a day), so nobody needs to read numbers back out of text.

Examples
--------
>>> from datetime import date
>>> from promisekeeper.engine.model import Calendar, EffortPhase, Instance, Person, Project
>>> from promisekeeper.engine.schedule import default_order, schedule_in_order
>>> instance = Instance(
...     calendar=Calendar(start=date(2027, 1, 4), horizon_days=90),
...     roles=("developer",),
...     people=(Person("ana", {"developer": 1.0}),),
... )
>>> plan = schedule_in_order(instance, default_order(instance))
>>> new = Project("b", (EffortPhase("build", "developer", 48.0, per_unit_hours=8.0),), quantity=6)
>>> answer = options(plan, new, by_day=4)
>>> answer.baseline.finish_day, answer.meets_by_day
(8, False)
>>> [(o.kind.value, o.feasible, o.finish_day) for o in answer.options]
[('smaller_scope', True, 5), ('overtime', True, 5), ('hire', False, 8), ('reshuffle', False, 8)]
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import TypeVar

import numpy as np

from promisekeeper.engine.capacity import person_capacity
from promisekeeper.engine.confidence import ConfidenceAnswer, confidence
from promisekeeper.engine.errors import InvalidInput
from promisekeeper.engine.model import EffortPhase, Person, Phase, Project, project_roles
from promisekeeper.engine.placement import Context, Placement, place_project
from promisekeeper.engine.plan import Plan
from promisekeeper.engine.promise import (
    NEW_PROJECT,
    Move,
    PromiseAnswer,
    can_deliver_by,
    earliest_finish,
    free_grid,
    new_project_order,
    plan_context,
)

T = TypeVar("T")

DEFAULT_HIRE_NOTICE_DAYS = 30
"""A hire joins this many days after day 0 unless ``hire_day`` says otherwise."""


class OptionKind(enum.StrEnum):
    """The kinds of alternative :func:`options` considers."""

    SMALLER_SCOPE = "smaller_scope"
    OVERTIME = "overtime"
    HIRE = "hire"
    RESHUFFLE = "reshuffle"


class OptionOutcome(enum.StrEnum):
    """Which case of its kind an option is: what :meth:`Option.describe` says about it."""

    FULL_SCOPE_FITS = "full_scope_fits"
    """``smaller_scope``: the full quantity already finishes by the wanted day."""
    NOT_SCALABLE = "not_scalable"
    """``smaller_scope``: no phase's effort scales with quantity."""
    CANNOT_SHRINK = "cannot_shrink"
    """``smaller_scope``: the quantity has no smaller whole number of at least 1."""
    ONE_UNIT_LATE = "one_unit_late"
    """``smaller_scope``: even one unit misses the wanted day."""
    SCOPE_REDUCED = "scope_reduced"
    """``smaller_scope``: ``quantity`` of ``full_quantity`` units is the most that makes it."""
    OVERTIME = "overtime"
    """``overtime``: the finish with overtime for the project's roles."""
    NO_ROLE = "no_role"
    """``hire``: the project needs no role, so there is nobody to hire."""
    HIRE = "hire"
    """``hire``: the finish with one more person of ``hire_role``, earlier than without."""
    NO_GAIN = "no_gain"
    """``hire``: one more person of ``hire_role`` would not bring the finish forward."""
    MOVES = "moves"
    """``reshuffle``: re-planning unstarted work makes the day and moves ``moves``."""
    NOTHING_MOVES = "nothing_moves"
    """``reshuffle``: the day is made without moving any other project."""
    BREAKS_PROMISES = "breaks_promises"
    """``reshuffle``: every re-ordering of unstarted work that was tried breaks a kept promise."""


def day_index(day: int) -> str:
    """The engine's own wording of a day: ``"day 12"`` (see :meth:`Option.describe`)."""
    return f"day {day}"


@dataclass(frozen=True, slots=True)
class Option:
    """One alternative, re-checked by the engine, as data.

    Days are day indices; ``finish_day`` is exclusive like
    :attr:`~promisekeeper.engine.promise.PromiseAnswer.finish_day`, the other days
    are inclusive. Fields that do not apply to the option's kind are ``None`` or
    empty. :meth:`describe` puts an option into one English sentence.

    Attributes
    ----------
    kind
        Which alternative.
    feasible
        Whether the project then finishes by the wanted day (last work day on
        or before ``by_day``).
    finish_day
        Exclusive finish day under this alternative (``None``: beyond the horizon).
    outcome
        Which case of its kind the option is.
    by_day
        The wanted last work day the option was checked against.
    quantity
        ``smaller_scope``: the quantity checked (the largest that fits, or 1
        when not even that fits).
    full_quantity
        ``smaller_scope``: the project's own quantity.
    overtime_share
        ``overtime``: the extra hours allowed, as a share of regular capacity.
    overtime_roles
        ``overtime``: the roles allowed overtime (the project's roles, sorted).
    overtime_hours
        ``overtime``: ``(role, hours)`` worked beyond the regular free hours.
    overtime_people
        ``overtime``: ``(person id, hours)`` worked beyond their regular free
        hours, in the order of the instance's people.
    hire_role, hire_day, hire_hours
        ``hire``: the role hired, the day the person starts and the hours they
        work on the new project.
    hire_weekly_hours
        ``hire``: the hire's contracted hours per week.
    moves
        ``reshuffle``: projects whose finish day changes, with their old and new
        finish days.
    """

    kind: OptionKind
    feasible: bool
    finish_day: int | None
    outcome: OptionOutcome
    by_day: int
    quantity: float | None = None
    full_quantity: float | None = None
    overtime_share: float | None = None
    overtime_roles: tuple[str, ...] = ()
    overtime_hours: tuple[tuple[str, float], ...] = ()
    overtime_people: tuple[tuple[str, float], ...] = ()
    hire_role: str | None = None
    hire_day: int | None = None
    hire_hours: float | None = None
    hire_weekly_hours: float | None = None
    moves: tuple[Move, ...] = ()

    @property
    def last_work_day(self) -> int | None:
        """The last day of work under this alternative (``None``: beyond the horizon)."""
        return None if self.finish_day is None else self.finish_day - 1

    @property
    def overtime_total_hours(self) -> float:
        """``overtime``: all hours worked beyond the regular free hours (0 otherwise)."""
        return float(sum(hours for _, hours in self.overtime_hours))

    @property
    def detail(self) -> str:
        """One sentence for people, days written as ``day N`` (:meth:`describe`)."""
        return self.describe()

    def describe(
        self, day: Callable[[int], str] = day_index, project: Callable[[str], str] = str
    ) -> str:
        """The option in one English sentence, built from its fields.

        Parameters
        ----------
        day
            How to write a day index (default :func:`day_index`, ``"day 12"``); an
            adapter passes one that writes the date.
        project
            How to name a moved project from its id (default: the id itself); an
            adapter passes one that gives the name people know it by.

        Examples
        --------
        >>> from datetime import date, timedelta
        >>> option = Option(OptionKind.SMALLER_SCOPE, True, 4, OptionOutcome.SCOPE_REDUCED, 3,
        ...                 quantity=2.0, full_quantity=5.0)
        >>> option.describe()
        '2 of 5 units has its last work day on day 3'
        >>> option.describe(lambda d: f"{date(2027, 1, 4) + timedelta(d):%a %d %b}")
        '2 of 5 units has its last work day on Thu 07 Jan'
        """
        ends = _ends(self.finish_day, day)
        match self.outcome:
            case OptionOutcome.FULL_SCOPE_FITS:
                full = _given(self.full_quantity, "full_quantity")
                return f"the full quantity ({full:g}) finishes by {day(self.by_day)}"
            case OptionOutcome.NOT_SCALABLE:
                return "no phase's effort grows with the quantity, so a smaller one takes as long"
            case OptionOutcome.CANNOT_SHRINK:
                full = _given(self.full_quantity, "full_quantity")
                return f"the quantity ({full:g}) cannot shrink to a smaller whole number"
            case OptionOutcome.ONE_UNIT_LATE:
                return f"even 1 unit {ends}, after {day(self.by_day)}"
            case OptionOutcome.SCOPE_REDUCED:
                quantity = _given(self.quantity, "quantity")
                full = _given(self.full_quantity, "full_quantity")
                return f"{quantity:.0f} of {full:g} units {ends}"
            case OptionOutcome.OVERTIME:
                share = _given(self.overtime_share, "overtime_share")
                roles = ", ".join(self.overtime_roles) or "nobody"
                return (
                    f"with {share:.0%} overtime for {roles} the project {ends}, "
                    f"using {self.overtime_total_hours:g} overtime hours"
                )
            case OptionOutcome.NO_ROLE:
                return "the project needs no role, so a hire cannot help"
            case OptionOutcome.HIRE:
                weekly = _given(self.hire_weekly_hours, "hire_weekly_hours")
                start = day(_given(self.hire_day, "hire_day"))
                hours = _given(self.hire_hours, "hire_hours")
                return (
                    f"with one more {self.hire_role} ({weekly:g} h/week) from {start} "
                    f"the project {ends}; the hire works {hours:g} hours on it"
                )
            case OptionOutcome.NO_GAIN:
                weekly = _given(self.hire_weekly_hours, "hire_weekly_hours")
                start = day(_given(self.hire_day, "hire_day"))
                return (
                    f"one more {self.hire_role} ({weekly:g} h/week) from {start} would not "
                    f"bring the finish forward: the project still {ends}"
                )
            case OptionOutcome.MOVES:
                moved = ", ".join(
                    f"{project(m.project_id)} {m.shift_days:+d} days" for m in self.moves
                )
                return f"re-planning unstarted work moves {moved}; every kept promise stays kept"
            case OptionOutcome.NOTHING_MOVES:
                return f"the project {ends} without moving any other project"
            case OptionOutcome.BREAKS_PROMISES:
                return "no re-ordering of unstarted work keeps every existing promise"


@dataclass(frozen=True, slots=True)
class OptionsAnswer:
    """The alternatives for finishing a new project by ``by_day``.

    ``baseline`` is the project's earliest finish as it is. When it already
    meets ``by_day`` (``meets_by_day``) there is nothing to change and
    ``options`` is empty.
    """

    project_id: str
    by_day: int
    baseline: PromiseAnswer = field(compare=False)
    meets_by_day: bool
    options: tuple[Option, ...]

    @property
    def feasible_options(self) -> tuple[Option, ...]:
        """The options that make ``by_day``."""
        return tuple(option for option in self.options if option.feasible)


def options(
    plan: Plan,
    project: Project,
    by_day: int,
    *,
    overtime_share: float = 0.2,
    hire_day: int | None = None,
    include_reshuffle: bool = True,
    baseline: PromiseAnswer | None = None,
) -> OptionsAnswer:
    """Alternatives that would let ``project`` finish by ``by_day``, each re-checked.

    Parameters
    ----------
    plan
        The current plan; it is not modified.
    project
        The new project.
    by_day
        The wanted last work day (inclusive), inside the horizon.
    overtime_share
        Extra hours as a share of regular capacity for the ``overtime``
        option, in (0, 1]; see :func:`overtime_option`.
    hire_day
        The day a hire starts for the ``hire`` option; default
        ``DEFAULT_HIRE_NOTICE_DAYS``; see :func:`hire_option`.
    include_reshuffle
        Also try re-planning unstarted work (:func:`reshuffle_option`); the
        slowest option on a large plan.
    baseline
        ``earliest_finish(plan, project)`` when the caller already has it.

    Returns
    -------
    OptionsAnswer
        The baseline answer and, when it misses ``by_day``, one option per
        kind (smaller scope, overtime, hire, reshuffle) in that order.

    Raises
    ------
    InvalidInput
        On a malformed project or an argument out of range, naming it.

    Examples
    --------
    >>> from datetime import date
    >>> from promisekeeper.engine.model import Calendar, EffortPhase, Instance, Person, Project
    >>> from promisekeeper.engine.schedule import default_order, schedule_in_order
    >>> instance = Instance(
    ...     calendar=Calendar(start=date(2027, 1, 4), horizon_days=90),
    ...     roles=("developer",),
    ...     people=(Person("ana", {"developer": 1.0}),),
    ... )
    >>> plan = schedule_in_order(instance, default_order(instance))
    >>> new = Project("b", (EffortPhase("build", "developer", 40.0, max_people=2),))
    >>> answer = options(plan, new, by_day=2, hire_day=0, include_reshuffle=False)
    >>> [(o.kind.value, o.feasible, o.finish_day) for o in answer.options]
    [('smaller_scope', False, 5), ('overtime', False, 5), ('hire', True, 3)]
    """
    _check_by_day(plan, by_day)
    _check_share(overtime_share)
    hire_day = _hire_day(plan, hire_day)
    baseline = baseline if baseline is not None else earliest_finish(plan, project)
    if _meets(baseline.finish_day, by_day):
        return OptionsAnswer(project.id, by_day, baseline, True, ())
    found = [
        largest_scope(plan, project, by_day, full=baseline),
        overtime_option(plan, project, by_day, share=overtime_share),
        hire_option(plan, project, by_day, hire_day=hire_day, baseline=baseline),
    ]
    if include_reshuffle:
        found.append(reshuffle_option(plan, project, by_day))
    return OptionsAnswer(project.id, by_day, baseline, False, tuple(found))


def with_quantity(project: Project, quantity: float) -> Project:
    """``project`` resized to ``quantity`` units.

    Each effort phase's effort (and its low and high bounds) changes by
    ``per_unit_hours × (quantity - project.quantity)``, never below zero;
    fixed phases do not scale.

    Examples
    --------
    >>> from promisekeeper.engine.model import EffortPhase, Project
    >>> p = Project("p", (EffortPhase("build", "developer", 100.0, per_unit_hours=10.0),), quantity=5)
    >>> with_quantity(p, 3).phases[0].effort_hours
    80.0
    """
    if quantity < 0:
        raise InvalidInput("quantity", f"must be >= 0, got {quantity}")
    delta = quantity - project.quantity
    phases: list[Phase] = []
    for phase in project.phases:
        if isinstance(phase, EffortPhase) and phase.per_unit_hours > 0:
            change = phase.per_unit_hours * delta
            effort = max(0.0, phase.effort_hours + change)
            low = (
                None
                if phase.effort_low is None
                else min(effort, max(0.0, phase.effort_low + change))
            )
            high = None if phase.effort_high is None else max(effort, phase.effort_high + change)
            phase = replace(phase, effort_hours=effort, effort_low=low, effort_high=high)
        phases.append(phase)
    return replace(project, phases=tuple(phases), quantity=float(quantity))


def largest_scope(
    plan: Plan, project: Project, by_day: int, *, full: PromiseAnswer | None = None
) -> Option:
    """The largest quantity of ``project`` that finishes by ``by_day``.

    The full quantity is tried first (``full`` is its earliest finish when the
    caller has it), then whole quantities below it down to 1 by binary search
    (see :func:`with_quantity`). Every quantity is checked
    by placing the project; the search assumes that less work never finishes
    later, which holds for chains of phases (greedy placement of parallel
    phases could in rare cases break it; the answer is still a checked one).

    Examples
    --------
    >>> from datetime import date
    >>> from promisekeeper.engine.model import Calendar, EffortPhase, Instance, Person, Project
    >>> from promisekeeper.engine.schedule import default_order, schedule_in_order
    >>> instance = Instance(
    ...     calendar=Calendar(start=date(2027, 1, 4), horizon_days=90),
    ...     roles=("developer",),
    ...     people=(Person("ana", {"developer": 1.0}),),
    ... )
    >>> plan = schedule_in_order(instance, default_order(instance))
    >>> new = Project("b", (EffortPhase("build", "developer", 80.0, per_unit_hours=8.0),), quantity=10)
    >>> option = largest_scope(plan, new, by_day=2)
    >>> option.feasible, option.quantity, option.finish_day
    (True, 3.0, 3)
    """
    _check_by_day(plan, by_day)

    def scope(
        feasible: bool, finish: int | None, outcome: OptionOutcome, quantity: float | None
    ) -> Option:
        return Option(
            OptionKind.SMALLER_SCOPE,
            feasible,
            finish,
            outcome,
            by_day,
            quantity=quantity,
            full_quantity=float(project.quantity),
        )

    full_finish = (full if full is not None else earliest_finish(plan, project)).finish_day
    if _meets(full_finish, by_day):
        return scope(True, full_finish, OptionOutcome.FULL_SCOPE_FITS, float(project.quantity))
    top = int(np.ceil(project.quantity)) - 1
    if not any(isinstance(p, EffortPhase) and p.per_unit_hours > 0 for p in project.phases):
        return scope(False, full_finish, OptionOutcome.NOT_SCALABLE, None)
    if top < 1:
        return scope(False, full_finish, OptionOutcome.CANNOT_SHRINK, None)
    ctx = plan_context(plan)
    smallest = _finish(project, _place(ctx, plan, with_quantity(project, 1)))
    if not _meets(smallest, by_day):
        return scope(False, smallest, OptionOutcome.ONE_UNIT_LATE, 1.0)
    lo, lo_finish, hi = 1, smallest, top
    while lo < hi:
        mid = (lo + hi + 1) // 2
        finish = _finish(project, _place(ctx, plan, with_quantity(project, mid)))
        if _meets(finish, by_day):
            lo, lo_finish = mid, finish
        else:
            hi = mid - 1
    return scope(True, lo_finish, OptionOutcome.SCOPE_REDUCED, float(lo))


def overtime_option(plan: Plan, project: Project, by_day: int, *, share: float = 0.2) -> Option:
    """The earliest finish if the project's people may work ``share`` more hours.

    Everybody who has one of the project's roles gets ``share`` × their
    regular capacity on top of their free hours on each working day, and an
    effort phase's ``max_hours_per_day`` grows by the same share (at most 24).
    ``overtime_hours`` reports, per role, the hours the placement takes beyond
    the regular free hours.

    Examples
    --------
    >>> from datetime import date
    >>> from promisekeeper.engine.model import Calendar, EffortPhase, Instance, Person, Project
    >>> from promisekeeper.engine.schedule import default_order, schedule_in_order
    >>> instance = Instance(
    ...     calendar=Calendar(start=date(2027, 1, 4), horizon_days=90),
    ...     roles=("developer",),
    ...     people=(Person("ana", {"developer": 1.0}),),
    ... )
    >>> plan = schedule_in_order(instance, default_order(instance))
    >>> option = overtime_option(plan, Project("b", (EffortPhase("build", "developer", 48.0),)), 4)
    >>> option.feasible, option.finish_day, option.overtime_hours
    (True, 5, (('developer', 8.0),))
    """
    _check_by_day(plan, by_day)
    placed, before = overtime_placement(plan, project, share=share)
    finish = _finish(project, placed)
    by_role, by_person = _overtime_split(plan_context(plan), before, project, placed)
    return Option(
        OptionKind.OVERTIME,
        _meets(finish, by_day),
        finish,
        OptionOutcome.OVERTIME,
        by_day,
        overtime_share=share,
        overtime_roles=tuple(sorted(project_roles(project))),
        overtime_hours=by_role,
        overtime_people=by_person,
    )


def overtime_placement(
    plan: Plan, project: Project, *, share: float
) -> tuple[Placement, np.ndarray]:
    """Where ``project`` goes if its people may work ``share`` more hours (see
    :func:`overtime_option`), with the regular free grid it was placed against.

    The hours a person-day gets beyond that grid are the overtime an approval grants. The
    extra hours are what :func:`overtime_room` leaves: overtime already booked on a
    person-day counts against ``share``, so approvals never stack.
    """
    regular, free, stretched = _with_overtime(plan, project, share)
    return place_project(plan_context(plan), free, stretched, NEW_PROJECT), regular


def overtime_confidence(
    plan: Plan, project: Project, *, share: float, samples: int = 1000, seed: int = 0
) -> ConfidenceAnswer:
    """The finish-day quantiles of ``project`` when its people may work ``share`` more
    hours (the room :func:`overtime_room` leaves): how sure a date approved with overtime is.

    The same Monte Carlo as :func:`~promisekeeper.engine.confidence.confidence`, on the free
    grid with the overtime added and the project's daily caps stretched by ``share``.
    """
    _, free, stretched = _with_overtime(plan, project, share)
    with_room = Plan(
        plan.instance,
        plan.capacity,
        free,
        plan.allocations,
        plan.projects,
        context=plan_context(plan),
    )
    return confidence(with_room, stretched, samples=samples, seed=seed)


def _with_overtime(
    plan: Plan, project: Project, share: float
) -> tuple[np.ndarray, np.ndarray, Project]:
    """The regular free grid, the grid with the overtime room of the project's people
    added, and the project with its daily caps stretched by ``share``."""
    _check_share(share, "share")
    new_project_order(plan, project)  # validates the project
    ctx = plan_context(plan)
    rows = ctx.people_able(project_roles(project))
    regular = free_grid(plan)
    free = regular.copy()
    free[rows] += overtime_room(plan, share)[rows]
    stretched = replace(
        project,
        phases=tuple(
            replace(p, max_hours_per_day=min(24.0, p.max_hours_per_day * (1 + share)))
            if isinstance(p, EffortPhase)
            else p
            for p in project.phases
        ),
    )
    return regular, free, stretched


def overtime_room(plan: Plan, share: float) -> np.ndarray:
    """Overtime each person-day may still take when ``share`` × capacity is allowed.

    The plan's free grid stops at zero, so it cannot tell a full day from one already
    booked beyond its capacity; this counts the booked hours themselves. Overtime already
    used (hours booked beyond capacity) comes off ``share`` × capacity, never below zero.

    Examples
    --------
    >>> from datetime import date
    >>> from promisekeeper.engine.edits import schedule_pinned
    >>> from promisekeeper.engine.model import Calendar, EffortPhase, Instance, Person, Project
    >>> from promisekeeper.engine.plan import Allocations
    >>> instance = Instance(
    ...     calendar=Calendar(start=date(2027, 1, 4), horizon_days=7),
    ...     roles=("developer",),
    ...     people=(Person("ana", {"developer": 1.0}),),
    ...     projects=(Project("p", (EffortPhase("build", "developer", 10.0),)),),
    ... )
    >>> booked = Allocations.from_rows([(0, 0, 0, 10.0)])  # 2 hours of overtime on Monday
    >>> room = overtime_room(schedule_pinned(instance, {0: booked}), 0.3)
    >>> [round(hours, 6) for hours in room[0, :2].tolist()]
    [0.4, 2.4]
    """
    _check_share(share, "share")
    people, days = plan.capacity.shape
    allocations = plan.allocations
    cell = np.asarray(allocations.person, dtype=np.int64) * days + allocations.day
    booked = np.bincount(cell, weights=allocations.hours, minlength=people * days)
    used = np.maximum(0.0, booked.reshape(people, days) - plan.capacity)
    return np.maximum(0.0, plan.capacity * share - used)


def hire_option(
    plan: Plan,
    project: Project,
    by_day: int,
    *,
    hire_day: int | None = None,
    baseline: PromiseAnswer | None = None,
) -> Option:
    """The earliest finish if one more person of the bottleneck role joined on ``hire_day``.

    The role is the bottleneck of :func:`~promisekeeper.engine.promise.earliest_finish`
    (or, when the project does not fit the horizon at all, the project's role
    with the most hours of work). The hire has that role only, at efficiency
    1.0, with the median weekly hours and delivery share of the people who
    have the role (a 40-hour week when nobody has it), and starts on
    ``hire_day`` (default ``DEFAULT_HIRE_NOTICE_DAYS``). The project is placed
    on the plan's free capacity plus the hire's; when that does not finish
    earlier than ``baseline`` (the hire starts too late, or another role binds
    as soon as this one has room) the outcome is ``no_gain`` with the
    baseline's finish, so nobody is offered a hire that moves nothing.

    Examples
    --------
    >>> from datetime import date
    >>> from promisekeeper.engine.model import Calendar, EffortPhase, Instance, Person, Project
    >>> from promisekeeper.engine.schedule import default_order, schedule_in_order
    >>> instance = Instance(
    ...     calendar=Calendar(start=date(2027, 1, 4), horizon_days=90),
    ...     roles=("developer",),
    ...     people=(Person("ana", {"developer": 1.0}),),
    ... )
    >>> plan = schedule_in_order(instance, default_order(instance))
    >>> new = Project("b", (EffortPhase("build", "developer", 80.0, max_people=2),))
    >>> option = hire_option(plan, new, 7, hire_day=0)
    >>> option.feasible, option.finish_day, option.hire_role, option.hire_hours
    (True, 5, 'developer', 40.0)
    """
    _check_by_day(plan, by_day)
    hire_day = _hire_day(plan, hire_day)
    baseline = baseline if baseline is not None else earliest_finish(plan, project)
    role = baseline.bottleneck.role if baseline.bottleneck is not None else ""
    role = role or _busiest_role(project)
    if not role:
        return Option(OptionKind.HIRE, False, baseline.finish_day, OptionOutcome.NO_ROLE, by_day)
    instance = plan.instance
    hire = _new_person(plan, role, hire_day)
    ctx = plan_context(plan)
    row = person_capacity(hire, instance.calendar, ctx.working)
    grown = ctx.with_person(hire, row)
    placed = place_project(grown, np.vstack([free_grid(plan), row]), project, NEW_PROJECT)
    finish = _finish(project, placed)
    hours = float(placed.allocations.hours[placed.allocations.person == len(instance.people)].sum())
    gains = finish is not None and (baseline.finish_day is None or finish < baseline.finish_day)
    if not gains:
        finish, hours = baseline.finish_day, 0.0
    return Option(
        OptionKind.HIRE,
        _meets(finish, by_day),
        finish,
        OptionOutcome.HIRE if gains else OptionOutcome.NO_GAIN,
        by_day,
        hire_role=role,
        hire_day=hire_day,
        hire_hours=round(hours, 6),
        hire_weekly_hours=float(sum(hire.weekly_hours)),
    )


def reshuffle_option(plan: Plan, project: Project, by_day: int) -> Option:
    """Whether re-planning unstarted work lets ``project`` finish by ``by_day``.

    This is :func:`~promisekeeper.engine.promise.can_deliver_by` with
    ``allow_reshuffle=True``: yes only if every promise already kept stays
    kept; ``moves`` names the projects whose finish day changes.

    Examples
    --------
    >>> from datetime import date
    >>> from promisekeeper.engine.model import Calendar, EffortPhase, Instance, Person, Project
    >>> from promisekeeper.engine.schedule import default_order, schedule_in_order
    >>> instance = Instance(
    ...     calendar=Calendar(start=date(2027, 1, 4), horizon_days=90),
    ...     roles=("developer",),
    ...     people=(Person("ana", {"developer": 1.0}),),
    ...     projects=(Project("a", (EffortPhase("build", "developer", 40.0),), promised_day=30),),
    ... )
    >>> plan = schedule_in_order(instance, default_order(instance))
    >>> option = reshuffle_option(plan, Project("b", (EffortPhase("b", "developer", 40.0),)), 4)
    >>> option.feasible, option.finish_day, [(m.project_id, m.shift_days) for m in option.moves]
    (True, 5, [('a', 7)])
    """
    _check_by_day(plan, by_day)
    answer = can_deliver_by(plan, project, by_day, allow_reshuffle=True)
    if answer.feasible and answer.moves:
        outcome = OptionOutcome.MOVES
    elif answer.feasible:
        outcome = OptionOutcome.NOTHING_MOVES
    else:
        outcome = OptionOutcome.BREAKS_PROMISES
    return Option(
        OptionKind.RESHUFFLE,
        answer.feasible,
        answer.finish_day,
        outcome,
        by_day,
        moves=answer.moves,
    )


def _check_by_day(plan: Plan, by_day: int) -> None:
    horizon = plan.instance.calendar.horizon_days
    if not 0 <= by_day < horizon:
        raise InvalidInput("by_day", f"must be inside the horizon (0..{horizon - 1}), got {by_day}")


def _check_share(share: float, name: str = "overtime_share") -> None:
    if not 0 < share <= 1:
        raise InvalidInput(name, f"must be in (0, 1], got {share}")


def _hire_day(plan: Plan, hire_day: int | None) -> int:
    horizon = plan.instance.calendar.horizon_days
    if hire_day is None:
        return min(DEFAULT_HIRE_NOTICE_DAYS, horizon - 1)
    if not 0 <= hire_day < horizon:
        raise InvalidInput(
            "hire_day", f"must be inside the horizon (0..{horizon - 1}), got {hire_day}"
        )
    return int(hire_day)


def _meets(finish_day: int | None, by_day: int) -> bool:
    return finish_day is not None and finish_day - 1 <= by_day


def _ends(finish_day: int | None, day: Callable[[int], str]) -> str:
    if finish_day is None:
        return "does not finish inside the horizon"
    return f"has its last work day on {day(finish_day - 1)}"


def _given(value: T | None, name: str) -> T:
    """A field the option's outcome needs (an option built by hand may lack it)."""
    if value is None:
        raise InvalidInput(name, "must be set for this outcome")
    return value


def _place(ctx: Context, plan: Plan, project: Project) -> Placement:
    return place_project(ctx, free_grid(plan), project, NEW_PROJECT)


def _finish(project: Project, placed: Placement) -> int | None:
    return placed.finish_day(project.release_day)


def _busiest_role(project: Project) -> str:
    """The role with the most hours of work in ``project`` ("" when there is none)."""
    hours: dict[str, float] = {}
    for phase in project.phases:
        if isinstance(phase, EffortPhase):
            hours[phase.role] = hours.get(phase.role, 0.0) + phase.remaining_hours
        else:
            for role, count in phase.crew.items():
                work = count * phase.days * phase.hours_per_day
                hours[role] = hours.get(role, 0.0) + work
    busy = [(h, role) for role, h in hours.items() if h > 0]
    return max(busy)[1] if busy else ""


def _new_person(plan: Plan, role: str, hire_day: int) -> Person:
    peers = [p for p in plan.instance.people if role in p.skills]
    taken = {p.id for p in plan.instance.people}
    person_id, k = f"hire-{role}", 2
    while person_id in taken:
        person_id, k = f"hire-{role}-{k}", k + 1
    if not peers:
        return Person(person_id, {role: 1.0}, start_day=hire_day)
    weekly = np.median(np.array([p.weekly_hours for p in peers], dtype=np.float64), axis=0)
    share = float(np.median([p.delivery_share for p in peers]))
    return Person(
        person_id,
        {role: 1.0},
        weekly_hours=tuple(float(h) for h in weekly),
        start_day=hire_day,
        delivery_share=share,
    )


def _overtime_split(
    ctx: Context, regular: np.ndarray, project: Project, placed: Placement
) -> tuple[tuple[tuple[str, float], ...], tuple[tuple[str, float], ...]]:
    """Hours booked beyond ``regular`` free hours, attributed to roles pro rata, and the
    same hours by person."""
    allocations = placed.allocations
    if len(allocations) == 0:
        return (), ()
    cells = allocations.person.astype(np.int64) * regular.shape[1] + allocations.day
    unique, inverse = np.unique(cells, return_inverse=True)
    total = np.bincount(inverse, weights=allocations.hours)
    excess = np.maximum(0.0, total - regular.ravel()[unique])
    share = np.divide(
        allocations.hours, total[inverse], out=np.zeros(len(allocations)), where=total[inverse] > 0
    )
    over = share * excess[inverse]
    by_role: dict[str, float] = {}
    by_person: dict[int, float] = {}
    for person, phase_index, hours in zip(
        allocations.person.tolist(), allocations.phase.tolist(), over.tolist(), strict=True
    ):
        if hours <= 1e-9:
            continue
        role = _role_of(ctx, project.phases[phase_index], person)
        by_role[role] = by_role.get(role, 0.0) + hours
        by_person[person] = by_person.get(person, 0.0) + hours
    people = ctx.instance.people
    return (
        tuple((role, round(hours, 6)) for role, hours in sorted(by_role.items())),
        tuple((people[row].id, round(hours, 6)) for row, hours in sorted(by_person.items())),
    )


def _role_of(ctx: Context, phase: Phase, person: int) -> str:
    """The role a person works in on ``phase``: a fixed crew's role they are best at."""
    if isinstance(phase, EffortPhase):
        return phase.role
    crew = [role for role, count in phase.crew.items() if count > 0]
    return max(crew, key=lambda role: ctx.efficiency[person, ctx.role_index[role]])
