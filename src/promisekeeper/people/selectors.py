"""Reads about people and their capacity."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db.models import Q, QuerySet

from promisekeeper.people.models import Person, TimeOff


def person_list_active(*, on: datetime.date) -> QuerySet[Person]:
    """People employed on the given date, with skills and roles prefetched."""
    return (
        Person.objects.filter(start_date__lte=on)
        .filter(Q(end_date__isnull=True) | Q(end_date__gte=on))
        .prefetch_related("skills__role")
    )


def time_off_list(*, start: datetime.date, end: datetime.date) -> QuerySet[TimeOff]:
    """Time off overlapping [start, end]."""
    return TimeOff.objects.filter(start_date__lte=end, end_date__gte=start)


PERSON_SORTS = {
    "name": "name",
    "team": "team__name",
    "start": "start_date",
    "share": "delivery_share",
}


def person_list(
    *, q: str = "", team: int | None = None, role: str = "", sort: str = "name", on: datetime.date
) -> QuerySet[Person]:
    """People employed on ``on`` (or joining later), filtered and sorted, with skills prefetched."""
    queryset = (
        Person.objects.filter(Q(end_date__isnull=True) | Q(end_date__gte=on))
        .select_related("team")
        .prefetch_related("skills__role")
    )
    if q:
        queryset = queryset.filter(Q(name__icontains=q) | Q(email__icontains=q))
    if team:
        queryset = queryset.filter(team_id=team)
    if role:
        queryset = queryset.filter(skills__role__name=role)
    descending = sort.startswith("-")
    column = PERSON_SORTS.get(sort.lstrip("-"), "name")
    return queryset.order_by(f"-{column}" if descending else column, "pk")


def person_detail_get(*, pk: int) -> Person:
    """One person with team, skills and time off; DoesNotExist if absent."""
    return (
        Person.objects.select_related("team")
        .prefetch_related("skills__role", "time_off")
        .get(pk=pk)
    )


@dataclass(frozen=True)
class CalendarDay:
    day: datetime.date | None
    off: str = ""  # "", "approved" or "tentative"
    closed: bool = False
    hours: float = 0.0


@dataclass(frozen=True)
class CalendarMonth:
    first: datetime.date
    weeks: list[list[CalendarDay]]


def person_calendar_months(
    *, person: Person, first: datetime.date, count: int
) -> list[CalendarMonth]:
    """Month grids (Monday first) marking time off, company closures and contracted hours."""
    from promisekeeper.organisation.models import CompanyClosure

    start = first.replace(day=1)
    months = []
    time_off = list(person.time_off.all())
    closures = list(CompanyClosure.objects.all())
    for _ in range(count):
        next_month = (start + datetime.timedelta(days=32)).replace(day=1)
        weeks: list[list[CalendarDay]] = []
        week: list[CalendarDay] = [CalendarDay(None)] * start.weekday()
        day = start
        while day < next_month:
            off = next((t.status for t in time_off if t.start_date <= day <= t.end_date), "")
            closed = any(c.start_date <= day <= c.end_date for c in closures)
            week.append(CalendarDay(day, off, closed, float(person.weekly_hours[day.weekday()])))
            if len(week) == 7:
                weeks.append(week)
                week = []
            day += datetime.timedelta(days=1)
        if week:
            weeks.append(week + [CalendarDay(None)] * (7 - len(week)))
        months.append(CalendarMonth(start, weeks))
        start = next_month
    return months
