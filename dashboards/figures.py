"""The figures of a place's dashboard (province → city → district → subdistrict → community → compound).

Every figure is an aggregate over the place's subtree, computed by the database: each section is one or two
GROUP BY queries, whatever the number of compounds, so a level costs the same fixed number of queries at a
district of 640 compounds and at national scale. Each figure carries the URL of the list it counts.
"""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from functools import lru_cache
from statistics import median
from urllib.parse import urlencode

from django.conf import settings
from django.core.cache import cache
from django.db import connection, connections
from django.db.models import Avg, Count, DurationField, ExpressionWrapper, F, Field, Lookup, Q, Sum
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils import timezone
from django.utils.translation import get_language, gettext_lazy

from aftercare.choices import CULTURE_KINDS, SERVICE_SPACE_KINDS
from aftercare.models import Space
from communities import selectors as community_selectors
from communities.choices import PropertyMode
from communities.models import (
    City,
    Community,
    Compound,
    District,
    PropertyService,
    Province,
    Subdistrict,
)
from consultations.choices import MeetingStatus, ProblemStatus, Step, VoteResult, VoteStatus
from consultations.models import Meeting, Need, ResidentProblem, SurveyCode, Topic, Vote
from consultations.selectors import resolved_between
from dashboards import daily, rollups
from dashboards import sql as dashboard_sql
from inspections.choices import InspectionStatus, IssueOrigin, IssueStatus
from inspections.models import Inspection, RectificationIssue
from projects.choices import CATEGORY_UNITS as SCOPE_UNITS
from projects.choices import OPEN_STATUSES, FundingSource, ProjectStatus, ScopeCategory
from projects.models import ProgrammeTarget, Project, ScopeItem, TargetShare
from projects.selectors import (
    ZERO,
    FundingTotals,
    funding_by_node,
    funding_total,
    funding_totals,
    with_pending_confirmation,
)

LEVELS = ("province", "city", "district", "subdistrict", "community", "compound")
UPPER_LEVELS = ("province", "city", "nation")  # above the district: read-only, targets summed over the districts below
NATION = "nation"  # the national overview (全国总览): no id, global-scope users only (``NATION_PLACE``)
PLACE_MODELS = {
    "province": Province,
    "city": City,
    "district": District,
    "subdistrict": Subdistrict,
    "community": Community,
    "compound": Compound,
}
CHILD_LEVEL = {
    "province": "city",
    "city": "district",
    "district": "subdistrict",
    "subdistrict": "community",
    "community": "compound",
    "compound": None,
    "nation": "province",
}
# From a place of a level to its parent's id (for the rows of the drill-down table), and from a province to its
# districts (the province's per-district breakdown).
PARENT_LOOKUP = {
    ("nation", "province"): "id__nationwide",  # every province (``Nationwide``)
    ("nation", "district"): "id__nationwide",
    ("province", "city"): "province_id",
    ("city", "district"): "city_id",
    ("province", "district"): "city__province_id",
    ("district", "subdistrict"): "district_id",
    ("subdistrict", "community"): "subdistrict_id",
    ("community", "compound"): "community_id",
}
# From a compound to the id of the place at each level.
COMPOUND_TO = {
    "province": "community__subdistrict__district__city__province_id",
    "city": "community__subdistrict__district__city_id",
    "district": "community__subdistrict__district_id",
    "subdistrict": "community__subdistrict_id",
    "community": "community_id",
    "compound": "id",
    "nation": "id__nationwide",  # every compound (``Nationwide``)
}
STARTED = (ProjectStatus.CONSTRUCTION, ProjectStatus.COMPLETION_ACCEPTANCE, ProjectStatus.HANDED_OVER)
# The contractor scorecard of a city, province or nation board: its first rows only (the board's order: most overdue
# issues and repeat findings first), the whole scorecard on its own paged page (``scorecard``). A district's few
# dozen contractors are shown whole, as before.
SCORECARD_LEVELS = ("city", "province", "nation")


def scorecard_top() -> int:
    return getattr(settings, "DASHBOARD_SCORECARD_TOP", 20)


@Field.register_lookup
class Nationwide(Lookup):
    """``<field>__nationwide=None``: no condition at all (SQL ``TRUE``). The nation's place filter: every
    ``{path(prefix, level): place.pk}`` of the dashboard selects the whole country for the nation, whose place has
    no id (``NATION_PLACE.pk`` is None, so the lists' links carry no place parameter either)."""

    lookup_name = "nationwide"
    can_use_none_as_rhs = True
    prepare_rhs = False

    def as_sql(self, compiler, connection):
        return "1 = 1", []


class NationPlace:
    """The whole country as a dashboard's place (level ``nation``)."""

    pk = None
    name = gettext_lazy("National overview")
    level = NATION

    def __reduce__(self):  # one instance, also through the figure cache
        return "NATION_PLACE"


NATION_PLACE = NationPlace()


def path(prefix: str, level: str) -> str:
    """The lookup from a model (through ``prefix``, e.g. ``project__compound__``) to the id of ``level``."""
    return prefix + COMPOUND_TO[level]


@dataclass
class Dashboard:
    level: str
    place: object
    today: date
    show_rounds: bool
    progress: dict = field(default_factory=dict)
    scope: list = field(default_factory=list)
    inspections: dict = field(default_factory=dict)
    patrols: dict = field(default_factory=dict)  # aftercare patrols' findings: never in ``inspections``
    consultation: dict = field(default_factory=dict)
    contractors: list = field(default_factory=list)
    evaluations: list = field(default_factory=list)
    governance: dict = field(default_factory=dict)
    children: list = field(default_factory=list)
    funding: dict = field(default_factory=dict)
    districts: list = field(default_factory=list)  # a province's breakdown per district (a city's is its children)
    contractors_total: int = 0  # contractors in the whole scorecard (a city, province or nation shows the first)
    contractors_url: str = ""  # the whole scorecard's page (city, province, nation)

    @property
    def child_level(self):
        return CHILD_LEVEL[self.level]


# The script prefix and URLconf of the request a board is built for, read once per board (``build``): each read is a
# lookup in asgiref's context-local storage (≈ 2 µs, twice per link), and a district's board makes ≈ 120 links.
_BASE: ContextVar[tuple | None] = ContextVar("dashboard_link_base", default=None)


def _base() -> tuple:
    return _BASE.get() or (get_script_prefix(), get_urlconf())


@lru_cache(maxsize=64)
def _translated(choices, language: str | None) -> tuple:
    return tuple((value, str(label)) for value, label in choices.choices)


def _choices(choices) -> tuple:
    """``choices.choices`` with each label translated once per language and process (a board lists ≈ 70 labels;
    turning each lazy label into text was a call into the translation catalogue per label and request)."""
    return _translated(choices, get_language())


