"""The quote: the engine's answer for a set of lines on the current snapshot, and the commit's
cheap re-check of it under the lock."""

from __future__ import annotations

import datetime
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

from django.utils import timezone

from promisekeeper.delivery.models import Project as DeliveryProject
from promisekeeper.engine.confidence import (
    ConfidenceAnswer,
    ConfidenceLevel,
    confidence_reanchored,
)
from promisekeeper.engine.edits import plan_without
from promisekeeper.engine.model import Project, ProjectState
from promisekeeper.engine.plan import Plan
from promisekeeper.engine.portfolio import portfolio_confidence
from promisekeeper.engine.promise import (
    earliest_finish,
    placement_fits,
)
from promisekeeper.engine.verdict import promise_verdict
from promisekeeper.organisation.models import QuoteConfidence
from promisekeeper.organisation.selectors import ledger_version_get, organisation_settings_get
from promisekeeper.promising.answer import (
    Bottleneck,
    LoadWeek,
    OfferingEvidence,
    PhaseWait,
    QuoteAnswer,
    QuoteOption,
    finish_date,
)
from promisekeeper.promising.cache import (
    answer_cached,
    portfolio_snapshot,
    stats_count,
)
from promisekeeper.promising.evidence import evidence_of, unique_offerings
from promisekeeper.promising.holds import holds_expire
from promisekeeper.promising.lines import (
    QuoteLine,
    ResolvedLine,
    check_date,
    planning_horizon_days,
    resolve_lines,
)
from promisekeeper.promising.load import role_load
from promisekeeper.promising.options import quote_options
from promisekeeper.promising.permissions import User, may_quote
from promisekeeper.promising.snapshot import Snapshot
from promisekeeper.promising.sql import ledger_version_and_holds_due
from promisekeeper.promising.stock import stock_line
from promisekeeper.promising.to_engine import (
    deal_engine_id,
    lines_to_engine,
    memoised,
    project_engine_id,
)
from promisekeeper.sales.models import (
    Customer,
    Deal,
)


def quote_check(
    *,
    user: User,
    customer: Customer | None,
    deal: Deal | None,
    lines: list[QuoteLine],
    wanted_date: datetime.date | None,
) -> QuoteAnswer:
    """Can we promise these lines by the wanted date? Reads only (besides lazily expiring holds)."""
    may_quote(user).require()
    resolved, answer_on = lines_on_snapshot(lines)
    snapshot = answer_on()
    check_date(wanted_date, "wanted_date", horizon_days=horizon_days_of(snapshot))
    return quote_compute(
        snapshot=snapshot, deal=deal, lines=resolved, wanted_date=wanted_date
    ).answer


def lines_on_snapshot(lines: Sequence[Any]) -> tuple[list[ResolvedLine], Callable[[], Snapshot]]:
    """Resolve ``lines`` on the current snapshot (one query reads the ledger version and
    whether a hold is due); the returned function gives the snapshot to answer on.

    Holds that are due are released first, so the snapshot is reached by replaying their
    expiry onto the one this process has, never by a rebuild of the stale one.
    """
    now = timezone.now()
    version, holds_due = ledger_version_and_holds_due(now=now)
    if holds_due and holds_expire(now=now):
        version = ledger_version_get()
    snapshot = portfolio_snapshot(ledger_version=version)
    resolved = resolve_lines(lines, snapshot.memo)
    return resolved, lambda: snapshot


QUOTE_SAMPLES = 1000


def deal_project_pk(deal_pk: int) -> int | None:
    """The pk of the deal's delivery project (its held or promised work), if it has one."""
    return DeliveryProject.objects.filter(deal_id=deal_pk).values_list("pk", flat=True).first()


def quote_confidence_get() -> str:
    """The organisation's quote confidence (P80 until configured)."""
    org = organisation_settings_get()
    return org.quote_confidence if org else QuoteConfidence.P80


def horizon_days_of(snapshot: Snapshot) -> int:
    """The planning horizon once per snapshot lineage (settings changes bump the ledger)."""
    return memoised(snapshot.memo, ("horizon-days",), planning_horizon_days)


def confidence_level(snapshot: Snapshot) -> str:
    """``quote_confidence_get`` once per snapshot lineage (settings changes bump the ledger)."""
    return memoised(snapshot.memo, ("quote-confidence",), quote_confidence_get)


