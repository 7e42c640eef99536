"""The forecast places a promised project's remaining work again: overruns move it later,
never earlier; the worker's estimate of the hours left and a phase marked done are used."""

from __future__ import annotations

import pytest

from promisekeeper.delivery.models import ProjectPhase
from tests.insights.forecast_world import (
    build_set,
    forecast_of,
    hours,
    promised_site,
)
from tests.sales.conftest import nth_working_day

pytestmark = pytest.mark.django_db


def test_a_promised_project_is_forecast_to_finish_when_its_work_left_is_done(sales_user):
    _, site = promised_site(sales_user)
    forecast = forecast_of(site)
    assert forecast.finish == nth_working_day(5)
    assert (forecast.phase, forecast.role, forecast.wait_days) == ("Build", "developer", 0)
    assert forecast.promised == nth_working_day(30)


def test_the_overrun_of_the_issue_moves_the_forecast_later_never_earlier(sales_user):
    # Issue 17: Design, 148 h estimated and half done, then 100 h actual logged, moved the
    # finish from 16 Feb to 10 Feb. 100 h bought half of it, so the other half takes about
    # 100 h more, not the 74 h the estimate left: the forecast moves later.
    _, site = promised_site(sales_user, by_working_day=60)
    build_set(site, effort_estimated_hours=hours(148), progress=hours(0.5))
    half_done = forecast_of(site).finish
    assert half_done == nth_working_day(10)  # 74 h at 8 h a day: ten working days
    build_set(site, effort_actual_hours=hours(100))
    assert forecast_of(site).finish == nth_working_day(13)  # 100 h: 12.5 working days


def test_every_hour_past_the_progress_keeps_or_delays_the_forecast(sales_user):
    _, site = promised_site(sales_user, by_working_day=80)
    build_set(site, effort_estimated_hours=hours(148), progress=hours(0.5))
    half_done = forecast_of(site).finish
    finishes = []
    for actual in (74, 100, 148, 160, 200, 260):  # 74 h is what half of the estimate costs
        build_set(site, effort_actual_hours=hours(actual))
        finishes.append(forecast_of(site).finish)
    assert finishes == sorted(finishes)
    assert finishes[0] == half_done
    assert finishes[-1] > finishes[1] > half_done


def test_the_workers_estimate_of_the_hours_left_replaces_estimate_times_progress(sales_user):
    _, site = promised_site(sales_user)
    build_set(site, remaining_hours=hours(80), effort_actual_hours=hours(20))
    assert forecast_of(site).finish == nth_working_day(10)
    build_set(site, remaining_hours=hours(8))
    assert forecast_of(site).finish == nth_working_day(1)


def test_a_phase_marked_done_leaves_no_work(sales_user):
    _, site = promised_site(sales_user)
    build_set(site, state=ProjectPhase.State.DONE, remaining_hours=hours(30))
    forecast = forecast_of(site)
    assert forecast.phase == "" or forecast.wait_days == 0
    assert forecast.finish is not None and forecast.finish <= nth_working_day(1)
