"""The dashboard's KPI tiles: promises kept, slip and forecast accuracy from history;
utilisation, backlog and pipeline cover from the plan."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from promisekeeper.insights import kpis
from promisekeeper.insights.selectors.history import (
    HISTORY_WINDOW_WEEKS,
    DeliveredRow,
    delivered_rows,
    history_since,
)
from promisekeeper.insights.selectors.plan_facts import HORIZON_WEEKS, PlanFacts
from promisekeeper.insights.selectors.risk import beyond_capacity_project_pks


@dataclass(frozen=True)
class KpiTile:
    key: str
    title: str
    value: str
    formula: str
    trend: list[float | None]
    trend_labels: list[str]
    trend_caption: str
    unit: str = ""
    details: list[tuple[str, str]] = field(default_factory=list)
    alarm: bool = False

    @property
    def trend_table(self) -> list[tuple[str, float | None]]:
        return list(zip(self.trend_labels, self.trend, strict=True))


def _pct(value: float | None) -> str:
    return "no data" if value is None else f"{value * 100:.0f} %"


def _num(value: float | None, unit: str) -> str:
    return "no data" if value is None else f"{value:.1f} {unit}"


def _percent(values: list[float | None]) -> list[float | None]:
    return [None if v is None else v * 100 for v in values]


# --------------------------------------------------------------------------- history


# A promise beyond capacity had no confidence behind it: it is counted apart, not as a
# promise kept or broken at the organisation's confidence level.
def _on_time(group: list[DeliveredRow]) -> float | None:
    return kpis.on_time_rate(r.delivery for r in group if not r.beyond_capacity)


def _slip(group: list[DeliveredRow]) -> float | None:
    return kpis.mean_slip_days(r.delivery for r in group if not r.beyond_capacity)


def _accuracy(group: list[DeliveredRow]) -> float | None:
    return kpis.forecast_accuracy(p for r in group for p in r.phases)


_HISTORY_CAPTION = f"each point: the {HISTORY_WINDOW_WEEKS} weeks up to that week"


@dataclass(frozen=True)
class _History:
    """Deliveries for the trend (``rows``) and for the value now (``recent``), weekly."""

    rows: list[DeliveredRow]
    recent: list[DeliveredRow]
    weeks: list[datetime.date]

    @property
    def labels(self) -> list[str]:
        return [f"{w:%d %b}" for w in self.weeks]

    def series(self, measure: Callable[[list[DeliveredRow]], float | None]) -> list[float | None]:
        return kpis.rolling_series(
            self.rows,
            when=lambda r: r.delivered,
            weeks=self.weeks,
            window_weeks=HISTORY_WINDOW_WEEKS,
            measure=measure,
        )


def history_tiles(*, today: datetime.date, rows: list[DeliveredRow] | None = None) -> list[KpiTile]:
    """On-time rate, mean slip and forecast accuracy over trailing windows, weekly for 12 weeks.

    ``rows`` may be passed in (delivered since at least ``history_since``) to share one read.
    """
    weeks = kpis.week_starts(
        first=today - datetime.timedelta(weeks=HORIZON_WEEKS - 1), count=HORIZON_WEEKS
    )
    since = history_since(today=today)
    if rows is None:
        rows = delivered_rows(since=since)
    rows = [r for r in rows if r.delivered >= since]
    recent = [
        r for r in rows if r.delivered > today - datetime.timedelta(weeks=HISTORY_WINDOW_WEEKS)
    ]
    history = _History(rows, recent, weeks)
    return [_on_time_tile(history), _slip_tile(history), _forecast_tile(history)]


def _on_time_tile(history: _History) -> KpiTile:
    recent = history.recent
    on_time_now = _on_time(recent)
    return KpiTile(
        "on_time",
        "Promises kept on time",
        _pct(on_time_now),
        "Delivered projects with delivered date ≤ promised date ÷ delivered projects that had a "
        f"promise, over the last {HISTORY_WINDOW_WEEKS} weeks; promises beyond capacity "
        "(agreed by operations, no confidence) are counted apart.",
        _percent(history.series(_on_time)),
        history.labels,
        _HISTORY_CAPTION,
        unit="%",
        details=[
            ("deliveries", str(sum(1 for r in recent if not r.beyond_capacity))),
            ("delivered beyond capacity", str(sum(1 for r in recent if r.beyond_capacity))),
            ("open beyond capacity", str(len(beyond_capacity_project_pks()))),
        ],
        alarm=on_time_now is not None and on_time_now < 0.8,
    )


def _slip_tile(history: _History) -> KpiTile:
    late = sum(1 for r in history.recent if r.promised and not r.on_time and not r.beyond_capacity)
    return KpiTile(
        "slip",
        "Mean slip of late deliveries",
        _num(_slip(history.recent), "days"),
        "Mean of (delivered date − promised date) in calendar days, over late deliveries only, "
        f"last {HISTORY_WINDOW_WEEKS} weeks (promises beyond capacity counted apart).",
        history.series(_slip),
        history.labels,
        _HISTORY_CAPTION,
        unit="days",
        details=[("late", str(late))],
    )


def _forecast_tile(history: _History) -> KpiTile:
    return KpiTile(
        "forecast",
        "Estimate accuracy (hours)",
        _pct(_accuracy(history.recent)),
        "1 − Σ|actual − estimated hours| ÷ Σ actual hours over the phases of projects delivered "
        f"in the last {HISTORY_WINDOW_WEEKS} weeks (100 % = every estimate exact). Whether "
        "dates were kept as often as their confidence said is on the KPIs page.",
        _percent(history.series(_accuracy)),
        history.labels,
        _HISTORY_CAPTION,
        unit="%",
    )


# --------------------------------------------------------------------------- plan


@dataclass(frozen=True)
class _Weekly:
    """The whole organisation's hours per week of the plan."""

    capacity: np.ndarray
    firm: np.ndarray
    weighted: np.ndarray

    @classmethod
    def of(cls, facts: PlanFacts) -> _Weekly:
        n = len(facts.weeks)
        capacity = facts.capacity.sum(axis=0) if facts.capacity.size else np.zeros(n)
        firm = facts.firm_load.sum(axis=0) if facts.firm_load.size else np.zeros(n)
        weighted = (
            facts.pipeline_weighted.sum(axis=0) if facts.pipeline_weighted.size else np.zeros(n)
        )
        return cls(capacity, firm, weighted)

    @property
    def free(self) -> np.ndarray:
        return np.maximum(self.capacity - self.firm, 0.0)


