"""What would make a "no" a "yes": the engine's options, dated for people."""

from __future__ import annotations

from typing import TYPE_CHECKING

from promisekeeper.engine.options import options as engine_options
from promisekeeper.promising.answer import MovedProject, QuoteOption, finish_date
from promisekeeper.promising.snapshot import Snapshot

if TYPE_CHECKING:
    from promisekeeper.promising.quote import QuoteCore

RESHUFFLE_MAX_PROJECTS = 300


def quote_options(snapshot: Snapshot, core: QuoteCore, by_day: int) -> tuple[QuoteOption, ...]:
    """The engine's options for finishing by ``by_day``, as data with dates (its sentence is
    built from the same data, with dates instead of day indices)."""
    plan = core.plan
    assert core.project is not None and core.engine is not None
    answer = engine_options(
        plan,
        core.project,
        by_day,
        include_reshuffle=len(plan.instance.projects) <= RESHUFFLE_MAX_PROJECTS,
        baseline=core.engine.deterministic,
    )
    # People know projects by name; an engine id ("deal-44") is never shown.
    names = {p.id: p.name or "another project" for p in plan.instance.projects}
    found = []
    for option in answer.options:
        found.append(
            QuoteOption(
                kind=option.kind.value,
                feasible=option.feasible,
                finish_date=finish_date(snapshot, option.finish_day),
                detail=option.describe(
                    lambda day: f"{snapshot.date_of(day):%a %d %b %Y}",
                    lambda project_id: names.get(project_id, "another project"),
                ),
                outcome=option.outcome.value,
                quantity=option.quantity,
                overtime_hours=tuple(option.overtime_hours),
                hire_role=option.hire_role,
                hire_date=None if option.hire_day is None else snapshot.date_of(option.hire_day),
                moves=tuple(
                    MovedProject(
                        project=m.project_id,
                        name=names.get(m.project_id, "another project"),
                        old_date=snapshot.date_of(max(0, m.old_finish_day - 1)),
                        new_date=snapshot.date_of(max(0, m.new_finish_day - 1)),
                    )
                    for m in option.moves
                ),
            )
        )
    return tuple(found)
