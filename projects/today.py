"""The projects' part of the home page's "today" list (registered in projects.apps): a contractor's projects that
need him — a progress report owed, a plan to add or confirm. One query, whatever the number of projects."""

from __future__ import annotations

from datetime import timedelta

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from communities.choices import RoleKind
from communities.scoping import get_scope
from communities.today import DANGER, ITEM_LIMIT, WARNING, TodayItem, TodaySection
from projects.choices import ProjectStatus
from projects.selectors import REPORT_EVERY_DAYS, contractor_action_items


def _owes_report(project, today) -> bool:
    return project.status == ProjectStatus.CONSTRUCTION and (
        project.latest_report is None or project.latest_report < today - timedelta(days=REPORT_EVERY_DAYS)
    )


def _needs_plan(project) -> bool:
    return project.status in (ProjectStatus.PLANNING, ProjectStatus.SURVEY_DESIGN) and not project.plan_count


def _needs_confirmation(project) -> bool:
    return project.status == ProjectStatus.PLAN_CONFIRMATION and not project.contractor_confirmed


def projects_needing_action(user, today=None) -> list:
    """(project, needs) of the user's companies' open projects that owe something now — a progress report, a
    plan, the contractor's confirmation of the plan (one query). Being past the planned finish is said on the
    project, but alone is nothing to do today."""
    scope = get_scope(user)
    if RoleKind.CONTRACTOR not in scope.role_kinds or not scope.company_ids:
        return []
    today = today or timezone.localdate()
    return [
        (project, needs)
        for project, needs in contractor_action_items(user, scope.company_ids, today)
        if _owes_report(project, today) or _needs_plan(project) or _needs_confirmation(project)
    ]


def _action_url(project, today) -> str:
    """The page where the first thing owed is done: the report form, the plan form, else the project's page."""
    if _owes_report(project, today):
        return reverse("projects:report-create", args=[project.pk])
    if _needs_plan(project):
        return reverse("projects:plan-create", args=[project.pk])
    return reverse("projects:project-detail", args=[project.pk])


def today_sections(user, scope) -> list[TodaySection]:
    if RoleKind.CONTRACTOR not in scope.role_kinds or not scope.company_ids:
        return []
    today = timezone.localdate()
    rows = projects_needing_action(user, today)
    return [
        TodaySection(
            key="projects_needing_action",
            title=_("Projects needing action"),
            count=len(rows),
            items=tuple(
                TodayItem(
                    title=project.name,
                    url=_action_url(project, today),
                    detail=" · ".join(str(need) for need in needs),
                    due=project.planned_finish,
                    flag=str(needs[0]),
                    tone=DANGER if project.is_overdue else WARNING,
                )
                for project, needs in rows[:ITEM_LIMIT]
            ),
            more_url=reverse("projects:project-list"),
            position=30,
        )
    ]


def projects_badge(user) -> int:
    return len(projects_needing_action(user))
