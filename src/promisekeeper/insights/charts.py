"""Plotly figure specifications (plain dicts, drawn by the bundled plotly.js in the browser).

Plain dicts rather than ``plotly.graph_objects`` keep a dashboard render cheap; the tests pass
every figure through ``plotly.graph_objects.Figure`` so an invalid property still fails loudly.
"""

from __future__ import annotations

import datetime
from typing import Any

from promisekeeper.insights.kpis import CalibrationBin
from promisekeeper.insights.selectors.gantt import GanttRow
from promisekeeper.insights.selectors.heatmap import HeatRow
from promisekeeper.insights.selectors.promise_outcomes import SlipBucket
from promisekeeper.insights.selectors.tiles import KpiTile

OVER = "#b42318"
Figure = dict[str, Any]

OVERLOAD_PCT = 100.5  # rounding in the planner's hours must not paint a full week as overloaded
# 0 → 100 % in blues; anything above 100 % jumps to amber and red so overload stands out.
HEAT_MAX = 150.0
HEAT_SCALE = [
    [0.0, "#f3f6fb"],
    [0.35, "#9fbbea"],
    [100.5 / HEAT_MAX, "#1f4fb5"],
    [100.6 / HEAT_MAX, "#f59e0b"],
    [1.0, OVER],
]


def sparkline(tile: KpiTile) -> Figure:
    """A 12-point trend without axes; the tile's table holds the same numbers."""
    return {
        "data": [
            {
                "type": "scatter",
                "mode": "lines+markers",
                "x": tile.trend_labels,
                "y": tile.trend,
                "line": {"color": OVER if tile.alarm else "#1f6feb", "width": 2},
                "marker": {"size": 3},
                "connectgaps": False,
                "hovertemplate": "%{x}: %{y:.1f}"
                + (f" {tile.unit}" if tile.unit else "")
                + "<extra></extra>",
            }
        ],
        "layout": {
            "height": 48,
            "margin": {"l": 0, "r": 0, "t": 2, "b": 2},
            "xaxis": {"visible": False},
            "yaxis": {"visible": False},
            "showlegend": False,
            "paper_bgcolor": "rgba(0,0,0,0)",
            "plot_bgcolor": "rgba(0,0,0,0)",
        },
    }


def _pct(value: float | None) -> float | None:
    return None if value is None else round(value * 100, 1)


def heatmap(rows: list[HeatRow], weeks: list[datetime.date]) -> Figure:
    """Firm load ÷ capacity (top) and tentative pipeline ÷ capacity (bottom), roles × weeks."""
    labels = [f"{w:%d %b}" for w in weeks]
    ys = [row.label for row in rows]
    firm = [[_pct(v) for v in row.ratios] for row in rows]
    pipe = [[_pct(v) for v in row.pipeline_ratios] for row in rows]
    custom = [[[row.key, i] for i in range(len(weeks))] for row in rows]
    text = [["!" if v is not None and v > OVERLOAD_PCT else "" for v in line] for line in firm]
    height = 140 + 26 * len(rows) * 1.35
    return {
        "data": [
            {
                "type": "heatmap",
                "name": "committed + held",
                "x": labels,
                "y": ys,
                "z": firm,
                "zmin": 0,
                "zmax": HEAT_MAX,
                "colorscale": HEAT_SCALE,
                "customdata": custom,
                "text": text,
                "texttemplate": "%{text}",
                "xgap": 2,
                "ygap": 2,
                "colorbar": {
                    "title": {"text": "% of capacity"},
                    "ticksuffix": " %",
                    "len": 0.7,
                    "y": 0.65,
                },
                "hovertemplate": "%{y}, week of %{x}<br>committed + held: %{z:.0f} % of capacity"
                "<extra>click for projects</extra>",
                "xaxis": "x",
                "yaxis": "y",
            },
            {
                "type": "heatmap",
                "name": "tentative pipeline",
                "x": labels,
                "y": ys,
                "z": pipe,
                "zmin": 0,
                "zmax": HEAT_MAX,
                "colorscale": [[0, "#f6f3fb"], [1, "#6d28d9"]],
                "showscale": False,
                "customdata": custom,
                "xgap": 2,
                "ygap": 2,
                "hovertemplate": "%{y}, week of %{x}<br>tentative pipeline: %{z:.0f} % of capacity"
                "<extra>click for projects</extra>",
                "xaxis": "x2",
                "yaxis": "y2",
            },
        ],
        "layout": {
            "height": height,
            "margin": {"l": 170, "r": 20, "t": 30, "b": 40},
            "xaxis": {"anchor": "y", "side": "top"},
            "yaxis": {
                "domain": [0.42, 1.0],
                "autorange": "reversed",
                "title": {"text": "committed + held"},
            },
            "xaxis2": {"anchor": "y2", "matches": "x"},
            "yaxis2": {
                "domain": [0.0, 0.36],
                "autorange": "reversed",
                "title": {"text": "pipeline"},
            },
            "paper_bgcolor": "rgba(0,0,0,0)",
        },
    }


