"""Reads for the shared dashboard: history from the database, the plan from the sales snapshot.

Plan data arrives only through ``promisekeeper.sales.snapshot`` (the one engine adapter); this
module turns it into plain rows and figures keyed by database primary keys and dates.
"""

from __future__ import annotations

import datetime
import threading
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import F, OuterRef, Q, Subquery
from django.utils import timezone

from promisekeeper.delivery.models import Project, ProjectAssignment, ProjectPhase, ThankYouNote
from promisekeeper.insights import kpis
from promisekeeper.organisation.permissions import is_operations, is_sales
from promisekeeper.organisation.selectors import organisation_settings_get
from promisekeeper.people.models import Person, Team
from promisekeeper.promising.cache import portfolio_snapshot
from promisekeeper.promising.snapshot import Snapshot
from promisekeeper.sales.models import Deal, ExceptionRequest, Hold, Promise

HORIZON_WEEKS = 12
HISTORY_WINDOW_WEEKS = 26
FIRM_STATES = ("in_delivery", "committed", "held")
GANTT_STATES = ("in_delivery", "committed")


# --------------------------------------------------------------------------- organisation


def organisation_name_get() -> str:
    organisation = organisation_settings_get()
    return organisation.name if organisation else "Promisekeeper"


def risk_threshold_days_get() -> int:
    organisation = organisation_settings_get()
    return int(organisation.risk_slack_threshold_days) if organisation else 5


# --------------------------------------------------------------------------- to-dos


@dataclass(frozen=True)
class Todo:
    kind: str
    text: str
    url: str
    due: datetime.datetime | None = None


def todo_list_for_user(*, user: AbstractBaseUser | AnonymousUser, days: int = 3) -> list[Todo]:
    """A salesperson's holds expiring within ``days``; operations' pending exception requests."""
    todos: list[Todo] = []
    now = timezone.now()
    if is_sales(user):
        holds = Hold.objects.filter(
            active=True, expires_at__gt=now, expires_at__lte=now + datetime.timedelta(days=days)
        ).select_related("deal__customer")
        if not getattr(user, "is_superuser", False):
            holds = holds.filter(deal__owner_id=user.pk)
        for hold in holds.order_by("expires_at")[:20]:
            todos.append(
                Todo(
                    "hold",
                    f"Hold on “{hold.deal.name}” expires",
                    f"/sales/deals/{hold.deal_id}/",
                    hold.expires_at,
                )
            )
    if is_operations(user):
        requests = ExceptionRequest.objects.filter(
            status=ExceptionRequest.Status.PENDING
        ).select_related("deal", "requested_by")
        for request in requests.order_by("created_at")[:20]:
            todos.append(
                Todo(
                    "exception",
                    f"Approve or decline {request.requested_date:%d %b %Y} for “{request.deal.name}”"
                    f" (asked by {request.requested_by.get_username()})",
                    f"/sales/deals/{request.deal_id}/",
                    request.created_at,
                )
            )
    return todos


# --------------------------------------------------------------------------- history KPIs


@dataclass(frozen=True)
class DeliveredRow:
    pk: int
    name: str
    promised: datetime.date | None
    delivered: datetime.date
    sales_owner: str
    phases: tuple[kpis.PhaseEffort, ...]
    beyond_capacity: bool = False

    @property
    def delivery(self) -> kpis.Delivery:
        return kpis.Delivery(promised=self.promised, delivered=self.delivered)

    @property
    def on_time(self) -> bool:
        return self.promised is not None and self.delivered <= self.promised


def delivered_rows(*, since: datetime.date) -> list[DeliveredRow]:
    """Projects delivered on or after ``since`` with their phases' estimated and actual hours."""
    # Plain values rather than model instances: the dashboard reads hundreds of these per render.
    projects = (
        Project.objects.filter(status=Project.Status.DELIVERED, delivered_date__gte=since)
        .annotate(beyond_capacity=_latest_promise_beyond_capacity())
        .order_by("delivered_date", "pk")
        .values_list(
            "pk",
            "name",
            "promised_date",
            "delivered_date",
            "sales_owner__first_name",
            "sales_owner__last_name",
            "sales_owner__username",
            "beyond_capacity",
        )
    )
    phases: dict[int, list[kpis.PhaseEffort]] = defaultdict(list)
    for project_id, estimated, actual in ProjectPhase.objects.filter(
        project__status=Project.Status.DELIVERED, project__delivered_date__gte=since
    ).values_list("project_id", "effort_estimated_hours", "effort_actual_hours"):
        phases[project_id].append(kpis.PhaseEffort(float(estimated), float(actual)))
    rows = []
    for pk, name, promised, delivered, first, last, username, beyond in projects:
        assert delivered is not None  # filtered on delivered_date above
        rows.append(
            DeliveredRow(
                pk=pk,
                name=name,
                promised=promised,
                delivered=delivered,
                sales_owner=f"{first} {last}".strip() or (username or ""),
                phases=tuple(phases.get(pk, ())),
                beyond_capacity=bool(beyond),
            )
        )
    return rows


