"""The quote command and the hold tasks call the same services as the web and the API."""

from __future__ import annotations

import datetime
import json

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from promisekeeper.promising.holds import hold_place
from promisekeeper.promising.tasks import holds_expire_task, holds_warn_expiring_task
from promisekeeper.sales.models import Hold, Notification
from tests.sales.conftest import deal_for, nth_working_day

pytestmark = pytest.mark.django_db


def test_quote_command_prints_the_answer_as_json(shop, superuser, capsys):
    call_command(
        "quote",
        "--offering",
        "Website build",
        "--qty",
        "2",
        "--by",
        str(nth_working_day(10)),
        "--json",
    )
    answer = json.loads(capsys.readouterr().out)
    assert answer["can_promise"] is True
    assert answer["promise_date"] == str(nth_working_day(10))


def test_quote_command_prints_a_table(shop, superuser, capsys):
    call_command("quote", "--offering", "Website build", "--by", str(nth_working_day(2)))
    out = capsys.readouterr().out
    assert "Can we promise?" in out and "bottleneck" in out and "option: overtime" in out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--offering", "Nope"], "--offering"),
        (["--offering", "Website build", "--qty", "0"], "lines[0].quantity"),
        (["--offering", "Website build", "--by", "2001-01-01"], "wanted_date"),
        (["--offering", "Website build", "--by", "soon"], "--by"),
    ],
)
def test_quote_command_names_the_bad_argument(shop, superuser, argv, message):
    with pytest.raises(CommandError, match=message.replace("[", r"\[").replace("]", r"\]")):
        call_command("quote", *argv)


def test_hold_tasks_expire_and_warn(shop, sales_rep):
    hold = hold_place(user=sales_rep, deal=deal_for(shop, sales_rep), days=1)
    assert holds_warn_expiring_task.call() == 1
    assert Notification.objects.filter(user=sales_rep).count() == 1
    Hold.objects.filter(pk=hold.pk).update(
        expires_at=timezone.now() - datetime.timedelta(minutes=1)
    )
    assert holds_expire_task.call() == 1
    assert not Hold.objects.get(pk=hold.pk).active
