"""What the customer is told when their promise changes: an e-mail in plain words and, for
a new date, the promise sheet of the new promise, both stored as they were written."""

from __future__ import annotations

import datetime

from django.contrib.auth.models import User as AuthUser

from promisekeeper.organisation.selectors import organisation_settings_get
from promisekeeper.promising.pdf import promise_sheet_pdf
from promisekeeper.promising.sheet import promise_sheet_build
from promisekeeper.sales.models import AuditEvent, CustomerNotice, Deal, Promise, RedateRequest
from promisekeeper.sales.services import audit_event_record

WHY = {
    RedateRequest.Reason.CUSTOMER_CHANGE: "As you asked, we have moved the date",
    RedateRequest.Reason.SCOPE_CHANGE: "Because the work we agreed on has changed, we have "
    "moved the date",
    RedateRequest.Reason.OUR_CAPACITY: "We are sorry: our team cannot finish the work by the "
    "date we gave you, so we have moved it",
    RedateRequest.Reason.DEPENDENCY: "Something the work depends on will not be ready in time, "
    "so we have moved the date",
    RedateRequest.Reason.OTHER: "We have moved the date",
}
"""The first sentence of a new-date notice, by the reason the date moved."""


def _day(value: datetime.date) -> str:
    return f"{value:%A} {value.day} {value:%B %Y}"


def _signature(user: AuthUser, deal: Deal) -> str:
    seller = deal.owner or user
    name = seller.get_full_name() or seller.get_username()
    organisation = organisation_settings_get()
    return f"{name}\n{organisation.name}" if organisation and organisation.name else name


def redate_notice_create(
    *, user: AuthUser, promise: Promise, previous: Promise, reason_code: str
) -> CustomerNotice:
    """Store the e-mail and the new promise sheet for a re-dated promise (in the caller's
    transaction), and audit it."""
    deal = promise.deal
    checked = (
        "Our operations team has agreed to this date; we will keep you informed as the work "
        "goes on."
        if promise.beyond_capacity
        else "We have checked the new date against our team's plan and set the time aside "
        "for your work."
    )
    why = WHY.get(RedateRequest.Reason(reason_code), WHY[RedateRequest.Reason.OTHER])
    body = (
        f"Dear {deal.customer.name},\n\n"
        f"This is about {deal.name}. {why}: we now plan to deliver it on "
        f"{_day(promise.promised_date)}, instead of {_day(previous.promised_date)}.\n\n"
        f"{checked} The updated promise sheet is attached.\n\n"
        "If the new date does not suit you, reply to this e-mail and we will look at it "
        f"together.\n\nKind regards,\n{_signature(user, deal)}\n"
    )
    pdf = promise_sheet_pdf(promise_sheet_build(promise=promise))
    return _notice_store(
        user=user,
        deal=deal,
        kind=CustomerNotice.Kind.REDATE,
        promise=promise,
        subject=f"{deal.name}: new delivery date {promise.promised_date:%d %B %Y}",
        body=body,
        sheet_pdf=pdf,
    )


def cancel_notice_create(*, user: AuthUser, deal: Deal, promise: Promise | None) -> CustomerNotice:
    """Store the e-mail that tells the customer the promise is cancelled, and audit it."""
    promised = f", which we had promised for {_day(promise.promised_date)}," if promise else ""
    body = (
        f"Dear {deal.customer.name},\n\n"
        f"This is to confirm that {deal.name}{promised} is cancelled. We have released the "
        "time we had set aside for it.\n\n"
        "If this is not what you expected, reply to this e-mail and we will look at it "
        f"together.\n\nKind regards,\n{_signature(user, deal)}\n"
    )
    return _notice_store(
        user=user,
        deal=deal,
        kind=CustomerNotice.Kind.CANCEL,
        promise=promise,
        subject=f"{deal.name}: cancelled",
        body=body,
        sheet_pdf=b"",
    )


def _notice_store(
    *,
    user: AuthUser,
    deal: Deal,
    kind: str,
    promise: Promise | None,
    subject: str,
    body: str,
    sheet_pdf: bytes,
) -> CustomerNotice:
    notice = CustomerNotice(
        deal=deal,
        kind=kind,
        promise=promise,
        subject=subject,
        body=body,
        sheet_pdf=sheet_pdf,
        created_by=user,
    )
    notice.full_clean()
    notice.save()
    audit_event_record(
        actor=user,
        action=AuditEvent.Action.CUSTOMER_NOTICE_CREATED,
        deal=deal,
        payload={"notice": notice.pk, "kind": kind, "promise": promise.pk if promise else None},
    )
    return notice