def _latest_promise_beyond_capacity() -> Subquery:
    """For a project row: whether its deal's latest promise was made beyond capacity (a
    re-date to a date the plan makes clears it)."""
    latest = Promise.objects.filter(deal=OuterRef("deal")).order_by("-created_at", "-pk")
    return Subquery(latest.values("beyond_capacity")[:1])


def beyond_capacity_project_pks() -> set[int]:
    """Open delivery projects (committed or in delivery) promised beyond capacity: at risk
    from the day they are promised."""
    open_projects = (
        Project.objects.filter(status__in=GANTT_STATES)
        .alias(beyond_capacity=_latest_promise_beyond_capacity())
        .filter(beyond_capacity=True)
    )
    return set(open_projects.values_list("pk", flat=True))


@dataclass(frozen=True)
class KpiTile:
    key: str
    title: str
    value: str
    formula: str
    trend: list[float | None]
    trend_labels: list[str]
    trend_caption: str
    unit: str = ""
    details: list[tuple[str, str]] = field(default_factory=list)
    alarm: bool = False

    @property
    def trend_table(self) -> list[tuple[str, float | None]]:
        return list(zip(self.trend_labels, self.trend, strict=True))


def _pct(value: float | None) -> str:
    return "no data" if value is None else f"{value * 100:.0f} %"


def _num(value: float | None, unit: str) -> str:
    return "no data" if value is None else f"{value:.1f} {unit}"


def history_since(*, today: datetime.date) -> datetime.date:
    """The earliest delivery date the history tiles look at."""
    first_week = kpis.week_start(today) - datetime.timedelta(weeks=HORIZON_WEEKS - 1)
    return first_week - datetime.timedelta(weeks=HISTORY_WINDOW_WEEKS)


def history_tiles(*, today: datetime.date, rows: list[DeliveredRow] | None = None) -> list[KpiTile]:
    """On-time rate, mean slip and forecast accuracy over trailing windows, weekly for 12 weeks.

    ``rows`` may be passed in (delivered since at least ``history_since``) to share one read.
    """
    weeks = kpis.week_starts(
        first=today - datetime.timedelta(weeks=HORIZON_WEEKS - 1), count=HORIZON_WEEKS
    )
    since = history_since(today=today)
    if rows is None:
        rows = delivered_rows(since=since)
    rows = [r for r in rows if r.delivered >= since]
    recent = [
        r for r in rows if r.delivered > today - datetime.timedelta(weeks=HISTORY_WINDOW_WEEKS)
    ]
    labels = [f"{w:%d %b}" for w in weeks]

    def series(measure: Callable[[list[DeliveredRow]], float | None]) -> list[float | None]:
        return kpis.rolling_series(
            rows,
            when=lambda r: r.delivered,
            weeks=weeks,
            window_weeks=HISTORY_WINDOW_WEEKS,
            measure=measure,
        )

    # A promise beyond capacity had no confidence behind it: it is counted apart, not as a
    # promise kept or broken at the organisation's confidence level.
    def on_time(group: list[DeliveredRow]) -> float | None:
        return kpis.on_time_rate(r.delivery for r in group if not r.beyond_capacity)

    def slip(group: list[DeliveredRow]) -> float | None:
        return kpis.mean_slip_days(r.delivery for r in group if not r.beyond_capacity)

    def accuracy(group: list[DeliveredRow]) -> float | None:
        return kpis.forecast_accuracy(p for r in group for p in r.phases)

    caption = f"each point: the {HISTORY_WINDOW_WEEKS} weeks up to that week"
    on_time_now = on_time(recent)
    return [
        KpiTile(
            "on_time",
            "Promises kept on time",
            _pct(on_time_now),
            "Delivered projects with delivered date ≤ promised date ÷ delivered projects that had a "
            f"promise, over the last {HISTORY_WINDOW_WEEKS} weeks; promises beyond capacity "
            "(agreed by operations, no confidence) are counted apart.",
            [None if v is None else v * 100 for v in series(on_time)],
            labels,
            caption,
            unit="%",
            details=[
                ("deliveries", str(sum(1 for r in recent if not r.beyond_capacity))),
                ("delivered beyond capacity", str(sum(1 for r in recent if r.beyond_capacity))),
                ("open beyond capacity", str(len(beyond_capacity_project_pks()))),
            ],
            alarm=on_time_now is not None and on_time_now < 0.8,
        ),
        KpiTile(
            "slip",
            "Mean slip of late deliveries",
            _num(slip(recent), "days"),
            "Mean of (delivered date − promised date) in calendar days, over late deliveries only, "
            f"last {HISTORY_WINDOW_WEEKS} weeks (promises beyond capacity counted apart).",
            series(slip),
            labels,
            caption,
            unit="days",
            details=[
                (
                    "late",
                    str(
                        sum(
                            1
                            for r in recent
                            if r.promised and not r.on_time and not r.beyond_capacity
                        )
                    ),
                )
            ],
        ),
        KpiTile(
            "forecast",
            "Forecast accuracy",
            _pct(accuracy(recent)),
            "1 − Σ|actual − estimated hours| ÷ Σ actual hours over the phases of projects delivered "
            f"in the last {HISTORY_WINDOW_WEEKS} weeks (100 % = every estimate exact).",
            [None if v is None else v * 100 for v in series(accuracy)],
            labels,
            caption,
            unit="%",
        ),
    ]


