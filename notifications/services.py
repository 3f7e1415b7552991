"""Notifications: claim once, then deliver through every channel.

A reminder is first *claimed* by inserting its (recipient, kind, subject, period) row; the unique constraint
lets exactly one insert win, however many sweeps run at once or however often a task is retried. That row is
the in-app message, so the inbox gets each reminder exactly once.

Every other channel (e-mail now; SMS or WeChat later) works as an outbox over those rows: it sends the rows of
the batch it has not yet delivered, each under a row lock taken with SKIP LOCKED and marked delivered in the
same transaction, then whatever earlier runs of the same kinds claimed but left undelivered. A concurrent run skips the rows being sent; a worker killed mid-send leaves its row
unmarked and its lock released, so the redelivered task (``acks_late``) sends it then — including rows an
earlier, killed run had already claimed. The only window for a repeat is between the mail server accepting a
message and the commit that marks it, which no sender can close.

A row a channel cannot deliver (a recipient without an e-mail address) is marked as handled in bulk, never one
lock each; a claim made in SQL marks it in the claiming INSERT itself (``unreachable_at_claim``). Either way the
outbox query — rows not yet delivered — reads only the rows still to send, through a partial index.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from itertools import islice

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.db import connection, transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from notifications.kinds import kind_choices
from notifications.models import Notification, NotificationPreference
from renovation_portal.errors import DomainError

logger = logging.getLogger(__name__)
# How far back a run looks for reminders an interrupted run claimed but did not deliver.
LEFTOVER_WINDOW = timedelta(days=2)


@dataclass(frozen=True)
class Reminder:
    recipient_id: int
    kind: str
    subject_key: str
    period_key: str
    title: str
    body: str = ""
    url: str = ""


class Channel:
    """A way to deliver claimed notifications. ``delivered_field`` names the column that records delivery (None
    for a channel whose delivery is the row itself); ``send`` delivers one notification;
    ``unreachable_recipients`` (a condition on the user) says whom it has no way to reach."""

    name = "base"
    label = ""
    delivered_field: str | None = None
    unreachable_recipients: Q | None = None

    def send(self, notification: Notification) -> None:
        raise NotImplementedError

    def _unreachable_users(self):
        return get_user_model().objects.filter(self.unreachable_recipients).order_by().values("pk")

    def unreachable(self, notifications):
        """The notifications this channel has no way to deliver (no address), or whose recipient chose not to get
        their kind through it (the settings page): marked as handled at once. None if it reaches everyone."""
        if self.delivered_field is None:
            return None
        opted_out = Exists(
            NotificationPreference.objects.filter(
                user_id=OuterRef("recipient_id"), kind=OuterRef("kind"), channel=self.name, enabled=False
            )
        )
        if self.unreachable_recipients is None:
            return notifications.filter(opted_out)
        return notifications.filter(Q(recipient__in=self._unreachable_users()) | opted_out)

    def deliver_unsent(self, kinds: set[str], since, chunk: int = 2000) -> int:
        """Deliver every row of these kinds claimed since ``since`` and not yet delivered by this channel — what
        this run claimed in SQL, or what a killed or failed earlier run left — in keyset chunks of ids, so
        memory stays flat however many there are."""
        if self.delivered_field is None or not kinds:
            return 0
        unsent = Notification.objects.filter(
            **{f"{self.delivered_field}__isnull": True}, kind__in=sorted(kinds), created_at__gte=since
        ).order_by("pk")
        unreachable = self.unreachable(unsent)
        if unreachable is not None:  # no address: handled in one statement, however many
            unreachable.update(**{self.delivered_field: timezone.now()})
        sent, last = 0, 0
        while ids := list(unsent.filter(pk__gt=last).values_list("pk", flat=True)[:chunk]):
            sent += self.deliver(ids)
            last = ids[-1]
        return sent

    def deliver(self, ids: list[int]) -> int:
        """Send these notifications if this channel has not yet, one row lock each. Returns how many it sent."""
        if self.delivered_field is None or not ids:
            return 0
        field = self.delivered_field
        candidates = list(ids)
        # Rows this channel cannot deliver (no address) are marked in one statement, not one lock each.
        unreachable = self.unreachable(Notification.objects.filter(pk__in=candidates))
        if unreachable is not None:
            skipped = set(unreachable.values_list("pk", flat=True))
            if skipped:
                Notification.objects.filter(pk__in=skipped, **{f"{field}__isnull": True}).update(
                    **{field: timezone.now()}
                )
                candidates = [pk for pk in candidates if pk not in skipped]
        sent = 0
        delay = getattr(settings, "REMINDER_SEND_DELAY", 0)  # throttle for the gateway
        for pk in candidates:
            with transaction.atomic():
                notification = (
                    Notification.objects.select_for_update(skip_locked=True, of=("self",))
                    .select_related("recipient")
                    .filter(pk=pk, **{f"{field}__isnull": True})
                    .first()
                )
                if notification is None:
                    continue  # another run holds it or has sent it
                try:
                    self.send(notification)
                except Exception:  # a failing gateway must not stop the sweep; the row stays unsent
                    logger.warning("%s delivery of notification %s failed", self.name, pk, exc_info=True)
                    continue
                Notification.objects.filter(pk=pk).update(**{field: timezone.now()})
                sent += 1
            if delay:
                time.sleep(delay)
        return sent


class InAppChannel(Channel):
    """The inbox: the claimed row is the message; nothing more to send."""

    name = "in_app"
    label = _("Inbox")


class EmailChannel(Channel):
    """E-mail through Django's configured mail backend. A recipient without an address is marked as handled."""

    name = "email"
    label = _("E-mail")
    delivered_field = "emailed_at"
    unreachable_recipients = Q(email="")

    def send(self, notification):
        email = notification.recipient.email
        if email:
            send_mail(
                notification.title,
                f"{notification.body}\n\n{notification.url}".strip(),
                settings.DEFAULT_FROM_EMAIL,
                [email],
            )


