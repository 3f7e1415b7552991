"""The in-app inbox and the user's channel choices."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

from notifications import selectors, services
from notifications.kinds import kind_choices


@login_required
def inbox(request):
    notifications = selectors.inbox(request.user)
    if request.method == "POST":
        services.inbox_mark_all_read(actor=request.user)
        return redirect("notifications:inbox")
    return render(
        request,
        "notifications/inbox.html",
        {"notifications": notifications[:100], "unread": selectors.unread_count(request.user)},
    )


@login_required
def notification_open(request, pk: int):
    """Open a notification's object (the issue, the meeting …) and mark it read on the way."""
    notification = get_object_or_404(selectors.inbox(request.user), pk=pk)
    services.notification_mark_read(actor=request.user, notification=notification)
    safe = url_has_allowed_host_and_scheme(notification.url, allowed_hosts={request.get_host()})
    return redirect(notification.url if notification.url and safe else "notifications:inbox")


@login_required
def notification_settings(request):
    """Which kinds reach the user through each channel besides the inbox (which gets every kind, always)."""
    channels = services.preference_channels()
    if request.method == "POST":
        choices = {
            kind: {channel.name: f"{channel.name}:{kind}" in request.POST for channel in channels}
            for kind, _label in kind_choices()
        }
        services.preferences_update(actor=request.user, choices=choices)
        messages.success(request, _("Your notification settings are saved."))
        return redirect("notifications:settings")
    current = services.preferences_of(request.user)
    rows = [
        {
            "kind": kind,
            "label": label,
            "channels": [
                {"name": channel.name, "label": channel.label, "on": current[kind][channel.name]}
                for channel in channels
            ],
        }
        for kind, label in kind_choices()
    ]
    return render(
        request,
        "notifications/settings.html",
        {"rows": rows, "channels": channels, "has_email": bool(request.user.email)},
    )
