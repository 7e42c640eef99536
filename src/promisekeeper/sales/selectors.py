"""Reads about deals and promises, and the engine answer to "can we promise?".

``quote_compute`` is the one place that asks the engine about a new piece of work: the
quote (``quote_check``) and ``promise_commit`` both call it on the same snapshot, so a
commit at an unchanged ledger version gets exactly the quoted answer. ``quote_recheck`` is
the commit's cheap re-check under the lock when other commits moved the plan meanwhile.
"""

from __future__ import annotations

import datetime
import math
import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Collection
from dataclasses import dataclass, field, fields, is_dataclass
from functools import cache, partial
from statistics import median
from typing import Any, TypeVar

import numpy as np
from django.db import connection
from django.db.models import QuerySet

from promisekeeper.catalog.models import (
    IncomingSupply,
    Offering,
    Product,
    SopVersion,
    StockReservation,
)
from promisekeeper.delivery.models import Project as DeliveryProject
from promisekeeper.engine.atp import available_to_promise
from promisekeeper.engine.confidence import ConfidenceAnswer, confidence, confidence_reanchored
from promisekeeper.engine.model import Project, ProjectState
from promisekeeper.engine.options import options as engine_options
from promisekeeper.engine.plan import Plan
from promisekeeper.engine.promise import earliest_finish, placement_fits, plan_context
from promisekeeper.organisation import sql
from promisekeeper.organisation.models import Ledger, QuoteConfidence
from promisekeeper.organisation.selectors import organisation_settings_get
from promisekeeper.sales.models import AuditEvent, Deal, Hold, Notification, Promise
from promisekeeper.sales.snapshot import (
    Snapshot,
    deal_engine_id,
    lines_to_engine,
    memoised,
    plan_without,
    project_engine_id,
)

OPEN_STAGES = (Deal.Stage.LEAD, Deal.Stage.QUALIFIED, Deal.Stage.PROPOSAL, Deal.Stage.HELD)
QUOTE_SAMPLES = 1000
QUANTILE = {QuoteConfidence.P50: 0.5, QuoteConfidence.P80: 0.8, QuoteConfidence.P95: 0.95}
LOAD_WEEKS = 12
RESHUFFLE_MAX_PROJECTS = 300
T = TypeVar("T")


def holds_due(*, now: datetime.datetime) -> QuerySet[Hold]:
    """Active holds that have expired by ``now`` and are waiting to be released."""
    return Hold.objects.filter(active=True, expires_at__lte=now)


def ledger_version_and_holds_due(*, now: datetime.datetime) -> tuple[int, bool]:
    """The capacity ledger version, and whether an active hold has expired by ``now``
    (``holds_due``, written out in SQL: every quote and commit asks this first).

    One query: a quote needs both before it answers, and each round trip counts under load.
    """
    due = (
        f"SELECT 1 FROM {sql.table(Hold)} WHERE {sql.column(Hold, 'active')} "  # noqa: S608
        f"AND {sql.column(Hold, 'expires_at')} <= %s"
    )
    row = sql.fetch_one(
        f"SELECT {sql.column(Ledger, 'version')}, EXISTS({due}) FROM {sql.table(Ledger)} "  # noqa: S608
        f"ORDER BY {sql.column(Ledger, 'id')} LIMIT 1",
        [connection.ops.adapt_datetimefield_value(now)],
    )
    if row is None:
        return 0, holds_due(now=now).exists()
    return int(row[0]), bool(row[1])


@cache
def deal_first_project_sql(deal: str) -> str:
    """``FROM … LIMIT 1`` selecting, as ``p``, the first delivery project (in the model's
    order) of the deal whose id is the SQL expression ``deal``."""
    project = DeliveryProject
    names = [str(name) for name in project._meta.ordering or ("id",)]
    order = ", ".join(
        f"p.{sql.column(project, name.lstrip('-'))}{' DESC' if name.startswith('-') else ''}"
        for name in names
    )
    return (
        f"FROM {sql.table(project)} p WHERE p.{sql.column(project, 'deal')} = {deal} "
        f"ORDER BY {order} LIMIT 1"
    )


