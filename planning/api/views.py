"""The planning API: declarations and their review, the library, annual plans, batches, items, targets and the
project created from a plan item. Thin: the selectors read, the services write."""

from django.db import transaction
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from drf_standardized_errors.openapi_validation_errors import extend_validation_errors
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response

from communities.scoping import ScopedObjectMixin, get_object_for, get_scope
from planning import permissions as perms
from planning import selectors, services
from planning.api import serializers as s
from planning.filtersets import DeclarationFilterSet, PlanItemFilterSet
from planning.models import AnnualPlan, Declaration, DeclarationAttachment, PlanItem
from projects.api.serializers import ProjectDetailSerializer
from projects.models import ProgrammeTarget
from projects.selectors import project_detail_queryset
from projects.services import target_set, target_split
from renovation_portal.api import ConcurrencyControlMixin, KeysetPagination
from renovation_portal.parsers import JSONParser
from renovation_portal.uploads import serve_private_document, serve_private_image

WRITE_CODES = ["topic_required", "vote_required", "not_a_willingness_vote", "vote_not_passed"]


def _items(data):
    return [dict(item) for item in data["items"]] if "items" in data else None


def _funding(data):
    return {row["source"]: row["amount"] for row in data["funding"]} if "funding" in data else None


@extend_validation_errors(WRITE_CODES, field_name="vote", actions=["create", "partial_update", "update"])
@extend_validation_errors(["declaration_in_progress"], field_name="compound", actions=["create"])
@extend_validation_errors(["required"], field_name="needs_summary", actions=["create", "partial_update", "update"])
@extend_validation_errors(
    ["invalid_item", "invalid_amount", "negative_amount"],
    field_name="items",
    actions=["create", "partial_update", "update"],
)
@extend_validation_errors(
    ["invalid_amount", "negative_amount"], field_name="funding", actions=["create", "partial_update", "update"]
)
@extend_validation_errors(
    ["invalid_source", "not_editable", "unknown_field"], field_name="non_field_errors",
    actions=["create", "partial_update", "update"],
)  # fmt: skip
@extend_validation_errors(["not_editable"], field_name="non_field_errors", actions=["submit", "attachments"])
@extend_validation_errors(["no_items"], field_name="items", actions=["submit"])
@extend_validation_errors(["funding_mismatch"], field_name="funding", actions=["submit"])
@extend_validation_errors(["required"], field_name="households_affected", actions=["submit"])
@extend_validation_errors(WRITE_CODES, field_name="vote", actions=["submit"])
@extend_validation_errors(["not_submitted"], field_name="non_field_errors", actions=["return_", "approve", "reject"])
@extend_validation_errors(["reason_required"], field_name="reason", actions=["return_", "reject"])
@extend_validation_errors(
    ["too_many_attachments", "photo_too_large", "photo_too_many_pixels", "photo_invalid", "photo_type",
     "document_too_large", "document_type", "invalid_file"],
    field_name="file",
    actions=["attachments"],
)  # fmt: skip
class DeclarationViewSet(
    ScopedObjectMixin,
    ConcurrencyControlMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.ReadOnlyModelViewSet,
):
    """Declarations (申报) in the user's scope. POST declares a compound (a draft); PATCH amends a draft or a
    returned declaration (If-Match); ``submit`` sends it for review; district officials ``return`` (with reasons),
    ``approve`` (into the library) or ``reject``. ``?status=approved`` is the project library."""

    filterset_class = DeclarationFilterSet
    pagination_class = KeysetPagination
    ordering_fields = ["updated_at"]
    queryset = Declaration.objects.none()
    parser_classes = [JSONParser, MultiPartParser, FormParser]
    change_permission = staticmethod(perms.can_edit_declaration)

    def get_queryset(self):
        if self.action == "list":
            return selectors.declaration_list(self.request.user)
        return self.locked_queryset(selectors.declaration_detail_queryset(self.request.user))

    def get_serializer_class(self):
        if self.action in ("create", "update", "partial_update"):
            return s.DeclarationWriteSerializer
        if self.action == "list":
            return s.DeclarationSerializer
        return s.DeclarationDetailSerializer

    def _detail(self, pk):
        return Response(
            s.DeclarationDetailSerializer(selectors.declaration_detail_queryset(self.request.user).get(pk=pk)).data
        )

    @extend_schema(request=s.DeclarationWriteSerializer, responses={201: s.DeclarationDetailSerializer})
    def create(self, request, *args, **kwargs):
        body = s.DeclarationWriteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        compound = get_object_for(request.user, type(data["compound"]).objects.all(), data["compound"].pk)
        vote = data["vote"]
        declaration = services.declaration_create(
            actor=request.user,
            compound=compound,
            topic=vote.topic,
            vote=vote,
            needs_summary=data["needs_summary"],
            items=_items(data),
            funding=_funding(data),
            **{k: data[k] for k in ("buildings_affected", "households_affected", "residents_affected") if k in data},
        )
        response = self._detail(declaration.pk)
        response.status_code = status.HTTP_201_CREATED
        return response

    @extend_schema(request=s.DeclarationWriteSerializer, responses={200: s.DeclarationDetailSerializer})
    def partial_update(self, request, *args, **kwargs):
        return super().partial_update(request, *args, **kwargs)

    @extend_schema(request=s.DeclarationWriteSerializer, responses={200: s.DeclarationDetailSerializer})
    def update(self, request, *args, **kwargs):
        kwargs.setdefault("partial", True)  # a declaration is amended in parts
        return super().update(request, *args, **kwargs)

    def perform_update(self, serializer):
        data = dict(serializer.validated_data)
        changes = {k: data[k] for k in services.DECLARATION_EDITABLE_FIELDS if k in data}
        if "vote" in changes:
            changes["topic"] = changes["vote"].topic
        services.declaration_update(
            actor=self.request.user,
            declaration=serializer.instance,
            items=_items(data),
            funding=_funding(data),
            **changes,
        )
        serializer.instance = selectors.declaration_detail_queryset(self.request.user).get(pk=serializer.instance.pk)

    def _acting_on(self, pk, can):
        return get_object_for(self.request.user, selectors.declaration_list(self.request.user), pk, "change", can)

    @extend_schema(request=None, responses={200: s.DeclarationDetailSerializer})
    @action(detail=True, methods=["post"])
    def submit(self, request, pk=None):
        """Submit (or resubmit after a return) for the district's review."""
        declaration = self._acting_on(pk, lambda user, d: perms.can_declare(user, d.compound))
        services.declaration_submit(actor=request.user, declaration=declaration)
        return self._detail(pk)

    @extend_schema(request=s.ReasonSerializer, responses={200: s.DeclarationDetailSerializer})
    @action(detail=True, methods=["post"], url_path="return")
    def return_(self, request, pk=None):
        """Return to the declarer with reasons (district officials)."""
        declaration = self._acting_on(pk, perms.can_review)
        body = s.ReasonSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        services.declaration_return(actor=request.user, declaration=declaration, reason=body.validated_data["reason"])
        return self._detail(pk)

    @extend_schema(request=s.ReasonSerializer, responses={200: s.DeclarationDetailSerializer})
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        """Approve into the project library (district officials); ``reason`` is an optional note."""
        declaration = self._acting_on(pk, perms.can_review)
        body = s.ReasonSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        services.declaration_approve(actor=request.user, declaration=declaration, note=body.validated_data["reason"])
        return self._detail(pk)

    @extend_schema(request=s.ReasonSerializer, responses={200: s.DeclarationDetailSerializer})
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        """Reject, with reasons (district officials)."""
        declaration = self._acting_on(pk, perms.can_review)
        body = s.ReasonSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        services.declaration_reject(actor=request.user, declaration=declaration, reason=body.validated_data["reason"])
        return self._detail(pk)

    @extend_schema(
        request=s.AttachmentUploadSerializer,
        responses={201: s.DeclarationAttachmentSerializer},
    )
    @action(detail=True, methods=["post"], parser_classes=[MultiPartParser, FormParser])
    def attachments(self, request, pk=None):
        """Attach a survey photo or a PDF (multipart: ``file``, ``title``)."""
        declaration = self._acting_on(pk, lambda user, d: perms.can_declare(user, d.compound))
        body = s.AttachmentUploadSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        attachment = services.declaration_add_attachment(
            actor=request.user,
            declaration=declaration,
            upload=body.validated_data["file"],
            title=body.validated_data["title"],
        )
        return Response(s.DeclarationAttachmentSerializer(attachment).data, status=status.HTTP_201_CREATED)


