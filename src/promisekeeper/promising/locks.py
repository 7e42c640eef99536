"""The capacity locks, always taken in one order (ledger, then products by id, then the deal),
and the retry of a transaction that lost a lock race."""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TypeVar

from django.db import OperationalError

from promisekeeper.catalog.models import Product
from promisekeeper.delivery.models import Project as DeliveryProject
from promisekeeper.organisation.models import Ledger
from promisekeeper.sales.models import (
    Deal,
    Hold,
)

logger = logging.getLogger(__name__)
T = TypeVar("T")
MAX_ATTEMPTS = 10
BACKOFF_SECONDS = 0.02
BACKOFF_CAP_SECONDS = 1.0


def _transient(error: BaseException) -> bool:
    """Deadlocks, serialization failures and SQLite's busy lock: retry; anything else: raise."""
    cause = error.__cause__
    name = type(cause).__name__ if cause is not None else ""
    if name in ("SerializationFailure", "DeadlockDetected", "LockNotAvailable"):
        return True
    text = str(error).lower()
    return "database is locked" in text or "deadlock" in text or "could not serialize" in text


def with_retries(action: Callable[[], T]) -> T:
    """Run a durable transaction, retrying transient lock failures with jittered backoff."""
    for attempt in range(MAX_ATTEMPTS):
        try:
            return action()
        except OperationalError as error:
            if not _transient(error) or attempt == MAX_ATTEMPTS - 1:
                raise
            logger.info("retrying after %s (attempt %d)", error, attempt + 1)
            time.sleep(random.uniform(0, min(BACKOFF_CAP_SECONDS, BACKOFF_SECONDS * 2**attempt)))
    raise AssertionError("unreachable")


def ledger_lock() -> int:
    """Take the global capacity lock, the ledger row (SQLite: BEGIN IMMEDIATE already holds
    it), and return the ledger version. Call inside a durable transaction."""
    version = (
        Ledger.objects.select_for_update()
        .filter(singleton=True)
        .values_list("version", flat=True)
        .first()
    )
    if version is None:
        Ledger.objects.get_or_create(singleton=True)
        return ledger_lock()
    return int(version)


@dataclass(frozen=True)
class LockedDeal:
    """A deal's row, locked, with what a booking needs to know of it under the lock: its
    delivery project (pk and status) if it has one, and whether a hold is active."""

    deal: Deal
    project_pk: int | None
    project_status: str | None
    holds_active: bool


def deal_lock(pk: int) -> LockedDeal:
    """Lock the deal's row and read its delivery project and active holds."""
    deal = Deal.objects.select_for_update().get(pk=pk)
    project = DeliveryProject.objects.filter(deal_id=pk).values_list("pk", "status").first()
    return LockedDeal(
        deal=deal,
        project_pk=None if project is None else project[0],
        project_status=None if project is None else project[1],
        holds_active=Hold.objects.filter(deal_id=pk, active=True).exists(),
    )


def products_lock(product_ids: Iterable[int]) -> dict[int, Product]:
    """Lock the products' rows in id order (after the ledger, before the deal)."""
    ids = sorted(set(product_ids))
    return {p.pk: p for p in Product.objects.select_for_update().filter(pk__in=ids).order_by("pk")}


@dataclass(frozen=True)
class BookingLocks:
    """Every lock a booking takes, in the one order that rules out deadlocks."""

    ledger_version: int
    products: dict[int, Product]
    deal: LockedDeal


def booking_locks(*, product_ids: Iterable[int], deal_pk: int) -> BookingLocks:
    """Lock the ledger, then the products by id, then the deal (inside a durable transaction)."""
    version = ledger_lock()
    products = products_lock(product_ids)
    return BookingLocks(version, products, deal_lock(deal_pk))
