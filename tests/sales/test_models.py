from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from promisekeeper.sales.models import AuditEvent, DealLine, ExceptionRequest, Hold
from promisekeeper.sales.selectors import deal_list_open, promise_latest
from promisekeeper.sales.services import customer_create, deal_create
from tests.factories import (
    TODAY,
    DealFactory,
    DealLineFactory,
    OfferingFactory,
    ProductFactory,
    PromiseFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


def _violates(factory, **fields) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        factory(**fields)


def test_deal_line_with_both_offering_and_product_violates_constraint():
    _violates(DealLineFactory, product=ProductFactory())


def test_deal_line_with_neither_offering_nor_product_violates_constraint():
    _violates(DealLineFactory, offering=None)


def test_deal_line_with_only_a_product_is_allowed():
    assert DealLineFactory(offering=None, product=ProductFactory()).pk


def test_deal_line_quantity_must_be_positive():
    _violates(DealLineFactory, quantity=0)


@pytest.mark.parametrize("probability", ["-0.1", "1.1"])
def test_win_probability_outside_zero_to_one_violates_constraint(probability):
    _violates(DealFactory, win_probability=Decimal(probability))


def test_only_one_active_hold_per_deal():
    deal = DealFactory()
    user = UserFactory()
    expires = timezone.now() + datetime.timedelta(days=2)
    Hold.objects.create(deal=deal, expires_at=expires, created_by=user)
    Hold.objects.create(deal=deal, expires_at=expires, created_by=user, active=False)
    with pytest.raises(IntegrityError), transaction.atomic():
        Hold.objects.create(deal=deal, expires_at=expires, created_by=user)


def test_idempotency_key_is_unique_but_optional():
    PromiseFactory(idempotency_key=None)
    PromiseFactory(idempotency_key=None)
    PromiseFactory(idempotency_key="abc")
    _violates(PromiseFactory, idempotency_key="abc")


def test_promise_percentile_dates_must_be_ordered():
    _violates(PromiseFactory, p50_date=TODAY + datetime.timedelta(days=10), p80_date=TODAY)


def test_decided_exception_needs_a_decider():
    deal = DealFactory()
    user = UserFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        ExceptionRequest.objects.create(
            deal=deal, requested_date=TODAY, requested_by=user, status="approved"
        )
    assert ExceptionRequest.objects.create(
        deal=deal, requested_date=TODAY, requested_by=user, status="approved", decided_by=user
    ).pk


def test_deal_create_validates_and_audits_the_user_who_created_it():
    creator, owner = UserFactory(), UserFactory()
    customer = customer_create(name="Acme")
    deal = deal_create(
        user=creator, customer=customer, name="Website", owner=owner, wanted_date=TODAY
    )
    event = AuditEvent.objects.get()
    assert (event.actor, event.action, event.deal) == (creator, "deal.created", deal)
    assert deal.owner == owner
    with pytest.raises(ValidationError):
        deal_create(user=creator, customer=customer, name="Bad", win_probability=Decimal("2"))


def test_open_deals_exclude_won_and_lost():
    open_deal = DealFactory(stage="proposal")
    DealFactory(stage="won")
    DealFactory(stage="lost")
    assert list(deal_list_open()) == [open_deal]


def test_latest_promise_is_the_newest():
    deal = DealFactory()
    PromiseFactory(deal=deal, promised_date=TODAY)
    newest = PromiseFactory(deal=deal, promised_date=TODAY + datetime.timedelta(days=3))
    assert promise_latest(deal=deal) == newest
    assert promise_latest(deal=DealFactory()) is None


def test_offering_in_use_on_a_deal_cannot_be_deleted():
    offering = OfferingFactory()
    DealLine.objects.create(deal=DealFactory(), offering=offering)
    with pytest.raises(IntegrityError), transaction.atomic():
        offering.delete()
