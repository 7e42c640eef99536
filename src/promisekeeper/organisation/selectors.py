"""Reads about the organisation."""

from __future__ import annotations

import datetime

from promisekeeper.organisation.models import CompanyClosure, Ledger, OrganisationSettings


def organisation_settings_get() -> OrganisationSettings | None:
    """The organisation's settings, or None before set-up."""
    return OrganisationSettings.objects.first()


def ledger_version_get() -> int:
    """The current capacity ledger version (0 before the first capacity write)."""
    version = Ledger.objects.values_list("version", flat=True).first()
    return int(version or 0)


def company_closure_list(*, start: datetime.date, end: datetime.date) -> list[CompanyClosure]:
    """Closures overlapping [start, end], earliest first."""
    return list(CompanyClosure.objects.filter(start_date__lte=end, end_date__gte=start))
