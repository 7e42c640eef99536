"""Effort calibration per offering and phase: how the hours logged on delivered projects'
phases compare with their estimates, and how often they stayed within the estimate's P80."""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass

from promisekeeper.catalog.models import SopPhase
from promisekeeper.delivery.models import Project, ProjectPhase
from promisekeeper.insights import kpis


@dataclass(frozen=True)
class EffortRow:
    """One offering (``phase`` empty: all its phases) or one of its phases."""

    offering: str
    phase: str
    calibration: kpis.EffortCalibration


def _p80_hours(phase: ProjectPhase) -> float:
    """The estimate's P80: the estimate spread like the SOP's low–likely–high range (the
    triangular shape the planner samples); an estimate without a range is its own P80."""
    estimate = float(phase.effort_estimated_hours)
    sop = phase.sop_phase
    if sop is None:
        return estimate
    planned = sop.effort_for(phase.project.quantity)
    if planned.likely <= 0:
        return estimate
    scale = estimate / float(planned.likely)
    return kpis.triangular_quantile(
        low=min(float(planned.low) * scale, estimate),
        likely=estimate,
        high=max(float(planned.high) * scale, estimate),
        q=0.8,
    )


def effort_calibration_rows(*, since: datetime.date, until: datetime.date) -> list[EffortRow]:
    """Per offering, then per phase of it, over the effort phases of projects delivered from
    ``since`` to ``until``: actual ÷ estimated hours (median, P80) and the share within P80."""
    phases = (
        ProjectPhase.objects.filter(
            kind=SopPhase.Kind.EFFORT,
            project__status=Project.Status.DELIVERED,
            project__delivered_date__gte=since,
            project__delivered_date__lte=until,
        )
        .select_related("project__sop_version__offering", "sop_phase")
        .order_by("project__sop_version__offering__name", "order", "name")
    )
    by_offering: dict[str, list[kpis.EffortOutcome]] = defaultdict(list)
    by_phase: dict[str, dict[str, list[kpis.EffortOutcome]]] = defaultdict(dict)
    for phase in phases:
        offering = phase.project.sop_version.offering.name
        outcome = kpis.EffortOutcome(
            float(phase.effort_estimated_hours), _p80_hours(phase), float(phase.effort_actual_hours)
        )
        by_offering[offering].append(outcome)
        by_phase[offering].setdefault(phase.name, []).append(outcome)
    rows: list[EffortRow] = []
    for offering, outcomes in by_offering.items():
        overall = kpis.effort_calibration(outcomes)
        if overall.phases == 0:
            continue
        rows.append(EffortRow(offering, "", overall))
        for name, group in by_phase[offering].items():
            calibration = kpis.effort_calibration(group)
            if calibration.phases:
                rows.append(EffortRow(offering, name, calibration))
    return rows
