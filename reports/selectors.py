"""The monthly report's figures (a fixed table) and the scoped lists of submitted reports.

``monthly_figures`` is a fixed number of queries whatever the district's size (four aggregates over compounds, one
for the targets, two for the money): the same cost for Siming's 640 compounds and for a district in a
nation-sized database.
"""

from __future__ import annotations

import calendar
from datetime import date
from decimal import Decimal

from django.db.models import Count, Exists, OuterRef, Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from communities.models import Compound, District
from projects.choices import FundingSource, ProjectStatus
from projects.models import Project
from projects.selectors import funding_spent_by_source, year_targets
from reports.models import MonthlyReport

# The rows of the report's progress table: (key, label, what is counted, target key).
PROGRESS_ROWS = [
    ("compounds_started", _("Compounds started"), "started", "compounds", "to_start"),
    ("buildings_started", _("Buildings started"), "started", "buildings", None),
    ("households_started", _("Households started"), "started", "households", None),
    ("compounds_finished", _("Compounds finished"), "finished", "compounds", "to_finish"),
    ("buildings_finished", _("Buildings finished"), "finished", "buildings", None),
    ("households_finished", _("Households finished"), "finished", "households", None),
]
ROW_LABELS = {key: label for key, label, *_rest in PROGRESS_ROWS}
DISTRICT_PATH = "community__subdistrict__district_id"


def month_bounds(year: int, month: int) -> tuple[date, date]:
    return date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1])


def _compounds(district: District, kind: str, since: date, until: date) -> dict:
    """Compounds (with their buildings and households) whose renovation started — or finished: handed over — in
    the window. A compound renovated by two projects counts once."""
    projects = Project.objects.filter(compound__community__subdistrict__district_id=district.pk)
    if kind == "started":
        projects = projects.filter(actual_start__gte=since, actual_start__lte=until)
    else:
        projects = projects.filter(status=ProjectStatus.HANDED_OVER, actual_finish__gte=since, actual_finish__lte=until)
    totals = Compound.objects.filter(pk__in=projects.order_by().values("compound_id")).aggregate(
        compounds=Count("id"), buildings=Sum("building_count"), households=Sum("household_count")
    )
    return {key: value or 0 for key, value in totals.items()}


def _percent(done: int, target: int | None) -> float | None:
    return round(100 * done / target, 1) if target else None


def monthly_figures(district: District, year: int, month: int, today: date | None = None) -> dict:
    """The district's report for the month as plain JSON-ready data: started and finished compounds, buildings
    and households this month and year to date against the year's targets, and the investment completed by
    funding source (yuan, as strings to the fen)."""
    today = today or timezone.localdate()
    month_start, month_end = month_bounds(year, month)
    year_start = date(year, 1, 1)
    counted = {
        ("started", "month"): _compounds(district, "started", month_start, month_end),
        ("started", "ytd"): _compounds(district, "started", year_start, month_end),
        ("finished", "month"): _compounds(district, "finished", month_start, month_end),
        ("finished", "ytd"): _compounds(district, "finished", year_start, month_end),
    }
    targets = year_targets([district.pk]).get(year)
    progress = []
    for key, label, kind, measure, target_key in PROGRESS_ROWS:
        ytd = counted[(kind, "ytd")][measure]
        target = targets[target_key] if (targets and target_key) else None
        progress.append(
            {
                "key": key,
                "label": str(label),
                "month": counted[(kind, "month")][measure],
                "ytd": ytd,
                "target": target,
                "percent": _percent(ytd, target),
            }
        )
    projects = Project.objects.filter(compound__community__subdistrict__district_id=district.pk)
    spent_month = funding_spent_by_source(projects, since=month_start, until=month_end)
    spent_ytd = funding_spent_by_source(projects, since=year_start, until=month_end)
    labels = dict(FundingSource.choices)
    sources = list(labels) + sorted(set(spent_ytd) - set(labels))  # a source the ledger knows and we don't: kept
    zero = Decimal("0.00")
    investment = [
        {
            "source": source,
            "label": str(labels.get(source, source)),
            "month": str(spent_month.get(source, zero).quantize(Decimal("0.01"))),
            "ytd": str(spent_ytd.get(source, zero).quantize(Decimal("0.01"))),
        }
        for source in sources
    ]
    investment.append(
        {
            "source": "total",
            "label": str(_("Total")),
            "month": str(sum(spent_month.values(), zero).quantize(Decimal("0.01"))),
            "ytd": str(sum(spent_ytd.values(), zero).quantize(Decimal("0.01"))),
        }
    )
    return {
        "district": {"id": district.pk, "code": district.code, "name": district.name},
        "year": year,
        "month": month,
        "as_of": min(today, month_end).isoformat(),
        "progress": progress,
        "investment": investment,
    }


def report_sheets(figures: dict) -> list[tuple[str, list[str], list[list]]]:
    """The report as export sheets (CSV carries the first, so it holds both tables one after the other)."""
    header = [str(_("Figure")), str(_("This month")), str(_("Year to date")), str(_("Year's target")), "%"]
    rows = [
        [str(ROW_LABELS.get(r["key"], r["label"])), r["month"], r["ytd"], r["target"], r["percent"]]
        for r in figures["progress"]
    ]
    rows.append([])
    rows.append([str(_("Investment completed (yuan)")), str(_("This month")), str(_("Year to date")), "", ""])
    rows += [[r["label"], Decimal(r["month"]), Decimal(r["ytd"]), "", ""] for r in figures["investment"]]
    return [(f"{figures['year']}-{figures['month']:02d}", header, rows)]


def report_list(user):
    """The submitted reports the user may see, newest period first, each row one version."""
    return MonthlyReport.objects.visible_to(user).select_related("district__city", "submitted_by")


def latest_reports(user):
    """The latest version of every (district, month) the user may see: the list of reports (earlier versions are
    reached from each report's page)."""
    later = MonthlyReport.objects.filter(
        district=OuterRef("district"), year=OuterRef("year"), month=OuterRef("month"), version__gt=OuterRef("version")
    )
    return report_list(user).filter(~Exists(later))


def period_versions(district: District, year: int, month: int):
    return (
        MonthlyReport.objects.filter(district=district, year=year, month=month)
        .select_related("submitted_by")
        .order_by("-version")
    )
