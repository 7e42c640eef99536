"""Writes about offerings, SOPs and stock."""

from __future__ import annotations

import datetime
from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max

from promisekeeper.catalog.models import (
    IncomingSupply,
    Offering,
    Product,
    SopDependency,
    SopPhase,
    SopPhaseCrew,
    SopVersion,
)
from promisekeeper.catalog.selectors import sop_version_is_used


@transaction.atomic
def offering_create(*, name: str, description: str = "", active: bool = True) -> Offering:
    """Create a validated offering (without an SOP yet)."""
    offering = Offering(name=name, description=description, active=active)
    offering.full_clean()
    offering.save()
    return offering


@transaction.atomic
def sop_version_create(
    *,
    offering: Offering,
    created_by: User | None = None,
    copy_from: SopVersion | None = None,
    **fields: Any,
) -> SopVersion:
    """Create the next SOP version, copying phases, crews and dependencies from `copy_from`.

    Editing an SOP always goes through here, so versions used by projects never change.
    """
    last = SopVersion.objects.filter(offering=offering).aggregate(last=Max("version"))["last"]
    if copy_from is not None:
        if copy_from.offering_id != offering.pk:
            raise ValidationError({"copy_from": "Copy from a version of the same offering."})
        inherited = {
            name: getattr(copy_from, name)
            for name in (
                "checkin_cadence_days",
                "internal_checkin_cadence_days",
                "checkin_channels",
                "deliverables",
                "handoff",
                "communication_channels",
            )
        }
        fields = {**inherited, **fields}
    sop = SopVersion(offering=offering, version=(last or 0) + 1, created_by=created_by, **fields)
    sop.full_clean()
    sop.save()
    if copy_from is not None:
        _copy_phases(source=copy_from, target=sop)
    return sop


def _copy_phases(*, source: SopVersion, target: SopVersion) -> None:
    mapping: dict[int, SopPhase] = {}
    for phase in source.phases.prefetch_related("crew").order_by("order"):
        old_pk = phase.pk
        crews = list(phase.crew.all())
        phase.pk = None
        phase.sop_version = target
        phase.full_clean()
        phase.save()
        mapping[old_pk] = phase
        for crew in crews:
            SopPhaseCrew.objects.create(phase=phase, role_id=crew.role_id, count=crew.count)
    for dependency in SopDependency.objects.filter(phase__sop_version=source):
        SopDependency.objects.create(
            phase=mapping[dependency.phase_id],
            predecessor=mapping[dependency.predecessor_id],
            lag_days=dependency.lag_days,
        )


@transaction.atomic
def sop_phase_add(*, sop_version: SopVersion, key: str, name: str, **fields: Any) -> SopPhase:
    """Add a phase to an SOP version that no project uses yet."""
    if sop_version_is_used(sop_version=sop_version):
        raise ValidationError("This SOP version is used by a project; create a new version.")
    phase = SopPhase(sop_version=sop_version, key=key, name=name, **fields)
    phase.full_clean()
    phase.save()
    return phase


@transaction.atomic
def sop_dependency_add(
    *, phase: SopPhase, predecessor: SopPhase, lag_days: int = 0
) -> SopDependency:
    """Make `phase` wait for `predecessor` (+ lag) within one unused SOP version."""
    if phase.sop_version_id != predecessor.sop_version_id:
        raise ValidationError("Both phases must belong to the same SOP version.")
    if sop_version_is_used(sop_version=phase.sop_version):
        raise ValidationError("This SOP version is used by a project; create a new version.")
    dependency = SopDependency(phase=phase, predecessor=predecessor, lag_days=lag_days)
    dependency.full_clean()
    dependency.save()
    return dependency


@transaction.atomic
def incoming_supply_create(
    *, product: Product, date: datetime.date, quantity: int
) -> IncomingSupply:
    """Record expected supply; bumps the ledger since promisable stock changes."""
    supply = IncomingSupply(product=product, date=date, quantity=quantity)
    supply.full_clean()
    supply.save()
    return supply
