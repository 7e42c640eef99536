"""How sure is a promise? Finish-date quantiles of a new project under effort uncertainty.

:func:`confidence` draws many possible efforts for the new project's phases
(Monte Carlo) and turns them into finish days on top of an existing plan:
P50, P80 and P95, the probability of finishing by any day, and the share of
draws that would run past the planning horizon. The plan is never changed.

Method and its one approximation
--------------------------------
For every phase the sampler precomputes, on the plan's free capacity
*without* the new project, how fast that phase could progress from any start
day: for an effort phase the cumulative effort its best crew delivers per day
(the rule of :func:`promisekeeper.engine.placement.place_effort`), from the
earliest sampled start on and only as far as the samples need, for a fixed
phase the first day from which its crew is available on the needed number of
consecutive working days (the rule of ``place_fixed``). Each sample then walks
the phases in precedence order with array lookups only, so all samples are
evaluated at once.

The approximation: the phases of the new project are evaluated against the
plan's free capacity independently, so parallel branches of the *same* new
project do not compete with each other for the same hours in the sampler
(they do in the deterministic answer). Phases that follow each other never
overlap, so for a chain of phases the sampler is exact: with no uncertainty
every sample equals :func:`~promisekeeper.engine.promise.earliest_finish`.
With parallel branches on the same role the quantiles can be optimistic;
every answer reports by how much at the most likely efforts
(``sampler_gap_days``). The deterministic answer returned alongside (``deterministic``) is always the
exact engine placement. Phase efforts are drawn independently of each other.

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
>>> new = Project("b", (EffortPhase("build", "developer", 40.0, effort_low=32.0, effort_high=80.0),))
>>> answer = confidence(plan, new, samples=500, seed=1)
>>> answer.deterministic.finish_day
5
>>> answer.p50_day <= answer.p80_day <= answer.p95_day
True
"""

from __future__ import annotations

import bisect
import enum
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import partial

import numpy as np

from promisekeeper.engine.effort import EffortDistribution, EffortKind, sample_remaining
from promisekeeper.engine.errors import InvalidInput
from promisekeeper.engine.model import EffortPhase, FixedPhase, Project
from promisekeeper.engine.placement import (
    Context,
    best_crew_effort,
    effort_window,
    place_fixed,
)
from promisekeeper.engine.plan import Plan
from promisekeeper.engine.promise import PromiseAnswer, earliest_finish, free_grid, plan_context

MAX_SAMPLES = 1_000_000
DISTRIBUTIONS = ("triangular", "pert")

_EPS = 1e-9
FAIL = np.iinfo(np.int64).max // 4


class ConfidenceLevel(enum.StrEnum):
    """How sure an organisation wants to be of the dates it promises.

    The value names the quantile of the finish-day distribution a promise may not
    come before (``P80``: at least 80% of the draws have finished by then).

    Examples
    --------
    >>> ConfidenceLevel("P80").quantile
    0.8
    """

    P50 = "P50"
    P80 = "P80"
    P95 = "P95"

    @property
    def quantile(self) -> float:
        """The share of draws that must have finished: 0.5, 0.8 or 0.95."""
        return _QUANTILE_OF_LEVEL[self]


_QUANTILE_OF_LEVEL = {ConfidenceLevel.P50: 0.5, ConfidenceLevel.P80: 0.8, ConfidenceLevel.P95: 0.95}


