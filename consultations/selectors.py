"""Reads of the consultations app: scoped lists, overdue minutes, the public page (the secretary's today list is in
consultations/today.py)."""

from __future__ import annotations

from datetime import timedelta

from django.db.models import Count, Prefetch, Q
from django.utils import timezone

from communities import selectors as community_selectors
from consultations.choices import ProblemStatus, VoteStatus
from consultations.models import Meeting, Need, ResidentProblem, Topic, Vote, Voter


def meetings_minutes_overdue(now=None):
    """Meetings whose minutes are still unpublished 3 days after the meeting (set-based; the partial index
    meeting_minutes_unpublished serves it). The reminders sweep uses this."""
    now = now or timezone.now()
    return Meeting.objects.filter(
        minutes_published_at__isnull=True, held_at__lt=now - timedelta(days=Meeting.MINUTES_DUE_DAYS)
    )


def topics(user):
    return Topic.objects.visible_to(user).select_related("compound").annotate(need_count=Count("needs"))


def meetings(user):
    return Meeting.objects.visible_to(user).select_related("compound", "convener")


def votes(user):
    """Votes with their voters and ballots prefetched: a page of votes and their tallies is three queries."""
    return (
        Vote.objects.visible_to(user)
        .select_related("topic__compound", "building")
        .prefetch_related(
            Prefetch(
                "voters",
                queryset=Voter.objects.select_related("ballot").only(
                    "id", "vote_id", "area", "owner_id", "ballot__choice", "ballot__channel", "ballot__voter_id"
                ),
            )
        )
    )


def problems(user):
    return ResidentProblem.objects.visible_to(user).select_related("compound", "assigned_to")


def needs(user):
    return Need.objects.visible_to(user).select_related("compound", "building", "topic")


def public_compound(compound) -> dict:
    """What anyone may read about a compound: decisions and what they changed, project progress, contact board.

    Never a resident's phone number, ballots or the owners' roll: the board shows only the phones its roles
    publish (communities.selectors.building_boards).
    """
    from projects.models import Project

    published = (
        Topic.objects.filter(compound=compound, feedback_published_at__isnull=False)
        .select_related("plan_version")
        .prefetch_related("scope_items")
        .order_by("-feedback_published_at")
    )
    closed_votes = (
        Vote.objects.filter(topic__compound=compound, status=VoteStatus.CLOSED)
        .select_related("topic", "building")
        .order_by("-closed_at")
    )
    return {
        "topics": list(published),
        "votes": list(closed_votes),
        "projects": list(Project.objects.filter(compound=compound).select_related("contractor").order_by("-batch")),
        "board": community_selectors.compound_board(compound),
        "boards": community_selectors.compound_boards(compound),
        "meetings": list(
            Meeting.objects.filter(compound=compound, minutes_published_at__isnull=False).order_by("-held_at")[:5]
        ),
    }


def problem_stats(user) -> dict:
    rows = problems(user).aggregate(
        resolved=Count("id", filter=Q(status=ProblemStatus.RESOLVED)),
        open=Count("id", filter=Q(status=ProblemStatus.OPEN)),
    )
    return rows
