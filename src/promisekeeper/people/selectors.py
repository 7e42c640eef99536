"""Reads about people and their capacity."""

from __future__ import annotations

import datetime

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
