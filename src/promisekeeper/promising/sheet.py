"""What a customer promise sheet says, gathered once for the HTML page and the PDF."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db.models import Max, Min

from promisekeeper.catalog.models import SopVersion
from promisekeeper.delivery.models import Project as DeliveryProject
from promisekeeper.sales.models import CapacityReservation, Promise


@dataclass(frozen=True)
class SheetPhase:
    name: str
    start: datetime.date | None
    end: datetime.date | None


@dataclass(frozen=True)
class SheetOffering:
    name: str
    quantity: int
    sop_version: int | None
    deliverables: list[str]
    phases: list[SheetPhase]
    checkin_cadence_days: int | None
    checkin_channels: str
    communication_channels: str
    handoff: str


@dataclass(frozen=True)
class SheetProduct:
    sku: str
    name: str
    quantity: int


@dataclass(frozen=True)
class PromiseSheet:
    promise_id: int
    customer: str
    deal: str
    promised_date: datetime.date
    # None for a promise beyond capacity: no confidence level stands behind its date.
    confidence: str | None
    beyond_capacity: bool
    offerings: list[SheetOffering]
    timeline: list[SheetPhase]
    # The reserved work ends after the promised date (a promise made on an approved
    # exception): the customer sheet then lists the phases without the plan's dates.
    planned_finish_after_promise: datetime.date | None
    products: list[SheetProduct]
    sales_owner: str
    operations_sign_off: str
    created_at: datetime.datetime

    @property
    def confidence_note(self) -> str:
        """What stands behind the date, in the sheet's words."""
        if self.beyond_capacity or self.confidence is None:
            return BEYOND_CAPACITY_NOTE
        return f"confidence {self.confidence}"


BEYOND_CAPACITY_NOTE = "beyond capacity, agreed by operations"
"""How a promise beyond capacity is described wherever its confidence would be."""


def _person(user: object | None) -> str:
    if user is None:
        return ""
    full_name = getattr(user, "get_full_name", lambda: "")()
    return str(full_name or getattr(user, "get_username", lambda: str(user))())


def _sop_for(promise: Promise, offering_id: int) -> SopVersion | None:
    project = getattr(promise.deal, "project", None)
    if project is not None and project.sop_version.offering_id == offering_id:
        return project.sop_version
    return (
        SopVersion.objects.filter(offering_id=offering_id)
        .prefetch_related("phases")
        .order_by("-version")
        .first()
    )


def _timeline(promise: Promise) -> list[SheetPhase]:
    """The promised project's phases in order, dated by the hours the commit reserved."""
    project = DeliveryProject.objects.filter(deal=promise.deal).first()
    if project is None:
        return []
    spans = {
        # The engine names phases of multi-line projects "l<k>:key", the project "l<k>-key".
        row["phase_key"].replace(":", "-"): (row["start"], row["end"])
        for row in CapacityReservation.objects.filter(promise=promise)
        .values("phase_key")
        .annotate(start=Min("day"), end=Max("day"))
    }
    phases = project.phases.select_related("sop_phase__sop_version__offering").order_by("order")
    several = len({p.sop_phase.sop_version_id for p in phases if p.sop_phase}) > 1
    timeline = []
    for phase in phases:
        name = phase.name
        if several and phase.sop_phase is not None:
            name = f"{phase.sop_phase.sop_version.offering.name}: {name}"
        start, end = spans.get(phase.key, (None, None))
        timeline.append(SheetPhase(name=name, start=start, end=end))
    return timeline


def promise_sheet_build(*, promise: Promise) -> PromiseSheet:
    """Everything the customer is told: deliverables, phases, check-ins, date and names."""
    deal = promise.deal
    timeline = _timeline(promise)
    ends = [phase.end for phase in timeline if phase.end is not None]
    late_finish = max(ends) if ends and max(ends) > promise.promised_date else None
    if late_finish is not None:
        timeline = [SheetPhase(name=phase.name, start=None, end=None) for phase in timeline]
    offerings: list[SheetOffering] = []
    products: list[SheetProduct] = []
    for line in deal.lines.select_related("offering", "product").order_by("pk"):
        if line.product is not None:
            products.append(
                SheetProduct(sku=line.product.sku, name=line.product.name, quantity=line.quantity)
            )
            continue
        assert line.offering is not None
        sop = _sop_for(promise, line.offering.pk)
        phases = []
        if sop is not None and not timeline:
            phases = [
                SheetPhase(name=phase.name, start=None, end=None)
                for phase in sop.phases.order_by("order", "pk")
            ]
        offerings.append(
            SheetOffering(
                name=line.offering.name,
                quantity=line.quantity,
                sop_version=sop.version if sop else None,
                deliverables=[
                    item.strip(" -•\t")
                    for item in (sop.deliverables if sop else "").splitlines()
                    if item.strip(" -•\t")
                ],
                phases=phases,
                checkin_cadence_days=sop.checkin_cadence_days if sop else None,
                checkin_channels=sop.checkin_channels if sop else "",
                communication_channels=sop.communication_channels if sop else "",
                handoff=sop.handoff if sop else "",
            )
        )
    approval = promise.approval
    return PromiseSheet(
        promise_id=promise.pk,
        customer=deal.customer.name,
        deal=deal.name,
        promised_date=promise.promised_date,
        confidence=promise.confidence,
        beyond_capacity=promise.beyond_capacity,
        offerings=offerings,
        timeline=timeline,
        planned_finish_after_promise=late_finish,
        products=products,
        sales_owner=_person(deal.owner) or _person(promise.created_by),
        operations_sign_off=_person(approval.decided_by) if approval is not None else "",
        created_at=promise.created_at,
    )
