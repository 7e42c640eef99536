"""A fast heuristic for instances shaped like the classic RCPSP.

An instance is *RCPSP-shaped* (:func:`is_rcpsp_shaped`) when every phase is a
:class:`~promisekeeper.engine.model.FixedPhase`, every person has exactly one
role at efficiency 1.0 and the same hours on every day of the horizon, and
every day is a working day. Then a role is a renewable resource whose
capacity is its head count, a phase is an activity, and a schedule is just a
start day per phase. :func:`rcpsp_solve` finds good start days with

* the serial schedule generation scheme (SGS) decoding activity lists on
  per-role per-day head-count profiles held in ``bytearray``s and searched
  with C-level ``translate``/``find`` (see :func:`_sgs`). CPU time per SGS
  pass on PSPLIB (j301_1 / j3013_1 / j6013_1): 19 / 78 / 165 us, against
  39 / 120 / 300 us slicing lists of ints and 180 / 650 / 1,900 us with NumPy
  arrays, whose per-call overhead dominates windows of a few days. Roles with
  more than 255 people fall back to the list version;
* an initial population from four priority rules (LFT, LST, MTS, GRPW) and
  regret-biased random sampling on a randomly chosen one of them (on hard
  j30 instances at 2,000 schedules: 0.41 % above the optimum, against
  0.53 % sampling on LFT alone);
* forward-backward improvement (double justification) of every schedule, whose
  start order replaces the activity list (Valls, Ballestín & Quintanilla 2005);
* a genetic algorithm on activity lists (Hartmann 1998): two-point crossover,
  precedence-respecting adjacent swap mutation, elitist survival without
  duplicate schedules, a population that grows with the budget, and a partial
  restart after 30 generations without improvement;

until the time limit, the schedule budget, or the lower bound (critical path
with release days and lags, and the per-role work content bound) is reached.

The objective is the makespan. When a project has a ``promised_day`` the
objective is lexicographic: total weighted lateness first
(:func:`lateness_weight`), then makespan.

Examples
--------
>>> from datetime import date
>>> from promisekeeper.engine.model import (
...     Calendar, Dependency, FixedPhase, Instance, Person, Project)
>>> week = (8.0,) * 7
>>> instance = Instance(
...     Calendar(date(2024, 1, 1), 30, (True,) * 7),
...     ("dev",),
...     (Person("ann", {"dev": 1.0}, week), Person("bob", {"dev": 1.0}, week)),
...     (Project("p", (
...         FixedPhase("a", 3, {"dev": 2}),
...         FixedPhase("b", 2, {"dev": 1}),
...         FixedPhase("c", 2, {"dev": 1}, predecessors=(Dependency("a"),)),
...     )),),
... )
>>> is_rcpsp_shaped(instance)
True
>>> result = rcpsp_solve(instance, time_limit=1.0)
>>> result.status, result.makespan
(<RcpspStatus.OPTIMAL: 'optimal'>, 5)
>>> verify_rcpsp_starts(instance, result.starts)
[]
"""

from __future__ import annotations

import enum
import math
import random
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from promisekeeper.engine.capacity import person_capacity, working_day_mask
from promisekeeper.engine.errors import InvalidInput
from promisekeeper.engine.model import (
    FixedPhase,
    Instance,
    Project,
    ProjectState,
    validate_instance,
)

PhaseKey = tuple[str, str]


class RcpspStatus(enum.StrEnum):
    """Outcome of :func:`rcpsp_solve`.

    ``OPTIMAL`` means the objective meets a proven lower bound; ``FEASIBLE`` a
    valid schedule without that proof; ``INFEASIBLE`` that some phase needs more
    people of a role than exist, or the schedule does not fit the horizon (the
    starts are still returned in that case, ``reason`` says which).
    """

    OPTIMAL = "optimal"
    FEASIBLE = "feasible"
    INFEASIBLE = "infeasible"


