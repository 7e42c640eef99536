"""Reads about offerings, SOPs and stock."""

from __future__ import annotations

from django.db.models import QuerySet

from promisekeeper.catalog.models import Offering, SopPhase, SopVersion


def sop_version_is_used(*, sop_version: SopVersion) -> bool:
    """True when any project was planned with this version (it is then immutable)."""
    return sop_version.projects.exists()  # type: ignore[attr-defined]


def sop_version_latest(*, offering: Offering) -> SopVersion | None:
    """The newest SOP version of an offering, or None."""
    return offering.sop_versions.order_by("-version").first()


def offering_list() -> QuerySet[Offering]:
    """Every offering with its SOP versions, for the catalogue page."""
    return Offering.objects.prefetch_related("sop_versions")


def sop_versions_for(*, offering: Offering) -> list[SopVersion]:
    """An offering's SOP versions, newest first, with phases, crews and dependencies loaded."""
    return list(
        offering.sop_versions.select_related("created_by")
        .prefetch_related("phases__role", "phases__crew__role", "phases__predecessors__predecessor")
        .order_by("-version")
    )


def sop_version_text(*, sop_version: SopVersion) -> list[str]:
    """A canonical line-per-fact rendering of an SOP version, so versions can be diffed."""
    lines = [
        f"Check-ins: every {sop_version.checkin_cadence_days} days by {sop_version.checkin_channels or '—'}",
        f"Communication: {sop_version.communication_channels or '—'}",
        f"Deliverables: {sop_version.deliverables or '—'}",
        f"Handoff: {sop_version.handoff or '—'}",
    ]
    for phase in sorted(sop_version.phases.all(), key=lambda p: (p.order, p.key)):
        after = ", ".join(f"{d.predecessor.key}+{d.lag_days}d" for d in phase.predecessors.all())
        if phase.kind == SopPhase.Kind.FIXED:
            crew = ", ".join(f"{c.count}× {c.role.name}" for c in phase.crew.all())
            work = f"fixed {phase.fixed_days} days, crew {crew}, {phase.hours_per_day} h/day"
        else:
            work = (
                f"{phase.role.name if phase.role else '—'}: {phase.effort_low}/"
                f"{phase.effort_likely}/{phase.effort_high} h"
            )
            if phase.effort_per_unit_likely:
                work += (
                    f" + {phase.effort_per_unit_low}/{phase.effort_per_unit_likely}/"
                    f"{phase.effort_per_unit_high} h per unit"
                )
            work += f", up to {phase.max_people} people"
        lines.append(
            f"Phase {phase.key} “{phase.name}”: {work}" + (f"; after {after}" if after else "")
        )
    return lines


def sop_version_diff(*, older: SopVersion, newer: SopVersion) -> list[tuple[str, str]]:
    """Unified diff lines between two versions' canonical texts, as (kind, text) pairs."""
    import difflib

    kinds = []
    for line in difflib.unified_diff(
        sop_version_text(sop_version=older),
        sop_version_text(sop_version=newer),
        fromfile=f"v{older.version}",
        tofile=f"v{newer.version}",
        lineterm="",
    ):
        if line.startswith(("---", "+++")):
            kind = "file"
        elif line.startswith("@@"):
            kind = "hunk"
        elif line.startswith("+"):
            kind = "add"
        elif line.startswith("-"):
            kind = "del"
        else:
            kind = "same"
        kinds.append((kind, line))
    return kinds
