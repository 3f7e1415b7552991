from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from drf_standardized_errors.openapi_validation_errors import extend_validation_errors
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from communities import place_import, selectors, services
from communities.api import serializers as s
from communities.filtersets import BuildingFilterSet, BuildingLeadFilterSet, CompoundFilterSet, UserFilterSet
from communities.models import (
    ApiToken,
    BoardContact,
    Building,
    BuildingLead,
    City,
    Community,
    Company,
    Compound,
    District,
    OwnersBody,
    PartyBranch,
    PropertyService,
    Province,
    Role,
    Subdistrict,
    TaskForce,
    User,
)
from communities.permissions import (
    can_change_building,
    can_change_community,
    can_change_compound,
    can_change_subdistrict,
    can_grant_role,
    can_manage_user,
    may_manage_companies,
    may_manage_people,
)
from communities.scoping import ScopedObjectMixin, get_object_for
from communities.selectors import PLACE_MODELS, PROPERTY_MODE, task_forces
from communities.today import todo_total
from renovation_portal.api import ConcurrencyControlMixin, KeysetPagination, representation_etag
from renovation_portal.values_lists import ValuesListMixin


class ScopedViewSetMixin:
    """List and detail querysets are the user's scope, never the whole table."""

    model = None
    select = ()

    def get_queryset(self):
        queryset = self.model.objects.visible_to(self.request.user).select_related(*self.select)
        return self.locked_queryset(queryset) if hasattr(self, "locked_queryset") else queryset


BOARD_SELECT = ("compound__party_branch", "compound__owners_body", "compound__property_service__company")


def _board_data(building, lines) -> dict:
    return {
        "building": building.pk,
        "number": building.number,
        "lines": [{"role": line.role, "label": line.label, "name": line.name, "phone": line.phone} for line in lines],
    }


class ProvinceViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    """Provinces: a province official's own (a global administrator's: all)."""

    model = Province
    serializer_class = s.ProvinceSerializer
    ordering_fields = ["code", "name"]


class CityViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    """Cities: a city official's own, a province official's cities of the province."""

    model = City
    serializer_class = s.CitySerializer
    ordering_fields = ["code", "name"]
    filterset_fields = ["province"]


class DistrictViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    """Districts in scope; city and province officials see every district below them."""

    model = District
    serializer_class = s.DistrictSerializer
    ordering_fields = ["code", "name"]
    filterset_fields = ["city"]


class PlaceCreateMixin:
    """POST of a place-tree record: the body is checked by ``create_serializer``, the write is ``create_service``
    (which decides whether the actor may add it there: 403), the answer is the record as GET shows it."""

    create_serializer = None
    create_service = None

    def create(self, request, *args, **kwargs):
        body = self.create_serializer(data=request.data)
        body.is_valid(raise_exception=True)
        obj = type(self).create_service(actor=request.user, **body.validated_data)
        data = self.representation(self.get_queryset().get(pk=obj.pk))
        return Response(data, status=status.HTTP_201_CREATED, headers={"ETag": representation_etag(data)})


class SubdistrictViewSet(
    ScopedObjectMixin,
    PlaceCreateMixin,
    ConcurrencyControlMixin,
    ScopedViewSetMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.ReadOnlyModelViewSet,
):
    """Subdistricts in the user's scope; district officials add them to their district (POST) and rename them."""

    model = Subdistrict
    serializer_class = s.SubdistrictSerializer
    filterset_fields = ["district"]
    ordering_fields = ["code", "name"]
    http_method_names = ["get", "post", "patch", "head", "options"]
    create_serializer = s.SubdistrictCreateSerializer
    create_service = services.subdistrict_create

    change_permission = staticmethod(can_change_subdistrict)

    @extend_schema(request=s.SubdistrictCreateSerializer, responses={201: s.SubdistrictSerializer})
    def create(self, request, *args, **kwargs):
        return super().create(request, *args, **kwargs)

    def perform_update(self, serializer):
        serializer.instance = services.subdistrict_update(
            actor=self.request.user, subdistrict=serializer.instance, **serializer.validated_data
        )


