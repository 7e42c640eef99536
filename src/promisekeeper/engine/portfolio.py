"""Portfolio-aware confidence: a new project's finish quantiles with the uncertainty of the
work it competes with.

:func:`~promisekeeper.engine.confidence.confidence` samples only the new project's
phases, on the capacity a fixed plan leaves free: every promise already made is taken
to need exactly its planned ("likely") effort. But committed work overruns too, and
when it does the new project, placed after it, waits. :func:`portfolio_confidence`
also draws the remaining effort of every unfinished effort phase of the firm work in
the plan (in delivery, committed and held projects; tentative work stays as planned),
from the same distributions (:func:`promisekeeper.engine.effort.sample_remaining` for
phases under way), and keeps the existing promises first: their extra hours come out of
the capacity before the new project gets any.

Method: a per-role fluid queue, vectorised over samples
-------------------------------------------------------
For each role the new project's effort phases need, and for every sample:

1. Every competing effort phase of that role (project ``p``, phase ``j``, planned from
   ``start`` to ``end``, effort ``e``) contributes ``delta = drawn - e`` effort hours. An
   overrun (``delta > 0``) arrives on day ``end``: the phase keeps going after its
   planned end. An underrun (``delta < 0``) is credit that arrives on the day the phase
   would now end, ``end - ceil(-delta / rate)`` with ``rate = e / (end - start)`` its
   planned pace.
   Where the role is *saturated* (no free effort) on the phase's last such day, an
   hour it gains or loses only moves the role's other booked work, so it reaches free
   effort where that saturated run ends: per sample, the changes of all phases worked in
   one run are netted, a net overrun arrives on the run's first free day and a net
   underrun frees the run's last booked hours (without this, a short new project behind
   a long queue used an early underrun before the later overruns were known).
2. A signed backlog ``b`` per role runs over the days: arrivals are added; a positive
   backlog takes up to the role's free effort of the day (its people's free hours
   times efficiency), a negative one (credit) gives back up to the role's booked effort
   of the day. What it takes or gives that day is ``x``.
3. The new phase's crew delivers, per day, ``min(d, f - x)`` when competing work takes
   hours (``d`` its crew's effort on the free grid, as the plain sampler has it, ``f``
   the role's free effort), ``min(d - x, top)`` when credit frees hours (``top`` the
   same crew on its full capacity); its end is where the cumulative delivery reaches
   its drawn effort, as in the plain sampler.

Fixed phases of the new project, and its phases of roles no competing phase has, are
evaluated as :func:`~promisekeeper.engine.confidence.confidence` does.

Approximations (measured against re-planning the whole portfolio per sample, in
``benchmarks/bench_portfolio_confidence.py`` and ``tests/engine/test_portfolio.py``):

* Competing work only moves hours of its own role. An overrun that delays the project's
  later phases (a fixed installation after a long build) is not carried into those
  phases' roles, and neither is the capacity their delay frees earlier.
* A role is one pool: a cross-trained person's free hours count in each of their roles,
  and extra competing work slows the new phase's crew only once the role's free effort
  left that day is below the crew's (in a plan it takes the best people first).
* The new project's fixed phases see the plan's free grid unchanged. On the benchmark's
  loaded portfolios this, and the knock-on delays above, leave the answer optimistic.
* Credit is used or lost day by day from its arrival on, in the role's booked hours, not
  on the specific people who were freed.
* Competing fixed phases keep their planned days; calibration ratios are not applied.

With no uncertainty in the competing work every sample is the plain sampler's, so the
answer equals :func:`~promisekeeper.engine.confidence.confidence` with the same seed.

``exact=True`` is the reference: each sample re-places the whole portfolio with the
sampled efforts (in the plan's scheduling order, serially, without pinning or repair)
and places the new project on it. It costs one full schedule per sample.

Examples
--------
>>> from datetime import date
>>> from promisekeeper.engine.model import Calendar, EffortPhase, Instance, Person, Project
>>> from promisekeeper.engine.confidence import confidence
>>> from promisekeeper.engine.schedule import default_order, schedule_in_order
>>> firm = Project(
...     "firm", (EffortPhase("build", "developer", 40.0, effort_low=36.0, effort_high=120.0),)
... )
>>> instance = Instance(
...     calendar=Calendar(start=date(2027, 1, 4), horizon_days=120),
...     roles=("developer",),
...     people=(Person("ana", {"developer": 1.0}),),
...     projects=(firm,),
... )
>>> plan = schedule_in_order(instance, default_order(instance))
>>> new = Project("new", (EffortPhase("build", "developer", 40.0),))
>>> plain = confidence(plan, new, samples=500, seed=1)
>>> aware = portfolio_confidence(plan, new, samples=500, seed=1)
>>> plain.p80_day, aware.p80_day > plain.p80_day
(12, True)
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import partial

import numpy as np

from promisekeeper.engine.confidence import (
    FAIL,
    ConfidenceAnswer,
    answer_of,
    best_crew_daily,
    check_run,
    crew_start,
    draw_phase,
    effort_end,
    effort_end_of,
    project_draws,
    simulate,
)
from promisekeeper.engine.model import EffortPhase, FixedPhase, Phase, Project, ProjectState
from promisekeeper.engine.placement import Context
from promisekeeper.engine.plan import Plan
from promisekeeper.engine.promise import earliest_finish, free_grid, plan_context
from promisekeeper.engine.schedule import schedule_in_order

_EPS = 1e-9
_COMPETING_SEED = 0x504F5254  # a second stream, so the new project's draws stay the plain run's


@dataclass(frozen=True, slots=True)
class _Competing:
    """One unfinished effort phase of firm work, where the plan has it."""

    project: int
    phase: int
    effort: EffortPhase
    start: int
    end: int


def portfolio_confidence(
    plan: Plan,
    project: Project,
    *,
    samples: int = 1000,
    seed: int = 0,
    distribution: str = "triangular",
    exact: bool = False,
) -> ConfidenceAnswer:
    """Finish-day quantiles of ``project`` after the firm work of ``plan``, both uncertain.

    Parameters
    ----------
    plan
        The current plan; it is not modified. Its in-delivery, committed and held
        projects are the competing work, in the order the plan placed them.
    project
        The new project, drawn as :func:`~promisekeeper.engine.confidence.confidence`
        draws it (the same seed gives the same draws).
    samples, seed, distribution
        As for :func:`~promisekeeper.engine.confidence.confidence`; ``distribution`` is
        also the shape of competing phases without an ``effort_distribution``.
    exact
        Re-place the whole portfolio per sample instead of the fluid queue (the
        module notes): the reference the approximation is measured against, one
        schedule per sample.

    Returns
    -------
    ConfidenceAnswer
        As :func:`~promisekeeper.engine.confidence.confidence`; ``deterministic`` is
        the exact placement at the most likely efforts of everything.

    Raises
    ------
    InvalidInput
        On a malformed project, ``samples`` out of range or an unknown ``distribution``.
    """
    deterministic = earliest_finish(plan, project)  # validates the project
    check_run(samples, distribution)
    draws = project_draws(project, {}, samples, np.random.default_rng(seed), distribution)
    ctx = plan_context(plan)
    roles = {phase.role for phase in project.phases if isinstance(phase, EffortPhase)}
    competing = _competing(plan, ctx, roles, every_role=exact)
    rng = np.random.default_rng([seed, _COMPETING_SEED])
    competing_draws = _competing_draws([c.effort for c in competing], samples, rng, distribution)
    n = samples + 1
    if exact:
        finish = _replanned(plan, ctx, project, draws, competing, competing_draws, n)
    else:
        free = free_grid(plan)
        shifts = _role_shifts(ctx, free, competing, competing_draws, n)
        effort_end = partial(_shifted_effort_end, ctx, free, shifts)
        finish = simulate(ctx, free, project, draws, n, effort_end)
    return answer_of(
        project, deterministic, finish, samples=samples, seed=seed, horizon=ctx.horizon
    )


def _competing(plan: Plan, ctx: Context, roles: set[str], *, every_role: bool) -> list[_Competing]:
    """Unfinished effort phases of planned firm work of ``roles``, then (``every_role``)
    those of the other roles: the fluid model draws only the first, and both methods then
    share their draws."""
    found: list[_Competing] = []
    others: list[_Competing] = []
    for project_id, result in plan.projects.items():
        index = ctx.project_index[project_id]
        project = plan.instance.projects[index]
        if project.state is ProjectState.TENTATIVE or result.finish_day is None:
            continue
        for j, (phase, timing) in enumerate(zip(project.phases, result.phases, strict=True)):
            if not isinstance(phase, EffortPhase) or phase.remaining_hours <= _EPS:
                continue
            if phase.role in roles:
                found.append(_Competing(index, j, phase, timing.start_day, timing.end_day))
            elif every_role:
                others.append(_Competing(index, j, phase, timing.start_day, timing.end_day))
    return found + others


def _competing_draws(
    phases: list[EffortPhase], samples: int, rng: np.random.Generator, distribution: str
) -> np.ndarray:
    """Remaining effort of each phase per sample, and its planned effort last (phases x
    samples + 1). Unstarted phases with only low/likely/high bounds, most of a portfolio,
    are drawn together; the others one by one as ``confidence`` draws them."""
    out = np.empty((len(phases), samples + 1), dtype=np.float32)
    out[:, samples] = [phase.remaining_hours for phase in phases]
    plain = [
        k
        for k, phase in enumerate(phases)
        if phase.spent_hours <= 0 and phase.effort_distribution is None
    ]
    low = np.array([_bound(phases[k].effort_low, phases[k].effort_hours) for k in plain])
    mode = np.array([phases[k].effort_hours for k in plain])
    high = np.array([_bound(phases[k].effort_high, phases[k].effort_hours) for k in plain])
    wide = high - low > _EPS
    width = np.where(wide, high - low, 0.0).astype(np.float32)[:, None]
    at = np.where(wide, (mode - low) / np.where(wide, high - low, 1.0), 0.0)
    share = at.astype(np.float32)[:, None]
    if distribution == "pert":
        alpha = (1 + 4 * at)[:, None]
        spread = rng.beta(alpha, 5 - alpha, (len(plain), samples)).astype(np.float32)
    else:
        # the triangular's inverse distribution function, in place
        u = rng.random((len(plain), samples), dtype=np.float32)
        lower = u < share
        upper = np.subtract(1, u)
        np.multiply(upper, 1 - share, out=upper)
        np.sqrt(upper, out=upper)
        np.subtract(1, upper, out=upper)
        np.multiply(u, share, out=u)
        np.sqrt(u, out=u)
        spread = np.where(lower, u, upper)
    np.multiply(spread, width, out=spread)
    np.add(spread, low.astype(np.float32)[:, None], out=spread)
    out[plain, :samples] = spread
    chosen = set(plain)
    for k, phase in enumerate(phases):
        if k not in chosen:
            out[k, :samples] = draw_phase(phase, {}, samples, rng, distribution)
    return out


def _bound(value: float | None, effort: float) -> float:
    return effort if value is None else value


def _role_shifts(
    ctx: Context,
    free: np.ndarray,
    competing: list[_Competing],
    draws: np.ndarray,
    n: int,
) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Per role with competing phases: the effort the fluid queue takes (> 0) or gives back
    (< 0) per day and sample (days x samples), and the role's free effort per day (days x 1)."""
    horizon = ctx.horizon
    roles = sorted({c.effort.role for c in competing})
    if not roles:
        return {}
    slot = {role: k for k, role in enumerate(roles)}
    width = len(roles)
    planned = draws[:, -1:]
    start = np.array([c.start for c in competing])
    end = np.minimum(np.array([c.end for c in competing]), horizon)
    role_of = np.array([slot[c.effort.role] for c in competing])
    delta = draws - planned  # float32: zero wherever the draw is the plan
    planned = planned[:, 0].astype(np.float64)
    room = np.empty((horizon, width, 1), dtype=np.float32)
    booked = np.empty((horizon, width, 1), dtype=np.float32)
    for role, k in slot.items():
        pool = ctx.pools[ctx.role_index[role]]
        eff = pool.efficiency[:, None]
        room[:, k, 0] = (free[pool.people, :horizon] * eff).sum(axis=0)
        booked[:, k, 0] = (ctx.capacity[pool.people, :horizon] * eff).sum(axis=0) - room[:, k, 0]
    runs = [_SaturatedRuns(room[:, k, 0], booked[:, k, 0]) for k in range(width)]
    # day-major, so each day of the queue below is one contiguous roles x samples block
    flat_arrivals = np.zeros(((horizon + 1) * width, n), dtype=np.float32)
    run_ends = np.array(
        [
            runs[r].run_end_of(s, e)
            for r, s, e in zip(role_of.tolist(), start.tolist(), end.tolist(), strict=True)
        ],
        dtype=np.int64,
    )
    in_run = run_ends >= 0
    _add_run_arrivals(flat_arrivals, runs, role_of, run_ends, delta, width, n)
    # elsewhere, overruns arrive on the planned end day, the same row for every sample
    over = np.maximum(delta, 0.0)
    for row, at in enumerate((end * width + role_of).tolist()):
        if not in_run[row]:
            flat_arrivals[at] += over[row]
    # and underruns arrive when the phase would now end, a day per sample
    rows, cols = np.nonzero((delta < -_EPS) & ~in_run[:, None])
    under = delta[rows, cols]
    rate = planned / np.maximum(1, end - start)
    day = np.maximum(start[rows], end[rows] - np.ceil(-under / rate[rows] - _EPS)).astype(np.int64)
    flat = (day * width + role_of[rows]) * n + cols
    flat_arrivals += np.bincount(flat, under, minlength=flat_arrivals.size).reshape(
        flat_arrivals.shape
    )
    arrivals = flat_arrivals.reshape(horizon + 1, width, n)
    np.negative(booked, out=booked)
    taken = np.zeros((horizon, width, n), dtype=np.float32)
    backlog = np.zeros((width, n), dtype=np.float32)
    for day in range(horizon):
        np.add(backlog, arrivals[day], out=backlog)
        out = taken[day]
        np.minimum(backlog, room[day], out=out)
        np.maximum(out, booked[day], out=out)
        np.subtract(backlog, out, out=backlog)
    return {role: (taken[:, k, :], room[:, k]) for role, k in slot.items()}


