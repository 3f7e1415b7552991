"""The in-app inbox."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render

from notifications import selectors, services


@login_required
def inbox(request):
    notifications = selectors.inbox(request.user)
    if request.method == "POST":
        services.inbox_mark_all_read(actor=request.user)
        return redirect("notifications:inbox")
    return render(request, "notifications/inbox.html", {"notifications": notifications[:100]})