@dataclass(frozen=True, slots=True)
class ConfidenceAnswer:
    """Finish-day distribution of a new project on top of a plan.

    Day fields are *exclusive* finish days, like
    :attr:`~promisekeeper.engine.promise.PromiseAnswer.finish_day` (the last
    day of work is one less). A quantile is ``None`` when that share of the
    samples only finishes beyond the planning horizon.

    Attributes
    ----------
    project_id
        The new project.
    samples, seed
        How many draws, and the seed that reproduces them.
    p50_day, p80_day, p95_day
        ``quantile(0.5)``, ``quantile(0.8)``, ``quantile(0.95)``.
    finish_days
        Finish day of every sample that ends inside the horizon, sorted.
    beyond_horizon
        Number of samples that do not finish inside the horizon.
    on_time_probability
        Share of samples whose last work day is on or before the project's
        ``promised_day``; ``None`` when the project has no promised day.
    sampler_gap_days
        ``deterministic.finish_day`` minus the sampler's own finish day at the
        most likely efforts: 0 when the sampler reproduces the engine (always
        for a chain of phases), positive when it is optimistic by that many
        days (see the module notes); ``None`` if either is beyond the horizon.
    deterministic
        The exact engine answer with the most likely efforts
        (:func:`~promisekeeper.engine.promise.earliest_finish`); left out of
        equality, which compares the distributions.
    """

    project_id: str
    samples: int
    seed: int
    p50_day: int | None
    p80_day: int | None
    p95_day: int | None
    finish_days: tuple[int, ...]
    beyond_horizon: int
    on_time_probability: float | None
    sampler_gap_days: int | None
    deterministic: PromiseAnswer = field(compare=False)

    @property
    def beyond_horizon_share(self) -> float:
        """Share of samples that do not finish inside the planning horizon."""
        return self.beyond_horizon / self.samples

    def quantile(self, q: float) -> int | None:
        """Smallest finish day by which at least a share ``q`` of the samples has finished.

        ``q`` is in (0, 1]. ``None`` when that day lies beyond the horizon.
        """
        return _quantile(self.finish_days, self.samples, q)

    def probability_by(self, day: int) -> float:
        """Share of samples whose last work day is ``day`` or earlier."""
        return _probability_by(self.finish_days, self.samples, day)


def _quantile(finish_days: Sequence[int], samples: int, q: float) -> int | None:
    if not 0 < q <= 1:
        raise InvalidInput("q", f"must be in (0, 1], got {q}")
    rank = max(1, math.ceil(q * samples - 1e-9))
    return finish_days[rank - 1] if rank <= len(finish_days) else None


def _probability_by(finish_days: Sequence[int], samples: int, day: int) -> float:
    return bisect.bisect_right(finish_days, day + 1) / samples


def confidence(
    plan: Plan,
    project: Project,
    *,
    samples: int = 1000,
    seed: int = 0,
    calibration: Mapping[str, Sequence[float]] | None = None,
    distribution: str = "triangular",
) -> ConfidenceAnswer:
    """Finish-day quantiles of ``project`` on the capacity ``plan`` leaves free.

    Parameters
    ----------
    plan
        The current plan; it is not modified.
    project
        The new project. An effort phase's effort is drawn from its
        ``effort_distribution`` (lognormal, empirical ratios, or the
        triangular/PERT it names), else from ``distribution`` over
        ``(effort_low, effort_hours, effort_high)``; a fixed phase's days from
        ``distribution`` over ``(days_low, days, days_high)``, rounded to whole
        days. Missing bounds mean no uncertainty on that side. A phase with
        ``spent_hours`` draws its total given at least those hours were needed
        and places the rest (:func:`promisekeeper.engine.effort.sample_remaining`).
    samples
        Number of Monte Carlo draws (1 to ``MAX_SAMPLES``).
    seed
        Seed of the NumPy random generator: the same seed gives the same answer.
    calibration
        Optional past actual/estimate ratios keyed by phase id or by role. A
        phase with ratios (its id first, then its role; roles apply to effort
        phases only) gets ``effort_hours`` (or ``days``, rounded) times a ratio
        drawn from that list with replacement (an empirical bootstrap) instead
        of the distribution (of a phase under way, from the ratios that reach
        its spent hours).
    distribution
        ``"triangular"`` or ``"pert"`` (the beta-PERT with weight 4 on the
        most likely value), for phases without an ``effort_distribution``.

    Returns
    -------
    ConfidenceAnswer
        Quantiles, probability of finishing by a day, the share beyond the
        horizon and the deterministic answer.

    Raises
    ------
    InvalidInput
        On a malformed project, ``samples`` out of range, an unknown
        ``distribution`` or a calibration entry that names neither a phase
        nor a role, is empty, or holds a ratio that is not a positive number.

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
    >>> new = Project("b", (EffortPhase("build", "developer", 40.0),))
    >>> answer = confidence(plan, new, calibration={"developer": [1.0, 1.5]}, seed=3)
    >>> answer.p50_day in (5, 10), answer.p95_day
    (True, 10)
    """
    deterministic = earliest_finish(plan, project)  # validates the project
    check_run(samples, distribution)
    ratios = _validate_calibration(plan, project, calibration)
    draws = project_draws(project, ratios, samples, np.random.default_rng(seed), distribution)
    ctx = plan_context(plan)
    finish = simulate(ctx, free_grid(plan), project, draws, samples + 1)
    return answer_of(
        project, deterministic, finish, samples=samples, seed=seed, horizon=ctx.horizon
    )


