"""What an approved exception lets a commit do: check the approval covers it, then apply its
overtime or reshuffle on the current plan."""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from promisekeeper.engine.model import Project
from promisekeeper.engine.options import overtime_placement
from promisekeeper.engine.plan import Allocations, Plan
from promisekeeper.engine.promise import can_deliver_by
from promisekeeper.promising.errors import QuoteInputError
from promisekeeper.promising.quote import Evaluation
from promisekeeper.promising.reservations import ApprovedOvertime
from promisekeeper.promising.snapshot import Snapshot
from promisekeeper.sales.models import (
    Deal,
    ExceptionRequest,
)


def approval_covers(
    exception: ExceptionRequest | None, deal: Deal, promised_date: datetime.date
) -> bool:
    if exception is None:
        return False
    if exception.deal_id != deal.pk:
        raise QuoteInputError("exception", "belongs to another deal")
    if exception.status != ExceptionRequest.Status.APPROVED:
        raise QuoteInputError("exception", "is not approved")
    if promised_date < exception.requested_date:
        raise QuoteInputError("exception", "does not cover a date that early")
    return True


@dataclass(frozen=True)
class ApprovedPlacement:
    """How an approved exception's overtime or reshuffle makes its date: the new project's
    hours, the overtime they use (its share and the regular free hours they were placed
    against), and the promised projects whose hours move (delivery project pk -> engine
    project and its new allocations)."""

    allocations: Allocations
    overtime: ApprovedOvertime | None
    moved: dict[int, tuple[Project, Allocations]]
    note: dict[str, Any]


def approved_placement(
    exception: ExceptionRequest,
    evaluation: Evaluation,
    snapshot: Snapshot,
    promised_date: datetime.date,
) -> ApprovedPlacement | None:
    """Apply what operations approved, re-checked on the current plan: overtime first, then a
    reshuffle of unstarted work. None when neither makes the date (the approval still lets
    the date be promised; the hours are then booked where they fit)."""
    project = evaluation.project
    by_day = (promised_date - snapshot.today).days
    if project is None or not 0 <= by_day < snapshot.instance.calendar.horizon_days:
        return None
    if exception.overtime_share is not None:
        share = float(exception.overtime_share)
        placed, regular = overtime_placement(evaluation.plan, project, share=share)
        finish = placed.finish_day(project.release_day)
        if finish is not None and finish - 1 <= by_day:
            return ApprovedPlacement(
                placed.allocations,
                ApprovedOvertime(share, regular),
                {},
                {"overtime_share": share},
            )
    if exception.allow_reshuffle:
        delivery = can_deliver_by(evaluation.plan, project, by_day, allow_reshuffle=True)
        if delivery.feasible and delivery.reshuffled and delivery.plan is not None:
            return _reshuffled(delivery.plan, delivery.moves, snapshot)
    return None


def _reshuffled(merged: Plan, moves: Sequence[Any], snapshot: Snapshot) -> ApprovedPlacement:
    instance = merged.instance
    index = {p.id: k for k, p in enumerate(instance.projects)}

    def allocations_of(k: int) -> Allocations:
        return merged.allocations.where(merged.allocations.project == k)

    moved: dict[int, tuple[Project, Allocations]] = {}
    names = []
    for move in moves:
        ref = snapshot.projects.get(move.project_id)
        if ref is None or ref.kind != "project":
            continue  # a held deal: it re-plans with the next snapshot
        k = index[move.project_id]
        moved[ref.pk] = (instance.projects[k], allocations_of(k))
        names.append({"project": ref.pk, "shift_days": move.shift_days})
    return ApprovedPlacement(
        allocations_of(len(instance.projects) - 1), None, moved, {"reshuffle": names}
    )