@dataclass(frozen=True)
class Evaluation:
    """The answer plus the engine objects a commit needs to reserve exactly what was checked."""

    answer: QuoteAnswer
    project: Project | None
    plan: Plan
    replaces: str | None
    engine: ConfidenceAnswer | None


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
    beyond_horizon_share: float
    bottleneck: Bottleneck | None
    load: tuple[LoadWeek, ...]
    evidence: tuple[OfferingEvidence, ...]
    notes: tuple[str, ...]


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
    level = confidence_level(snapshot)
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
        core = answer_cached(
            snapshot,
            [core_key] if with_options else [core_key, (*core_key[:-1], True)],
            partial(_core_compute, snapshot, deal, lines, level, None, with_load=with_options),
        )
        return _evaluate(snapshot, core, lines, wanted_date, level, with_options)

    return answer_cached(snapshot, keys, answer)


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
    level = confidence_level(snapshot)
    replaces = own_engine_id(snapshot, deal.pk, project_pk)
    project, before = quoted.project, quoted.engine

    def in_full() -> Evaluation:
        return quote_compute(
            snapshot=snapshot, deal=deal, lines=lines, wanted_date=wanted_date, with_options=False
        )

    if snapshot.ledger_version == quoted.answer.ledger_version:
        stats_count("rechecks_kept")
        return in_full()  # the quoted answer itself, from the answer cache
    if (
        project is None
        or before is None
        or replaces != quoted.replaces
        or snapshot.today != quoted.answer.today
        or level != quoted.answer.confidence
    ):
        stats_count("rechecks_full")
        return in_full()
    plan = plan_without(snapshot.firm_plan, replaces) if replaces else snapshot.firm_plan
    engine: ConfidenceAnswer | None = before
    if placement_fits(plan, before.deterministic.allocations):
        stats_count("rechecks_kept")
    else:
        stats_count("rechecks_replaced")
        engine = confidence_reanchored(
            before,
            earliest_finish(plan, project),
            project=project,
            horizon=snapshot.instance.calendar.horizon_days,
        )
    if engine is None:
        stats_count("rechecks_full")
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
    evidence = tuple(evidence_of(snapshot, r.offering) for r in unique_offerings(lines))
    if project is None:  # products only: no work to place
        return QuoteCore(
            project=None,
            plan=plan,
            replaces=replaces,
            engine=None,
            dates=dict.fromkeys(("earliest", "p50", "p80", "p95")),
            beyond_horizon_share=0.0,
            bottleneck=None,
            load=(),
            evidence=evidence,
            notes=(),
        )
    # The firm work's own effort uncertainty comes first: promises already made overrun too
    # (portfolio_confidence at M, 1,000 samples: 87 ms median, 130 ms p95; plain: 6 / 9 ms).
    engine = portfolio_confidence(
        plan, project, samples=QUOTE_SAMPLES, seed=snapshot.ledger_version
    )
    stats_count("engine_runs")
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
    fits = promise_verdict(engine, ConfidenceLevel(level)).work_fits_horizon
    notes = (
        () if fits else ("the work does not fit inside the planning horizon at this confidence",)
    )
    bottleneck: Bottleneck | None = None
    load: tuple[LoadWeek, ...] = ()
    if deterministic.bottleneck is not None:
        b = deterministic.bottleneck
        bottleneck = Bottleneck(
            role=b.role,
            phase=b.phase,
            delay_days=b.delay_days,
            weeks=tuple((snapshot.date_of(max(0, w)), u) for w, u in b.weeks),
            name=b.name or b.phase,
            waits=tuple(PhaseWait(w.phase, w.name, w.role, w.days) for w in b.waits),
        )
        if with_load:
            load = role_load(snapshot, plan, b.role)
    return QuoteCore(
        project=project,
        plan=plan,
        replaces=replaces,
        engine=engine,
        dates={
            "earliest": finish_date(snapshot, deterministic.finish_day),
            "p50": finish_date(snapshot, engine.p50_day),
            "p80": finish_date(snapshot, engine.p80_day),
            "p95": finish_date(snapshot, engine.p95_day),
        },
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
    stock = tuple(stock_line(snapshot, r, wanted_date) for r in lines if r.product is not None)
    # The engine decides: the promise date at the confidence level, and whether it is met.
    verdict = promise_verdict(
        core.engine,
        ConfidenceLevel(level),
        stock_days=[
            None if s.earliest_date is None else (s.earliest_date - today).days for s in stock
        ],
        requested_day=None if wanted_date is None else (wanted_date - today).days,
    )
    if with_options and verdict.work_late and by_day is not None:
        found_options = quote_options(snapshot, core, by_day)
    notes.extend(
        f"{stock[k].sku}: not enough stock inside the planning horizon" for k in verdict.short_stock
    )
    promise_date = None if verdict.promise_day is None else snapshot.date_of(verdict.promise_day)
    can_promise = verdict.requested_day_met
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