# --------------------------------------------------------------------------- plan facts


@dataclass(frozen=True)
class PhasePlan:
    key: str
    name: str
    role: str
    start: datetime.date
    end: datetime.date  # last working day (inclusive)
    wait_days: int


@dataclass(frozen=True)
class ProjectPlan:
    ref_kind: str  # "project" or "deal"
    pk: int
    name: str
    state: str
    status: str
    finish: datetime.date | None  # last day of work (inclusive)
    promised: datetime.date | None
    lateness_days: int | None
    win_probability: float
    phases: tuple[PhasePlan, ...]
    reason: str = ""

    @property
    def slack_days(self) -> int | None:
        return None if self.lateness_days is None else -self.lateness_days

    @property
    def phases_text(self) -> str:
        return "; ".join(f"{p.name} {p.start:%d %b}–{p.end:%d %b}" for p in self.phases)

    @property
    def url(self) -> str:
        if self.ref_kind == "project":
            return f"/delivery/projects/{self.pk}/"
        return f"/sales/deals/{self.pk}/"


@dataclass
class PlanFacts:
    """Weekly capacity and load per person for the next weeks, and every planned project."""

    today: datetime.date
    ledger_version: int
    weeks: list[datetime.date]
    person_pks: list[int]
    person_names: dict[int, str]
    person_team: dict[int, int | None]
    person_role: dict[int, str]
    roles: list[str]
    capacity: np.ndarray  # people × weeks
    firm_load: np.ndarray  # people × weeks (in delivery, committed, held)
    pipeline_load: np.ndarray  # people × weeks (tentative, unweighted)
    pipeline_weighted: np.ndarray  # people × weeks (tentative × win probability)
    firm_remaining: np.ndarray  # people: firm hours planned from today to the horizon end
    cells: dict[tuple[int, int], dict[tuple[str, int], float]]  # (person row, week) → hours
    projects: dict[tuple[str, int], ProjectPlan]
    project_people: dict[tuple[str, int], set[int]]
    pipeline_demand_weighted: float


_facts_lock = threading.Lock()
_facts_cache: list[tuple[Snapshot, PlanFacts]] = []


def plan_facts_get(*, today: datetime.date | None = None) -> PlanFacts:
    """Plan facts for the current snapshot; rebuilt only when the snapshot object changes."""
    snapshot = portfolio_snapshot(today=today)
    with _facts_lock:
        if _facts_cache and _facts_cache[0][0] is snapshot:
            return _facts_cache[0][1]
        facts = plan_facts_build(snapshot)
        _facts_cache[:] = [(snapshot, facts)]
    return facts


def _week_index(snapshot: Snapshot, days: np.ndarray) -> np.ndarray:
    return (days + snapshot.today.weekday()) // 7


def _engine_effort_hours(project: object) -> float:
    total = 0.0
    for phase in project.phases:  # type: ignore[attr-defined]
        if phase.kind == "effort":
            total += float(phase.remaining_hours)
        else:
            total += float(phase.days) * float(phase.hours_per_day) * sum(phase.crew.values())
    return total


