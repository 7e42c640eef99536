"""The capacity heatmap: load ÷ capacity per role (or person) and week, and the projects
behind one cell."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import numpy as np

from promisekeeper.insights import kpis
from promisekeeper.insights.selectors.plan_facts import PlanFacts, ProjectKey, ProjectPlan


@dataclass(frozen=True)
class HeatRow:
    key: str  # "role:<name>" or "person:<pk>"
    label: str
    is_person: bool
    ratios: list[float | None]
    pipeline_ratios: list[float | None]
    capacity: list[float]
    load: list[float]
    pipeline: list[float]

    @property
    def cells(self) -> list[dict[str, object]]:
        """Per week: the load as text, whether it exceeds capacity, and the pipeline on top."""
        cells = []
        for ratio, pipe in zip(self.ratios, self.pipeline_ratios, strict=True):
            cells.append(
                {
                    "text": "–" if ratio is None else f"{ratio * 100:.0f} %",
                    "over": ratio is not None and ratio > 1.005,
                    "pipe": f"{pipe * 100:.0f} %" if pipe else "",
                }
            )
        return cells


def _ratio_list(load: np.ndarray, cap: np.ndarray) -> list[float | None]:
    return [kpis.ratio(float(a), float(b)) for a, b in zip(load, cap, strict=True)]


def heatmap_rows(*, facts: PlanFacts, expand: set[str] | None = None) -> list[HeatRow]:
    """One row per role; a role named in ``expand`` is followed by a row per person in it."""
    expand = expand or set()
    rows: list[HeatRow] = []
    for role in facts.roles:
        idx = [i for i, pk in enumerate(facts.person_pks) if facts.person_role[pk] == role]
        cap = facts.capacity[idx].sum(axis=0)
        load = facts.firm_load[idx].sum(axis=0)
        pipe = facts.pipeline_load[idx].sum(axis=0)
        rows.append(
            HeatRow(
                f"role:{role}",
                f"{role} ({len(idx)})",
                False,
                _ratio_list(load, cap),
                _ratio_list(pipe, cap),
                cap.round(1).tolist(),
                load.round(1).tolist(),
                pipe.round(1).tolist(),
            )
        )
        if role in expand:
            for i in sorted(idx, key=lambda i: facts.person_names[facts.person_pks[i]]):
                pk = facts.person_pks[i]
                rows.append(
                    HeatRow(
                        f"person:{pk}",
                        f"· {facts.person_names[pk]}",
                        True,
                        _ratio_list(facts.firm_load[i], facts.capacity[i]),
                        _ratio_list(facts.pipeline_load[i], facts.capacity[i]),
                        facts.capacity[i].round(1).tolist(),
                        facts.firm_load[i].round(1).tolist(),
                        facts.pipeline_load[i].round(1).tolist(),
                    )
                )
    return rows


@dataclass(frozen=True)
class CellProject:
    project: ProjectPlan | None
    key: ProjectKey
    hours: float
    name: str
    tentative: bool


def heatmap_cell_projects(*, facts: PlanFacts, row_key: str, week: int) -> list[CellProject]:
    """The projects behind one heatmap cell, most hours first."""
    kind, _, value = row_key.partition(":")
    if kind == "role":
        person_rows = [i for i, pk in enumerate(facts.person_pks) if facts.person_role[pk] == value]
    elif kind == "person" and value.isdigit() and int(value) in facts.person_pks:
        person_rows = [facts.person_pks.index(int(value))]
    else:
        return []
    totals: dict[ProjectKey, float] = defaultdict(float)
    for i in person_rows:
        for key, hours in facts.cells.get((i, week), {}).items():
            totals[key] += hours
    result = []
    for key, hours in sorted(totals.items(), key=lambda kv: -kv[1]):
        project = facts.projects.get(key)
        result.append(
            CellProject(
                project,
                key,
                round(hours, 1),
                project.name if project else f"{key[0]} {key[1]}",
                project is not None and project.state == "tentative",
            )
        )
    return result
