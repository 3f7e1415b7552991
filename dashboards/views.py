"""Dashboards per place level, their exports, the printable weekly report and the yearly targets."""

from __future__ import annotations

from datetime import date

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext, pgettext_lazy
from django.views.decorators.http import require_POST

from communities.choices import RoleKind
from communities.models import City, District
from communities.scoping import get_scope
from dashboards import figures
from dashboards import sql as dashboard_sql
from projects import services as project_services
from projects.models import ProgrammeTarget
from renovation_portal.errors import DomainError
from renovation_portal.exports import requested_format, table_response

VIEWERS = (
    RoleKind.PROVINCE_OFFICIAL,
    RoleKind.CITY_OFFICIAL,
    RoleKind.DISTRICT_OFFICIAL,
    RoleKind.SUBDISTRICT_OFFICIAL,
    RoleKind.COMMUNITY_SECRETARY,
)


def _ancestry(level: str, place) -> dict[str, int]:
    """The ids of the place and of its ancestors, by level."""
    ids = {level: place.pk}
    if level == "compound":
        ids["community"] = place.community_id
        place, level = place.community, "community"
    if level == "community":
        ids["subdistrict"] = place.subdistrict_id
        place, level = place.subdistrict, "subdistrict"
    if level == "subdistrict":
        ids["district"] = place.district_id
        place, level = place.district, "district"
    if level == "district":
        if place.city_id is None:
            return ids
        ids["city"] = place.city_id
        place, level = place.city, "city"
    if level == "city":
        ids["province"] = place.province_id
    return ids


def place_for(user, level: str, pk: int):
    """The place if the user may open its dashboard: it lies inside one of their roles' subtrees. A place
    outside (another subdistrict, or an ancestor of their own) is a 404, so editing the URL reaches nothing."""
    if level not in figures.LEVELS:
        raise Http404
    scope = get_scope(user)
    if not scope.has_role(*VIEWERS):
        raise PermissionDenied
    model = figures.PLACE_MODELS[level]
    place = _place(level, model, pk)
    if place is None:
        raise Http404
    ids = _ancestry(level, place)
    inside = (
        scope.is_global
        or ids.get("province") in scope.province_ids
        or ids.get("city") in scope.city_ids
        or ids.get("district") in scope.district_ids
        or ids.get("subdistrict") in scope.subdistrict_ids
        or ids.get("community") in scope.community_ids
    )
    if not inside:
        raise Http404
    return place


def _place(level: str, model, pk: int):
    """The place with its ancestors up to the province's id loaded (``_ancestry``), or None. A district, city or
    province (the boards read on every request) by a plain statement; a place below by the ORM."""
    if level == "district":
        found = dashboard_sql.rows_as(
            f"SELECT {dashboard_sql.columns(District, 'd')}, {dashboard_sql.columns(City, 'c')} "
            "FROM communities_district d LEFT JOIN communities_city c ON c.id = d.city_id WHERE d.id = %s",
            [pk],
            District,
            City,
        )
        if not found:
            return None
        place, city = found[0]
        if place.city_id is not None:
            place.city = city
        return place
    if level in ("city", "province"):
        found = dashboard_sql.instances(
            model, f"SELECT {dashboard_sql.columns(model, 'p')} FROM {model._meta.db_table} p WHERE p.id = %s", [pk]
        )
        return found[0] if found else None
    related = {
        "compound": ["community__subdistrict__district__city"],
        "community": ["subdistrict__district__city"],
        "subdistrict": ["district__city"],
        "district": ["city"],
    }[level]
    return model.objects.select_related(*related).filter(pk=pk).first()


def nation_for(user):
    """The national overview's place (全国总览): only for global-scope users (national administrators,
    superusers); anyone else is refused (403), whatever their roles."""
    if not get_scope(user).is_global:
        raise PermissionDenied
    return figures.NATION_PLACE


def board_place(user, level: str, pk: int | None):
    """``place_for``, or the nation's for level ``nation`` (``nation_for``)."""
    return nation_for(user) if level == figures.NATION else place_for(user, level, pk)


def shows_rounds(user, level: str, place) -> bool:
    """This week's unannounced-round counts: only for district officials and tier-2/3 inspectors of the place's
    district — never for subdistrict officials or community secretaries, the inspected side, nor above the district
    (a city or province official is not part of the district's unannounced regime)."""
    scope = get_scope(user)
    if scope.is_global:
        return True
    district = figures.district_of(level, place)
    return district is not None and scope.sees_unannounced_rounds and district in scope.bound_district_ids


