"""Errors of the promising services: bad input names its field; nothing was written."""

from __future__ import annotations


class QuoteInputError(ValueError):
    """Bad input to a sales service; ``field`` names it. Nothing was written."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


class TooManyHolds(QuoteInputError):
    """The user placed as many holds in the last minute as the organisation allows."""

    def __init__(self, limit: int) -> None:
        super().__init__(
            "deal",
            f"you placed {limit} holds in the last minute, the most allowed; "
            "wait a minute and try again",
        )


class IdempotencyConflict(Exception):
    """The idempotency key was already used with a different request body."""

    def __init__(self, key: str) -> None:
        super().__init__(f"Idempotency-Key {key!r} was already used with a different request.")
        self.key = key
