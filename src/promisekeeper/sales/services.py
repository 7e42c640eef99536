"""Writes about customers and deals: create them, audit them, notify people."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import User as AuthUser
from django.db import transaction

from promisekeeper.organisation.permissions import OPERATIONS, AnyUser
from promisekeeper.sales.models import AuditEvent, Customer, Deal, Notification


def audit_event_record(
    *,
    actor: AuthUser | None,
    action: AuditEvent.Action | str,
    deal: Deal | None = None,
    payload: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append an audit event in the caller's transaction (``action`` one of its choices)."""
    event = AuditEvent(actor=actor, action=action, deal=deal, payload=payload or {})
    # The actor and deal were just read by the caller; one query per relation is not needed.
    event.full_clean(exclude=["actor", "deal"], validate_unique=False)
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
    *,
    user: AuthUser,
    customer: Customer,
    name: str,
    owner: AuthUser | None = None,
    **fields: Any,
) -> Deal:
    """Create a validated deal and audit it with ``user``, the signed-in user, as actor."""
    deal = Deal(customer=customer, name=name, owner=owner, **fields)
    deal.full_clean()
    deal.save()
    audit_event_record(
        actor=user, action=AuditEvent.Action.DEAL_CREATED, deal=deal, payload={"name": name}
    )
    return deal


def notification_send(user: Any, deal: Deal | None, text: str) -> Notification:
    """Tell ``user`` something about ``deal`` (shown in their notifications)."""
    note = Notification(user=user, deal=deal, text=text)
    note.full_clean()
    note.save()
    return note


def operations_notify(deal: Deal, text: str) -> None:
    """Tell every active member of operations."""
    for member in get_user_model().objects.filter(groups__name=OPERATIONS, is_active=True):
        notification_send(member, deal, text)


def notification_mark_read(*, user: AnyUser, pk: int | None = None) -> int:
    """Mark the user's unread notifications read (only the one with ``pk`` if given)."""
    if not user.is_authenticated:
        return 0
    notes = Notification.objects.filter(user=user, read=False)  # type: ignore[misc]
    if pk is not None:
        notes = notes.filter(pk=pk)
    return notes.update(read=True)
