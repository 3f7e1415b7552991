"""The inspections' part of the home page's "today" list (registered in inspections.apps): an inspector's own
groups' inspections today and tomorrow and the evidence awaiting his verification, a contractor's issues to
rectify (and a property service company's staff, the patrols' findings assigned to their company), an official's
escalations. Each section is one query; each nav badge one count."""

from __future__ import annotations

from datetime import timedelta

from django.db.models import Exists, OuterRef, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from communities.choices import RoleKind
from communities.scoping import get_scope
from communities.today import DANGER, INFO, SECONDARY, WARNING, TodayItem, TodaySection, section_rows
from inspections.choices import InspectionStatus, IssueAction, IssueStatus
from inspections.models import InspectionGroup, IssueEvent
from inspections.selectors import inspections, issues

OFFICIALS = (
    RoleKind.DISTRICT_OFFICIAL,
    RoleKind.SUBDISTRICT_OFFICIAL,
    RoleKind.CITY_OFFICIAL,
    RoleKind.PROVINCE_OFFICIAL,
)


def _own_groups(user):
    """The active inspection groups the user is a member of (a subquery)."""
    return InspectionGroup.objects.filter(members=user, active=True).values("pk")


def group_inspections_due(user, today=None):
    """Planned inspections of the user's own groups for today and tomorrow — not another group's round."""
    today = today or timezone.localdate()
    return (
        inspections(user)
        .filter(
            status=InspectionStatus.PLANNED,
            planned_date__gte=today,
            planned_date__lte=today + timedelta(days=1),
            group__in=_own_groups(user),
        )
        .order_by("planned_date", "project__compound__name", "pk")
    )


def evidence_to_verify(user):
    """Rectifications submitted on the findings the user filed or his group found: awaiting his 销号 or send-back
    (the people inspections.events tells when evidence arrives)."""
    return (
        issues(user)
        .filter(status=IssueStatus.SUBMITTED)
        .filter(Q(inspection__inspector=user) | Q(inspection__group__in=_own_groups(user)))
        .exclude(contractor_id__in=sorted(get_scope(user).company_ids))  # a contractor never verifies its own
        .order_by("submitted_at", "pk")
    )


# The company roles that rectify: an EPC contractor's people its issues, a property company's staff the patrols'
# findings assigned to their company.
RECTIFIERS = (RoleKind.CONTRACTOR, RoleKind.PROPERTY_STAFF)


def _answered_by(scope) -> Q:
    """The issues the user's companies answer for: as contractor, or as property service (an aftercare patrol's
    finding, answered by the company's property service staff)."""
    as_contractor = Q(contractor_id__in=sorted(scope.company_ids))
    return as_contractor | Q(property_company_id__in=sorted(scope.property_company_ids))


def _rectifies(scope) -> bool:
    return bool(scope.role_kinds.intersection(RECTIFIERS)) and bool(scope.company_ids)


def issues_to_rectify(user):
    """The open issues of the user's companies (new, sent back or overdue), by deadline: overdue ones first."""
    sent_back = IssueEvent.objects.filter(issue=OuterRef("pk"), action=IssueAction.SENT_BACK)
    return (
        issues(user)
        .filter(_answered_by(get_scope(user)), status=IssueStatus.OPEN)
        .annotate(was_sent_back=Exists(sent_back))
        .order_by("deadline", "pk")
    )


def escalations(user):
    """Unclosed issues escalated past their deadline in the user's places, latest escalation first."""
    return (
        issues(user)
        .filter(escalated_at__isnull=False)
        .exclude(status=IssueStatus.CLOSED)
        .order_by("-escalated_at", "pk")
    )


def _inspection_item(inspection, today) -> TodayItem:
    when = _("today") if inspection.planned_date == today else _("tomorrow")
    group = f" · {inspection.group}" if inspection.group_id else ""
    return TodayItem(
        title=inspection.project.compound.name,
        url=reverse("inspections:inspection-detail", args=[inspection.pk]),
        detail=f"{inspection.get_tier_display()}{group}",
        due=inspection.planned_date,
        flag=when,
        tone=DANGER if inspection.planned_date == today else INFO,
    )


