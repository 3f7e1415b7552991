"""Reads of the inbox."""

from notifications.models import Notification


def inbox(user):
    """The user's notifications, newest first (the unique constraint's index leads with the recipient)."""
    return Notification.objects.filter(recipient=user)


def unread_count(user) -> int:
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()
