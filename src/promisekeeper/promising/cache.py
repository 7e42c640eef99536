"""The plan cache: this process's one snapshot of the business, fresh for the ledger version
it was built at, with the answers computed on it.

Freshness needs no caller's help: database triggers bump the ledger on every write to a
table the snapshot reads (organisation/migrations/0003_ledger_triggers.py), and every read
names the version it wants. A newer version is reached by replaying the journal of bookings
(``journal.snapshot_catch_up``) when only bookings came between, else by a rebuild; a commit
never rebuilds under the capacity lock (``PlanCache.ready``).
"""

from __future__ import annotations

import datetime
import threading
from collections.abc import Callable
from dataclasses import dataclass, fields, replace
from typing import Any, TypeVar

from django.db import connection
from django.utils import timezone

from promisekeeper.organisation.selectors import ledger_version_get
from promisekeeper.promising.journal import snapshot_catch_up
from promisekeeper.promising.snapshot import Snapshot, snapshot_build

T = TypeVar("T")
ANSWERS_PER_SNAPSHOT = 256


@dataclass
class PlanCacheStats:
    """What this process's plan cache has done since start-up: how often it built a
    snapshot from the database or replayed the journal onto one, served or computed an
    answer, ran the engine's Monte Carlo, drew a load chart, and how a commit's re-check
    under the lock went (kept the quoted hours, placed the work again, or fell back to the
    full computation)."""

    snapshot_builds: int = 0
    snapshot_replays: int = 0
    answer_hits: int = 0
    answer_misses: int = 0
    engine_runs: int = 0
    load_charts: int = 0
    rechecks_kept: int = 0
    rechecks_replaced: int = 0
    rechecks_full: int = 0


_COUNTERS = frozenset(f.name for f in fields(PlanCacheStats))

Key = tuple[int, datetime.date, str]


class PlanCache:
    """The snapshot of the newest ledger version this process has seen (one per database
    alias and day), and counters of what it did. Thread-safe; one instance per process."""

    def __init__(self) -> None:
        self._snapshots: dict[Key, Snapshot] = {}
        self._lock = threading.Lock()
        self._stats = PlanCacheStats()
        self._stats_lock = threading.Lock()

    def snapshot(
        self, *, today: datetime.date | None = None, ledger_version: int | None = None
    ) -> Snapshot:
        """The snapshot at ``ledger_version`` (default: the current one), cached, replayed
        from the journal or, when neither can give it, rebuilt."""
        today = today or timezone.localdate()
        version = ledger_version_get() if ledger_version is None else ledger_version
        ready = self.ready(today=today, ledger_version=version)
        if ready is not None:
            return ready
        with self._lock:
            ready = self._cached_or_caught_up(today, version)
            if ready is None:
                ready = snapshot_build(today=today, ledger_version=version)
                self.count("snapshot_builds")
                self._keep(ready)
        return ready

    def ready(self, *, today: datetime.date, ledger_version: int) -> Snapshot | None:
        """The snapshot at ``ledger_version`` if it needs no rebuild (cached, or an older
        one caught up by replaying the journal), else None."""
        cached = _fresh(self._snapshots.get(_key(ledger_version, today)))
        if cached is not None:
            return cached
        with self._lock:
            return self._cached_or_caught_up(today, ledger_version)

    def put(self, snapshot: Snapshot) -> None:
        """Keep a snapshot its maker knows to be exact for its version (a booking's own
        replay, once its transaction committed); a newer one already kept stays."""
        with self._lock:
            today, alias = snapshot.today, connection.alias
            if any(
                v >= snapshot.ledger_version and (d, a) == (today, alias)
                for v, d, a in self._snapshots
            ):
                return
            self._keep(snapshot)

    def clear(self) -> None:
        """Forget the snapshot and its answers (the next question rebuilds)."""
        with self._lock:
            self._snapshots.clear()

    def count(self, name: str) -> None:
        """Count one event of the kind ``name`` (a ``PlanCacheStats`` field)."""
        with self._stats_lock:
            setattr(self._stats, name, getattr(self._stats, name) + 1)

    def stats(self) -> PlanCacheStats:
        """A copy of the counters."""
        with self._stats_lock:
            return replace(self._stats)

    def _keep(self, snapshot: Snapshot) -> None:
        self._snapshots.clear()
        self._snapshots[_key(snapshot.ledger_version, snapshot.today)] = snapshot

    def _cached_or_caught_up(self, today: datetime.date, version: int) -> Snapshot | None:
        """(Holding the lock.) The kept snapshot at ``version``, or an older one replayed to
        it and kept; None when only a rebuild can give it."""
        cached = _fresh(self._snapshots.get(_key(version, today)))
        if cached is not None:
            return cached
        alias = connection.alias
        # A snapshot whose hold has expired can still be replayed: the journal of the
        # expiry brings it back to the truth, which the freshness check below confirms.
        older = [
            s
            for (v, day, a), s in self._snapshots.items()
            if (day, a) == (today, alias) and v < version
        ]
        caught_up = _fresh(snapshot_catch_up(older[0], version)) if older else None
        if caught_up is not None:
            self.count("snapshot_replays")
            self._keep(caught_up)
        return caught_up


def _key(version: int, today: datetime.date) -> Key:
    return (version, today, connection.alias)


def _fresh(snapshot: Snapshot | None) -> Snapshot | None:
    """The snapshot unless a hold it counts has expired since (time moves without the ledger)."""
    if snapshot is None or snapshot.valid_until is None:
        return snapshot
    return snapshot if timezone.now() < snapshot.valid_until else None


plan_cache = PlanCache()
"""This process's plan cache."""


def portfolio_snapshot(
    *, today: datetime.date | None = None, ledger_version: int | None = None
) -> Snapshot:
    """The current snapshot (``plan_cache.snapshot``)."""
    return plan_cache.snapshot(today=today, ledger_version=ledger_version)


def snapshot_ready(*, today: datetime.date, ledger_version: int) -> Snapshot | None:
    """The snapshot at ``ledger_version`` if no rebuild is needed (``plan_cache.ready``):
    what a commit asks under the capacity lock, where a rebuild would stall every commit."""
    return plan_cache.ready(today=today, ledger_version=ledger_version)


def snapshot_cache_put(snapshot: Snapshot) -> None:
    """Keep a snapshot known to be exact for its version (``plan_cache.put``)."""
    plan_cache.put(snapshot)


def plan_cache_clear() -> None:
    """Forget the cached snapshot and its answers."""
    plan_cache.clear()


def plan_cache_stats() -> PlanCacheStats:
    """A copy of this process's plan cache counters."""
    return plan_cache.stats()


def stats_count(name: str) -> None:
    """Count one event of the kind ``name`` (a ``PlanCacheStats`` field)."""
    if name not in _COUNTERS:
        raise ValueError(f"no plan cache counter {name!r}")
    plan_cache.count(name)


def answer_cached(snapshot: Snapshot, keys: list[tuple[Any, ...]], compute: Callable[[], T]) -> T:
    """The first of ``keys`` already computed on ``snapshot``, else ``compute()`` kept on it
    under ``keys[0]`` (the answers live and die with their snapshot)."""
    with snapshot.answers_lock:
        for key in keys:
            if key in snapshot.answers:
                snapshot.answers.move_to_end(key)
                stats_count("answer_hits")
                cached: T = snapshot.answers[key]
                return cached
    stats_count("answer_misses")
    value = compute()
    with snapshot.answers_lock:
        snapshot.answers[keys[0]] = value
        while len(snapshot.answers) > ANSWERS_PER_SNAPSHOT:
            snapshot.answers.popitem(last=False)
    return value
