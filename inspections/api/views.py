from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from drf_standardized_errors.openapi_validation_errors import extend_validation_errors
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response

from communities.models import District, User
from communities.scoping import ScopedObjectMixin, get_object_for
from inspections import selectors, services
from inspections.api import serializers as s
from inspections.filtersets import ChecklistFilterSet, InspectionFilterSet, IssueFilterSet
from inspections.models import (
    ChecklistItem,
    ChecklistTemplate,
    Inspection,
    InspectionGroup,
    IssuePhoto,
    RectificationIssue,
)
from projects.models import Project
from renovation_portal.api import ConcurrencyControlMixin, KeysetPagination
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


def _items(data) -> list:
    return [services.ItemInput(**item) for item in data]


class ChecklistViewSet(
    ScopedObjectMixin, ConcurrencyControlMixin, mixins.UpdateModelMixin, viewsets.ReadOnlyModelViewSet
):
    """Checklist templates (every version) with their items. District officials build a checklist as a draft
    (POST), replace a draft's items (PATCH with If-Match), publish it, and start the next version of a published
    one; inspections keep the version they used. Inspectors read the published ones."""

    serializer_class = s.ChecklistTemplateSerializer
    queryset = ChecklistTemplate.objects.none()
    filterset_class = ChecklistFilterSet

    def get_queryset(self):
        return self.locked_queryset(selectors.checklists(self.request.user))

    def get_serializer_class(self):
        if self.action in ("update", "partial_update"):
            return s.ChecklistItemsSerializer
        return s.ChecklistTemplateSerializer

    change_permission = staticmethod(lambda user, obj: services.is_district_official_of(user, obj.district_id))

    def get_serializer(self, *args, **kwargs):
        if self.action in ("update", "partial_update") and "data" in kwargs:
            kwargs.pop("partial", None)  # the items are replaced as a whole
            return s.ChecklistItemsSerializer(*args[1:], data=kwargs["data"])
        return super().get_serializer(*args, **kwargs)

    def perform_update(self, serializer):
        serializer.instance = services.checklist_update_draft(
            actor=self.request.user, template=self.get_object(), items=_items(serializer.validated_data["items"])
        )

    @extend_schema(request=s.ChecklistCreateSerializer, responses={201: s.ChecklistTemplateSerializer})
    def create(self, request):
        body = s.ChecklistCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        district = get_object_for(request.user, District.objects.all(), body.validated_data["district"])
        template = services.checklist_create(
            actor=request.user,
            district=district,
            name=body.validated_data["name"],
            kind=body.validated_data["kind"],
            tier=body.validated_data["tier"],
            items=_items(body.validated_data["items"]),
        )
        return Response(self._data(template), status=status.HTTP_201_CREATED)

    @extend_schema(request=s.SeedStandardsSerializer, responses={200: s.ChecklistTemplateSerializer(many=True)})
    @action(detail=False, methods=["post"], url_path="seed-aftercare")
    def seed_aftercare(self, request):
        """Give a district the default aftercare standards (environment, safety, order), published; a district that
        has them already gets nothing new."""
        body = s.SeedStandardsSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        district = get_object_for(request.user, District.objects.all(), body.validated_data["district"])
        templates = services.checklist_seed_aftercare_standards(actor=request.user, district=district)
        return Response([self._data(template) for template in templates])

    def _data(self, template):
        return s.ChecklistTemplateSerializer(selectors.checklists(self.request.user).get(pk=template.pk)).data

    @extend_schema(request=None, responses={200: s.ChecklistTemplateSerializer})
    @action(detail=True, methods=["post"])
    def publish(self, request, pk=None):
        """Publish a draft: new inspections of its tier use it."""
        return Response(self._data(services.checklist_publish(actor=request.user, template=self.get_object())))

    @extend_schema(request=None, responses={201: s.ChecklistTemplateSerializer})
    @action(detail=True, methods=["post"], url_path="new-version")
    def new_version(self, request, pk=None):
        """Start the next version of a published checklist as a draft with its items."""
        draft = services.checklist_start_version(actor=request.user, template=self.get_object())
        return Response(self._data(draft), status=status.HTTP_201_CREATED)


@extend_validation_errors(["required"], field_name="user", methods=["delete"])
class InspectionGroupViewSet(
    ScopedObjectMixin, ConcurrencyControlMixin, mixins.UpdateModelMixin, viewsets.ReadOnlyModelViewSet
):
    """Inspection groups of a district with their members (users with an inspector role in the district).
    District officials create them, rename them, change the tier, deactivate them (PATCH ``active``) and add or
    remove members; the district's inspectors and other place roles read them."""

    serializer_class = s.InspectionGroupSerializer
    queryset = InspectionGroup.objects.none()
    filterset_fields = ["tier", "active", "district"]

    def get_queryset(self):
        return self.locked_queryset(selectors.inspection_groups(self.request.user))

    change_permission = staticmethod(lambda user, obj: services.is_district_official_of(user, obj.district_id))

    def perform_update(self, serializer):
        serializer.instance = services.inspection_group_update(
            actor=self.request.user, group=serializer.instance, **serializer.validated_data
        )

    def _data(self, group):
        return s.InspectionGroupSerializer(selectors.inspection_groups(self.request.user).get(pk=group.pk)).data

    @extend_schema(request=s.InspectionGroupCreateSerializer, responses={201: s.InspectionGroupSerializer})
    def create(self, request):
        body = s.InspectionGroupCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        district = get_object_for(request.user, District.objects.all(), body.validated_data["district"])
        group = services.inspection_group_create(
            actor=request.user, district=district, name=body.validated_data["name"], tier=body.validated_data["tier"]
        )
        return Response(self._data(group), status=status.HTTP_201_CREATED)

    @extend_schema(request=s.MemberSerializer, responses={200: s.InspectionGroupSerializer})
    @action(detail=True, methods=["post"])
    def members(self, request, pk=None):
        """Add a member (a user with an inspector role in the group's district)."""
        group = self.get_object()
        body = s.MemberSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        user = User.objects.filter(pk=body.validated_data["user"], is_active=True).first()
        return Response(self._data(services.inspection_group_add_member(actor=request.user, group=group, user=user)))

    @extend_schema(
        request=None,
        parameters=[OpenApiParameter("user", OpenApiTypes.INT, required=True)],
        responses={200: s.InspectionGroupSerializer},
    )
    @members.mapping.delete
    def remove_member(self, request, pk=None):
        """Remove a member: ``DELETE /inspection-groups/{id}/members/?user={user id}``."""
        group = self.get_object()
        user_id = request.query_params.get("user", "")
        if not user_id.isdecimal():
            raise ValidationError({"user": ["Give the id of the member to remove."]}, code="required")
        member = group.members.filter(pk=int(user_id)).first()
        if member is not None:
            group = services.inspection_group_remove_member(actor=request.user, group=group, user=member)
        return Response(self._data(group))


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

    @extend_schema(responses={200: s.RankingSerializer(many=True)})
    @action(detail=False, methods=["get"], filterset_class=None, pagination_class=None)
    def ranking(self, request):
        """Projects in scope ranked by the score of their latest tier-3 (leadership) evaluation."""
        return Response(s.RankingSerializer(selectors.tier3_ranking(request.user), many=True).data)

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
