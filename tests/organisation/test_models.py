from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from promisekeeper.organisation.models import CompanyClosure, Ledger, OrganisationSettings
from promisekeeper.organisation.selectors import ledger_version_get
from promisekeeper.organisation.services import (
    company_closure_create,
    organisation_settings_update,
)

pytestmark = pytest.mark.django_db


def test_ledger_is_a_single_row():
    Ledger.objects.create()
    with pytest.raises(IntegrityError), transaction.atomic():
        Ledger.objects.create()


def test_organisation_settings_are_a_single_row():
    OrganisationSettings.objects.create(name="One")
    with pytest.raises(IntegrityError), transaction.atomic():
        OrganisationSettings.objects.create(name="Two")


def test_organisation_settings_update_creates_then_updates_and_bumps_ledger():
    organisation_settings_update(name="Acme", country="DE")
    organisation = organisation_settings_update(planning_horizon_days=1096)
    assert OrganisationSettings.objects.get().name == "Acme"
    assert organisation.planning_horizon_days == 1096
    assert ledger_version_get() == 2


@pytest.mark.parametrize("horizon", [0, 1097])
def test_planning_horizon_out_of_range_is_rejected(horizon):
    with pytest.raises(ValidationError):
        organisation_settings_update(name="Acme", planning_horizon_days=horizon)
    with pytest.raises(IntegrityError), transaction.atomic():
        OrganisationSettings.objects.create(name="Acme", planning_horizon_days=horizon)


def test_default_planning_policy():
    organisation = organisation_settings_update(name="Acme")
    assert organisation.planning_horizon_days == 548
    assert organisation.quote_confidence == "P80"
    assert organisation.working_weekdays == [0, 1, 2, 3, 4]


@pytest.mark.parametrize("weekdays", [[], [7], [1, 1], ["mon"]])
def test_invalid_working_weekdays_are_rejected(weekdays):
    with pytest.raises(ValidationError):
        organisation_settings_update(name="Acme", working_weekdays=weekdays)


def test_unknown_time_zone_is_rejected():
    with pytest.raises(ValidationError):
        organisation_settings_update(name="Acme", time_zone="Mars/Olympus")


def test_closure_ending_before_it_starts_violates_constraint():
    with pytest.raises(IntegrityError), transaction.atomic():
        CompanyClosure.objects.create(
            name="Backwards",
            start_date=datetime.date(2026, 1, 2),
            end_date=datetime.date(2026, 1, 1),
        )


def test_closure_service_validates_and_bumps_ledger():
    company_closure_create(
        name="Christmas", start_date=datetime.date(2026, 12, 24), end_date=datetime.date(2027, 1, 1)
    )
    assert ledger_version_get() == 1
    with pytest.raises(ValidationError):
        company_closure_create(
            name="", start_date=datetime.date(2026, 12, 24), end_date=datetime.date(2027, 1, 1)
        )


def test_settings_and_closures_edited_in_the_admin_bump_the_ledger():
    from django.contrib import admin

    from promisekeeper.organisation.admin import CompanyClosureAdmin, OrganisationSettingsAdmin

    organisation = organisation_settings_update(name="Acme")
    before = ledger_version_get()
    organisation.quote_confidence = "P95"
    OrganisationSettingsAdmin(OrganisationSettings, admin.site).save_model(
        None, organisation, None, True
    )
    closure = CompanyClosure(
        name="Summer", start_date=datetime.date(2027, 8, 2), end_date=datetime.date(2027, 8, 6)
    )
    closures = CompanyClosureAdmin(CompanyClosure, admin.site)
    closures.save_model(None, closure, None, False)
    closures.delete_model(None, closure)
    assert ledger_version_get() == before + 3
    assert OrganisationSettings.objects.get().quote_confidence == "P95"
