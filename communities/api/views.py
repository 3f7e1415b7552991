from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from drf_standardized_errors.openapi_validation_errors import extend_validation_errors
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from communities import services
from communities.api import serializers as s
from communities.filtersets import BuildingFilterSet, CompoundFilterSet
from communities.models import ApiToken, Building, Community, Compound, District, Subdistrict, TaskForce, User
from communities.permissions import can_change_building, can_change_compound
from communities.scoping import get_object_for
from communities.selectors import PLACE_MODELS, task_forces
from renovation_portal.api import ConcurrencyControlMixin, KeysetPagination
from renovation_portal.values_lists import ValuesListMixin


class ScopedViewSetMixin:
    """List and detail querysets are the user's scope, never the whole table."""

    model = None
    select = ()

    def get_queryset(self):
        queryset = self.model.objects.visible_to(self.request.user).select_related(*self.select)
        return self.locked_queryset(queryset) if hasattr(self, "locked_queryset") else queryset


class DistrictViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    model = District
    serializer_class = s.DistrictSerializer
    ordering_fields = ["code", "name"]


class SubdistrictViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    model = Subdistrict
    serializer_class = s.SubdistrictSerializer
    filterset_fields = ["district"]
    ordering_fields = ["code", "name"]


class CommunityViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    model = Community
    serializer_class = s.CommunitySerializer
    filterset_fields = ["subdistrict"]
    ordering_fields = ["code", "name"]


class CompoundViewSet(
    ValuesListMixin, ConcurrencyControlMixin, ScopedViewSetMixin, mixins.UpdateModelMixin, viewsets.ReadOnlyModelViewSet
):
    """Compounds in the user's scope; officials and community secretaries may update basic data."""

    model = Compound
    serializer_class = s.CompoundSerializer
    filterset_class = CompoundFilterSet
    pagination_class = KeysetPagination
    ordering_fields = ["updated_at"]
    select = ("community__subdistrict", "party_branch", "owners_body", "property_service__company")

    def get_object(self):
        return get_object_for(
            self.request.user,
            self.get_queryset(),
            self.kwargs["pk"],
            action="view" if self.request.method in ("GET", "HEAD", "OPTIONS") else "change",
            can=can_change_compound,
        )

    def perform_update(self, serializer):
        serializer.instance = services.compound_update(
            actor=self.request.user, compound=serializer.instance, **serializer.validated_data
        )


class BuildingViewSet(
    ValuesListMixin, ConcurrencyControlMixin, ScopedViewSetMixin, mixins.UpdateModelMixin, viewsets.ReadOnlyModelViewSet
):
    """Buildings with their contact board (亮牌) data."""

    model = Building
    serializer_class = s.BuildingSerializer
    filterset_class = BuildingFilterSet
    pagination_class = KeysetPagination
    ordering_fields = ["updated_at"]
    select = ("compound",)

    def get_object(self):
        return get_object_for(
            self.request.user,
            self.get_queryset(),
            self.kwargs["pk"],
            action="view" if self.request.method in ("GET", "HEAD", "OPTIONS") else "change",
            can=can_change_building,
        )

    def perform_update(self, serializer):
        serializer.instance = services.building_update(
            actor=self.request.user, building=serializer.instance, **serializer.validated_data
        )


class MeView(APIView):
    """The current user with roles and scope."""

    @extend_schema(responses=s.MeSerializer)
    def get(self, request):
        user = (
            type(request.user)
            .objects.prefetch_related("roles__district", "roles__subdistrict", "roles__community", "roles__company")
            .get(pk=request.user.pk)
        )
        return Response(s.MeSerializer(user).data)


