"""Logged hours consume the reservation: the plan, the heatmap and later quotes see the time
the work took, not the time it was promised to take.

Each timesheet save (grid, CSV import, API) calls :func:`logged_hours_consume` inside its
transaction, under the ledger lock (``delivery.timesheets.phases_logged_handle``). Minutes
newly logged on a phase are taken off its reservation, earliest days first
(``reservations.reservation_consume``): hours worked ahead of the plan free capacity later
on. A correction downwards gives nothing back (the freed time may be promised already; the
forecast sees the work left). When the reservation runs out before a phase is done, that is
an overrun: the project's work left is placed again on the capacity everything else leaves
free (``engine.edits.replace_projects``), so no other promise moves, and it is booked for
the same promise. A promise the work left no longer fits is flagged to its owner and to
operations, as a capacity cut does. The writes bump the ledger (its triggers), so every
process's plan cache rebuilds.
"""

from __future__ import annotations

from django.db.models import F, Sum
from django.utils import timezone

from promisekeeper.catalog.models import SopPhase
from promisekeeper.delivery.models import Project, ProjectPhase, TimesheetEntry
from promisekeeper.engine.edits import replace_projects
from promisekeeper.organisation.permissions import AnyUser
from promisekeeper.organisation.selectors import ledger_version_get
from promisekeeper.promising.capacity_cuts import CutConsequence, cut_consequence, replan_record
from promisekeeper.promising.reservations import reservation_consume, reservations_rebook
from promisekeeper.promising.snapshot import snapshot_build
from promisekeeper.promising.to_engine import project_engine_id
from promisekeeper.sales.models import Promise
from promisekeeper.sales.selectors import promise_latest
from promisekeeper.sales.units import hours_from_minutes

REPLAN_STATUSES = (Project.Status.COMMITTED, Project.Status.IN_DELIVERY)
OVERRUN_CAUSE = "the hours logged beyond what was booked for it"


def logged_hours_consume(user: AnyUser, phase_ids: list[int]) -> list[CutConsequence]:
    """Take the minutes newly logged on ``phase_ids`` off their reservations; re-place the
    projects whose phases ran out of reservation before done. Returns those re-placements.

    Runs in the caller's transaction, which holds the ledger lock."""
    logged = dict(
        TimesheetEntry.objects.filter(phase_id__in=phase_ids)
        .values("phase_id")
        .annotate(total=Sum("minutes"))
        .values_list("phase_id", "total")
    )
    overrun: dict[int, int] = {}
    phases = ProjectPhase.objects.filter(pk__in=phase_ids).select_related("project")
    for phase in phases.order_by("project_id", "order", "pk"):
        new = logged.get(phase.pk, 0) - phase.logged_minutes_consumed
        if new <= 0:
            continue
        taken = reservation_consume(project=phase.project, phase_key=phase.key, minutes=new)
        ProjectPhase.objects.filter(pk=phase.pk).update(
            logged_minutes_consumed=F("logged_minutes_consumed") + new
        )
        if taken < new and _replaced_on_overrun(phase):
            overrun[phase.project_id] = overrun.get(phase.project_id, 0) + new - taken
    return _work_left_replace(user, overrun) if overrun else []


def _replaced_on_overrun(phase: ProjectPhase) -> bool:
    """An effort phase not done, on a promised project still to deliver: its work left is
    what the hours say (a fixed phase's days left follow its reported progress instead)."""
    return (
        phase.kind == SopPhase.Kind.EFFORT
        and phase.state != ProjectPhase.State.DONE
        and phase.project.status in REPLAN_STATUSES
    )


def _work_left_replace(user: AnyUser, overrun: dict[int, int]) -> list[CutConsequence]:
    """Place the overrun projects' work left again and book it for their promises."""
    promises: dict[int, Promise] = {}
    for project in Project.objects.filter(pk__in=list(overrun)).select_related("deal"):
        promise = promise_latest(deal=project.deal) if project.deal is not None else None
        if promise is not None:
            promises[project.pk] = promise
    if not promises:
        return []
    # A full build under the lock, as a capacity cut does: the reservation changed just now,
    # and an overrun is rare (once per phase that outgrows what was booked for it).
    snapshot = snapshot_build(today=timezone.localdate(), ledger_version=ledger_version_get())
    hours = {project_engine_id(pk): hours_from_minutes(overrun[pk]) for pk in promises}
    planned = {p.id for p in snapshot.firm_plan.instance.projects}
    _, replaced = replace_projects(
        snapshot.firm_plan, {pid: h for pid, h in hours.items() if pid in planned}
    )
    consequences = []
    for moved in replaced:
        pk = snapshot.projects[moved.project.id].pk
        reservations_rebook(
            row=Project.objects.select_for_update().get(pk=pk),
            promise=promises[pk],
            engine_project=moved.project,
            allocations=moved.answer.allocations,
            snapshot=snapshot,
        )
        consequence = cut_consequence(snapshot, moved)
        replan_record(user, consequence, OVERRUN_CAUSE)
        consequences.append(consequence)
    return consequences