def check_run(samples: int, distribution: str) -> None:
    """Raise ``InvalidInput`` for a sample count or a distribution name a run cannot take."""
    if not 1 <= samples <= MAX_SAMPLES:
        raise InvalidInput("samples", f"must be between 1 and {MAX_SAMPLES}, got {samples}")
    if distribution not in DISTRIBUTIONS:
        raise InvalidInput(
            "distribution", f"must be one of {', '.join(DISTRIBUTIONS)}, got {distribution!r}"
        )


def project_draws(
    project: Project,
    ratios: Mapping[str, np.ndarray],
    samples: int,
    rng: np.random.Generator,
    distribution: str,
) -> list[np.ndarray]:
    """Per phase, ``samples`` draws of its effort (or days) and the most likely one last."""
    return [
        np.append(draw_phase(phase, ratios, samples, rng, distribution), _most_likely(phase))
        for phase in project.phases
    ]


def answer_of(
    project: Project,
    deterministic: PromiseAnswer,
    finish: np.ndarray,
    *,
    samples: int,
    seed: int,
    horizon: int,
) -> ConfidenceAnswer:
    """The answer from the finish day of every sample and, last, of the most likely efforts."""
    finish, likely = finish[:samples], int(finish[samples])
    gap = (
        None
        if deterministic.finish_day is None or likely > horizon
        else deterministic.finish_day - likely
    )
    inside = np.sort(finish[finish <= horizon])
    finish_days = tuple(inside.astype(np.int64).tolist())
    on_time = (
        None
        if project.promised_day is None
        else _probability_by(finish_days, samples, project.promised_day)
    )
    return ConfidenceAnswer(
        project_id=project.id,
        samples=int(samples),
        seed=int(seed),
        p50_day=_quantile(finish_days, samples, 0.5),
        p80_day=_quantile(finish_days, samples, 0.8),
        p95_day=_quantile(finish_days, samples, 0.95),
        finish_days=finish_days,
        beyond_horizon=int(samples - len(finish_days)),
        on_time_probability=on_time,
        sampler_gap_days=gap,
        deterministic=deterministic,
    )


def confidence_reanchored(
    answer: ConfidenceAnswer, deterministic: PromiseAnswer, *, project: Project, horizon: int
) -> ConfidenceAnswer | None:
    """``answer``'s distribution moved onto a new exact placement of the same project.

    Every sample's finish shifts by the days the deterministic finish moved, so the margins
    of P50/P80/P95 over the exact finish stay those the Monte Carlo run measured. This is
    the cheap re-check for a plan that changed a little since the run (a promise commit
    re-places its work exactly under the capacity lock and keeps the quote's margins).
    Samples shifted past ``horizon`` count as beyond it. ``None`` when either exact finish
    lies beyond the horizon: then there is nothing to anchor to.
    """
    if not answer.project_id == deterministic.project_id == project.id:
        raise InvalidInput("deterministic", "must place the project the answer is about")
    before, after = answer.deterministic.finish_day, deterministic.finish_day
    if before is None or after is None:
        return None
    shift = after - before
    moved = [day + shift for day in answer.finish_days]
    inside = tuple(day for day in moved if day <= horizon)
    return replace(
        answer,
        p50_day=_quantile(inside, answer.samples, 0.5),
        p80_day=_quantile(inside, answer.samples, 0.8),
        p95_day=_quantile(inside, answer.samples, 0.95),
        finish_days=inside,
        beyond_horizon=answer.samples - len(inside),
        on_time_probability=(
            None
            if project.promised_day is None
            else _probability_by(inside, answer.samples, project.promised_day)
        ),
        deterministic=deterministic,
    )


