"""Reads of projects: scoped lists, the project page, roll-up totals per place level, the dig-once check and
what needs a contractor's action. Every function here is a fixed number of queries."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import (
    BooleanField,
    Case,
    Count,
    Exists,
    F,
    Max,
    OuterRef,
    Prefetch,
    Q,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from projects.choices import PIPELINE_CATEGORIES, FundingSource, FundingStage, Party, ProjectStatus
from projects.models import (
    FundingEntry,
    PlanConfirmation,
    PlanVersion,
    ProgrammeTarget,
    ProgressReport,
    Project,
    ProjectEvent,
    ProjectFunding,
    ScopeItem,
    behind_schedule,
)

# The lookup from a scope item to the id of each place level, for roll-ups.
LEVEL_PATHS = {
    "compound": "project__compound_id",
    "community": "project__compound__community_id",
    "subdistrict": "project__compound__community__subdistrict_id",
    "district": "project__compound__community__subdistrict__district_id",
}
REPORT_EVERY_DAYS = 7


def project_list(user):
    return Project.objects.visible_to(user).select_related("compound__community__subdistrict", "contractor")


def project_is_overdue():
    """``Project.is_overdue`` as a database expression (for lists read with values())."""
    return Case(When(behind_schedule(), then=Value(True)), default=Value(False), output_field=BooleanField())


def project_detail_queryset(user):
    return project_list(user).prefetch_related(
        Prefetch("events", queryset=ProjectEvent.objects.select_related("actor").order_by("-created_at", "-id")),
        Prefetch(
            "plan_versions",
            queryset=PlanVersion.objects.select_related("created_by")
            .prefetch_related("confirmations__confirmed_by")
            .order_by("-number"),
        ),
        Prefetch("scope_items", queryset=ScopeItem.objects.order_by("category", "id")),
        Prefetch(
            "reports",
            queryset=ProgressReport.objects.select_related("created_by")
            .prefetch_related("photos", "quantities__scope_item")
            .order_by("-report_date", "-id"),
        ),
        "funding",
        Prefetch(
            "funding_entries", queryset=FundingEntry.objects.select_related("recorded_by").order_by("-date", "-id")
        ),
        "liaisons",
    )


def scope_totals(user, level: str):
    """Planned and completed quantity of every scope category under each node of ``level`` in the user's
    scope — one aggregate query, whatever the number of projects. Rows: node, category, planned, completed."""
    return (
        ScopeItem.objects.visible_to(user)
        .values(node=F(LEVEL_PATHS[level]), item_category=F("category"))
        .annotate(planned=Sum("planned_quantity"), completed=Sum("completed_quantity"), items=Count("id"))
        .order_by("node", "item_category")
    )


def with_pending_confirmation(projects):
    """The projects whose current (latest) plan version lacks a confirmation by one of the six parties."""
    latest = PlanVersion.objects.filter(project=OuterRef("pk")).order_by("-number").values("pk")[:1]
    confirmed = (
        PlanConfirmation.objects.filter(plan_version=OuterRef("current_plan"))
        .order_by()
        .values("plan_version")
        .annotate(n=Count("party", distinct=True))
        .values("n")
    )
    return (
        projects.annotate(current_plan=Subquery(latest))
        .annotate(confirmed_parties=Coalesce(Subquery(confirmed), 0))
        .filter(confirmed_parties__lt=len(Party.values))
    )


def status_counts(user) -> dict[str, int]:
    rows = project_list(user).order_by().values("status").annotate(n=Count("id"))
    return {row["status"]: row["n"] for row in rows}


@dataclass(frozen=True)
class DigOnceConflict:
    first: ScopeItem
    second: ScopeItem


def dig_once_conflicts(scope_items) -> list[DigOnceConflict]:
    """Pipeline works of one compound whose excavation windows do not overlap: the road would be opened twice.

    Takes the project's (prefetched) scope items; every pair of pipeline items whose windows share no day is
    named.
    """
    pipes = [
        item
        for item in scope_items
        if item.category in PIPELINE_CATEGORIES and item.excavation_start and item.excavation_end
    ]
    conflicts = []
    for index, first in enumerate(pipes):
        for second in pipes[index + 1 :]:
            if first.excavation_end < second.excavation_start or second.excavation_end < first.excavation_start:
                conflicts.append(DigOnceConflict(first, second))
    return conflicts


def confirmation_matrix(plan: PlanVersion | None) -> list[tuple[str, str, object]]:
    """(party, label, confirmation or None) for the six parties on a plan version (prefetched)."""
    confirmed = {c.party: c for c in plan.confirmations.all()} if plan else {}
    return [(party, label, confirmed.get(party)) for party, label in Party.choices]


def contractor_action_items(user, company_ids, today: date | None = None) -> list[tuple[Project, list[str]]]:
    """The company's open projects, each with what needs the contractor now (one query)."""
    today = today or timezone.localdate()
    # Inside the Exists below, the project is two levels out.
    current_number = (
        PlanVersion.objects.filter(project=OuterRef(OuterRef("pk"))).order_by("-number").values("number")[:1]
    )
    projects = (
        project_list(user)
        .filter(contractor_id__in=sorted(company_ids))
        .exclude(status=ProjectStatus.HANDED_OVER)
        .annotate(
            latest_report=Max("reports__report_date"),
            plan_count=Count("plan_versions", distinct=True),
            contractor_confirmed=Exists(
                PlanConfirmation.objects.filter(
                    plan_version__project=OuterRef("pk"),
                    party=Party.CONTRACTOR,
                    plan_version__number=Subquery(current_number),
                )
            ),
        )
        .order_by("planned_finish", "pk")
    )
    result = []
    for project in projects:
        needs = []
        if project.status in (ProjectStatus.PLANNING, ProjectStatus.SURVEY_DESIGN) and not project.plan_count:
            needs.append(_("Add the renovation plan"))
        if project.status == ProjectStatus.PLAN_CONFIRMATION and not project.contractor_confirmed:
            needs.append(_("Confirm the current plan for the contractor"))
        if project.status == ProjectStatus.CONSTRUCTION and (
            project.latest_report is None or project.latest_report < today - timedelta(days=REPORT_EVERY_DAYS)
        ):
            needs.append(_("File a progress report"))
        if project.is_overdue:
            needs.append(_("Past the planned finish"))
        result.append((project, needs))
    return result


