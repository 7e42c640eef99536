"""Top-level URLs: the admin, login/logout, the JSON API and the app pages."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.templatetags.static import static
from django.urls import include, path
from django.views.generic import RedirectView

from promisekeeper.api.api import api

urlpatterns = [
    path("favicon.ico", RedirectView.as_view(url=static("promisekeeper/favicon.svg"))),
    path("admin/", admin.site.urls),
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("api/", api.urls),
    path("sales/", include("promisekeeper.promising.urls")),
    path("people/", include("promisekeeper.insights.people_urls")),
    path("catalog/", include("promisekeeper.catalog.urls")),
    path("delivery/", include("promisekeeper.insights.project_urls")),
    path("calendar/", include("promisekeeper.insights.feed_urls")),
    path("", include("promisekeeper.insights.urls")),
]
