from django.urls import path

from promisekeeper.insights import views

app_name = "insights"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
]
