"""How the KPI page writes shares, ratios and hours; a measure with no data says so."""

from __future__ import annotations

from django import template

register = template.Library()

NO_DATA = "no data"


@register.filter
def share(value: float | None) -> str:
    """0.8 → ``80 %``."""
    return NO_DATA if value is None else f"{value * 100:.0f} %"


@register.filter
def times(value: float | None) -> str:
    """An actual ÷ estimate ratio: 1.25 → ``1.25×``."""
    return NO_DATA if value is None else f"{value:.2f}×"


@register.filter
def hours(value: float) -> str:
    """12.5 → ``12.5 h``."""
    return f"{value:,.1f} h"
