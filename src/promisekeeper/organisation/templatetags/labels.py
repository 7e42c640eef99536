"""Stored codes as words for pages: no page shows ``in_delivery`` or ``approval_applied``."""

from __future__ import annotations

from django import template

register = template.Library()


@register.filter
def label(code: object) -> str:
    """``{{ state|label }}``: ``in_delivery`` → ``in delivery``, ``promised_date`` →
    ``promised date``; text that is not a code comes back as it is."""
    return str(code).replace("_", " ")
