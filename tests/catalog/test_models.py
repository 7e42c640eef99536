from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import UniqueConstraint

from promisekeeper.catalog.models import SopDependency, SopPhase, SopPhaseCrew
from promisekeeper.catalog.selectors import sop_version_is_used, sop_version_latest
from promisekeeper.catalog.services import (
    incoming_supply_create,
    offering_create,
    sop_dependency_add,
    sop_phase_add,
    sop_version_create,
)
from tests.factories import (
    TODAY,
    ProductFactory,
    ProjectFactory,
    RoleFactory,
    SopPhaseFactory,
    SopVersionFactory,
)

pytestmark = pytest.mark.django_db


def _violates(constraint: str, factory, **fields) -> None:
    """Creating the row fails on exactly ``constraint`` (SQLite names a unique constraint by
    its columns, so those stand in for its name there)."""
    model = factory._meta.model
    with pytest.raises(IntegrityError) as failed, transaction.atomic():
        factory(**fields)
    assert _names_constraint(str(failed.value), model, constraint), str(failed.value)


def _names_constraint(message: str, model, name: str) -> bool:
    if name in message:
        return True
    unique = next((c for c in model._meta.constraints if c.name == name), None)
    if not isinstance(unique, UniqueConstraint):
        return False
    columns = [model._meta.get_field(f).column for f in unique.fields]
    return ", ".join(f"{model._meta.db_table}.{c}" for c in columns) in message


def test_effort_range_must_be_ordered_low_likely_high():
    _violates(
        "sop_phase_effort_ordered",
        SopPhaseFactory,
        effort_low=Decimal(20),
        effort_likely=Decimal(10),
    )


def test_effort_phase_needs_a_role():
    _violates("sop_phase_effort_needs_role", SopPhaseFactory, role=None)


def test_fixed_phase_needs_days():
    _violates(
        "sop_phase_fixed_needs_days",
        SopPhaseFactory,
        kind=SopPhase.Kind.FIXED,
        role=None,
        fixed_days=0,
    )


def test_fixed_phase_with_days_and_no_role_is_allowed():
    assert SopPhaseFactory(kind=SopPhase.Kind.FIXED, role=None, fixed_days=3).pk


def test_sop_version_numbers_are_unique_per_offering():
    sop = SopVersionFactory()
    _violates("sop_version_unique", SopVersionFactory, offering=sop.offering, version=1)


def test_phase_cannot_depend_on_itself():
    phase = SopPhaseFactory()
    with pytest.raises(IntegrityError, match="sop_dependency_not_self"), transaction.atomic():
        SopDependency.objects.create(phase=phase, predecessor=phase)


def test_stock_cannot_go_negative():
    _violates("product_stock_gte_0", ProductFactory, stock_on_hand=-1)


def test_incoming_supply_needs_positive_quantity():
    product = ProductFactory()
    with pytest.raises(ValidationError):
        incoming_supply_create(product=product, date=TODAY, quantity=0)
    assert incoming_supply_create(product=product, date=TODAY, quantity=5).pk


def _sop_with_phases():
    offering = offering_create(name="Website build")
    sop = sop_version_create(offering=offering, notes="first")
    designer = RoleFactory(name="designer")
    installer = RoleFactory(name="installer")
    design = sop_phase_add(
        sop_version=sop,
        key="design",
        name="Design",
        role=designer,
        effort_low=Decimal(40),
        effort_likely=Decimal(60),
        effort_high=Decimal(90),
        effort_per_unit_likely=Decimal(8),
        effort_per_unit_high=Decimal(12),
    )
    install = sop_phase_add(
        sop_version=sop,
        key="install",
        name="Install",
        kind=SopPhase.Kind.FIXED,
        fixed_days=3,
        order=1,
    )
    SopPhaseCrew.objects.create(phase=install, role=installer, count=2)
    sop_dependency_add(phase=install, predecessor=design, lag_days=5)
    return offering, sop


def test_new_sop_version_copies_phases_crews_and_dependencies():
    offering, first = _sop_with_phases()
    second = sop_version_create(offering=offering, copy_from=first, notes="faster")
    assert second.version == 2
    assert sop_version_latest(offering=offering) == second
    assert list(second.phases.values_list("key", flat=True)) == ["design", "install"]
    install = second.phases.get(key="install")
    assert install.crew.get().count == 2
    dependency = install.predecessors.get()
    assert dependency.predecessor.sop_version == second
    assert dependency.lag_days == 5
    assert first.phases.count() == 2, "the source version is untouched"


def test_sop_version_used_by_a_project_cannot_gain_phases():
    _, sop = _sop_with_phases()
    assert not sop_version_is_used(sop_version=sop)
    ProjectFactory(sop_version=sop)
    assert sop_version_is_used(sop_version=sop)
    with pytest.raises(ValidationError):
        sop_phase_add(sop_version=sop, key="extra", name="Extra", role=RoleFactory())


def test_dependency_across_sop_versions_is_rejected():
    a = SopPhaseFactory()
    b = SopPhaseFactory()
    with pytest.raises(ValidationError):
        sop_dependency_add(phase=a, predecessor=b)


def test_copy_from_another_offering_is_rejected():
    _, sop = _sop_with_phases()
    other = offering_create(name="Other")
    with pytest.raises(ValidationError):
        sop_version_create(offering=other, copy_from=sop)
