"""Reads of the consultations app: scoped lists, overdue minutes, the public page (the secretary's today list is in
consultations/today.py)."""

from __future__ import annotations

from datetime import timedelta

from django.db.models import Avg, Count, OuterRef, Prefetch, Q, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from communities import selectors as community_selectors
from consultations.choices import ProblemStatus, VoteStatus
from consultations.models import Meeting, Need, ResidentProblem, Survey, SurveyCode, SurveyResponse, Topic, Vote, Voter


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
        **public_problems(compound),
    }


PUBLIC_PROBLEMS_SHOWN = 20


def public_problems(compound) -> dict:
    """The problems staff published on the compound's public page, with status and answer (never who raised
    them), and whether a satisfaction survey is open (two queries whatever the number of problems)."""
    return {
        "public_problems": list(
            ResidentProblem.objects.filter(compound=compound, published_at__isnull=False)
            .select_related("building")
            .only(
                "pk",
                "description",
                "status",
                "answer",
                "answered_at",
                "resolved_at",
                "created_at",
                "published_at",
                "building__number",
            )
            .order_by("-published_at")[:PUBLIC_PROBLEMS_SHOWN]
        ),
        "survey_open": Survey.objects.filter(compound=compound, closed_at__isnull=True).exists(),
    }


def surveys(user):
    """The user's surveys with their counts and averages, by subqueries (one query for a page of surveys)."""
    codes = SurveyCode.objects.filter(survey=OuterRef("pk")).order_by().values("survey").annotate(n=Count("id"))
    answers = SurveyResponse.objects.filter(survey=OuterRef("pk")).order_by().values("survey")
    return (
        Survey.objects.visible_to(user)
        .select_related("compound", "opened_by")
        .annotate(
            code_count=Coalesce(Subquery(codes.values("n")), 0),
            response_count=Coalesce(Subquery(answers.annotate(n=Count("id")).values("n")), 0),
            avg_overall=Subquery(answers.annotate(a=Avg("overall")).values("a")),
            avg_quality=Subquery(answers.annotate(a=Avg("quality")).values("a")),
            avg_site_conduct=Subquery(answers.annotate(a=Avg("site_conduct")).values("a")),
            avg_communication=Subquery(answers.annotate(a=Avg("communication")).values("a")),
        )
    )


def survey_results(survey) -> dict:
    """A survey's figures: answers against codes (the response rate), the average of each rating, and how many
    gave each overall score (two queries)."""
    figures = SurveyResponse.objects.filter(survey=survey).aggregate(
        responses=Count("id"),
        overall=Avg("overall"),
        quality=Avg("quality"),
        site_conduct=Avg("site_conduct"),
        communication=Avg("communication"),
    )
    codes = survey.codes.count()
    spread = dict(
        SurveyResponse.objects.filter(survey=survey).order_by().values_list("overall").annotate(n=Count("id"))
    )
    return {
        **figures,
        "codes": codes,
        "rate": round(100 * figures["responses"] / codes) if codes else None,
        "spread": [(score, spread.get(score, 0)) for score in range(5, 0, -1)],
    }


def problem_stats(user) -> dict:
    rows = problems(user).aggregate(
        resolved=Count("id", filter=Q(status=ProblemStatus.RESOLVED)),
        open=Count("id", filter=Q(status=ProblemStatus.OPEN)),
    )
    return rows