def deal_project_pk(deal_pk: int) -> int | None:
    """The pk of the deal's delivery project (its held or promised work), if it has one."""
    row = sql.fetch_one(
        f"SELECT p.{sql.column(DeliveryProject, 'id')} {deal_first_project_sql('%s')}",
        [deal_pk],
    )
    return None if row is None else int(row[0])


def deal_list_open() -> QuerySet[Deal]:
    """Deals not yet won or lost, newest first."""
    return Deal.objects.filter(stage__in=OPEN_STAGES).select_related("customer", "owner")


def promise_latest(*, deal: Deal) -> Promise | None:
    """The most recent promise on a deal, or None."""
    return deal.promises.order_by("-created_at", "-pk").first()


def deal_history(*, deal: Deal) -> list[AuditEvent]:
    """Every audit event of a deal, oldest first."""
    return list(deal.audit_events.select_related("actor").order_by("created_at", "pk"))


def notification_list_unread(*, user: Any) -> QuerySet[Notification]:
    """A user's unread notifications, newest first."""
    return Notification.objects.filter(user=user, read=False)


def quote_confidence_get() -> str:
    """The organisation's quote confidence (P80 until configured)."""
    org = organisation_settings_get()
    return org.quote_confidence if org else QuoteConfidence.P80


def _confidence_level(snapshot: Snapshot) -> str:
    """``quote_confidence_get`` once per snapshot lineage (settings changes bump the ledger)."""
    return memoised(snapshot.memo, ("quote-confidence",), quote_confidence_get)


# --- the answer -------------------------------------------------------------------------


@dataclass(frozen=True)
class QuoteLine:
    """One thing asked about: an offering (delivered by its SOP) or a stocked product."""

    quantity: int
    offering_id: int | None = None
    product_id: int | None = None


@dataclass(frozen=True)
class LoadWeek:
    week_start: datetime.date
    booked_hours: float
    available_hours: float
    utilisation: float


@dataclass(frozen=True)
class Bottleneck:
    role: str
    phase: str
    delay_days: int
    weeks: tuple[tuple[datetime.date, float], ...]


@dataclass(frozen=True)
class MovedProject:
    project: str
    name: str
    old_date: datetime.date
    new_date: datetime.date


@dataclass(frozen=True)
class QuoteOption:
    kind: str
    feasible: bool
    finish_date: datetime.date | None
    detail: str
    quantity: float | None = None
    overtime_hours: tuple[tuple[str, float], ...] = ()
    hire_role: str | None = None
    hire_date: datetime.date | None = None
    moves: tuple[MovedProject, ...] = ()


@dataclass(frozen=True)
class StockLine:
    product_id: int
    sku: str
    name: str
    quantity: int
    available_on_wanted_date: int | None
    earliest_date: datetime.date | None


@dataclass(frozen=True)
class OfferingEvidence:
    offering_id: int
    offering: str
    delivered: int
    on_time_share: float | None
    median_days: float | None
    p80_days: float | None


@dataclass(frozen=True)
class QuoteAnswer:
    """Everything a salesperson needs to answer a customer; plain data, the same for web/API/CLI.

    ``promise_date`` is the earliest date the organisation may promise at its quote
    confidence (the later of the engine's confidence date and its deterministic finish,
    and of every product's ATP date); ``can_promise`` compares it with the wanted date.
    """

    ledger_version: int
    today: datetime.date
    confidence: str
    lines: tuple[QuoteLine, ...]
    wanted_date: datetime.date | None
    can_promise: bool | None
    promise_date: datetime.date | None
    earliest_date: datetime.date | None
    p50_date: datetime.date | None
    p80_date: datetime.date | None
    p95_date: datetime.date | None
    beyond_horizon_share: float
    bottleneck: Bottleneck | None
    load: tuple[LoadWeek, ...]
    options: tuple[QuoteOption, ...]
    stock: tuple[StockLine, ...]
    evidence: tuple[OfferingEvidence, ...]
    samples: int
    seed: int
    sampler_gap_days: int | None = None
    notes: tuple[str, ...] = field(default_factory=tuple)

    def to_dict(self, *, omit: Collection[str] = ()) -> dict[str, Any]:
        """JSON-ready: dates as ISO strings; the ``omit`` fields are None (a commit's audit
        record leaves out the load picture and the options)."""
        return {
            f.name: None if f.name in omit else _jsonable(getattr(self, f.name))
            for f in fields(self)
        }


