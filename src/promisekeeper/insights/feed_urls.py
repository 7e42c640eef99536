"""Calendar feeds by secret link, under ``calendar/``, and the page that manages the link."""

from django.urls import path

from promisekeeper.insights import feed_views as views

app_name = "feeds"

urlpatterns = [
    path("", views.calendar_feeds, name="calendar_feeds"),
    path("<str:secret>/person.ics", views.feed_person, name="person"),
    path("<str:secret>/project/<int:pk>.ics", views.feed_project, name="project"),
    path("<str:secret>/team/<int:role_pk>.ics", views.feed_team, name="team"),
]