@dataclass(frozen=True, slots=True)
class RcpspResult:
    """Start days per ``(project_id, phase_id)`` and what they achieve.

    ``makespan`` is the exclusive end of the last phase; ``lower_bound`` a
    proven lower bound on it (critical path or work content);
    ``weighted_lateness`` the sum over projects with a promise of
    ``lateness_weight * max(0, finish - 1 - promised_day)``; ``schedules`` the
    number of schedule generation passes made; ``wall_time`` seconds spent.
    """

    status: RcpspStatus
    starts: dict[PhaseKey, int] = field(default_factory=dict)
    makespan: int | None = None
    lower_bound: int = 0
    weighted_lateness: int = 0
    schedules: int = 0
    wall_time: float = 0.0
    reason: str = ""


def lateness_weight(project: Project) -> int:
    """Weight of a day of lateness: 8 in delivery, 4 committed, 2 held, 1 tentative."""
    return 2 ** (ProjectState.TENTATIVE - project.state)


def is_rcpsp_shaped(instance: Instance) -> bool:
    """True when the instance is a classic RCPSP in disguise.

    Every phase is fixed, every day of the horizon is a working day, every
    person has exactly one role with efficiency 1.0 and the same available
    hours on every day of the horizon, and those hours cover the
    ``hours_per_day`` of every phase that needs the role. A role's capacity is
    then its head count. Projects may be one or several.
    """
    calendar = instance.calendar
    phases = [phase for project in instance.projects for phase in project.phases]
    if not phases or not all(isinstance(phase, FixedPhase) for phase in phases):
        return False
    if not all(
        len(p.skills) == 1 and next(iter(p.skills.values())) == 1.0 for p in instance.people
    ):
        return False
    working = working_day_mask(calendar)
    if not bool(working.all()):
        return False
    role_hours: dict[str, float] = {}
    for person in instance.people:
        hours = person_capacity(person, calendar, working)
        low = float(hours.min()) if hours.size else 0.0
        if hours.size and low != float(hours.max()):
            return False
        (role,) = person.skills
        role_hours[role] = min(role_hours.get(role, math.inf), low)
    for phase in phases:
        assert isinstance(phase, FixedPhase)
        for role, count in phase.crew.items():
            if count > 0 and phase.hours_per_day > role_hours.get(role, math.inf):
                return False
    return True


def verify_rcpsp_starts(instance: Instance, starts: Mapping[PhaseKey, int]) -> list[str]:
    """Violations of a start-day solution; an empty list means it is feasible.

    Checks that every fixed phase has a start day inside the horizon, on or
    after its project's release day; that it starts at least ``lag_days``
    after each predecessor ends; and that on every day each role's crews fit
    the role's head count. A fixed phase occupies ``days`` consecutive working
    days from its start. Effort phases are reported as unsupported.
    """
    calendar = instance.calendar
    horizon = calendar.horizon_days
    working = np.flatnonzero(working_day_mask(calendar))
    capacity: dict[str, int] = dict.fromkeys(instance.roles, 0)
    for person in instance.people:
        for role in person.skills:
            capacity[role] = capacity.get(role, 0) + 1
    usage = {role: [0] * horizon for role in instance.roles}
    problems: list[str] = []
    for project in instance.projects:
        ends: dict[str, int] = {}
        for phase in project.phases:
            key = (project.id, phase.id)
            if not isinstance(phase, FixedPhase):
                problems.append(f"{key}: effort phases are not checked")
                continue
            if key not in starts:
                problems.append(f"{key}: no start day")
                continue
            start = int(starts[key])
            if not 0 <= start < horizon:
                problems.append(f"{key}: start day {start} outside the horizon")
                continue
            if start < project.release_day:
                problems.append(f"{key}: starts {start} before release {project.release_day}")
            first = int(np.searchsorted(working, start))
            days = working[first : first + phase.days]
            if len(days) < phase.days:
                problems.append(f"{key}: runs past the horizon")
            ends[phase.id] = int(days[-1]) + 1 if len(days) else start
            for day in days:
                for role, count in phase.crew.items():
                    usage.setdefault(role, [0] * horizon)[int(day)] += count
        for phase in project.phases:
            if phase.id not in ends:
                continue
            for dep in phase.predecessors:
                if dep.phase in ends and starts[(project.id, phase.id)] < (
                    ends[dep.phase] + dep.lag_days
                ):
                    problems.append(
                        f"{(project.id, phase.id)}: starts {starts[(project.id, phase.id)]} "
                        f"before {dep.phase} ends {ends[dep.phase]} + lag {dep.lag_days}"
                    )
    for role, profile in usage.items():
        for day, used in enumerate(profile):
            if used > capacity.get(role, 0):
                problems.append(
                    f"role {role}: {used} people needed on day {day}, {capacity.get(role, 0)} exist"
                )
    return problems