def _validate_calibration(
    plan: Plan, project: Project, calibration: Mapping[str, Sequence[float]] | None
) -> dict[str, np.ndarray]:
    if calibration is None:
        return {}
    known = set(plan.instance.roles) | {phase.id for phase in project.phases}
    ratios: dict[str, np.ndarray] = {}
    for key, values in calibration.items():
        where = f"calibration.{key}"
        if key not in known:
            raise InvalidInput(where, f"{key!r} is neither a role nor a phase of the project")
        try:
            array = np.asarray(list(values), dtype=np.float64)
        except (TypeError, ValueError):
            raise InvalidInput(where, "ratios must be numbers") from None
        if array.ndim != 1 or len(array) == 0:
            raise InvalidInput(where, "must hold at least one ratio")
        if not np.all(np.isfinite(array)) or np.any(array <= 0):
            raise InvalidInput(where, "ratios must be positive finite numbers")
        ratios[key] = array
    return ratios


def _spread(
    low: float, mode: float, high: float, n: int, rng: np.random.Generator, distribution: str
) -> np.ndarray:
    if high - low <= _EPS:
        return np.full(n, mode, dtype=np.float64)
    if distribution == "pert":
        alpha = 1 + 4 * (mode - low) / (high - low)
        beta = 1 + 4 * (high - mode) / (high - low)
        return low + (high - low) * rng.beta(alpha, beta, n)
    return rng.triangular(low, mode, high, n)


def draw_phase(
    phase: EffortPhase | FixedPhase,
    ratios: Mapping[str, np.ndarray],
    n: int,
    rng: np.random.Generator,
    distribution: str,
) -> np.ndarray:
    """Efforts (hours) of an effort phase or durations (days, int64) of a fixed phase."""
    if isinstance(phase, EffortPhase):
        return _draw_effort(
            phase, ratios.get(phase.id, ratios.get(phase.role)), n, rng, distribution
        )
    own = ratios.get(phase.id)
    if own is not None:
        days = phase.days * rng.choice(own, n)
    else:
        low = phase.days if phase.days_low is None else phase.days_low
        high = phase.days if phase.days_high is None else phase.days_high
        days = _spread(float(low), float(phase.days), float(high), n, rng, distribution)
    return np.floor(days + 0.5).astype(np.int64)


def _draw_effort(
    phase: EffortPhase,
    own: np.ndarray | None,
    n: int,
    rng: np.random.Generator,
    distribution: str,
) -> np.ndarray:
    """Efforts still to do (hours) of an effort phase: ``own`` calibration ratios first,
    then the phase's distribution, then ``distribution`` over its low/likely/high; for a
    phase under way the total given what is spent, less the spent hours."""
    given = phase.effort_distribution
    if own is not None:
        given = EffortDistribution(EffortKind.EMPIRICAL, ratios=tuple(own.tolist()))
    kind = EffortKind(distribution) if given is None else given.kind
    effort = phase.effort_hours
    if phase.spent_hours > 0:
        return sample_remaining(
            effort,
            phase.spent_hours,
            n,
            rng,
            low=phase.effort_low,
            high=phase.effort_high,
            distribution=given,
            default=kind,
        )
    if own is not None:
        return effort * rng.choice(own, n)
    if given is not None and kind is EffortKind.LOGNORMAL:
        return effort * rng.lognormal(math.log(given.median), given.sigma, n)
    if given is not None and kind is EffortKind.EMPIRICAL:
        return effort * rng.choice(np.asarray(given.ratios), n)
    low = effort if phase.effort_low is None else phase.effort_low
    high = effort if phase.effort_high is None else phase.effort_high
    return _spread(low, effort, high, n, rng, kind.value)


def _most_likely(phase: EffortPhase | FixedPhase) -> float | int:
    """The estimate itself: the effort the planner places, or whole days (keeps a duration
    array integer)."""
    return phase.remaining_hours if isinstance(phase, EffortPhase) else phase.days


EffortEnd = Callable[[EffortPhase, np.ndarray, np.ndarray], np.ndarray]
"""End day per sample of an effort phase from its start days and efforts per sample."""


