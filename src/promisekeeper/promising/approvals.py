"""What an approved exception lets a commit do: check the approval covers it (its deal, its
lines and quantities, its date, not used yet), then apply its overtime or reshuffle on the
current plan and let the engine re-check the date."""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.utils import timezone

from promisekeeper.catalog.models import Offering, Product
from promisekeeper.engine.confidence import ConfidenceAnswer, confidence
from promisekeeper.engine.edits import plan_without
from promisekeeper.engine.model import Project
from promisekeeper.engine.options import overtime_confidence, overtime_placement
from promisekeeper.engine.plan import Allocations, Plan
from promisekeeper.engine.promise import can_deliver_by
from promisekeeper.engine.verdict import strongest_level_met
from promisekeeper.promising.booking import Taken, Work
from promisekeeper.promising.errors import QuoteInputError
from promisekeeper.promising.lines import LineRow, QuoteLine, canonical_lines
from promisekeeper.promising.quote import Evaluation
from promisekeeper.promising.reservations import ApprovedOvertime
from promisekeeper.promising.snapshot import Snapshot
from promisekeeper.sales.models import (
    Deal,
    ExceptionRequest,
)


def approval_covers(
    exception: ExceptionRequest | None,
    deal: Deal,
    promised_date: datetime.date,
    lines: Sequence[QuoteLine] | None = None,
) -> bool:
    """Whether ``exception`` is given and covers this promise; refuses (naming the field)
    an approval of another deal, not approved, used already, for an earlier date than it
    covers, or for other lines or quantities than ``lines`` (None: not checked again)."""
    if exception is None:
        return False
    if exception.deal_id != deal.pk:
        raise QuoteInputError("exception", "belongs to another deal")
    if exception.status != ExceptionRequest.Status.APPROVED:
        raise QuoteInputError("exception", "is not approved")
    if exception.used_at is not None:
        raise QuoteInputError(
            "exception",
            f"was already used by a promise on {timezone.localtime(exception.used_at):%d %b %Y}; "
            "an approval covers one promise, ask operations again",
        )
    if promised_date < exception.requested_date:
        raise QuoteInputError("exception", "does not cover a date that early")
    if lines is not None and canonical_lines(lines) != _scope_rows(exception):
        raise QuoteInputError(
            "exception",
            f"covers {scope_text(_scope_rows(exception))}, not "
            f"{scope_text(canonical_lines(lines))}; ask operations again for these lines",
        )
    return True


def approval_lock(exception: ExceptionRequest) -> ExceptionRequest:
    """Under the capacity locks: the approval's row, locked, checked again for use (two
    commits of one approval wait for each other here; the database's
    ``promise_approval_used_once`` index is the backstop)."""
    locked = ExceptionRequest.objects.select_for_update().get(pk=exception.pk)
    approval_covers(locked, locked.deal, locked.requested_date)
    return locked


def approval_scope_lines(exception: ExceptionRequest) -> list[QuoteLine]:
    """The lines the approval covers, as quote lines."""
    return [
        QuoteLine(quantity=quantity, offering_id=offering_id, product_id=product_id)
        for offering_id, product_id, quantity in _scope_rows(exception)
    ]


def _scope_rows(exception: ExceptionRequest) -> list[LineRow]:
    return [(row[0], row[1], row[2]) for row in exception.scope_lines]


def scope_text(rows: Sequence[LineRow]) -> str:
    """Lines for people: "1 × Brand identity, 2 × KIT-1 Router kit" ("no lines" when empty)."""
    if not rows:
        return "no lines"
    offerings = Offering.objects.in_bulk([o for o, _, _ in rows if o is not None])
    products = Product.objects.in_bulk([p for _, p, _ in rows if p is not None])

    def name(offering_id: int | None, product_id: int | None) -> str:
        if offering_id is not None:
            offering = offerings.get(offering_id)
            return offering.name if offering else "an offering no longer on sale"
        product = products.get(product_id) if product_id is not None else None
        return f"{product.sku} {product.name}" if product else "a product no longer sold"

    return ", ".join(f"{q} × {name(o, p)}" for o, p, q in rows)


@dataclass(frozen=True)
class ApprovedWork:
    """What an approval books for a date the plan does not make at its confidence level:
    the hours, what was applied (for the evidence), and whether the promise is beyond
    capacity (the planned finish is later than the promised date)."""

    work: Work
    applied: dict[str, Any] | None
    beyond_capacity: bool
    confidence: str | None = None
    """The level the date has with what was applied (None beyond capacity)."""


def approval_applied(
    *,
    approval: ExceptionRequest | None,
    evaluation: Evaluation,
    snapshot: Snapshot,
    promised_date: datetime.date,
    plain: Work,
    plain_finish_day: int | None,
) -> ApprovedWork | Taken | None:
    """``approval_work`` when the booking needs its approval (the plain answer cannot
    promise the date), None when it books as it is (no approval, or none needed)."""
    if approval is None or evaluation.answer.can_promise:
        return None
    return approval_work(
        approval=approval,
        evaluation=evaluation,
        snapshot=snapshot,
        promised_date=promised_date,
        plain=plain,
        plain_finish_day=plain_finish_day,
    )