# --- funding ---

ZERO = Decimal("0.00")
RATE_PLACES = Decimal("0.0001")  # an execution rate to a hundredth of a percent


def execution_rate(spent: Decimal, allocated: Decimal) -> Decimal | None:
    """Spent ÷ allocated as an exact ratio rounded half up to 0.0001 (33.33 %); None when nothing is allocated."""
    if not allocated:
        return None
    return (spent / allocated).quantize(RATE_PLACES, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class FundingTotals:
    """The money of one source (or of all of them): Decimal yuan to the fen, and spent ÷ allocated."""

    planned: Decimal = ZERO
    allocated: Decimal = ZERO
    disbursed: Decimal = ZERO
    spent: Decimal = ZERO

    @property
    def rate(self) -> Decimal | None:
        return execution_rate(self.spent, self.allocated)

    @property
    def rate_percent(self) -> Decimal | None:
        """The execution rate in percent, two decimals (33.33)."""
        return None if self.rate is None else (self.rate * 100).quantize(Decimal("0.01"))

    def __getitem__(self, name):  # totals[source]["spent"] reads as well as totals[source].spent
        return getattr(self, name)

    def __add__(self, other: FundingTotals) -> FundingTotals:
        return FundingTotals(
            planned=self.planned + other.planned,
            allocated=self.allocated + other.allocated,
            disbursed=self.disbursed + other.disbursed,
            spent=self.spent + other.spent,
        )


def _stage_sums():
    return {stage: Sum("amount", filter=Q(stage=stage), default=ZERO) for stage in FundingStage.values}


def _entries(projects, since: date | None, until: date | None):
    entries = FundingEntry.objects.valid().filter(project__in=projects.order_by().values("pk"))
    if since is not None:
        entries = entries.filter(date__gte=since)
    if until is not None:
        entries = entries.filter(date__lte=until)
    return entries.order_by()


def funding_totals(projects, *, since: date | None = None, until: date | None = None) -> dict[str, FundingTotals]:
    """Per funding source (every one, in the programme's order), the planned, allocated, disbursed and spent
    totals of ``projects`` (a queryset, already scoped by the caller) and the execution rate.

    Two aggregate queries whatever the number of projects: the sums are made by PostgreSQL on NUMERIC, so they
    are exact to the fen. ``since``/``until`` bound the entries' dates (inclusive); the plan is no dated
    movement, so ``planned`` is the plan whatever the period."""
    moved = {row["source"]: row for row in _entries(projects, since, until).values("source").annotate(**_stage_sums())}
    planned = dict(
        ProjectFunding.objects.filter(project__in=projects.order_by().values("pk"))
        .order_by()
        .values_list("source")
        .annotate(total=Sum("amount"))
    )
    return {
        source: FundingTotals(
            planned=planned.get(source, ZERO),
            **{stage: moved.get(source, {}).get(stage, ZERO) for stage in FundingStage.values},
        )
        for source in FundingSource.values
    }


def funding_total(totals: dict[str, FundingTotals]) -> FundingTotals:
    """All sources together (their execution rate is the total spent ÷ the total allocated)."""
    return sum(totals.values(), FundingTotals())


def funding_spent_by_source(projects, since: date | None = None, until: date | None = None) -> dict[str, Decimal]:
    """Investment completed by source: what was spent from each source in the period (every source, zero when
    nothing), for the monthly report upward. One query."""
    spent = dict(
        _entries(projects, since, until)
        .filter(stage=FundingStage.SPENT)
        .values_list("source")
        .annotate(total=Sum("amount"))
    )
    return {source: spent.get(source, ZERO) for source in FundingSource.values}


def funding_by_node(projects, node: str) -> dict[object, FundingTotals]:
    """All sources' totals per group of ``projects``: ``node`` is the lookup from a project to the group (e.g.
    ``compound__community_id`` for one row per community). Two aggregate queries."""
    moved = {
        row["node"]: row
        for row in FundingEntry.objects.valid()
        .filter(project__in=projects.order_by().values("pk"))
        .order_by()
        .values(node=F(f"project__{node}"))
        .annotate(**_stage_sums())
    }
    planned = dict(
        ProjectFunding.objects.filter(project__in=projects.order_by().values("pk"))
        .order_by()
        .values_list(F(f"project__{node}"))
        .annotate(total=Sum("amount"))
    )
    return {
        key: FundingTotals(
            planned=planned.get(key, ZERO),
            **{stage: moved.get(key, {}).get(stage, ZERO) for stage in FundingStage.values},
        )
        for key in set(moved) | set(planned)
    }


def funding_entry_list(user):
    return FundingEntry.objects.visible_to(user).select_related(
        "project__compound__community__subdistrict", "recorded_by", "voided_by"
    )


def funding_stage_sums(entries) -> list[tuple[object, Decimal]]:
    """(stage label, total) of a (filtered) list of entries, voided ones left out, for the foot of the ledger
    list. One query."""
    sums = entries.filter(voided_at__isnull=True).order_by().aggregate(**_stage_sums())
    return [(label, sums[stage]) for stage, label in FundingStage.choices]


def year_targets(district_ids) -> dict[int, dict[str, int]]:
    """The yearly targets summed over ``district_ids``: {year: {"to_start": n, "to_finish": n}} (compounds),
    one query. Years without a target of any of the districts are absent (the city and province dashboards and the
    monthly report)."""
    rows = (
        ProgrammeTarget.objects.filter(district_id__in=district_ids)
        .order_by()
        .values("year")
        .annotate(to_start=Sum("to_start"), to_finish=Sum("to_finish"))
    )
    return {row["year"]: {"to_start": row["to_start"] or 0, "to_finish": row["to_finish"] or 0} for row in rows}
