"""The consultations' part of the home page's "today" list (registered in consultations.apps): a community
secretary's meetings coming up, minutes due, residents' problems to answer and open votes. Each section is one
query; the navigation badge one count."""

from __future__ import annotations

from datetime import timedelta

from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from communities.choices import RoleKind
from communities.scoping import get_scope
from communities.today import DANGER, INFO, SECONDARY, WARNING, TodayItem, TodaySection, section_rows
from consultations.choices import MeetingStatus, ProblemStatus, VoteStatus
from consultations.models import Meeting, Vote
from consultations.selectors import meetings, problems

UPCOMING_DAYS = 7  # meetings in the coming week are on the list


def upcoming_meetings(user, now=None):
    now = now or timezone.now()
    return (
        meetings(user)
        .filter(status=MeetingStatus.SCHEDULED, held_at__gte=now, held_at__lt=now + timedelta(days=UPCOMING_DAYS))
        .order_by("held_at")
    )


def minutes_due(user, now=None):
    """Meetings already held whose minutes are not published, oldest first. The due date counts from the
    meeting's date (``Meeting.MINUTES_DUE_DAYS`` after it): a meeting dated next week owes nothing yet."""
    now = now or timezone.now()
    return (
        meetings(user)
        .filter(status=MeetingStatus.SCHEDULED, held_at__lt=now, minutes_published_at__isnull=True)
        .order_by("held_at", "pk")
    )


def problems_to_answer(user):
    return problems(user).filter(status=ProblemStatus.OPEN).order_by("created_at", "pk")


def open_votes(user):
    return (
        Vote.objects.visible_to(user)
        .filter(status=VoteStatus.OPEN)
        .select_related("topic__compound", "building")
        .order_by("opened_at", "pk")
    )


def _when(moment) -> str:
    return date_format(timezone.localtime(moment), "m-d H:i")


def _minutes_item(meeting, now) -> TodayItem:
    due = meeting.held_at + timedelta(days=Meeting.MINUTES_DUE_DAYS)
    overdue = due < now
    return TodayItem(
        title=f"{meeting.get_kind_display()} · {meeting.compound.name}",
        url=reverse("consultations:meeting-detail", args=[meeting.pk]),
        detail=_("held %(held)s · minutes due %(due)s") % {"held": _when(meeting.held_at), "due": _when(due)},
        due=due,
        flag=_("overdue") if overdue else _("minutes to write"),
        tone=DANGER if overdue else WARNING,
    )


def today_sections(user, scope) -> list[TodaySection]:
    if RoleKind.COMMUNITY_SECRETARY not in scope.role_kinds:
        return []
    now = timezone.now()
    today = timezone.localdate()
    sections = []
    rows, count = section_rows(minutes_due(user, now))
    sections.append(
        TodaySection(
            key="minutes_due",
            title=_("Minutes due"),
            count=count,
            items=tuple(_minutes_item(meeting, now) for meeting in rows),
            more_url=reverse("consultations:workspace"),
            position=20,
        )
    )
    rows, count = section_rows(upcoming_meetings(user, now))
    sections.append(
        TodaySection(
            key="upcoming_meetings",
            title=_("Meetings in the coming week"),
            count=count,
            items=tuple(
                TodayItem(
                    title=f"{meeting.get_kind_display()} · {meeting.compound.name}",
                    url=reverse("consultations:meeting-detail", args=[meeting.pk]),
                    detail=f"{_when(meeting.held_at)} · {meeting.place}",
                    due=meeting.held_at,
                    flag=_("today") if timezone.localtime(meeting.held_at).date() == today else "",
                    tone=INFO,
                )
                for meeting in rows
            ),
            more_url=reverse("consultations:workspace"),
            position=10,
        )
    )
    rows, count = section_rows(problems_to_answer(user))
    sections.append(
        TodaySection(
            key="problems_to_answer",
            title=_("Residents' problems to answer"),
            count=count,
            items=tuple(
                TodayItem(
                    title=problem.description[:60],
                    url=reverse("consultations:problem-detail", args=[problem.pk]),
                    detail=f"{problem.compound.name} · {_when(problem.created_at)}",
                    due=problem.created_at,
                    flag=_("unanswered"),
                    tone=WARNING,
                )
                for problem in rows
            ),
            more_url=reverse("consultations:problem-list"),
            position=30,
        )
    )
    rows, count = section_rows(open_votes(user))
    sections.append(
        TodaySection(
            key="open_votes",
            title=_("Open votes"),
            count=count,
            items=tuple(
                TodayItem(
                    title=vote.title,
                    url=reverse("consultations:vote-detail", args=[vote.pk]),
                    detail=f"{vote.topic.compound.name}{f' · {vote.building}' if vote.building_id else ''}",
                    due=vote.opened_at,
                    flag=_("open"),
                    tone=SECONDARY,
                )
                for vote in rows
            ),
            more_url=reverse("consultations:workspace"),
            position=40,
        )
    )
    return sections


def consultation_badge(user) -> int:
    """A secretary's minutes due and problems to answer, counted in one query."""
    if RoleKind.COMMUNITY_SECRETARY not in get_scope(user).role_kinds:
        return 0
    return (
        minutes_due(user)
        .order_by()
        .values("pk")
        .union(problems_to_answer(user).order_by().values("pk"), all=True)
        .count()
    )