def _jsonable(value: Any) -> Any:
    if is_dataclass(value) and not isinstance(value, type):
        return {f.name: _jsonable(getattr(value, f.name)) for f in fields(value)}
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, datetime.date):
        return value.isoformat()
    return value


@dataclass(frozen=True)
class Evaluation:
    """The answer plus the engine objects a commit needs to reserve exactly what was checked."""

    answer: QuoteAnswer
    project: Project | None
    plan: Plan
    replaces: str | None
    engine: ConfidenceAnswer | None


@dataclass(frozen=True)
class ResolvedLine:
    line: QuoteLine
    offering: Offering | None
    sop_version: SopVersion | None
    product: Product | None


@dataclass(frozen=True)
class QuoteCore:
    """The part of an answer that does not depend on the wanted date.

    A salesperson on a call re-asks the same lines while trying dates (htmx asks on every
    change), so the engine's confidence run, the bottleneck, the role load and the evidence
    are computed once per plan version and line set; only the verdict, the options and the
    stock on the wanted date are worked out per date.
    """

    project: Project | None
    plan: Plan
    replaces: str | None
    engine: ConfidenceAnswer | None
    dates: dict[str, datetime.date | None]
    capacity_date: datetime.date | None
    beyond_horizon_share: float
    bottleneck: Bottleneck | None
    load: tuple[LoadWeek, ...]
    evidence: tuple[OfferingEvidence, ...]
    notes: tuple[str, ...]


_CACHE_SIZE = 256
_cache: OrderedDict[tuple[Any, ...], tuple[Snapshot, Any]] = OrderedDict()
_cache_lock = threading.Lock()


def _cached(snapshot: Snapshot, keys: list[tuple[Any, ...]], compute: Callable[[], T]) -> T:
    """The first of ``keys`` computed on this very snapshot, else ``compute()`` stored under
    ``keys[0]``. Keys carry the ledger version; the identity check keeps a rebuilt snapshot
    of the same version from reusing answers computed on another object's grid."""
    with _cache_lock:
        for key in keys:
            hit = _cache.get(key)
            if hit is not None and hit[0] is snapshot:
                _cache.move_to_end(key)
                cached: T = hit[1]
                return cached
    value = compute()
    with _cache_lock:
        _cache[keys[0]] = (snapshot, value)
        while len(_cache) > _CACHE_SIZE:
            _cache.popitem(last=False)
    return value


def quote_compute(
    *,
    snapshot: Snapshot,
    deal: Deal | None,
    lines: list[ResolvedLine],
    wanted_date: datetime.date | None,
    with_options: bool = True,
    project: Project | None = None,
) -> Evaluation:
    """The engine's answer for ``lines`` on ``snapshot`` (cached per snapshot and question).

    ``project`` replaces the engine project built from the offering lines (re-dating work
    that already has phases of its own); such answers are not cached.
    """
    level = _confidence_level(snapshot)
    if project is not None:
        core = _core_compute(snapshot, deal, lines, level, project)
        return _evaluate(snapshot, core, lines, wanted_date, level, with_options)
    question = (
        snapshot.ledger_version,
        snapshot.today,
        deal.pk if deal else None,
        tuple(r.line for r in lines),
        level,
    )
    key = ("answer", *question, wanted_date, with_options)
    # An answer with options serves a question without them (a commit right after its quote,
    # on an unchanged plan, then re-checks without running the engine again).
    keys = [key] if with_options else [key, (*key[:-1], True)]

    def answer() -> Evaluation:
        # A commit (no options) records its answer without the role load chart; a core that
        # has the chart serves it all the same.
        core_key = ("core", *question, with_options)
        core = _cached(
            snapshot,
            [core_key] if with_options else [core_key, (*core_key[:-1], True)],
            partial(_core_compute, snapshot, deal, lines, level, None, with_load=with_options),
        )
        return _evaluate(snapshot, core, lines, wanted_date, level, with_options)

    return _cached(snapshot, keys, answer)


