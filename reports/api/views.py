from django.core.exceptions import PermissionDenied
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from drf_standardized_errors.openapi_validation_errors import extend_validation_errors
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from communities.models import District
from communities.scoping import ScopedObjectMixin, get_object_for
from renovation_portal.api import PagePagination
from reports import selectors, services
from reports.api import serializers as s
from reports.filtersets import MonthlyReportFilterSet
from reports.models import MonthlyReport
from reports.permissions import can_view_live

QUERY_CODES = ["required", "invalid", "min_value", "max_value", "max_string_length"]


@extend_validation_errors(QUERY_CODES, field_name="district", actions=["preview"], methods=["get"])
@extend_validation_errors(QUERY_CODES, field_name="year", actions=["preview"], methods=["get"])
@extend_validation_errors(QUERY_CODES, field_name="month", actions=["preview"], methods=["get"])
# The district's primary key is an integer field (1 … 2^63 − 1): its own codes, besides the related field's.
@extend_validation_errors(
    ["invalid", "max_value", "min_value", "max_string_length"],
    field_name="district",
    actions=["create"],
    methods=["post"],
)
class MonthlyReportViewSet(ScopedObjectMixin, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """The districts' monthly reports to the city: every submitted version in the user's scope (district officials:
    their district; city and province officials: every district below them). ``POST`` submits a district's month
    (district officials; send an ``Idempotency-Key``): the figures are frozen as a new version, and a month already
    submitted needs a ``note`` saying what the correction changes. ``GET preview/`` returns the live figures."""

    serializer_class = s.MonthlyReportSerializer
    filterset_class = MonthlyReportFilterSet
    pagination_class = PagePagination
    queryset = MonthlyReport.objects.none()

    def get_queryset(self):
        return selectors.report_list(self.request.user).order_by("-year", "-month", "district_id", "-version")

    def get_serializer_class(self):
        if self.action == "create":
            return s.MonthlyReportSubmitSerializer
        return s.MonthlyReportSerializer

    @extend_schema(request=s.MonthlyReportSubmitSerializer, responses={201: s.MonthlyReportSerializer})
    def create(self, request, *args, **kwargs):
        body = s.MonthlyReportSubmitSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        district = get_object_for(request.user, District.objects.all(), data["district"].pk)
        report = services.report_submit(
            actor=request.user, district=district, year=data["year"], month=data["month"], note=data.get("note", "")
        )
        return Response(s.MonthlyReportSerializer(report).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        parameters=[
            OpenApiParameter("district", int, required=True),
            OpenApiParameter("year", int, required=True),
            OpenApiParameter("month", int, required=True),
        ],
        responses={200: OpenApiTypes.OBJECT},
    )
    @action(detail=False, methods=["get"], filterset_class=None, pagination_class=None)
    def preview(self, request):
        """The month's live figures, as a submission would freeze them now (district officials, and the city and
        province officials above the district)."""
        query = s.MonthlyReportPreviewQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        data = query.validated_data
        district = get_object_for(request.user, District.objects.all(), data["district"])
        if not can_view_live(request.user, district):
            raise PermissionDenied
        return Response(selectors.monthly_figures(district, data["year"], data["month"]))
