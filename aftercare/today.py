"""The aftercare patrols' sections of the "today" list (今日待办). A community's staff (its secretary, the inspectors
bound to it): the patrols' findings the community itself answers for, and the evidence on the patrols' findings
waiting for their verification. A property service company's staff: the compounds their company serves that it has
not patrolled this month (the findings assigned to their company are the inspections' "issues to rectify"). One
query each; only for the roles concerned."""

from __future__ import annotations

import calendar

from django.db.models import Exists, OuterRef, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from aftercare.models import AftercareRecord, Patrol
from communities.choices import RoleKind
from communities.scoping import get_scope
from communities.today import DANGER, SECONDARY, WARNING, TodayItem, TodaySection, section_rows
from inspections.choices import IssueOrigin, IssueStatus
from inspections.models import RectificationIssue

STAFF = (RoleKind.COMMUNITY_SECRETARY, RoleKind.INSPECTOR)


def _staff_communities(user):
    return user.roles.filter(kind__in=STAFF, community__isnull=False).values("community_id")


def patrol_findings_for(user):
    """In one query: the patrols' findings the user's communities answer for and are still open, and the submitted
    rectifications of the patrols' findings of those communities (or that the user found) waiting for verification
    — except those the community itself answers for (its subdistrict verifies them)."""
    communities = _staff_communities(user)
    to_rectify = Q(community_id__in=communities, status=IssueStatus.OPEN)
    to_verify = Q(origin=IssueOrigin.PATROL, status=IssueStatus.SUBMITTED, community__isnull=True) & (
        Q(found_by=user) | Q(project__compound__community_id__in=communities)
    )
    return (
        RectificationIssue.objects.visible_to(user)
        .filter(to_rectify | to_verify)
        .select_related("project__compound")
        .order_by("status", "deadline", "pk")  # evidence to verify ("submitted") after the open ones
    )


def _item(issue, today, flag) -> TodayItem:
    late = issue.deadline < today
    return TodayItem(
        title=issue.description[:60],
        url=reverse("inspections:issue-detail", args=[issue.pk]),
        detail=f"{issue.project.compound.name} · {issue.location}",
        due=issue.deadline,
        flag=_("overdue") if late else flag,
        tone=DANGER if late else (WARNING if flag else SECONDARY),
    )


def patrols_due(user, today):
    """The aftercare records of the compounds the user's property service companies serve that none of the company's
    staff has patrolled since the first of this month (the company patrols each of its compounds monthly)."""
    patrolled = Patrol.objects.filter(
        record=OuterRef("pk"),
        patrolled_on__gte=today.replace(day=1),
        patrolled_by__roles__kind=RoleKind.PROPERTY_STAFF,
        patrolled_by__roles__company_id=OuterRef("property_service__company_id"),
    )
    return (
        AftercareRecord.objects.filter(property_service__company_id__in=sorted(get_scope(user).property_company_ids))
        .exclude(Exists(patrolled))
        .select_related("compound__community")
        .order_by("compound__name", "pk")
    )


def _patrol_due_sections(user, today) -> list[TodaySection]:
    rows, count = section_rows(patrols_due(user, today))
    if not count:
        return []
    month_end = today.replace(day=calendar.monthrange(today.year, today.month)[1])
    return [
        TodaySection(
            key="patrols_due",
            title=_("Patrols due this month"),
            count=count,
            items=tuple(
                TodayItem(
                    title=row.compound.name,
                    url=reverse("aftercare:patrol-new", args=[row.pk]),
                    detail=row.compound.community.name,
                    due=month_end,
                    flag=_("this month"),
                    tone=WARNING,
                )
                for row in rows
            ),
            more_url=reverse("aftercare:patrol-home"),
            position=21,
        )
    ]


def today_sections(user, scope) -> list[TodaySection]:
    today = timezone.localdate()
    sections = []
    if RoleKind.PROPERTY_STAFF in scope.role_kinds and scope.property_company_ids:
        sections += _patrol_due_sections(user, today)
    if not scope.role_kinds.intersection(STAFF) or not scope.community_ids:
        return sections
    rows, count = section_rows(patrol_findings_for(user))
    if count:
        sections.append(
            TodaySection(
                key="patrol_findings",
                title=_("Patrol findings: to rectify or to verify"),
                count=count,
                items=tuple(
                    _item(row, today, _("to verify") if row.status == IssueStatus.SUBMITTED else "") for row in rows
                ),
                more_url=f"{reverse('inspections:issue-list')}?origin=patrol",
                position=22,
            )
        )
    return sections
