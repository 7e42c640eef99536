"""One commit per idempotency key: the request's fingerprint and the promise a retry replays."""

from __future__ import annotations

import datetime
import hashlib
import json
from collections.abc import Sequence

from promisekeeper.promising.booking import CommitResult
from promisekeeper.promising.errors import IdempotencyConflict, QuoteInputError
from promisekeeper.promising.lines import QuoteLine, canonical_lines
from promisekeeper.sales.models import (
    Promise,
)


def commit_fingerprint(
    *,
    deal_id: int,
    lines: Sequence[QuoteLine],
    promised_date: datetime.date,
    exception_id: int | None = None,
) -> str:
    """A stable hash of a commit request's meaning, to tell a retry from a different request."""
    body = {
        "deal": deal_id,
        "lines": [[o or 0, p or 0, q] for o, p, q in canonical_lines(lines)],
        "promised_date": promised_date.isoformat(),
        "exception": exception_id,
    }
    return hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()


def idempotency_key_check(key: str) -> None:
    """Every commit and re-date names its request with a key: refuse a missing or long one."""
    if not key or len(key) > 100:
        raise QuoteInputError("idempotency_key", "is required (at most 100 characters)")


def promise_replayed(key: str, fingerprint: str) -> CommitResult | None:
    """The promise an earlier request with this idempotency key made, if any; a different
    request under the same key is refused."""
    existing = Promise.objects.filter(idempotency_key=key).first()
    if existing is None:
        return None
    if existing.request_fingerprint != fingerprint:
        raise IdempotencyConflict(key)
    return CommitResult("replayed", existing, existing.promised_date)
