"""Engine exceptions. An ordinary "no" is a result status, never an exception."""

from __future__ import annotations


class EngineError(Exception):
    """Base class of every exception the engine raises on purpose."""


class InvalidInput(EngineError, ValueError):
    """The input is malformed; ``field`` names where, ``message`` says what."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message
