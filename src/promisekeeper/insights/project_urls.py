"""The pages under ``delivery/``: the project pages live here because they show planned
work; the timesheet pages are delivery's own."""

from django.urls import path

from promisekeeper.delivery import checkin_views, timesheet_views
from promisekeeper.insights import phase_views
from promisekeeper.insights import project_views as views

app_name = "delivery"

urlpatterns = [
    path("projects/", views.projects, name="projects"),
    path("projects/<int:pk>/", views.project_detail, name="project_detail"),
    path("projects/<int:pk>/phases/", phase_views.project_phases, name="project_phases"),
    path("projects/<int:pk>/thanks/", views.project_thank, name="project_thank"),
    path("projects/<int:pk>/calendar.ics", views.project_calendar, name="project_calendar"),
    path("checkins/", checkin_views.checkins, name="checkins"),
    path("checkins/<int:pk>/done/", checkin_views.checkin_done, name="checkin_done"),
    path("checkins/<int:pk>/owner/", checkin_views.checkin_owner, name="checkin_owner"),
    path("timesheets/", timesheet_views.timesheets, name="timesheets"),
    path("timesheets/<int:person_pk>/", timesheet_views.timesheet, name="timesheet"),
    path("timesheets/import/", timesheet_views.timesheet_import, name="timesheet_import"),
    path(
        "timesheets/import/<int:pk>/",
        timesheet_views.timesheet_import_detail,
        name="timesheet_import_detail",
    ),
]
