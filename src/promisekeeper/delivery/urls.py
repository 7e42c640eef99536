from django.urls import path

from promisekeeper.delivery import views

app_name = "delivery"

urlpatterns = [
    path("projects/", views.projects, name="projects"),
    path("projects/<int:pk>/", views.project_detail, name="project_detail"),
    path("projects/<int:pk>/thanks/", views.project_thank, name="project_thank"),
    path("projects/<int:pk>/calendar.ics", views.project_calendar, name="project_calendar"),
]