@lru_cache(maxsize=256)
def _reversed(name: str, prefix: str, urlconf) -> str:
    return reverse(name, urlconf=urlconf)


@lru_cache(maxsize=65536)
def _reversed_place(level: str, pk: int, prefix: str, urlconf) -> str:
    return reverse("dashboard:place", args=[level, pk], urlconf=urlconf)


def _place_url(level: str, pk: int) -> str:
    """A place's dashboard page, reversed once per place and process (a province's board links ≈ 70 places)."""
    return _reversed_place(level, pk, *_base())


@lru_cache(maxsize=4096)
def _pair(key: str, value: str) -> str:
    return urlencode({key: value})


def _link(name: str, **params) -> str:
    # A list's path is reversed once per name (a province's scorecard links ≈ 1,250 contractors), and each
    # parameter is encoded once (a board's ≈ 130 links repeat the place and the period): urlencode was a fifth of a
    # district dashboard's CPU. The same string as ``urlencode`` of the parameters (it too writes ``str(value)``).
    path = _reversed(name, *_base())
    query = "&".join(_pair(key, str(value)) for key, value in params.items() if value not in (None, ""))
    return f"{path}?{query}" if query else path


def _hours(delta) -> float | None:
    return None if delta is None else round(delta.total_seconds() / 3600, 1)


def _days(delta) -> float | None:
    return None if delta is None else round(delta.total_seconds() / 86400, 1)


def _median_hours(queryset, start: str, end: str) -> float | None:
    """Median of ``end - start`` in hours: PERCENTILE_CONT on PostgreSQL; the demo's SQLite counts in Python."""
    durations = queryset.filter(**{f"{end}__isnull": False}).annotate(
        took=ExpressionWrapper(F(end) - F(start), output_field=DurationField())
    )
    if connection.vendor == "postgresql":
        sql, params = durations.values("took").query.sql_with_params()
        with connections[durations.db].cursor() as cursor:
            cursor.execute(
                f"SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY EXTRACT(EPOCH FROM took)) "
                f"FROM ({sql}) AS durations",
                params,
            )
            value = cursor.fetchone()[0]
        return None if value is None else round(value / 3600, 1)
    values = [row.total_seconds() for row in durations.values_list("took", flat=True)]
    return round(median(values) / 3600, 1) if values else None


def _rolled_median_hours(rolled) -> float | None:
    """``_median_hours`` of the place's problems from the rollups (the same value, to the last bit)."""
    seconds = rollups.median_response_seconds(rolled.level, rolled.pk, rolled.keys("problem.response_h"))
    return None if seconds is None else round(seconds / 3600, 1)


def district_of(level: str, place) -> int | None:
    """The district a place lies in (None above the district)."""
    if level in UPPER_LEVELS:
        return None
    return {
        "district": lambda: place.pk,
        "subdistrict": lambda: place.district_id,
        "community": lambda: place.subdistrict.district_id,
        "compound": lambda: place.community.subdistrict.district_id,
    }[level]()


def level_targets(level: str, place) -> dict:
    """Each level's own yearly targets, by year: the district its total (``ProgrammeTarget``), a subdistrict its
    share (``TargetShare``); a community or a compound has none. Never another level's figure shown as its own."""
    if level in UPPER_LEVELS:  # the sum of the districts' targets below (a plain mapping: nothing to edit up here)
        rows = dashboard_sql.fetch(
            "SELECT year, sum(to_start), sum(to_finish) FROM projects_programmetarget "
            f"WHERE district_id IN ({dashboard_sql.DISTRICTS[level]}) GROUP BY year",
            {"pk": place.pk},
        )
        return {year: {"to_start": int(start or 0), "to_finish": int(finish or 0)} for year, start, finish in rows}
    if level == "district":
        targets = dashboard_sql.instances(
            ProgrammeTarget,
            f"SELECT {dashboard_sql.columns(ProgrammeTarget, 't')} FROM projects_programmetarget t "
            "WHERE t.district_id = %s",
            [place.pk],
        )
        return {t.year: t for t in targets}
    if level == "subdistrict":
        return {s.year: s for s in TargetShare.objects.filter(subdistrict_id=place.pk).select_related("target")}
    return {}


class Rolled:
    """A district's, city's, province's or the nation's rollups (``dashboards.rollups.read``): the place's figures
    by (figure, key), and the ``child.*`` figures per child level and child place."""

    def __init__(self, level: str, pk: int, today: date):
        self.level, self.pk = level, pk
        # A city's, province's or the nation's scorecard is read by its own query (``_scored_contractors``).
        self.totals, self.children = rollups.read(level, pk, today, scorecard=level not in SCORECARD_LEVELS)
        # By figure, once: a province's ≈ 13,000 (figure, key) rows are not scanned again for every figure read.
        self._by_figure: dict = {}
        for (name, key), value in self.totals.items():
            if value:
                self._by_figure.setdefault(name, {})[key] = value

    def keys(self, figure: str) -> dict:
        """``{key: value}`` of a figure, without zeros."""
        return dict(self._by_figure.get(figure, ()))

    def count(self, figure: str, key: str = "") -> int:
        return int(self.totals.get((figure, key), 0))


def uses_rollups(level: str) -> bool:
    """District, city and province dashboards read the rollups (PostgreSQL); a subdistrict's, community's or
    compound's figures are few enough rows to count live, and so is everything on SQLite (the demo)."""
    return level in rollups.LEVELS and rollups.enabled()


def build(level: str, place, **options) -> Dashboard:
    """The dashboard's figures (``_build``); ``live`` counts everything from the source tables even where rollups
    are kept (the rollups' tests compare the two)."""
    base = _BASE.set((get_script_prefix(), get_urlconf()))
    try:
        return _build(level, place, **options)
    finally:
        _BASE.reset(base)


