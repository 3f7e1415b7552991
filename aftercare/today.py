"""The aftercare patrols' sections of the "today" list (今日待办) of a community's staff (its secretary, the
inspectors bound to it): the patrols' findings the community itself answers for, and the evidence on the patrols'
findings waiting for their verification. One query each; only for the roles concerned."""

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


def community_issues_to_rectify(user):
    return (
        RectificationIssue.objects.visible_to(user)
        .filter(community_id__in=_staff_communities(user), status=IssueStatus.OPEN)
        .select_related("project__compound")
        .order_by("deadline", "pk")
    )


def patrol_evidence_to_verify(user):
    """Submitted rectifications of the patrols' findings of the user's communities (or that the user found), except
    those the community itself answers for (its subdistrict verifies them)."""
    return (
        RectificationIssue.objects.visible_to(user)
        .filter(origin=IssueOrigin.PATROL, status=IssueStatus.SUBMITTED, community__isnull=True)
        .filter(Q(found_by=user) | Q(project__compound__community_id__in=_staff_communities(user)))
        .select_related("project__compound")
        .order_by("submitted_at", "pk")
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
    rows, count = section_rows(patrol_evidence_to_verify(user))
    if count:
        sections.append(
            TodaySection(
                key="patrol_evidence_to_verify",
                title=_("Patrol findings: evidence to verify"),
                count=count,
                items=tuple(_item(row, today, _("to verify")) for row in rows),
                more_url=f"{reverse('inspections:issue-list')}?origin=patrol&status={IssueStatus.SUBMITTED}",
                position=22,
            )
        )
    rows, count = section_rows(community_issues_to_rectify(user))
    if count:
        sections.append(
            TodaySection(
                key="patrol_issues_to_rectify",
                title=_("Patrol findings for the community to rectify"),
                count=count,
                items=tuple(_item(row, today, "") for row in rows),
                more_url=f"{reverse('inspections:issue-list')}?origin=patrol&status={IssueStatus.OPEN}",
                position=24,
            )
        )
    return sections
