"""The plan cache: one snapshot per process, fresh for the ledger version it was built at, and
the answers computed on it."""

from __future__ import annotations

import datetime
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any, TypeVar

from django.db import connection
from django.db.models import Exists
from django.utils import timezone

from promisekeeper.engine.errors import InvalidInput
from promisekeeper.engine.io import project_from_dict
from promisekeeper.engine.plan import Allocations
from promisekeeper.organisation.models import Ledger
from promisekeeper.organisation.selectors import ledger_version_get
from promisekeeper.promising.plan_edits import CommittedProject
from promisekeeper.promising.snapshot import Snapshot, snapshot_build, snapshot_with_commits
from promisekeeper.promising.to_engine import ProjectRef
from promisekeeper.sales.models import (
    ReservationChange,
)
from promisekeeper.sales.selectors import holds_due

T = TypeVar("T")


@dataclass
class PlanCacheStats:
    """What this process's plan cache has done since start-up (or ``plan_cache_clear``):
    how often it built a snapshot from the database or replayed the journal onto one,
    served or computed an answer, ran the engine's Monte Carlo, drew a load chart, and how
    a commit's re-check under the lock went (kept the quoted hours, placed the work again,
    or fell back to the full computation)."""

    snapshot_builds: int = 0
    snapshot_replays: int = 0
    answer_hits: int = 0
    answer_misses: int = 0
    engine_runs: int = 0
    load_charts: int = 0
    rechecks_kept: int = 0
    rechecks_replaced: int = 0
    rechecks_full: int = 0


_stats = PlanCacheStats()
_stats_lock = threading.Lock()


def plan_cache_stats() -> PlanCacheStats:
    """A copy of this process's plan cache counters."""
    with _stats_lock:
        return replace(_stats)


def stats_count(name: str) -> None:
    """Count one event of the kind ``name`` (a ``PlanCacheStats`` field)."""
    with _stats_lock:
        setattr(_stats, name, getattr(_stats, name) + 1)


def ledger_version_and_holds_due(*, now: datetime.datetime) -> tuple[int, bool]:
    """The capacity ledger version, and whether an active hold has expired by ``now``: what
    every quote and commit asks first (one query)."""
    row = (
        Ledger.objects.annotate(due=Exists(holds_due(now=now)))
        .order_by("pk")
        .values_list("version", "due")
        .first()
    )
    if row is None:
        return 0, holds_due(now=now).exists()
    return int(row[0]), bool(row[1])


def answer_cached(snapshot: Snapshot, keys: list[tuple[Any, ...]], compute: Callable[[], T]) -> T:
    """The first of ``keys`` computed on this very snapshot, else ``compute()`` stored under
    ``keys[0]``. Keys carry the ledger version; the identity check keeps a rebuilt snapshot
    of the same version from reusing answers computed on another object's grid."""
    with _answers_lock:
        for key in keys:
            hit = _answers.get(key)
            if hit is not None and hit[0] is snapshot:
                _answers.move_to_end(key)
                cached: T = hit[1]
                stats_count("answer_hits")
                return cached
    stats_count("answer_misses")
    value = compute()
    with _answers_lock:
        _answers[keys[0]] = (snapshot, value)
        while len(_answers) > _ANSWERS_SIZE:
            _answers.popitem(last=False)
    return value


_ANSWERS_SIZE = 256


_answers: OrderedDict[tuple[Any, ...], tuple[Snapshot, Any]] = OrderedDict()


_answers_lock = threading.Lock()


_cache: dict[tuple[int, datetime.date, str], Snapshot] = {}


_cache_lock = threading.Lock()


def portfolio_snapshot(
    *, today: datetime.date | None = None, ledger_version: int | None = None
) -> Snapshot:
    """The current snapshot, from cache when the ledger has not moved since it was built,
    caught up by replaying the journal when it can be, else rebuilt.

    ``ledger_version`` is a version the caller has just read.
    """
    today = today or timezone.localdate()
    version = ledger_version_get() if ledger_version is None else ledger_version
    ready = snapshot_ready(today=today, ledger_version=version)
    if ready is not None:
        return ready
    with _cache_lock:
        ready = _cached_or_caught_up(today, version)
        if ready is None:
            ready = snapshot_build(today=today, ledger_version=version)
            stats_count("snapshot_builds")
            _cache.clear()
            _cache[(version, today, connection.alias)] = ready
    return ready


def snapshot_ready(*, today: datetime.date, ledger_version: int) -> Snapshot | None:
    """The snapshot at ``ledger_version`` if it needs no rebuild (cached, or an older one
    caught up by replaying the journal), else None. What a commit asks under the capacity
    lock: rebuilding there would stall every other commit."""
    key = (ledger_version, today, connection.alias)
    cached = _fresh(_cache.get(key))
    if cached is not None:
        return cached
    with _cache_lock:
        return _cached_or_caught_up(today, ledger_version)