CHANNELS: list[Channel] = [InAppChannel(), EmailChannel()]


def register_channel(channel: Channel) -> None:
    """The registration point for more channels (SMS, WeChat …), called from the providing app's
    ``AppConfig.ready()``. A channel subclasses ``Channel``: ``name``; ``send(notification)``, which raises when
    the gateway fails (the row then stays unsent and the next run retries it); ``unreachable_recipients``, a
    condition on the user for whom it has no address (e.g. ``Q(phone="")``); and ``delivered_field``, the
    nullable timestamp column of ``Notification`` that records its delivery — a new channel adds its column
    (e.g. ``sms_sent_at``) and an outbox partial index on it like ``notification_unsent``, in a migration of this
    app. Every claim then goes out through it too, exactly once, like e-mail."""
    if any(existing.name == channel.name for existing in CHANNELS):
        raise ValueError(f"A notification channel named {channel.name!r} is already registered.")
    CHANNELS.append(channel)


# Only active users are claimed for: a deactivated account (a contractor who left the company, an official moved
# on) gets no reminder and no event, whichever sweep or service named it.
_INSERT = """
INSERT INTO {table}
    (recipient_id, kind, subject_key, period_key, title, body, url, created_at)
SELECT reminder.* FROM (VALUES {values})
    AS reminder (recipient_id, kind, subject_key, period_key, title, body, url, created_at)
JOIN {users} AS recipient ON recipient.id = reminder.recipient_id AND recipient.is_active
ON CONFLICT (recipient_id, kind, subject_key, period_key) DO NOTHING
RETURNING id
"""


def claim(reminders: list[Reminder]) -> list[int]:
    """Insert the reminders not claimed before; return the ids of those this call claimed."""
    if not reminders:
        return []
    now = timezone.now()
    if connection.vendor == "postgresql":
        placeholders = ", ".join(["(%s, %s, %s, %s, %s, %s, %s, %s)"] * len(reminders))
        params = []
        for r in reminders:
            params += [r.recipient_id, r.kind, r.subject_key, r.period_key, r.title[:200], r.body, r.url[:300], now]
        with transaction.atomic(), connection.cursor() as cursor:
            users = get_user_model()._meta.db_table
            cursor.execute(_INSERT.format(table=Notification._meta.db_table, users=users, values=placeholders), params)
            return [row[0] for row in cursor.fetchall()]
    claimed = []
    active = set(
        get_user_model()
        .objects.filter(pk__in={r.recipient_id for r in reminders}, is_active=True)
        .values_list("pk", flat=True)
    )
    for r in reminders:  # SQLite (the demo): one conditional insert each
        if r.recipient_id not in active:
            continue
        notification, created = Notification.objects.get_or_create(
            recipient_id=r.recipient_id,
            kind=r.kind,
            subject_key=r.subject_key,
            period_key=r.period_key,
            defaults={"title": r.title[:200], "body": r.body, "url": r.url[:300], "created_at": now},
        )
        if created:
            claimed.append(notification.pk)
    return claimed


