from django.db.models import Max, Prefetch
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from drf_standardized_errors.openapi_validation_errors import extend_validation_errors
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response

from communities.models import Compound, User
from communities.scoping import ScopedObjectMixin, get_object_for
from projects import permissions as perms
from projects import selectors, services
from projects.api import serializers as s
from projects.exports import FUNDING_COLUMNS
from projects.filtersets import FundingEntryFilterSet, ProgressReportFilterSet, ProjectFilterSet, ScopeItemFilterSet
from projects.models import (
    FundingEntry,
    PlanVersion,
    ProgressPhoto,
    ProgressReport,
    Project,
    ProjectEvent,
    ScopeItem,
)
from renovation_portal.api import ConcurrencyControlMixin, KeysetPagination
from renovation_portal.exports import FORMATS, XLSX_TYPE, export_response
from renovation_portal.parsers import JSONParser
from renovation_portal.uploads import serve_private_image
from renovation_portal.values_lists import ValuesListMixin

TRANSITION_CODES = [
    "invalid_transition",
    "coordinators_missing",
    "note_required",
    "no_plan",
    "confirmations_missing",
    "not_finished",
    "completion_blocked",
]


@extend_validation_errors(TRANSITION_CODES, field_name="non_field_errors", actions=["transitions"])
@extend_validation_errors(["invalid"], field_name="level", actions=["totals"])
@extend_validation_errors(["not_a_leader"], field_name="user", actions=["liaisons"])
@extend_validation_errors(["required"], field_name="user", methods=["delete"])
@extend_validation_errors(
    ["not_a_contractor", "contractor_required"], field_name="contractor", actions=["update", "partial_update", "create"]
)
@extend_validation_errors(["wrong_company_kind"], field_name="designer", actions=["update", "partial_update", "create"])
@extend_validation_errors(
    ["wrong_company_kind"], field_name="supervisor", actions=["update", "partial_update", "create"]
)
@extend_validation_errors(["future_date"], field_name="awarded_on", actions=["create"])
@extend_validation_errors(["required", "plan_item_compound"], field_name="compound", actions=["create"])
@extend_validation_errors(["unknown_plan_item", "project_exists"], field_name="plan_item", actions=["create"])
@extend_validation_errors(["invalid"], field_name="non_field_errors", actions=["create"])
class ProjectViewSet(
    ValuesListMixin,
    ConcurrencyControlMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.ReadOnlyModelViewSet,
):
    """Renovation projects in the user's scope. POST creates one (officials over the compound), usually from an
    item of the annual plan (``plan_item``), with the EPC award; officials edit basic data; status moves only by
    ``POST /projects/{id}/transitions/``."""

    filterset_class = ProjectFilterSet
    pagination_class = KeysetPagination
    ordering_fields = ["updated_at"]
    queryset = Project.objects.none()

    def get_queryset(self):
        queryset = selectors.project_list(self.request.user)
        if self.action == "retrieve":
            queryset = queryset.prefetch_related(
                "funding",
                "liaisons",
                Prefetch("events", queryset=ProjectEvent.objects.order_by("created_at", "id").select_related("actor")),
            )
        return self.locked_queryset(queryset)

    def list_annotations(self):
        return {"is_overdue": selectors.project_is_overdue()}

    def get_serializer_class(self):
        if self.action == "retrieve":
            return s.ProjectDetailSerializer
        if self.action == "create":
            return s.ProjectCreateSerializer
        if self.action == "transitions":
            return s.TransitionSerializer
        return s.ProjectSerializer

    def get_object(self):
        return get_object_for(
            self.request.user,
            self.get_queryset(),
            self.kwargs["pk"],
            action="view" if self.request.method in ("GET", "HEAD", "OPTIONS") else "change",
            can=perms.can_edit_project if self.action in ("update", "partial_update") else (lambda user, obj: True),
        )

    @extend_schema(request=s.ProjectCreateSerializer, responses={201: s.ProjectDetailSerializer})
    def create(self, request, *args, **kwargs):
        body = s.ProjectCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = dict(body.validated_data)
        if data.get("compound") is not None:
            data["compound"] = get_object_for(request.user, Compound.objects.all(), data["compound"].pk)
        project = services.project_create(actor=request.user, **data)
        project = selectors.project_detail_queryset(request.user).get(pk=project.pk)
        return Response(s.ProjectDetailSerializer(project).data, status=status.HTTP_201_CREATED)

    def perform_update(self, serializer):
        serializer.instance = services.project_update(
            actor=self.request.user, project=serializer.instance, **serializer.validated_data
        )

    @extend_schema(request=s.TransitionSerializer, responses={200: s.ProjectDetailSerializer})
    @action(detail=True, methods=["post"])
    def transitions(self, request, pk=None):
        """Move the project along its lifecycle (start_survey, submit_plan, start_construction,
        request_acceptance, accept_completion, reject_acceptance, suspend, resume)."""
        project = self.get_object()
        body = s.TransitionSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        service = services.TRANSITION_SERVICES[body.validated_data["transition"]]
        service(actor=request.user, project=project, note=body.validated_data["note"])
        project = selectors.project_detail_queryset(request.user).get(pk=project.pk)
        return Response(s.ProjectDetailSerializer(project).data)

    @extend_schema(request=s.LiaisonSerializer, responses={200: s.ProjectDetailSerializer})
    @action(detail=True, methods=["post"], filterset_class=None, pagination_class=None)
    def liaisons(self, request, pk=None):
        """Hook a subdistrict leader (挂钩领导) to the project: officials of the project's subdistrict or district."""
        project = get_object_for(request.user, self.get_queryset(), pk, action="change", can=perms.is_official_for)
        body = s.LiaisonSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        leader = User.objects.filter(pk=body.validated_data["user"], is_active=True).first()
        services.project_add_liaison(actor=request.user, project=project, user=leader)
        return Response(s.ProjectDetailSerializer(selectors.project_detail_queryset(request.user).get(pk=pk)).data)

    @extend_schema(
        request=None,
        parameters=[OpenApiParameter("user", OpenApiTypes.INT, required=True)],
        responses={200: s.ProjectDetailSerializer},
    )
    @liaisons.mapping.delete
    def remove_liaison(self, request, pk=None):
        """Unhook a leader: ``DELETE /projects/{id}/liaisons/?user={user id}``."""
        project = get_object_for(request.user, self.get_queryset(), pk, action="change", can=perms.is_official_for)
        user_id = request.query_params.get("user", "")
        if not user_id.isdecimal():
            raise ValidationError({"user": ["Give the id of the hooked leader to remove."]}, code="required")
        leader = project.liaisons.filter(pk=int(user_id)).first()
        if leader is not None:
            services.project_remove_liaison(actor=request.user, project=project, user=leader)
        return Response(s.ProjectDetailSerializer(selectors.project_detail_queryset(request.user).get(pk=pk)).data)

    @extend_schema(
        parameters=[OpenApiParameter("level", OpenApiTypes.STR, enum=list(selectors.LEVEL_PATHS), required=True)],
        responses={200: s.ScopeTotalSerializer(many=True)},
    )
    @action(detail=False, methods=["get"], pagination_class=None, filterset_class=None)
    def totals(self, request):
        """Planned and completed quantities per scope category under each place node of a level."""
        level = request.query_params.get("level")
        if level not in selectors.LEVEL_PATHS:
            raise ValidationError({"level": [f"Choose one of: {', '.join(selectors.LEVEL_PATHS)}."]}, code="invalid")
        return Response(s.ScopeTotalSerializer(selectors.scope_totals(request.user, level), many=True).data)