def rcpsp_solve(
    instance: Instance,
    *,
    time_limit: float,
    seed: int = 0,
    max_schedules: int | None = None,
) -> RcpspResult:
    """Schedule an RCPSP-shaped instance with a justified genetic algorithm.

    Parameters
    ----------
    instance
        Must satisfy :func:`is_rcpsp_shaped`.
    time_limit
        Wall-clock seconds for the whole call; the search stops early enough
        to leave 5 % of it unused.
    seed
        Seed of the random generator. For a given seed the result is
        deterministic when ``max_schedules`` (or the lower bound) ends the
        search well inside the time limit; when the time limit binds, the
        number of schedules that fit in it (and the population size estimated
        from it) decides.
    max_schedules
        Stop after about this many schedule generation passes (a justified
        schedule costs three).

    Returns
    -------
    RcpspResult
        ``OPTIMAL`` when the lower bound is reached, else ``FEASIBLE``;
        ``INFEASIBLE`` when a phase's crew exceeds its role's head count or
        the schedule runs past the horizon.

    Raises
    ------
    InvalidInput
        If the instance is invalid or not RCPSP-shaped.
    """
    clock = time.perf_counter()
    validate_instance(instance)
    if not is_rcpsp_shaped(instance):
        raise InvalidInput("instance", "not RCPSP-shaped (see is_rcpsp_shaped)")
    net = _Network(instance)
    if net.too_big:
        return RcpspResult(
            RcpspStatus.INFEASIBLE,
            lower_bound=net.lower_bound,
            wall_time=time.perf_counter() - clock,
            reason=net.too_big,
        )
    deadline = clock + time_limit
    search = _Search(net, random.Random(seed), deadline, max_schedules)
    best = search.run()
    return net.result(best.start, search.schedules, time.perf_counter() - clock)


