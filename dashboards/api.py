"""The dashboards in the API: every figure of a place's dashboard, and the districts' yearly targets."""

import json
from datetime import date
from decimal import Decimal

from django.http import HttpResponse
from django.utils.functional import Promise
from django.utils.translation import get_language
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from drf_standardized_errors.openapi_validation_errors import extend_validation_errors
from rest_framework import generics, mixins, serializers, status, viewsets
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.utils import encoders
from rest_framework.views import APIView

from communities.choices import PropertyMode
from communities.models import District
from communities.scoping import get_scope
from dashboards import figures
from dashboards.views import (
    SCORECARD_ORDER_CHOICES,
    nation_for,
    place_for,
    requested_period,
    requested_year,
    scorecard_place,
    shows_rounds,
)
from projects import services as project_services
from projects.models import ProgrammeTarget
from renovation_portal.serializers import StrictModelSerializer

# Values that go out as they are (most of a big board: a province's scorecard is ≈ 1,250 rows of these).
_AS_IS = frozenset({int, str, float, bool, type(None), date})


def _plain(value, exact: bool = False):
    """Figures as JSON: lazy labels to text, decimals to numbers — except money (under a "funding" key), which
    goes out as decimal strings ("0.30") so that no client adds yuan in binary floating point."""
    kind = type(value)
    if kind in _AS_IS:
        return value
    if kind is dict:
        return {k: _plain(v, exact or k == "funding") for k, v in value.items() if k != "target"}
    if kind is list:
        return [_plain(v, exact) for v in value]
    if kind is Decimal:
        return str(value) if exact else float(value)
    if isinstance(value, Promise):  # a lazy label
        return str(value)
    if isinstance(value, dict):
        return {k: _plain(v, exact or k == "funding") for k, v in value.items() if k != "target"}
    if isinstance(value, list):
        return [_plain(v, exact) for v in value]
    return value


class _BoardEncoder(encoders.JSONEncoder):
    """DRF's encoder with the board's common values first: ≈ 500 decimals and dates a board, each one call here
    instead of a walk down DRF's chain of ``isinstance`` checks. Writes exactly what DRF's does."""

    def default(self, obj):
        kind = type(obj)
        if kind is Decimal:
            return float(obj)
        if kind is date:
            return obj.isoformat()
        return super().default(obj)


class _BoardRenderer(JSONRenderer):
    encoder_class = _BoardEncoder


def _exact_funding(row: dict) -> dict:
    """A drill-down row with its money as decimal strings (``_plain``'s "funding" rule)."""
    return {**row, "funding": _plain(row["funding"], exact=True)} if "funding" in row else row


class _ModeCountSerializer(serializers.Serializer):
    mode = serializers.ChoiceField(choices=PropertyMode.choices)
    label = serializers.CharField()
    count = serializers.IntegerField(help_text="Compounds whose property service in force that day has this mode.")
    url = serializers.CharField(help_text="The compound list filtered to exactly these compounds.")


class _CoveragePointSerializer(serializers.Serializer):
    on = serializers.DateField()
    modes = _ModeCountSerializer(many=True)
    managed = serializers.IntegerField(help_text="Compounds with basic property service: menu-style, professional "
                                       "or shared.")  # fmt: skip
    percent = serializers.FloatField(
        allow_null=True, help_text="Basic property service coverage: managed ÷ compounds, in percent (null: none)."
    )
    managed_url = serializers.CharField()


class _CoverageSerializer(_CoveragePointSerializer):
    """Property coverage on the period's last day (``on``), and at the ends of the four years before it (``trend``,
    oldest first, ending with ``on``)."""

    compounds = serializers.IntegerField(help_text="Compounds in the place now.")
    trend = _CoveragePointSerializer(many=True)


