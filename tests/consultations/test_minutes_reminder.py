"""The minutes reminder is the consultations app's: its own sweep, task and notification kind (the value the
inspections app stored before, so reminders already sent are not sent again)."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from consultations import services, sweeps
from consultations.choices import NotificationKind
from consultations.tasks import remind_minutes
from notifications.models import Notification
from renovation_portal.celery import app
from renovation_portal.schedules import BEAT_SCHEDULE

pytestmark = pytest.mark.django_db


def test_the_secretary_is_reminded_once_per_meeting_with_unpublished_minutes(tree, actors, mailoutbox):
    secretary = actors["community_secretary"]
    secretary.email = "secretary@example.cn"
    secretary.save(update_fields=["email"])
    overdue = services.meeting_log(
        actor=secretary,
        compound=tree["compound_a"],
        kind="tea_meeting",
        held_at=timezone.now() - timedelta(days=4),
        place="党群服务站",
    )
    services.meeting_log(
        actor=secretary,
        compound=tree["compound_a"],
        kind="tea_meeting",
        held_at=timezone.now() - timedelta(days=1),
        place="党群服务站",
    )
    assert sweeps.remind_minutes() == 1
    assert remind_minutes.delay().get() == 0  # the task, run again: already claimed
    row = Notification.objects.get()
    assert (row.recipient, row.kind, row.subject_key, row.period_key, row.url) == (
        secretary,
        "minutes_overdue",
        f"meeting:{overdue.pk}",
        "once",
        reverse("consultations:meeting-detail", args=[overdue.pk]),
    )
    assert NotificationKind.MINUTES_OVERDUE == "minutes_overdue"
    assert [m.to for m in mailoutbox] == [[secretary.email]]


def test_the_minutes_reminder_runs_as_a_consultations_task_every_hour():
    app.loader.import_default_modules()
    assert "consultations.remind_minutes" in app.tasks and "inspections.remind_minutes" not in app.tasks
    assert BEAT_SCHEDULE["remind-minutes"]["task"] == "consultations.remind_minutes"
