"""The answer to "can we promise?": plain data, the same for the page, the API and the CLI."""

from __future__ import annotations

import datetime
from collections.abc import Collection
from dataclasses import dataclass, field, fields, is_dataclass
from typing import Any

from promisekeeper.promising.lines import QuoteLine
from promisekeeper.promising.snapshot import Snapshot


@dataclass(frozen=True)
class LoadWeek:
    week_start: datetime.date
    booked_hours: float
    available_hours: float
    utilisation: float


@dataclass(frozen=True)
class PhaseWait:
    """A phase on the chain that sets the finish that lost ``days`` to booked ``role``
    capacity itself (not to a late predecessor); ``name`` is the phase's name for people."""

    phase: str
    name: str
    role: str
    days: int


@dataclass(frozen=True)
class Bottleneck:
    """The phase (``phase`` its key, ``name`` for people) and role that hold the date back,
    the days that phase lost itself, the role's load in those weeks, and every phase on the
    finishing chain that lost days (``waits``, most first)."""

    role: str
    phase: str
    delay_days: int
    weeks: tuple[tuple[datetime.date, float], ...]
    name: str = ""
    waits: tuple[PhaseWait, ...] = ()


@dataclass(frozen=True)
class MovedProject:
    project: str
    name: str
    old_date: datetime.date
    new_date: datetime.date


@dataclass(frozen=True)
class QuoteOption:
    kind: str
    feasible: bool
    finish_date: datetime.date | None
    detail: str
    outcome: str = ""
    quantity: float | None = None
    overtime_hours: tuple[tuple[str, float], ...] = ()
    hire_role: str | None = None
    hire_date: datetime.date | None = None
    moves: tuple[MovedProject, ...] = ()


@dataclass(frozen=True)
class StockLine:
    product_id: int
    sku: str
    name: str
    quantity: int
    available_on_wanted_date: int | None
    earliest_date: datetime.date | None


@dataclass(frozen=True)
class OfferingEvidence:
    offering_id: int
    offering: str
    delivered: int
    on_time_share: float | None
    median_days: float | None
    p80_days: float | None


@dataclass(frozen=True)
class QuoteAnswer:
    """Everything a salesperson needs to answer a customer; plain data, the same for web/API/CLI.

    ``promise_date`` is the earliest date the organisation may promise at its quote
    confidence (the later of the engine's confidence date and its deterministic finish,
    and of every product's ATP date); ``can_promise`` compares it with the wanted date.
    """

    ledger_version: int
    today: datetime.date
    confidence: str
    lines: tuple[QuoteLine, ...]
    wanted_date: datetime.date | None
    can_promise: bool | None
    promise_date: datetime.date | None
    earliest_date: datetime.date | None
    p50_date: datetime.date | None
    p80_date: datetime.date | None
    p95_date: datetime.date | None
    beyond_horizon_share: float
    bottleneck: Bottleneck | None
    load: tuple[LoadWeek, ...]
    options: tuple[QuoteOption, ...]
    stock: tuple[StockLine, ...]
    evidence: tuple[OfferingEvidence, ...]
    samples: int
    seed: int
    sampler_gap_days: int | None = None
    notes: tuple[str, ...] = field(default_factory=tuple)

    def to_dict(self, *, omit: Collection[str] = ()) -> dict[str, Any]:
        """JSON-ready: dates as ISO strings; the ``omit`` fields are None (a commit's audit
        record leaves out the load picture and the options)."""
        return {
            f.name: None if f.name in omit else _jsonable(getattr(self, f.name))
            for f in fields(self)
        }


def _jsonable(value: Any) -> Any:
    if is_dataclass(value) and not isinstance(value, type):
        return {f.name: _jsonable(getattr(value, f.name)) for f in fields(value)}
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, datetime.date):
        return value.isoformat()
    return value


def finish_date(snapshot: Snapshot, finish_day: int | None) -> datetime.date | None:
    """Exclusive finish day -> the last working date (never before today)."""
    if finish_day is None:
        return None
    return snapshot.date_of(max(0, finish_day - 1))
