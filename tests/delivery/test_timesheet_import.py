"""Importing a time tracker's CSV through HTTP: dry run, apply, import again."""

# ruff: noqa: F811  (pytest injects the imported `company` fixture by parameter name)

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from promisekeeper.delivery.models import ProjectPhase, TimesheetEntry, TimesheetImport
from promisekeeper.delivery.timesheets import EntryChange, timesheet_save
from tests.delivery.timesheet_world import company  # noqa: F401  (fixture)

pytestmark = pytest.mark.django_db


def _csv(company) -> str:
    d = company.day
    future = timezone.localdate() + datetime.timedelta(days=1)
    return "\n".join(
        [
            "Person email,Date,Project,Phase,Hours,Note",
            f"ada@example.com,{d(0)},Acme site,Build,7.5,Kick-off",  # 2 new
            f"ADA@example.com,{d(1)},acme site,build,2,Morning",  # 3 new (with 4)
            f"ada@example.com,{d(1)},Acme site,Build,1:30,Afternoon",  # 4 added to 3
            f"bob@example.com,{d(0)},Acme site,Build,4,",  # 5 update (was 3)
            f"bob@example.com,{d(1)},Acme site,Build,6,",  # 6 unchanged
            f"eve@example.com,{d(0)},Acme site,Build,1,",  # 7 unknown person
            "ada@example.com,02/03/2026,Acme site,Build,1,",  # 8 bad date
            f"ada@example.com,{d(2)},Beta site,Build,1,",  # 9 unknown project
            f"ada@example.com,{d(2)},Acme site,Paint,1,",  # 10 unknown phase
            f"ada@example.com,{d(2)},Acme site,Build,-1,",  # 11 negative
            f"ada@example.com,{d(2)},Acme site,Install,1,",  # 12 not qualified
            f"ada@example.com,{future},Acme site,Build,1,",  # 13 still to come
            f"bob@example.com,{d(3)},Acme site,Build,20,",  # 14 over 24 h with 15
            f"bob@example.com,{d(3)},Acme site,Build,5,",  # 15
        ]
    )


def _upload(client, text: str, name: str = "toggl.csv"):
    return client.post(
        reverse("delivery:timesheet_import"),
        {"file": SimpleUploadedFile(name, text.encode(), content_type="text/csv")},
    )


def _seed(company, ops_user) -> None:
    for day, minutes in ((0, 180), (1, 360)):
        timesheet_save(
            user=ops_user,
            changes=[EntryChange(company.bob, company.build, company.day(day), minutes)],
            today=timezone.localdate(),
        )


def _fates(response) -> dict[int, tuple[str, str | None, str]]:
    return {row.line: (row.fate, row.column, row.description) for row in response.context["rows"]}


def test_the_dry_run_gives_every_row_its_fate_and_writes_nothing(client, company, ops_user):
    _seed(company, ops_user)
    before = company.entries()
    client.force_login(ops_user)

    upload = _upload(client, _csv(company))
    assert upload.status_code == 302
    dry_run = client.get(upload["Location"])

    fates = _fates(dry_run)
    assert fates[2] == ("new", None, "Logs 7.5 h.")
    assert fates[3] == ("new", None, "Logs 3.5 h. In all with line 4: same person, day and phase.")
    assert fates[4] == ("new", None, "Logs 3.5 h. In all with line 3: same person, day and phase.")
    assert fates[5] == ("update", None, "Changes 3 h to 4 h.")
    assert fates[6] == ("unchanged", None, "Already logged: 6 h.")
    assert fates[7] == ("error", "person email", "Nobody here has the email eve@example.com.")
    assert fates[8][:2] == ("error", "date")
    assert fates[9] == ("error", "project", "There is no project called Beta site.")
    assert fates[10] == ("error", "phase", "Acme site has no phase Paint (Build, Install).")
    assert fates[11] == ("error", "hours", "Hours cannot be negative.")
    assert fates[12] == ("error", "phase", "Ada has no skill as installer, which Install needs.")
    assert fates[13][:2] == ("error", "date") and "still to come" in fates[13][2]
    assert fates[14][:2] == fates[15][:2] == ("error", "hours")
    assert "No more than 24 h in a day." in fates[14][2]
    page = dry_run.content.decode()
    assert "3 new" in page and "1 to update" in page and "9 with errors" in page
    assert "Nobody here has the email eve@example.com." in page
    assert company.entries() == before
    assert TimesheetImport.objects.get().applied_at is None


