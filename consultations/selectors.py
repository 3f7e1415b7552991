"""Reads of the consultations app: scoped lists, overdue minutes, the public page (the secretary's today list is in
consultations/today.py)."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from django.db.models import Avg, Count, Max, OuterRef, Prefetch, Q, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from communities import selectors as community_selectors
from communities.choices import RoleKind
from communities.scoping import get_scope
from consultations.choices import MeetingStatus, ProblemStatus, VoteStatus
from consultations.models import Meeting, Need, ResidentProblem, Survey, SurveyCode, SurveyResponse, Topic, Vote, Voter


def meetings_minutes_overdue(now=None):
    """Meetings whose minutes are still unpublished 3 days after the meeting's date — counted from the date it
    was (or is) held, never from when it was scheduled; cancelled meetings owe none (set-based; the partial index
    meeting_minutes_unpublished serves it). The reminders sweep uses this."""
    now = now or timezone.now()
    return Meeting.objects.filter(
        minutes_published_at__isnull=True,
        status=MeetingStatus.SCHEDULED,
        held_at__lt=now - timedelta(days=Meeting.MINUTES_DUE_DAYS),
    )


def topics(user):
    return Topic.objects.visible_to(user).select_related("compound").annotate(need_count=Count("needs"))


# Meetings name their invitees and who signed in (owners' personal data): only those who run consultations and
# the officials above them read them, not contractors or inspectors who otherwise read the compound.
MEETING_READER_ROLES = (
    RoleKind.PROVINCE_OFFICIAL,
    RoleKind.CITY_OFFICIAL,
    RoleKind.DISTRICT_OFFICIAL,
    RoleKind.SUBDISTRICT_OFFICIAL,
    RoleKind.COMMUNITY_SECRETARY,
)


def meetings(user):
    if not get_scope(user).has_role(*MEETING_READER_ROLES):
        return Meeting.objects.none()
    return Meeting.objects.visible_to(user).select_related("compound", "convener")


def meeting_children(model, user):
    """Invitations, sign-ins, photos or minutes versions of the meetings the user may read."""
    if not get_scope(user).has_role(*MEETING_READER_ROLES):
        return model.objects.none()
    return model.objects.visible_to(user)


def meetings_to_come(user):
    """Scheduled meetings whose date is still to come, soonest first."""
    return meetings(user).filter(status=MeetingStatus.SCHEDULED, held_at__gt=timezone.now()).order_by("held_at")


def meetings_minutes_due(user):
    """Meetings held whose minutes are not published yet, oldest first (none before the meeting's date)."""
    return meetings(user).filter(status=MeetingStatus.SCHEDULED, held_at__lte=timezone.now()).order_by("held_at")


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
            Meeting.objects.filter(compound=compound, status=MeetingStatus.PUBLISHED)
            .annotate(versions=Count("minutes_versions"), corrected_at=Max("minutes_versions__published_at"))
            .order_by("-held_at")[:5]
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


def day_bounds(since, until) -> dict:
    """The instants of the local days [since, until] (both included; None leaves that side open), as lookups on a
    datetime field named ``field`` — ``{"gte": …, "lt": …}`` — so an index on the field serves the range."""
    bounds = {}
    if since is not None:
        bounds["gte"] = timezone.make_aware(datetime.combine(since, time.min))
    if until is not None:
        bounds["lt"] = timezone.make_aware(datetime.combine(until + timedelta(days=1), time.min))
    return bounds


def resolved_between(since, until) -> Q:
    """Residents' problems resolved in [since, until] (local days, both included): the dashboards' "residents'
    problems solved" and the problem list's ``resolved_since``/``resolved_until`` filter."""
    return Q(
        status=ProblemStatus.RESOLVED,
        resolved_at__isnull=False,
        **{f"resolved_at__{lookup}": instant for lookup, instant in day_bounds(since, until).items()},
    )
