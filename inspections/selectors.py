"""Reads of the inspections app: scoped (and secret where unannounced), each a fixed number of queries."""

from django.db.models import Avg, Count, F, Q
from django.utils import timezone

from inspections.choices import IssueStatus
from inspections.models import Inspection, RectificationIssue
from inspections.services import repeat_findings


def inspections(user):
    return Inspection.objects.visible_to(user).select_related("project__compound", "group")


def issues(user):
    return RectificationIssue.objects.visible_to(user).select_related("project__compound", "contractor")


def overdue_board(user) -> dict:
    today = timezone.localdate()
    visible = issues(user)
    unclosed = visible.exclude(status=IssueStatus.CLOSED)
    return {
        "overdue": unclosed.filter(deadline__lt=today).order_by("deadline")[:200],
        "escalated": unclosed.filter(escalated_at__isnull=False).order_by("-escalated_at")[:100],
        "repeats": repeat_findings(user)[:50],
        "by_contractor": (
            visible.values("contractor__name")
            .annotate(
                open=Count("id", filter=~Q(status=IssueStatus.CLOSED)),
                overdue=Count("id", filter=~Q(status=IssueStatus.CLOSED) & Q(deadline__lt=today)),
                closed=Count("id", filter=Q(status=IssueStatus.CLOSED)),
                days_to_close=Avg(F("closed_at") - F("created_at"), filter=Q(status=IssueStatus.CLOSED)),
            )
            .order_by("-overdue", "contractor__name")
        ),
    }
