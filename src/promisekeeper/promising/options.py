"""What would make a "no" a "yes": the engine's options, dated for people."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from promisekeeper.engine.options import options as engine_options
from promisekeeper.promising.answer import MovedProject, QuoteOption, finish_date
from promisekeeper.promising.snapshot import Snapshot

if TYPE_CHECKING:
    from promisekeeper.promising.quote import QuoteCore

RESHUFFLE_MAX_PROJECTS = 300


def quote_options(snapshot: Snapshot, core: QuoteCore, by_day: int) -> tuple[QuoteOption, ...]:
    plan = core.plan
    assert core.project is not None and core.engine is not None
    answer = engine_options(
        plan,
        core.project,
        by_day,
        include_reshuffle=len(plan.instance.projects) <= RESHUFFLE_MAX_PROJECTS,
        baseline=core.engine.deterministic,
    )
    names = {p.id: p.name or p.id for p in plan.instance.projects}
    found = []
    for option in answer.options:
        found.append(
            QuoteOption(
                kind=option.kind.value,
                feasible=option.feasible,
                finish_date=finish_date(snapshot, option.finish_day),
                detail=_dated(snapshot, option.detail),
                quantity=option.quantity,
                overtime_hours=tuple(option.overtime_hours),
                hire_role=option.hire_role,
                hire_date=None if option.hire_day is None else snapshot.date_of(option.hire_day),
                moves=tuple(
                    MovedProject(
                        project=m.project_id,
                        name=names.get(m.project_id, m.project_id),
                        old_date=snapshot.date_of(max(0, m.old_finish_day - 1)),
                        new_date=snapshot.date_of(max(0, m.new_finish_day - 1)),
                    )
                    for m in option.moves
                ),
            )
        )
    return tuple(found)


def _dated(snapshot: Snapshot, text: str) -> str:
    """The engine speaks in day indices; people read dates."""
    return re.sub(
        r"\bday (\d+)\b",
        lambda m: f"{snapshot.date_of(int(m.group(1))):%a %d %b %Y}",
        text,
    )
