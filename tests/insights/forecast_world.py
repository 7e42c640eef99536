"""A promised project to forecast: Ana (the only developer, 8 hours a weekday) has "Site"
promised and reserved, its one phase "Build" 40 hours; a test changes the phase's estimate,
progress, actual hours or state the way the people doing the work would."""

from __future__ import annotations

import datetime
from decimal import Decimal

from promisekeeper.delivery.models import Project, ProjectPhase
from promisekeeper.promising.cache import plan_cache_clear, portfolio_snapshot
from promisekeeper.promising.commit import promise_commit
from promisekeeper.promising.forecast import Forecast, project_forecasts
from promisekeeper.promising.idempotency import commit_fingerprint
from promisekeeper.promising.lines import QuoteLine
from tests.sales.conftest import Shop, deal_for, nth_working_day, shop_create


def promised_site(owner: object, *, by_working_day: int = 30) -> tuple[Shop, Project]:
    """The shop with "Site" promised by its ``by_working_day``-th working day, owned by
    ``owner``, and in delivery."""
    shop = shop_create()
    deal = deal_for(shop, owner, name="Site")
    lines = [QuoteLine(quantity=1, offering_id=shop.offering.pk)]
    by = nth_working_day(by_working_day)
    result = promise_commit(
        user=owner,
        deal=deal,
        lines=lines,
        promised_date=by,
        idempotency_key=f"site-{deal.pk}",
        request_fingerprint=commit_fingerprint(deal_id=deal.pk, lines=lines, promised_date=by),
    )
    assert result.status == "committed"
    project = Project.objects.get(deal=deal)
    Project.objects.filter(pk=project.pk).update(status=Project.Status.IN_DELIVERY)
    return shop, project


def build_phase(project: Project) -> ProjectPhase:
    return ProjectPhase.objects.get(project=project, key="build")


def build_set(project: Project, **values: object) -> None:
    """Change the Build phase as a report or a timesheet would (the ledger triggers see it)."""
    ProjectPhase.objects.filter(project=project, key="build").update(**values)
    plan_cache_clear()


def forecast_of(project: Project) -> Forecast:
    return project_forecasts(snapshot=portfolio_snapshot())[project.pk]


def hours(value: float) -> Decimal:
    return Decimal(str(value))


def working_days_from_today(day: datetime.date) -> int:
    return sum(
        1
        for k in range((day - nth_working_day(1)).days + 1)
        if (nth_working_day(1) + datetime.timedelta(days=k)).weekday() < 5
    )
