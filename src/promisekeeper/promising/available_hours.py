"""The delivery hours people had over a period, by the planner's own capacity rule.

Utilisation from timesheets divides logged hours by these: contracted hours × delivery share,
less time off, public holidays, company closures and days outside employment, exactly as the
planner counts a person's capacity (``engine.capacity.person_capacity`` on the calendar
``snapshot.calendar_build`` makes), so the KPI and the plan never disagree on what a day holds.
"""

from __future__ import annotations

import datetime

from django.db.models import Q

from promisekeeper.engine.capacity import person_capacity, working_day_mask
from promisekeeper.organisation.models import OrganisationSettings
from promisekeeper.people.models import Person
from promisekeeper.promising.snapshot import calendar_build, person_to_engine


def available_hours_by_person(*, start: datetime.date, end: datetime.date) -> dict[int, float]:
    """Delivery hours each person with a skill could give from ``start`` to ``end`` (both
    included), by person primary key; people the planner does not plan (no skill) are left
    out, as in the plan."""
    days = (end - start).days + 1
    if days <= 0:
        return {}
    org = OrganisationSettings.objects.filter(singleton=True).first()
    calendar = calendar_build(org=org, today=start, horizon_days=days)
    working = working_day_mask(calendar)
    rows = (
        Person.objects.filter(start_date__lte=end)
        .filter(Q(end_date__isnull=True) | Q(end_date__gte=start))
        .prefetch_related("skills__role", "time_off")
        .order_by("pk")
    )
    hours: dict[int, float] = {}
    for row in rows:
        skills = {skill.role.name: float(skill.efficiency) for skill in row.skills.all()}
        if not skills:
            continue
        person = person_to_engine(row, skills=skills, time_off=row.time_off.all(), today=start)
        hours[row.pk] = float(person_capacity(person, calendar, working).sum())
    return hours
