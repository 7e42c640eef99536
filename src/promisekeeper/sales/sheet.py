"""What a customer promise sheet says, gathered once for the HTML page and the PDF."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from promisekeeper.catalog.models import SopVersion
from promisekeeper.sales.models import Promise


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
    confidence: str
    offerings: list[SheetOffering]
    products: list[SheetProduct]
    sales_owner: str
    operations_sign_off: str
    created_at: datetime.datetime


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


def _planned_phases(
    promise: Promise,
) -> dict[str, tuple[datetime.date | None, datetime.date | None]]:
    """Phase dates the commit recorded in the evidence, keyed by phase name, when present."""
    planned: dict[str, tuple[datetime.date | None, datetime.date | None]] = {}
    phases = promise.evidence.get("phases") if isinstance(promise.evidence, dict) else None
    for item in phases or []:
        if not isinstance(item, dict) or "name" not in item:
            continue
        planned[str(item["name"])] = (_date(item.get("start")), _date(item.get("end")))
    return planned


def _date(value: object) -> datetime.date | None:
    if isinstance(value, str):
        try:
            return datetime.date.fromisoformat(value)
        except ValueError:
            return None
    return None


def promise_sheet_build(*, promise: Promise) -> PromiseSheet:
    """Everything the customer is told: deliverables, phases, check-ins, date and names."""
    deal = promise.deal
    planned = _planned_phases(promise)
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
        if sop is not None:
            for phase in sop.phases.order_by("order", "pk"):
                start, end = planned.get(phase.name, (None, None))
                phases.append(SheetPhase(name=phase.name, start=start, end=end))
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
        offerings=offerings,
        products=products,
        sales_owner=_person(deal.owner) or _person(promise.created_by),
        operations_sign_off=_person(approval.decided_by) if approval is not None else "",
        created_at=promise.created_at,
    )