def _build(
    level: str,
    place,
    *,
    user,
    show_rounds: bool,
    today: date | None = None,
    year: int | None = None,
    since: date | None = None,
    until: date | None = None,
    live: bool = False,
) -> Dashboard:
    today = today or timezone.localdate()
    board = Dashboard(level=level, place=place, today=today, show_rounds=show_rounds)
    where = {path("compound__", level): place.pk}
    param = {level: place.pk}
    rolled = Rolled(level, place.pk, today) if not live and uses_rollups(level) else None
    # The source tables' querysets, for the figures counted live (a rolled board builds none: each filter through
    # the place's joins costs a fraction of a millisecond, on every request).
    projects = None if rolled else Project.objects.filter(**where)

    # --- Progress: compounds by status and batch, against the year's targets. ---
    if rolled:
        by_status = {key: int(value) for key, value in rolled.keys("project.status").items()}
    else:
        by_status = dict(projects.order_by().values_list("status").annotate(n=Count("id")))
    board.progress["by_status"] = [
        {
            "status": value,
            "label": label,
            "count": by_status.get(value, 0),
            "url": _link("projects:project-list", status=value, **param),
        }
        for value, label in _choices(ProjectStatus)
    ]
    board.progress["total"] = sum(by_status.values())
    if rolled:
        batches = [
            {
                "batch": int(batch),
                "total": int(total),
                "started": rolled.count("batch.started", batch),
                "finished": rolled.count("batch.finished", batch),
            }
            for batch, total in sorted(rolled.keys("batch.total").items(), key=lambda kv: int(kv[0]))
        ]
    else:
        batches = (
            projects.order_by()
            .values("batch")
            .annotate(
                total=Count("id"),
                started=Count("id", filter=Q(status__in=STARTED)),
                finished=Count("id", filter=Q(status=ProjectStatus.HANDED_OVER)),
            )
            .order_by("batch")
        )
    board.progress["batches"] = [
        dict(row, url=_link("projects:project-list", batch=row["batch"], **param)) for row in batches
    ]
    # The year measured: the one asked for, else this year.
    year = year or today.year
    targets = level_targets(level, place)
    board.progress["years"] = sorted(set(targets) | {today.year} | {row["batch"] for row in board.progress["batches"]})
    if rolled:
        years = {
            "started": rolled.count("project.started", str(year)),
            "finished": rolled.count("project.finished", str(year)),
            "behind": int(sum(rolled.keys("project.behind").values())),
        }
    else:
        years = projects.order_by().aggregate(
            started=Count("id", filter=Q(actual_start__year=year)),
            finished=Count("id", filter=Q(status=ProjectStatus.HANDED_OVER, actual_finish__year=year)),
            behind=Count("id", filter=Q(status__in=OPEN_STATUSES, planned_finish__lt=today)),
        )
    board.progress.update(
        {
            "year": year,
            "target": targets.get(year),
            "started": years["started"],
            "started_url": _link("projects:project-list", started=year, **param),
            "finished": years["finished"],
            "finished_url": _link("projects:project-list", finished=year, **param),
            "behind": years["behind"],
            "behind_url": _link("projects:project-list", overdue="true", **param),
            "pending_confirmation": rolled.count("project.pending")
            if rolled
            else with_pending_confirmation(projects.filter(status=ProjectStatus.PLAN_CONFIRMATION)).count(),
            "pending_confirmation_url": _link("projects:project-list", pending_confirmation="true", **param),
        }
    )
    # Hooked leaders (挂钩领导): how many, and how many of the place's projects have one (one more query).
    if rolled:
        hooked = {"leaders": rolled.count("liaison.leaders"), "covered": rolled.count("liaison.covered")}
    else:
        hooked = projects.order_by().aggregate(
            leaders=Count("liaisons", distinct=True),
            covered=Count("id", filter=Q(liaisons__isnull=False), distinct=True),
        )
    board.progress["liaisons"] = {
        "leaders": hooked["leaders"],
        "covered": hooked["covered"],
        "projects": board.progress["total"],
    }

    # --- 数说改造, governance: the bodies set up in the period, from the records' dates (one query). ---
    since = since or date(year, 1, 1)
    until = until or date(year, 12, 31)
    board.governance = governance(level, place, since, until, live=live)

    # --- 数说改造: planned and completed quantity of every category (one GROUP BY). ---
    if rolled:
        totals = {
            category: {
                "planned": rolled.totals.get(("scope.planned", category)),
                "completed": rolled.totals.get(("scope.completed", category)),
                "projects": rolled.count("scope.projects", category),
            }
            for category in ScopeCategory.values
        }
    else:
        totals = {
            row["category"]: row
            for row in ScopeItem.objects.filter(**{path("project__compound__", level): place.pk})
            .order_by()
            .values("category")
            .annotate(
                planned=Sum("planned_quantity"),
                completed=Sum("completed_quantity"),
                projects=Count("project", distinct=True),
            )
        }
    board.scope = [
        {
            "category": value,
            "label": label,
            "unit": SCOPE_UNITS.get(value, ""),
            "planned": totals.get(value, {}).get("planned") or 0,
            "completed": totals.get(value, {}).get("completed") or 0,
            "projects": totals.get(value, {}).get("projects") or 0,
        }
        for value, label in _choices(ScopeCategory)
    ]

    # --- Funding: planned, allocated, disbursed and spent per source, and the execution rate (two GROUP BYs). ---
    if rolled:
        money = {
            source: FundingTotals(
                planned=rolled.totals.get(("fund.planned", source), ZERO),
                allocated=rolled.totals.get(("fund.allocated", source), ZERO),
                disbursed=rolled.totals.get(("fund.disbursed", source), ZERO),
                spent=rolled.totals.get(("fund.spent", source), ZERO),
            )
            for source in FundingSource.values
        }
    else:
        money = funding_totals(projects)
    board.funding = _funding(money, param)

    # --- Inspections: the three-tier regime's issues by state and tier, time to rectify, this week's rounds. An
    # aftercare patrol's findings are rectification issues too, but the regime's figures never count them: they have
    # their own (``board.patrols``), and every link carries the origin, so that it lists exactly what is counted.
    if not rolled:
        all_issues = RectificationIssue.objects.filter(**{path("project__compound__", level): place.pk})
        issues = all_issues.filter(origin=IssueOrigin.INSPECTION)
    inspection = {"origin": IssueOrigin.INSPECTION, **param}
    unclosed = ~Q(status=IssueStatus.CLOSED)
    late = unclosed & Q(deadline__lt=today)
    rectify_time = ExpressionWrapper(F("closed_at") - F("created_at"), output_field=DurationField())
    if rolled:
        tiers = [
            _rolled_issues(rolled, tier, total)
            for tier, total in sorted(rolled.keys("issue.total").items(), key=lambda kv: int(kv[0]))
        ]
    else:
        tiers = (
            issues.order_by()
            .values("tier")
            .annotate(
                total=Count("id"),
                open=Count("id", filter=Q(status=IssueStatus.OPEN)),
                submitted=Count("id", filter=Q(status=IssueStatus.SUBMITTED)),
                closed=Count("id", filter=Q(status=IssueStatus.CLOSED)),
                overdue=Count("id", filter=late),
                mean=Avg(rectify_time, filter=Q(status=IssueStatus.CLOSED)),
            )
            .order_by("tier")
        )
    tier_rows = []
    for row in tiers:
        row["mean_days"] = _days(row.pop("mean"))
        row["url"] = _link("inspections:issue-list", tier=row["tier"], **inspection)
        tier_rows.append(row)
    if rolled:
        overall = _rolled_issues(rolled, None, sum(rolled.keys("issue.total").values()))
        patrols = {name: rolled.count(f"patrol.{name}") for name in PATROL_FIGURES}
    else:
        # One query for both: the regime's issues and the patrols' findings, each counted by its origin.
        regime, patrol = Q(origin=IssueOrigin.INSPECTION), Q(origin=IssueOrigin.PATROL)
        overall = all_issues.order_by().aggregate(
            total=Count("id", filter=regime),
            open=Count("id", filter=regime & Q(status=IssueStatus.OPEN)),
            submitted=Count("id", filter=regime & Q(status=IssueStatus.SUBMITTED)),
            closed=Count("id", filter=regime & Q(status=IssueStatus.CLOSED)),
            overdue=Count("id", filter=regime & late),
            mean=Avg(rectify_time, filter=regime & Q(status=IssueStatus.CLOSED)),
            patrol_total=Count("id", filter=patrol),
            patrol_open=Count("id", filter=patrol & Q(status=IssueStatus.OPEN)),
            patrol_submitted=Count("id", filter=patrol & Q(status=IssueStatus.SUBMITTED)),
            patrol_closed=Count("id", filter=patrol & Q(status=IssueStatus.CLOSED)),
            patrol_overdue=Count("id", filter=patrol & late),
            patrol_warranty=Count("id", filter=patrol & ~Q(warranty_category="")),
        )
        patrols = {name: overall[f"patrol_{name}"] for name in PATROL_FIGURES}
    board.inspections = {
        **{k: overall[k] for k in ("total", "open", "submitted", "closed", "overdue")},
        "mean_days": _days(overall["mean"]),
        "tiers": tier_rows,
        "open_url": _link("inspections:issue-list", status=IssueStatus.OPEN, **inspection),
        "submitted_url": _link("inspections:issue-list", status=IssueStatus.SUBMITTED, **inspection),
        "closed_url": _link("inspections:issue-list", status=IssueStatus.CLOSED, **inspection),
        "overdue_url": _link("inspections:issue-list", overdue="true", **inspection),
        "total_url": _link("inspections:issue-list", **inspection),
    }
    board.patrols = _patrols(patrols, param)
    if show_rounds:  # the unannounced plan: officials only, never the inspected side
        monday = today - timedelta(days=today.weekday())
        if rolled:
            rounds = rollups.week_rounds(level, place.pk, monday)
        else:
            rounds = Inspection.objects.filter(**{path("project__compound__", level): place.pk}, week=monday).aggregate(
                planned=Count("id"), done=Count("id", filter=Q(status=InspectionStatus.FILED))
            )
        board.inspections["rounds"] = {**rounds, "week": monday}

    # --- Consultation: needs, topics by step, meetings, votes, residents' problems. ---
    compound_where = {path("compound__", level): place.pk}
    problems = None if rolled else ResidentProblem.objects.filter(**compound_where)
    if rolled:
        topic_steps = {step: int(n) for step, n in rolled.keys("topic.step").items()}
        votes = {name: rolled.count(f"vote.{name}") for name in ("passed", "failed", "open")}
        # Held: every meeting but those still to come (few, found by the index on the meeting's time).
        upcoming = rollups.upcoming_meetings(level, place.pk, timezone.now())
        meetings = {
            "held": rolled.count("meeting.total") - upcoming,
            "minutes_published": rolled.count("meeting.minutes"),
        }
        problem_counts = {name: rolled.count(f"problem.{name}") for name in ("total", "resolved", "answered", "open")}
        needs = rolled.count("need.count")
    else:
        topic_steps, votes, meetings, problem_counts, needs = _consultation(compound_where, level, place, problems)
    board.consultation = {
        "needs": needs,
        "steps": [
            {"step": value, "label": label, "count": topic_steps.get(value, 0)} for value, label in _choices(Step)
        ],
        "topics": sum(topic_steps.values()),
        "meetings": meetings,
        "votes": votes,
        "problems": problem_counts,
        "median_response_hours": _rolled_median_hours(rolled)
        if rolled
        else _median_hours(problems, "created_at", "answered_at"),
        "problems_url": _link("consultations:problem-list", **param),
        "satisfaction": satisfaction(level, place, rolled),
    }

    # --- Contractor scorecard and the mid-term evaluation. ---
    top = scorecard_top() if level in SCORECARD_LEVELS else None
    if rolled and top:  # a city's, province's or the nation's: the first rows only, ordered and cut in SQL
        board.contractors, board.contractors_total = _scored_contractors(level, place, today, limit=top)
    else:
        if rolled:
            cards, repeats, schedule = _rolled_contractors(rolled)
        else:
            cards, repeats, schedule = _contractors(issues, projects, late, today)
        warranty = _rolled_warranty(rolled) if rolled else _warranty_defects(all_issues)
        board.contractors = _scorecard_rows(cards, repeats, schedule, warranty, param)
        board.contractors.sort(key=SCORECARD_ORDERS["worst"])
        board.contractors_total = len(board.contractors)
        board.contractors = board.contractors[:top]
    if top:
        board.contractors_url = (
            reverse("dashboard:nation-contractors")
            if level == NATION
            else reverse("dashboard:contractors", args=[level, place.pk])
        )
    if rolled:
        board.evaluations = rollups.latest_evaluations(level, place.pk, 20)
    else:
        board.evaluations = list(
            Inspection.objects.filter(
                **{path("project__compound__", level): place.pk},
                tier=3,
                status=InspectionStatus.FILED,
                score__isnull=False,
            )
            .order_by("-filed_at", "-pk")  # the same twenty on every request, when filing times tie
            .values("pk", "project__compound__name", "score", "filed_at")[:20]
        )

    # --- One row per child place: the drill-down table (three GROUP BYs). ---
    child = CHILD_LEVEL[level]
    if child:
        board.children = _children(level, place, child, today, rolled)
    if level == "province":
        board.districts = _children(level, place, "district", today, rolled)
    return board


