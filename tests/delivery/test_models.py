from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from promisekeeper.catalog.models import SopPhase, SopPhaseCrew
from promisekeeper.delivery.models import Project
from promisekeeper.delivery.selectors import project_list_delivered, project_list_open
from promisekeeper.delivery.services import project_create, project_phase_progress_set
from promisekeeper.organisation.selectors import ledger_version_get
from tests.factories import (
    TODAY,
    CustomerFactory,
    ProjectFactory,
    ProjectPhaseFactory,
    RoleFactory,
    SopPhaseFactory,
    SopVersionFactory,
)

pytestmark = pytest.mark.django_db


def _violates(factory, **fields) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        factory(**fields)


@pytest.mark.parametrize("progress", ["-0.01", "1.01"])
def test_progress_outside_zero_to_one_violates_constraint(progress):
    _violates(ProjectPhaseFactory, progress=Decimal(progress))


def test_delivered_project_needs_a_delivered_date():
    _violates(ProjectFactory, status=Project.Status.DELIVERED)


def test_delivery_before_release_violates_constraint():
    _violates(
        ProjectFactory,
        status=Project.Status.DELIVERED,
        delivered_date=TODAY - datetime.timedelta(days=1),
    )


def test_sop_version_in_use_cannot_be_deleted():
    project = ProjectFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        project.sop_version.delete()


def test_project_create_copies_phases_with_effort_for_quantity():
    sop = SopVersionFactory()
    SopPhaseFactory(
        sop_version=sop,
        key="design",
        effort_likely=Decimal(60),
        effort_high=Decimal(90),
        effort_per_unit_likely=Decimal(8),
        effort_per_unit_high=Decimal(12),
    )
    install = SopPhaseFactory(
        sop_version=sop, key="install", kind=SopPhase.Kind.FIXED, role=None, fixed_days=3, order=1
    )
    SopPhaseCrew.objects.create(phase=install, role=RoleFactory(name="installer"), count=2)
    customer = CustomerFactory()
    version = ledger_version_get()
    project = project_create(
        name="Site", customer=customer, sop_version=sop, release_date=TODAY, quantity=5
    )
    design, fixed = project.phases.order_by("order")
    assert design.effort_estimated_hours == Decimal(100)
    assert fixed.crew == [{"role": "installer", "count": 2}]
    assert fixed.fixed_days == 3
    assert ledger_version_get() > version


def test_progress_service_rejects_more_than_done():
    phase = ProjectPhaseFactory()
    with pytest.raises(ValidationError):
        project_phase_progress_set(phase=phase, progress=Decimal("1.5"))
    version = ledger_version_get()
    project_phase_progress_set(phase=phase, progress=Decimal("0.5"))
    phase.refresh_from_db()
    assert phase.progress == Decimal("0.5")
    assert ledger_version_get() == version + 1


def test_open_and_delivered_selectors_split_by_status():
    open_project = ProjectFactory(status=Project.Status.IN_DELIVERY)
    delivered = ProjectFactory(status=Project.Status.DELIVERED, delivered_date=TODAY)
    ProjectFactory(status=Project.Status.CANCELLED)
    assert list(project_list_open()) == [open_project]
    assert list(project_list_delivered()) == [delivered]