def test_applying_writes_the_good_rows_and_importing_again_changes_nothing(
    client, company, ops_user
):
    _seed(company, ops_user)
    client.force_login(ops_user)
    first = _upload(client, _csv(company))

    applied = client.post(first["Location"], follow=True)

    assert "Imported: 3 new, 1 updated, 1 unchanged; 9 rows with errors skipped." in (
        applied.content.decode()
    )
    assert company.entries() == [
        ("Ada", company.day(0), "Build", 450, "Kick-off"),
        ("Ada", company.day(1), "Build", 210, "Morning; Afternoon"),
        ("Bob", company.day(0), "Build", 240, ""),
        ("Bob", company.day(1), "Build", 360, ""),
    ]
    assert ProjectPhase.objects.get(pk=company.build.pk).effort_actual_hours == Decimal("21.00")
    assert TimesheetImport.objects.get().applied_at is not None
    stamps = list(TimesheetEntry.objects.order_by("pk").values_list("updated_at", flat=True))
    again = client.post(first["Location"], follow=True)
    assert "imported already" in again.content.decode()

    second = _upload(client, _csv(company))
    dry_run = client.get(second["Location"])
    fates = _fates(dry_run)
    assert {fates[n][0] for n in (2, 3, 4, 5, 6)} == {"unchanged"}
    assert {fates[n][0] for n in range(7, 16)} == {"error"}
    client.post(second["Location"])
    assert list(TimesheetEntry.objects.order_by("pk").values_list("updated_at", flat=True)) == (
        stamps
    )


def test_a_tracker_export_with_its_own_headings_and_semicolons_is_read(client, company, ops_user):
    client.force_login(ops_user)
    text = "\n".join(
        [
            "User;Email;Project;Task;Description;Start date;Duration",
            f"Ada;ada@example.com;Acme site;Build;Review;{company.day(4)};01:30:00",
        ]
    )
    dry_run = client.get(_upload(client, text)["Location"])
    assert _fates(dry_run) == {2: ("new", None, "Logs 1.5 h.")}


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"person email,date,project,hours\n", "no column for phase"),
        ("Date;Projekt\n".encode("utf-16"), "not UTF-8"),
        (b"", "empty"),
    ],
)
def test_a_file_that_is_not_a_timesheet_is_refused_saying_why(client, ops_user, content, message):
    client.force_login(ops_user)
    response = client.post(
        reverse("delivery:timesheet_import"),
        {"file": SimpleUploadedFile("x.csv", content, content_type="text/csv")},
    )
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not TimesheetImport.objects.exists()


def test_only_operations_import_hours(client, company, sales_user):
    client.force_login(company.ada.user)
    assert _upload(client, _csv(company)).status_code == 403
    client.force_login(sales_user)
    assert _upload(client, _csv(company)).status_code == 403
    assert not TimesheetImport.objects.exists()


def test_a_file_without_notes_keeps_the_notes_logged(client, company, ops_user):
    timesheet_save(
        user=ops_user,
        changes=[EntryChange(company.ada, company.build, company.day(0), 120, "Pairing")],
        today=timezone.localdate(),
    )
    client.force_login(ops_user)
    text = f"person email,date,project,phase,hours\nada@example.com,{company.day(0)},Acme site,Build,3\n"
    client.post(_upload(client, text)["Location"])
    assert company.entries() == [("Ada", company.day(0), "Build", 180, "Pairing")]