class DashboardGovernanceSerializer(serializers.Serializer):
    """The governance row of 数说改造 over [``since``, ``until``], each figure with the list it counts (``*_url``)."""

    since = serializers.DateField()
    until = serializers.DateField()
    party_branches = serializers.IntegerField(help_text="Compounds whose party branch was founded in the period.")
    self_governance_groups = serializers.IntegerField(
        help_text="Compounds whose self-governance group was formed or re-elected in the period."
    )
    owners_committees = serializers.IntegerField(
        help_text="Compounds whose owners' committee was formed or re-elected in the period."
    )
    property_introduced = serializers.IntegerField(
        help_text="Compounds that went from no property service or self-management to a managed mode in the period."
    )
    problems_solved = serializers.IntegerField(help_text="Residents' problems resolved in the period.")
    service_space_m2 = serializers.FloatField(help_text="Area (m²) of community rooms opened in the period.")
    culture_facilities = serializers.IntegerField(help_text="Cultural publicity facilities opened in the period.")
    party_branches_url = serializers.CharField()
    self_governance_groups_url = serializers.CharField()
    owners_committees_url = serializers.CharField()
    property_introduced_url = serializers.CharField()
    problems_solved_url = serializers.CharField()
    service_space_url = serializers.CharField()
    culture_facilities_url = serializers.CharField()
    compounds = serializers.IntegerField(help_text="Compounds in the place now.")
    with_party_branch = serializers.IntegerField()
    with_owners_body = serializers.IntegerField()
    with_property_service = serializers.IntegerField()
    coverage = _CoverageSerializer()


class DashboardPatrolsSerializer(serializers.Serializer):
    """The aftercare patrols' findings (rectification issues of origin ``patrol``, filed after handover). They count in
    none of the ``inspections`` figures; each figure links to the issue list of exactly what it counts (``*_url``)."""

    total = serializers.IntegerField(help_text="Findings of the aftercare patrols.")
    open = serializers.IntegerField(help_text="Findings not yet rectified.")
    submitted = serializers.IntegerField(help_text="Findings rectified, awaiting verification.")
    closed = serializers.IntegerField(help_text="Findings verified and closed (销号).")
    overdue = serializers.IntegerField(help_text="Findings not closed whose deadline has passed.")
    warranty = serializers.IntegerField(
        help_text="Of the findings, the warranty defects sent to the contractor whose warranty covers them."
    )
    total_url = serializers.CharField()
    open_url = serializers.CharField()
    submitted_url = serializers.CharField()
    closed_url = serializers.CharField()
    overdue_url = serializers.CharField()
    warranty_url = serializers.CharField()


class _PlaceSerializer(serializers.Serializer):
    id = serializers.IntegerField(allow_null=True, help_text="null for the national overview")
    name = serializers.CharField()


class DashboardSerializer(serializers.Serializer):
    """The dashboard payload (only ``governance`` and ``patrols`` are described field by field here)."""

    level = serializers.CharField(help_text="nation, province, city, district, subdistrict, community or compound")
    place = _PlaceSerializer()
    date = serializers.DateField()
    progress = serializers.JSONField()
    scope = serializers.JSONField()
    inspections = serializers.JSONField(
        help_text="The three-tier inspection regime's rectification issues (origin inspection): totals, by tier, "
        "time to rectify; an aftercare patrol's findings are in ``patrols``, never here."
    )
    patrols = DashboardPatrolsSerializer()
    consultation = serializers.JSONField()
    contractors = serializers.JSONField(
        help_text="The contractor scorecard: issues, closed, on time, overdue and repeats count the inspections' "
        "issues; warranty_defects and warranty_on_time the aftercare patrols' warranty defects. A city's, province's "
        "or the nation's: its first rows only (most overdue issues and repeat findings first), the whole at "
        "``contractors_url``."
    )
    contractors_total = serializers.IntegerField(help_text="Contractors in the whole scorecard.")
    contractors_url = serializers.CharField(
        help_text="The whole scorecard's list (city, province and nation; empty below: the board shows it whole)."
    )
    evaluations = serializers.JSONField()
    funding = serializers.JSONField()
    governance = DashboardGovernanceSerializer()
    children = serializers.JSONField()
    districts = serializers.JSONField()


PERIOD_PARAMETERS = [
    OpenApiParameter(
        "year",
        int,
        description="The year measured against its target (default: the latest year with a target).",
    ),
    OpenApiParameter(
        "since",
        OpenApiTypes.DATE,
        description="First day of the governance figures' period (default: 1 January of the year measured).",
    ),
    OpenApiParameter(
        "until",
        OpenApiTypes.DATE,
        description="Last day of the governance figures' period (default: 31 December of the year measured).",
    ),
]


