"""Reads about offerings, SOPs and stock."""

from __future__ import annotations

from django.db.models import QuerySet

from promisekeeper.catalog.models import Offering, SopVersion


def sop_version_is_used(*, sop_version: SopVersion) -> bool:
    """True when any project was planned with this version (it is then immutable)."""
    return sop_version.projects.exists()  # type: ignore[attr-defined]


def sop_version_latest(*, offering: Offering) -> SopVersion | None:
    """The newest SOP version of an offering, or None."""
    return offering.sop_versions.order_by("-version").first()


def offering_list_active() -> QuerySet[Offering]:
    """Offerings that can be sold now."""
    return Offering.objects.filter(active=True)