def plan_facts_build(snapshot: Snapshot) -> PlanFacts:
    """Aggregate the snapshot's allocations into people × weeks grids and project rows."""
    today = snapshot.today
    instance = snapshot.plan.instance
    weeks = kpis.week_starts(first=today, count=HORIZON_WEEKS)
    n_weeks = len(weeks)
    person_pks = [snapshot.people[p.id] for p in instance.people]
    # Names and teams from the database; a person deleted since the snapshot was planned
    # (admin deletes do not bump the ledger) keeps a placeholder rather than breaking the page.
    people = dict(Person.objects.filter(pk__in=person_pks).values_list("pk", "name"))
    teams = dict(Person.objects.filter(pk__in=person_pks).values_list("pk", "team_id"))
    person_role: dict[int, str] = {}
    for pk, engine_person in zip(person_pks, instance.people, strict=True):
        skills = sorted(engine_person.skills.items(), key=lambda kv: (-kv[1], kv[0]))
        person_role[pk] = skills[0][0] if skills else "(no role)"

    horizon_days = min(instance.calendar.horizon_days, n_weeks * 7)
    day_week = _week_index(snapshot, np.arange(instance.calendar.horizon_days))
    n_people = len(person_pks)
    capacity = np.zeros((n_people, n_weeks))
    if n_people:
        for w in range(n_weeks):
            mask = day_week[:horizon_days] == w
            capacity[:, w] = snapshot.plan.capacity[:, :horizon_days][:, mask].sum(axis=1)

    states = [p.state.label for p in instance.projects]
    refs = [snapshot.projects[p.id] for p in instance.projects]
    alloc = snapshot.plan.allocations
    a_person = alloc.person.astype(np.int64)
    a_day = alloc.day.astype(np.int64)
    a_project = alloc.project.astype(np.int64)
    a_hours = alloc.hours.astype(np.float64)
    a_week = _week_index(snapshot, a_day)
    tentative = np.array([s == "tentative" for s in states], dtype=bool)
    probability = np.array([float(p.win_probability) for p in instance.projects])
    is_tentative = tentative[a_project] if len(a_project) else np.zeros(0, dtype=bool)
    in_window = a_week < n_weeks

    firm_load = np.zeros((n_people, n_weeks))
    pipeline_load = np.zeros((n_people, n_weeks))
    pipeline_weighted = np.zeros((n_people, n_weeks))
    firm_sel = ~is_tentative & in_window
    np.add.at(firm_load, (a_person[firm_sel], a_week[firm_sel]), a_hours[firm_sel])
    pipe_sel = is_tentative & in_window
    np.add.at(pipeline_load, (a_person[pipe_sel], a_week[pipe_sel]), a_hours[pipe_sel])
    np.add.at(
        pipeline_weighted,
        (a_person[pipe_sel], a_week[pipe_sel]),
        a_hours[pipe_sel] * probability[a_project[pipe_sel]],
    )
    firm_remaining = np.zeros(n_people)
    np.add.at(firm_remaining, a_person[~is_tentative], a_hours[~is_tentative])

    cells: dict[tuple[int, int], dict[tuple[str, int], float]] = defaultdict(dict)
    project_people: dict[tuple[str, int], set[int]] = defaultdict(set)
    sel = np.nonzero(in_window)[0]
    for i in sel.tolist():
        ref = refs[int(a_project[i])]
        key = (ref.kind, ref.pk)
        bucket = cells[(int(a_person[i]), int(a_week[i]))]
        bucket[key] = bucket.get(key, 0.0) + float(a_hours[i])
    for person_row, project_index in set(zip(a_person.tolist(), a_project.tolist(), strict=True)):
        ref = refs[project_index]
        project_people[(ref.kind, ref.pk)].add(person_pks[person_row])

    projects: dict[tuple[str, int], ProjectPlan] = {}
    for index, engine_project in enumerate(instance.projects):
        result = snapshot.plan.projects.get(engine_project.id)
        if result is None:
            continue
        ref = refs[index]
        projects[(ref.kind, ref.pk)] = _project_plan(snapshot, engine_project, result, ref)

    demand = sum(
        _engine_effort_hours(p) * float(p.win_probability)
        for p, s in zip(instance.projects, states, strict=True)
        if s == "tentative"
    )
    return PlanFacts(
        today=today,
        ledger_version=snapshot.ledger_version,
        weeks=weeks,
        person_pks=person_pks,
        person_names={pk: people.get(pk, f"(person {pk})") for pk in person_pks},
        person_team={pk: teams.get(pk) for pk in person_pks},
        person_role=person_role,
        roles=sorted(set(person_role.values())),
        capacity=capacity,
        firm_load=firm_load,
        pipeline_load=pipeline_load,
        pipeline_weighted=pipeline_weighted,
        firm_remaining=firm_remaining,
        cells=dict(cells),
        projects=projects,
        project_people=dict(project_people),
        pipeline_demand_weighted=demand,
    )


