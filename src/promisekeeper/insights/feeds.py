"""Calendar feeds for calendar apps: a secret link per user, and what each feed holds.

A calendar app cannot sign in, so each user may have one secret (``CalendarFeedToken``); the
feed URLs carry it, and a feed shows what that user may see at the time it is read, with the
same read rules as the pages (``organisation.permissions``). Only the secret's SHA-256 digest
is stored: the links are shown once, when issued. Issuing again or revoking ends the old ones.
"""

from __future__ import annotations

import datetime
import hashlib
import secrets

from django.contrib.auth.models import AbstractBaseUser, User
from django.db import transaction
from icalendar import Calendar

from promisekeeper.delivery.checkins import checkins_attended, internal_meeting_get
from promisekeeper.insights import exports
from promisekeeper.insights.models import CalendarFeedToken
from promisekeeper.insights.selectors.person_work import person_work_blocks
from promisekeeper.organisation.permissions import (
    AnyUser,
    Area,
    may_read,
    may_see_time_off_reason,
)
from promisekeeper.people.models import Person, Role

# Time off this far back stays in a feed, so last week's absences do not vanish at once.
PAST_DAYS = 90


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@transaction.atomic
def feed_token_issue(*, user: AbstractBaseUser) -> str:
    """A new feed secret for ``user``, replacing (and so ending) any earlier one."""
    secret = secrets.token_urlsafe(32)
    CalendarFeedToken.objects.filter(user_id=user.pk).delete()
    token = CalendarFeedToken(user_id=user.pk, digest=_digest(secret))
    token.full_clean()
    token.save()
    return secret


def feed_token_revoke(*, user: AbstractBaseUser) -> bool:
    """End ``user``'s feed links; whether there were any."""
    deleted, _ = CalendarFeedToken.objects.filter(user_id=user.pk).delete()
    return bool(deleted)


def feed_token_get(*, user: AnyUser) -> CalendarFeedToken | None:
    return CalendarFeedToken.objects.filter(user_id=user.pk or 0).first()


def feed_user_get(*, secret: str) -> User | None:
    """The active user whose feed secret this is, or None (unknown, revoked or deactivated)."""
    if not secret or len(secret) > 100:
        return None
    token = (
        CalendarFeedToken.objects.select_related("user")
        .filter(digest=_digest(secret), user__is_active=True)
        .first()
    )
    return token.user if token else None  # type: ignore[return-value]


def _time_off_add(calendar: Calendar, *, user: User, person: Person, today: datetime.date) -> None:
    """The person's time off that has not long ended, with the reason only for those who
    may know it (operations, and the person)."""
    since = today - datetime.timedelta(days=PAST_DAYS)
    show_reasons = may_see_time_off_reason(user, person.user_id)
    for off in person.time_off.all():
        if off.end_date >= since:
            calendar.add_component(
                exports.time_off_event(person=person, off=off, show_reasons=show_reasons)
            )


def person_feed(*, user: User, today: datetime.date) -> Calendar:
    """The user's own calendar: the check-ins they own or, for operations, attend (while
    they may read projects) and, when a person is linked to the
    account, their planned work and time off (with the reason: it is their own)."""
    calendar = exports.calendar_new(f"{user.get_username()}: Promisekeeper")
    meeting = internal_meeting_get()
    for checkin in checkins_attended(user=user) if may_read(user, Area.PROJECTS) else ():
        calendar.add_component(
            exports.checkin_event(checkin=checkin, project=checkin.project, meeting=meeting)
        )
    person = Person.objects.filter(user=user).first()
    if person is not None:
        for block in person_work_blocks(person_pk=person.pk):
            calendar.add_component(exports.work_block_event(person=person, block=block))
        _time_off_add(calendar, user=user, person=person, today=today)
    return calendar


def team_feed(*, user: User, role: Role, today: datetime.date) -> Calendar:
    """Who in ``role`` is away, and when; why only for those who may know (operations, and
    each person about themselves); each person's planned work only for readers of people."""
    calendar = exports.calendar_new(f"{role.name}: team")
    people = (
        Person.objects.filter(skills__role=role)
        .exclude(end_date__lt=today)
        .prefetch_related("time_off")
        .distinct()
        .order_by("name")
    )
    with_work = may_read(user, Area.PEOPLE)
    for person in people:
        _time_off_add(calendar, user=user, person=person, today=today)
        if with_work:
            for block in person_work_blocks(person_pk=person.pk):
                calendar.add_component(exports.work_block_event(person=person, block=block))
    return calendar