@extend_validation_errors(["project_closed", "required"], field_name="non_field_errors", actions=["create"])
@extend_validation_errors(
    ["plan_superseded", "already_confirmed", "invalid_party"], field_name="non_field_errors", actions=["confirmations"]
)
class PlanVersionViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Plan versions; ``POST /plan-versions/{id}/confirmations/`` records a party's confirmation."""

    serializer_class = s.PlanVersionSerializer
    filterset_fields = ["project"]
    queryset = PlanVersion.objects.none()

    def get_queryset(self):
        return (
            PlanVersion.objects.visible_to(self.request.user)
            .select_related("project")
            .prefetch_related("confirmations")
            .order_by("project_id", "number")
        )

    def get_serializer_context(self):
        context = super().get_serializer_context()
        if self.action in ("list", "retrieve"):
            context["latest_numbers"] = dict(
                PlanVersion.objects.visible_to(self.request.user)
                .values_list("project_id")
                .annotate(top=Max("number"))
                .values_list("project_id", "top")
            )
        return context

    def create(self, request, *args, **kwargs):
        body = s.PlanVersionSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        project = get_object_for(request.user, Project.objects.all(), body.validated_data["project"].pk)
        plan = services.plan_version_create(
            actor=request.user,
            project=project,
            summary=body.validated_data.get("summary", ""),
            changes=body.validated_data.get("changes", ""),
        )
        return Response(s.PlanVersionSerializer(plan).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=s.ConfirmSerializer, responses={201: s.PlanConfirmationSerializer})
    @action(detail=True, methods=["post"], serializer_class=s.ConfirmSerializer)
    def confirmations(self, request, pk=None):
        plan = get_object_for(request.user, self.get_queryset(), pk)
        body = s.ConfirmSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        confirmation = services.plan_confirm(actor=request.user, plan_version=plan, **body.validated_data)
        return Response(s.PlanConfirmationSerializer(confirmation).data, status=status.HTTP_201_CREATED)