def _project_plan(
    snapshot: Snapshot, engine_project: object, result: object, ref: object
) -> ProjectPlan:
    phases_by_id = {p.id: p for p in engine_project.phases}  # type: ignore[attr-defined]
    timings = {t.id: t for t in result.phases}  # type: ignore[attr-defined]
    release = int(engine_project.release_day)  # type: ignore[attr-defined]
    plans = []
    for timing in result.phases:  # type: ignore[attr-defined]
        phase = phases_by_id.get(timing.id)
        if phase is None:
            continue
        ready = release
        for dep in phase.predecessors:
            before = timings.get(dep.phase)
            if before is not None:
                ready = max(ready, before.end_day + dep.lag_days)
        role = (
            phase.role
            if phase.kind == "effort"
            else " + ".join(f"{count} {role}" for role, count in sorted(phase.crew.items()))
        )
        plans.append(
            PhasePlan(
                key=timing.id,
                name=phase.name or timing.id,
                role=role,
                start=snapshot.date_of(timing.start_day),
                end=snapshot.date_of(max(timing.start_day, timing.end_day - 1)),
                wait_days=max(0, timing.start_day - ready),
            )
        )
    finish_day = result.finish_day  # type: ignore[attr-defined]
    promised_day = result.promised_day  # type: ignore[attr-defined]
    return ProjectPlan(
        ref_kind=ref.kind,  # type: ignore[attr-defined]
        pk=ref.pk,  # type: ignore[attr-defined]
        name=engine_project.name or engine_project.id,  # type: ignore[attr-defined]
        state=engine_project.state.label,  # type: ignore[attr-defined]
        status=str(result.status.value),  # type: ignore[attr-defined]
        finish=None if finish_day is None else snapshot.date_of(max(0, finish_day - 1)),
        promised=None if promised_day is None else snapshot.date_of(promised_day),
        lateness_days=result.lateness_days,  # type: ignore[attr-defined]
        win_probability=float(engine_project.win_probability),  # type: ignore[attr-defined]
        phases=tuple(sorted(plans, key=lambda p: (p.start, p.end))),
        reason=str(result.reason or ""),  # type: ignore[attr-defined]
    )


# --------------------------------------------------------------------------- at risk


@dataclass(frozen=True)
class AtRiskRow:
    project: ProjectPlan
    reason: str
    customer: str


BEYOND_CAPACITY_REASON = "Promised beyond capacity, agreed by operations"


def risk_reason(project: ProjectPlan) -> str:
    """Which phase and which role make the date tight: the longest capacity wait, else the last."""
    if project.status == "unscheduled":
        return f"Cannot be scheduled within the horizon: {project.reason or 'no capacity'}"
    if not project.phases:
        return "No remaining work is planned."
    waiting = max(project.phases, key=lambda p: (p.wait_days, p.end))
    if waiting.wait_days > 0:
        return (
            f"{waiting.name} waits {waiting.wait_days} days for {waiting.role} capacity "
            f"(starts {waiting.start:%d %b})"
        )
    last = max(project.phases, key=lambda p: p.end)
    return f"{last.name} ({last.role}) runs until {last.end:%d %b}"


def plan_at_risk(project: ProjectPlan, *, threshold_days: int, beyond_capacity: set[int]) -> bool:
    """Planned late, unschedulable, with slack under the threshold, or promised beyond
    capacity (``beyond_capacity_project_pks``: at risk from the day it is promised)."""
    return (
        project.status in ("late", "unscheduled")
        or (project.slack_days is not None and project.slack_days < threshold_days)
        or (project.ref_kind == "project" and project.pk in beyond_capacity)
    )


def at_risk_list(*, facts: PlanFacts, threshold_days: int) -> list[AtRiskRow]:
    """Firm delivery projects planned late, unschedulable, with slack under the threshold, or
    promised beyond capacity."""
    beyond = beyond_capacity_project_pks()
    candidates = [
        p
        for p in facts.projects.values()
        if p.ref_kind == "project"
        and p.state in FIRM_STATES
        and plan_at_risk(p, threshold_days=threshold_days, beyond_capacity=beyond)
    ]
    customers = dict(
        Project.objects.filter(pk__in=[p.pk for p in candidates]).values_list(
            "pk", "customer__name"
        )
    )
    rows = [
        AtRiskRow(
            p,
            f"{BEYOND_CAPACITY_REASON}; {risk_reason(p)}" if p.pk in beyond else risk_reason(p),
            customers.get(p.pk, ""),
        )
        for p in candidates
    ]
    # Unschedulable first, then the latest, then the least slack.
    rows.sort(
        key=lambda r: (
            r.project.lateness_days is not None,
            -(r.project.lateness_days or 0),
            r.project.name,
        )
    )
    return rows