class DashboardView(APIView):
    """Every figure of the dashboard of one place (province, city, district, subdistrict, community or compound).
    A city's or province's dashboard sums the districts below it (targets too) and lists them: ``children`` (a
    city's districts, a province's cities) and, for a province, ``districts``."""

    @extend_schema(
        parameters=[
            OpenApiParameter("level", str, OpenApiParameter.PATH, enum=list(figures.LEVELS)),
            OpenApiParameter("id", int, OpenApiParameter.PATH),
            *PERIOD_PARAMETERS,
        ],
        responses={200: DashboardSerializer},
    )
    def get(self, request, level, id):
        place = place_for(request.user, level, id)  # every request: 404 outside the user's places
        return self.respond(request, level, place)

    def respond(self, request, level, place):
        show_rounds, year = shows_rounds(request.user, level, place), requested_year(request)
        since, until = requested_period(request)  # 400 for a date that is no date

        def render() -> bytes:
            board = figures.build(
                level, place, user=request.user, show_rounds=show_rounds, year=year, since=since, until=until
            )
            return _BoardRenderer().render(self.figures(level, place, board))

        # The finished body, not the figures: a cached request costs one cache read and no JSON rendering.
        parts = ("api", level, place.pk, year or "latest", since or "", until or "", int(show_rounds), get_language())
        body = figures.cached(parts, render)
        if request.accepted_renderer.format != "json":  # the browsable API
            return Response(json.loads(body))
        return HttpResponse(body, content_type="application/json")

    @staticmethod
    def figures(level, place, board) -> dict:
        target = board.progress["target"]
        if isinstance(target, dict):  # above the district: the districts' targets summed
            target = {"year": board.progress["year"], **target}
        elif target is not None:
            target = {"year": target.year, "to_start": target.to_start, "to_finish": target.to_finish}
        return {
            "level": level,
            "place": {"id": place.pk, "name": str(place.name)},
            "date": board.today,
            "progress": {
                **_plain(board.progress),
                "target": target,
            },
            # The sections as built: the renderer's encoder writes lazy labels, decimals (as numbers) and dates as
            # ``_plain`` would, in C, where walking ≈ 1,300 values in Python cost a tenth of a district board's CPU.
            # Only money is walked, to go out as decimal strings.
            "scope": board.scope,
            "inspections": board.inspections,
            "patrols": board.patrols,
            "consultation": board.consultation,
            "contractors": board.contractors,
            "contractors_total": board.contractors_total,
            "contractors_url": board.contractors_url,
            "evaluations": board.evaluations,
            "funding": _plain(board.funding, exact=True),
            "governance": board.governance,
            "children": [_exact_funding(row) for row in board.children],
            "districts": [_exact_funding(row) for row in board.districts],
        }


class NationDashboardView(DashboardView):
    """The national overview (全国总览): every figure of a province's dashboard for the whole country, summed from
    the rollups of every district, with ``children`` one row per province. Global-scope users only (403 for
    anyone else)."""

    @extend_schema(parameters=PERIOD_PARAMETERS, responses={200: DashboardSerializer})
    def get(self, request):
        return self.respond(request, figures.NATION, nation_for(request.user))


class ScorecardRowSerializer(serializers.Serializer):
    id = serializers.IntegerField(help_text="The contractor (company) id.")
    name = serializers.CharField(allow_null=True)
    projects = serializers.IntegerField()
    behind = serializers.IntegerField(help_text="Projects behind schedule.")
    slip_days = serializers.FloatField(allow_null=True, help_text="Mean slip of the finished projects, in days.")
    issues = serializers.IntegerField()
    closed = serializers.IntegerField()
    on_time_rate = serializers.IntegerField(allow_null=True, help_text="Closed by the deadline, % of closed.")
    overdue = serializers.IntegerField()
    repeats = serializers.IntegerField(help_text="Repeat findings: issues beyond the first of a kind.")
    warranty_defects = serializers.IntegerField()
    warranty_on_time = serializers.IntegerField()
    url = serializers.CharField(help_text="The contractor's issues in the place.")