def plan_tiles(*, facts: PlanFacts) -> list[KpiTile]:
    """Utilisation, backlog per role and pipeline vs free capacity over the next 12 weeks."""
    labels = [f"{w:%d %b}" for w in facts.weeks]
    weekly = _Weekly.of(facts)
    return [
        _utilisation_tile(weekly, labels),
        _backlog_tile(facts, weekly, labels),
        _pipeline_tile(facts, weekly, labels),
    ]


def _utilisation_tile(weekly: _Weekly, labels: list[str]) -> KpiTile:
    use = kpis.utilisation(
        load_hours=float(weekly.firm.sum()), capacity_hours=float(weekly.capacity.sum())
    )
    use_trend = _percent(
        [
            kpis.utilisation(load_hours=float(load), capacity_hours=float(cap))
            for load, cap in zip(weekly.firm, weekly.capacity, strict=True)
        ]
    )
    return KpiTile(
        "utilisation",
        "Utilisation of delivery capacity",
        _pct(use),
        "Hours planned for work in delivery, committed and held ÷ available delivery hours "
        "(contracted hours × delivery share − time off − closures), next 12 weeks.",
        use_trend,
        labels,
        "each point: one of the next 12 weeks",
        unit="%",
        alarm=use is not None and use > 1.0,
    )


def _backlog_tile(facts: PlanFacts, weekly: _Weekly, labels: list[str]) -> KpiTile:
    backlog_details: list[tuple[str, str]] = []
    worst = None
    for role in facts.roles:
        rows = [i for i, pk in enumerate(facts.person_pks) if facts.person_role[pk] == role]
        role_weekly = float(facts.capacity[rows].sum()) / max(1, len(facts.weeks))
        value = kpis.backlog_weeks(
            remaining_hours=float(facts.firm_remaining[rows].sum()),
            weekly_capacity_hours=role_weekly,
        )
        backlog_details.append((role, _num(value, "wk")))
        if value is not None and (worst is None or value > worst[1]):
            worst = (role, value)
    total_weekly = float(weekly.capacity.sum()) / max(1, len(facts.weeks))
    remaining = float(facts.firm_remaining.sum())
    burn = []
    for w in range(len(facts.weeks)):
        left = remaining - float(weekly.firm[:w].sum())
        burn.append(
            kpis.backlog_weeks(remaining_hours=max(left, 0.0), weekly_capacity_hours=total_weekly)
        )
    return KpiTile(
        "backlog",
        "Backlog (weeks of capacity)",
        "no data" if worst is None else f"{worst[1]:.1f} wk ({worst[0]})",
        "Per role: hours planned for promised work (in delivery, committed, held) until the "
        "horizon ÷ that role's average weekly delivery hours over the next 12 weeks. "
        "People count in their strongest role.",
        burn,
        labels,
        "all roles, at the start of each of the next 12 weeks",
        unit="wk",
        details=backlog_details,
    )


def _pipeline_tile(facts: PlanFacts, weekly: _Weekly, labels: list[str]) -> KpiTile:
    free_week = weekly.free
    free_total = float(free_week.sum())
    cover = kpis.pipeline_cover(
        weighted_demand_hours=facts.pipeline_demand_weighted, free_hours=free_total
    )
    cover_trend = _percent(
        [
            kpis.pipeline_cover(weighted_demand_hours=float(d), free_hours=float(f))
            for d, f in zip(weekly.weighted, free_week, strict=True)
        ]
    )
    return KpiTile(
        "pipeline",
        "Pipeline demand vs free capacity",
        "no data"
        if cover is None
        else f"{facts.pipeline_demand_weighted:,.0f} h / {free_total:,.0f} h ({cover * 100:.0f} %)",
        "Σ (open deal's planned hours × win probability) ÷ hours left free by promised work "
        "over the next 12 weeks; above 100 % the pipeline cannot all be delivered in time.",
        cover_trend,
        labels,
        "each point: weighted pipeline planned in that week ÷ its free hours",
        unit="%",
        alarm=cover is not None and cover > 1.0,
    )
