"""The portal's notifications: the in-app inbox, and the outbox every other channel delivers from."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from notifications.kinds import kind_choices


class Notification(models.Model):
    """One reminder to one person about one subject in one period. The unique constraint is the claim that
    makes each reminder go out exactly once, however often a sweep runs."""

    # No index of its own: the unique constraint's index leads with the recipient and serves every lookup by it
    # (a user's notifications, the cascade when a user is deleted) — one index less to write per claimed row.
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notifications",
        verbose_name=_("recipient"),
        db_index=False,
    )
    # The domain apps' kinds (notifications.kinds): this app knows none of them.
    kind = models.CharField(_("kind"), max_length=20, choices=kind_choices)
    subject_key = models.CharField(_("subject"), max_length=60)
    period_key = models.CharField(_("period"), max_length=20)
    title = models.CharField(pgettext_lazy("notification", "title"), max_length=200)
    body = models.TextField(_("message"), blank=True)
    url = models.CharField(_("link"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    emailed_at = models.DateTimeField(_("e-mailed at"), null=True, blank=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["recipient", "kind", "subject_key", "period_key"],
                name="notification_once_per_subject_and_period",
            )
        ]
        indexes = [
            # The inbox: a user's unread notifications, newest first.
            models.Index(
                fields=["recipient", "-created_at"], condition=Q(read_at__isnull=True), name="notification_unread"
            ),
            # The e-mail outbox, Channel.deliver_unsent: rows not yet e-mailed, in keyset pages of ids (and the
            # unreachable recipients' rows it marks). Only rows still to send are in it — a claim marks those of
            # recipients without an address at once — so the query stays instant however many rows the table holds.
            models.Index(fields=["id"], condition=Q(emailed_at__isnull=True), name="notification_unsent"),
        ]

    def __str__(self):
        return self.title


class NotificationPreference(models.Model):
    """A user's choice for one kind on one channel other than the inbox (the inbox gets every kind, always). No
    row: the default — delivered on every channel that can reach the user."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notification_preferences",
        verbose_name=_("user"),
        db_index=False,
    )
    kind = models.CharField(_("kind"), max_length=20, choices=kind_choices)
    channel = models.CharField(_("channel"), max_length=20)
    enabled = models.BooleanField(_("enabled"), default=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("notification preference")
        verbose_name_plural = _("notification preferences")
        constraints = [
            # One choice per user, kind and channel. Its index, leading with the user, serves the settings page
            # and the channels' opt-out check (an EXISTS per undelivered row: user, kind, channel).
            models.UniqueConstraint(fields=["user", "kind", "channel"], name="notification_preference_once")
        ]

    def __str__(self):
        return f"{self.user_id} {self.kind} {self.channel}: {self.enabled}"
