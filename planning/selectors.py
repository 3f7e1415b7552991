"""Reads of the planning app, scoped once (planning.querysets) and query-bounded."""

from django.db.models import Count, Prefetch, Q, QuerySet

from planning.choices import DeclarationStatus
from planning.models import AnnualPlan, Declaration, DeclarationReview, PlanItem


def declaration_list(user) -> QuerySet:
    return (
        Declaration.objects.visible_to(user)
        .select_related("compound__community__subdistrict", "declared_by", "plan_item__plan")
        .order_by("-updated_at", "-id")
    )


def library(user) -> QuerySet:
    """The project library (项目库): approved declarations, with how many rounds each took."""
    return declaration_list(user).filter(status=DeclarationStatus.APPROVED).order_by("-decided_at", "-id")


def declaration_detail_queryset(user) -> QuerySet:
    return (
        declaration_list(user)
        .select_related("topic", "vote")
        .prefetch_related(
            "items",
            "funding",
            "attachments",
            Prefetch(
                "reviews", queryset=DeclarationReview.objects.select_related("actor").order_by("created_at", "id")
            ),
        )
    )


def review_queue_count(user) -> int:
    return Declaration.objects.visible_to(user).filter(status=DeclarationStatus.SUBMITTED).count()


def plan_list(user) -> QuerySet:
    return (
        AnnualPlan.objects.visible_to(user)
        .select_related("district")
        .annotate(
            item_count=Count("items", distinct=True),
            project_count=Count("items", filter=Q(items__project__isnull=False), distinct=True),
        )
        .order_by("-year", "district__code")
    )


def plan_items(user, plan) -> QuerySet:
    """The items of a plan the user may see (a subdistrict official: those of her subdistrict)."""
    return (
        PlanItem.objects.visible_to(user)
        .filter(plan=plan)
        .select_related("batch", "project", "declaration__compound__community__subdistrict")
        .order_by("batch__number", "declaration__compound__name", "id")
    )


def unplanned_library(plan) -> QuerySet:
    """Approved declarations of the plan's district not yet in any plan."""
    return (
        Declaration.objects.filter(
            status=DeclarationStatus.APPROVED,
            compound__community__subdistrict__district_id=plan.district_id,
            plan_item__isnull=True,
        )
        .select_related("compound__community__subdistrict")
        .order_by("compound__name")
    )
