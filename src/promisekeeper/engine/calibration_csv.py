"""The fixed CSV interface of effort calibration (``promisekeeper engine calibrate``).

* HISTORY: ``id,group,estimate_hours,actual_hours,finished_on`` — finished work.
* PREDICT: ``id,group,estimate_hours,on`` — work to predict, as known on ``on``.
* OUT: ``id,p50_hours,p80_hours,p95_hours`` — one row per PREDICT row, in its order.

Dates are ISO (``2026-03-31``); hours are decimal numbers, estimates above zero and actuals
at least zero. A bad cell is an :class:`~promisekeeper.engine.errors.InvalidInput` naming the
file, the line and the column, before anything is written.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Callable, Iterator, Sequence
from datetime import date
from pathlib import Path
from typing import TypeVar

from promisekeeper.engine.calibration import EffortQuantiles, HistoryRow, PredictRow
from promisekeeper.engine.errors import InvalidInput

HISTORY_COLUMNS = ("id", "group", "estimate_hours", "actual_hours", "finished_on")
PREDICT_COLUMNS = ("id", "group", "estimate_hours", "on")
OUT_COLUMNS = ("id", "p50_hours", "p80_hours", "p95_hours")

T = TypeVar("T")


def read_history(path: Path) -> list[HistoryRow]:
    """The HISTORY file's rows."""

    def row(cells: dict[str, str], where: Callable[[str], str]) -> HistoryRow:
        return HistoryRow(
            id=_text(cells, "id", where),
            group=cells["group"].strip(),
            estimate_hours=_hours(cells, "estimate_hours", where, positive=True),
            actual_hours=_hours(cells, "actual_hours", where, positive=False),
            finished_on=_date(cells, "finished_on", where),
        )

    return list(_rows(path, HISTORY_COLUMNS, row))


def read_predict(path: Path) -> list[PredictRow]:
    """The PREDICT file's rows; ids must be unique (OUT names rows by id)."""

    def row(cells: dict[str, str], where: Callable[[str], str]) -> PredictRow:
        return PredictRow(
            id=_text(cells, "id", where),
            group=cells["group"].strip(),
            estimate_hours=_hours(cells, "estimate_hours", where, positive=True),
            on=_date(cells, "on", where),
        )

    rows = list(_rows(path, PREDICT_COLUMNS, row))
    seen: set[str] = set()
    for line, predicted in enumerate(rows, start=2):
        if predicted.id in seen:
            raise InvalidInput(f"{path.name} line {line}, id", f"{predicted.id!r} appears twice")
        seen.add(predicted.id)
    return rows


def write_quantiles(path: Path, rows: Sequence[EffortQuantiles]) -> None:
    """Write OUT (hours rounded to 0.01)."""
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(OUT_COLUMNS)
        for q in rows:
            writer.writerow(
                [q.id, f"{q.p50_hours:.2f}", f"{q.p80_hours:.2f}", f"{q.p95_hours:.2f}"]
            )


def _rows(
    path: Path,
    columns: Sequence[str],
    parse: Callable[[dict[str, str], Callable[[str], str]], T],
) -> Iterator[T]:
    with path.open(newline="", encoding="utf-8-sig") as source:
        reader = csv.DictReader(source)
        missing = [c for c in columns if c not in (reader.fieldnames or [])]
        if missing:
            raise InvalidInput(f"{path.name} header", f"missing column(s): {', '.join(missing)}")
        for line, cells in enumerate(reader, start=2):
            if None in cells or any(cells.get(c) is None for c in columns):
                raise InvalidInput(f"{path.name} line {line}", "has the wrong number of cells")

            def where(column: str, line: int = line) -> str:
                return f"{path.name} line {line}, {column}"

            yield parse(cells, where)


def _text(cells: dict[str, str], column: str, where: Callable[[str], str]) -> str:
    value = cells[column].strip()
    if not value:
        raise InvalidInput(where(column), "is empty")
    return value


def _hours(
    cells: dict[str, str], column: str, where: Callable[[str], str], *, positive: bool
) -> float:
    text = cells[column].strip()
    try:
        value = float(text)
    except ValueError:
        raise InvalidInput(where(column), f"{text!r} is not a number of hours") from None
    if not math.isfinite(value) or value < 0 or (positive and value == 0):
        bound = "above 0" if positive else "0 or more"
        raise InvalidInput(where(column), f"must be a number of hours {bound}, got {text!r}")
    return value


def _date(cells: dict[str, str], column: str, where: Callable[[str], str]) -> date:
    text = cells[column].strip()
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InvalidInput(where(column), f"{text!r} is not a date (YYYY-MM-DD)") from None
