"""Writes about projects; those that change committed capacity bump the ledger."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.exceptions import ValidationError
from django.db import transaction

from promisekeeper.catalog.models import SopVersion
from promisekeeper.delivery.models import Project, ProjectPhase, ThankYouNote
from promisekeeper.sales.models import Customer, Deal


@transaction.atomic
def project_create(
    *,
    name: str,
    customer: Customer,
    sop_version: SopVersion,
    release_date: datetime.date,
    quantity: int = 1,
    promised_date: datetime.date | None = None,
    status: str = Project.Status.COMMITTED,
    deal: Deal | None = None,
    priority: int = 0,
) -> Project:
    """Create a project and copy its SOP's phases with likely effort for the quantity."""
    project = Project(
        name=name,
        customer=customer,
        sop_version=sop_version,
        release_date=release_date,
        quantity=quantity,
        promised_date=promised_date,
        status=status,
        deal=deal,
        priority=priority,
    )
    project.full_clean()
    project.save()
    for phase in sop_version.phases.prefetch_related("crew__role").order_by("order"):
        ProjectPhase.objects.create(
            project=project,
            sop_phase=phase,
            key=phase.key,
            name=phase.name,
            order=phase.order,
            kind=phase.kind,
            role=phase.role,
            effort_estimated_hours=phase.effort_for(quantity).likely,
            fixed_days=phase.fixed_days,
            crew=[{"role": crew.role.name, "count": crew.count} for crew in phase.crew.all()],
            hours_per_day=phase.hours_per_day,
        )
    return project


@transaction.atomic
def project_phase_progress_set(*, phase: ProjectPhase, progress: Decimal) -> ProjectPhase:
    """Record progress (0–1) on a phase; validated, bumps the ledger."""
    phase.progress = progress
    phase.full_clean()
    phase.save(update_fields=["progress"])
    return phase


@transaction.atomic
def thank_you_note_create(
    *, project: Project, author: AbstractBaseUser | AnonymousUser | None, text: str
) -> ThankYouNote:
    """Thank the people behind a delivered project; only delivered projects can be thanked."""
    if project.status != Project.Status.DELIVERED:
        raise ValidationError({"project": "Only delivered projects can be thanked."})
    note = ThankYouNote(
        project=project,
        author_id=author.pk if author is not None and author.is_authenticated else None,
        text=text.strip(),
    )
    note.full_clean()
    note.save()
    return note