class CommunityViewSet(
    ScopedObjectMixin,
    PlaceCreateMixin,
    ConcurrencyControlMixin,
    ScopedViewSetMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.ReadOnlyModelViewSet,
):
    """Communities in the user's scope; district officials add them to a subdistrict of their district (POST)."""

    model = Community
    serializer_class = s.CommunitySerializer
    filterset_fields = ["subdistrict"]
    ordering_fields = ["code", "name"]
    http_method_names = ["get", "post", "patch", "head", "options"]
    select = ("subdistrict",)
    create_serializer = s.CommunityCreateSerializer
    create_service = services.community_create

    change_permission = staticmethod(can_change_community)

    @extend_schema(request=s.CommunityCreateSerializer, responses={201: s.CommunitySerializer})
    def create(self, request, *args, **kwargs):
        return super().create(request, *args, **kwargs)

    def perform_update(self, serializer):
        serializer.instance = services.community_update(
            actor=self.request.user, community=serializer.instance, **serializer.validated_data
        )


class CompoundViewSet(
    ScopedObjectMixin,
    PlaceCreateMixin,
    ValuesListMixin,
    ConcurrencyControlMixin,
    ScopedViewSetMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.ReadOnlyModelViewSet,
):
    """Compounds in the user's scope; officials and community secretaries may update basic data; subdistrict
    officials (and district officials above) add compounds (POST)."""

    http_method_names = ["get", "post", "patch", "put", "head", "options"]
    create_serializer = s.CompoundCreateSerializer
    create_service = services.compound_create

    @extend_schema(request=s.CompoundCreateSerializer, responses={201: s.CompoundSerializer})
    def create(self, request, *args, **kwargs):
        return super().create(request, *args, **kwargs)

    @extend_schema(request=s.PlacesImportSerializer, responses={200: s.PlacesImportReportSerializer})
    @action(
        detail=False,
        methods=["post"],
        url_path="import",
        parser_classes=[MultiPartParser, FormParser],
        serializer_class=s.PlacesImportSerializer,
        filterset_class=None,
        pagination_class=None,
    )
    def import_places(self, request):
        """Compounds with their buildings for one subdistrict from CSV/XLSX, matched by code. ``dry_run`` (the
        default) checks every row and writes nothing: 200 with the counts and each row's errors. An import writes
        all rows (200) or, if any row is wrong, none: 400 with one ``invalid_rows`` error per wrong row."""
        body = s.PlacesImportSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        subdistrict = get_object_for(request.user, Subdistrict.objects.all(), body.validated_data["subdistrict"])
        report = place_import.compounds_import(
            actor=request.user,
            subdistrict=subdistrict,
            upload=body.validated_data["file"],
            dry_run=body.validated_data["dry_run"],
        )
        errors = [
            {"code": "invalid_rows", "detail": f"{_('Row %(row)s') % {'row': row}}: {message}", "attr": "file"}
            for row, message in report.errors
        ]
        if errors and not report.dry_run:
            return Response({"type": "validation_error", "errors": errors}, status=status.HTTP_400_BAD_REQUEST)
        data = {
            "dry_run": report.dry_run,
            "committed": report.committed,
            "compounds_created": report.compounds_created,
            "compounds_updated": report.compounds_updated,
            "buildings_created": report.buildings_created,
            "buildings_updated": report.buildings_updated,
            "errors": [{"row": row, "message": message} for row, message in report.errors],
        }
        return Response(data)

    model = Compound
    serializer_class = s.CompoundSerializer
    filterset_class = CompoundFilterSet
    pagination_class = KeysetPagination
    ordering_fields = ["updated_at"]
    select = ("community__subdistrict", "party_branch", "owners_body", "property_service__company")

    change_permission = staticmethod(can_change_compound)

    @extend_schema(request=None, responses={200: s.BuildingBoardSerializer(many=True)})
    @action(detail=True, methods=["get"], filterset_class=None, pagination_class=None)
    def boards(self, request, pk=None):
        """The contact board of every building of the compound (a fixed number of queries)."""
        compound = get_object_for(request.user, Compound.objects.all(), pk)
        return Response([_board_data(building, lines) for building, lines in selectors.compound_boards(compound)])

    def list_annotations(self):
        return {"property_mode": PROPERTY_MODE}

    def perform_update(self, serializer):
        serializer.instance = services.compound_update(
            actor=self.request.user, compound=serializer.instance, **serializer.validated_data
        )


