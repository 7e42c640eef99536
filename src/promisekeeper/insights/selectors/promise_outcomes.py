"""How delivered promises turned out: kept against the date in force at delivery and against
the first date promised, how far they slipped, and whether dates made at a confidence level
were kept about as often as that level says (date calibration)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.db.models import OuterRef, Subquery

from promisekeeper.delivery.models import Project
from promisekeeper.insights import kpis
from promisekeeper.sales.models import Promise
from promisekeeper.sales.selectors import promise_original_date


@dataclass(frozen=True)
class PromiseOutcome:
    """A delivered project and the promise it was delivered against.

    ``confidence`` is the level the date in force at delivery was made at (None: promised
    beyond capacity, or no promise recorded); ``original`` the first date promised;
    ``forecast`` that promise's P50, P80 and P95 dates (a level missing: not forecast).
    """

    project_pk: int
    name: str
    delivered: datetime.date
    current: datetime.date
    original: datetime.date
    confidence: str | None
    beyond_capacity: bool
    forecast: dict[str, datetime.date] = field(default_factory=dict)

    @property
    def slip_days(self) -> int:
        return (self.delivered - self.current).days

    @property
    def original_slip_days(self) -> int:
        return (self.delivered - self.original).days


def promise_outcomes(*, since: datetime.date, until: datetime.date) -> list[PromiseOutcome]:
    """Projects delivered from ``since`` to ``until`` (both included) that had a promised date,
    oldest delivery first."""
    latest = Promise.objects.filter(deal=OuterRef("deal")).order_by("-created_at", "-pk")
    rows = (
        Project.objects.filter(
            status=Project.Status.DELIVERED,
            delivered_date__gte=since,
            delivered_date__lte=until,
            promised_date__isnull=False,
        )
        .annotate(
            original=promise_original_date(),
            confidence=Subquery(latest.values("confidence")[:1]),
            beyond=Subquery(latest.values("beyond_capacity")[:1]),
            p50=Subquery(latest.values("p50_date")[:1]),
            p80=Subquery(latest.values("p80_date")[:1]),
            p95=Subquery(latest.values("p95_date")[:1]),
        )
        .order_by("delivered_date", "pk")
        .values_list(
            "pk",
            "name",
            "delivered_date",
            "promised_date",
            "original",
            "confidence",
            "beyond",
            "p50",
            "p80",
            "p95",
        )
    )
    outcomes = []
    for pk, name, delivered, promised, original, confidence, beyond, *quantiles in rows:
        assert delivered is not None and promised is not None  # both filtered on above
        outcomes.append(
            PromiseOutcome(
                project_pk=pk,
                name=name,
                delivered=delivered,
                current=promised,
                # A project without a promise row (promised before they were recorded) has
                # only its own date.
                original=original or promised,
                confidence=confidence,
                beyond_capacity=bool(beyond),
                forecast={
                    level: day
                    for level, day in zip(kpis.STATED_SHARE, quantiles, strict=True)
                    if day is not None
                },
            )
        )
    return outcomes


@dataclass(frozen=True)
class KeptSummary:
    """Promises kept against the date in force at delivery and against the first date."""

    deliveries: int
    kept_current: int
    kept_original: int
    beyond_capacity: int

    @property
    def current_rate(self) -> float | None:
        return kpis.ratio(self.kept_current, self.deliveries)

    @property
    def original_rate(self) -> float | None:
        return kpis.ratio(self.kept_original, self.deliveries)


def _with_confidence(outcomes: list[PromiseOutcome]) -> list[PromiseOutcome]:
    # A promise beyond capacity had no confidence behind it: counted apart, as on the dashboard.
    return [o for o in outcomes if not o.beyond_capacity]


def kept_summary(outcomes: list[PromiseOutcome]) -> KeptSummary:
    """How many deliveries kept the date in force at delivery, and the first date promised."""
    rows = _with_confidence(outcomes)
    return KeptSummary(
        deliveries=len(rows),
        kept_current=sum(1 for o in rows if o.slip_days <= 0),
        kept_original=sum(1 for o in rows if o.original_slip_days <= 0),
        beyond_capacity=len(outcomes) - len(rows),
    )


@dataclass(frozen=True)
class SlipBucket:
    label: str
    current: int
    original: int


def slip_buckets(outcomes: list[PromiseOutcome]) -> list[SlipBucket]:
    """Deliveries per slip bucket, against the date in force at delivery and the first date."""
    rows = _with_confidence(outcomes)
    current = kpis.slip_distribution(o.slip_days for o in rows)
    original = kpis.slip_distribution(o.original_slip_days for o in rows)
    return [
        SlipBucket(label, now, first)
        for (label, now), (_, first) in zip(current, original, strict=True)
    ]


def date_calibration_bins(outcomes: list[PromiseOutcome]) -> list[kpis.CalibrationBin]:
    """Per confidence level, the delivered promises made at it and how many were kept."""
    return kpis.date_calibration(
        kpis.KeptPromise(o.confidence, o.current, o.delivered)
        for o in outcomes
        if o.confidence is not None
    )


def forecast_calibration_bins(outcomes: list[PromiseOutcome]) -> list[kpis.CalibrationBin]:
    """Per level, the delivered promises whose forecast had a date at it (each promise stores
    its P50, P80 and P95 dates) and how many were delivered by that date: every promise
    counts at every level, whatever level it was made at."""
    return kpis.date_calibration(
        kpis.KeptPromise(level, day, o.delivered)
        for o in outcomes
        for level, day in o.forecast.items()
    )