def _issue_item(issue, *, flag="", tone=SECONDARY, detail="") -> TodayItem:
    return TodayItem(
        title=issue.description[:60],
        url=reverse("inspections:issue-detail", args=[issue.pk]),
        detail=detail or f"{issue.project.compound.name} · {issue.location}",
        due=issue.deadline,
        flag=flag,
        tone=tone,
    )


def _rectify_item(issue, today) -> TodayItem:
    deadline = date_format(issue.deadline, "m-d")
    detail = f"{issue.project.compound.name} · {issue.location} · {_('deadline')} {deadline}"
    if issue.deadline < today:
        return _issue_item(issue, flag=_("overdue"), tone=DANGER, detail=detail)
    if issue.was_sent_back:
        return _issue_item(issue, flag=_("sent back"), tone=WARNING, detail=detail)
    return _issue_item(issue, flag=issue.get_severity_display(), detail=detail)


def today_sections(user, scope) -> list[TodaySection]:
    today = timezone.localdate()
    sections = []
    if RoleKind.INSPECTOR in scope.role_kinds:
        rows, count = section_rows(group_inspections_due(user, today))
        sections.append(
            TodaySection(
                key="inspections_due",
                title=_("My group's inspections today and tomorrow"),
                count=count,
                items=tuple(_inspection_item(row, today) for row in rows),
                more_url=reverse("inspections:my-inspections"),
                position=10,
            )
        )
        rows, count = section_rows(evidence_to_verify(user))
        sections.append(
            TodaySection(
                key="evidence_to_verify",
                title=_("Evidence awaiting your verification"),
                count=count,
                items=tuple(_issue_item(row, flag=_("to verify"), tone=WARNING) for row in rows),
                more_url=f"{reverse('inspections:issue-list')}?status={IssueStatus.SUBMITTED}",
                position=20,
            )
        )
    if _rectifies(scope):
        rows, count = section_rows(issues_to_rectify(user))
        sections.append(
            TodaySection(
                key="issues_to_rectify",
                title=_("Issues to rectify"),
                count=count,
                items=tuple(_rectify_item(row, today) for row in rows),
                more_url=f"{reverse('inspections:issue-list')}?status={IssueStatus.OPEN}",
                position=10,
            )
        )
    if scope.is_global or scope.role_kinds.intersection(OFFICIALS):
        rows, count = section_rows(escalations(user))
        sections.append(
            TodaySection(
                key="escalations",
                title=_("Escalated issues"),
                count=count,
                items=tuple(
                    _issue_item(
                        row,
                        flag=_("escalated to tier %(tier)s") % {"tier": row.escalated_to} if row.escalated_to else "",
                        tone=DANGER,
                    )
                    for row in rows
                ),
                more_url=reverse("inspections:overdue-board"),
                position=10,
            )
        )
    return sections


# --- counts on the navigation entries (one count each, only for the roles concerned; they run on every page) ---


def inspections_badge(user) -> int:
    if RoleKind.INSPECTOR not in get_scope(user).role_kinds:
        return 0
    return group_inspections_due(user).count()


def issues_badge(user) -> int:
    """An inspector's evidence to verify; a contractor's (or property service staff's) open issues."""
    scope = get_scope(user)
    total = 0
    if RoleKind.INSPECTOR in scope.role_kinds:
        total += evidence_to_verify(user).count()
    if _rectifies(scope):
        total += issues(user).filter(_answered_by(scope), status=IssueStatus.OPEN).count()
    return total


def escalations_badge(user) -> int:
    scope = get_scope(user)
    if not (scope.is_global or scope.role_kinds.intersection(OFFICIALS)):
        return 0
    return escalations(user).count()