class GovernanceViewSet(ScopedViewSetMixin, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """The history of a governance body on the compounds in the user's scope (``?compound=``, ``?is_current=``);
    POST records a new body for a compound (officials and its community's secretary; the current one is ended)."""

    select = ("compound",)
    filterset_fields = ["compound"]
    ordering_fields = ["id"]
    service = None

    def get_queryset(self):
        queryset = super().get_queryset().order_by("-id")
        current = self.request.query_params.get("is_current")
        if current in ("true", "false"):
            queryset = queryset.filter(ended_on__isnull=current == "true")
        return queryset

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        compound = get_object_for(
            self.request.user,
            Compound.objects.select_related("community__subdistrict"),
            data.pop("compound_id"),
            action="change",
            can=can_change_compound,
        )
        serializer.instance = type(self).service(actor=self.request.user, compound=compound, **data)


class PartyBranchViewSet(GovernanceViewSet):
    model = PartyBranch
    serializer_class = s.PartyBranchRecordSerializer
    service = staticmethod(services.party_branch_set)


class OwnersBodyViewSet(GovernanceViewSet):
    model = OwnersBody
    serializer_class = s.OwnersBodyRecordSerializer
    service = staticmethod(services.owners_body_elect)


@extend_validation_errors(["starts_before_current"], field_name="contract_starts_on", actions=["create"])
class PropertyServiceViewSet(GovernanceViewSet):
    model = PropertyService
    serializer_class = s.PropertyServiceRecordSerializer
    select = ("compound", "company")
    service = staticmethod(services.property_service_change)


class BuildingViewSet(
    ScopedObjectMixin,
    PlaceCreateMixin,
    ValuesListMixin,
    ConcurrencyControlMixin,
    ScopedViewSetMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.ReadOnlyModelViewSet,
):
    """Buildings with their contact board (亮牌) data; subdistrict officials (and district officials above) add
    buildings to a compound (POST) and remove one entered by mistake (DELETE; 400 ``building_in_use`` while
    records of it exist). The compound's building_count follows."""

    http_method_names = ["get", "post", "patch", "put", "delete", "head", "options"]
    create_serializer = s.BuildingCreateSerializer
    create_service = services.building_create

    @extend_schema(request=s.BuildingCreateSerializer, responses={201: s.BuildingSerializer})
    def create(self, request, *args, **kwargs):
        return super().create(request, *args, **kwargs)

    model = Building
    serializer_class = s.BuildingSerializer
    filterset_class = BuildingFilterSet
    pagination_class = KeysetPagination
    ordering_fields = ["updated_at"]
    select = ("compound",)

    change_permission = staticmethod(can_change_building)

    @extend_schema(request=None, responses={200: s.BuildingBoardSerializer})
    @action(detail=True, methods=["get"], filterset_class=None, pagination_class=None)
    def board(self, request, pk=None):
        """The building's contact board (亮牌): the five roles with their names and published service phones."""
        building = get_object_for(request.user, Building.objects.select_related(*BOARD_SELECT), pk)
        return Response(_board_data(building, selectors.building_boards([building])[building.pk]))

    def perform_update(self, serializer):
        serializer.instance = services.building_update(
            actor=self.request.user, building=serializer.instance, **serializer.validated_data
        )

    def perform_destroy(self, instance):
        services.building_delete(actor=self.request.user, building=instance)


class MeView(APIView):
    """The current user with roles and scope."""

    @extend_schema(responses=s.MeSerializer)
    def get(self, request):
        user = (
            type(request.user)
            .objects.prefetch_related(
                "roles__province",
                "roles__city",
                "roles__district",
                "roles__subdistrict",
                "roles__community",
                "roles__company",
            )
            .get(pk=request.user.pk)
        )
        return Response(s.MeSerializer(user).data)


class TodayView(APIView):
    """The signed-in user's "today" list (今日待办), as the home page shows it: for each of the user's roles the
    sections of things to do (an inspector's group inspections today and tomorrow and evidence to verify; a
    contractor's issues to rectify and projects needing action; a secretary's minutes due, meetings, problems
    and open votes; an official's escalations and declarations to review), each with its count, its first items
    linking to the page where each is done, and then the summaries (an official's places and dashboard)."""

    @extend_schema(responses=s.TodaySerializer)
    def get(self, request):
        sections = selectors.today_sections(request.user)
        return Response(
            s.TodaySerializer({"date": timezone.localdate(), "total": todo_total(sections), "sections": sections}).data
        )


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


# --- People, roles and companies. ---


def _binding(data: dict) -> dict:
    """The role's place or company (the serializer has looked them up: an unknown id is a 400 there)."""
    binding = {}
    for name in ("district", "subdistrict", "community", "company"):
        value = data.pop(name, None)
        if value is not None:
            binding[name] = value
    return binding


def _base_url(request) -> str:
    return request.build_absolute_uri("/")


# The invitation's body is UserInviteSerializer, not the list's serializer the error schema is derived from.
@extend_validation_errors(
    [
        "required",
        "null",
        "blank",
        "invalid",
        "max_length",
        "null_characters_not_allowed",
        "surrogate_characters_not_allowed",
    ],
    field_name="username",
    actions=["create"],
)
@extend_validation_errors(
    [
        "required",
        "null",
        "blank",
        "invalid",
        "max_length",
        "null_characters_not_allowed",
        "surrogate_characters_not_allowed",
    ],
    field_name="email",
    actions=["create"],
)
@extend_validation_errors(
    [
        "required",
        "null",
        "blank",
        "invalid",
        "max_length",
        "null_characters_not_allowed",
        "surrogate_characters_not_allowed",
    ],
    field_name="display_name",
    actions=["create"],
)
@extend_validation_errors(
    [
        "required",
        "null",
        "blank",
        "invalid",
        "max_length",
        "null_characters_not_allowed",
        "surrogate_characters_not_allowed",
    ],
    field_name="phone",
    actions=["create"],
)
@extend_validation_errors(["required", "null", "invalid"], field_name="role", actions=["create"])
@extend_validation_errors(
    ["does_not_exist", "incorrect_type", "invalid", "max_value", "min_value"],
    field_name="role.province",
    actions=["create"],
)
@extend_validation_errors(
    ["does_not_exist", "incorrect_type", "invalid", "max_value", "min_value"],
    field_name="role.city",
    actions=["create"],
)
@extend_validation_errors(
    ["does_not_exist", "incorrect_type", "invalid", "max_value", "min_value"],
    field_name="role.district",
    actions=["create"],
)
@extend_validation_errors(
    ["does_not_exist", "incorrect_type", "invalid", "max_value", "min_value"],
    field_name="role.subdistrict",
    actions=["create"],
)
@extend_validation_errors(
    ["does_not_exist", "incorrect_type", "invalid", "max_value", "min_value"],
    field_name="role.community",
    actions=["create"],
)
@extend_validation_errors(
    ["does_not_exist", "incorrect_type", "invalid", "max_value", "min_value"],
    field_name="role.company",
    actions=["create"],
)
class UserViewSet(
    ScopedObjectMixin,
    ConcurrencyControlMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.ReadOnlyModelViewSet,
):
    """The people of the official's district or subdistrict (users holding a role the official may grant).
    POST invites a user with a first role (an e-mail with a one-time set-password link); PATCH changes name,
    e-mail or phone; ``deactivate``/``reactivate`` switch the account off (its API tokens are revoked) and on."""

    serializer_class = s.PortalUserSerializer
    filterset_class = UserFilterSet
    queryset = User.objects.none()
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self):
        if not may_manage_people(self.request.user):
            raise PermissionDenied
        return self.locked_queryset(selectors.people(self.request.user))

    change_permission = staticmethod(can_manage_user)

    @extend_schema(request=s.UserInviteSerializer, responses={201: s.PortalUserSerializer})
    def create(self, request, *args, **kwargs):
        if not may_manage_people(request.user):
            raise PermissionDenied
        body = s.UserInviteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = dict(body.validated_data)
        role = dict(data.pop("role"))
        role.update(_binding(role))
        user = services.user_invite(actor=request.user, role=role, base_url=_base_url(request), **data)
        return Response(self.representation(selectors.people(request.user).get(pk=user.pk)), status=201)

    def perform_update(self, serializer):
        serializer.instance = services.user_update(
            actor=self.request.user, user=serializer.instance, **serializer.validated_data
        )

    def _switch(self, request, pk, service):
        user = get_object_for(request.user, self.get_queryset(), pk, action="change", can=can_manage_user)
        service(actor=request.user, user=user)
        return Response(self.representation(selectors.people(request.user).get(pk=user.pk)))

    @extend_schema(request=None, responses={200: s.PortalUserSerializer})
    @action(detail=True, methods=["post"])
    def deactivate(self, request, pk=None):
        return self._switch(request, pk, services.user_deactivate)

    @extend_schema(request=None, responses={200: s.PortalUserSerializer})
    @action(detail=True, methods=["post"])
    def reactivate(self, request, pk=None):
        return self._switch(request, pk, services.user_reactivate)

    @extend_schema(request=None, responses={200: s.PortalUserSerializer})
    @action(detail=True, methods=["post"])
    def reinvite(self, request, pk=None):
        """E-mail the one-time set-password link again (a lost mail, an expired link)."""
        user = get_object_for(request.user, self.get_queryset(), pk, action="change", can=can_manage_user)
        services.user_send_invitation(actor=request.user, user=user, base_url=_base_url(request))
        return Response(self.representation(selectors.people(request.user).get(pk=user.pk)))


