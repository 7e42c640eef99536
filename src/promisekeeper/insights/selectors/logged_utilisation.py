"""Utilisation from timesheets: hours people logged on delivery work over the delivery hours
they had (the planner's capacity rule, ``promising.available_hours``), per team and per role."""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass

from django.db.models import Sum

from promisekeeper.delivery.models import TimesheetEntry
from promisekeeper.insights import kpis
from promisekeeper.people.models import Person, Skill
from promisekeeper.promising.available_hours import available_hours_by_person

NO_TEAM = "(no team)"
NO_ROLE = "(no role)"


@dataclass(frozen=True)
class UtilisationRow:
    name: str
    logged_hours: float
    available_hours: float

    @property
    def utilisation(self) -> float | None:
        return kpis.ratio(self.logged_hours, self.available_hours)


@dataclass(frozen=True)
class LoggedUtilisation:
    start: datetime.date
    end: datetime.date
    by_team: list[UtilisationRow]
    by_role: list[UtilisationRow]
    total: UtilisationRow


def _strongest_roles(person_pks: set[int]) -> dict[int, str]:
    """Each person's strongest role (highest efficiency, then name), as on the heatmap."""
    best: dict[int, tuple[float, str]] = {}
    for person_id, role, efficiency in Skill.objects.filter(person_id__in=person_pks).values_list(
        "person_id", "role__name", "efficiency"
    ):
        key = (-float(efficiency), role)
        if person_id not in best or key < best[person_id]:
            best[person_id] = key
    return {pk: role for pk, (_, role) in best.items()}


def _grouped(
    logged: dict[int, float], available: dict[int, float], group_of: dict[int, str], default: str
) -> list[UtilisationRow]:
    hours: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0])
    for pk in logged.keys() | available.keys():
        bucket = hours[group_of.get(pk, default)]
        bucket[0] += logged.get(pk, 0.0)
        bucket[1] += available.get(pk, 0.0)
    return [UtilisationRow(name, lh, ah) for name, (lh, ah) in sorted(hours.items())]


def logged_utilisation(*, start: datetime.date, end: datetime.date) -> LoggedUtilisation:
    """Logged ÷ available delivery hours from ``start`` to ``end`` (both included), per team,
    per strongest role, and in total."""
    available = available_hours_by_person(start=start, end=end)
    logged = {
        pk: minutes / 60
        for pk, minutes in TimesheetEntry.objects.filter(day__gte=start, day__lte=end)
        .values_list("person_id")
        .annotate(minutes=Sum("minutes"))
        .values_list("person_id", "minutes")
    }
    people = logged.keys() | available.keys()
    teams = {
        pk: name
        for pk, name in Person.objects.filter(pk__in=people, team__isnull=False).values_list(
            "pk", "team__name"
        )
    }
    total = UtilisationRow("All delivery people", sum(logged.values()), sum(available.values()))
    return LoggedUtilisation(
        start,
        end,
        _grouped(logged, available, teams, NO_TEAM),
        _grouped(logged, available, _strongest_roles(people), NO_ROLE),
        total,
    )
