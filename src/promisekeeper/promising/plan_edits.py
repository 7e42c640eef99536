"""The plans a snapshot keeps, made with the engine's plan edits (``engine.edits``): the firm
plan with reserved hours pinned, the pipeline after it, and commits pinned onto a plan.

This module only carries the database's side of it: which project a booking belongs to
(``CommittedProject``) and the booked rows as the journal stores them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from promisekeeper.engine.edits import schedule_pinned
from promisekeeper.engine.model import Instance, Project
from promisekeeper.engine.plan import Allocations, Plan
from promisekeeper.promising.to_engine import ProjectRef
from promisekeeper.sales.units import hours_from_minutes

SCHEDULE_SECONDS = 1.0
"""How long the firm plan's repair of late promises may search, per snapshot build."""

Pinned = dict[int, Allocations]
"""Reserved hours by project index in the firm instance."""


def firm_plan_build(firm_instance: Instance, pinned: Pinned) -> Plan:
    """Plan firm work: pinned reservations as booked, everything else scheduled around them."""
    return schedule_pinned(firm_instance, pinned, time_limit=SCHEDULE_SECONDS)


@dataclass(frozen=True)
class CommittedProject:
    """One project that now holds exactly ``allocations`` (reserved hours, any project index).

    ``replaces`` names the firm engine projects it supersedes (the deal's hold, or the
    project's own earlier plan); ``deal_pk`` names the deal whose tentative or held copy goes.
    """

    project: Project
    ref: ProjectRef
    allocations: Allocations
    replaces: tuple[str, ...] = ()
    deal_pk: int | None = None


BookedRow = tuple[int, int, int, int]
"""One booked reservation: person row, day index, phase index (of the engine project), minutes."""


def booked_allocations(booked: Sequence[BookedRow]) -> Allocations:
    """Booked rows (person index, day, phase index, minutes) as engine allocations (hours)."""
    return Allocations.from_rows(
        [
            (person, day, phase, hours_from_minutes(minutes))
            for person, day, phase, minutes in booked
        ]
    )
