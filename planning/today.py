"""The planning part of the home page's "today" list (registered in planning.apps): declarations waiting for a
district official's review, and declarations returned to the subdistrict or community that declared them. One
query each; the navigation badge one count."""

from __future__ import annotations

from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from communities.choices import RoleKind
from communities.scoping import get_scope
from communities.today import INFO, WARNING, TodayItem, TodaySection, section_rows
from planning.choices import DeclarationStatus
from planning.models import Declaration

DECLARERS = (RoleKind.SUBDISTRICT_OFFICIAL, RoleKind.COMMUNITY_SECRETARY)


def declarations_to_review(user):
    """Submitted declarations of the districts the user reviews as a district official, oldest submission first
    (planning.permissions.can_review)."""
    scope = get_scope(user)
    queryset = Declaration.objects.visible_to(user).filter(status=DeclarationStatus.SUBMITTED)
    if not scope.is_global:
        if RoleKind.DISTRICT_OFFICIAL not in scope.role_kinds:
            return queryset.none()
        queryset = queryset.filter(compound__community__subdistrict__district_id__in=sorted(scope.bound_district_ids))
    return queryset.select_related("compound__community").order_by("submitted_at", "pk")


def declarations_returned(user):
    """Declarations returned for amendment in the places of a subdistrict official or community secretary."""
    if not get_scope(user).role_kinds.intersection(DECLARERS):
        return Declaration.objects.none()
    return (
        Declaration.objects.visible_to(user)
        .filter(status=DeclarationStatus.RETURNED)
        .select_related("compound__community")
        .order_by("updated_at", "pk")
    )


def _item(declaration, *, flag, tone, moment, note="") -> TodayItem:
    when = date_format(timezone.localtime(moment), "m-d") if moment else ""
    return TodayItem(
        title=declaration.compound.name,
        url=reverse("planning:declaration-detail", args=[declaration.pk]),
        detail=" · ".join(part for part in (declaration.compound.community.name, when, note) if part),
        due=moment,
        flag=flag,
        tone=tone,
    )


def today_sections(user, scope) -> list[TodaySection]:
    sections = []
    if scope.is_global or RoleKind.DISTRICT_OFFICIAL in scope.role_kinds:
        rows, count = section_rows(declarations_to_review(user))
        sections.append(
            TodaySection(
                key="declarations_to_review",
                title=_("Declarations to review"),
                count=count,
                items=tuple(
                    _item(row, flag=_("round %(round)s") % {"round": row.round}, tone=INFO, moment=row.submitted_at)
                    for row in rows
                ),
                more_url=f"{reverse('planning:declaration-list')}?status={DeclarationStatus.SUBMITTED}",
                position=20,
            )
        )
    if scope.role_kinds.intersection(DECLARERS):
        rows, count = section_rows(declarations_returned(user))
        sections.append(
            TodaySection(
                key="declarations_returned",
                title=_("Declarations returned for amendment"),
                count=count,
                items=tuple(
                    _item(row, flag=_("returned"), tone=WARNING, moment=row.updated_at, note=row.last_reason[:40])
                    for row in rows
                ),
                more_url=f"{reverse('planning:declaration-list')}?status={DeclarationStatus.RETURNED}",
                position=60,
            )
        )
    return sections


def declarations_badge(user) -> int:
    """A district official's declarations to review; a declarer's returned ones."""
    scope = get_scope(user)
    total = 0
    if scope.is_global or RoleKind.DISTRICT_OFFICIAL in scope.role_kinds:
        total += declarations_to_review(user).count()
    if scope.role_kinds.intersection(DECLARERS):
        total += declarations_returned(user).count()
    return total
