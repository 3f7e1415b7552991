"""The inspections' event notifications: who is told, at once, when a rectification issue changes hands.

Each function is called by the service that makes the change, inside its transaction
(``notifications.services.notify_event``): the notification is written with the change or not at all, and sent by
e-mail after the commit. The event key is the issue's history row (``IssueEvent``), so each event notifies once
whatever retries or races around it — the services lock the issue and refuse a transition made twice."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext as _

from communities.choices import RoleKind
from communities.models import Role
from inspections.choices import NotificationKind
from inspections.models import IssueEvent, RectificationIssue
from notifications.services import notify_event


def contractor_members(company_id: int | None, kind: str = RoleKind.CONTRACTOR) -> list[int]:
    """The active users of the company holding its roles of ``kind``: a contractor's people (contractor roles), a
    property service company's staff (property-staff roles)."""
    if company_id is None:
        return []
    return list(
        Role.objects.filter(kind=kind, company_id=company_id, user__is_active=True)
        .values_list("user_id", flat=True)
        .distinct()
    )


def community_staff(community_id: int) -> list[int]:
    """The active staff of a community: its secretaries and the inspectors bound to it."""
    return list(
        Role.objects.filter(
            kind__in=[RoleKind.COMMUNITY_SECRETARY, RoleKind.INSPECTOR], community_id=community_id, user__is_active=True
        )
        .values_list("user_id", flat=True)
        .distinct()
    )


def assignee_members(issue: RectificationIssue) -> list[int]:
    """Whoever answers for the issue: its contractor's people, its property service company's staff, or the staff
    of its responsible community."""
    if issue.community_id is not None:
        return community_staff(issue.community_id)
    if issue.property_company_id is not None:
        return contractor_members(issue.property_company_id, RoleKind.PROPERTY_STAFF)
    return contractor_members(issue.contractor_id)


def issue_inspectors(issue: RectificationIssue) -> list[int]:
    """Who verifies the issue's evidence: the inspector who filed the finding and the members of the inspection's
    group; for an aftercare patrol's finding, who found it and the staff of the compound's community (its
    subdistrict's officials when the community itself answers for it)."""
    inspection = issue.inspection
    if inspection is None:
        community = issue.project.compound.community
        recipients = [issue.found_by_id] if issue.found_by_id else []
        if issue.community_id is None:
            return recipients + community_staff(community.pk)
        return recipients + list(
            Role.objects.filter(
                kind=RoleKind.SUBDISTRICT_OFFICIAL, subdistrict_id=community.subdistrict_id, user__is_active=True
            ).values_list("user_id", flat=True)
        )
    recipients = [inspection.inspector_id] if inspection.inspector_id else []
    if inspection.group_id:
        recipients += list(inspection.group.members.filter(is_active=True).values_list("pk", flat=True))
    return recipients


def _notify(
    issue: RectificationIssue, event: IssueEvent, actor, *, kind: str, recipient_ids: list[int], title: str, body: str
) -> list[int]:
    """One notification per issue event (keyed by its history row), to everyone but the actor who made it."""
    return notify_event(
        kind=kind,
        subject_key=f"issue:{issue.pk}",
        event_key=f"event:{event.pk}",
        recipient_ids=recipient_ids,
        exclude=[getattr(actor, "pk", None)],
        title=title,
        body=body,
        url=reverse("inspections:issue-detail", args=[issue.pk]),
    )


def _text(issue: RectificationIssue) -> dict[str, str]:
    return {"text": issue.description[:80]}


def issue_assigned(*, issue: RectificationIssue, event: IssueEvent, actor) -> list[int]:
    """A finding filed: the contractor's people (or whoever else answers for it) are told of the new issue and its
    deadline."""
    return _notify(
        issue,
        event,
        actor,
        kind=NotificationKind.ISSUE_ASSIGNED,
        recipient_ids=assignee_members(issue),
        title=_("New rectification issue: %(text)s") % _text(issue),
        body=_("%(project)s · %(location)s · %(severity)s · rectify by %(deadline)s")
        % {
            "project": issue.project.name,
            "location": issue.location,
            "severity": issue.get_severity_display(),
            "deadline": issue.deadline,
        },
    )


def evidence_submitted(*, issue: RectificationIssue, event: IssueEvent, actor) -> list[int]:
    """The contractor reported the fix: the inspectors are told there is evidence to verify."""
    return _notify(
        issue,
        event,
        actor,
        kind=NotificationKind.EVIDENCE_SUBMITTED,
        recipient_ids=issue_inspectors(issue),
        title=_("Evidence to verify: %(text)s") % _text(issue),
        body=event.note,
    )


def issue_sent_back(*, issue: RectificationIssue, event: IssueEvent, actor) -> list[int]:
    """The evidence did not convince: the contractor's people are told why."""
    return _notify(
        issue,
        event,
        actor,
        kind=NotificationKind.ISSUE_SENT_BACK,
        recipient_ids=assignee_members(issue),
        title=_("Rectification sent back: %(text)s") % _text(issue),
        body=_("Reason: %(reason)s") % {"reason": event.note},
    )


def issue_closed(*, issue: RectificationIssue, event: IssueEvent, actor) -> list[int]:
    """Verified and closed (销号): the contractor's people are told."""
    return _notify(
        issue,
        event,
        actor,
        kind=NotificationKind.ISSUE_CLOSED,
        recipient_ids=assignee_members(issue),
        title=_("Rectification verified and closed: %(text)s") % _text(issue),
        body=event.note,
    )