def _crumbs(level: str, place, scope) -> list[tuple[str, str, int, bool]]:
    """The places from the district down to this one, each with whether the user may open its dashboard: a
    subdistrict official sees the district's name but gets no link to a dashboard that would answer 404."""
    chain = []
    node, node_level = place, level
    while node is not None:
        chain.append((node_level, node.name, node.pk))
        node, node_level = {
            "compound": (getattr(node, "community", None), "community"),
            "community": (getattr(node, "subdistrict", None), "subdistrict"),
            "subdistrict": (getattr(node, "district", None), "district"),
            "district": (getattr(node, "city", None), "city"),
            "city": (getattr(node, "province", None), "province"),
        }.get(node_level, (None, None))
    own = {
        "province": scope.province_ids,
        "city": scope.city_ids,
        "district": scope.district_ids,
        "subdistrict": scope.subdistrict_ids,
        "community": scope.community_ids,
    }
    if scope.is_global and level != figures.NATION:  # a national administrator goes up to the national overview
        chain.append((figures.NATION, figures.NATION_PLACE.name, None))
    crumbs, inside = [], scope.is_global
    for node_level, name, pk in reversed(chain):
        inside = inside or pk in own.get(node_level, ())
        crumbs.append((node_level, name, pk, inside))
    return crumbs


@login_required
def home(request):
    """The user's own top place."""
    scope = get_scope(request.user)
    for level, ids in (
        ("province", scope.province_ids),
        ("city", scope.city_ids),
        ("district", scope.district_ids),
        ("subdistrict", scope.subdistrict_ids),
        ("community", scope.community_ids),
    ):
        if ids and scope.has_role(*VIEWERS):
            return redirect("dashboard:place", level, min(ids))
    if scope.is_global:
        return redirect("dashboard:nation")
    raise PermissionDenied


def requested_year(request) -> int | None:
    value = request.GET.get("year", "")
    # ASCII digits only: "²" or "①" is a digit to ``str.isdigit`` but no number to ``int``.
    return int(value) if value.isascii() and value.isdigit() and 2000 <= int(value) <= 2100 else None


def requested_period(request) -> tuple[date | None, date | None]:
    """The period of the governance figures from ``since`` and ``until`` (ISO dates, both included; either may
    be left out: the measured year's first or last day). A date that is no date, or a period that ends before it
    starts, is refused."""
    period = []
    for name in ("since", "until"):
        value = (request.GET.get(name) or "").strip()
        try:
            day = date.fromisoformat(value) if value else None
        except ValueError:
            day = None
        if value and (day is None or not 2000 <= day.year <= 2100):
            raise DomainError(_("Enter the date as YYYY-MM-DD (years 2000 to 2100)."), code="invalid_date", field=name)
        period.append(day)
    since, until = period
    if since and until and until < since:
        raise DomainError(_("The period cannot end before it starts."), code="invalid_period", field="until")
    return since, until


def _board(request, level, pk):
    place = board_place(request.user, level, pk)
    scope = get_scope(request.user)
    try:
        since, until = requested_period(request)
    except DomainError as error:
        messages.error(request, error.message)
        since = until = None
    board = figures.build_cached(
        level,
        place,
        user=request.user,
        show_rounds=shows_rounds(request.user, level, place),
        year=requested_year(request),
        since=since,
        until=until,
    )
    return board, scope


class TargetForm(forms.ModelForm):
    class Meta:
        model = ProgrammeTarget
        fields = ["year", "to_start", "to_finish"]
        widgets = {
            name: forms.NumberInput(attrs={"class": "form-control", "inputmode": "numeric"})
            for name in ["year", "to_start", "to_finish"]
        }


@login_required
def place(request, level, pk):
    board, scope = _board(request, level, pk)
    fmt = requested_format(request)
    if fmt:
        return table_response(f"{_('dashboard')}-{board.place.name}", fmt, export_sheets(board))
    may_set_target = level == "district" and (
        scope.is_global
        or (RoleKind.DISTRICT_OFFICIAL in scope.role_kinds and board.place.pk in scope.bound_district_ids)
    )
    target = board.progress["target"]
    query = request.GET.copy()
    query.pop("export", None)
    return render(
        request,
        "dashboard/place.html",
        {
            "query": query.urlencode(),
            "board": board,
            "crumbs": _crumbs(level, board.place, scope),
            "may_set_target": may_set_target,
            "target_form": (
                TargetForm(instance=target, initial={"year": board.progress["year"]}) if may_set_target else None
            ),
            "chart": chart_data(board),
        },
    )


