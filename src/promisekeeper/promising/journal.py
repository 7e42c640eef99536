"""The reservation journal: each booking records its hours for the ledger versions it moved
through, and every other process replays those records onto the snapshot it has instead of
rebuilding the portfolio."""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from promisekeeper.delivery.models import Project as DeliveryProject
from promisekeeper.engine.errors import InvalidInput
from promisekeeper.engine.io import project_from_dict, project_to_dict
from promisekeeper.engine.model import Project
from promisekeeper.engine.plan import Allocations
from promisekeeper.promising.plan_edits import BookedRow, CommittedProject, booked_allocations
from promisekeeper.promising.snapshot import (
    HoldPlaced,
    Snapshot,
    snapshot_with_commits,
    snapshot_with_hold,
    snapshot_without_holds,
)
from promisekeeper.promising.to_engine import ProjectRef
from promisekeeper.sales.models import (
    Deal,
    ReservationChange,
)
from promisekeeper.sales.units import hours_from_minutes


def reservation_change_record(
    *,
    snapshot: Snapshot,
    first_version: int,
    version: int,
    project: DeliveryProject,
    engine_project: Project,
    booked: list[BookedRow],
    deal: Deal,
    replaced: str,
) -> CommittedProject:
    """Journal the project's new hours for ledger versions ``first_version``..``version``
    (every bump the booking's transaction made); returns the commit as other processes will
    replay it."""
    change = ReservationChange(
        first_version=first_version,
        version=version,
        project=project,
        deal=deal,
        replaced=replaced,
        payload=reservation_change_payload(snapshot, engine_project, booked),
    )
    change.save()
    return CommittedProject(
        engine_project,
        ProjectRef("project", project.pk),
        booked_allocations(booked),
        (change.replaced, engine_project.id),
        deal.pk,
    )


def reservation_change_payload(
    snapshot: Snapshot, project: Project, booked: Sequence[BookedRow]
) -> dict[str, Any]:
    """What another process needs to replay a commit without reading its rows: the engine
    project and the booked (person, day, phase, minutes), with database keys and dates."""
    calendar = snapshot.instance.calendar
    people = snapshot.instance.people
    return {
        "project": project_to_dict(project, calendar),
        "reserved_minutes": [
            [snapshot.people[people[person].id], calendar.date_of(day).isoformat(), phase, m]
            for person, day, phase, m in booked
        ],
    }


def snapshot_catch_up(snapshot: Snapshot, version: int) -> Snapshot | None:
    """``snapshot`` brought to ``version`` by replaying reservation changes; None if it can't be.

    It can when the ledger versions since the snapshot's are exactly tiled by
    ReservationChange ranges (commits, re-dates, holds placed or ended somewhere else, each
    moving the ledger from ``first_version - 1`` to ``version``); any other capacity write
    bumped a version no row covers and needs a full rebuild. One query reads all the
    changes, whose payloads carry what the replay needs.
    """
    changes = _changes_between(snapshot.ledger_version, version)
    following = snapshot.ledger_version + 1
    for change in changes:
        if change.first_version != following:
            return None
        following = change.version + 1
    if following != version + 1:
        return None
    row_of_person = {snapshot.people[p.id]: k for k, p in enumerate(snapshot.instance.people)}
    current: Snapshot | None = snapshot
    commits: list[CommittedProject] = []
    for change in changes:
        assert current is not None
        if change.kind == ReservationChange.Kind.BOOKING:
            if change.project_id is None:
                continue  # products only: stock is read live, the plan is unchanged
            committed = _committed_from_payload(snapshot, change, row_of_person)
            if committed is None:
                return None
            commits.append(committed)
            continue
        if commits:
            current = _pinned(current, change.first_version - 1, commits)
            commits = []
        current = _hold_replayed(current, change)
        if current is None:
            return None
    assert current is not None
    if commits:
        return _pinned(current, version, commits)
    return replace(current, ledger_version=version, built_in_seconds=0.0)


def _pinned(snapshot: Snapshot, version: int, commits: list[CommittedProject]) -> Snapshot:
    return snapshot_with_commits(snapshot, ledger_version=version, commits=commits)


def _hold_replayed(snapshot: Snapshot, change: ReservationChange) -> Snapshot | None:
    """``snapshot`` after one journalled hold change (placed, ended, or no plan change)."""
    payload = change.payload or {}
    if change.kind == ReservationChange.Kind.PLAN_UNCHANGED:
        return replace(snapshot, ledger_version=change.version)
    if change.kind == ReservationChange.Kind.HOLD_PLACED and change.deal_id is not None:
        wanted = payload.get("wanted_date")
        hold = HoldPlaced(
            deal_pk=change.deal_id,
            wanted_date=None if wanted is None else datetime.date.fromisoformat(wanted),
            expires_at=datetime.datetime.fromisoformat(payload["expires_at"]),
        )
        return snapshot_with_hold(snapshot, ledger_version=change.version, hold=hold)
    if change.kind == ReservationChange.Kind.HOLDS_ENDED:
        deal_pks = [int(pk) for pk in payload.get("deals", [])]
        return snapshot_without_holds(snapshot, ledger_version=change.version, deal_pks=deal_pks)
    return None


def _changes_between(after: int, through: int) -> list[ReservationChange]:
    """The reservation changes wholly within ledger versions ``after`` < v <= ``through``,
    in order."""
    return list(
        ReservationChange.objects.filter(first_version__gt=after, version__lte=through)
        .only("kind", "first_version", "version", "project_id", "deal_id", "replaced", "payload")
        .order_by("version")
    )


def _committed_from_payload(
    snapshot: Snapshot, change: ReservationChange, row_of_person: dict[int, int]
) -> CommittedProject | None:
    payload = change.payload or {}
    if "project" not in payload or "reserved_minutes" not in payload:
        return None  # written before hours were minutes: rebuild
    if change.project_id is None:
        return None  # (the check on project_id narrows its type)
    calendar = snapshot.instance.calendar
    try:
        project = project_from_dict(payload["project"], calendar, snapshot.instance.roles)
    except InvalidInput:
        return None  # planned on another day or against other roles: rebuild
    rows = []
    for person_pk, day, phase, minutes in payload["reserved_minutes"]:
        person = row_of_person.get(person_pk)
        if person is None or not 0 <= phase < len(project.phases):
            return None
        d = (datetime.date.fromisoformat(day) - snapshot.today).days
        if 0 <= d < calendar.horizon_days:
            rows.append((person, d, phase, hours_from_minutes(int(minutes))))
    return CommittedProject(
        project,
        ProjectRef("project", change.project_id),
        Allocations.from_rows(rows),
        (change.replaced, project.id),
        change.deal_id,
    )
