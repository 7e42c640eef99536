"""Checks of the capacity invariants, for tests and benchmarks."""

from __future__ import annotations

import datetime


def person_day_overcommitted() -> list[tuple[int, datetime.date, int, int]]:
    """Person-days whose reserved minutes exceed the regular minutes the person has plus the
    overtime booked there (should be empty): (person, day, reserved, capacity + overtime)."""
    from django.db.models import Sum

    from promisekeeper.sales.models import CapacityReservation, PersonDayLoad

    limit = {
        (p, d): capacity + overtime
        for p, d, capacity, overtime in PersonDayLoad.objects.values_list(
            "person_id", "day", "capacity_minutes", "overtime_minutes"
        )
    }
    over = []
    totals = CapacityReservation.objects.values("person_id", "day").annotate(total=Sum("minutes"))
    for row in totals:
        key = (row["person_id"], row["day"])
        cap = limit.get(key, 0)
        if row["total"] > cap:
            over.append((key[0], key[1], int(row["total"]), cap))
    return over