@login_required
def nation(request):
    """The national overview (全国总览): a province board's sections for the whole country, by province."""
    return place(request, figures.NATION, None)


@login_required
def nation_weekly(request):
    return weekly(request, figures.NATION, None)


@login_required
def weekly(request, level, pk):
    board, scope = _board(request, level, pk)
    return render(
        request,
        "dashboard/weekly.html",
        {"board": board, "crumbs": _crumbs(level, board.place, scope), "printed_at": timezone.localtime()},
    )


@login_required
@require_POST
def set_target(request, pk):
    district = place_for(request.user, "district", pk)
    form = TargetForm(request.POST)
    if form.is_valid():
        try:
            project_services.target_set(actor=request.user, district=district, **form.cleaned_data)
        except DomainError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("Target saved."))
    else:
        messages.error(request, " ".join(e for errors in form.errors.values() for e in errors))
    return redirect("dashboard:place", "district", district.pk)


def chart_data(board) -> dict:
    return {
        "status": {
            "labels": [str(r["label"]) for r in board.progress["by_status"]],
            "values": [r["count"] for r in board.progress["by_status"]],
        },
        "batches": {
            "labels": [str(r["batch"]) for r in board.progress["batches"]],
            "total": [r["total"] for r in board.progress["batches"]],
            "started": [r["started"] for r in board.progress["batches"]],
            "finished": [r["finished"] for r in board.progress["batches"]],
        },
        "tiers": {
            "labels": [str(r["tier"]) for r in board.inspections["tiers"]],
            "open": [r["open"] for r in board.inspections["tiers"]],
            "submitted": [r["submitted"] for r in board.inspections["tiers"]],
            "closed": [r["closed"] for r in board.inspections["tiers"]],
            "overdue": [r["overdue"] for r in board.inspections["tiers"]],
        },
        "labels": {
            "total": _("Projects"),
            "started": _("Started"),
            "finished": _("Finished"),
            "open": _("Open issues"),
            "submitted": _("Rectification submitted"),
            "closed": pgettext("issue status", "Closed"),
            "overdue": _("Overdue"),
            "tier": _("Tier"),
        },
    }


