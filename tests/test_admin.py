from __future__ import annotations

import pytest
from django.contrib import admin
from django.urls import reverse

from promisekeeper.demo.seed import demo_company_create

pytestmark = pytest.mark.django_db

OUR_APPS = {"organisation", "people", "catalog", "sales", "delivery", "api"}
MODELS = sorted(
    (model._meta.app_label, model._meta.model_name)
    for model in admin.site._registry
    if model._meta.app_label in OUR_APPS
)


def test_every_model_of_our_apps_is_in_the_admin():
    from django.apps import apps

    ours = {
        (model._meta.app_label, model._meta.model_name)
        for model in apps.get_models()
        if model._meta.app_label in OUR_APPS
    }
    assert ours == set(MODELS)


def test_admin_changelist_add_and_change_pages_load_for_every_model(client, superuser):
    demo_company_create(seed=1, size="S")
    client.force_login(superuser)
    failures = []
    for app_label, model_name in MODELS:
        model = next(m for m in admin.site._registry if m._meta.model_name == model_name)
        urls = [reverse(f"admin:{app_label}_{model_name}_changelist")]
        if admin.site._registry[model].has_add_permission(client.get("/").wsgi_request):
            urls.append(reverse(f"admin:{app_label}_{model_name}_add"))
        obj = model.objects.first()
        if obj is not None:
            urls.append(reverse(f"admin:{app_label}_{model_name}_change", args=[obj.pk]))
        failures += [
            (url, status) for url in urls if (status := client.get(url).status_code) != 200
        ]
    assert failures == []


def test_admin_requires_staff(client, sales_user):
    client.force_login(sales_user)
    response = client.get(reverse("admin:people_person_changelist"))
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def test_sop_version_used_by_a_project_is_read_only_in_the_admin(client, superuser):
    from tests.factories import ProjectFactory, SopPhaseFactory

    used = SopPhaseFactory()
    ProjectFactory(sop_version=used.sop_version)
    unused = SopPhaseFactory()
    client.force_login(superuser)

    response = client.post(
        reverse("admin:catalog_sopversion_change", args=[used.sop_version.pk]), {"notes": "edit"}
    )
    assert response.status_code == 403
    page = client.get(reverse("admin:catalog_sopphase_change", args=[used.pk])).content.decode()
    assert 'name="_save"' not in page
    page = client.get(reverse("admin:catalog_sopphase_change", args=[unused.pk])).content.decode()
    assert 'name="_save"' in page


def test_admin_edits_that_change_plans_bump_the_ledger_so_no_cached_answer_outlives_them(
    client, superuser, sales_user
):
    from promisekeeper.catalog.models import Offering
    from promisekeeper.organisation.selectors import ledger_version_get
    from promisekeeper.people.models import TimeOff
    from promisekeeper.promising.errors import QuoteInputError
    from promisekeeper.promising.lines import QuoteLine
    from promisekeeper.promising.quote import quote_check

    demo_company_create(seed=1, size="S")
    offering = Offering.objects.filter(active=True, sop_versions__isnull=False).first()
    line = [QuoteLine(quantity=1, offering_id=offering.pk)]
    ask = dict(user=sales_user, customer=None, deal=None, lines=line, wanted_date=None)
    assert quote_check(**ask).p80_date is not None  # cached: snapshot, memo and answer
    client.force_login(superuser)
    before = ledger_version_get()

    change = reverse("admin:catalog_offering_change", args=[offering.pk])
    response = client.post(change, {"name": offering.name, "description": "", "active": ""})
    assert response.status_code == 302
    assert ledger_version_get() == before + 1
    with pytest.raises(QuoteInputError, match="no such offering on sale"):
        quote_check(**ask)

    time_off = TimeOff.objects.first()
    response = client.post(
        reverse("admin:people_timeoff_changelist"),
        {"action": "delete_selected", "_selected_action": [time_off.pk], "post": "yes"},
    )
    assert response.status_code == 302
    assert not TimeOff.objects.filter(pk=time_off.pk).exists()
    assert ledger_version_get() == before + 2