def _scorecard_rows(cards, repeats, schedule, warranty, param) -> list[dict]:
    """The scorecard's rows (by contractor id) from its figures per contractor (``_contractors`` and
    ``_warranty_defects``, ``_rolled_contractors`` and ``_rolled_warranty``, or ``_scored_contractors``)."""
    rows = []
    for contractor_id in sorted(set(cards) | set(schedule)):
        card, plan = cards.get(contractor_id, {}), schedule.get(contractor_id, {})
        closed = card.get("closed", 0)
        defects = warranty.get(contractor_id, {})
        rows.append(
            {
                "id": contractor_id,
                "name": card.get("contractor__name") or plan.get("contractor__name"),
                "projects": plan.get("projects", 0),
                "behind": plan.get("behind", 0),
                "slip_days": _days(plan.get("slip")),
                "issues": card.get("issues", 0),
                "closed": closed,
                "on_time_rate": round(100 * card.get("on_time", 0) / closed) if closed else None,
                "overdue": card.get("overdue", 0),
                "repeats": repeats.get(contractor_id, 0),
                # After handover: warranty defects the patrols found, and how many were repaired by their deadline.
                "warranty_defects": defects.get("defects", 0),
                "warranty_on_time": defects.get("on_time", 0),
                "url": _link(
                    "inspections:issue-list", contractor=contractor_id, origin=IssueOrigin.INSPECTION, **param
                ),
                "warranty_url": _link(
                    "inspections:issue-list",
                    contractor=contractor_id,
                    origin=IssueOrigin.PATROL,
                    warranty_defect="true",
                    **param,
                ),
            }
        )
    return rows


