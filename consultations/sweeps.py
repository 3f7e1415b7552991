"""The consultations' reminder sweeps. Each selects due work in a set-based query, streams it (``iterator``),
and hands reminders to ``notifications.services.notify``, which claims each (recipient, kind, subject, period)
once."""

from __future__ import annotations

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from consultations.choices import NotificationKind
from consultations.selectors import meetings_minutes_overdue
from notifications.services import Reminder, notify

CHUNK = 2000


def remind_minutes(now=None) -> int:
    """Secretaries: meetings whose minutes are unpublished 3 days after (one reminder per meeting)."""
    rows = meetings_minutes_overdue(now).values_list("pk", "convener_id", "held_at").iterator(chunk_size=CHUNK)
    return notify(
        Reminder(
            convener,
            NotificationKind.MINUTES_OVERDUE,
            f"meeting:{pk}",
            "once",
            _("Publish the minutes of the meeting of %(day)s") % {"day": timezone.localtime(held).date()},
            url=reverse("consultations:meeting-detail", args=[pk]),
        )
        for pk, convener, held in rows
    )
