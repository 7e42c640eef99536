from __future__ import annotations

import pytest
from django.urls import reverse

from promisekeeper.organisation.services import group_permissions_sync
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _staff_in(group_name: str):
    groups = group_permissions_sync()
    user = UserFactory(is_staff=True)
    user.groups.add(groups[group_name])
    return user


def test_operations_manages_projects_and_people_but_only_views_deals(client):
    client.force_login(_staff_in("operations"))
    assert client.get(reverse("admin:delivery_project_changelist")).status_code == 200
    assert client.get(reverse("admin:people_person_add")).status_code == 200
    assert client.get(reverse("admin:sales_deal_changelist")).status_code == 200
    assert client.get(reverse("admin:sales_deal_add")).status_code == 403


def test_sales_manages_deals_but_only_views_people(client):
    client.force_login(_staff_in("sales"))
    assert client.get(reverse("admin:sales_deal_add")).status_code == 200
    assert client.get(reverse("admin:people_person_changelist")).status_code == 200
    assert client.get(reverse("admin:people_person_add")).status_code == 403


def test_sync_is_idempotent():
    first = group_permissions_sync()
    second = group_permissions_sync()
    assert {name: set(group.permissions.all()) for name, group in first.items()} == {
        name: set(group.permissions.all()) for name, group in second.items()
    }


def test_migrate_gives_the_groups_their_permissions():
    from django.contrib.auth.models import Group

    operations = Group.objects.get(name="operations")
    assert operations.permissions.filter(codename="change_project").exists()
    assert not operations.permissions.filter(codename="add_deal").exists()


def test_a_session_user_arrives_with_its_role_groups_in_one_query():
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from promisekeeper.organisation.auth import RoleAwareBackend
    from promisekeeper.organisation.permissions import can_quote, is_admin, is_operations, is_sales

    user = _staff_in("operations")
    with CaptureQueriesContext(connection) as queries:
        loaded = RoleAwareBackend().get_user(user.pk)
        roles = (is_sales(loaded), is_operations(loaded), is_admin(loaded), can_quote(loaded))
    assert roles == (False, True, False, True)
    assert len(queries.captured_queries) == 1

    user.groups.clear()
    assert not is_operations(RoleAwareBackend().get_user(user.pk))  # read afresh each request
    user.is_active = False
    user.save()
    assert RoleAwareBackend().get_user(user.pk) is None
    assert RoleAwareBackend().get_user(999_999) is None


def test_a_session_user_gets_only_its_role_groups_and_bad_ids_get_nobody():
    from django.contrib.auth.models import Group

    from promisekeeper.organisation.auth import RoleAwareBackend
    from promisekeeper.organisation.permissions import is_admin, is_operations, is_sales

    user = _staff_in("sales")
    user.groups.add(group_permissions_sync()["admin"], Group.objects.create(name="book club"))
    loaded = RoleAwareBackend().get_user(str(user.pk))  # sessions keep the id as text
    assert loaded.pk == user.pk and loaded.username == user.username
    assert loaded.password == user.password and loaded.is_staff
    assert loaded._promisekeeper_groups == frozenset({"sales", "admin"})
    assert is_sales(loaded) and is_admin(loaded) and is_operations(loaded)  # admin may all

    loner = UserFactory()
    assert RoleAwareBackend().get_user(loner.pk)._promisekeeper_groups == frozenset()
    assert RoleAwareBackend().get_user("not a number") is None
    assert RoleAwareBackend().get_user(None) is None
