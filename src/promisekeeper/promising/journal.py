"""The reservation journal: what other processes replay to catch their plan up with a commit."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import transaction

from promisekeeper.delivery.models import Project as DeliveryProject
from promisekeeper.engine.io import project_to_dict
from promisekeeper.engine.model import Project
from promisekeeper.promising.cache import snapshot_cache_put
from promisekeeper.promising.plan_edits import BookedRow, CommittedProject, booked_allocations
from promisekeeper.promising.snapshot import Snapshot, snapshot_with_commits
from promisekeeper.promising.to_engine import ProjectRef
from promisekeeper.sales.models import (
    Deal,
    ReservationChange,
)


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
) -> None:
    """Journal the project's new hours at versions ``first_version``..``version`` and, once the transaction commits (the
    lock released), put the next snapshot in this process's cache: the same replay every
    other process makes."""
    change = ReservationChange(
        first_version=first_version,
        version=version,
        project=project,
        deal=deal,
        replaced=replaced,
        payload=reservation_change_payload(snapshot, engine_project, booked),
    )
    change.save()
    committed = CommittedProject(
        engine_project,
        ProjectRef("project", project.pk),
        booked_allocations(booked),
        (change.replaced, engine_project.id),
        deal.pk,
    )

    def cache_following() -> None:
        # After the commit, so outside the lock; a failure here only costs a later replay.
        snapshot_cache_put(
            snapshot_with_commits(snapshot, ledger_version=version, commits=[committed])
        )

    transaction.on_commit(cache_following, robust=True)


def reservation_change_payload(
    snapshot: Snapshot, project: Project, booked: Sequence[BookedRow]
) -> dict[str, Any]:
    """What another process needs to replay a commit without reading its rows: the engine
    project and the booked (person, day, phase, hours), with database keys and dates."""
    calendar = snapshot.instance.calendar
    people = snapshot.instance.people
    return {
        "project": project_to_dict(project, calendar),
        "reserved": [
            [snapshot.people[people[person].id], calendar.date_of(day).isoformat(), phase, str(h)]
            for person, day, phase, h in booked
        ],
    }
