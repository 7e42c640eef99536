"""Checks of the capacity invariants, for tests and benchmarks."""

from __future__ import annotations

import datetime


def person_day_overcommitted() -> list[tuple[int, datetime.date, float, float]]:
    """Person-days whose reserved hours exceed the hours the person has (should be empty)."""
    from django.db.models import Sum

    from promisekeeper.sales.models import CapacityReservation, PersonDayLoad

    capacity = {
        (p, d): float(c)
        for p, d, c in PersonDayLoad.objects.values_list("person_id", "day", "capacity_hours")
    }
    over = []
    totals = CapacityReservation.objects.values("person_id", "day").annotate(total=Sum("hours"))
    for row in totals:
        key = (row["person_id"], row["day"])
        cap = capacity.get(key, 0.0)
        if float(row["total"]) > cap + 0.001:
            over.append((key[0], key[1], float(row["total"]), cap))
    return over