def unreachable_at_claim(recipient: str, now) -> tuple[list[str], list[str], list]:
    """For a claim made in SQL (an INSERT … SELECT whose recipient id is the SQL expression ``recipient``): the
    delivered column of each channel that cannot reach some recipients, and for each a select expression with its
    parameters that stamps it ``now`` for those recipients — so the claiming statement itself marks them handled
    and no delivery pass reads or rewrites their rows. Decided at claim time, as ``deliver`` would decide a moment
    later: a recipient who adds an e-mail address afterwards finds that period's reminder in the inbox only.
    Returns (columns, expressions, params)."""
    columns, expressions, params = [], [], []
    for channel in CHANNELS:
        if channel.delivered_field is None or channel.unreachable_recipients is None:
            continue
        users_sql, users_params = channel._unreachable_users().query.sql_with_params()
        columns.append(Notification._meta.get_field(channel.delivered_field).column)
        expressions.append(f"CASE WHEN {recipient} IN ({users_sql}) THEN %s END")
        params += [*users_params, now]
    return columns, expressions, params


def notify(reminders: Iterable[Reminder], batch: int = 2000) -> int:
    """Claim and deliver, in batches of a streamed iterable (memory stays flat). Returns how many reminders
    were new. Every channel then also delivers what an earlier, interrupted run of these kinds left unsent."""
    started = timezone.now()
    new = 0
    kinds: set[str] = set()
    iterator = iter(reminders)
    while chunk := list(islice(iterator, batch)):
        ids = claim(chunk)
        new += len(ids)
        kinds.update(r.kind for r in chunk)
        for channel in CHANNELS:
            channel.deliver(ids)
    for channel in CHANNELS:
        channel.deliver_unsent(kinds, since=started - LEFTOVER_WINDOW)
    return new


def deliver_unsent(kinds: set[str]) -> None:
    """Every channel delivers what is claimed of these kinds and not yet sent (after a claim made in SQL)."""
    since = timezone.now() - LEFTOVER_WINDOW
    for channel in CHANNELS:
        channel.deliver_unsent(kinds, since=since)


def notify_once(
    *, recipient_id: int, kind: str, subject_key: str, period_key: str, title: str, body: str = "", url: str = ""
) -> bool:
    """One reminder; True if this call sent it."""
    return notify([Reminder(recipient_id, kind, subject_key, period_key, title, body, url)]) == 1


# --- events: one notification per event, written with the change, delivered after commit ---

DELIVER_TASK = "notifications.deliver"


def notify_event(
    *,
    kind: str,
    subject_key: str,
    event_key: str,
    recipient_ids: Iterable[int | None],
    title: str,
    body: str = "",
    url: str = "",
    exclude: Iterable[int | None] = (),
) -> list[int]:
    """Notify people of an event a domain service has just made (an issue assigned, a meeting scheduled …).

    Call it inside the service's transaction: the rows are claimed there — (recipient, kind, subject, event) once,
    under the unique constraint — so a change that rolls back leaves no notification, and a replayed or racing
    request that does not change anything again (the service refuses it, or it finds the same event key) adds
    none. Every other channel delivers after the commit, by a task queued by name; if the broker is down the change
    still commits and the delivery sweep (``deliver_pending``, scheduled) sends it later. ``exclude``: people who
    need not be told (the actor). Returns the ids of the rows this call claimed."""
    skip = {pk for pk in exclude if pk}
    recipients = sorted({pk for pk in recipient_ids if pk and pk not in skip})
    ids = claim([Reminder(pk, kind, subject_key, event_key[:20], title, body, url) for pk in recipients])
    if ids and any(channel.delivered_field for channel in CHANNELS):
        transaction.on_commit(lambda: queue_delivery(ids))
    return ids


