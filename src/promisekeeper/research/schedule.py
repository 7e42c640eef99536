"""Plan a portfolio as the engine does, with the RCPSP solvers where they apply.

:func:`schedule` hands every instance to
:func:`promisekeeper.engine.schedule.schedule` except one shaped like the
classic RCPSP (:func:`~promisekeeper.research.rcpsp.is_rcpsp_shaped`, such as a
PSPLIB file). Its start days come from the genetic algorithm
(:func:`~promisekeeper.research.rcpsp.rcpsp_solve`) or from CP-SAT
(:func:`~promisekeeper.research.exact.improve_rcpsp`), and
:func:`~promisekeeper.engine.schedule.plan_from_start_days` turns them into a
plan. The product engine does not take this path: its instances are never
RCPSP-shaped, and it must not depend on research code.

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
>>> schedule(instance, time_limit=1.0).makespan_days
5
"""

from __future__ import annotations

from promisekeeper.engine.model import Instance, validate_instance
from promisekeeper.engine.plan import Plan
from promisekeeper.engine.schedule import plan_from_start_days
from promisekeeper.engine.schedule import schedule as engine_schedule
from promisekeeper.research.exact import improve_rcpsp
from promisekeeper.research.rcpsp import is_rcpsp_shaped, rcpsp_solve


def schedule(
    instance: Instance, *, time_limit: float = 10.0, exact: bool = False, seed: int = 0
) -> Plan:
    """Plan all work of ``instance``, RCPSP-shaped instances with the RCPSP solvers.

    Parameters
    ----------
    instance
        The portfolio. Validated first; bad input raises ``InvalidInput``.
    time_limit
        Seconds the search may use: the RCPSP heuristic or CP-SAT, or the
        engine's repair pass for any other instance.
    exact
        Improve an RCPSP-shaped instance with CP-SAT (OR-Tools, imported only
        then); other instances ignore it.
    seed
        Seed of the RCPSP searches, for reproducible plans.

    Returns
    -------
    Plan
        A plan that satisfies every engine invariant.
    """
    validate_instance(instance)
    if not (instance.projects and is_rcpsp_shaped(instance)):
        return engine_schedule(instance, time_limit=time_limit)
    if exact:
        found = improve_rcpsp(instance, time_limit=time_limit, seed=seed)
    else:
        found = rcpsp_solve(instance, time_limit=time_limit, seed=seed)
    return plan_from_start_days(instance, found.starts)
