from django.urls import path

from promisekeeper.people import views

app_name = "people"

urlpatterns = [
    path("", views.people, name="people"),
    path("new/", views.person_new, name="person_new"),
    path("<int:pk>/", views.person_detail, name="person_detail"),
    path("<int:pk>/calendar.ics", views.person_calendar, name="person_calendar"),
]
