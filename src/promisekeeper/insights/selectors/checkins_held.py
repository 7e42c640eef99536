"""Check-ins held: of the check-ins that fell due in a period, how many were marked done."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db.models import Count, Q

from promisekeeper.delivery.models import CheckIn
from promisekeeper.insights import kpis


@dataclass(frozen=True)
class CheckinsHeld:
    kind: str
    due: int
    held: int

    @property
    def share(self) -> float | None:
        return kpis.ratio(self.held, self.due)


def checkins_held(*, start: datetime.date, end: datetime.date) -> list[CheckinsHeld]:
    """Per kind of check-in, then all: those due from ``start`` to ``end`` (both included)
    and those of them marked done."""
    counts = dict(
        (kind, (due, held))
        for kind, due, held in CheckIn.objects.filter(due_date__gte=start, due_date__lte=end)
        .values_list("kind")
        .annotate(due=Count("pk"), held=Count("pk", filter=Q(done_at__isnull=False)))
        .values_list("kind", "due", "held")
    )
    rows = [
        CheckinsHeld(str(label), *counts.get(kind, (0, 0))) for kind, label in CheckIn.Kind.choices
    ]
    rows.append(CheckinsHeld("All check-ins", sum(r.due for r in rows), sum(r.held for r in rows)))
    return rows