def _cached_or_caught_up(today: datetime.date, version: int) -> Snapshot | None:
    """(Holding the cache lock.) The cached snapshot at ``version``, or an older one replayed
    to it and cached; None when only a rebuild can give it."""
    key = (version, today, connection.alias)
    cached = _fresh(_cache.get(key))
    if cached is not None:
        return cached
    older = [
        s
        for (cached_version, day, alias), s in _cache.items()
        if day == today and alias == key[2] and cached_version < version and _fresh(s)
    ]
    caught_up = snapshot_catch_up(older[0], version) if older else None
    if caught_up is not None:
        stats_count("snapshot_replays")
        _cache.clear()
        _cache[key] = caught_up
    return caught_up


def snapshot_catch_up(snapshot: Snapshot, version: int) -> Snapshot | None:
    """``snapshot`` brought to ``version`` by replaying reservation changes; None if it can't be.

    It can when the ledger versions since the snapshot's are exactly tiled by
    ReservationChange ranges (commits or re-dates somewhere else, each moving the ledger from
    ``first_version - 1`` to ``version``); any other capacity write bumped a version no row
    covers and needs a full rebuild. One query reads all the changes, whose payloads carry
    the project and its booked hours.
    """
    changes = _changes_between(snapshot.ledger_version, version)
    following = snapshot.ledger_version + 1
    for change in changes:
        if change.first_version != following:
            return None
        following = change.version + 1
    if following != version + 1:
        return None
    commits = []
    row_of_person = {snapshot.people[p.id]: k for k, p in enumerate(snapshot.instance.people)}
    for change in changes:
        if change.project_id is None:
            continue  # products only: stock is read live, the plan is unchanged
        committed = _committed_from_payload(snapshot, change, row_of_person)
        if committed is None:
            return None
        commits.append(committed)
    if not commits:
        return replace(snapshot, ledger_version=version, built_in_seconds=0.0)
    return snapshot_with_commits(snapshot, ledger_version=version, commits=commits)


def _changes_between(after: int, through: int) -> list[ReservationChange]:
    """The reservation changes wholly within ledger versions ``after`` < v <= ``through``,
    in order."""
    return list(
        ReservationChange.objects.filter(first_version__gt=after, version__lte=through)
        .only("first_version", "version", "project_id", "deal_id", "replaced", "payload")
        .order_by("version")
    )


def _committed_from_payload(
    snapshot: Snapshot, change: ReservationChange, row_of_person: dict[int, int]
) -> CommittedProject | None:
    payload = change.payload or {}
    if "project" not in payload or change.project_id is None:
        return None  # (the check on project_id narrows its type)
    calendar = snapshot.instance.calendar
    try:
        project = project_from_dict(payload["project"], calendar, snapshot.instance.roles)
    except InvalidInput:
        return None  # planned on another day or against other roles: rebuild
    rows = []
    for person_pk, day, phase, hours in payload["reserved"]:
        person = row_of_person.get(person_pk)
        if person is None or not 0 <= phase < len(project.phases):
            return None
        d = (datetime.date.fromisoformat(day) - snapshot.today).days
        if 0 <= d < calendar.horizon_days:
            rows.append((person, d, phase, float(hours)))
    return CommittedProject(
        project,
        ProjectRef("project", change.project_id),
        Allocations.from_rows(rows),
        (change.replaced, project.id),
        change.deal_id,
    )


def _fresh(snapshot: Snapshot | None) -> Snapshot | None:
    """The snapshot unless a hold it counts has expired since (time moves without the ledger)."""
    if snapshot is None or snapshot.valid_until is None:
        return snapshot
    return snapshot if timezone.now() < snapshot.valid_until else None


def snapshot_cache_put(snapshot: Snapshot) -> None:
    """Cache a snapshot its builder knows to be exact for its ledger version.

    Only call after the transaction that produced that version has committed. A newer
    snapshot already cached (another thread replayed past this version meanwhile) stays.
    """
    from django.db import connection

    key = (snapshot.ledger_version, snapshot.today, connection.alias)
    with _cache_lock:
        if any(v >= key[0] and day == key[1] and alias == key[2] for v, day, alias in _cache):
            return
        _cache.clear()
        _cache[key] = snapshot


def plan_cache_clear() -> None:
    """Forget every cached snapshot and answer (the next question rebuilds)."""
    with _cache_lock:
        _cache.clear()
    with _answers_lock:
        _answers.clear()