# The scorecard's orders: the board's ("worst": most overdue issues and repeat findings first), and the full
# scorecard's others; ties by name (code point order, as ``COLLATE "C"``) then id — ``rollups.SCORECARD_ORDERS``
# orders the same in SQL.
SCORECARD_ORDERS = {
    "worst": lambda c: (-(c["overdue"] + c["repeats"]), c["name"] or "", c["id"]),
    "issues": lambda c: (-c["issues"], c["name"] or "", c["id"]),
    "overdue": lambda c: (-c["overdue"], c["name"] or "", c["id"]),
    "behind": lambda c: (-c["behind"], c["name"] or "", c["id"]),
    "projects": lambda c: (-c["projects"], c["name"] or "", c["id"]),
    "name": lambda c: (c["name"] or "", c["id"]),
}


def _scored_contractors(
    level, place, today, *, search: str = "", order: str = "worst", limit=None, offset: int = 0
) -> tuple[list[dict], int]:
    """The scorecard's rows from the rollups, filtered by name, ordered and cut in SQL
    (``rollups.contractor_scores``), with the number of contractors matching."""
    found, total = rollups.contractor_scores(
        level, place.pk, today, search=search, order=order, limit=limit, offset=offset
    )
    cards, repeats, schedule, warranty = {}, {}, {}, {}
    for row in found:
        pk = row["id"]
        if row["issues"]:
            cards[pk] = {
                "contractor__name": row["name"],
                **{name: int(row[name]) for name in ("issues", "closed", "on_time", "overdue")},
            }
        if row["repeats"]:
            repeats[pk] = int(row["repeats"])
        if row["projects"]:
            slips = int(row["slip_n"])
            schedule[pk] = {
                "contractor__name": row["name"],
                "projects": int(row["projects"]),
                "behind": int(row["behind"]),
                "slip": timedelta(days=float(row["slip_days"] / slips)) if slips else None,
            }
        if row["warranty"]:
            warranty[pk] = {"defects": int(row["warranty"]), "on_time": int(row["warranty_on_time"])}
    by_id = {r["id"]: r for r in _scorecard_rows(cards, repeats, schedule, warranty, {level: place.pk})}
    return [by_id[row["id"]] for row in found], total


class Scorecard:
    """A place's whole contractor scorecard, filtered by name and ordered, as a sequence for the paginators:
    ``count()`` is one query and a page (a slice) another, from the rollups; without them (SQLite, the demo) every
    row is counted live and the list sliced."""

    def __init__(
        self,
        level: str,
        place,
        *,
        search: str = "",
        order: str = "worst",
        today: date | None = None,
        live: bool = False,
    ):
        self.level, self.place, self.search, self.order = level, place, search, order
        self.today = today or timezone.localdate()
        # ``live``: counted from the source tables even where rollups are kept (the tests compare the two).
        self._live = self._count_live() if live or not uses_rollups(level) else None

    def _count_live(self) -> list[dict]:
        issues = RectificationIssue.objects.filter(**{path("project__compound__", self.level): self.place.pk})
        projects = Project.objects.filter(**{path("compound__", self.level): self.place.pk})
        late = ~Q(status=IssueStatus.CLOSED) & Q(deadline__lt=self.today)
        cards, repeats, schedule = _contractors(issues, projects, late, self.today)
        rows = _scorecard_rows(cards, repeats, schedule, _warranty_defects(issues), {self.level: self.place.pk})
        wanted = self.search.lower()
        return sorted((row for row in rows if wanted in (row["name"] or "").lower()), key=SCORECARD_ORDERS[self.order])

    def count(self) -> int:
        if self._live is not None:
            return len(self._live)
        return rollups.contractor_scores(self.level, self.place.pk, self.today, search=self.search, count=True)[1]

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, index):
        if not isinstance(index, slice):
            raise TypeError("a scorecard is read by slices")
        if self._live is not None:
            return self._live[index]
        start = index.start or 0
        limit = None if index.stop is None else max(0, index.stop - start)
        return _scored_contractors(
            self.level, self.place, self.today, search=self.search, order=self.order, limit=limit, offset=start
        )[0]


def _consultation(compound_where, level, place, problems) -> tuple:
    """The consultation figures counted live: topics by step, votes, meetings, problems, needs."""
    topic_steps = dict(Topic.objects.filter(**compound_where).order_by().values_list("step").annotate(n=Count("id")))
    votes = (
        Vote.objects.filter(**{path("topic__compound__", level): place.pk})
        .order_by()
        .aggregate(
            passed=Count("id", filter=Q(status=VoteStatus.CLOSED, result=VoteResult.PASSED)),
            failed=Count("id", filter=Q(status=VoteStatus.CLOSED) & ~Q(result=VoteResult.PASSED)),
            open=Count("id", filter=Q(status=VoteStatus.OPEN)),
        )
    )
    meetings = (
        Meeting.objects.filter(**compound_where)
        .order_by()
        .aggregate(
            held=Count("id", filter=Q(held_at__lte=timezone.now()) & ~Q(status=MeetingStatus.CANCELLED)),
            minutes_published=Count("id", filter=Q(minutes_published_at__isnull=False)),
        )
    )
    problem_counts = problems.order_by().aggregate(
        total=Count("id"),
        resolved=Count("id", filter=Q(status=ProblemStatus.RESOLVED)),
        answered=Count("id", filter=Q(status=ProblemStatus.ANSWERED)),
        open=Count("id", filter=Q(status=ProblemStatus.OPEN)),
    )
    return topic_steps, votes, meetings, problem_counts, Need.objects.filter(**compound_where).count()