def quote_recheck(
    *,
    snapshot: Snapshot,
    quoted: Evaluation,
    deal: Deal,
    lines: list[ResolvedLine],
    wanted_date: datetime.date,
    project_pk: int | None,
) -> Evaluation:
    """A commit's re-check under the capacity lock: ``quoted`` (the answer just computed on a
    snapshot that may have aged since) with its work placed again, exactly, on ``snapshot``.

    When every hour the quote placed is still free, the quote stands as it was: those hours
    get booked. Otherwise only the exact placement is redone, which is what books the hours;
    the P50/P80/P95 margins are the quoted Monte Carlo run moved onto the new placement
    (``confidence_reanchored``), because a full run would hold the lock that every other
    commit waits for. On an unchanged version this is the quoted answer itself. The full
    computation runs when the deal's own planned work, the day or the confidence level
    changed, or the work no longer fits the horizon.
    """
    level = _confidence_level(snapshot)
    replaces = own_engine_id(snapshot, deal.pk, project_pk)
    project, before = quoted.project, quoted.engine

    def in_full() -> Evaluation:
        return quote_compute(
            snapshot=snapshot, deal=deal, lines=lines, wanted_date=wanted_date, with_options=False
        )

    if (
        snapshot.ledger_version == quoted.answer.ledger_version
        or project is None
        or before is None
        or replaces != quoted.replaces
        or snapshot.today != quoted.answer.today
        or level != quoted.answer.confidence
    ):
        return in_full()
    plan = plan_without(snapshot.firm_plan, replaces) if replaces else snapshot.firm_plan
    engine: ConfidenceAnswer | None = before
    if not placement_fits(plan, before.deterministic.allocations):
        engine = confidence_reanchored(
            before,
            earliest_finish(plan, project),
            project=project,
            horizon=snapshot.instance.calendar.horizon_days,
        )
    if engine is None:
        return in_full()
    # No role load: a commit records the answer without it, and this runs under the lock.
    core = _core_of(
        snapshot, plan, project, replaces, engine, quoted.answer.evidence, level, with_load=False
    )
    return _evaluate(snapshot, core, lines, wanted_date, level, with_options=False)


def _own_engine_ids(snapshot: Snapshot, deal: Deal | None) -> str | None:
    if deal is None or deal.pk is None:
        return None
    if deal_engine_id(deal.pk) in snapshot.firm_plan.projects:
        return deal_engine_id(deal.pk)
    return own_engine_id(snapshot, deal.pk, deal_project_pk(deal.pk))


def own_engine_id(snapshot: Snapshot, deal_pk: int, project_pk: int | None) -> str | None:
    """The deal's own planned work in the firm plan (its hold, or its held project), which
    an answer for the deal replaces; ``project_pk`` is the deal's delivery project, if any."""
    if deal_engine_id(deal_pk) in snapshot.firm_plan.projects:
        return deal_engine_id(deal_pk)
    if project_pk is not None and project_engine_id(project_pk) in snapshot.firm_plan.projects:
        return project_engine_id(project_pk)
    return None


def _date(snapshot: Snapshot, finish_day: int | None) -> datetime.date | None:
    """Exclusive finish day -> the last working date (never before today)."""
    if finish_day is None:
        return None
    return snapshot.date_of(max(0, finish_day - 1))


def _core_compute(
    snapshot: Snapshot,
    deal: Deal | None,
    lines: list[ResolvedLine],
    level: str,
    given: Project | None,
    *,
    with_load: bool = True,
) -> QuoteCore:
    """The engine's confidence run for the lines, with no wanted date involved."""
    replaces = _own_engine_ids(snapshot, deal)
    # The grid without the deal's own hold; the engine's trials on it restore it under the
    # plan's lock, and options try their changes on copies, so cached cores share it safely.
    plan = plan_without(snapshot.firm_plan, replaces or "")
    offering_lines = [(r.sop_version, r.line.quantity) for r in lines if r.sop_version is not None]
    project = given
    if project is None and offering_lines:
        project = lines_to_engine(
            project_id=f"quote-{deal.pk}" if deal and deal.pk else "quote",
            lines=offering_lines,
            calendar=snapshot.instance.calendar,
            release_date=snapshot.today,
            promised_date=None,
            state=ProjectState.COMMITTED,
            name=deal.name if deal else "quote",
            memo=snapshot.memo,
        )
    evidence = tuple(_evidence_of(snapshot, r.offering) for r in _unique_offerings(lines))
    if project is None:  # products only: no work to place
        return QuoteCore(
            project=None,
            plan=plan,
            replaces=replaces,
            engine=None,
            dates=dict.fromkeys(("earliest", "p50", "p80", "p95")),
            capacity_date=snapshot.today,
            beyond_horizon_share=0.0,
            bottleneck=None,
            load=(),
            evidence=evidence,
            notes=(),
        )
    engine = confidence(plan, project, samples=QUOTE_SAMPLES, seed=snapshot.ledger_version)
    return _core_of(snapshot, plan, project, replaces, engine, evidence, level, with_load=with_load)


