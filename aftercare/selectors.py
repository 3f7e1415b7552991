"""Reads of the aftercare app, scoped and with a fixed number of queries however many rows."""

from __future__ import annotations

from datetime import date

from django.db.models import Count, Prefetch, Q, Sum
from django.db.models.functions import TruncMonth

from aftercare.choices import LedgerDirection
from aftercare.models import (
    Activity,
    AftercareRecord,
    LedgerEntry,
    LedgerQuarter,
    Patrol,
    PatrolFinding,
    ServiceForm,
    ServiceItem,
    Space,
)
from communities.choices import RoleKind
from communities.scoping import get_scope


def record_list(user):
    return (
        AftercareRecord.objects.visible_to(user)
        .select_related("compound__community__subdistrict", "property_service__company", "owners_body")
        .annotate(space_count=Count("spaces", distinct=True))
        .order_by("compound__community__name", "compound__name")
    )


def record_detail_queryset(user):
    return AftercareRecord.objects.visible_to(user).select_related(
        "compound__community__subdistrict", "project", "property_service__company", "owners_body", "opened_by"
    )


def current_service_form(record) -> ServiceForm | None:
    """The version in force (the latest), with its items."""
    return (
        ServiceForm.objects.filter(record=record)
        .prefetch_related(Prefetch("items", queryset=ServiceItem.objects.order_by("position")))
        .order_by("-version")
        .first()
    )


def service_form_versions(record):
    return ServiceForm.objects.filter(record=record).select_related("published_by").order_by("-version")


def ledger_entries(record):
    return (
        LedgerEntry.objects.filter(record=record)
        .select_related("vote", "recorded_by", "corrects")
        .order_by("-entry_date", "-id")
    )


def ledger_balance(record) -> dict:
    row = LedgerEntry.objects.filter(record=record).aggregate(
        income=Sum("amount", filter=Q(direction=LedgerDirection.INCOME)),
        spending=Sum("amount", filter=Q(direction=LedgerDirection.SPENDING)),
    )
    income, spending = row["income"] or 0, row["spending"] or 0
    return {"income": income, "spending": spending, "balance": income - spending}


def published_quarters(record, limit: int | None = None):
    quarters = LedgerQuarter.objects.filter(record=record).order_by("-starts_on")
    return quarters[:limit] if limit else quarters


def spaces_with_activities(record, *, recent: int = 5) -> list[Space]:
    """The record's spaces, each with its activity count and ``recent_activities`` (the latest few): two queries."""
    spaces = list(Space.objects.filter(record=record).annotate(activity_count=Count("activities")).order_by("name"))
    by_space: dict[int, list[Activity]] = {space.pk: [] for space in spaces}
    if spaces:
        for activity in Activity.objects.filter(space__in=spaces).order_by("-held_on", "-id"):
            bucket = by_space[activity.space_id]
            if len(bucket) < recent:
                bucket.append(activity)
    for space in spaces:
        space.recent_activities = by_space[space.pk]
    return spaces


def activities_per_space_month(user=None, *, since: date | None = None, until: date | None = None, compounds=None):
    """Activities per space per month — the figure the dashboards read: rows of ``space_id``, ``space__name``,
    ``space__kind``, ``space__record__compound_id``, ``month`` (the first day) and ``activities``, within the user's
    scope (all of them for ``user=None``), optionally for some compounds (ids or a subquery) and a period."""
    activities = Activity.objects.all() if user is None else Activity.objects.visible_to(user)
    if compounds is not None:
        activities = activities.filter(space__record__compound__in=compounds)
    if since is not None:
        activities = activities.filter(held_on__gte=since)
    if until is not None:
        activities = activities.filter(held_on__lte=until)
    return (
        activities.annotate(month=TruncMonth("held_on"))
        .values("space_id", "space__name", "space__kind", "space__record__compound_id", "month")
        .annotate(activities=Count("id"))
        .order_by("month", "space__record__compound_id", "space_id")
    )


def activity_detail_queryset(user):
    return Activity.objects.visible_to(user).select_related("space__record__compound__community")


def public_section(compound) -> dict | None:
    """The aftercare section of the compound's public page (communities.selectors.register_public_section): the
    service form in force, the published quarters' totals and the spaces with their latest activities. Nothing
    private: no entry, document, name or phone beyond what the service form publishes."""
    record = AftercareRecord.objects.filter(compound=compound).only("pk", "compound_id", "opened_on").first()
    if record is None:
        return None
    form = current_service_form(record)
    return {
        "template": "aftercare/public_section.html",
        "record": record,
        "form": form,
        "earlier_forms": list(
            ServiceForm.objects.filter(record=record).exclude(pk=form.pk if form else None).order_by("-version")[:5]
        ),
        "quarters": list(published_quarters(record, limit=4)),
        "spaces": spaces_with_activities(record, recent=3),
    }


def space_list(user):
    """The spaces the renovation created in the user's scope, with their compound (the web list across
    compounds, which the dashboards' space figures link to)."""
    return Space.objects.visible_to(user).select_related("record__compound__community__subdistrict")


# --- patrols ---


def property_compounds(company_ids):
    """The compounds property service companies reach (``communities.scoping.register_company_reach``): those whose
    aftercare record names one of them as the property service."""
    return AftercareRecord.objects.filter(property_service__company_id__in=company_ids).values("compound_id")


def patrol_records(user):
    """The aftercare records the user may patrol (``permissions.can_patrol``, as a query): those of the compounds of
    their community (secretary, community-bound inspectors) and, for property service staff, those whose property
    service company is theirs."""
    records = AftercareRecord.objects.select_related(
        "compound__community__subdistrict", "property_service__company", "project"
    ).order_by("compound__community__name", "compound__name")
    scope = get_scope(user)
    if scope.is_global:
        return records
    communities = user.roles.filter(
        kind__in=[RoleKind.COMMUNITY_SECRETARY, RoleKind.INSPECTOR], community__isnull=False
    ).values("community_id")
    q = Q(compound__community_id__in=communities)
    if scope.property_company_ids:
        q |= Q(property_service__company_id__in=sorted(scope.property_company_ids))
    return records.filter(q)


def patrols(user):
    """Patrols in scope, newest first, with what the list shows (one query, however many rows)."""
    return (
        Patrol.objects.visible_to(user)
        .select_related("record__compound", "template", "patrolled_by")
        .annotate(finding_count=Count("findings", distinct=True))
        .order_by("-patrolled_on", "-id")
    )


def patrol_findings(patrol):
    return (
        PatrolFinding.objects.filter(patrol=patrol)
        .select_related(
            "issue__contractor", "issue__property_company", "issue__community", "issue__item", "warranty__project"
        )
        .order_by("id")
    )
