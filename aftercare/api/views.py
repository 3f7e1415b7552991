"""The aftercare API (/api/v1/aftercare/...): records, warranties, handover documents, service forms, the income
ledger and its published quarters, spaces and activities. Thin: the selectors read (scoped: the compound's
community and the officials above; contractors and outsiders see nothing), the services write.

A POST names its record (or space); one outside the user's scope is 404, one the user may read but not keep is 403.
"""

from django.http import Http404
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response

from aftercare import permissions as perms
from aftercare import selectors, services
from aftercare.api import serializers as s
from aftercare.filtersets import (
    ActivityFilterSet,
    DocumentFilterSet,
    LedgerEntryFilterSet,
    LedgerQuarterFilterSet,
    RecordFilterSet,
    ServiceFormFilterSet,
    SpaceFilterSet,
    WarrantyFilterSet,
)
from aftercare.models import (
    Activity,
    ActivityPhoto,
    AftercareRecord,
    HandoverDocument,
    LedgerEntry,
    LedgerQuarter,
    Patrol,
    ServiceForm,
    ServiceItem,
    Space,
    WarrantyPeriod,
)
from communities.scoping import ScopedObjectMixin, get_object_for
from inspections.models import ChecklistItem
from renovation_portal.api import ConcurrencyControlMixin, KeysetPagination
from renovation_portal.errors import DomainError
from renovation_portal.parsers import JSONParser
from renovation_portal.uploads import serve_private_document, serve_private_image


def _kept_record(request, record) -> AftercareRecord:
    """The record a POST names: 404 outside the user's scope, 403 when they may read but not keep it."""
    return get_object_for(
        request.user, selectors.record_detail_queryset(request.user), record.pk, "change", perms.can_keep_record
    )


class AftercareRecordViewSet(
    ScopedObjectMixin, ConcurrencyControlMixin, mixins.UpdateModelMixin, viewsets.ReadOnlyModelViewSet
):
    """A compound's aftercare, opened when a project's completion is accepted. PATCH (If-Match) changes who is
    responsible, the contact and the standards (the community secretary)."""

    filterset_class = RecordFilterSet
    pagination_class = KeysetPagination
    queryset = AftercareRecord.objects.none()
    change_permission = staticmethod(perms.can_keep_record)
    http_method_names = ["get", "patch", "head", "options"]

    def get_queryset(self):
        return self.locked_queryset(selectors.record_detail_queryset(self.request.user))

    def get_serializer_class(self):
        return s.AftercareRecordWriteSerializer if self.action == "partial_update" else s.AftercareRecordSerializer

    @extend_schema(request=s.AftercareRecordWriteSerializer, responses={200: s.AftercareRecordSerializer})
    def partial_update(self, request, *args, **kwargs):
        kwargs["partial"] = True
        return super().update(request, *args, **kwargs)

    def representation(self, instance) -> dict:
        return s.AftercareRecordSerializer(instance).data

    def perform_update(self, serializer):
        serializer.instance = services.record_update(
            actor=self.request.user, record=serializer.instance, **serializer.validated_data
        )


class WarrantyViewSet(
    ScopedObjectMixin, ConcurrencyControlMixin, mixins.UpdateModelMixin, viewsets.ReadOnlyModelViewSet
):
    """Warranty periods by category of each handed-over project. PATCH (If-Match): the district sets the end."""

    filterset_class = WarrantyFilterSet
    queryset = WarrantyPeriod.objects.none()
    change_permission = staticmethod(perms.can_set_warranty)
    http_method_names = ["get", "patch", "head", "options"]

    def get_queryset(self):
        return self.locked_queryset(
            WarrantyPeriod.objects.visible_to(self.request.user)
            .select_related("record__compound__community__subdistrict")
            .order_by("record_id", "project_id", "id")
        )

    def get_serializer_class(self):
        return s.WarrantyWriteSerializer if self.action == "partial_update" else s.WarrantySerializer

    @extend_schema(request=s.WarrantyWriteSerializer, responses={200: s.WarrantySerializer})
    def partial_update(self, request, *args, **kwargs):
        kwargs["partial"] = True
        return super().update(request, *args, **kwargs)

    def representation(self, instance) -> dict:
        return s.WarrantySerializer(instance).data

    def perform_update(self, serializer):
        data = serializer.validated_data
        serializer.instance = services.warranty_set(
            actor=self.request.user, warranty=serializer.instance, ends_on=data["ends_on"], basis=data.get("basis", "")
        )


class HandoverDocumentViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Handover documents (private). POST (multipart: ``record``, ``file``, ``title``) adds one."""

    filterset_class = DocumentFilterSet
    queryset = HandoverDocument.objects.none()
    serializer_class = s.HandoverDocumentSerializer
    parser_classes = [MultiPartParser, FormParser]

    def get_queryset(self):
        return HandoverDocument.objects.visible_to(self.request.user).order_by("record_id", "-uploaded_at", "-id")

    def get_object(self):
        return get_object_for(self.request.user, self.get_queryset(), self.kwargs["pk"])

    @extend_schema(request=s.HandoverDocumentUploadSerializer, responses={201: s.HandoverDocumentSerializer})
    def create(self, request, *args, **kwargs):
        body = s.HandoverDocumentUploadSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        document = services.document_add(
            actor=request.user, record=_kept_record(request, data["record"]), upload=data["file"], title=data["title"]
        )
        return Response(s.HandoverDocumentSerializer(document).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses={(200, "application/octet-stream"): bytes})
    @action(detail=True, methods=["get"])
    def file(self, request, pk=None):
        """The document itself: a PDF as a download, a photo as an image."""
        document = self.get_object()
        if document.kind == "pdf":
            return serve_private_document(document.file, f"handover-{document.record_id}-{document.pk}.pdf")
        return serve_private_image(document.file)


class ServiceFormViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Service form versions, newest first. POST publishes a new version (the earlier ones stay)."""

    filterset_class = ServiceFormFilterSet
    queryset = ServiceForm.objects.none()
    serializer_class = s.ServiceFormSerializer
    parser_classes = [JSONParser]

    def get_queryset(self):
        from django.db.models import Prefetch

        return (
            ServiceForm.objects.visible_to(self.request.user)
            .prefetch_related(Prefetch("items", queryset=ServiceItem.objects.order_by("position")))
            .order_by("record_id", "-version")
        )

    def get_object(self):
        return get_object_for(self.request.user, self.get_queryset(), self.kwargs["pk"])

    @extend_schema(request=s.ServiceFormWriteSerializer, responses={201: s.ServiceFormSerializer})
    def create(self, request, *args, **kwargs):
        body = s.ServiceFormWriteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        form = services.service_form_publish(
            actor=request.user,
            record=_kept_record(request, data["record"]),
            items=[dict(item) for item in data["items"]],
            note=data["note"],
            published_on=data.get("published_on"),
        )
        return Response(
            s.ServiceFormSerializer(self.get_queryset().get(pk=form.pk)).data, status=status.HTTP_201_CREATED
        )


class LedgerEntryViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """The compound's own income ledger. POST adds an entry (or, with ``corrects``, a correction); entries are never
    changed, and nothing can be dated in a published quarter."""

    filterset_class = LedgerEntryFilterSet
    pagination_class = KeysetPagination
    queryset = LedgerEntry.objects.none()
    serializer_class = s.LedgerEntrySerializer
    parser_classes = [JSONParser]

    def get_queryset(self):
        return LedgerEntry.objects.visible_to(self.request.user)

    def get_object(self):
        return get_object_for(self.request.user, self.get_queryset(), self.kwargs["pk"])

    @extend_schema(request=s.LedgerEntryWriteSerializer, responses={201: s.LedgerEntrySerializer})
    def create(self, request, *args, **kwargs):
        body = s.LedgerEntryWriteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = dict(body.validated_data)
        record = _kept_record(request, data.pop("record"))
        entry = services.ledger_entry_record(actor=request.user, record=record, kind=data.pop("kind", None), **data)
        return Response(s.LedgerEntrySerializer(entry).data, status=status.HTTP_201_CREATED)


class LedgerQuarterViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Quarters published to residents, with their frozen totals by kind. POST publishes a finished quarter."""

    filterset_class = LedgerQuarterFilterSet
    queryset = LedgerQuarter.objects.none()
    serializer_class = s.LedgerQuarterSerializer
    parser_classes = [JSONParser]

    def get_queryset(self):
        return LedgerQuarter.objects.visible_to(self.request.user).order_by("record_id", "-starts_on")

    def get_object(self):
        return get_object_for(self.request.user, self.get_queryset(), self.kwargs["pk"])

    @extend_schema(request=s.LedgerQuarterPublishSerializer, responses={201: s.LedgerQuarterSerializer})
    def create(self, request, *args, **kwargs):
        body = s.LedgerQuarterPublishSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        published = services.ledger_quarter_publish(
            actor=request.user, record=_kept_record(request, data["record"]), year=data["year"], quarter=data["quarter"]
        )
        return Response(s.LedgerQuarterSerializer(published).data, status=status.HTTP_201_CREATED)


class SpaceViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """The spaces the renovation created. POST adds one."""

    filterset_class = SpaceFilterSet
    queryset = Space.objects.none()
    serializer_class = s.SpaceSerializer
    parser_classes = [JSONParser]

    def get_queryset(self):
        return Space.objects.visible_to(self.request.user).order_by("record_id", "name")

    def get_object(self):
        return get_object_for(self.request.user, self.get_queryset(), self.kwargs["pk"])

    @extend_schema(request=s.SpaceWriteSerializer, responses={201: s.SpaceSerializer})
    def create(self, request, *args, **kwargs):
        body = s.SpaceWriteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = dict(body.validated_data)
        space = services.space_create(actor=request.user, record=_kept_record(request, data.pop("record")), **data)
        return Response(s.SpaceSerializer(space).data, status=status.HTTP_201_CREATED)


class ActivityViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Activities in the new spaces. POST adds one; ``signups`` adds residents who signed up, ``attendance``
    records who came (once held), ``photos`` adds photos (multipart)."""

    filterset_class = ActivityFilterSet
    pagination_class = KeysetPagination
    queryset = Activity.objects.none()
    serializer_class = s.ActivitySerializer
    parser_classes = [JSONParser]

    def get_queryset(self):
        return Activity.objects.visible_to(self.request.user).select_related("space").prefetch_related("photos")

    def get_object(self):
        return get_object_for(self.request.user, self.get_queryset(), self.kwargs["pk"])

    def _kept(self, pk) -> Activity:
        return get_object_for(
            self.request.user,
            selectors.activity_detail_queryset(self.request.user),
            pk,
            "change",
            perms.can_keep_activity,
        )

    def _detail(self, pk):
        return Response(s.ActivitySerializer(self.get_queryset().get(pk=pk)).data)

    @extend_schema(request=s.ActivityWriteSerializer, responses={201: s.ActivitySerializer})
    def create(self, request, *args, **kwargs):
        body = s.ActivityWriteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = dict(body.validated_data)
        space = get_object_for(
            request.user,
            Space.objects.select_related("record__compound"),
            data.pop("space").pk,
            "change",
            lambda user, space: perms.can_keep(user, space.record.compound),
        )
        activity = services.activity_create(actor=request.user, space=space, **data)
        response = self._detail(activity.pk)
        response.status_code = status.HTTP_201_CREATED
        return response

    @extend_schema(request=s.SignupSerializer, responses={200: s.ActivitySerializer})
    @action(detail=True, methods=["post"])
    def signups(self, request, pk=None):
        activity = self._kept(pk)
        body = s.SignupSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        services.activity_add_signups(actor=request.user, activity=activity, count=body.validated_data["count"])
        return self._detail(pk)

    @extend_schema(request=s.AttendanceSerializer, responses={200: s.ActivitySerializer})
    @action(detail=True, methods=["post"])
    def attendance(self, request, pk=None):
        activity = self._kept(pk)
        body = s.AttendanceSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        services.activity_record_attendance(
            actor=request.user, activity=activity, attendance=body.validated_data["attendance"]
        )
        return self._detail(pk)

    @extend_schema(request=s.ActivityPhotoUploadSerializer, responses={200: s.ActivitySerializer})
    @action(detail=True, methods=["post"], parser_classes=[MultiPartParser, FormParser])
    def photos(self, request, pk=None):
        activity = self._kept(pk)
        body = s.ActivityPhotoUploadSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        services.activity_add_photos(actor=request.user, activity=activity, uploads=body.validated_data["photos"])
        return self._detail(pk)