# --------------------------------------------------------------------------- plan KPIs


def plan_tiles(*, facts: PlanFacts) -> list[KpiTile]:
    """Utilisation, backlog per role and pipeline vs free capacity over the next 12 weeks."""
    labels = [f"{w:%d %b}" for w in facts.weeks]
    capacity_week = facts.capacity.sum(axis=0) if facts.capacity.size else np.zeros(len(labels))
    firm_week = facts.firm_load.sum(axis=0) if facts.firm_load.size else np.zeros(len(labels))
    weighted_week = (
        facts.pipeline_weighted.sum(axis=0)
        if facts.pipeline_weighted.size
        else np.zeros(len(labels))
    )
    free_week = np.maximum(capacity_week - firm_week, 0.0)
    use = kpis.utilisation(
        load_hours=float(firm_week.sum()), capacity_hours=float(capacity_week.sum())
    )
    use_trend = [
        None if v is None else v * 100
        for v in (
            kpis.utilisation(load_hours=float(load), capacity_hours=float(cap))
            for load, cap in zip(firm_week, capacity_week, strict=True)
        )
    ]

    backlog_details: list[tuple[str, str]] = []
    worst = None
    for role in facts.roles:
        rows = [i for i, pk in enumerate(facts.person_pks) if facts.person_role[pk] == role]
        weekly = float(facts.capacity[rows].sum()) / max(1, len(facts.weeks))
        value = kpis.backlog_weeks(
            remaining_hours=float(facts.firm_remaining[rows].sum()), weekly_capacity_hours=weekly
        )
        backlog_details.append((role, _num(value, "wk")))
        if value is not None and (worst is None or value > worst[1]):
            worst = (role, value)
    total_weekly = float(capacity_week.sum()) / max(1, len(facts.weeks))
    remaining = float(facts.firm_remaining.sum())
    burn = []
    for w in range(len(facts.weeks)):
        left = remaining - float(firm_week[:w].sum())
        burn.append(
            kpis.backlog_weeks(remaining_hours=max(left, 0.0), weekly_capacity_hours=total_weekly)
        )

    free_total = float(free_week.sum())
    cover = kpis.pipeline_cover(
        weighted_demand_hours=facts.pipeline_demand_weighted, free_hours=free_total
    )
    cover_trend = [
        None if v is None else v * 100
        for v in (
            kpis.pipeline_cover(weighted_demand_hours=float(d), free_hours=float(f))
            for d, f in zip(weighted_week, free_week, strict=True)
        )
    ]
    return [
        KpiTile(
            "utilisation",
            "Utilisation of delivery capacity",
            _pct(use),
            "Hours planned for work in delivery, committed and held ÷ available delivery hours "
            "(contracted hours × delivery share − time off − closures), next 12 weeks.",
            use_trend,
            labels,
            "each point: one of the next 12 weeks",
            unit="%",
            alarm=use is not None and use > 1.0,
        ),
        KpiTile(
            "backlog",
            "Backlog (weeks of capacity)",
            "no data" if worst is None else f"{worst[1]:.1f} wk ({worst[0]})",
            "Per role: hours planned for promised work (in delivery, committed, held) until the "
            "horizon ÷ that role's average weekly delivery hours over the next 12 weeks. "
            "People count in their strongest role.",
            burn,
            labels,
            "all roles, at the start of each of the next 12 weeks",
            unit="wk",
            details=backlog_details,
        ),
        KpiTile(
            "pipeline",
            "Pipeline demand vs free capacity",
            "no data"
            if cover is None
            else f"{facts.pipeline_demand_weighted:,.0f} h / {free_total:,.0f} h ({cover * 100:.0f} %)",
            "Σ (open deal's planned hours × win probability) ÷ hours left free by promised work "
            "over the next 12 weeks; above 100 % the pipeline cannot all be delivered in time.",
            cover_trend,
            labels,
            "each point: weighted pipeline planned in that week ÷ its free hours",
            unit="%",
            alarm=cover is not None and cover > 1.0,
        ),
    ]