def _core_of(
    snapshot: Snapshot,
    plan: Plan,
    project: Project,
    replaces: str | None,
    engine: ConfidenceAnswer,
    evidence: tuple[OfferingEvidence, ...],
    level: str,
    *,
    with_load: bool = True,
) -> QuoteCore:
    """Dates at the confidence level, bottleneck and (``with_load``) the bottleneck role's
    week-by-week load from the engine's run."""
    deterministic = engine.deterministic
    quantile_day = engine.quantile(QUANTILE[QuoteConfidence(level)])
    notes: tuple[str, ...] = ()
    if quantile_day is None or deterministic.finish_day is None:
        capacity_date = None
        notes = ("the work does not fit inside the planning horizon at this confidence",)
    else:
        capacity_date = _date(snapshot, max(quantile_day, deterministic.finish_day))
    bottleneck: Bottleneck | None = None
    load: tuple[LoadWeek, ...] = ()
    if deterministic.bottleneck is not None:
        b = deterministic.bottleneck
        bottleneck = Bottleneck(
            role=b.role,
            phase=b.phase,
            delay_days=b.delay_days,
            weeks=tuple((snapshot.date_of(max(0, w)), u) for w, u in b.weeks),
        )
        if with_load:
            load = _role_load(snapshot, plan, b.role)
    return QuoteCore(
        project=project,
        plan=plan,
        replaces=replaces,
        engine=engine,
        dates={
            "earliest": _date(snapshot, deterministic.finish_day),
            "p50": _date(snapshot, engine.p50_day),
            "p80": _date(snapshot, engine.p80_day),
            "p95": _date(snapshot, engine.p95_day),
        },
        capacity_date=capacity_date,
        beyond_horizon_share=engine.beyond_horizon_share,
        bottleneck=bottleneck,
        load=load,
        evidence=evidence,
        notes=notes,
    )


def _evaluate(
    snapshot: Snapshot,
    core: QuoteCore,
    lines: list[ResolvedLine],
    wanted_date: datetime.date | None,
    level: str,
    with_options: bool,
) -> Evaluation:
    """The answer for one wanted date: the verdict, options when late, stock on that date."""
    today = snapshot.today
    horizon = snapshot.instance.calendar.horizon_days
    notes = list(core.notes)
    found_options: tuple[QuoteOption, ...] = ()
    by_day = None
    if wanted_date is not None and 0 <= (wanted_date - today).days < horizon:
        by_day = (wanted_date - today).days
    capacity_date = core.capacity_date
    if core.project is not None:
        late = capacity_date is None or (wanted_date is not None and wanted_date < capacity_date)
        if with_options and late and by_day is not None:
            found_options = _options(snapshot, core, by_day)
    stock = tuple(_stock_line(snapshot, r, wanted_date) for r in lines if r.product is not None)
    promise_date = capacity_date
    for line in stock:
        if line.earliest_date is None:
            promise_date = None
            notes.append(f"{line.sku}: not enough stock inside the planning horizon")
        elif promise_date is not None:
            promise_date = max(promise_date, line.earliest_date)
    can_promise = None
    if wanted_date is not None:
        can_promise = promise_date is not None and wanted_date >= promise_date
    answer = QuoteAnswer(
        ledger_version=snapshot.ledger_version,
        today=today,
        confidence=level,
        lines=tuple(r.line for r in lines),
        wanted_date=wanted_date,
        can_promise=can_promise,
        promise_date=promise_date,
        earliest_date=core.dates["earliest"],
        p50_date=core.dates["p50"],
        p80_date=core.dates["p80"],
        p95_date=core.dates["p95"],
        beyond_horizon_share=core.beyond_horizon_share,
        bottleneck=core.bottleneck,
        load=core.load,
        options=found_options,
        stock=stock,
        evidence=core.evidence,
        samples=QUOTE_SAMPLES if core.engine else 0,
        seed=core.engine.seed if core.engine else snapshot.ledger_version,
        sampler_gap_days=core.engine.sampler_gap_days if core.engine else None,
        notes=tuple(notes),
    )
    return Evaluation(answer, core.project, core.plan, core.replaces, core.engine)