class ScopeItemViewSet(
    ScopedObjectMixin,
    ValuesListMixin,
    ConcurrencyControlMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.ReadOnlyModelViewSet,
):
    """Work items with planned and completed quantities (completed ones grow only through reports)."""

    serializer_class = s.ScopeItemSerializer
    filterset_class = ScopeItemFilterSet
    pagination_class = KeysetPagination
    ordering_fields = ["updated_at"]
    queryset = ScopeItem.objects.none()

    def get_queryset(self):
        return self.locked_queryset(
            ScopeItem.objects.visible_to(self.request.user).select_related("project__compound__community__subdistrict")
        )

    change_permission = staticmethod(lambda user, item: perms.can_manage_scope(user, item.project))

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        project = get_object_for(self.request.user, Project.objects.all(), data.pop("project").pk)
        serializer.instance = services.scope_item_create(actor=self.request.user, project=project, **data)

    def perform_update(self, serializer):
        serializer.instance = services.scope_item_update(
            actor=self.request.user, scope_item=serializer.instance, **serializer.validated_data
        )


@extend_validation_errors(["not_in_construction", "required"], field_name="non_field_errors", actions=["create"])
@extend_validation_errors(["future_date"], field_name="report_date", actions=["create"])
@extend_validation_errors(["invalid_percent"], field_name="percent_complete", actions=["create"])
@extend_validation_errors(["required"], field_name="work_done", actions=["create"])
@extend_validation_errors(["foreign_item", "negative_quantity"], field_name="quantities", actions=["create"])
@extend_validation_errors(
    ["photo_too_large", "photo_too_many_pixels", "photo_invalid", "photo_type", "too_many_photos"],
    field_name="photos",
    actions=["create"],
)
class ProgressReportViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Contractors' progress reports. POST is multipart (photos) or JSON (no photos)."""

    filterset_class = ProgressReportFilterSet
    pagination_class = KeysetPagination
    ordering_fields = ["updated_at"]
    parser_classes = [MultiPartParser, FormParser, JSONParser]
    queryset = ProgressReport.objects.none()

    def get_queryset(self):
        return ProgressReport.objects.visible_to(self.request.user).prefetch_related("quantities", "photos")

    def get_serializer_class(self):
        return s.ProgressReportCreateSerializer if self.action == "create" else s.ProgressReportSerializer

    @extend_schema(request=s.ProgressReportCreateSerializer, responses={201: s.ProgressReportSerializer})
    def create(self, request, *args, **kwargs):
        body = s.ProgressReportCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        project = get_object_for(request.user, Project.objects.all(), data["project"])
        taken, lats, lngs = data["photo_taken_at"], data["photo_latitude"], data["photo_longitude"]
        photos = [
            services.PhotoUpload(
                file=f,
                taken_at=taken[i] if i < len(taken) else None,
                latitude=lats[i] if i < len(lats) else None,
                longitude=lngs[i] if i < len(lngs) else None,
            )
            for i, f in enumerate(data["photos"])
        ]
        report = services.progress_report_file(
            actor=request.user,
            project=project,
            report_date=data["report_date"],
            work_done=data["work_done"],
            percent_complete=data["percent_complete"],
            manpower=data["manpower"],
            weather=data["weather"],
            issues_met=data["issues_met"],
            quantities=data["quantities"],
            photos=photos,
        )
        report = self.get_queryset().get(pk=report.pk)
        return Response(s.ProgressReportSerializer(report).data, status=status.HTTP_201_CREATED)


