"""The aftercare patrols' section of the "today" list (今日待办) of a community's staff (its secretary, the inspectors
bound to it): the patrols' findings the community itself answers for, and the evidence on the patrols' findings
waiting for their verification. One query; only for the roles concerned."""

from __future__ import annotations

from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from communities.choices import RoleKind
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


def today_sections(user, scope) -> list[TodaySection]:
    if not scope.role_kinds.intersection(STAFF) or not scope.community_ids:
        return []
    today = timezone.localdate()
    sections = []
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