@extend_validation_errors(
    ["does_not_exist", "incorrect_type", "invalid", "max_value", "min_value"], field_name="province", actions=["create"]
)
@extend_validation_errors(
    ["does_not_exist", "incorrect_type", "invalid", "max_value", "min_value"], field_name="city", actions=["create"]
)
@extend_validation_errors(
    ["does_not_exist", "incorrect_type", "invalid", "max_value", "min_value"], field_name="district", actions=["create"]
)
@extend_validation_errors(
    ["does_not_exist", "incorrect_type", "invalid", "max_value", "min_value"],
    field_name="subdistrict",
    actions=["create"],
)
@extend_validation_errors(
    ["does_not_exist", "incorrect_type", "invalid", "max_value", "min_value"],
    field_name="community",
    actions=["create"],
)
@extend_validation_errors(
    ["does_not_exist", "incorrect_type", "invalid", "max_value", "min_value"], field_name="company", actions=["create"]
)
class RoleViewSet(mixins.CreateModelMixin, mixins.DestroyModelMixin, viewsets.GenericViewSet):
    """Grant a user another role (POST) or revoke one (DELETE), inside the official's own scope."""

    serializer_class = s.ManagedRoleSerializer
    queryset = Role.objects.none()

    def get_queryset(self):
        if not may_manage_people(self.request.user):
            raise PermissionDenied
        return Role.objects.filter(user__in=User.objects.visible_to(self.request.user)).select_related(
            "user", "district", "subdistrict", "community", "company"
        )

    def get_object(self):
        role = get_object_or_404(self.get_queryset(), pk=self.kwargs["pk"])
        if not (can_manage_user(self.request.user, role.user) and can_grant_role(self.request.user, role)):
            raise PermissionDenied
        return role

    @extend_schema(request=s.RoleCreateSerializer, responses={201: s.ManagedRoleSerializer})
    def create(self, request, *args, **kwargs):
        body = s.RoleCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = dict(body.validated_data)
        user = get_object_for(
            request.user,
            User.objects.filter(pk__in=self.get_queryset().values("user_id")),
            data.pop("user"),
            action="change",
            can=can_manage_user,
        )
        data.update(_binding(data))
        role = services.role_grant(actor=request.user, user=user, **data)
        return Response(s.ManagedRoleSerializer(role).data, status=201)

    def perform_destroy(self, instance):
        services.role_revoke(actor=self.request.user, role=instance)