def export_sheets(board) -> list[tuple[str, list[str], list[list]]]:
    """The dashboard's tables, one sheet each (CSV carries the first: the summary of every figure)."""
    p, i, c, g, a = board.progress, board.inspections, board.consultation, board.governance, board.patrols
    summary = [[_("Projects"), _("Total"), p["total"]]]
    summary += [[_("Projects"), str(r["label"]), r["count"]] for r in p["by_status"]]
    summary += [
        [_("Projects"), _("Started in %(year)s") % {"year": p["year"]}, p["started"]],
        [_("Projects"), _("Finished in %(year)s") % {"year": p["year"]}, p["finished"]],
        [_("Projects"), _("Behind schedule"), p["behind"]],
        [_("Projects"), _("Six-party confirmation pending"), p["pending_confirmation"]],
        [_("Projects"), _("Hooked leaders"), p["liaisons"]["leaders"]],
        [_("Projects"), _("Projects with a hooked leader"), p["liaisons"]["covered"]],
        [_("Rectification issues"), _("Total"), i["total"]],
        [_("Rectification issues"), pgettext("issue status", "Open"), i["open"]],
        [_("Rectification issues"), _("Rectification submitted"), i["submitted"]],
        [_("Rectification issues"), pgettext("issue status", "Closed"), i["closed"]],
        [_("Rectification issues"), _("Overdue"), i["overdue"]],
        [_("Rectification issues"), _("Mean days to rectify"), i["mean_days"]],
        # The aftercare patrols' findings: never in the inspections' figures above.
        [_("Aftercare patrol findings"), _("Total"), a["total"]],
        [_("Aftercare patrol findings"), pgettext("issue status", "Open"), a["open"]],
        [_("Aftercare patrol findings"), _("Awaiting verification"), a["submitted"]],
        [_("Aftercare patrol findings"), pgettext("issue status", "Closed"), a["closed"]],
        [_("Aftercare patrol findings"), _("Overdue"), a["overdue"]],
        [_("Aftercare patrol findings"), _("Of them warranty defects (contractors)"), a["warranty"]],
        [_("Consultation"), _("Needs collected"), c["needs"]],
        [_("Consultation"), _("Topics"), c["topics"]],
        [_("Consultation"), _("Meetings held"), c["meetings"]["held"]],
        [_("Consultation"), _("Votes passed"), c["votes"]["passed"]],
        [_("Consultation"), _("Votes failed"), c["votes"]["failed"]],
        [_("Consultation"), _("Resident problems"), c["problems"]["total"]],
        [_("Consultation"), _("Resolved"), c["problems"]["resolved"]],
        [_("Consultation"), _("Median response (hours)"), c["median_response_hours"]],
        [_("Consultation"), _("Residents' satisfaction (1–5)"), c["satisfaction"]["average"]],
        [_("Consultation"), _("Survey response rate (%)"), c["satisfaction"]["response_rate"]],
    ]
    period = _("Governance %(since)s – %(until)s") % {"since": g["since"], "until": g["until"]}
    summary += [
        [period, _("New party branches"), g["party_branches"]],
        [period, _("Self-governance groups set up"), g["self_governance_groups"]],
        [period, _("Owners' committees formed or re-elected"), g["owners_committees"]],
        [period, _("Compounds newly under property management"), g["property_introduced"]],
        [period, _("Residents' problems solved"), g["problems_solved"]],
        [period, _("Community service space added (m²)"), g["service_space_m2"]],
        [period, _("Cultural publicity facilities"), g["culture_facilities"]],
        [_("Governance now"), _("Compounds"), g["compounds"]],
        [_("Governance now"), _("With a party branch"), g["with_party_branch"]],
        [_("Governance now"), _("With an owners' committee or self-governance group"), g["with_owners_body"]],
        [_("Governance now"), _("With a property service"), g["with_property_service"]],
    ]
    coverage = g["coverage"]
    on = _("Property coverage %(on)s") % {"on": coverage["on"]}
    summary += [[on, str(row["label"]), row["count"]] for row in coverage["modes"]]
    summary += [[on, _("Basic property service coverage (%)"), coverage["percent"]]]
    if "rounds" in i:  # only on a board built for those who may know the unannounced plan (shows_rounds)
        summary += [
            [_("Inspections"), _("This week's unannounced rounds planned"), i["rounds"]["planned"]],
            [_("Inspections"), _("This week's unannounced rounds done"), i["rounds"]["done"]],
        ]
    money = board.funding
    summary += [
        [_("Funds"), _("Planned (yuan)"), money["total"]["planned"]],
        [_("Funds"), _("Allocated (yuan)"), money["total"]["allocated"]],
        [_("Funds"), _("Disbursed (yuan)"), money["total"]["disbursed"]],
        [_("Funds"), _("Spent (yuan)"), money["total"]["spent"]],
        [_("Funds"), _("Execution rate (%)"), money["total"]["rate_percent"]],
    ]
    sheets = [
        (pgettext("dashboard", "Summary"), [_("Section"), _("Figure"), _("Value")], summary),
        (
            _("数说改造"),
            [_("Category"), pgettext("dashboard", "Unit"), _("Planned"), _("Completed"), _("Projects")],
            [[str(r["label"]), r["unit"], r["planned"], r["completed"], r["projects"]] for r in board.scope],
        ),
        contractor_sheet(board.contractors),
    ]
    sheets.append(
        (
            _("Funds"),
            [
                _("Funding source"),
                _("Planned (yuan)"),
                _("Allocated (yuan)"),
                _("Disbursed (yuan)"),
                _("Spent (yuan)"),
                _("Execution rate (%)"),
            ],
            [
                [str(r["label"]), r["planned"], r["allocated"], r["disbursed"], r["spent"], r["rate_percent"]]
                for r in [*money["sources"], {**money["total"], "label": _("Total")}]
            ],
        )
    )
    sheets.append(
        (
            _("Property coverage"),
            [_("Property service mode"), *[str(point["on"]) for point in coverage["trend"]]],
            [
                [str(row["label"]), *[point["modes"][index]["count"] for point in coverage["trend"]]]
                for index, row in enumerate(coverage["modes"])
            ]
            + [
                [_("Basic property service coverage (%)"), *[point["percent"] for point in coverage["trend"]]],
            ],
        )
    )
    if board.children:
        sheets.append(
            (
                _("Places"),
                [
                    _("Name"),
                    _("Compounds"),
                    _("Projects"),
                    _("Started"),
                    _("Finished"),
                    _("Behind schedule"),
                    _("Open issues"),
                    _("Overdue issues"),
                    _("Allocated (yuan)"),
                    _("Spent (yuan)"),
                    _("Execution rate (%)"),
                ],
                [
                    [
                        r["name"],
                        r["compounds"],
                        r["projects"],
                        r["started"],
                        r["finished"],
                        r["behind"],
                        r["open_issues"],
                        r["overdue_issues"],
                        r["funding"]["allocated"],
                        r["funding"]["spent"],
                        r["funding"]["rate_percent"],
                    ]
                    for r in board.children
                ],
            )
        )
    return sheets