def simulate(
    ctx: Context,
    free: np.ndarray,
    project: Project,
    draws: list[np.ndarray],
    n: int,
    end_of: EffortEnd | None = None,
) -> np.ndarray:
    """Finish day of every sample (``> horizon`` for samples beyond the horizon).

    ``end_of`` replaces the rule for effort phases (by default :func:`effort_end` on
    ``free``); fixed phases always follow ``_fixed_end``.
    """
    if end_of is None:
        end_of = partial(effort_end, ctx, free)
    end: dict[str, np.ndarray] = {}
    for index in ctx.phase_order(project, -1):
        phase = project.phases[index]
        start = np.full(n, project.release_day, dtype=np.int64)
        for dep in phase.predecessors:
            np.maximum(start, end[dep.phase] + dep.lag_days, out=start)
        if isinstance(phase, EffortPhase):
            end[phase.id] = end_of(phase, start, draws[index])
        else:
            end[phase.id] = _fixed_end(ctx, free, phase, start, draws[index])
    if not end:
        return np.full(n, project.release_day, dtype=np.int64)
    finish = np.maximum.reduce(list(end.values()))
    finish[finish > ctx.horizon] = FAIL
    return finish


@dataclass(frozen=True)
class CrewStart:
    """Where the samples of one effort phase start: the crews to try (the role's primary
    people first when it has some, then the whole pool), the earliest start inside the
    horizon, each sample's offset from it, and which samples start inside the horizon."""

    crews: list[tuple[np.ndarray, np.ndarray]]
    first: int
    at: np.ndarray
    inside: np.ndarray


def crew_start(ctx: Context, phase: EffortPhase, start: np.ndarray) -> CrewStart | None:
    """``CrewStart`` of ``phase`` from ``start``; None when no sample can be placed (all
    start past the horizon, or the role has nobody)."""
    inside = start < ctx.horizon
    pool = ctx.pools[ctx.role_index[phase.role]]
    if not inside.any() or len(pool.people) == 0:
        return None
    crews = [(pool.people, pool.efficiency)]
    if not pool.primary.all() and pool.primary.any():
        crews.insert(0, (pool.people[pool.primary], pool.efficiency[pool.primary]))
    first = int(start[inside].min())
    at = np.minimum(start, ctx.horizon) - first  # samples outside the horizon are dropped
    return CrewStart(crews, first, at, inside)


def effort_end_of(
    best: np.ndarray, start: np.ndarray, effort: np.ndarray, inside: np.ndarray
) -> np.ndarray:
    """The end days ``best`` with no-effort samples ending where they start and samples
    starting past the horizon failed."""
    best = np.where(effort <= _EPS, start, best)
    return np.where(inside, best, FAIL)


def effort_end(
    ctx: Context, free: np.ndarray, phase: EffortPhase, start: np.ndarray, effort: np.ndarray
) -> np.ndarray:
    """Exclusive end day per sample, as ``place_effort`` would place it from ``start``.

    The crew's daily effort is worked out only from the earliest start on, a window at a
    time, until every sample's effort is covered (or the horizon ends), as ``place_effort``
    does: most phases end long before the horizon does.
    """
    best = np.full(len(start), FAIL, dtype=np.int64)
    crews = crew_start(ctx, phase, start)
    if crews is None:
        return best
    pool_size = len(crews.crews[-1][0])
    window = int(crews.at.max()) + effort_window(phase, pool_size, float(effort.max()))
    for people, eff in crews.crews:
        last = _effort_last_day(
            free[people, : ctx.horizon],
            eff,
            phase,
            crews.first,
            crews.at,
            effort,
            crews.inside,
            window,
        )
        np.minimum(best, last, out=best)
    return effort_end_of(best, start, effort, crews.inside)


def _effort_last_day(
    rows: np.ndarray,
    eff: np.ndarray,
    phase: EffortPhase,
    first: int,
    at: np.ndarray,
    effort: np.ndarray,
    inside: np.ndarray,
    window: int,
) -> np.ndarray:
    """Exclusive end day per sample for one crew (``rows``: its free hours, people x days),
    each sample starting ``at`` days after day ``first``; ``FAIL`` past the horizon. Only
    the samples ``inside`` the horizon need to be covered (``rows`` ends with it)."""
    horizon = rows.shape[1]
    daily = np.zeros(0)
    while True:
        hi = min(horizon, first + window)
        more = best_crew_daily(rows[:, first + len(daily) : hi], eff, phase)
        daily = np.concatenate((daily, more))
        cumulative = np.concatenate(([0.0], np.cumsum(daily)))
        span = len(daily)
        target = cumulative[np.minimum(at, span)] + effort - _EPS
        last = np.searchsorted(cumulative[1:], target)
        if hi >= horizon or bool(((last < span) | ~inside).all()):
            return np.where(last < span, first + last + 1, FAIL)
        window *= 2