# --------------------------------------------------------------------------- heatmap


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
    key: tuple[str, int]
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
    totals: dict[tuple[str, int], float] = defaultdict(float)
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


# --------------------------------------------------------------------------- gantt


@dataclass(frozen=True)
class GanttFilters:
    team: int | None = None
    role: str = ""
    customer: int | None = None
    salesperson: int | None = None

    @property
    def active(self) -> bool:
        return bool(self.team or self.role or self.customer or self.salesperson)


@dataclass(frozen=True)
class GanttRow:
    project: ProjectPlan
    customer: str
    salesperson: str
    at_risk: bool


def gantt_rows(*, facts: PlanFacts, filters: GanttFilters, threshold_days: int) -> list[GanttRow]:
    """Projects in delivery and committed, planned phases, filtered; earliest finish first."""
    planned = {
        key[1]: p
        for key, p in facts.projects.items()
        if key[0] == "project" and p.state in GANTT_STATES
    }
    queryset = Project.objects.filter(pk__in=planned.keys()).select_related(
        "customer", "sales_owner"
    )
    if filters.customer:
        queryset = queryset.filter(customer_id=filters.customer)
    if filters.salesperson:
        queryset = queryset.filter(sales_owner_id=filters.salesperson)
    if filters.role:
        queryset = queryset.filter(
            Q(phases__role__name=filters.role) | Q(phases__crew__icontains=filters.role)
        ).distinct()
    rows = []
    beyond = beyond_capacity_project_pks()
    for project in queryset:
        plan = planned[project.pk]
        if filters.team:
            people = facts.project_people.get(("project", project.pk), set())
            if not any(facts.person_team.get(pk) == filters.team for pk in people):
                continue
        owner = project.sales_owner
        at_risk = plan_at_risk(plan, threshold_days=threshold_days, beyond_capacity=beyond)
        rows.append(
            GanttRow(
                plan,
                project.customer.name,
                (owner.get_full_name() or owner.get_username()) if owner else "",
                at_risk,
            )
        )
    rows.sort(key=lambda r: (r.project.finish or datetime.date.max, r.project.name))
    return rows


def gantt_filter_options() -> dict[str, list[tuple[str, str]]]:
    """Choices for the timeline filters (teams, roles, customers and salespeople with work)."""
    from django.contrib.auth import get_user_model

    from promisekeeper.people.models import Role

    open_projects = Project.objects.filter(status__in=GANTT_STATES)
    customers = (
        open_projects.values_list("customer_id", "customer__name")
        .distinct()
        .order_by("customer__name")
    )
    owners = (
        get_user_model()
        .objects.filter(pk__in=open_projects.values("sales_owner_id"))
        .order_by("username")
    )
    return {
        "team": [(str(t.pk), t.name) for t in Team.objects.all()],
        "role": [(r.name, r.name) for r in Role.objects.all()],
        "customer": [(str(pk), name) for pk, name in customers],
        "salesperson": [(str(u.pk), u.get_full_name() or u.get_username()) for u in owners],
    }


# --------------------------------------------------------------------------- recognition


@dataclass(frozen=True)
class Recognition:
    project_pk: int
    project_name: str
    delivered: datetime.date
    promised: datetime.date
    team: list[str]
    sales_owner: str
    notes: list[ThankYouNote]


@dataclass(frozen=True)
class SalesCredit:
    name: str
    kept: int
    total: int


def recognition_list(*, today: datetime.date, limit: int = 8) -> list[Recognition]:
    """Projects delivered on time, newest first, crediting the people assigned to them."""
    projects = list(
        Project.objects.filter(
            status=Project.Status.DELIVERED,
            promised_date__isnull=False,
            delivered_date__lte=today,
        )
        .filter(delivered_date__lte=F("promised_date"))
        .select_related("sales_owner")
        .prefetch_related("thank_you_notes__author")
        .order_by("-delivered_date", "-pk")[:limit]
    )
    team: dict[int, list[str]] = defaultdict(list)
    for assignment in ProjectAssignment.objects.filter(project__in=projects).select_related(
        "person"
    ):
        team[assignment.project_id].append(assignment.person.name)
    return [
        Recognition(
            p.pk,
            p.name,
            p.delivered_date,  # type: ignore[arg-type]
            p.promised_date,  # type: ignore[arg-type]
            sorted(team.get(p.pk, [])),
            (p.sales_owner.get_full_name() or p.sales_owner.get_username())
            if p.sales_owner
            else "",
            list(p.thank_you_notes.all()),
        )
        for p in projects
    ]


