"""The risk check: each promised project's forecast state (on track, at risk, late) with its
reason in words, stored per project, and an alert only when the state changes.

The forecast is ``promising.forecast``'s; the threshold and the promises made beyond
capacity are the at-risk list's (``insights.selectors.risk``), so the dashboard and the
alerts agree on what "at risk" means. An alert is an in-app notification and an e-mail to
the project's sales owner and to operations; the e-mail goes after the commit, so a check
that rolls back sends nothing.
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone

from promisekeeper.delivery.models import Project, ProjectForecast
from promisekeeper.insights.models import RiskStateChange
from promisekeeper.insights.selectors.risk import (
    BEYOND_CAPACITY_REASON,
    beyond_capacity_project_pks,
    risk_threshold_days_get,
)
from promisekeeper.organisation.permissions import OPERATIONS
from promisekeeper.promising.cache import portfolio_snapshot
from promisekeeper.promising.forecast import Forecast, project_forecasts
from promisekeeper.sales.services import notification_send

logger = logging.getLogger(__name__)

State = ProjectForecast.State


@dataclass(frozen=True)
class Verdict:
    """A forecast's state and why, in words."""

    state: State
    reason: str


@dataclass(frozen=True)
class StateChange:
    """A project whose forecast state changed at this check (``before`` None: its first)."""

    project_pk: int
    before: str | None
    after: str
    text: str


def _pace(forecast: Forecast) -> str:
    if not forecast.phase:
        return "no work is left"
    if forecast.wait_days > 0:
        return f"{forecast.phase} waits {forecast.wait_days} days for {forecast.role} capacity"
    return f"{forecast.phase} ({forecast.role}) sets the pace"


def forecast_verdict(forecast: Forecast, *, threshold_days: int, beyond_capacity: bool) -> Verdict:
    """Late when the forecast finish is past the promised date (or beyond the horizon), at
    risk when its slack is under the threshold or the promise was made beyond capacity."""
    promised = f"{forecast.promised:%d %b %Y}"
    slack = forecast.slack_days
    if forecast.finish is None or slack is None:
        return Verdict(
            State.LATE,
            f"The work left does not fit in the planning horizon; promised {promised}.",
        )
    finish = f"{forecast.finish:%d %b %Y}"
    if slack < 0:
        return Verdict(
            State.LATE,
            f"Forecast to finish {finish}, {-slack} days after the promised {promised}: "
            f"{_pace(forecast)}.",
        )
    if slack < threshold_days or beyond_capacity:
        lead = f"{BEYOND_CAPACITY_REASON}; f" if beyond_capacity else "F"
        return Verdict(
            State.AT_RISK,
            f"{lead}orecast to finish {finish}, only {slack} days before the promised "
            f"{promised} (under {threshold_days}): {_pace(forecast)}.",
        )
    return Verdict(
        State.ON_TRACK,
        f"Forecast to finish {finish}, {slack} days before the promised {promised}.",
    )


def risk_check(
    *, today: datetime.date | None = None, project_pks: Iterable[int] | None = None
) -> list[StateChange]:
    """Forecast every promised project (or those of ``project_pks``), store its state, and
    alert on each change of state (a project's first check alerts only when it is not on
    track). Returns the changes."""
    snapshot = portfolio_snapshot(today=today)
    forecasts = project_forecasts(snapshot=snapshot, project_pks=project_pks)
    threshold = risk_threshold_days_get()
    beyond = beyond_capacity_project_pks()
    changes = []
    for pk in sorted(forecasts):
        verdict = forecast_verdict(
            forecasts[pk], threshold_days=threshold, beyond_capacity=pk in beyond
        )
        change = _record(forecasts[pk], verdict)
        if change is not None:
            changes.append(change)
    return changes


def _record(forecast: Forecast, verdict: Verdict) -> StateChange | None:
    now = timezone.now()
    with transaction.atomic():
        # The project row's lock orders two checks of one project (the daily scan and a
        # re-check after a timesheet save), so a change of state is announced once.
        project = (
            Project.objects.select_for_update(of=("self",))
            .select_related("deal", "sales_owner", "deal__owner")
            .get(pk=forecast.project_pk)
        )
        row = ProjectForecast.objects.filter(project=project).first()
        before = None if row is None else row.state
        if row is None:
            row = ProjectForecast(project=project, changed_at=now)
        elif row.state != verdict.state:
            row.changed_at = now
        previous_finish = row.finish_date
        row.state = verdict.state
        row.finish_date = forecast.finish
        row.promised_date = forecast.promised
        row.reason = verdict.reason
        row.checked_at = now
        row.full_clean(exclude=["project"], validate_unique=False)
        row.save()
        if before != verdict.state:
            RiskStateChange.objects.create(
                project=project, before=before or "", after=verdict.state, changed_at=now
            )
        announce = before != verdict.state and not (
            before is None and verdict.state == State.ON_TRACK
        )
        if not announce:
            return None
        text = _alert_text(project, before, verdict, previous_finish)
        _alert(project, text, State(verdict.state))
    return StateChange(project.pk, before, verdict.state, text)


def _alert_text(
    project: Project, before: str | None, verdict: Verdict, previous_finish: datetime.date | None
) -> str:
    now_label = State(verdict.state).label.lower()
    if before is None:
        return f"{project.name} is {now_label}. {verdict.reason}"
    was = State(before).label.lower()
    moved = f" (the forecast was {previous_finish:%d %b %Y})" if previous_finish is not None else ""
    return f"{project.name} is now {now_label}, was {was}{moved}. {verdict.reason}"


def _recipients(project: Project) -> list[Any]:
    owner = project.sales_owner or (project.deal.owner if project.deal else None)
    users = list(get_user_model().objects.filter(groups__name=OPERATIONS, is_active=True))
    if owner is not None and owner.is_active and owner.pk not in {u.pk for u in users}:
        users.insert(0, owner)
    return users


def _alert(project: Project, text: str, state: State) -> None:
    users = _recipients(project)
    for user in users:
        notification_send(user, project.deal, text)
    addresses = sorted({u.email for u in users if u.email})
    if addresses:
        subject = f"Promise {state.label.lower()}: {project.name}"
        transaction.on_commit(lambda: _mail(subject, text, addresses))


def _mail(subject: str, text: str, addresses: list[str]) -> None:
    # One message per recipient, so no one sees who else was told.
    for address in addresses:
        try:
            send_mail(subject, text, settings.DEFAULT_FROM_EMAIL, [address])
        except OSError:
            # The notification is in the app already; a mail server that is down must not
            # fail the check (the next change of state tries again).
            logger.exception("risk alert to %s not sent", address)