def _unique_offerings(lines: list[ResolvedLine]) -> list[ResolvedLine]:
    seen: set[int] = set()
    unique = []
    for r in lines:
        if r.offering is not None and r.offering.pk not in seen:
            seen.add(r.offering.pk)
            unique.append(r)
    return unique


def _role_load(snapshot: Snapshot, plan: Plan, role: str) -> tuple[LoadWeek, ...]:
    """Booked vs available hours of a role's people, week by week from this week."""
    ctx = plan_context(plan)
    if role not in ctx.role_index:
        return ()
    people = ctx.pools[ctx.role_index[role]].people
    if len(people) == 0:
        return ()
    first = -snapshot.today.weekday()
    weeks = []
    for k in range(LOAD_WEEKS):
        a, b = max(0, first + 7 * k), min(ctx.horizon, first + 7 * (k + 1))
        if a >= b:
            break
        available = float(plan.capacity[people, a:b].sum())
        booked = available - float(plan.free[people, a:b].sum())
        weeks.append(
            LoadWeek(
                week_start=snapshot.date_of(first + 7 * k),
                booked_hours=round(booked, 2),
                available_hours=round(available, 2),
                utilisation=round(booked / available, 4) if available > 0 else 1.0,
            )
        )
    return tuple(weeks)


def _options(snapshot: Snapshot, core: QuoteCore, by_day: int) -> tuple[QuoteOption, ...]:
    plan = core.plan
    assert core.project is not None and core.engine is not None
    answer = engine_options(
        plan,
        core.project,
        by_day,
        include_reshuffle=len(plan.instance.projects) <= RESHUFFLE_MAX_PROJECTS,
        baseline=core.engine.deterministic,
    )
    names = {p.id: p.name or p.id for p in plan.instance.projects}
    found = []
    for option in answer.options:
        found.append(
            QuoteOption(
                kind=option.kind.value,
                feasible=option.feasible,
                finish_date=_date(snapshot, option.finish_day),
                detail=_dated(snapshot, option.detail),
                quantity=option.quantity,
                overtime_hours=tuple(option.overtime_hours),
                hire_role=option.hire_role,
                hire_date=None if option.hire_day is None else snapshot.date_of(option.hire_day),
                moves=tuple(
                    MovedProject(
                        project=m.project_id,
                        name=names.get(m.project_id, m.project_id),
                        old_date=snapshot.date_of(max(0, m.old_finish_day - 1)),
                        new_date=snapshot.date_of(max(0, m.new_finish_day - 1)),
                    )
                    for m in option.moves
                ),
            )
        )
    return tuple(found)


def _dated(snapshot: Snapshot, text: str) -> str:
    """The engine speaks in day indices; people read dates."""
    return re.sub(
        r"\bday (\d+)\b",
        lambda m: f"{snapshot.date_of(int(m.group(1))):%a %d %b %Y}",
        text,
    )


def _stock_line(
    snapshot: Snapshot, resolved: ResolvedLine, wanted_date: datetime.date | None
) -> StockLine:
    product = resolved.product
    assert product is not None
    atp = product_atp(
        product=product, today=snapshot.today, horizon=snapshot.instance.calendar.horizon_days
    )
    quantity = resolved.line.quantity
    day = atp.earliest_day(quantity)
    available = None
    if wanted_date is not None:
        available = atp.available_on((wanted_date - snapshot.today).days)
    return StockLine(
        product_id=product.pk,
        sku=product.sku,
        name=product.name,
        quantity=quantity,
        available_on_wanted_date=available,
        earliest_date=None if day is None else snapshot.date_of(day),
    )


