from __future__ import annotations

import pytest
from django.urls import reverse

from promisekeeper.organisation.demo import demo_company_create
from promisekeeper.organisation.permissions import is_admin, is_operations, is_sales

pytestmark = pytest.mark.django_db


def test_dashboard_requires_login(client):
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"] == "/login/?next=/"


def test_login_with_demo_account_lands_on_dashboard_with_counts(client):
    demo_company_create(seed=1, size="S")
    response = client.post(
        reverse("login"), {"username": "sales", "password": "promise-demo"}, follow=True
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "Northwind Digital &amp; Installations" in page
    assert response.context["summary"].people == 25
    assert response.context["summary"].open_projects == 25
    assert response.context["summary"].open_deals > 0
    assert "htmx" in page


def test_wrong_password_stays_on_login(client):
    demo_company_create(seed=1, size="S")
    response = client.post(reverse("login"), {"username": "sales", "password": "nope"})
    assert response.status_code == 200
    assert "didn't match" in response.content.decode()
    assert not response.wsgi_request.user.is_authenticated


def test_logout_is_a_post_and_ends_the_session(client, sales_user):
    client.force_login(sales_user)
    response = client.post(reverse("logout"))
    assert response.status_code == 302
    assert client.get("/").status_code == 302


def test_dashboard_without_organisation_still_renders(client, outsider):
    client.force_login(outsider)
    response = client.get("/")
    assert response.status_code == 200
    assert response.context["summary"].organisation_name == "Promisekeeper"


def test_group_helpers_follow_membership(sales_user, ops_user, outsider, superuser):
    assert is_sales(sales_user) and not is_operations(sales_user)
    assert is_operations(ops_user) and not is_sales(ops_user)
    assert not (is_sales(outsider) or is_operations(outsider) or is_admin(outsider))
    assert is_sales(superuser) and is_operations(superuser) and is_admin(superuser)


def test_sales_sees_deals_link_and_ops_sees_projects_link(client, sales_user, ops_user):
    client.force_login(sales_user)
    page = client.get("/").content.decode()
    assert "Deals" in page and "Projects" not in page
    client.force_login(ops_user)
    page = client.get("/").content.decode()
    assert "Projects" in page and "Deals" not in page