class _Network:
    """Activities as integers: durations, precedence with lags, role requests."""

    def __init__(self, instance: Instance) -> None:
        self.instance = instance
        roles = {role: r for r, role in enumerate(instance.roles)}
        self.caps = [0] * len(roles)
        for person in instance.people:
            for role in person.skills:
                self.caps[roles[role]] += 1
        self.keys: list[PhaseKey] = []
        self.dur: list[int] = []
        self.release: list[int] = []
        self.reqs: list[tuple[tuple[int, int], ...]] = []
        self.project_of: list[int] = []
        preds: list[list[tuple[int, int]]] = []
        self.too_big = ""
        for p, project in enumerate(instance.projects):
            index = {phase.id: len(self.keys) + k for k, phase in enumerate(project.phases)}
            for phase in project.phases:
                assert isinstance(phase, FixedPhase)
                self.keys.append((project.id, phase.id))
                self.dur.append(phase.days)
                self.release.append(project.release_day)
                self.project_of.append(p)
                reqs = tuple(
                    (roles[role], count) for role, count in phase.crew.items() if count > 0
                )
                for r, count in reqs:
                    if count > self.caps[r] and phase.days > 0:
                        self.too_big = (
                            f"phase {(project.id, phase.id)} needs {count} people of role "
                            f"{instance.roles[r]} but only {self.caps[r]} exist"
                        )
                self.reqs.append(reqs if phase.days > 0 else ())
                preds.append([(index[d.phase], d.lag_days) for d in phase.predecessors])
        n = len(self.keys)
        self.n = n
        self.preds = [tuple(p) for p in preds]
        succs: list[list[tuple[int, int]]] = [[] for _ in range(n)]
        for j, plist in enumerate(self.preds):
            for i, lag in plist:
                succs[i].append((j, lag))
        self.succs = [tuple(s) for s in succs]
        self.succ_set = [frozenset(j for j, _ in s) for s in self.succs]
        self.topo = self._topological()
        self.rank = [0] * n
        for position, j in enumerate(self.topo):
            self.rank[j] = position
        self.horizon = (
            max(self.release, default=0)
            + sum(self.dur)
            + sum(lag for plist in self.preds for _, lag in plist)
            + 1
        )
        # Forward CPM with release days and lags.
        es = [0] * n
        for j in self.topo:
            t = self.release[j]
            for i, lag in self.preds[j]:
                t = max(t, es[i] + self.dur[i] + lag)
            es[j] = t
        self.cpm_bound = max((es[j] + self.dur[j] for j in range(n)), default=0)
        work = [0] * len(self.caps)
        for j in range(n):
            for r, q in self.reqs[j]:
                work[r] += q * self.dur[j]
        self.energy_bound = max(
            (-(-w // c) for w, c in zip(work, self.caps, strict=True) if c > 0), default=0
        )
        self.lower_bound = max(self.cpm_bound, self.energy_bound)
        # The request format each SGS variant expects: see _sgs and _sgs_wide.
        self.sgs: Callable[..., tuple[list[int], list[int], int]]
        self.sgs_reqs: list[tuple[tuple[Any, ...], ...]]
        if max(self.caps, default=0) <= 255:
            self.sgs = _sgs
            self.sgs_reqs = [tuple((r, _FITS[q], _MINUS[q]) for r, q in reqs) for reqs in self.reqs]
        else:
            self.sgs = _sgs_wide
            self.sgs_reqs = list(self.reqs)
        # Backward CPM from the critical-path length: latest finish times.
        lf = [self.cpm_bound] * n
        for i in reversed(self.topo):
            for j, lag in self.succs[i]:
                lf[i] = min(lf[i], lf[j] - self.dur[j] - lag)
        self.lft = lf
        # Lexicographic objective: weighted lateness first, then makespan.
        self.promised = [project.promised_day for project in instance.projects]
        self.weights = [lateness_weight(project) for project in instance.projects]
        self.has_promises = any(d is not None for d in self.promised)
        self.big = self.horizon + 1

    def _topological(self) -> list[int]:
        indegree = [len(p) for p in self.preds]
        ready = [j for j in range(self.n) if indegree[j] == 0]
        order: list[int] = []
        while ready:
            i = ready.pop()
            order.append(i)
            for j, _ in self.succs[i]:
                indegree[j] -= 1
                if indegree[j] == 0:
                    ready.append(j)
        return order

    def lateness(self, finish: Sequence[int]) -> int:
        ends = [0] * len(self.promised)
        for j, f in enumerate(finish):
            p = self.project_of[j]
            if f > ends[p]:
                ends[p] = f
        return sum(
            w * max(0, end - 1 - promised)
            for end, promised, w in zip(ends, self.promised, self.weights, strict=True)
            if promised is not None
        )

    def result(self, start: Sequence[int], schedules: int, wall: float) -> RcpspResult:
        finish = [s + d for s, d in zip(start, self.dur, strict=True)]
        makespan = max(finish, default=0)
        lateness = self.lateness(finish) if self.has_promises else 0
        status = (
            RcpspStatus.OPTIMAL
            if makespan == self.lower_bound and lateness == 0
            else RcpspStatus.FEASIBLE
        )
        reason = ""
        if makespan > self.instance.calendar.horizon_days:
            status = RcpspStatus.INFEASIBLE
            reason = (
                f"the schedule ends on day {makespan}, after the horizon of "
                f"{self.instance.calendar.horizon_days} days"
            )
        return RcpspResult(
            status,
            {key: int(s) for key, s in zip(self.keys, start, strict=True)},
            makespan,
            self.lower_bound,
            lateness,
            schedules,
            wall,
            reason,
        )


_FITS = [bytes(49 if x >= q else 48 for x in range(256)) for q in range(256)]
_MINUS = [bytes((x - q) % 256 for x in range(256)) for q in range(256)]
_LOOKAHEAD = 24


def _sgs(
    order: Sequence[int],
    dur: list[int],
    preds: list[tuple[tuple[int, int], ...]],
    reqs: list[tuple[tuple[int, bytes, bytes], ...]],
    caps: list[int],
    release: list[int],
    horizon: int,
) -> tuple[list[int], list[int], int]:
    """Serial SGS: each activity in list order at its earliest precedence- and resource-feasible day.

    A role's free head count per day is a ``bytearray``. A request is ``(role,
    _FITS[q], _MINUS[q])``: ``translate`` with ``_FITS[q]`` turns the profile
    into ``b"1"`` where ``q`` people are free and ``b"0"`` elsewhere, so the
    earliest window of ``d`` free days is a C-level ``find(b"1" * d)``, first
    in a short look-ahead, then in the whole profile; ``_MINUS[q]`` books the
    crew. Needs capacities of at most 255.
    """
    n = len(dur)
    start = [0] * n
    finish = [0] * n
    avail = [bytearray([c]) * horizon for c in caps]
    makespan = 0
    for i in order:
        t = release[i]
        for p, lag in preds[i]:
            f = finish[p] + lag
            if f > t:
                t = f
        d = dur[i]
        rq = reqs[i]
        if len(rq) == 1:
            ((r, fit, book),) = rq
            a = avail[r]
            window = b"1" * d
            k = a[t : t + d + _LOOKAHEAD].translate(fit).find(window)
            t = a.translate(fit).find(window, t) if k < 0 else t + k
            end = t + d
            a[t:end] = a[t:end].translate(book)
        elif rq:
            window = b"1" * d
            reach = d + _LOOKAHEAD
            moved = True
            while moved:
                moved = False
                for r, fit, _ in rq:
                    a = avail[r]
                    k = a[t : t + reach].translate(fit).find(window)
                    if k < 0:
                        k = a.translate(fit).find(window, t) - t
                    if k:
                        t += k
                        moved = True
            end = t + d
            for r, _, book in rq:
                a = avail[r]
                a[t:end] = a[t:end].translate(book)
        else:
            end = t + d
        start[i] = t
        finish[i] = end
        if end > makespan:
            makespan = end
    return start, finish, makespan


def _sgs_wide(
    order: Sequence[int],
    dur: list[int],
    preds: list[tuple[tuple[int, int], ...]],
    reqs: list[tuple[tuple[int, int], ...]],
    caps: list[int],
    release: list[int],
    horizon: int,
) -> tuple[list[int], list[int], int]:
    """Serial SGS on lists of ints, for roles with more than 255 people (see :func:`_sgs`)."""
    n = len(dur)
    start = [0] * n
    finish = [0] * n
    avail = [[c] * horizon for c in caps]
    makespan = 0
    for i in order:
        t = release[i]
        for p, lag in preds[i]:
            f = finish[p] + lag
            if f > t:
                t = f
        d = dur[i]
        rq = reqs[i]
        end = t + d
        if rq:
            moved = True
            while moved:
                moved = False
                for r, q in rq:
                    a = avail[r]
                    if min(a[t:end]) < q:
                        k = end - 1
                        while a[k] >= q:
                            k -= 1
                        t = k + 1
                        end = t + d
                        moved = True
                        break
            for r, q in rq:
                a = avail[r]
                a[t:end] = [x - q for x in a[t:end]]
        start[i] = t
        finish[i] = end
        if end > makespan:
            makespan = end
    return start, finish, makespan


@dataclass(slots=True)
class _Individual:
    order: list[int]
    start: list[int]
    key: int


class _Search:
    """Priority rules, regret-biased sampling, then a justified GA on activity lists."""

    population_bounds = (20, 120)
    mutation_per_list = 1.0
    restart_after = 30

    def __init__(
        self,
        net: _Network,
        rng: random.Random,
        deadline: float,
        max_schedules: int | None,
    ) -> None:
        self.net = net
        self.rng = rng
        self.deadline = deadline
        self.max_schedules = max_schedules
        self.schedules = 0
        self.best: _Individual | None = None
        self.lb_key = net.lower_bound
        self.zero_release = [0] * net.n
        self.started = time.perf_counter()
        self.margin = 0.05 * max(0.0, deadline - self.started)

    def exhausted(self) -> bool:
        if self.best is not None and self.best.key <= self.lb_key:
            return True
        if self.max_schedules is not None and self.schedules >= self.max_schedules:
            return True
        # Stop when one more justified schedule (at the mean pace) would run
        # into the last 5 % of the time limit, kept for the result and jitter.
        now = time.perf_counter()
        pace = 3 * (now - self.started) / max(1, self.schedules)
        return now + pace >= self.deadline - self.margin

    def key(self, start: list[int], finish: list[int], makespan: int) -> int:
        if not self.net.has_promises:
            return makespan
        return self.net.lateness(finish) * self.net.big + makespan

    def evaluate(self, order: Sequence[int]) -> _Individual:
        """Decode, then justify right and left; keep the better and its start order."""
        net = self.net
        sgs = net.sgs
        start, finish, mk = sgs(
            order, net.dur, net.preds, net.sgs_reqs, net.caps, net.release, net.horizon
        )
        key = self.key(start, finish, mk)
        self.schedules += 1
        best = _Individual(list(order), start, key)
        if net.n > 1:
            # Orders by time must stay topological where zero durations and
            # zero lags tie: the topological rank breaks ties.
            n, rank = net.n, net.rank
            latest_first = [f * n + r for f, r in zip(finish, rank, strict=True)]
            back = sorted(range(n), key=latest_first.__getitem__, reverse=True)
            _, rfinish, _ = sgs(
                back, net.dur, net.succs, net.sgs_reqs, net.caps, self.zero_release, net.horizon
            )
            earliest_first = [f * n - r for f, r in zip(rfinish, rank, strict=True)]
            forward = sorted(range(n), key=earliest_first.__getitem__, reverse=True)
            fstart, ffinish, fmk = sgs(
                forward, net.dur, net.preds, net.sgs_reqs, net.caps, net.release, net.horizon
            )
            self.schedules += 2
            fkey = self.key(fstart, ffinish, fmk)
            if fkey <= key:
                by_start = [s * n + r for s, r in zip(fstart, rank, strict=True)]
                order = sorted(range(n), key=by_start.__getitem__)
                best = _Individual(order, fstart, fkey)
        if self.best is None or best.key < self.best.key:
            self.best = best
        return best

    def priority_list(self, priority: Sequence[float]) -> list[int]:
        """Precedence-feasible list choosing the eligible activity with the smallest priority."""
        net = self.net
        indegree = [len(p) for p in net.preds]
        eligible = [j for j in range(net.n) if indegree[j] == 0]
        order: list[int] = []
        while eligible:
            j = min(eligible, key=lambda k: (priority[k], k))
            eligible.remove(j)
            order.append(j)
            for s, _ in net.succs[j]:
                indegree[s] -= 1
                if indegree[s] == 0:
                    eligible.append(s)
        return order

    def regret_list(self, priority: Sequence[float]) -> list[int]:
        """Regret-biased random sampling: weight (max priority - priority + 1) squared."""
        net = self.net
        rng = self.rng
        indegree = [len(p) for p in net.preds]
        eligible = [j for j in range(net.n) if indegree[j] == 0]
        order: list[int] = []
        while eligible:
            worst = max(priority[k] for k in eligible)
            weights = [(worst - priority[k] + 1) ** 2 for k in eligible]
            pick = rng.choices(range(len(eligible)), weights)[0]
            j = eligible.pop(pick)
            order.append(j)
            for s, _ in net.succs[j]:
                indegree[s] -= 1
                if indegree[s] == 0:
                    eligible.append(s)
        return order

    def rules(self) -> list[list[float]]:
        net = self.net
        lft = [float(x) for x in net.lft]
        lst = [lf - d for lf, d in zip(lft, net.dur, strict=True)]
        total = [0] * net.n
        reach: list[set[int]] = [set() for _ in range(net.n)]
        for i in reversed(net.topo):
            for j, _ in net.succs[i]:
                reach[i].add(j)
                reach[i] |= reach[j]
            total[i] = len(reach[i])
        mts = [-float(t) for t in total]
        grpw = [-float(net.dur[i] + sum(net.dur[j] for j, _ in net.succs[i])) for i in range(net.n)]
        return [lft, lst, mts, grpw]

    def crossover(self, mother: list[int], father: list[int]) -> list[int]:
        n = len(mother)
        q1 = self.rng.randrange(n + 1)
        q2 = self.rng.randrange(q1, n + 1)
        child = mother[:q1]
        taken = set(child)
        for j in father:
            if len(child) >= q2:
                break
            if j not in taken:
                child.append(j)
                taken.add(j)
        child.extend(j for j in mother if j not in taken)
        return child

    def mutate(self, order: list[int], rate: float) -> None:
        succ_set = self.net.succ_set
        rng = self.rng
        for k in range(len(order) - 1):
            if rng.random() < rate and order[k + 1] not in succ_set[order[k]]:
                order[k], order[k + 1] = order[k + 1], order[k]

    def population_size(self, evaluated: int) -> int:
        """About 4 * E^(1/3) for a budget of E more justified schedules.

        Measured on PSPLIB: 40 beat 60 on j30 at 2,000 schedules, 80 beat 40 on
        j60 at 15,000. E comes from ``max_schedules`` when that binds, otherwise
        from the time the first ``evaluated`` schedules took.
        """
        per_evaluation = (time.perf_counter() - self.started) / max(1, evaluated)
        budget = (self.deadline - time.perf_counter()) / max(per_evaluation, 1e-6)
        if self.max_schedules is not None:
            budget = min(budget, (self.max_schedules - self.schedules) / 3)
        low, high = self.population_bounds
        return max(low, min(high, round(4 * max(budget, 0) ** (1 / 3))))

    def run(self) -> _Individual:
        net = self.net
        if net.n == 0:
            return _Individual([], [], 0)
        rules = self.rules()
        population: list[_Individual] = []
        for priority in rules:
            population.append(self.evaluate(self.priority_list(priority)))
            if self.exhausted():
                return self._best()
        size = self.population_size(len(population))
        while len(population) < size and not self.exhausted():
            order = self.regret_list(rules[self.rng.randrange(len(rules))])
            population.append(self.evaluate(order))
        rate = self.mutation_per_list / max(2, net.n)
        stagnant = 0
        while not self.exhausted():
            self.rng.shuffle(population)
            children: list[_Individual] = []
            for k in range(0, len(population) - 1, 2):
                mother, father = population[k].order, population[k + 1].order
                for a, b in ((mother, father), (father, mother)):
                    child = self.crossover(a, b)
                    self.mutate(child, rate)
                    children.append(self.evaluate(child))
                    if self.exhausted():
                        return self._best()
            before = min(ind.key for ind in population)
            population = self._survivors(population + children, size)
            if population[0].key < before:
                stagnant = 0
            else:
                stagnant += 1
            if stagnant >= self.restart_after:
                population = population[: size // 4]
                while len(population) < size and not self.exhausted():
                    order = self.regret_list(rules[self.rng.randrange(len(rules))])
                    population.append(self.evaluate(order))
                population = self._survivors(population, size)
                stagnant = 0
        return self._best()

    def _survivors(self, pool: list[_Individual], size: int) -> list[_Individual]:
        pool.sort(key=lambda ind: ind.key)
        seen: set[tuple[int, ...]] = set()
        kept: list[_Individual] = []
        for ind in pool:
            signature = tuple(ind.start)
            if signature in seen:
                continue
            seen.add(signature)
            kept.append(ind)
            if len(kept) == size:
                break
        return kept

    def _best(self) -> _Individual:
        assert self.best is not None
        return self.best
