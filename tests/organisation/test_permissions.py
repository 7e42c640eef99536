from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser, Group, User
from django.urls import reverse

from promisekeeper.organisation.permissions import can_quote, is_admin, is_operations, is_sales
from promisekeeper.organisation.services import group_permissions_sync
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _staff_in(group_name: str):
    groups = group_permissions_sync()
    user = UserFactory(is_staff=True)
    user.groups.add(groups[group_name])
    return user


@pytest.mark.parametrize("group_name", ["sales", "operations"])
def test_staff_status_without_the_admin_role_does_not_open_the_admin(client, group_name):
    client.force_login(_staff_in(group_name))
    response = client.get(reverse("admin:delivery_project_changelist"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


def test_the_admin_group_opens_the_admin_without_staff_status(client):
    groups = group_permissions_sync()
    user = UserFactory(is_staff=False)
    user.groups.add(groups["admin"])
    client.force_login(user)
    assert client.get(reverse("admin:people_person_add")).status_code == 200


def test_the_sales_group_holds_no_change_rights():
    sales = group_permissions_sync()["sales"]
    codenames = set(sales.permissions.values_list("codename", flat=True))
    assert "view_deal" in codenames
    assert not {c for c in codenames if not c.startswith("view_")}


def test_sync_is_idempotent():
    first = group_permissions_sync()
    second = group_permissions_sync()
    assert {name: set(group.permissions.all()) for name, group in first.items()} == {
        name: set(group.permissions.all()) for name, group in second.items()
    }


def test_migrate_gives_the_groups_their_permissions():
    operations = Group.objects.get(name="operations")
    assert operations.permissions.filter(codename="change_project").exists()
    assert not operations.permissions.filter(codename="add_deal").exists()


def test_a_page_reads_the_users_roles_once(client, django_assert_max_num_queries):
    client.force_login(_staff_in("operations"))
    # session, user, role groups, offerings, notifications: the nav asks the roles three times
    with django_assert_max_num_queries(5) as captured:
        response = client.get(reverse("catalog:offerings"))
    assert response.status_code == 200
    assert reverse("promising:exceptions") in response.content.decode()  # operations' link
    group_table = f'"{Group._meta.db_table}"'
    assert sum(group_table in query["sql"] for query in captured.captured_queries) == 1


def test_a_role_taken_away_is_gone_on_the_next_request(client):
    user = _staff_in("operations")
    client.force_login(user)
    assert (
        reverse("promising:exceptions") in client.get(reverse("catalog:offerings")).content.decode()
    )
    user.groups.clear()
    response = client.get(reverse("catalog:offerings"))
    assert response.status_code == 403  # without a role nothing is readable
    assert reverse("promising:exceptions") not in response.content.decode()


def test_only_the_role_groups_give_roles_and_admin_gives_them_all():
    groups = group_permissions_sync()
    user = UserFactory()
    user.groups.add(groups["sales"], Group.objects.create(name="book club"))
    loaded = User.objects.get(pk=user.pk)
    assert (is_sales(loaded), is_operations(loaded), is_admin(loaded)) == (True, False, False)
    assert can_quote(loaded)

    user.groups.add(groups["admin"])
    loaded = User.objects.get(pk=user.pk)
    assert is_sales(loaded) and is_operations(loaded) and is_admin(loaded)
    assert not can_quote(UserFactory()) and not can_quote(AnonymousUser())


def test_an_inactive_user_has_no_roles():
    user = _staff_in("admin")
    user.is_active = False
    user.save()
    loaded = User.objects.get(pk=user.pk)
    assert not (is_sales(loaded) or is_operations(loaded) or is_admin(loaded))