def _contractors(issues, projects, late, today) -> tuple[dict, dict, dict]:
    """The scorecard's figures counted live: per contractor, its issues, its repeat findings, its schedule."""
    on_time = Q(status=IssueStatus.CLOSED, closed_at__date__lte=F("deadline"))
    cards = {
        row["contractor_id"]: row
        for row in issues.exclude(contractor__isnull=True)
        .order_by()
        .values("contractor_id", "contractor__name")
        .annotate(
            issues=Count("id"),
            closed=Count("id", filter=Q(status=IssueStatus.CLOSED)),
            on_time=Count("id", filter=on_time),
            overdue=Count("id", filter=late),
        )
    }
    repeats = {}
    for contractor_id, kinds in (
        issues.exclude(contractor__isnull=True)
        .order_by()
        .values("contractor_id", "kind")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
        .values_list("contractor_id", "n")
    ):
        repeats[contractor_id] = repeats.get(contractor_id, 0) + kinds - 1  # findings beyond the first of a kind
    slip = ExpressionWrapper(F("actual_finish") - F("planned_finish"), output_field=DurationField())
    schedule = {
        row["contractor_id"]: row
        for row in projects.exclude(contractor__isnull=True)
        .order_by()
        .values("contractor_id", "contractor__name")
        .annotate(
            projects=Count("id"),
            behind=Count("id", filter=Q(status__in=OPEN_STATUSES, planned_finish__lt=today)),
            slip=Avg(slip, filter=Q(actual_finish__isnull=False, planned_finish__isnull=False)),
        )
    }
    return cards, repeats, schedule


def _rolled_warranty(rolled) -> dict:
    """``_warranty_defects`` from the rollups."""
    return {
        int(key): {"defects": int(value), "on_time": rolled.count("card.warranty_on_time", key)}
        for key, value in rolled.keys("card.warranty").items()
        if key
    }


def _warranty_defects(issues) -> dict:
    """Per contractor: the warranty defects the aftercare patrols filed for it, and those repaired (closed) by their
    deadline (one query over the few warranty defects; rolled-up boards read ``card.warranty``)."""
    return {
        row["contractor_id"]: row
        for row in issues.exclude(warranty_category="")
        .exclude(contractor__isnull=True)
        .order_by()
        .values("contractor_id")
        .annotate(
            defects=Count("id"),
            on_time=Count("id", filter=Q(status=IssueStatus.CLOSED, closed_at__date__lte=F("deadline"))),
        )
    }


PATROL_FIGURES = ("total", "open", "submitted", "closed", "overdue", "warranty")


def _patrols(counts: dict, param: dict) -> dict:
    """The aftercare patrols' findings (rectification issues of origin patrol, filed after handover): how many, by
    state, overdue, and of them the warranty defects sent to the contractors; each with the issue list of exactly
    those findings."""
    patrol = {"origin": IssueOrigin.PATROL, **param}
    return {
        **{name: int(counts[name]) for name in PATROL_FIGURES},
        "total_url": _link("inspections:issue-list", **patrol),
        "open_url": _link("inspections:issue-list", status=IssueStatus.OPEN, **patrol),
        "submitted_url": _link("inspections:issue-list", status=IssueStatus.SUBMITTED, **patrol),
        "closed_url": _link("inspections:issue-list", status=IssueStatus.CLOSED, **patrol),
        "overdue_url": _link("inspections:issue-list", overdue="true", **patrol),
        "warranty_url": _link("inspections:issue-list", warranty_defect="true", **patrol),
    }


def _issues_url(child: str, pk: int) -> str:
    """A child place's unclosed inspection issues (the drill-down table's "open issues": the regime's, as the
    inspection figures above it); made once per place and process, like ``_place_url``."""
    return _place_issues_url(child, pk, *_base())


@lru_cache(maxsize=65536)
def _place_issues_url(child: str, pk: int, prefix: str, urlconf) -> str:
    return _link("inspections:issue-list", unclosed="true", origin=IssueOrigin.INSPECTION, **{child: pk})


def _rolled_issues(rolled: Rolled, tier: str | None, total) -> dict:
    """One tier's issue figures (``tier`` None: all tiers) from the rollups, shaped as the live aggregate's row."""

    def of(figure: str) -> Decimal:
        return sum(
            (value for key, value in rolled.keys(figure).items() if tier is None or key == tier), start=Decimal(0)
        )

    closed = of("issue.closed")
    overdue = sum(
        (value for key, value in rolled.keys("issue.overdue").items() if tier is None or key.split(":")[0] == tier),
        start=Decimal(0),
    )
    seconds = of("issue.rectify_s")
    row = {"tier": int(tier)} if tier is not None else {}
    return {
        **row,
        "total": int(total),
        "open": int(of("issue.open")),
        "submitted": int(of("issue.submitted")),
        "closed": int(closed),
        "overdue": int(overdue),
        "mean": timedelta(seconds=float(seconds / closed)) if closed else None,
    }


def _rolled_contractors(rolled: Rolled) -> tuple[dict, dict, dict]:
    """The scorecard's figures from the rollups, shaped as ``_contractors``'s (one query for the names)."""
    overdue, repeats = {}, {}
    for key, value in rolled.keys("issue.overdue").items():
        contractor = key.split(":")[1]
        if contractor:
            overdue[int(contractor)] = overdue.get(int(contractor), 0) + int(value)
    for key, value in rolled.keys("issue.repeats").items():
        repeats[int(key)] = int(value)
    issued = {int(key): int(value) for key, value in rolled.keys("card.issues").items()}
    planned = {int(key): int(value) for key, value in rolled.keys("sched.projects").items()}
    names = dict(
        dashboard_sql.fetch(
            "SELECT id, name FROM communities_company WHERE id = ANY(%s)", [sorted({*issued, *planned})]
        )
    )
    cards = {
        pk: {
            "contractor_id": pk,
            "contractor__name": names.get(pk),
            "issues": n,
            "closed": rolled.count("card.closed", str(pk)),
            "on_time": rolled.count("card.on_time", str(pk)),
            "overdue": overdue.get(pk, 0),
        }
        for pk, n in issued.items()
    }
    schedule = {}
    for pk, n in planned.items():
        slips = rolled.count("sched.slip_n", str(pk))
        days = rolled.totals.get(("sched.slip_days", str(pk)), 0)
        schedule[pk] = {
            "contractor_id": pk,
            "contractor__name": names.get(pk),
            "projects": n,
            "behind": rolled.count("project.behind", str(pk)),
            "slip": timedelta(days=float(days / slips)) if slips else None,
        }
    return cards, repeats, schedule


def satisfaction(level: str, place, rolled: Rolled | None = None) -> dict:
    """Residents' satisfaction after handover over the place's subtree, from every survey's codes (one query, or
    the ``rolled`` figures): ``average`` of the households' overall 1–5 answers, ``responses`` of ``codes``
    printed, and the ``response_rate`` in percent (None without any code)."""
    if rolled:
        responses, overall = rolled.count("survey.responses"), rolled.totals.get(("survey.overall", ""), 0)
        row = {
            "codes": rolled.count("survey.codes"),
            "responses": responses,
            "average": Decimal(overall) / responses if responses else None,
        }
    else:
        row = (
            SurveyCode.objects.filter(**{path("survey__compound__", level): place.pk})
            .order_by()
            .aggregate(
                codes=Count("id"),
                responses=Count("response"),
                average=Avg("response__overall"),
            )
        )
    return {
        "codes": row["codes"],
        "responses": row["responses"],
        "average": round(float(row["average"]), 2) if row["average"] is not None else None,
        "response_rate": round(100 * row["responses"] / row["codes"]) if row["codes"] else None,
    }