def queue_delivery(ids: list[int]) -> bool:
    """Queue the delivery of these rows by the task's registered name, or leave them to the sweep: a broker that
    is down (or known down in this process) must not fail a request whose change has already committed."""
    from celery import current_app

    from renovation_portal.cache import redis_down, redis_failed

    server = getattr(settings, "REDIS_URL", "")
    if server and redis_down(server) and not current_app.conf.task_always_eager:
        return False
    # One attempt, with the web process's short Redis timeouts: kombu's default would retry the connection for
    # seconds while the user waits on a change that has already committed.
    fail_fast = {
        "max_retries": 0,
        "socket_connect_timeout": getattr(settings, "REDIS_CONNECT_TIMEOUT", 0.5),
        "socket_timeout": getattr(settings, "REDIS_SOCKET_TIMEOUT", 1),
    }
    try:
        with current_app.connection_for_write(transport_options=fail_fast) as broker:
            current_app.tasks[DELIVER_TASK].apply_async(args=[list(ids)], retry=False, connection=broker)
    except Exception as error:  # any broker failure (refused, hung, misconfigured): the sweep sends them later
        if server and not current_app.conf.task_always_eager:  # the broker (Redis) failed: leave it alone a while
            redis_failed(server, error, "queue notification delivery")
        logger.warning("Could not queue delivery of notifications %s; the sweep will send them", ids)
        return False
    return True


def deliver(ids: list[int]) -> int:
    """Every channel delivers these rows (the task queued after an event's commit). Returns how many it sent."""
    return sum(channel.deliver(list(ids)) for channel in CHANNELS)


def deliver_pending() -> int:
    """The delivery sweep: every channel sends what is claimed, of any kind, and not yet delivered — an event whose
    task could not be queued (broker down) or was lost. Reads only undelivered rows (the outbox's partial index)."""
    since = timezone.now() - LEFTOVER_WINDOW
    kinds = {value for value, _label in kind_choices()}
    return sum(channel.deliver_unsent(kinds, since=since) for channel in CHANNELS)


# --- per-user channel choices ---


def preference_channels() -> list[Channel]:
    """The channels a user may switch per kind (the inbox is always on)."""
    return [channel for channel in CHANNELS if channel.delivered_field is not None]


def preferences_of(user) -> dict[str, dict[str, bool]]:
    """{kind: {channel: on?}} for every registered kind and switchable channel (no row: on)."""
    stored = {
        (kind, channel): enabled
        for kind, channel, enabled in NotificationPreference.objects.filter(user=user).values_list(
            "kind", "channel", "enabled"
        )
    }
    channels = [channel.name for channel in preference_channels()]
    return {value: {name: stored.get((value, name), True) for name in channels} for value, _label in kind_choices()}


@transaction.atomic
def preferences_update(*, actor, choices: dict[str, dict[str, bool]]) -> dict[str, dict[str, bool]]:
    """Set the user's choices: {kind: {channel: on?}} for the kinds and channels given (others unchanged)."""
    kinds = {value for value, _label in kind_choices()}
    channels = {channel.name for channel in preference_channels()}
    unknown_kinds = sorted(set(choices) - kinds)
    if unknown_kinds:
        raise DomainError(
            _("Unknown notification kind: %(kinds)s") % {"kinds": ", ".join(unknown_kinds)},
            code="unknown_kind",
            field="choices",
        )
    unknown_channels = sorted({name for per_kind in choices.values() for name in per_kind} - channels)
    if unknown_channels:
        raise DomainError(
            _("Unknown channel: %(channels)s") % {"channels": ", ".join(unknown_channels)},
            code="unknown_channel",
            field="choices",
        )
    # One upsert for all of them (the settings page sends every kind): no query per kind and channel, and two
    # saves racing on a new row cannot fail on the unique constraint.
    NotificationPreference.objects.bulk_create(
        [
            NotificationPreference(user=actor, kind=kind, channel=channel, enabled=bool(enabled))
            for kind, per_kind in choices.items()
            for channel, enabled in per_kind.items()
        ],
        update_conflicts=True,
        unique_fields=["user", "kind", "channel"],
        update_fields=["enabled", "updated_at"],
    )
    return preferences_of(actor)


def notification_mark_read(*, actor, notification: Notification) -> None:
    """Mark one of the user's notifications read (opening it from the inbox)."""
    Notification.objects.filter(pk=notification.pk, recipient=actor, read_at__isnull=True).update(
        read_at=timezone.now()
    )


def inbox_mark_all_read(*, actor) -> int:
    """Mark every unread notification of the user read. Returns how many."""
    return Notification.objects.filter(recipient=actor, read_at__isnull=True).update(read_at=timezone.now())
