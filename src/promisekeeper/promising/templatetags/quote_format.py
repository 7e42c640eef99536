"""Plain formatting for the quote answer, which htmx re-renders on every change.

Django's ``date`` and ``floatformat`` filters localise each value; the answer shows a few
dozen dates and numbers in English, so these direct formats keep the re-render cheap.
"""

from __future__ import annotations

import datetime

from django import template

register = template.Library()


@register.filter
def day(value: datetime.date | None) -> str:
    """``23 Nov 2026``; empty for no date (so ``|default:`` still applies)."""
    if not isinstance(value, datetime.date):
        return ""
    return f"{value.day} {value:%b %Y}"


@register.filter
def day_month(value: datetime.date | None) -> str:
    """``23 Nov``."""
    if not isinstance(value, datetime.date):
        return ""
    return f"{value.day} {value:%b}"


@register.filter
def whole(value: float | None) -> str:
    """A number rounded to a whole one; empty for none."""
    if value is None:
        return ""
    return f"{value:.0f}"


@register.filter
def percent(share: float | None) -> str:
    """A share in [0, 1] as a whole percentage without the sign."""
    if share is None:
        return ""
    return f"{share * 100:.0f}"


@register.filter
def iso_date(value: datetime.date | str | None) -> str:
    """A date field's value for ``<input type="date">``: ISO for a date, as typed otherwise."""
    if value is None:
        return ""
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value)
