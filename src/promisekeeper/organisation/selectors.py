"""Reads about the organisation."""

from __future__ import annotations

from promisekeeper.organisation.models import Ledger, OrganisationSettings


def organisation_settings_get() -> OrganisationSettings | None:
    """The organisation's settings, or None before set-up."""
    return OrganisationSettings.objects.first()


def ledger_version_get() -> int:
    """The current capacity ledger version (0 before the first capacity write)."""
    version = Ledger.objects.values_list("version", flat=True).first()
    return int(version or 0)


def organisation_name_get() -> str:
    """The organisation's name ("Promisekeeper" before set-up)."""
    organisation = organisation_settings_get()
    return organisation.name if organisation else "Promisekeeper"