def best_crew_daily(free: np.ndarray, eff: np.ndarray, phase: EffortPhase) -> np.ndarray:
    """Effort the best crew delivers on each day of ``free`` (the crew's free hours, people
    x days): ``place_effort``'s rule.

    Each person gives at most ``max_hours_per_day`` of their free hours, worth
    hours x efficiency; the ``max_people`` most effective people count.
    """
    effective = np.minimum(free, phase.max_hours_per_day) * eff[:, None]
    return best_crew_effort(effective, phase.max_people)


def _fixed_end(
    ctx: Context, free: np.ndarray, phase: FixedPhase, start: np.ndarray, days: np.ndarray
) -> np.ndarray:
    """Exclusive end day per sample, as ``place_fixed`` would place it from ``start``."""
    working = ctx.working_days
    ok = _crew_days(ctx, free, phase)
    first = np.searchsorted(working, np.minimum(start, ctx.horizon))
    end = np.where(days <= 0, start, FAIL)
    run = np.concatenate(([0], np.cumsum(ok, dtype=np.int64)))
    for d in np.unique(days[days > 0]):
        d = int(d)
        chosen = days == d
        if d > len(working):
            continue
        full = run[d:] - run[:-d] == d
        fits = np.where(full, np.arange(len(full)), len(working))
        next_fit = np.minimum.accumulate(fits[::-1])[::-1]
        next_fit = np.concatenate((next_fit, np.full(d, len(working))))
        at = next_fit[first[chosen]]
        found = at < len(working)
        last = working[np.minimum(at + d - 1, len(working) - 1)]
        end[chosen] = np.where(found, last + 1, FAIL)
    return np.where(start < ctx.horizon, end, FAIL)


def _crew_days(ctx: Context, free: np.ndarray, phase: FixedPhase) -> np.ndarray:
    """Per working day: can the phase's full crew work on it (``place_fixed``'s test)?

    A person is able for a crew role on a day when they have the role and
    ``hours_per_day`` free. A day certainly fits when every role has enough
    able people who are able for no other role of the crew, and certainly does
    not when a role (or the crew as a whole) lacks able people. Days in between
    are left to the engine: a one-day copy of the phase placed with
    ``place_fixed`` from such a day on lands on the first day a crew fits.
    """
    working = ctx.working_days
    needs = [(ctx.pools[ctx.role_index[r]].people, c) for r, c in phase.crew.items() if c > 0]
    if not needs:
        return np.ones(len(working), dtype=bool)
    members = np.unique(np.concatenate([people for people, _ in needs]))
    able = free[members][:, working] >= phase.hours_per_day - _EPS
    per_role = [able & np.isin(members, people)[:, None] for people, _ in needs]
    ok = np.count_nonzero(able, axis=0) >= sum(c for _, c in needs)
    for role_able, (_, count) in zip(per_role, needs, strict=True):
        ok &= np.count_nonzero(role_able, axis=0) >= count
    if len(needs) == 1:
        return ok
    roles_able = np.sum(per_role, axis=0)
    sure = ok.copy()
    for role_able, (_, count) in zip(per_role, needs, strict=True):
        sure &= np.count_nonzero(role_able & (roles_able == 1), axis=0) >= count
    unsure = np.flatnonzero(ok & ~sure)
    one_day = replace(phase, days=1)
    scratch = free.copy()
    k = 0
    while k < len(unsure):
        placed = place_fixed(ctx, scratch, one_day, int(working[unsure[k]]), -1, 0)
        fit = len(working) if placed is None else int(np.searchsorted(working, placed[0].start_day))
        ok[unsure[k] : fit] = False
        k = int(np.searchsorted(unsure, fit, side="right"))
    return ok