_SATURATED = 1e-3
"""A role whose free effort on a day is at most this (hours) is saturated that day."""


class _SaturatedRuns:
    """The runs of consecutive days on which a role has no free effort, and its booked
    effort summed over days (to find where a run's last ``x`` booked hours begin)."""

    def __init__(self, room: np.ndarray, booked: np.ndarray) -> None:
        horizon = len(room)
        saturated = room <= _SATURATED
        self.next_free = np.full(horizon + 1, horizon, dtype=np.int64)
        self.run_start = np.zeros(horizon, dtype=np.int64)
        for day in range(horizon - 1, -1, -1):
            self.next_free[day] = self.next_free[day + 1] if saturated[day] else day
        for day in range(horizon):
            if saturated[day] and day > 0 and saturated[day - 1]:
                self.run_start[day] = self.run_start[day - 1]
            else:
                self.run_start[day] = day
        self.last_saturated = np.full(horizon, -1, dtype=np.int64)
        for day in range(horizon):
            previous = self.last_saturated[day - 1] if day else -1
            self.last_saturated[day] = day if saturated[day] else previous
        self.saturated = saturated
        self.cumulative = np.concatenate(([0.0], np.cumsum(booked, dtype=np.float64)))

    def run_end_of(self, start: int, end: int) -> int:
        """The first free day after the saturated run holding the last saturated day of
        ``start..end-1`` (a phase's days); -1 when the role is never saturated then."""
        if end <= start or end > len(self.saturated):
            return -1
        day = int(self.last_saturated[end - 1])
        return int(self.next_free[day]) if day >= start else -1

    def credit_days(
        self, start: int, end: int, credit: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Where the run's last ``credit`` booked hours begin, per sample: the day they
        begin on, the part of the credit inside that day, and the rest (from the next
        day on). Never before the run's first day ``start``; ``end`` is the run's end."""
        target = np.maximum(self.cumulative[end] - credit, self.cumulative[start])
        day = np.clip(np.searchsorted(self.cumulative, target, side="right") - 1, start, end - 1)
        first = np.minimum(credit, self.cumulative[day + 1] - target)
        return day, first, credit - first


def _add_run_arrivals(
    flat_arrivals: np.ndarray,
    runs: list[_SaturatedRuns],
    role_of: np.ndarray,
    run_ends: np.ndarray,
    delta: np.ndarray,
    width: int,
    n: int,
) -> None:
    """Overruns and underruns of phases worked inside a saturated run of their role
    (``run_ends``: the run's end per phase, -1 for none).

    While a role is saturated, every hour a phase gains or loses moves the role's other
    booked work (it starts earlier or later), not the new project: the change only
    reaches free effort where the run ends. So each sample's changes of the phases
    ending in one run are netted: a net overrun arrives on the run's first free day, a
    net underrun frees the run's last booked hours (the run ends that much earlier).
    """
    groups: dict[tuple[int, int], list[int]] = {}
    for row in np.flatnonzero(run_ends >= 0).tolist():
        groups.setdefault((int(role_of[row]), int(run_ends[row])), []).append(row)
    samples = np.arange(n)
    for (role, run_end), rows in groups.items():
        net = delta[rows].sum(axis=0, dtype=np.float64)
        flat_arrivals[run_end * width + role] += np.maximum(net, 0.0).astype(np.float32)
        credit = np.maximum(-net, 0.0)
        if not (credit > _EPS).any():
            continue
        first = int(runs[role].run_start[run_end - 1])
        day, inside, rest = runs[role].credit_days(first, run_end, credit)
        flat = (day * width + role) * n + samples
        np.add.at(flat_arrivals.reshape(-1), flat, -inside.astype(np.float32))
        np.add.at(flat_arrivals.reshape(-1), flat + width * n, -rest.astype(np.float32))


def _shifted_effort_end(
    ctx: Context,
    free: np.ndarray,
    shifts: dict[str, tuple[np.ndarray, np.ndarray]],
    phase: EffortPhase,
    start: np.ndarray,
    effort: np.ndarray,
) -> np.ndarray:
    """End day per sample of a new effort phase on the free grid less what the competing
    work of its role takes, plus what it gives back (the module notes)."""
    shift = shifts.get(phase.role)
    if shift is None:
        return effort_end(ctx, free, phase, start, effort)
    taken, room = shift
    horizon = ctx.horizon
    best = np.full(len(start), FAIL, dtype=np.int64)
    crews = crew_start(ctx, phase, start)
    if crews is None:
        return best
    first, at = crews.first, crews.at
    took, room = taken[first:], room[first:]
    samples = np.arange(len(start))
    for people, eff in crews.crews:
        daily = best_crew_daily(free[people, first:horizon], eff, phase)[:, None]
        top = best_crew_daily(ctx.capacity[people, first:horizon], eff, phase)[:, None]
        shifted = np.where(took >= 0, np.minimum(daily, room - took), np.minimum(daily - took, top))
        cumulative = np.concatenate((np.zeros((1, len(start))), np.cumsum(shifted, axis=0)))
        span = len(cumulative) - 1
        target = cumulative[np.minimum(at, span), samples] + effort - _EPS
        last = np.count_nonzero(cumulative[1:] < target, axis=0)
        np.minimum(best, np.where(last < span, first + last + 1, FAIL), out=best)
    return effort_end_of(best, start, effort, crews.inside)


def _replanned(
    plan: Plan,
    ctx: Context,
    project: Project,
    draws: list[np.ndarray],
    competing: list[_Competing],
    competing_draws: np.ndarray,
    n: int,
) -> np.ndarray:
    """Finish day per sample with the whole portfolio re-placed on its sampled efforts."""
    instance = plan.instance
    order = [ctx.project_index[project_id] for project_id in plan.projects]
    finish = np.full(n, FAIL, dtype=np.int64)
    for s in range(n):
        phases = {i: list(p.phases) for i, p in enumerate(instance.projects)}
        for c, drawn in zip(competing, competing_draws, strict=True):
            if drawn[s] != drawn[-1]:  # else as planned, not its float32 rounding
                phases[c.project][c.phase] = _at(c.effort, float(drawn[s]))
        projects = tuple(
            replace(p, phases=tuple(phases[i])) for i, p in enumerate(instance.projects)
        )
        sampled = schedule_in_order(replace(instance, projects=projects), order)
        new = replace(
            project,
            phases=tuple(_at(p, d[s]) for p, d in zip(project.phases, draws, strict=True)),
        )
        answer = earliest_finish(sampled, new)
        if answer.finish_day is not None:
            finish[s] = answer.finish_day
    return finish


def _at(phase: Phase, drawn: float | np.integer) -> Phase:
    """``phase`` with exactly the drawn effort still to do (or the drawn days)."""
    if isinstance(phase, FixedPhase):
        return replace(phase, days=int(drawn), days_low=None, days_high=None)
    return replace(
        phase,
        effort_hours=max(float(drawn), 0.0),
        effort_low=None,
        effort_high=None,
        effort_distribution=None,
        spent_hours=0.0,
        per_unit_hours=0.0,
    )