def product_atp(
    *, product: Product, today: datetime.date, horizon: int, without_deal: Deal | None = None
) -> Any:
    """Cumulative ATP of a product: on hand + incoming − promised reservations, by day.

    ``without_deal`` leaves that deal's own reservations out (re-dating its promise asks
    whether its units can be there on the new date).
    """
    supply, held = IncomingSupply, StockReservation
    incoming = [
        ((when - today).days, quantity)
        for when, quantity in sql.fetch_all(
            f"SELECT {sql.column(supply, 'date')}, {sql.column(supply, 'quantity')} "  # noqa: S608
            f"FROM {sql.table(supply)} WHERE {sql.column(supply, 'product')} = %s",
            [product.pk],
        )
    ]
    # A reservation is due on its promise's date, else on its deal's wanted date, else today.
    query = (
        f"SELECT r.{sql.column(held, 'quantity')}, p.{sql.column(Promise, 'promised_date')}, "  # noqa: S608
        f"d.{sql.column(Deal, 'wanted_date')} FROM {sql.table(held)} r "
        f"LEFT JOIN {sql.table(Promise)} p ON p.{sql.column(Promise, 'id')} = "
        f"r.{sql.column(held, 'promise')} "
        f"LEFT JOIN {sql.table(Deal)} d ON d.{sql.column(Deal, 'id')} = r.{sql.column(held, 'deal')} "
        f"WHERE r.{sql.column(held, 'product')} = %s"
    )
    params: list[Any] = [product.pk]
    if without_deal is not None:
        query += (
            f" AND (r.{sql.column(held, 'deal')} IS NULL OR r.{sql.column(held, 'deal')} <> %s)"
        )
        params.append(without_deal.pk)
    reserved = [
        (((promised or wanted or today) - today).days, quantity)
        for quantity, promised, wanted in sql.fetch_all(query, params)
    ]
    return available_to_promise(product.stock_on_hand, incoming, reserved, horizon)


def _evidence_of(snapshot: Snapshot, offering: Offering | None) -> OfferingEvidence:
    """``offering_evidence``, read once per snapshot lineage (commits do not change history)."""
    return memoised(
        snapshot.memo,
        ("offering-evidence", offering.pk if offering else None),
        partial(offering_evidence, offering=offering),
    )


def offering_evidence(*, offering: Offering | None) -> OfferingEvidence:
    """How past projects of an offering went: on-time share, median and P80 days to deliver."""
    assert offering is not None
    rows = DeliveryProject.objects.filter(
        sop_version__offering=offering,
        status=DeliveryProject.Status.DELIVERED,
        delivered_date__isnull=False,
    ).values_list("release_date", "delivered_date", "promised_date")
    durations = []
    on_time = []
    for release, delivered, promised in rows:
        if delivered is None:
            continue
        durations.append((delivered - release).days)
        if promised is not None:
            on_time.append(delivered <= promised)
    durations.sort()
    p80 = None
    if durations:
        p80 = float(durations[max(0, math.ceil(0.8 * len(durations)) - 1)])
    return OfferingEvidence(
        offering_id=offering.pk,
        offering=offering.name,
        delivered=len(durations),
        on_time_share=round(sum(on_time) / len(on_time), 4) if on_time else None,
        median_days=float(median(durations)) if durations else None,
        p80_days=p80,
    )


def person_day_overcommitted() -> list[tuple[int, datetime.date, float, float]]:
    """Person-days whose reserved hours exceed the hours the person has (should be empty)."""
    from django.db.models import Sum

    from promisekeeper.sales.models import CapacityReservation, PersonDayLoad

    capacity = {
        (p, d): float(c)
        for p, d, c in PersonDayLoad.objects.values_list("person_id", "day", "capacity_hours")
    }
    over = []
    totals = CapacityReservation.objects.values("person_id", "day").annotate(total=Sum("hours"))
    for row in totals:
        key = (row["person_id"], row["day"])
        cap = capacity.get(key, 0.0)
        if float(row["total"]) > cap + 0.001:
            over.append((key[0], key[1], float(row["total"]), cap))
    return over


def capacity_hours_of(*, snapshot: Snapshot, person_pk: int, day: datetime.date) -> float:
    """Delivery hours a person has on a day, as the snapshot's capacity grid says."""
    rows = {pk: k for k, pk in enumerate(snapshot.people[p.id] for p in snapshot.instance.people)}
    d = (day - snapshot.today).days
    if person_pk not in rows or not 0 <= d < snapshot.instance.calendar.horizon_days:
        return 0.0
    return float(np.asarray(snapshot.firm_plan.capacity)[rows[person_pk], d])