class DeclarationAttachmentViewSet(viewsets.GenericViewSet):
    """The files of declarations' attachments, to users who may see the declaration."""

    queryset = DeclarationAttachment.objects.none()
    serializer_class = s.DeclarationAttachmentSerializer

    def get_queryset(self):
        return DeclarationAttachment.objects.visible_to(self.request.user)

    @extend_schema(
        responses={
            (200, "image/jpeg"): OpenApiResponse(OpenApiTypes.BINARY),
            (200, "application/pdf"): OpenApiResponse(OpenApiTypes.BINARY),
        }
    )
    @action(detail=True, methods=["get"])
    def file(self, request, pk=None):
        attachment = get_object_for(request.user, self.get_queryset(), pk)
        if attachment.kind == "pdf":
            return serve_private_document(
                attachment.file, f"declaration-{attachment.declaration_id}-{attachment.pk}.pdf"
            )
        return serve_private_image(attachment.file)


def _plan_context(user, plans) -> dict:
    keys = {(p.district_id, p.year) for p in plans}
    targets = {}
    if keys:
        rows = ProgrammeTarget.objects.filter(
            district_id__in={k[0] for k in keys}, year__in={k[1] for k in keys}
        ).prefetch_related("shares")
        targets = {(t.district_id, t.year): t for t in rows}
    scope = get_scope(user)
    own = None if scope.is_global or scope.has_role("district_official") else set(scope.subdistrict_ids)
    return {"targets": targets, "own_subdistricts": own}


