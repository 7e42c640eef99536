"""How past projects of an offering went: the history a quote shows beside its dates."""

from __future__ import annotations

import math
from functools import partial
from statistics import median

from promisekeeper.catalog.models import (
    Offering,
)
from promisekeeper.delivery.models import Project as DeliveryProject
from promisekeeper.promising.answer import OfferingEvidence
from promisekeeper.promising.lines import ResolvedLine
from promisekeeper.promising.snapshot import Snapshot
from promisekeeper.promising.to_engine import memoised


def unique_offerings(lines: list[ResolvedLine]) -> list[ResolvedLine]:
    seen: set[int] = set()
    unique = []
    for r in lines:
        if r.offering is not None and r.offering.pk not in seen:
            seen.add(r.offering.pk)
            unique.append(r)
    return unique


def evidence_of(snapshot: Snapshot, offering: Offering | None) -> OfferingEvidence:
    """``offering_evidence``, read once per snapshot lineage (commits do not change history)."""
    return memoised(
        snapshot.memo,
        ("offering-evidence", offering.pk if offering else None),
        partial(offering_evidence, offering=offering),
    )


def offering_evidence(*, offering: Offering | None) -> OfferingEvidence:
    """How past projects of an offering went: on-time share, median and P80 days to deliver."""
    assert offering is not None
    rows = DeliveryProject.objects.filter(
        sop_version__offering=offering,
        status=DeliveryProject.Status.DELIVERED,
        delivered_date__isnull=False,
    ).values_list("release_date", "delivered_date", "promised_date")
    durations = []
    on_time = []
    for release, delivered, promised in rows:
        if delivered is None:
            continue
        durations.append((delivered - release).days)
        if promised is not None:
            on_time.append(delivered <= promised)
    durations.sort()
    p80 = None
    if durations:
        p80 = float(durations[max(0, math.ceil(0.8 * len(durations)) - 1)])
    return OfferingEvidence(
        offering_id=offering.pk,
        offering=offering.name,
        delivered=len(durations),
        on_time_share=round(sum(on_time) / len(on_time), 4) if on_time else None,
        median_days=float(median(durations)) if durations else None,
        p80_days=p80,
    )