def contractor_sheet(rows) -> tuple[str, list[str], list[list]]:
    """The contractor scorecard as a table (the dashboard's export and the whole scorecard's)."""
    return (
        _("Contractors"),
        [
            _("Contractor"),
            _("Projects"),
            _("Behind schedule"),
            _("Mean slip (days)"),
            _("Issues"),
            _("Closed"),
            _("On time (%)"),
            _("Overdue"),
            _("Repeat findings"),
            _("Warranty defects"),
            _("Warranty defects repaired on time"),
        ],
        [
            [
                r["name"],
                r["projects"],
                r["behind"],
                r["slip_days"],
                r["issues"],
                r["closed"],
                r["on_time_rate"],
                r["overdue"],
                r["repeats"],
                r["warranty_defects"],
                r["warranty_on_time"],
            ]
            for r in rows
        ],
    )


SCORECARD_ORDER_CHOICES = [
    ("worst", pgettext_lazy("scorecard order", "Most overdue issues and repeat findings")),
    ("issues", pgettext_lazy("scorecard order", "Most issues")),
    ("overdue", pgettext_lazy("scorecard order", "Most overdue issues")),
    ("behind", pgettext_lazy("scorecard order", "Most projects behind schedule")),
    ("projects", pgettext_lazy("scorecard order", "Most projects")),
    ("name", pgettext_lazy("scorecard order", "Name")),
]


class ScorecardForm(forms.Form):
    """The whole scorecard's filter: a part of the contractor's name, and the order."""

    q = forms.CharField(
        label=gettext_lazy("Contractor name contains"),
        required=False,
        max_length=100,
        widget=forms.TextInput(attrs={"class": "form-control", "type": "search"}),
    )
    order = forms.ChoiceField(
        label=gettext_lazy("Order"),
        choices=SCORECARD_ORDER_CHOICES,
        required=False,
        widget=forms.Select(attrs={"class": "form-select"}),
    )


def scorecard_place(user, level: str, pk: int | None):
    """The place of a whole contractor scorecard (a city, a province or the nation), for a user who may open its
    board (``board_place``); no such page below the city (a district's board shows its scorecard whole)."""
    if level not in figures.SCORECARD_LEVELS:
        raise Http404
    return board_place(user, level, pk)


@login_required
def contractors(request, level, pk=None):
    """The whole contractor scorecard of a city, province or the nation: filtered by name, ordered, paged (50 a
    page; the board shows the first ``DASHBOARD_SCORECARD_TOP``) and exportable (``?export=csv|xlsx``)."""
    form = ScorecardForm(request.GET)
    wanted = form.cleaned_data if form.is_valid() else {}  # a bad filter: the form says so, the list is unfiltered
    place = scorecard_place(request.user, level, pk)
    scorecard = figures.Scorecard(level, place, search=wanted.get("q", ""), order=wanted.get("order") or "worst")
    fmt = requested_format(request)
    if fmt:
        return table_response(f"{_('Contractor scorecard')}-{place.name}", fmt, [contractor_sheet(scorecard[0:None])])
    page = Paginator(scorecard, 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "dashboard/contractors.html",
        {
            "level": level,
            "place": place,
            "form": form,
            "page": page,
            "query": query.urlencode(),
            "crumbs": _crumbs(level, place, get_scope(request.user)),
            "board_url": reverse("dashboard:nation")
            if level == figures.NATION
            else reverse("dashboard:place", args=[level, place.pk]),
        },
    )


@login_required
def nation_contractors(request):
    return contractors(request, figures.NATION)
