"""The people pages (under ``people/``); they live here because they show planned work."""

from django.urls import path

from promisekeeper.insights import people_views as views

app_name = "people"

urlpatterns = [
    path("", views.people, name="people"),
    path("new/", views.person_new, name="person_new"),
    path("<int:pk>/", views.person_detail, name="person_detail"),
    path("<int:pk>/calendar.ics", views.person_calendar, name="person_calendar"),
]
