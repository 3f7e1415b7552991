from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from drf_standardized_errors.openapi_validation_errors import extend_validation_errors
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response

from communities.scoping import get_object_for
from inspections import selectors, services
from inspections.api import serializers as s
from inspections.filtersets import InspectionFilterSet, IssueFilterSet
from inspections.models import ChecklistItem, ChecklistTemplate, Inspection, IssuePhoto, RectificationIssue
from projects.models import Project
from renovation_portal.api import KeysetPagination
from renovation_portal.uploads import serve_private_image
from renovation_portal.values_lists import ValuesListMixin

FILE_CODES = [
    "already_filed",
    "foreign_item",
    "incomplete_checklist",
    "bad_score",
    "finding_missing",
    "incomplete_finding",
    "no_checklist",
]
ISSUE_CODES = [
    "not_open",
    "not_submitted",
    "required",
    "evidence_required",
    "photo_invalid",
    "photo_type",
    "photo_too_large",
    "photo_too_many_pixels",
    "too_many_photos",
]


class ChecklistViewSet(viewsets.ReadOnlyModelViewSet):
    """Checklist templates (every version) with their items."""

    serializer_class = s.ChecklistTemplateSerializer
    queryset = ChecklistTemplate.objects.prefetch_related("items").order_by("tier", "name", "-version")
    filterset_fields = ["tier"]


@extend_validation_errors(FILE_CODES, field_name="non_field_errors", actions=["file", "start"])
class InspectionViewSet(ValuesListMixin, viewsets.ReadOnlyModelViewSet):
    """Inspections in scope (unannounced ones stay hidden from the inspected side until filed)."""

    serializer_class = s.InspectionSerializer
    filterset_class = InspectionFilterSet
    pagination_class = KeysetPagination
    ordering_fields = ["updated_at"]
    queryset = Inspection.objects.none()

    def get_queryset(self):
        return selectors.inspections(self.request.user)

    @extend_schema(request=s.StartSerializer, responses={201: s.InspectionSerializer})
    @action(detail=False, methods=["post"], filterset_class=None, pagination_class=None)
    def start(self, request):
        body = s.StartSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        project = get_object_for(request.user, Project.objects.all(), body.validated_data["project"])
        inspection = services.inspection_start(actor=request.user, project=project, tier=body.validated_data["tier"])
        return Response(s.InspectionSerializer(inspection).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=s.FileSerializer, responses={200: s.InspectionSerializer})
    @action(detail=True, methods=["post"])
    def file(self, request, pk=None):
        """File the checklist results and findings (photos: POST /issues/{id}/photos/ afterwards)."""
        inspection = get_object_for(request.user, self.get_queryset(), pk)
        body = s.FileSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        items = {i.pk: i for i in ChecklistItem.objects.filter(template_id=inspection.template_id)}

        def item(pk):
            # An id not on this checklist goes to the service as it is, which refuses it as a foreign item.
            return items.get(pk, ChecklistItem(pk=pk)) if pk else None

        results = [
            services.ResultInput(
                item=items.get(r["item"], ChecklistItem(pk=r["item"])),
                outcome=r["outcome"],
                score=r.get("score"),
                note=r["note"],
            )
            for r in body.validated_data["results"]
        ]
        findings = [
            services.FindingInput(
                item=item(f.get("item")),
                description=f["description"],
                location=f["location"],
                severity=f["severity"],
                deadline=f.get("deadline"),
            )
            for f in body.validated_data["findings"]
        ]
        inspection = services.inspection_file(
            actor=request.user,
            inspection=inspection,
            results=results,
            findings=findings,
            summary=body.validated_data["summary"],
        )
        return Response(s.InspectionSerializer(inspection).data)


@extend_validation_errors(ISSUE_CODES, field_name="non_field_errors", actions=["submit", "verify", "send_back"])
class IssueViewSet(ValuesListMixin, viewsets.ReadOnlyModelViewSet):
    """Rectification issues: the contractor submits evidence; an inspector verifies (销号) or sends back."""

    serializer_class = s.IssueSerializer
    filterset_class = IssueFilterSet
    pagination_class = KeysetPagination
    ordering_fields = ["updated_at"]
    queryset = RectificationIssue.objects.none()

    def get_queryset(self):
        return selectors.issues(self.request.user).prefetch_related("photos")

    def _respond(self, issue):
        return Response(s.IssueSerializer(self.get_queryset().get(pk=issue.pk)).data)

    @extend_schema(request=s.SubmitSerializer, responses={200: s.IssueSerializer})
    @action(detail=True, methods=["post"], parser_classes=[MultiPartParser, FormParser])
    def submit(self, request, pk=None):
        issue = get_object_for(request.user, self.get_queryset(), pk)
        body = s.SubmitSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        return self._respond(
            services.issue_submit_rectification(actor=request.user, issue=issue, **body.validated_data)
        )

    @extend_schema(request=s.NoteSerializer, responses={200: s.IssueSerializer})
    @action(detail=True, methods=["post"])
    def verify(self, request, pk=None):
        issue = get_object_for(request.user, self.get_queryset(), pk)
        body = s.NoteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        return self._respond(services.issue_verify(actor=request.user, issue=issue, **body.validated_data))

    @extend_schema(request=s.NoteSerializer, responses={200: s.IssueSerializer})
    @action(detail=True, methods=["post"], url_path="send-back")
    def send_back(self, request, pk=None):
        issue = get_object_for(request.user, self.get_queryset(), pk)
        body = s.NoteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        return self._respond(services.issue_send_back(actor=request.user, issue=issue, **body.validated_data))

    @extend_schema(responses={(200, "image/jpeg"): OpenApiResponse(OpenApiTypes.BINARY)})
    @action(
        detail=False,
        methods=["get"],
        url_path=r"photos/(?P<photo_pk>[0-9]+)",
        filterset_class=None,
        pagination_class=None,
    )
    def photo(self, request, photo_pk=None):
        photo = get_object_for(request.user, IssuePhoto.objects.all(), photo_pk)
        return serve_private_image(photo.thumbnail or photo.image)
