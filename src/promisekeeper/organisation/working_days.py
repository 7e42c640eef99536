"""Which days the organisation works: its working weekdays, minus public holidays and
company closures. The planning calendar (``promising.snapshot.calendar_build``) counts days
from today for the engine; this answers in dates, for anything booked on a day (check-ins)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

import holidays

from promisekeeper.organisation.models import CompanyClosure, default_working_weekdays
from promisekeeper.organisation.selectors import organisation_settings_get


@dataclass(frozen=True)
class WorkingDays:
    """Working weekdays (0 is Monday) and the dates closed on top of them."""

    weekdays: frozenset[int]
    closed: frozenset[datetime.date]

    def is_working(self, day: datetime.date) -> bool:
        return day.weekday() in self.weekdays and day not in self.closed

    def on_or_after(self, day: datetime.date, *, last: datetime.date) -> datetime.date | None:
        """The first working day from ``day`` to ``last`` inclusive, or None."""
        while day <= last:
            if self.is_working(day):
                return day
            day += datetime.timedelta(days=1)
        return None

    def on_or_before(self, day: datetime.date, *, first: datetime.date) -> datetime.date | None:
        """The last working day from ``first`` to ``day`` inclusive, or None."""
        while day >= first:
            if self.is_working(day):
                return day
            day -= datetime.timedelta(days=1)
        return None


def working_days_get(*, start: datetime.date, end: datetime.date) -> WorkingDays:
    """The organisation's working days, with every holiday and closure from ``start`` to
    ``end`` inclusive (days outside that range count as open apart from weekends)."""
    org = organisation_settings_get()
    weekdays = frozenset(org.working_weekdays if org else default_working_weekdays())
    closed: set[datetime.date] = set()
    if org and org.country:
        years = range(start.year, end.year + 1)
        public = holidays.country_holidays(org.country, subdiv=org.subdivision or None, years=years)
        closed.update(day for day in public if start <= day <= end)
    for closure in CompanyClosure.objects.filter(end_date__gte=start, start_date__lte=end):
        day = max(closure.start_date, start)
        while day <= min(closure.end_date, end):
            closed.add(day)
            day += datetime.timedelta(days=1)
    return WorkingDays(weekdays=weekdays, closed=frozenset(closed))
