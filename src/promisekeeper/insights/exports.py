"""CSV tables and iCalendar renderings of the lists, the heatmap and the plan.

Tables are (header, rows) pairs (``organisation.http.Table``) so a page and its CSV show the
same columns; calendars are all-day events because the plan is in whole days.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Sequence
from typing import Any

from django.http import HttpResponse
from django.utils import timezone
from icalendar import Calendar, Event

from promisekeeper.delivery.checkins import InternalMeeting, checkin_attendees, internal_meeting_get
from promisekeeper.delivery.models import CheckIn
from promisekeeper.insights.selectors.heatmap import HeatRow
from promisekeeper.insights.selectors.risk import AtRiskRow
from promisekeeper.organisation.http import Table


def heatmap_table(rows: Sequence[HeatRow], weeks: Sequence[datetime.date]) -> Table:
    """One line per row and week: capacity, committed+held load, pipeline load and ratios."""
    header = [
        "row",
        "label",
        "week_start",
        "capacity_hours",
        "committed_held_hours",
        "pipeline_hours",
        "load_pct",
        "pipeline_pct",
    ]
    lines = []
    for row in rows:
        for i, week in enumerate(weeks):
            ratio = row.ratios[i]
            pipe = row.pipeline_ratios[i]
            lines.append(
                [
                    row.key,
                    row.label.lstrip("· "),
                    week.isoformat(),
                    row.capacity[i],
                    row.load[i],
                    row.pipeline[i],
                    None if ratio is None else round(ratio * 100, 1),
                    None if pipe is None else round(pipe * 100, 1),
                ]
            )
    return header, lines


def at_risk_table(rows: Sequence[AtRiskRow]) -> Table:
    header = [
        "project_id",
        "project",
        "customer",
        "status",
        "planned_finish",
        "promised",
        "slack_days",
        "reason",
    ]
    return header, [
        [
            r.project.pk,
            r.project.name,
            r.customer,
            r.project.status,
            r.project.finish.isoformat() if r.project.finish else None,
            r.project.promised.isoformat() if r.project.promised else None,
            r.project.slack_days,
            r.reason,
        ]
        for r in rows
    ]


def deal_table(deals: Sequence[Any]) -> Table:
    header = [
        "deal_id",
        "deal",
        "customer",
        "stage",
        "win_probability",
        "wanted_date",
        "owner",
        "created",
    ]
    return header, [
        [
            d.pk,
            d.name,
            d.customer.name,
            d.stage,
            d.win_probability,
            d.wanted_date.isoformat() if d.wanted_date else None,
            d.owner.get_username() if d.owner else None,
            d.created_at.date().isoformat(),
        ]
        for d in deals
    ]


# --------------------------------------------------------------------------- iCalendar


def calendar_new(name: str) -> Calendar:
    calendar = Calendar()
    calendar.add("prodid", "-//Promisekeeper//plan//EN")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", name)
    return calendar


def all_day_event(
    *, uid: str, summary: str, start: datetime.date, end: datetime.date, description: str = ""
) -> Event:
    """An all-day event from ``start`` to ``end`` inclusive (iCalendar's DTEND is exclusive)."""
    event = Event()
    event.add("uid", f"{uid}@promisekeeper")
    event.add("dtstamp", timezone.now())
    event.add("summary", summary)
    event.add("dtstart", start)
    event.add("dtend", end + datetime.timedelta(days=1))
    if description:
        event.add("description", description)
    return event


def ical_response(calendar: Calendar, filename: str) -> HttpResponse:
    response = HttpResponse(calendar.to_ical(), content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    return response


def checkin_event(*, checkin: Any, project: Any, meeting: InternalMeeting) -> Event:
    """A check-in as an event: with whom, on which project, by which channel, who takes
    part. A customer check-in is all day (the time is agreed with the customer); a
    sales–operations one is at the organisation's set time (``meeting``)."""
    sop = project.sop_version
    channels = sop.checkin_channels or sop.communication_channels or "agreed channel"
    done = " (done)" if checkin.done_at else ""
    who = checkin_attendees(checkin)
    if checkin.kind != CheckIn.Kind.INTERNAL:
        return all_day_event(
            uid=f"project-{project.pk}-checkin-{checkin.pk}",
            summary=f"Check-in with {project.customer.name}: {project.name}{done}",
            start=checkin.due_date,
            end=checkin.due_date,
            description=f"Every {sop.checkin_cadence_days} days by {channels}. Owner: {who}.",
        )
    every = sop.internal_checkin_cadence_days
    cadence = f"Every {every} days" if every else "The working day before each customer check-in"
    event = Event()
    event.add("uid", f"project-{project.pk}-checkin-{checkin.pk}@promisekeeper")
    event.add("dtstamp", timezone.now())
    event.add("summary", f"Sales–operations check-in: {project.name}{done}")
    event.add("dtstart", meeting.starts(checkin.due_date))
    event.add("dtend", meeting.ends(checkin.due_date))
    event.add("description", f"{cadence}. Owner: {who}.")
    return event


def project_calendar(*, project: Any, plan: Any | None, today: datetime.date) -> Calendar:
    """A project's phases (planned, or actual once done), check-ins (on working days, as
    scheduled by ``delivery.checkins``) and promised date."""
    calendar = calendar_new(f"{project.name}")
    sop = project.sop_version
    for phase in project.phases.all():
        if phase.actual_start and (phase.actual_end or phase.progress >= 1):
            end = phase.actual_end or phase.actual_start
            calendar.add_component(
                all_day_event(
                    uid=f"project-{project.pk}-phase-{phase.key}",
                    summary=f"{project.name}: {phase.name} (done)",
                    start=phase.actual_start,
                    end=end,
                    description=f"Role: {phase.role or 'crew'}",
                )
            )
    if plan is not None:
        for phase in plan.phases:
            calendar.add_component(
                all_day_event(
                    uid=f"project-{project.pk}-phase-{phase.key}-planned",
                    summary=f"{project.name}: {phase.name}",
                    start=phase.start,
                    end=phase.end,
                    description=f"Planned. Role: {phase.role}",
                )
            )
    meeting = internal_meeting_get()
    for checkin in project.checkins.select_related("owner"):
        calendar.add_component(checkin_event(checkin=checkin, project=project, meeting=meeting))
    if project.promised_date:
        calendar.add_component(
            all_day_event(
                uid=f"project-{project.pk}-promised",
                summary=f"Promised delivery: {project.name}",
                start=project.promised_date,
                end=project.promised_date,
                description=f"Deliverables: {sop.deliverables}" if sop.deliverables else "",
            )
        )
    return calendar


def project_table(projects: Iterable[Any]) -> Table:
    header = [
        "project_id",
        "project",
        "customer",
        "offering",
        "status",
        "release",
        "promised",
        "delivered",
        "sales_owner",
    ]
    return header, [
        [
            p.pk,
            p.name,
            p.customer.name,
            p.sop_version.offering.name,
            p.status,
            p.release_date.isoformat(),
            p.promised_date.isoformat() if p.promised_date else None,
            p.delivered_date.isoformat() if p.delivered_date else None,
            p.sales_owner.get_username() if p.sales_owner else None,
        ]
        for p in projects
    ]


def person_calendar(
    *, person: Any, blocks: Iterable[Any], time_off: Iterable[Any], show_reasons: bool
) -> Calendar:
    """A person's planned work blocks and time off (why they are away only if ``show_reasons``)."""
    calendar = calendar_new(f"{person.name}: plan")
    for block in blocks:
        calendar.add_component(work_block_event(person=person, block=block))
    for off in time_off:
        calendar.add_component(time_off_event(person=person, off=off, show_reasons=show_reasons))
    return calendar


def work_block_event(*, person: Any, block: Any) -> Event:
    return all_day_event(
        uid=f"person-{person.pk}-{block.ref_kind}-{block.pk}-{block.phase_name}-{block.start:%Y%m%d}",
        summary=f"{block.project_name}: {block.phase_name}",
        start=block.start,
        end=block.end,
        description=f"{block.hours} h planned" + (" (tentative)" if block.tentative else ""),
    )


def time_off_event(*, person: Any, off: Any, show_reasons: bool) -> Event:
    return all_day_event(
        uid=f"person-{person.pk}-timeoff-{off.pk}",
        summary=f"{person.name}: {_time_off_label(off, show_reasons)}",
        start=off.start_date,
        end=off.end_date,
    )


def _time_off_label(off: Any, show_reasons: bool) -> str:
    """ "Sick (approved)" for those who may know why, "Away (approved)" for everyone else."""
    reason = off.get_kind_display() if show_reasons else "Away"
    return f"{reason} ({off.get_status_display().lower()})"


def person_table(people: Iterable[Any], roles: Sequence[str]) -> Table:
    header = ["person_id", "name", "team", "weekly_hours", "delivery_share", "start", "end", *roles]
    lines = []
    for p in people:
        skills = {s.role.name: s.efficiency for s in p.skills.all()}
        lines.append(
            [
                p.pk,
                p.name,
                p.team.name if p.team else None,
                sum(p.weekly_hours),
                p.delivery_share,
                p.start_date.isoformat(),
                p.end_date.isoformat() if p.end_date else None,
                *[skills.get(role) for role in roles],
            ]
        )
    return header, lines
