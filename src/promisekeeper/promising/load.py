"""The bottleneck role's week-by-week load, for the quote page's chart."""

from __future__ import annotations

from promisekeeper.engine.plan import Plan
from promisekeeper.engine.promise import plan_context
from promisekeeper.promising.answer import LoadWeek
from promisekeeper.promising.cache import stats_count
from promisekeeper.promising.snapshot import Snapshot

LOAD_WEEKS = 12


def role_load(snapshot: Snapshot, plan: Plan, role: str) -> tuple[LoadWeek, ...]:
    """Booked vs available hours of a role's people, week by week from this week."""
    stats_count("load_charts")
    ctx = plan_context(plan)
    if role not in ctx.role_index:
        return ()
    people = ctx.pools[ctx.role_index[role]].people
    if len(people) == 0:
        return ()
    first = -snapshot.today.weekday()
    weeks = []
    for k in range(LOAD_WEEKS):
        a, b = max(0, first + 7 * k), min(ctx.horizon, first + 7 * (k + 1))
        if a >= b:
            break
        available = float(plan.capacity[people, a:b].sum())
        booked = available - float(plan.free[people, a:b].sum())
        weeks.append(
            LoadWeek(
                week_start=snapshot.date_of(first + 7 * k),
                booked_hours=round(booked, 2),
                available_hours=round(available, 2),
                utilisation=round(booked / available, 4) if available > 0 else 1.0,
            )
        )
    return tuple(weeks)