# Re-exported: the dashboards' tests and older callers read them here.
MANAGED_MODES = community_selectors.MANAGED_MODES
UNMANAGED_MODES = community_selectors.UNMANAGED_MODES
COVERAGE_YEARS = 5  # the property coverage's trend: the ends of the four years before the period's, and its end


def governance(level: str, place, since: date, until: date, *, live: bool = False) -> dict:
    """The governance row of 数说改造 for the place's subtree over [since, until] (both days included), each figure
    with the link to the list of exactly what it counts:

    - ``party_branches``, ``self_governance_groups``, ``owners_committees``, ``property_introduced``: compounds, by
      ``communities.selectors.governance_conditions`` (the compound list filters by the same conditions), with the
      bodies in place now beside them — one aggregate query;
    - ``problems_solved``: residents' problems resolved in the period (``consultations.selectors.resolved_between``)
      — one query;
    - ``service_space_m2`` and ``culture_facilities``: the area of the community service spaces and the number of
      cultural publicity facilities the renovation created, opened in the period (``Space.opened_on``; a space
      without its opening day is in no period) — one query;
    - ``coverage``: property coverage (``property_coverage``) — one query.

    A record without its date counts in no period. A district's, city's or province's row is read from the
    rollups by day (``dashboards.daily``, one query) unless ``live``."""
    param = {level: place.pk}
    days = daily.coverage_days(until, COVERAGE_YEARS)
    if not live and uses_rollups(level):
        rolled = daily.read(level, place.pk, since, until, days)
        figures = {name: rolled[name] for name in (*daily.ONCE, *daily.NOW_FIGURES)}
        problems_solved = rolled["problems_solved"]
        spaces = {"area": rolled["service_space_m2"], "culture": rolled["culture_facilities"]}
        coverage_rows = {}
        for index, counts in enumerate(rolled["coverage"]):
            for cls, n in counts.items():
                coverage_rows[f"{index}:{cls}"] = n
    else:
        conditions = community_selectors.governance_conditions(since, until)
        figures = (
            Compound.objects.filter(**{COMPOUND_TO[level]: place.pk})
            .order_by()
            .aggregate(
                **{name: Count("id", filter=condition) for name, condition in conditions.items()},
                compounds=Count("id"),
                with_party_branch=Count("id", filter=Q(party_branch__isnull=False)),
                with_owners_body=Count("id", filter=Q(owners_body__isnull=False)),
                with_property_service=Count(
                    "id", filter=Q(property_service__isnull=False) & ~Q(property_service__mode=PropertyMode.NONE)
                ),
            )
        )
        problems_solved = (
            ResidentProblem.objects.filter(**{path("compound__", level): place.pk})
            .filter(resolved_between(since, until))
            .count()
        )
        opened = Q(opened_on__gte=since, opened_on__lte=until)
        spaces = (
            Space.objects.filter(**{path("record__compound__", level): place.pk})
            .order_by()
            .aggregate(
                area=Sum("area", filter=opened & Q(kind__in=SERVICE_SPACE_KINDS)),
                culture=Count("id", filter=opened & Q(kind__in=CULTURE_KINDS)),
            )
        )
        coverage_rows = _coverage_counts(level, place, days)
    urls = {
        f"{name}_url": _link("communities:compound-list", governance=name, since=since, until=until, **param)
        for name in community_selectors.GOVERNANCE_FIGURES
    }
    space_link = {"opened_since": since, "opened_until": until, **param}
    (service_kind,) = SERVICE_SPACE_KINDS  # one kind each: the space list filters by one kind
    (culture_kind,) = CULTURE_KINDS
    return {
        "since": since,
        "until": until,
        **figures,
        **urls,
        "problems_solved": problems_solved,
        "problems_solved_url": _link(
            "consultations:problem-list",
            status=ProblemStatus.RESOLVED,
            resolved_since=since,
            resolved_until=until,
            **param,
        ),
        "service_space_m2": spaces["area"] or Decimal("0"),
        "service_space_url": _link("aftercare:space-list", kind=service_kind, **space_link),
        "culture_facilities": spaces["culture"],
        "culture_facilities_url": _link("aftercare:space-list", kind=culture_kind, **space_link),
        "coverage": property_coverage(level, place, until, compounds=figures["compounds"], rows=coverage_rows),
    }