@extend_validation_errors(["bad_year", "plan_exists"], field_name="year", actions=["create"])
@extend_validation_errors(["invalid_kind"], field_name="kind", actions=["batches"])
@extend_validation_errors(["foreign_batch"], field_name="batch", actions=["items"])
@extend_validation_errors(
    ["foreign_declaration", "not_in_library", "already_planned"], field_name="declaration", actions=["items"]
)
@extend_validation_errors(
    ["target_below_shares", "negative_target", "bad_year"], field_name="non_field_errors", actions=["targets"]
)
@extend_validation_errors(
    ["shares_exceed_target", "foreign_subdistrict", "negative_target"], field_name="shares", actions=["targets"]
)
class AnnualPlanViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Annual plans (年度计划) of the districts in scope, with their batches and the year's targets. District
    officials create a plan, add batches and items (approved declarations) and set the targets and their split."""

    serializer_class = s.AnnualPlanSerializer
    queryset = AnnualPlan.objects.none()
    filterset_fields = ["district", "year"]

    def get_queryset(self):
        return (
            AnnualPlan.objects.visible_to(self.request.user)
            .select_related("district")
            .prefetch_related("batches")
            .order_by("-year", "district_id")
        )

    def get_serializer_context(self):
        context = super().get_serializer_context()
        if self.action in ("list", "retrieve"):
            plans = self.get_queryset() if self.action == "list" else []
            if self.action == "retrieve":
                plans = self.get_queryset().filter(pk=self.kwargs.get("pk"))
            context.update(_plan_context(self.request.user, list(plans)))
        return context

    def _plan(self, pk, can=perms.can_plan):
        return get_object_for(self.request.user, self.get_queryset(), pk, "change", can)

    def _response(self, pk, code=status.HTTP_200_OK):
        plan = self.get_queryset().get(pk=pk)
        context = {**self.get_serializer_context(), **_plan_context(self.request.user, [plan])}
        return Response(s.AnnualPlanSerializer(plan, context=context).data, status=code)

    def create(self, request, *args, **kwargs):
        body = s.AnnualPlanSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        plan = services.annual_plan_create(
            actor=request.user, district=data["district"], year=data["year"], note=data.get("note", "")
        )
        return self._response(plan.pk, status.HTTP_201_CREATED)

    @extend_schema(request=s.BatchCreateSerializer, responses={201: s.PlanBatchSerializer})
    @action(detail=True, methods=["post"])
    def batches(self, request, pk=None):
        """Add a batch ("成熟一批" ready now, or "推动一批" to push forward)."""
        plan = self._plan(pk)
        body = s.BatchCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        batch = services.plan_batch_add(actor=request.user, plan=plan, **body.validated_data)
        return Response(s.PlanBatchSerializer(batch).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=s.PlanItemCreateSerializer, responses={201: s.PlanItemSerializer})
    @action(detail=True, methods=["post"])
    def items(self, request, pk=None):
        """Put an approved declaration of the library into a batch of this plan."""
        plan = self._plan(pk)
        body = s.PlanItemCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        declaration = get_object_for(request.user, Declaration.objects.all(), body.validated_data["declaration"].pk)
        item = services.plan_item_add(
            actor=request.user, plan=plan, batch=body.validated_data["batch"], declaration=declaration
        )
        item = selectors.plan_items(request.user, plan).get(pk=item.pk)
        return Response(s.PlanItemSerializer(item).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=s.TargetsSerializer, responses={200: s.TargetsSerializer})
    @action(detail=True, methods=["post"])
    def targets(self, request, pk=None):
        """Set the year's targets of the plan's district and their split over its subdistricts (the shares given
        replace the old ones). Refused (400, nothing saved) when the shares add up to more than the district's
        target; ``notes`` says how many compounds are not yet assigned when they add up to less."""
        plan = self._plan(pk)
        body = s.TargetsSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        with transaction.atomic():
            current = ProgrammeTarget.objects.filter(district=plan.district, year=plan.year).first()
            if current is not None:
                current.shares.all().delete()
            target = target_set(
                actor=request.user,
                district=plan.district,
                year=plan.year,
                to_start=data["to_start"],
                to_finish=data["to_finish"],
            )
            notes = target_split(
                actor=request.user,
                target=target,
                shares={row["subdistrict"]: (row["to_start"], row["to_finish"]) for row in data["shares"]},
            )
        shares = s.TargetShareSerializer(target.shares.order_by("subdistrict_id"), many=True).data
        return Response({"to_start": target.to_start, "to_finish": target.to_finish, "shares": shares, "notes": notes})


@extend_validation_errors(["project_exists"], field_name="non_field_errors", actions=["destroy"])
@extend_validation_errors(["contractor_required", "not_a_contractor"], field_name="contractor", actions=["project"])
@extend_validation_errors(["required"], field_name="contract_number", actions=["project"])
@extend_validation_errors(["required", "invalid_amount"], field_name="contract_amount", actions=["project"])
@extend_validation_errors(["required", "future_date"], field_name="awarded_on", actions=["project"])
@extend_validation_errors(["wrong_company_kind"], field_name="designer", actions=["project"])
@extend_validation_errors(["wrong_company_kind"], field_name="supervisor", actions=["project"])
@extend_validation_errors(["project_exists", "unknown_plan_item"], field_name="plan_item", actions=["project"])
@extend_validation_errors(["invalid"], field_name="non_field_errors", actions=["project"])
class PlanItemViewSet(mixins.DestroyModelMixin, viewsets.ReadOnlyModelViewSet):
    """Items of the annual plans (a subdistrict official sees her subdistrict's). DELETE takes an item out of its
    plan (before its project exists); ``POST /plan-items/{id}/project/`` creates its project with the EPC award."""

    serializer_class = s.PlanItemSerializer
    filterset_class = PlanItemFilterSet
    pagination_class = KeysetPagination
    ordering_fields = ["updated_at"]
    queryset = PlanItem.objects.none()

    def get_queryset(self):
        return PlanItem.objects.visible_to(self.request.user).select_related("plan", "declaration__compound__community")

    def destroy(self, request, *args, **kwargs):
        item = get_object_for(
            request.user, self.get_queryset(), kwargs["pk"], "change", lambda u, i: perms.can_plan(u, i.plan)
        )
        services.plan_item_remove(actor=request.user, item=item)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=s.AwardSerializer, responses={201: ProjectDetailSerializer})
    @action(detail=True, methods=["post"])
    def project(self, request, pk=None):
        """Create the item's renovation project through project_create, with the EPC award (contractor, contract
        number, amount, date) and the designer and supervisor. Same as ``POST /projects/`` with ``plan_item``."""
        item = get_object_for(request.user, self.get_queryset(), pk, "change", lambda u, i: perms.can_plan(u, i.plan))
        body = s.AwardSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = {k: v for k, v in body.validated_data.items() if v is not None or k in ("designer", "supervisor")}
        project = services.plan_item_create_project(actor=request.user, item=item, **data)
        project = project_detail_queryset(request.user).get(pk=project.pk)
        return Response(ProjectDetailSerializer(project).data, status=status.HTTP_201_CREATED)
