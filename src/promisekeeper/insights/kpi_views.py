"""The KPI page for leadership, sales and operations: how honest our dates and estimates
were, how busy delivery was, and who kept promises that were at risk (thin over selectors)."""

from __future__ import annotations

import datetime

from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone

from promisekeeper.insights import charts
from promisekeeper.insights.selectors.checkins_held import checkins_held
from promisekeeper.insights.selectors.effort_calibration import effort_calibration_rows
from promisekeeper.insights.selectors.logged_utilisation import logged_utilisation
from promisekeeper.insights.selectors.promise_outcomes import (
    date_calibration_bins,
    forecast_calibration_bins,
    kept_summary,
    promise_outcomes,
    slip_buckets,
)
from promisekeeper.insights.selectors.recognition import rescued_promises
from promisekeeper.organisation.http import HtmxHttpRequest
from promisekeeper.organisation.permissions import Area, read_required

DELIVERY_WEEKS = 26  # deliveries, estimates, check-ins and recognition: the last half year
UTILISATION_WEEKS = 4  # timesheets: the last four weeks, today (still being logged) left out


@read_required(Area.PLAN)
def kpis(request: HtmxHttpRequest) -> HttpResponse:
    today = timezone.localdate()
    since = today - datetime.timedelta(weeks=DELIVERY_WEEKS)
    yesterday = today - datetime.timedelta(days=1)
    outcomes = promise_outcomes(since=since, until=today)
    bins = date_calibration_bins(outcomes)
    forecast_bins = forecast_calibration_bins(outcomes)
    slips = slip_buckets(outcomes)
    context = {
        "since": since,
        "today": today,
        "delivery_weeks": DELIVERY_WEEKS,
        "calibration": bins,
        "forecast_calibration": forecast_bins,
        "calibration_figure": charts.reliability(bins, forecast_bins),
        "without_confidence": sum(1 for o in outcomes if o.confidence is None),
        "kept": kept_summary(outcomes),
        "slips": slips,
        "slip_figure": charts.slip_histogram(slips),
        "utilisation": logged_utilisation(
            start=today - datetime.timedelta(weeks=UTILISATION_WEEKS), end=yesterday
        ),
        "effort": effort_calibration_rows(since=since, until=today),
        "checkins": checkins_held(start=since, end=yesterday),
        "rescued": rescued_promises(since=since, until=today),
    }
    return render(request, "insights/kpis.html", context)