class ProgressPhotoViewSet(viewsets.GenericViewSet):
    """The image files of progress photos, to users who may see their project."""

    queryset = ProgressPhoto.objects.none()
    serializer_class = s.ProgressPhotoSerializer

    def get_queryset(self):
        return ProgressPhoto.objects.visible_to(self.request.user)

    @extend_schema(responses={(200, "image/jpeg"): OpenApiResponse(OpenApiTypes.BINARY)})
    @action(detail=True, methods=["get"])
    def image(self, request, pk=None):
        return serve_private_image(get_object_for(request.user, self.get_queryset(), pk).image)

    @extend_schema(responses={(200, "image/jpeg"): OpenApiResponse(OpenApiTypes.BINARY)})
    @action(detail=True, methods=["get"])
    def thumbnail(self, request, pk=None):
        photo = get_object_for(request.user, self.get_queryset(), pk)
        return serve_private_image(photo.thumbnail or photo.image)


@extend_validation_errors(
    ["exceeds_allocation", "exceeds_disbursement", "not_positive", "too_many_decimals", "invalid_amount", "too_large"],
    field_name="amount",
    actions=["create"],
)
@extend_validation_errors(["future_date", "required"], field_name="date", actions=["create"])
@extend_validation_errors(["required", "too_long"], field_name="document_number", actions=["create"])
@extend_validation_errors(["invalid_source"], field_name="source", actions=["create"])
@extend_validation_errors(["invalid_stage"], field_name="stage", actions=["create"])
@extend_validation_errors(["already_voided", "void_breaks_ceiling"], field_name="non_field_errors", actions=["void"])
@extend_validation_errors(["required", "too_long"], field_name="reason", actions=["void"])
class FundingEntryViewSet(ScopedObjectMixin, ValuesListMixin, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """The funding ledger of the projects in your scope: allocations (下达), disbursements (拨付) and spending, each
    with its date and document number. Filter by project or place, ``source``, ``stage`` and ``since``/``until``
    (dates, inclusive). ``POST`` records an entry (honours ``Idempotency-Key``): a disbursement beyond what was
    allocated from the same source for the project, or spending beyond what was disbursed, is refused with 400
    (``exceeds_allocation`` / ``exceeds_disbursement``) and nothing is saved. Entries are never edited: a
    correction is a new entry."""

    filterset_class = FundingEntryFilterSet
    pagination_class = KeysetPagination
    ordering_fields = ["updated_at"]
    queryset = FundingEntry.objects.none()

    def get_queryset(self):
        return selectors.funding_entry_list(self.request.user)

    change_permission = staticmethod(lambda user, entry: perms.can_record_funding(user, entry.project, entry.stage))

    def get_serializer_class(self):
        return s.FundingEntryCreateSerializer if self.action == "create" else s.FundingEntrySerializer

    @extend_schema(request=s.FundingEntryCreateSerializer, responses={201: s.FundingEntrySerializer})
    def create(self, request, *args, **kwargs):
        body = s.FundingEntryCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = dict(body.validated_data)
        project = get_object_for(request.user, selectors.project_list(request.user), data.pop("project"))
        entry = services.funding_entry_record(actor=request.user, project=project, **data)
        return Response(
            s.FundingEntrySerializer(self.get_queryset().get(pk=entry.pk)).data, status=status.HTTP_201_CREATED
        )

    @extend_schema(request=s.FundingVoidSerializer, responses={200: s.FundingEntrySerializer})
    @action(detail=True, methods=["post"], filterset_class=None)
    def void(self, request, pk=None):
        """Void a mistaken entry (it stays listed with who voided it, when and why, and no longer counts). Refused
        with ``void_breaks_ceiling`` when the rest of the ledger would then break a ceiling."""
        entry = self.get_object()
        body = s.FundingVoidSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        services.funding_entry_void(actor=request.user, entry=entry, reason=body.validated_data["reason"])
        return Response(s.FundingEntrySerializer(self.get_queryset().get(pk=entry.pk)).data)

    @extend_schema(
        parameters=[OpenApiParameter("export", OpenApiTypes.STR, enum=list(FORMATS), default="csv")],
        responses={
            (200, "text/csv"): OpenApiResponse(OpenApiTypes.BINARY),
            (200, XLSX_TYPE): OpenApiResponse(OpenApiTypes.BINARY),
        },
    )
    @action(detail=False, methods=["get"], pagination_class=None)
    def export(self, request):
        """The (filtered) ledger as CSV (default) or XLSX, with Chinese labels; text that a spreadsheet would run as a
        formula is escaped."""
        entries = self.filter_queryset(self.get_queryset()).order_by("-date", "-id")
        fmt = request.query_params.get("export")
        return export_response(entries, FUNDING_COLUMNS, "funding", fmt if fmt in FORMATS else "csv")