def gantt(rows: list[GanttRow], *, today: datetime.date) -> Figure:
    """Planned phases per project as horizontal bars on a date axis, promise as a marker."""
    bars: dict[str, dict[str, list[Any]]] = {}
    promise_x: list[str] = []
    promise_y: list[str] = []
    labels = []
    for row in rows:
        project = row.project
        label = project.name[:48] + (" (cannot be scheduled)" if not project.phases else "")
        labels.append(label)
        colour = (
            "late"
            if project.status in ("late", "unscheduled")
            else ("at risk" if row.at_risk else "on track")
        )
        for phase in project.phases:
            start = datetime.datetime.combine(phase.start, datetime.time())
            end = datetime.datetime.combine(phase.end + datetime.timedelta(days=1), datetime.time())
            bucket = bars.setdefault(colour, {"x": [], "base": [], "y": [], "text": []})
            bucket["base"].append(start.isoformat())
            bucket["x"].append((end - start).total_seconds() * 1000)
            bucket["y"].append(label)
            bucket["text"].append(
                f"{phase.name} ({phase.role}): {phase.start:%d %b} – {phase.end:%d %b}"
            )
        if project.promised:
            promise_x.append(project.promised.isoformat())
            promise_y.append(label)
    colours = {"on track": "#1f6feb", "at risk": "#f59e0b", "late": OVER}
    data: list[dict[str, Any]] = [
        {
            "type": "bar",
            "orientation": "h",
            "name": name,
            "x": bucket["x"],
            "base": bucket["base"],
            "y": bucket["y"],
            "text": bucket["text"],
            "textposition": "none",
            "marker": {"color": colours[name]},
            "hovertemplate": "%{y}<br>%{text}<extra>" + name + "</extra>",
        }
        for name, bucket in bars.items()
    ]
    data.append(
        {
            "type": "scatter",
            "mode": "markers",
            "name": "promised date",
            "x": promise_x,
            "y": promise_y,
            "marker": {"symbol": "line-ns-open", "size": 16, "color": "#111", "line": {"width": 3}},
            "hovertemplate": "%{y}<br>promised %{x|%d %b %Y}<extra></extra>",
        }
    )
    return {
        "data": data,
        "layout": {
            "barmode": "overlay",
            "height": 120 + 24 * max(1, len(labels)),
            "margin": {"l": 260, "r": 20, "t": 30, "b": 30},
            "xaxis": {"type": "date", "side": "top"},
            "yaxis": {
                "autorange": "reversed",
                "categoryorder": "array",
                "categoryarray": labels,
                "automargin": True,
            },
            "legend": {"orientation": "h", "y": -0.02, "yanchor": "top"},
            "shapes": [
                {
                    "type": "line",
                    "xref": "x",
                    "yref": "paper",
                    "x0": today.isoformat(),
                    "x1": today.isoformat(),
                    "y0": 0,
                    "y1": 1,
                    "line": {"color": "#5b6475", "dash": "dot", "width": 1},
                }
            ],
            "paper_bgcolor": "rgba(0,0,0,0)",
        },
    }


def _kept_trace(
    bins: list[CalibrationBin], *, name: str, colour: str, symbol: str
) -> dict[str, Any]:
    shown = [b for b in bins if b.promises]
    return {
        "type": "scatter",
        "mode": "lines+markers",
        "name": name,
        "x": [b.stated * 100 for b in shown],
        "y": [_pct(b.observed) for b in shown],
        "text": [f"{b.level}: {b.kept} of {b.promises}" for b in shown],
        "marker": {
            "size": [min(36, 10 + 2 * b.promises) for b in shown],
            "color": colour,
            "symbol": symbol,
        },
        "line": {"color": colour},
        "hovertemplate": "%{text} kept (%{y:.0f} %)<extra>" + name + "</extra>",
    }


def reliability(promised: list[CalibrationBin], forecast: list[CalibrationBin]) -> Figure:
    """Stated confidence against the share kept, one point per level sized by how many
    promises it holds: the dates promised at each level, and every promise's forecast dates.
    On the diagonal, dates are as sure as they say."""
    return {
        "data": [
            {
                "type": "scatter",
                "mode": "lines",
                "name": "honest dates",
                "x": [0, 100],
                "y": [0, 100],
                "line": {"color": "#5b6475", "dash": "dot", "width": 1},
                "hoverinfo": "skip",
            },
            # The promised dates last, so their points stay on top where the two agree.
            _kept_trace(
                forecast, name="forecast dates of every promise", colour="#f59e0b", symbol="diamond"
            ),
            _kept_trace(
                promised, name="dates promised at the level", colour="#1f6feb", symbol="circle"
            ),
        ],
        "layout": {
            "height": 360,
            "margin": {"l": 60, "r": 20, "t": 20, "b": 50},
            "xaxis": {"title": {"text": "stated confidence (%)"}, "range": [40, 100]},
            "yaxis": {"title": {"text": "delivered by that date (%)"}, "range": [0, 105]},
            "legend": {"orientation": "h", "y": 1.12},
            "paper_bgcolor": "rgba(0,0,0,0)",
        },
    }


def slip_histogram(buckets: list[SlipBucket]) -> Figure:
    """Deliveries per slip bucket, against the date in force at delivery and the first date."""
    labels = [b.label for b in buckets]
    return {
        "data": [
            {
                "type": "bar",
                "name": "against the date at delivery",
                "x": labels,
                "y": [b.current for b in buckets],
                "marker": {"color": "#1f6feb"},
                "hovertemplate": "%{x}: %{y} deliveries<extra>date at delivery</extra>",
            },
            {
                "type": "bar",
                "name": "against the first date promised",
                "x": labels,
                "y": [b.original for b in buckets],
                "marker": {"color": "#f59e0b"},
                "hovertemplate": "%{x}: %{y} deliveries<extra>first date</extra>",
            },
        ],
        "layout": {
            "barmode": "group",
            "height": 320,
            "margin": {"l": 50, "r": 20, "t": 20, "b": 90},
            "yaxis": {"title": {"text": "deliveries"}, "rangemode": "tozero"},
            "legend": {"orientation": "h", "y": 1.1},
            "paper_bgcolor": "rgba(0,0,0,0)",
        },
    }
