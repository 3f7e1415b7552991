"""The consultations' event notifications: who is told, at once, when a residents' problem is reported from a plate,
assigned or answered, and when a meeting is scheduled, moved or cancelled.

Each function is called by the service that makes the change, inside its transaction
(``notifications.services.notify_event``): the notification is written with the change or not at all, and sent by
e-mail after the commit. Each event has a key of its own (the problem's first answer, its resolution; the meeting's
date as scheduled), so a retried or racing request that changes nothing new notifies no one again."""

from __future__ import annotations

import zlib

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from communities.choices import RoleKind
from communities.models import Role
from consultations.choices import NotificationKind
from consultations.models import Meeting, MeetingInvitation, ResidentProblem
from notifications.services import notify_event
from projects.models import Project


def _problem_url(problem: ResidentProblem) -> str:
    return reverse("consultations:problem-detail", args=[problem.pk])


def problem_assigned(*, problem: ResidentProblem, actor) -> list[int]:
    """The assignee is told of the problem they are to answer (unless they assigned it to themselves)."""
    if problem.assigned_to_id is None:
        return []
    return notify_event(
        kind=NotificationKind.PROBLEM_ASSIGNED,
        subject_key=f"problem:{problem.pk}",
        event_key=f"to:{problem.assigned_to_id}",
        recipient_ids=[problem.assigned_to_id],
        exclude=[getattr(actor, "pk", None)],
        title=_("Residents' problem to answer: %(text)s") % {"text": problem.description[:80]},
        body=problem.compound.name,
        url=_problem_url(problem),
    )


def problem_answered(*, problem: ResidentProblem, actor, first_answer: bool) -> list[int]:
    """Who recorded the problem and its assignee are told of its first answer, and again when it is resolved."""
    resolved = problem.resolved_at is not None
    if not first_answer and not resolved:
        return []  # a corrected answer: the problem's page shows it; nobody is told twice
    return notify_event(
        kind=NotificationKind.PROBLEM_ANSWERED,
        subject_key=f"problem:{problem.pk}",
        event_key="resolved" if resolved else "answered",
        recipient_ids=[problem.created_by_id, problem.assigned_to_id],
        exclude=[getattr(actor, "pk", None)],
        title=(_("Residents' problem resolved: %(text)s") if resolved else _("Residents' problem answered: %(text)s"))
        % {"text": problem.description[:80]},
        body=problem.answer,
        url=_problem_url(problem),
    )


def problem_reported(*, problem: ResidentProblem) -> list[int]:
    """A resident reported a problem from the plate's QR code: the secretaries of the compound's community are
    told at once (the subdistrict's officials when the community has no secretary). One notice per problem."""
    compound = problem.compound
    recipients = list(
        Role.objects.filter(
            kind=RoleKind.COMMUNITY_SECRETARY, community_id=compound.community_id, user__is_active=True
        ).values_list("user_id", flat=True)
    )
    if not recipients:
        recipients = list(
            Role.objects.filter(
                kind=RoleKind.SUBDISTRICT_OFFICIAL,
                subdistrict_id=compound.community.subdistrict_id,
                user__is_active=True,
            ).values_list("user_id", flat=True)
        )
    where = f"{compound.name} {problem.building.number}" if problem.building_id else compound.name
    return notify_event(
        kind=NotificationKind.PROBLEM_REPORTED,
        subject_key=f"problem:{problem.pk}",
        event_key="reported",
        recipient_ids=recipients,
        title=_("A resident reported a problem: %(text)s") % {"text": problem.description[:80]},
        body=where,
        url=_problem_url(problem),
    )


def meeting_audience(meeting: Meeting) -> list[int]:
    """Who hears of a meeting besides its invitees: the secretaries of the compound's community and the
    subdistrict leaders hooked to its projects (挂钩)."""
    secretaries = Role.objects.filter(
        kind=RoleKind.COMMUNITY_SECRETARY, community_id=meeting.compound.community_id, user__is_active=True
    ).values_list("user_id", flat=True)
    liaisons = Project.objects.filter(compound_id=meeting.compound_id, liaisons__is_active=True).values_list(
        "liaisons", flat=True
    )
    return [*secretaries, *liaisons]


def meeting_invitees(meeting: Meeting) -> list[int]:
    """The invitees who have a portal account: a building lead or owner whose phone number is a user's."""
    return list(
        MeetingInvitation.objects.filter(meeting=meeting, user__is_active=True).values_list("user_id", flat=True)
    )


def _when(meeting: Meeting) -> str:
    return f"{timezone.localtime(meeting.held_at):%Y-%m-%d %H:%M}"


def _meeting_notify(meeting: Meeting, *, kind: str, event_key: str, title: str, body: str, actor) -> list[int]:
    """Staff are linked to the meeting's page; invitees who are not staff (a building lead with an account but no
    role over the compound) to the compound's public page, which they can open."""
    staff = meeting_audience(meeting)
    common = {"kind": kind, "subject_key": f"meeting:{meeting.pk}", "event_key": event_key, "title": title}
    actor_id = getattr(actor, "pk", None)
    ids = notify_event(
        **common,
        recipient_ids=staff,
        exclude=[actor_id],
        body=body,
        url=reverse("consultations:meeting-detail", args=[meeting.pk]),
    )
    return ids + notify_event(
        **common,
        recipient_ids=meeting_invitees(meeting),
        exclude=[actor_id, *staff],
        body=body,
        url=reverse("public-compound", args=[meeting.compound.code]),
    )


def meeting_scheduled(*, meeting: Meeting, actor) -> list[int]:
    """A meeting set for a time still to come."""
    return _meeting_notify(
        meeting,
        kind=NotificationKind.MEETING_SCHEDULED,
        event_key="scheduled",
        title=_("Meeting on %(when)s: %(compound)s") % {"when": _when(meeting), "compound": meeting.compound.name},
        body=_("%(kind)s at %(place)s") % {"kind": meeting.get_kind_display(), "place": meeting.place},
        actor=actor,
    )


def meeting_moved(*, meeting: Meeting, actor) -> list[int]:
    """The meeting's time or place changed (call after saving the new ones): one notice per new time and place."""
    return _meeting_notify(
        meeting,
        kind=NotificationKind.MEETING_MOVED,
        event_key=f"{meeting.held_at.timestamp():.0f}:{zlib.crc32(meeting.place.encode()):08x}",
        title=_("Meeting moved to %(when)s: %(compound)s")
        % {"when": _when(meeting), "compound": meeting.compound.name},
        body=_("%(kind)s at %(place)s") % {"kind": meeting.get_kind_display(), "place": meeting.place},
        actor=actor,
    )


def meeting_cancelled(*, meeting: Meeting, actor, reason: str = "") -> list[int]:
    """The meeting will not take place."""
    return _meeting_notify(
        meeting,
        kind=NotificationKind.MEETING_CANCELLED,
        event_key="cancelled",
        title=_("Meeting of %(when)s cancelled: %(compound)s")
        % {"when": _when(meeting), "compound": meeting.compound.name},
        body=reason,
        actor=actor,
    )
