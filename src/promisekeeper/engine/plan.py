"""The engine's output: who works on what on which day, and how each project ends."""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import SupportsFloat

import numpy as np

from promisekeeper.engine.model import Instance


class ProjectStatus(enum.StrEnum):
    """How a planned project stands against its promise."""

    ON_TIME = "on_time"
    LATE = "late"
    NO_PROMISE = "no_promise"
    UNSCHEDULED = "unscheduled"


@dataclass(frozen=True, slots=True)
class PhaseTiming:
    """When a phase runs: ``start_day`` to ``end_day`` (exclusive)."""

    id: str
    start_day: int
    end_day: int


@dataclass(frozen=True, slots=True)
class ProjectResult:
    """A project's outcome in a plan.

    ``finish_day`` is the exclusive end of its last phase (so the last day of
    work is ``finish_day - 1``). ``lateness_days`` is ``finish_day - 1 -
    promised_day``: positive is late, zero or negative is on time (its negation
    is the slack). ``reason`` explains an ``UNSCHEDULED`` project.
    """

    id: str
    status: ProjectStatus
    finish_day: int | None
    promised_day: int | None
    lateness_days: int | None
    phases: tuple[PhaseTiming, ...] = ()
    reason: str = ""

    @property
    def slack_days(self) -> int | None:
        return None if self.lateness_days is None else -self.lateness_days


def project_result(
    project_id: str, promised_day: int | None, phases: tuple[PhaseTiming, ...]
) -> ProjectResult:
    """Build the result of a fully scheduled project from its phase timings."""
    finish = max((p.end_day for p in phases), default=0)
    if promised_day is None:
        return ProjectResult(project_id, ProjectStatus.NO_PROMISE, finish, None, None, phases)
    lateness = finish - 1 - promised_day
    status = ProjectStatus.LATE if lateness > 0 else ProjectStatus.ON_TIME
    return ProjectResult(project_id, status, finish, promised_day, lateness, phases)


@dataclass(slots=True)
class Allocations:
    """Column store of allocated hours; every row is (person, day, project, phase, hours).

    ``person`` indexes ``instance.people``, ``project`` indexes
    ``instance.projects`` (or ``-1`` for a project evaluated on top of a plan),
    ``phase`` indexes that project's ``phases``.
    """

    person: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int32))
    day: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int32))
    project: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int32))
    phase: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int32))
    hours: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.float64))

    def __len__(self) -> int:
        return int(self.hours.shape[0])

    def where(self, mask: np.ndarray) -> Allocations:
        """The rows ``mask`` selects (a boolean array as long as the allocations)."""
        return Allocations(
            person=self.person[mask],
            day=self.day[mask],
            project=self.project[mask],
            phase=self.phase[mask],
            hours=self.hours[mask],
        )

    @classmethod
    def from_rows(
        cls, rows: Iterable[tuple[int, int, int, SupportsFloat]], *, project: int = 0
    ) -> Allocations:
        """Allocations of one project from ``(person, day, phase, hours)`` rows.

        Parameters
        ----------
        rows
            Person row, day index, phase index and hours (anything ``float()`` takes,
            such as a ``Decimal``) of each allocation.
        project
            The project index every row gets.

        Examples
        --------
        >>> from decimal import Decimal
        >>> booked = Allocations.from_rows([(0, 3, 1, Decimal("2.5"))], project=4)
        >>> booked.project.tolist(), booked.day.tolist(), booked.hours.tolist()
        ([4], [3], [2.5])
        """
        listed = [(int(p), int(d), int(j), float(h)) for p, d, j, h in rows]
        return cls(
            person=np.array([r[0] for r in listed], dtype=np.int32),
            day=np.array([r[1] for r in listed], dtype=np.int32),
            project=np.full(len(listed), project, dtype=np.int32),
            phase=np.array([r[2] for r in listed], dtype=np.int32),
            hours=np.array([r[3] for r in listed], dtype=np.float64),
        )

    @classmethod
    def concat(cls, parts: list[Allocations]) -> Allocations:
        if not parts:
            return cls()
        return cls(
            person=np.concatenate([p.person for p in parts]).astype(np.int32, copy=False),
            day=np.concatenate([p.day for p in parts]).astype(np.int32, copy=False),
            project=np.concatenate([p.project for p in parts]).astype(np.int32, copy=False),
            phase=np.concatenate([p.phase for p in parts]).astype(np.int32, copy=False),
            hours=np.concatenate([p.hours for p in parts]).astype(np.float64, copy=False),
        )


@dataclass(slots=True)
class Plan:
    """A complete allocation of an instance's work.

    ``capacity`` is the people × days grid of available hours; ``free`` is what
    remains after ``allocations``. ``projects`` maps project id to its result,
    in the order the projects were scheduled. ``context`` caches derived
    lookups (qualified people per role, working days) for fast queries.
    """

    instance: Instance
    capacity: np.ndarray
    free: np.ndarray
    allocations: Allocations
    projects: dict[str, ProjectResult]
    context: object | None = None

    @property
    def makespan_days(self) -> int:
        return max((r.finish_day or 0 for r in self.projects.values()), default=0)