class ScorecardQuerySerializer(serializers.Serializer):
    q = serializers.CharField(required=False, allow_blank=True, max_length=100)
    order = serializers.ChoiceField(choices=SCORECARD_ORDER_CHOICES, required=False)


SCORECARD_PARAMETERS = [
    OpenApiParameter("q", str, description="A part of the contractor's name (any case)."),
    OpenApiParameter(
        "order",
        str,
        enum=[value for value, _label in SCORECARD_ORDER_CHOICES],
        description="worst (default, the dashboard's order: most overdue issues and repeat findings first), issues, "
        "overdue, behind, projects or name; ties by name, then id.",
    ),
]


SCORECARD_QUERY_ERRORS = [
    (["invalid", "max_length", "null_characters_not_allowed", "surrogate_characters_not_allowed"], "q"),
    (["invalid_choice"], "order"),
]


def _scorecard_errors(view):
    for codes, name in SCORECARD_QUERY_ERRORS:
        view = extend_validation_errors(codes, field_name=name, methods=["get"])(view)
    return view


@_scorecard_errors
class ScorecardView(generics.GenericAPIView):
    """The whole contractor scorecard of a city or a province (the dashboard shows its first rows), filtered by
    name, ordered and paged; from the rollups, aggregated, ordered and cut in the database."""

    serializer_class = ScorecardRowSerializer
    filter_backends = []

    @extend_schema(
        parameters=[
            OpenApiParameter("level", str, OpenApiParameter.PATH, enum=["city", "province"]),
            OpenApiParameter("id", int, OpenApiParameter.PATH),
            *SCORECARD_PARAMETERS,
        ],
        responses={200: ScorecardRowSerializer(many=True)},
    )
    def get(self, request, level, id):
        return self.respond(request, level, id)

    def respond(self, request, level, pk):
        place = scorecard_place(request.user, level, pk)  # 403 or 404 first
        query = ScorecardQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)  # 400 for an order that is none
        wanted = query.validated_data
        scorecard = figures.Scorecard(level, place, search=wanted.get("q", ""), order=wanted.get("order") or "worst")
        page = self.paginate_queryset(scorecard)
        return self.get_paginated_response(self.get_serializer(_plain(list(page)), many=True).data)


@_scorecard_errors
class NationScorecardView(ScorecardView):
    """The whole contractor scorecard of the nation (global-scope users only), filtered, ordered and paged."""

    @extend_schema(parameters=SCORECARD_PARAMETERS, responses={200: ScorecardRowSerializer(many=True)})
    def get(self, request):
        return self.respond(request, figures.NATION, None)


class TargetSerializer(StrictModelSerializer):
    district = serializers.PrimaryKeyRelatedField(queryset=District.objects.all())

    class Meta:
        model = ProgrammeTarget
        fields = ["id", "district", "year", "to_start", "to_finish", "updated_at"]
        read_only_fields = ["id", "updated_at"]
        validators = []  # one per district and year: a second POST updates it


@extend_validation_errors(
    ["target_below_shares", "negative_target", "bad_year"], field_name="non_field_errors", actions=["create"]
)
@extend_validation_errors(["bad_year"], field_name="year", actions=["create"])
class TargetViewSet(mixins.ListModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet):
    """Yearly targets of the districts in scope; POST sets (creates or replaces) a district's target for a year
    (refused below the sum of its subdistricts' shares: ``POST /annual-plans/{id}/targets/`` sets both)."""

    serializer_class = TargetSerializer
    queryset = ProgrammeTarget.objects.none()
    filterset_fields = ["district", "year"]

    def get_queryset(self):
        scope = get_scope(self.request.user)
        targets = ProgrammeTarget.objects.select_related("district").order_by("district_id", "-year")
        return targets if scope.is_global else targets.filter(district_id__in=sorted(scope.district_ids))

    def create(self, request, *args, **kwargs):
        body = self.get_serializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        district = place_for(request.user, "district", data["district"].pk)
        target = project_services.target_set(
            actor=request.user,
            district=district,
            year=data["year"],
            to_start=data["to_start"],
            to_finish=data["to_finish"],
        )
        return Response(self.get_serializer(target).data, status=status.HTTP_201_CREATED)