@extend_validation_errors(
    ["invalid_credentials", "two_factor_setup_required", "no_token"],
    field_name="non_field_errors",
    methods=["post", "delete"],
)
@extend_validation_errors(["otp_required", "otp_invalid"], field_name="otp_token", methods=["post"])
class TokenView(APIView):
    """Mobile login (POST: username, password, device name → token) and logout (DELETE: revoke this token)."""

    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "login"

    def get_permissions(self):
        return [AllowAny()] if self.request.method == "POST" else super().get_permissions()

    @extend_schema(request=s.TokenLoginSerializer, responses={201: s.IssuedTokenSerializer})
    def post(self, request):
        login = s.TokenLoginSerializer(data=request.data)
        login.is_valid(raise_exception=True)
        token, key = services.api_token_create(request=request._request, **login.validated_data)
        data = s.ApiTokenSerializer(token).data
        return Response({"token": key, **data}, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={204: None})
    def delete(self, request):
        if not isinstance(request.auth, ApiToken):
            raise ValidationError(
                {"non_field_errors": [_("This request was not made with a token; there is nothing to revoke.")]},
                code="no_token",
            )
        services.api_token_revoke(actor=request.user, token=request.auth)
        return Response(status=status.HTTP_204_NO_CONTENT)


class ApiTokenViewSet(mixins.ListModelMixin, mixins.DestroyModelMixin, viewsets.GenericViewSet):
    """The current user's devices; DELETE revokes one (e.g. a lost phone)."""

    serializer_class = s.ApiTokenSerializer
    queryset = ApiToken.objects.none()

    def get_queryset(self):
        return ApiToken.objects.filter(user=self.request.user)

    def get_object(self):
        return get_object_or_404(self.get_queryset(), pk=self.kwargs["pk"])

    def perform_destroy(self, instance):
        services.api_token_revoke(actor=self.request.user, token=instance)


@extend_validation_errors(["required"], field_name="member", actions=["remove_member"])
@extend_validation_errors(["invalid"], field_name="user", actions=["members"])
class TaskForceViewSet(viewsets.ReadOnlyModelViewSet):
    """Task forces (专班) at the four levels with their members and working groups. Officials of a place's scope
    create them and add or remove members; every role whose scope holds the place reads them."""

    serializer_class = s.TaskForceSerializer
    filterset_fields = ["level", "district", "subdistrict", "community", "compound"]
    queryset = TaskForce.objects.none()

    def get_queryset(self):
        return task_forces(self.request.user)

    def _manageable(self, pk):
        return get_object_for(
            self.request.user,
            self.get_queryset(),
            pk,
            action="change",
            can=lambda user, obj: services.can_manage_task_force(user, obj.level, obj.place),
        )

    def _data(self, task_force):
        return s.TaskForceSerializer(self.get_queryset().get(pk=task_force.pk)).data

    @extend_schema(request=s.TaskForceCreateSerializer, responses={201: s.TaskForceSerializer})
    def create(self, request):
        body = s.TaskForceCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        level = body.validated_data["level"]
        place = get_object_for(request.user, PLACE_MODELS[level].objects.all(), body.validated_data["place"])
        task_force = services.task_force_create(
            actor=request.user, level=level, place=place, name=body.validated_data["name"]
        )
        return Response(self._data(task_force), status=status.HTTP_201_CREATED)

    @extend_schema(request=s.TaskForceMemberInputSerializer, responses={200: s.TaskForceSerializer})
    @action(detail=True, methods=["post"])
    def members(self, request, pk=None):
        """Add a member: a portal user (``user``) or a named person (``name``), with ``role`` and ``working_group``."""
        task_force = self._manageable(pk)
        body = s.TaskForceMemberInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = dict(body.validated_data)
        user_id = data.pop("user")
        user = None
        if user_id is not None:
            user = User.objects.filter(pk=user_id, is_active=True).first()
            if user is None:
                raise ValidationError({"user": [_("No such user.")]}, code="invalid")
        services.task_force_add_member(actor=request.user, task_force=task_force, user=user, **data)
        return Response(self._data(task_force))

    @extend_schema(
        request=None,
        parameters=[OpenApiParameter("member", OpenApiTypes.INT, required=True)],
        responses={200: s.TaskForceSerializer},
    )
    @members.mapping.delete
    def remove_member(self, request, pk=None):
        """Remove a member: ``DELETE /task-forces/{id}/members/?member={member id}``."""
        task_force = self._manageable(pk)
        member_id = request.query_params.get("member", "")
        if not member_id.isdigit():
            raise ValidationError({"member": [_("Give the id of the member to remove.")]}, code="required")
        member = task_force.members.filter(pk=int(member_id)).first()
        if member is not None:
            services.task_force_remove_member(actor=request.user, member=member)
        return Response(self._data(task_force))
