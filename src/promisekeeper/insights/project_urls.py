"""The delivery project pages (under ``delivery/``); they live here because they show
planned work."""

from django.urls import path

from promisekeeper.insights import project_views as views

app_name = "delivery"

urlpatterns = [
    path("projects/", views.projects, name="projects"),
    path("projects/<int:pk>/", views.project_detail, name="project_detail"),
    path("projects/<int:pk>/thanks/", views.project_thank, name="project_thank"),
    path("projects/<int:pk>/calendar.ics", views.project_calendar, name="project_calendar"),
]