class CompanyViewSet(
    ScopedObjectMixin,
    ConcurrencyControlMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.ReadOnlyModelViewSet,
):
    """The register of companies; district officials add and edit them (the credit code is checked)."""

    model = Company
    serializer_class = s.CompanySerializer
    filterset_fields = ["kind"]
    ordering_fields = ["name"]
    queryset = Company.objects.none()
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self):
        return self.locked_queryset(Company.objects.visible_to(self.request.user).order_by("name", "pk"))

    change_permission = staticmethod(lambda user, company: may_manage_companies(user))

    def perform_create(self, serializer):
        serializer.instance = services.company_create(actor=self.request.user, **serializer.validated_data)

    def perform_update(self, serializer):
        serializer.instance = services.company_update(
            actor=self.request.user, company=serializer.instance, **serializer.validated_data
        )


@extend_validation_errors(["required"], field_name="member", methods=["delete"])
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
        if not member_id.isdecimal():
            raise ValidationError({"member": [_("Give the id of the member to remove.")]}, code="required")
        member = task_force.members.filter(pk=int(member_id)).first()
        if member is not None:
            services.task_force_remove_member(actor=request.user, member=member)
        return Response(self._data(task_force))


# --- Building leads (楼栋长) and contact boards (亮牌) ---


class BuildingLeadViewSet(ScopedObjectMixin, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Building leads (current and past) of the buildings in the user's scope (``?building=``, ``?compound=``,
    ``?is_current=true``). POST appoints a lead or records an election for a building (its community's secretary,
    officials above): the current lead's record is ended and kept. ``POST /building-leads/{id}/end/`` ends a lead's
    term without a successor."""

    serializer_class = s.BuildingLeadSerializer
    filterset_class = BuildingLeadFilterSet
    ordering_fields = ["id"]
    queryset = BuildingLead.objects.none()

    def get_queryset(self):
        queryset = selectors.building_leads(self.request.user).order_by("-id")
        current = self.request.query_params.get("is_current")
        if current in ("true", "false"):
            queryset = queryset.filter(ended_on__isnull=current == "true")
        return queryset

    change_permission = staticmethod(lambda user, lead: can_change_building(user, lead.building))

    def _data(self, lead):
        return s.BuildingLeadSerializer(self.get_queryset().get(pk=lead.pk), context=self.get_serializer_context()).data

    @extend_schema(request=s.BuildingLeadCreateSerializer, responses={201: s.BuildingLeadSerializer})
    def create(self, request, *args, **kwargs):
        body = s.BuildingLeadCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = dict(body.validated_data)
        building = get_object_for(
            request.user,
            Building.objects.select_related("compound__community__subdistrict"),
            data.pop("building"),
            action="change",
            can=can_change_building,
        )
        data["candidates"] = [dict(candidate) for candidate in data["candidates"]]
        lead = services.building_lead_record(actor=request.user, building=building, **data)
        return Response(self._data(lead), status=status.HTTP_201_CREATED)

    @extend_schema(request=s.BuildingLeadEndSerializer, responses={200: s.BuildingLeadSerializer})
    @action(detail=True, methods=["post"])
    def end(self, request, pk=None):
        lead = self.get_object()
        body = s.BuildingLeadEndSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        lead = services.building_lead_end(actor=request.user, lead=lead, **body.validated_data)
        return Response(self._data(lead))


class BoardContactViewSet(
    ScopedObjectMixin, mixins.CreateModelMixin, mixins.DestroyModelMixin, viewsets.ReadOnlyModelViewSet
):
    """The entries of the contact boards of the compounds in the user's scope (``?compound=``, ``?building=``,
    ``?role=``): grid worker, party branch, owners' body and property service, each with its published service
    phone. POST sets an entry (201 when new, 200 when it replaced the entry of the same role and place); DELETE
    takes one off. The building lead comes from /building-leads/; the whole board of a building from
    /buildings/{id}/board/."""

    serializer_class = s.BoardContactSerializer
    filterset_fields = ["compound", "building", "role"]
    ordering_fields = ["id"]
    queryset = BoardContact.objects.none()

    def get_queryset(self):
        return selectors.board_contacts(self.request.user).order_by("id")

    change_permission = staticmethod(lambda user, entry: can_change_compound(user, entry.compound))

    @extend_schema(
        request=s.BoardContactInputSerializer, responses={200: s.BoardContactSerializer, 201: s.BoardContactSerializer}
    )
    def create(self, request, *args, **kwargs):
        body = s.BoardContactInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = dict(body.validated_data)
        compound = get_object_for(
            request.user,
            Compound.objects.select_related("community__subdistrict"),
            data.pop("compound"),
            action="change",
            can=can_change_compound,
        )
        building_id = data.pop("building")
        building = None
        if building_id is not None:
            building = Building.objects.filter(pk=building_id, compound=compound).first()
            if building is None:
                raise ValidationError(
                    {"building": [_("Choose a building of this compound.")]}, code="building_not_in_compound"
                )
        entry, created = services.board_contact_set(actor=request.user, compound=compound, building=building, **data)
        return Response(
            s.BoardContactSerializer(entry).data, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK
        )

    def perform_destroy(self, instance):
        services.board_contact_remove(actor=self.request.user, entry=instance)