def approval_work(
    *,
    approval: ExceptionRequest,
    evaluation: Evaluation,
    snapshot: Snapshot,
    promised_date: datetime.date,
    plain: Work,
    plain_finish_day: int | None,
) -> ApprovedWork | Taken:
    """Apply what operations approved and let the engine re-check the finish: overtime or a
    reshuffle that makes the date is booked; the plain placement is booked when it makes the
    date by itself; otherwise only an approval beyond capacity books it (as such), and any
    other is refused with the date the work would finish. (``plain_finish_day``: the plain
    placement's exclusive finish day, as the engine reports it.)"""
    measure = approved_placement(approval, evaluation, snapshot, promised_date)
    by_day = (promised_date - snapshot.today).days
    if measure is not None and measure.meets:
        level = _level_met(measure.confidence, by_day)
        if level is not None:
            return ApprovedWork(
                _work_of(plain, measure), measure.placement.note, False, confidence=level
            )
    elif plain_finish_day is not None and plain_finish_day - 1 <= by_day:
        level = _level_met(evaluation.engine, by_day)
        if level is not None:
            return ApprovedWork(plain, None, beyond_capacity=False, confidence=level)
    finish_day = plain_finish_day if measure is None else measure.finish_day
    finish = _finish_date(snapshot, finish_day)
    if approval.beyond_capacity:
        # The approved overtime, if any, still brings the work as close as it can.
        work = plain if measure is None else _work_of(plain, measure)
        note = {} if measure is None else dict(measure.placement.note)
        note["beyond_capacity"] = {"planned_finish": finish.isoformat() if finish else None}
        return ApprovedWork(work, note, beyond_capacity=True)
    if finish_day is not None and finish_day - 1 <= by_day:
        return Taken(
            f"what operations approved makes {promised_date:%d %b %Y} in fewer than half of "
            "the simulated outcomes, so no confidence level stands behind it; ask operations "
            "again (another date, or beyond capacity)",
            evaluation.answer.promise_date,
        )
    finish_text = f"{finish:%d %b %Y}" if finish else "beyond the planning horizon"
    return Taken(
        f"what operations approved does not make {promised_date:%d %b %Y}: the work would "
        f"finish {finish_text}; ask operations again (another date, or beyond capacity)",
        evaluation.answer.promise_date,
    )


def _level_met(run: ConfidenceAnswer | None, by_day: int) -> str | None:
    """The strongest level the date has in ``run`` (no run: the date is exact)."""
    if run is None:
        return None
    level = strongest_level_met(run, by_day)
    return None if level is None else level.value


def _work_of(plain: Work, measure: MeasureApplied) -> Work:
    placed = measure.placement
    return Work(plain.project, placed.allocations, placed.overtime, placed.moved)


def _finish_date(snapshot: Snapshot, finish_day: int | None) -> datetime.date | None:
    """The last day of work of an exclusive engine finish day."""
    return None if finish_day is None else snapshot.date_of(max(0, finish_day - 1))


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


@dataclass(frozen=True)
class MeasureApplied:
    """An approved measure placed on the current plan: the placement, its exclusive finish
    day (None: beyond the horizon), and whether it makes the promised date."""

    placement: ApprovedPlacement
    finish_day: int | None
    meets: bool
    confidence: ConfidenceAnswer | None = None


def approved_placement(
    exception: ExceptionRequest,
    evaluation: Evaluation,
    snapshot: Snapshot,
    promised_date: datetime.date,
) -> MeasureApplied | None:
    """Apply what operations approved on the current plan: overtime first, then a reshuffle
    of unstarted work. The first that makes the date, else the approved overtime as far as
    it gets; None when nothing was approved that could be applied."""
    project = evaluation.project
    by_day = (promised_date - snapshot.today).days
    if project is None or not 0 <= by_day < snapshot.instance.calendar.horizon_days:
        return None
    overtime = None
    if exception.overtime_share is not None:
        share = float(exception.overtime_share)
        placed, regular = overtime_placement(evaluation.plan, project, share=share)
        finish = placed.finish_day(project.release_day)
        run = evaluation.engine
        overtime = MeasureApplied(
            ApprovedPlacement(
                placed.allocations, ApprovedOvertime(share, regular), {}, {"overtime_share": share}
            ),
            finish,
            meets=finish is not None and finish - 1 <= by_day,
            confidence=overtime_confidence(
                evaluation.plan,
                project,
                share=share,
                samples=run.samples if run else 1000,
                seed=run.seed if run else 0,
            ),
        )
        if overtime.meets:
            return overtime
    if exception.allow_reshuffle:
        delivery = can_deliver_by(evaluation.plan, project, by_day, allow_reshuffle=True)
        if delivery.feasible and delivery.reshuffled and delivery.plan is not None:
            reshuffled = _reshuffled(delivery.plan, delivery.moves, snapshot)
            run = evaluation.engine
            on_reshuffled = confidence(
                plan_without(delivery.plan, project.id),
                project,
                samples=run.samples if run else 1000,
                seed=run.seed if run else 0,
            )
            return MeasureApplied(
                reshuffled, delivery.finish_day, meets=True, confidence=on_reshuffled
            )
    return overtime


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