def sales_credit_list(
    *, since: datetime.date, rows: list[DeliveredRow] | None = None
) -> list[SalesCredit]:
    """Per sales owner: promises kept (delivered on time) out of promises delivered since."""
    credit: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    if rows is None:
        rows = delivered_rows(since=since)
    for row in (r for r in rows if r.delivered >= since):
        if not row.sales_owner or row.promised is None:
            continue
        credit[row.sales_owner][1] += 1
        if row.on_time:
            credit[row.sales_owner][0] += 1
    return sorted(
        (SalesCredit(name, kept, total) for name, (kept, total) in credit.items()),
        key=lambda c: (-c.kept, c.name),
    )


def thank_you_feed(*, limit: int = 10) -> list[ThankYouNote]:
    """The newest thank-you notes with their projects and authors."""
    return list(
        ThankYouNote.objects.select_related("project", "author").order_by("-created_at", "-pk")[
            :limit
        ]
    )


# --------------------------------------------------------------------------- deals list


DEAL_SORTS = {
    "name": "name",
    "customer": "customer__name",
    "stage": "stage",
    "probability": "win_probability",
    "wanted": "wanted_date",
    "created": "created_at",
    "owner": "owner__username",
}


def deal_list(
    *,
    q: str = "",
    stage: str = "",
    owner: int | None = None,
    sort: str = "-created",
) -> list[Deal]:
    """Deals filtered by text, stage and owner, sorted by a known column (``-`` = descending)."""
    queryset = Deal.objects.select_related("customer", "owner")
    if q:
        queryset = queryset.filter(Q(name__icontains=q) | Q(customer__name__icontains=q))
    if stage:
        queryset = queryset.filter(stage=stage)
    if owner:
        queryset = queryset.filter(owner_id=owner)
    descending = sort.startswith("-")
    column = DEAL_SORTS.get(sort.lstrip("-"), "created_at")
    return list(queryset.order_by(f"-{column}" if descending else column, "pk"))


def deal_owner_options() -> list[tuple[str, str]]:
    """Users who own at least one deal, for the deals list filter."""
    from django.contrib.auth import get_user_model

    owners = get_user_model().objects.filter(deals__isnull=False).distinct().order_by("username")
    return [(str(u.pk), u.get_full_name() or u.get_username()) for u in owners]


@dataclass(frozen=True)
class WorkBlock:
    """Consecutive planned days of one person on one phase of one project or deal."""

    ref_kind: str
    pk: int
    project_name: str
    phase_name: str
    start: datetime.date
    end: datetime.date
    hours: float
    tentative: bool


def person_work_blocks(*, person_pk: int, include_tentative: bool = False) -> list[WorkBlock]:
    """A person's planned work as blocks of consecutive working days, earliest first."""
    snapshot = portfolio_snapshot()
    instance = snapshot.plan.instance
    rows = [i for i, p in enumerate(instance.people) if snapshot.people[p.id] == person_pk]
    if not rows:
        return []
    alloc = snapshot.plan.allocations
    mask = alloc.person == rows[0]
    days = alloc.day[mask].tolist()
    projects = alloc.project[mask].tolist()
    phases = alloc.phase[mask].tolist()
    hours = alloc.hours[mask].tolist()
    runs: dict[tuple[int, int], list[tuple[int, float]]] = defaultdict(list)
    for day, project, phase, h in zip(days, projects, phases, hours, strict=True):
        runs[(project, phase)].append((day, h))
    working = snapshot.instance.calendar
    blocks = []
    for (project_index, phase_index), items in runs.items():
        engine_project = instance.projects[project_index]
        tentative = engine_project.state.label == "tentative"
        if tentative and not include_tentative:
            continue
        ref = snapshot.projects[engine_project.id]
        phase = engine_project.phases[phase_index]
        items.sort()
        start, last, total = items[0][0], items[0][0], 0.0
        for day, h in items:
            gap = range(last + 1, day)
            if day != start and any(working.is_working_day(d) for d in gap):
                blocks.append((ref, engine_project, phase, start, last, total, tentative))
                start, total = day, 0.0
            last = day
            total += h
        blocks.append((ref, engine_project, phase, start, last, total, tentative))
    result = [
        WorkBlock(
            ref.kind,
            ref.pk,
            project.name or project.id,
            phase.name or phase.id,
            snapshot.date_of(start),
            snapshot.date_of(end),
            round(total, 1),
            tentative,
        )
        for ref, project, phase, start, end, total, tentative in blocks
    ]
    result.sort(key=lambda b: (b.start, b.project_name))
    return result