class ActivityPhotoViewSet(mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    queryset = ActivityPhoto.objects.none()
    serializer_class = s.ActivityPhotoSerializer

    def get_queryset(self):
        return ActivityPhoto.objects.visible_to(self.request.user)

    def get_object(self):
        return get_object_for(self.request.user, self.get_queryset(), self.kwargs["pk"])

    @extend_schema(responses={(200, "image/jpeg"): bytes})
    @action(detail=True, methods=["get"])
    def file(self, request, pk=None):
        return serve_private_image(self.get_object().image)


class PatrolViewSet(viewsets.ReadOnlyModelViewSet):
    """Patrols of the standards (环境、安全、秩序) after handover: read by those who see the compound's aftercare, its
    community's staff and its property service company. POST files one (the community's staff or the property
    service company's people): every item answered, every failed item with a finding for the property service or
    the community — or, ``responsible`` "contractor", a warranty defect for the contractor, refused (400,
    ``warranty_expired`` / ``no_warranty``) once that category's warranty ended. Each finding becomes a
    rectification issue (/api/v1/issues/)."""

    pagination_class = KeysetPagination
    ordering_fields = ["updated_at"]
    queryset = Patrol.objects.none()
    serializer_class = s.PatrolSerializer
    parser_classes = [JSONParser]
    filterset_fields = ["record", "template", "patrolled_on"]
    filterset_class = None

    def get_queryset(self):
        return (
            Patrol.objects.visible_to(self.request.user)
            .select_related("record__compound", "template")
            .prefetch_related("results", "findings__issue")
        )

    def get_object(self):
        return get_object_for(self.request.user, self.get_queryset(), self.kwargs["pk"])

    def _record(self, pk):
        record = selectors.patrol_records(self.request.user).filter(pk=pk).first()
        if record is None:
            raise Http404
        return record

    @extend_schema(request=s.PatrolFileSerializer, responses={201: s.PatrolSerializer})
    def create(self, request, *args, **kwargs):
        body = s.PatrolFileSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        record = self._record(data["record"])
        template = services.patrol_standards(record).filter(pk=data["standard"]).first()
        if template is None:
            raise DomainError(
                _("Choose one of the aftercare standards of this district (the latest published version)."),
                code="not_a_standard",
                field="standard",
            )
        items = {item.pk: item for item in template.items.all()}

        def item(pk):
            # An id not on this standard goes to the service as it is, which refuses it as a foreign item.
            return items.get(pk, ChecklistItem(pk=pk))

        patrol = services.patrol_file(
            actor=request.user,
            record=record,
            template=template,
            results=[
                services.ResultInput(item=item(r["item"]), outcome=r["outcome"], note=r["note"])
                for r in data["results"]
            ],
            findings=[
                services.PatrolFindingInput(
                    item=item(f["item"]),
                    description=f["description"],
                    location=f["location"],
                    severity=f["severity"],
                    deadline=f["deadline"],
                    responsible=f["responsible"],
                    warranty_category=f["warranty_category"],
                )
                for f in data["findings"]
            ],
            summary=data["summary"],
        )
        return Response(s.PatrolSerializer(self.get_queryset().get(pk=patrol.pk)).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        parameters=[OpenApiParameter("record", int, required=True)], responses={200: s.StandardSerializer(many=True)}
    )
    @action(detail=False, methods=["get"], filterset_class=None, pagination_class=None)
    def standards(self, request):
        """The aftercare standards a patrol of the record's compound uses, with their items."""
        try:
            record = self._record(int(request.query_params.get("record", "")))
        except ValueError:
            raise Http404 from None
        templates = services.patrol_standards(record).prefetch_related("items")
        return Response(s.StandardSerializer(templates, many=True).data)
