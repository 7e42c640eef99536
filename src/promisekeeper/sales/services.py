"""Writes about customers, deals and the audit log (quote/hold/commit come later)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction

from promisekeeper.sales.models import AuditEvent, Customer, Deal


def audit_event_record(
    *,
    actor: AbstractBaseUser | None,
    action: str,
    deal: Deal | None = None,
    payload: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append an audit event in the caller's transaction."""
    event = AuditEvent(actor=actor, action=action, deal=deal, payload=payload or {})
    event.full_clean()
    event.save()
    return event


@transaction.atomic
def customer_create(*, name: str, email: str = "", phone: str = "") -> Customer:
    """Create a validated customer."""
    customer = Customer(name=name, email=email, phone=phone)
    customer.full_clean()
    customer.save()
    return customer


@transaction.atomic
def deal_create(
    *, customer: Customer, name: str, owner: AbstractBaseUser | None = None, **fields: Any
) -> Deal:
    """Create a validated deal and audit it."""
    deal = Deal(customer=customer, name=name, owner=owner, **fields)
    deal.full_clean()
    deal.save()
    audit_event_record(actor=owner, action="deal.created", deal=deal, payload={"name": name})
    return deal
