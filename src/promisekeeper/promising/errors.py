"""Errors of the promising services: bad input names its field; nothing was written."""

from __future__ import annotations


class QuoteInputError(ValueError):
    """Bad input to a sales service; ``field`` names it. Nothing was written."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


class IdempotencyConflict(Exception):
    """The idempotency key was already used with a different request body."""

    def __init__(self, key: str) -> None:
        super().__init__(f"Idempotency-Key {key!r} was already used with a different request.")
        self.key = key
