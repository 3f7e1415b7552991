"""Reads of the inspections app: scoped (and secret where unannounced), each a fixed number of queries."""

from django.db.models import Avg, Count, F, OuterRef, Q, Subquery, Sum
from django.utils import timezone

from communities.choices import InspectionTier, RoleKind
from inspections.choices import ChecklistStatus, InspectionStatus, IssueStatus, ItemKind, issue_kind_label
from inspections.models import ChecklistItem, ChecklistTemplate, Inspection, InspectionGroup, RectificationIssue
from inspections.services import repeat_findings
from projects.models import Project


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
        "repeats": [{**row, "kind_label": issue_kind_label(row["kind"])} for row in repeat_findings(user)[:50]],
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


def inspection_groups(user):
    return InspectionGroup.objects.visible_to(user).select_related("district").prefetch_related("members")


def checklists(user):
    """Every version of the checklists in scope; drafts only to those who may edit them (district officials)."""
    from communities.scoping import get_scope

    queryset = ChecklistTemplate.objects.visible_to(user).select_related("district").prefetch_related("items")
    scope = get_scope(user)
    if not scope.is_global and RoleKind.DISTRICT_OFFICIAL not in scope.role_kinds:
        queryset = queryset.filter(status=ChecklistStatus.PUBLISHED)
    return queryset.order_by("tier", "name", "-version")


def tier3_ranking(user, limit: int = 500):
    """Projects ranked by the score of their latest filed tier-3 (leadership) evaluation: the total of the scored
    items (each scored up to its weight) and that total as a percentage of the checklist's weights."""
    latest = Inspection.objects.filter(
        project=OuterRef("pk"), tier=InspectionTier.LEADERSHIP, status=InspectionStatus.FILED, score__isnull=False
    ).order_by("-filed_at", "-id")
    weights = (
        ChecklistItem.objects.filter(template=OuterRef("template"), kind=ItemKind.SCORE)
        .values("template")
        .annotate(total=Sum("max_score"))
        .values("total")
    )
    return (
        Project.objects.visible_to(user)
        .annotate(
            evaluation_id=Subquery(latest.values("pk")[:1]),
            evaluation_score=Subquery(latest.values("score")[:1]),
            evaluation_filed_at=Subquery(latest.values("filed_at")[:1]),
            evaluation_max=Subquery(latest.annotate(weights=Subquery(weights)).values("weights")[:1]),
        )
        .filter(evaluation_id__isnull=False)
        .select_related("compound__community__subdistrict", "contractor")
        .order_by("-evaluation_score", "compound__name", "pk")[:limit]
    )
