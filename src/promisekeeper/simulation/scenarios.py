"""The firms a simulation replays, and the stream of work that arrives at them.

A :class:`Scenario` is a firm (people, roles, calendar), what it sells (each
:class:`Offering` is an SOP: effort phases with estimates and precedences), how often
work arrives, and how the *true* effort of a phase relates to its estimate (a
:class:`TrueEffort` law the planner never sees). :func:`arrivals` draws the stream from
a seed alone, so every policy replayed on the same seed meets the same customers with
the same hidden efforts.

Two scenarios are built in:

* :func:`queue_scenario`: one person, one kind of job of 40 estimated hours (five days)
  whose true effort is exponential with that mean, Poisson arrivals at utilisation
  ``rho``, every day a working day. It is the M/M/1 queue, where the best possible quote
  and the best constant lead time are known in closed form
  (:func:`promisekeeper.simulation.scoring.queue_theory`).
* :func:`agency_scenario`: a 19-person agency with five roles, cross-training, four
  offerings with parallel phases, arrivals at about 85 % utilisation, and true effort
  per phase with actual/estimate at median 1.0, P80 1.43 and P95 3.1, as in published
  estimate-vs-actual data.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np

from promisekeeper.engine.model import Dependency, EffortPhase, Person

EVERY_DAY = (True,) * 7
MONDAY_TO_FRIDAY = (True, True, True, True, True, False, False)
START = date(2027, 1, 4)
"""Day 0 of every built-in scenario (a Monday)."""

MAX_TRUE_RATIO = 12.0
"""True effort is capped at this multiple of the estimate (a phase is not endless)."""

_Z80, _Z95 = 0.8416212335729143, 1.6448536269514722


class TrueEffort(enum.StrEnum):
    """How a phase's hidden true effort is drawn from its estimate."""

    EXPONENTIAL = "exponential"
    """Exponential with the estimate as its mean (the M/M/1 queue)."""
    PUBLISHED = "published"
    """actual/estimate with median 1.0, P80 1.43 and P95 3.1: lognormal in two pieces, the
    body through the median and P80, the tail through P80 and P95."""

    def ratios(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """``n`` draws of true effort ÷ estimate."""
        if self is TrueEffort.EXPONENTIAL:
            drawn = rng.exponential(1.0, n)
        else:
            z = rng.standard_normal(n)
            body = math.log(1.43) / _Z80
            tail = (math.log(3.1) - math.log(1.43)) / (_Z95 - _Z80)
            logs = np.where(z <= _Z80, body * z, math.log(1.43) + tail * (z - _Z80))
            drawn = np.exp(logs)
        return np.clip(drawn, 1e-3, MAX_TRUE_RATIO)


@dataclass(frozen=True, slots=True)
class Offering:
    """Something the firm sells: its SOP's effort phases (estimates) and its share of
    arrivals."""

    name: str
    phases: tuple[EffortPhase, ...]
    weight: float = 1.0

    def group(self, phase: EffortPhase) -> str:
        """The calibration group of one of its phases, e.g. ``Website build/design``."""
        return f"{self.name}/{phase.id}"


@dataclass(frozen=True, slots=True)
class Scenario:
    """A firm, what it sells, how often work arrives and how true effort behaves."""

    name: str
    roles: tuple[str, ...]
    people: tuple[Person, ...]
    offerings: tuple[Offering, ...]
    arrivals_per_working_day: float
    true_effort: TrueEffort
    working_weekdays: tuple[bool, ...] = MONDAY_TO_FRIDAY
    start: date = START
    warmup_days: int = 91
    """Promises made before this day are left out of the scores (the first quarter, while
    the calibration has little history and the firm's queue fills)."""
    horizon_days: int = 548
    standard_buffer_days: int = 14
    """The standard lead time is the typical duration on an idle firm plus this."""

    def is_working_day(self, day: int) -> bool:
        return self.working_weekdays[(self.start + timedelta(days=day)).weekday()]


@dataclass(frozen=True, slots=True)
class Arrival:
    """One customer's order: when it arrives, what it is, and its hidden true efforts."""

    number: int
    day: int
    offering: int
    true_hours: tuple[float, ...]


def arrivals(scenario: Scenario, days: int, seed: int) -> list[Arrival]:
    """The orders arriving on days ``0..days-1``: a Poisson number on each working day,
    each of an offering drawn by weight, with true effort per phase. Depends on
    ``scenario`` and ``seed`` only."""
    rng = np.random.default_rng([seed, 0x5349_4D55])
    weights = np.array([o.weight for o in scenario.offerings], dtype=float)
    weights /= weights.sum()
    stream: list[Arrival] = []
    for day in range(days):
        if not scenario.is_working_day(day):
            continue
        for _ in range(int(rng.poisson(scenario.arrivals_per_working_day))):
            k = int(rng.choice(len(weights), p=weights))
            phases = scenario.offerings[k].phases
            ratios = scenario.true_effort.ratios(rng, len(phases))
            true = tuple(float(p.effort_hours * r) for p, r in zip(phases, ratios, strict=True))
            stream.append(Arrival(len(stream) + 1, day, k, true))
    return stream


def queue_scenario(rho: float, *, mean_days: float = 5.0) -> Scenario:
    """The one-person queue at utilisation ``rho``: jobs of mean ``mean_days`` eight-hour
    days, exponential true effort, every day a working day.

    >>> s = queue_scenario(0.8)
    >>> len(s.people), s.arrivals_per_working_day, s.offerings[0].phases[0].effort_hours
    (1, 0.16, 40.0)
    """
    if not 0 < rho < 1:
        raise ValueError(f"rho must be between 0 and 1, got {rho}")
    hours = 8.0 * mean_days
    job = EffortPhase("work", "worker", hours, effort_low=0.1 * hours, effort_high=4 * hours)
    return Scenario(
        name=f"queue-rho-{rho:g}",
        roles=("worker",),
        people=(Person("worker", {"worker": 1.0}, weekly_hours=(8.0,) * 7),),
        offerings=(Offering("Job", (job,)),),
        arrivals_per_working_day=round(rho / mean_days, 6),
        true_effort=TrueEffort.EXPONENTIAL,
        working_weekdays=EVERY_DAY,
        horizon_days=730,
    )


PM, DESIGNER, DEVELOPER, WRITER, TESTER = (
    "project manager",
    "designer",
    "developer",
    "writer",
    "tester",
)


def _phase(
    id_: str, role: str, hours: float, *, after: Sequence[str] = (), people: int = 1
) -> EffortPhase:
    return EffortPhase(
        id_,
        role,
        hours,
        max_people=people,
        predecessors=tuple(Dependency(p) for p in after),
        effort_low=round(0.8 * hours, 1),
        effort_high=round(1.5 * hours, 1),
        name=id_,
    )


AGENCY_OFFERINGS = (
    Offering(
        "Website build",
        (
            _phase("brief", PM, 12),
            _phase("design", DESIGNER, 60, after=["brief"], people=2),
            _phase("content", WRITER, 30, after=["brief"]),
            _phase("build", DEVELOPER, 120, after=["design", "content"], people=2),
            _phase("testing", TESTER, 24, after=["build"]),
        ),
        weight=0.35,
    ),
    Offering(
        "Brand refresh",
        (
            _phase("brief", PM, 8),
            _phase("concepts", DESIGNER, 40, after=["brief"]),
            _phase("guidelines", DESIGNER, 24, after=["concepts"]),
            _phase("copy", WRITER, 16, after=["concepts"]),
        ),
        weight=0.25,
    ),
    Offering(
        "Content campaign",
        (
            _phase("plan", PM, 8),
            _phase("writing", WRITER, 60, after=["plan"], people=2),
            _phase("visuals", DESIGNER, 16, after=["plan"]),
            _phase("review", PM, 4, after=["writing", "visuals"]),
        ),
        weight=0.2,
    ),
    Offering(
        "App prototype",
        (
            _phase("discovery", PM, 16),
            _phase("ux", DESIGNER, 40, after=["discovery"]),
            _phase("build", DEVELOPER, 100, after=["ux"], people=2),
            _phase("testing", TESTER, 20, after=["build"]),
        ),
        weight=0.2,
    ),
)


def _agency_people() -> tuple[Person, ...]:
    people: list[Person] = []

    def hire(count: int, prefix: str, skills: dict[str, float]) -> None:
        for k in range(count):
            people.append(Person(f"{prefix}-{k + 1}", skills))

    hire(1, "pm", {PM: 1.0})
    hire(1, "pm-writer", {PM: 1.0, WRITER: 0.7})
    hire(5, "designer", {DESIGNER: 1.0})
    hire(1, "designer-writer", {DESIGNER: 1.0, WRITER: 0.6})
    hire(6, "developer", {DEVELOPER: 1.0})
    hire(1, "developer-tester", {DEVELOPER: 1.0, TESTER: 0.8})
    hire(3, "writer", {WRITER: 1.0})
    hire(1, "tester", {TESTER: 1.0})
    return tuple(people)


def mean_true_ratio(true_effort: TrueEffort, draws: int = 400_000) -> float:
    """The mean of true effort ÷ estimate (by a fixed-seed Monte Carlo)."""
    return float(true_effort.ratios(np.random.default_rng(7), draws).mean())


def agency_scenario(utilisation: float = 0.85) -> Scenario:
    """The 19-person agency, with arrivals set so the true hours that arrive are
    ``utilisation`` of the firm's hours.

    >>> s = agency_scenario()
    >>> len(s.people), len(s.roles), len(s.offerings)
    (19, 5, 4)
    """
    people = _agency_people()
    weights = sum(o.weight for o in AGENCY_OFFERINGS)
    estimate = sum(o.weight * sum(p.effort_hours for p in o.phases) for o in AGENCY_OFFERINGS)
    true_hours = estimate / weights * mean_true_ratio(TrueEffort.PUBLISHED)
    daily_hours = sum(p.weekly_hours[0] for p in people)
    return Scenario(
        name=f"agency-{utilisation:g}",
        roles=(PM, DESIGNER, DEVELOPER, WRITER, TESTER),
        people=people,
        offerings=AGENCY_OFFERINGS,
        arrivals_per_working_day=round(utilisation * daily_hours / true_hours, 6),
        true_effort=TrueEffort.PUBLISHED,
    )