def _percent(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


def _coverage_counts(level: str, place, days: list) -> dict:
    """Per day's index, the compounds with a service in force of each mode but none (``index:mode``), of a managed
    mode (``index:managed``) and of any mode but none (``index:some``), counted live (one query)."""
    counted = [mode for mode in PropertyMode.values if mode != PropertyMode.NONE]
    aggregates = {}
    for index, day in enumerate(days):
        in_force = community_selectors.service_in_force(day)
        for mode in counted:
            aggregates[f"{index}:{mode}"] = Count("compound", distinct=True, filter=in_force & Q(mode=mode))
        aggregates[f"{index}:managed"] = Count("compound", distinct=True, filter=in_force & Q(mode__in=MANAGED_MODES))
        aggregates[f"{index}:some"] = Count("compound", distinct=True, filter=in_force & ~Q(mode=PropertyMode.NONE))
    return (
        PropertyService.objects.filter(**{path("compound__", level): place.pk})
        .annotate(started_on=community_selectors.SERVICE_STARTED)
        .order_by()
        .aggregate(**aggregates)
    )


def property_coverage(level: str, place, on: date, *, compounds: int, rows: dict | None = None) -> dict:
    """Property coverage of the place's ``compounds`` on the day ``on`` (the period's end) and at the ends of the
    years before it: compounds by the mode of the property service in force that day
    (``communities.selectors.service_in_force``; none: no service in force, or one of mode none), and "basic property
    service coverage" — the compounds with a managed mode (menu-style, professional or shared) in percent of all.
    One aggregate over the subtree's property service records (indexed by compound), whatever the number of
    compounds; each count links to the compound list filtered by the same condition on the same day."""
    days = daily.coverage_days(on, COVERAGE_YEARS)
    counted = [mode for mode in PropertyMode.values if mode != PropertyMode.NONE]
    if rows is None:
        rows = _coverage_counts(level, place, days)
    param = {level: place.pk}
    trend = []
    for index, day in enumerate(days):
        counts = {mode: rows[f"{index}:{mode}"] for mode in counted}
        counts[PropertyMode.NONE] = compounds - rows[f"{index}:some"]
        trend.append(
            {
                "on": day,
                "modes": [
                    {
                        "mode": mode,
                        "label": label,
                        "count": counts[mode],
                        "url": _link("communities:compound-list", property_mode=mode, property_on=day, **param),
                    }
                    for mode, label in _choices(PropertyMode)
                ],
                "managed": rows[f"{index}:managed"],
                "percent": _percent(rows[f"{index}:managed"], compounds),
                "managed_url": _link("communities:compound-list", property_managed="true", property_on=day, **param),
            }
        )
    return {"on": on, "compounds": compounds, **trend[-1], "trend": trend}


def cached(parts: tuple, compute):
    """``compute()``, kept in the cache for ``DASHBOARD_CACHE_SECONDS`` (60 s by default): under load a level's
    figures are computed once a minute, not once a request. They are at most that old; the place's access is
    checked on every request before this is called. ``parts`` name everything the value depends on (place, year,
    what the user may see, …); the day is added here."""
    seconds = getattr(settings, "DASHBOARD_CACHE_SECONDS", 0)
    if not seconds:
        return compute()
    key = "dashboard:v6:" + ":".join(str(part) for part in parts) + f":{timezone.localdate()}"
    value = cache.get(key)
    if value is None:
        value = compute()
        cache.set(key, value, seconds)
    return value


def build_cached(
    level: str,
    place,
    *,
    user,
    show_rounds: bool,
    year: int | None = None,
    since: date | None = None,
    until: date | None = None,
) -> Dashboard:
    """``build`` through the cache (the web pages; the API caches its finished JSON body the same way)."""
    return cached(
        ("figures", level, place.pk, year or "latest", since or "", until or "", int(show_rounds)),
        lambda: build(level, place, user=user, show_rounds=show_rounds, year=year, since=since, until=until),
    )


def _money_row(totals) -> dict:
    return {
        "planned": totals.planned,
        "allocated": totals.allocated,
        "disbursed": totals.disbursed,
        "spent": totals.spent,
        "rate": totals.rate,
        "rate_percent": totals.rate_percent,
    }


def _funding(totals, param) -> dict:
    """The funding section: every source (in the programme's order) and the total of all of them; amounts are
    Decimal yuan, exact to the fen; the rate is spent ÷ allocated (None when nothing is allocated)."""
    return {
        "sources": [
            {
                "source": source,
                "label": label,
                **_money_row(totals[source]),
                "url": _link("projects:funding-entry-list", source=source, **param),
            }
            for source, label in _choices(FundingSource)
        ],
        "total": _money_row(funding_total(totals)),
        "url": _link("projects:funding-entry-list", **param),
    }


# The child places of a rolled board, by code (plain SQL: the ORM's query cost ten times the statement).
CHILD_PLACES = {
    ("nation", "province"): "SELECT id, name, code FROM communities_province ORDER BY code",
    ("province", "city"): "SELECT id, name, code FROM communities_city WHERE province_id = %(pk)s ORDER BY code",
    ("city", "district"): "SELECT id, name, code FROM communities_district WHERE city_id = %(pk)s ORDER BY code",
    ("province", "district"): (
        "SELECT d.id, d.name, d.code FROM communities_district d JOIN communities_city c ON c.id = d.city_id "
        "WHERE c.province_id = %(pk)s ORDER BY d.code"
    ),
    ("district", "subdistrict"): (
        "SELECT id, name, code FROM communities_subdistrict WHERE district_id = %(pk)s ORDER BY code"
    ),
}


def _children(level, place, child, today, rolled: Rolled | None = None):
    model = PLACE_MODELS[child]
    if (level, child) in CHILD_PLACES:
        rows = dashboard_sql.fetch(CHILD_PLACES[(level, child)], {"pk": place.pk})
        places = [{"pk": pk, "name": name, "code": code} for pk, name, code in rows]
    else:
        places = list(
            model.objects.filter(**{PARENT_LOOKUP[(level, child)]: place.pk})
            .order_by("code")
            .values("pk", "name", "code")
        )
    if rolled:
        figures = rolled.children.get(child, {})
        rows = []
        for node in places:
            row = figures.get(node["pk"], {})
            funds = FundingTotals(
                **{
                    stage: row.get(f"child.fund.{stage}", ZERO)
                    for stage in ("planned", "allocated", "disbursed", "spent")
                }
            )
            rows.append(
                {
                    **node,
                    "level": child,
                    **{
                        name: int(row.get(f"child.{figure}", 0))
                        for name, figure in (
                            ("compounds", "compounds"),
                            ("projects", "projects"),
                            ("started", "started"),
                            ("finished", "finished"),
                            ("behind", "behind"),
                            ("open_issues", "open_issues"),
                            ("overdue_issues", "overdue_issues"),
                        )
                    },
                    "funding": _money_row(funds),
                    "url": _place_url(child, node["pk"]),
                    "issues_url": _issues_url(child, node["pk"]),
                }
            )
        return rows
    key = COMPOUND_TO[child]
    compounds = dict(
        Compound.objects.filter(**{COMPOUND_TO[level]: place.pk})
        .order_by()
        .values(key)
        .annotate(n=Count("id"))
        .values_list(key, "n")
    )
    project_rows = {
        row["node"]: row
        for row in Project.objects.filter(**{path("compound__", level): place.pk})
        .order_by()
        .values(node=F(path("compound__", child)))
        .annotate(
            projects=Count("id"),
            started=Count("id", filter=Q(status__in=STARTED)),
            finished=Count("id", filter=Q(status=ProjectStatus.HANDED_OVER)),
            behind=Count("id", filter=Q(status__in=OPEN_STATUSES, planned_finish__lt=today)),
        )
    }
    unclosed = ~Q(status=IssueStatus.CLOSED)
    issue_rows = {
        row["node"]: row
        for row in RectificationIssue.objects.filter(
            **{path("project__compound__", level): place.pk}, origin=IssueOrigin.INSPECTION
        )
        .order_by()
        .values(node=F(path("project__compound__", child)))
        .annotate(open=Count("id", filter=unclosed), overdue=Count("id", filter=unclosed & Q(deadline__lt=today)))
    }
    money = funding_by_node(Project.objects.filter(**{path("compound__", level): place.pk}), path("compound__", child))
    rows = []
    for node in places:
        projects, issues = project_rows.get(node["pk"], {}), issue_rows.get(node["pk"], {})
        funds = money.get(node["pk"])
        rows.append(
            {
                **node,
                "level": child,
                "compounds": compounds.get(node["pk"], 0),
                "projects": projects.get("projects", 0),
                "started": projects.get("started", 0),
                "finished": projects.get("finished", 0),
                "behind": projects.get("behind", 0),
                "open_issues": issues.get("open", 0),
                "overdue_issues": issues.get("overdue", 0),
                "funding": _money_row(funds) if funds else _money_row(funding_total({})),
                "url": _place_url(child, node["pk"]),
                "issues_url": _issues_url(child, node["pk"]),
            }
        )
    return rows
