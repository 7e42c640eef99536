"""Available hours per person per day: the capacity grid every plan starts from."""

from __future__ import annotations

import numpy as np

from promisekeeper.engine.model import Calendar, Instance, Person


def working_day_mask(calendar: Calendar) -> np.ndarray:
    """Boolean vector over the horizon: True where the organisation works."""
    days = np.arange(calendar.horizon_days)
    weekday = (calendar.start.weekday() + days) % 7
    mask = np.asarray(calendar.working_weekdays, dtype=bool)[weekday]
    closed = [d for d in calendar.closed_days if 0 <= d < calendar.horizon_days]
    if closed:
        mask[np.asarray(closed, dtype=np.int64)] = False
    return mask


def person_capacity(person: Person, calendar: Calendar, working: np.ndarray) -> np.ndarray:
    """Hours ``person`` can give to delivery work on each day of the horizon."""
    horizon = calendar.horizon_days
    weekday = (calendar.start.weekday() + np.arange(horizon)) % 7
    hours = np.asarray(person.weekly_hours, dtype=np.float64)[weekday] * person.delivery_share
    hours[~working] = 0.0
    hours[: max(0, min(horizon, person.start_day))] = 0.0
    if person.end_day is not None:
        hours[max(0, person.end_day) :] = 0.0
    for off in person.time_off:
        lo, hi = max(0, off.start_day), min(horizon, off.end_day)
        if lo >= hi:
            continue
        if off.hours_per_day is None:
            hours[lo:hi] = 0.0
        else:
            hours[lo:hi] = np.maximum(0.0, hours[lo:hi] - off.hours_per_day * person.delivery_share)
    return hours


def capacity_matrix(instance: Instance) -> np.ndarray:
    """People × days matrix of available delivery hours (float64)."""
    working = working_day_mask(instance.calendar)
    matrix = np.zeros((len(instance.people), instance.calendar.horizon_days), dtype=np.float64)
    for row, person in enumerate(instance.people):
        matrix[row] = person_capacity(person, instance.calendar, working)
    return matrix


def efficiency_matrix(instance: Instance) -> np.ndarray:
    """People × roles matrix of efficiencies (0 where the person lacks the role)."""
    role_index = {role: k for k, role in enumerate(instance.roles)}
    matrix = np.zeros((len(instance.people), len(instance.roles)), dtype=np.float64)
    for row, person in enumerate(instance.people):
        for role, efficiency in person.skills.items():
            matrix[row, role_index[role]] = efficiency
    return matrix
