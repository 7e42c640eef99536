"""What-if previews of capacity changes: the changed business built in memory and planned the way
the snapshot plans it, compared with the current plan. Nothing is written, so a preview takes no
lock and never stalls a commit, however long the re-plan runs."""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from decimal import Decimal

from promisekeeper.engine.model import Person
from promisekeeper.engine.plan import Plan
from promisekeeper.people.models import Person as DbPerson
from promisekeeper.people.models import Role
from promisekeeper.people.models import TimeOff as DbTimeOff
from promisekeeper.promising.cache import portfolio_snapshot
from promisekeeper.promising.plan_edits import firm_plan_build
from promisekeeper.promising.snapshot import (
    Snapshot,
    person_to_engine,
    pinned_allocations,
    time_off_to_engine,
)
from promisekeeper.promising.to_engine import person_engine_id

NEW_PERSON_ID = "person-preview"
"""The engine id of a person who is not hired yet (real ids carry a primary key)."""


@dataclass(frozen=True)
class AffectedPromise:
    """A promised project whose planned finish a change would move."""

    pk: int
    name: str
    promised: datetime.date | None
    finish_before: datetime.date | None
    finish_after: datetime.date | None
    status_before: str
    status_after: str

    @property
    def url(self) -> str:
        return f"/delivery/projects/{self.pk}/"

    @property
    def becomes_late(self) -> bool:
        return self.status_before == "on_time" and self.status_after in ("late", "unscheduled")

    @property
    def days_later(self) -> int | None:
        """Calendar days the finish moves (negative: earlier); None if unschedulable."""
        if self.finish_before is None or self.finish_after is None:
            return None
        return (self.finish_after - self.finish_before).days

    @property
    def days_moved(self) -> int:
        """How many days the finish moves, either way (0 if it cannot be scheduled)."""
        return abs(self.days_later or 0)


Planning = Callable[[], None]
"""Called once the changed instance is built, just before it is planned (a progress hook)."""


def time_off_preview(
    *,
    time_off: DbTimeOff,
    replaces: DbTimeOff | None = None,
    planning: Planning | None = None,
) -> list[AffectedPromise]:
    """The promises that ``time_off`` (an unsaved or edited row; ``replaces`` is the saved
    entry it would overwrite) would move. Reads only; writes nothing."""
    snapshot = portfolio_snapshot()
    return _preview(snapshot, time_off_people(snapshot, time_off, replaces), planning)


def time_off_people(
    snapshot: Snapshot, time_off: DbTimeOff, replaces: DbTimeOff | None = None
) -> tuple[Person, ...]:
    """The snapshot's people with ``time_off`` booked (instead of ``replaces``), in memory."""
    today = snapshot.today
    engine_id = person_engine_id(time_off.person_id)
    removed = None if replaces is None else time_off_to_engine(replaces, today=today)

    def changed(person: Person) -> Person:
        kept = list(person.time_off)
        if removed is not None and removed in kept:
            kept.remove(removed)
        if time_off.end_date >= today:
            kept.append(time_off_to_engine(time_off, today=today))
        return replace(person, time_off=tuple(kept))

    return tuple(changed(p) if p.id == engine_id else p for p in snapshot.instance.people)


def hire_preview(
    *,
    person: DbPerson,
    skills: Iterable[tuple[Role, Decimal]],
    planning: Planning | None = None,
) -> list[AffectedPromise]:
    """The promises that hiring ``person`` (unsaved) with ``skills`` would move. Reads only."""
    snapshot = portfolio_snapshot()
    roles = {role.name: float(efficiency) for role, efficiency in skills}
    known = {name: e for name, e in roles.items() if name in snapshot.instance.roles}
    people = snapshot.instance.people
    if known:
        hire = person_to_engine(
            person, skills=known, time_off=(), today=snapshot.today, engine_id=NEW_PERSON_ID
        )
        # Last, so every pinned reservation keeps its person row.
        people = (*people, hire)
    return _preview(snapshot, people, planning)


def plan_changes(snapshot: Snapshot, after: Plan) -> list[AffectedPromise]:
    """The snapshot's promised projects whose finish or status differs in ``after``: ones that
    become late first, then by promised date."""
    names = {p.id: p.name for p in snapshot.firm_plan.instance.projects}
    affected = []
    for engine_id, ref in snapshot.projects.items():
        old = snapshot.firm_plan.projects.get(engine_id)
        new = after.projects.get(engine_id)
        if ref.kind != "project" or old is None or new is None or old.promised_day is None:
            continue
        if old.finish_day == new.finish_day and old.status == new.status:
            continue
        affected.append(
            AffectedPromise(
                pk=ref.pk,
                name=names.get(engine_id, ""),
                promised=snapshot.date_of(old.promised_day),
                finish_before=_last_day(snapshot, old.finish_day),
                finish_after=_last_day(snapshot, new.finish_day),
                status_before=str(old.status.value),
                status_after=str(new.status.value),
            )
        )
    affected.sort(key=lambda a: (not a.becomes_late, a.promised or datetime.date.max))
    return affected


def _preview(
    snapshot: Snapshot, people: tuple[Person, ...], planning: Planning | None
) -> list[AffectedPromise]:
    firm = snapshot.firm_plan.instance
    pinned = pinned_allocations(firm, snapshot.projects, snapshot.people)
    changed = replace(firm, people=people)
    if planning is not None:
        planning()
    # The snapshot's own firm planning, on the changed people: a pure function, no database.
    return plan_changes(snapshot, firm_plan_build(changed, pinned))


def _last_day(snapshot: Snapshot, finish_day: int | None) -> datetime.date | None:
    return None if finish_day is None else snapshot.date_of(max(0, finish_day - 1))
