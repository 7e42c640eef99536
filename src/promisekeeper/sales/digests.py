"""The daily digest: one e-mail a day to each user who asked for it, listing the
notifications of the last day they have not read yet (alerts are sent on a change of state
only; the digest is for those who would rather read them once a day).

Nobody gets it unless they opt in on their notifications page; nothing is sent when there
is nothing new. ``digests_send`` is idempotent per day: the user's row is locked and marks
the day it was sent, so a job that runs twice (or two workers) sends it once.
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone

from promisekeeper.sales.models import Notification, NotificationDigest

logger = logging.getLogger(__name__)

DIGEST_WINDOW = datetime.timedelta(days=1)


def digest_daily_get(*, user: Any) -> bool:
    """Whether ``user`` asked for the daily digest."""
    return NotificationDigest.objects.filter(user=user, daily=True).exists()


def digest_daily_set(*, user: Any, daily: bool) -> NotificationDigest:
    """Turn the user's daily digest on or off."""
    digest, _ = NotificationDigest.objects.get_or_create(user=user)
    if digest.daily != daily:
        digest.daily = daily
        digest.full_clean(exclude=["user"])
        digest.save(update_fields=["daily"])
    return digest


def digests_send(*, now: datetime.datetime) -> int:
    """Send today's digest to every opted-in user with an e-mail address, unread
    notifications from the last day and none sent yet today; returns how many were sent."""
    today = timezone.localdate(now)
    sent = 0
    candidates = NotificationDigest.objects.filter(daily=True, user__is_active=True).exclude(
        last_sent_on__gte=today
    )
    for pk in candidates.values_list("pk", flat=True).order_by("pk"):
        try:
            sent += _digest_send(pk, now=now, today=today)
        except OSError:  # smtplib's errors are OSErrors: the others still get theirs
            logger.warning("digest %s not sent: the mail server refused it", pk, exc_info=True)
    return sent


def _digest_send(pk: int, *, now: datetime.datetime, today: datetime.date) -> int:
    # The row lock makes the day's mark and the mail one step: a second run waits, then
    # finds the day marked. A mail server that refuses rolls the mark back (tried again
    # by the next run).
    with transaction.atomic():
        digest = NotificationDigest.objects.select_for_update().select_related("user").get(pk=pk)
        user = digest.user
        if not digest.daily or (digest.last_sent_on and digest.last_sent_on >= today):
            return 0
        notes = list(
            Notification.objects.filter(user=user, read=False, created_at__gt=now - DIGEST_WINDOW)
            .select_related("deal")
            .order_by("created_at", "pk")
        )
        if not notes or not user.email:
            return 0
        digest.last_sent_on = today
        digest.save(update_fields=["last_sent_on"])
        subject, body = digest_text(notes, today=today)
        send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [user.email])
    logger.info("digest of %d notifications sent to user %s", len(notes), user.pk)
    return 1


def digest_text(notes: Sequence[Notification], *, today: datetime.date) -> tuple[str, str]:
    """The digest's subject and plain-text body."""
    count = len(notes)
    noun = "notification" if count == 1 else "notifications"
    subject = f"Promisekeeper: {count} new {noun}, {today:%d %b %Y}"
    lines = [f"You have {count} unread {noun} from the last day:", ""]
    for note in notes:
        when = timezone.localtime(note.created_at)
        deal = f" ({note.deal.name})" if note.deal else ""
        lines.append(f"- {when:%d %b %H:%M}{deal}: {note.text}")
    lines += [
        "",
        "Open Promisekeeper to read them. You get this e-mail because you asked for a daily "
        "digest; turn it off on your notifications page.",
    ]
    return subject, "\n".join(lines)
