from datetime import datetime

from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from communities.choices import (
    BoardRole,
    InspectionTier,
    LeadChoice,
    PropertyMode,
    RoleKind,
    TaskForceLevel,
    WorkingGroup,
)
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
    TaskForceMember,
    User,
)
from communities.privacy import MaskPersonalDataMixin
from communities.scoping import get_scope
from communities.services import BOARD_CONTACT_ROLES
from renovation_portal.serializers import StrictModelSerializer, StrictSerializer


class ProvinceSerializer(StrictModelSerializer):
    class Meta:
        model = Province
        fields = ["id", "code", "name"]


class CitySerializer(StrictModelSerializer):
    class Meta:
        model = City
        fields = ["id", "code", "name", "province"]


class DistrictSerializer(StrictModelSerializer):
    city = serializers.PrimaryKeyRelatedField(read_only=True, help_text="The id of the city above the district.")

    class Meta:
        model = District
        fields = ["id", "code", "name", "city"]


class SubdistrictSerializer(StrictModelSerializer):
    # Declared without the model's unique validator: the service checks codes and answers ``code_taken``.
    code = serializers.CharField(max_length=16)
    name = serializers.CharField(max_length=50)

    class Meta:
        model = Subdistrict
        fields = ["id", "code", "name", "district"]
        read_only_fields = ["id", "district"]


class SubdistrictCreateSerializer(SubdistrictSerializer):
    district = serializers.PrimaryKeyRelatedField(queryset=District.objects.all())

    class Meta(SubdistrictSerializer.Meta):
        read_only_fields = ["id"]


class CommunitySerializer(StrictModelSerializer):
    code = serializers.CharField(max_length=20)
    name = serializers.CharField(max_length=50)

    class Meta:
        model = Community
        fields = ["id", "code", "name", "subdistrict", "party_secretary_name"]
        read_only_fields = ["id", "subdistrict"]


class CommunityCreateSerializer(CommunitySerializer):
    subdistrict = serializers.PrimaryKeyRelatedField(queryset=Subdistrict.objects.all())

    class Meta(CommunitySerializer.Meta):
        read_only_fields = ["id"]


class PartyBranchSerializer(StrictModelSerializer):
    class Meta:
        model = PartyBranch
        fields = ["name", "secretary_name", "member_count", "established_on"]


class OwnersBodySerializer(StrictModelSerializer):
    class Meta:
        model = OwnersBody
        fields = ["kind", "director_name", "established_on"]


class PropertyServiceSerializer(StrictModelSerializer):
    company_name = serializers.CharField(source="company.name", default=None, read_only=True)

    class Meta:
        model = PropertyService
        fields = ["mode", "company_name", "contact_name", "contract_starts_on"]


class GovernanceRecordSerializer(StrictModelSerializer):
    """One record of a governance body's history; POST records a new one (the current one is ended)."""

    compound = serializers.IntegerField(source="compound_id")
    is_current = serializers.BooleanField(read_only=True)
    history_fields = ["id", "compound", "ended_on", "is_current", "created_at"]


class PartyBranchRecordSerializer(GovernanceRecordSerializer):
    class Meta:
        model = PartyBranch
        fields = [
            *GovernanceRecordSerializer.history_fields,
            "name",
            "secretary_name",
            "secretary_phone",
            "member_count",
            "established_on",
        ]


class OwnersBodyRecordSerializer(GovernanceRecordSerializer):
    class Meta:
        model = OwnersBody
        fields = [
            *GovernanceRecordSerializer.history_fields,
            "kind",
            "director_name",
            "director_phone",
            "member_count",
            "established_on",
            "term_starts_on",
            "term_ends_on",
        ]


class PropertyServiceRecordSerializer(GovernanceRecordSerializer):
    company = serializers.PrimaryKeyRelatedField(
        queryset=Company.objects.filter(kind="property"), allow_null=True, required=False
    )
    company_name = serializers.CharField(source="company.name", default=None, read_only=True)

    class Meta:
        model = PropertyService
        fields = [
            *GovernanceRecordSerializer.history_fields,
            "mode",
            "company",
            "company_name",
            "contact_name",
            "contact_phone",
            "contract_starts_on",
            "contract_ends_on",
        ]


class CompoundSerializer(StrictModelSerializer):
    community_name = serializers.CharField(source="community.name", read_only=True)
    subdistrict = serializers.IntegerField(source="community.subdistrict_id", read_only=True)
    subdistrict_name = serializers.CharField(source="community.subdistrict.name", read_only=True)
    party_branch = PartyBranchSerializer(read_only=True, allow_null=True)
    owners_body = OwnersBodySerializer(read_only=True, allow_null=True)
    property_service = PropertyServiceSerializer(read_only=True, allow_null=True)
    # The current property service's mode (POST /api/v1/property-services/ changes it); not stored on the compound.
    property_mode = serializers.ChoiceField(choices=PropertyMode.choices, read_only=True)

    class Meta:
        model = Compound
        fields = [
            "id",
            "code",
            "name",
            "community",
            "community_name",
            "subdistrict",
            "subdistrict_name",
            "address",
            "year_built",
            "building_count",
            "household_count",
            "resident_count",
            "floor_area",
            "property_mode",
            "is_synthetic",
            "party_branch",
            "owners_body",
            "property_service",
            "updated_at",
        ]
        # building_count is the number of the compound's buildings (POST/DELETE /api/v1/buildings/ change it).
        read_only_fields = ["id", "code", "name", "community", "building_count", "is_synthetic", "updated_at"]


class CompoundCreateSerializer(StrictModelSerializer):
    """A new compound: its community, a unique code, a name and the basic data (checked by the service)."""

    code = serializers.CharField(max_length=24)
    community = serializers.PrimaryKeyRelatedField(queryset=Community.objects.all())

    class Meta:
        model = Compound
        fields = [
            "code",
            "name",
            "community",
            "address",
            "year_built",
            "household_count",
            "resident_count",
            "floor_area",
        ]


class BuildingSerializer(StrictModelSerializer):
    class Meta:
        model = Building
        fields = [
            "id",
            "compound",
            "number",
            "floors",
            "stairwells",
            "household_count",
            "updated_at",
        ]
        read_only_fields = ["id", "compound", "number", "updated_at"]


class BuildingCreateSerializer(StrictModelSerializer):
    """A new building of a compound: its number (unique in the compound) and basic data. Its lead is recorded with
    POST /api/v1/building-leads/, its board with POST /api/v1/board-contacts/."""

    compound = serializers.PrimaryKeyRelatedField(queryset=Compound.objects.all())

    class Meta:
        model = Building
        fields = [
            "compound",
            "number",
            "floors",
            "stairwells",
            "household_count",
        ]
        # The unique (compound, number) pair is the service's check (``number_taken``), not the serializer's.
        validators = []


class RoleSerializer(StrictModelSerializer):
    kind_display = serializers.CharField(source="get_kind_display", read_only=True)
    bound_to = serializers.SerializerMethodField()

    class Meta:
        model = Role
        fields = ["kind", "kind_display", "title", "tier", "bound_to"]

    def get_bound_to(self, role) -> dict:
        for field in ("province", "city", "district", "subdistrict", "community", "company"):
            node = getattr(role, field)
            if node is not None:
                return {"type": field, "id": node.pk, "name": node.name}
        return {}


class ScopeSerializer(StrictSerializer):
    is_global = serializers.BooleanField()
    province_ids = serializers.ListField(child=serializers.IntegerField())
    city_ids = serializers.ListField(child=serializers.IntegerField())
    district_ids = serializers.ListField(child=serializers.IntegerField())
    subdistrict_ids = serializers.ListField(child=serializers.IntegerField())
    community_ids = serializers.ListField(child=serializers.IntegerField())
    company_ids = serializers.ListField(child=serializers.IntegerField())


class MeSerializer(StrictModelSerializer):
    roles = RoleSerializer(many=True, read_only=True)
    scope = serializers.SerializerMethodField()

    class Meta:
        model = User
        fields = ["id", "username", "display_name", "email", "is_superuser", "roles", "scope"]

    def get_scope(self, user) -> ScopeSerializer:
        scope = get_scope(user)
        return ScopeSerializer(
            {
                "is_global": scope.is_global,
                "province_ids": sorted(scope.province_ids),
                "city_ids": sorted(scope.city_ids),
                "district_ids": sorted(scope.district_ids),
                "subdistrict_ids": sorted(scope.subdistrict_ids),
                "community_ids": sorted(scope.community_ids),
                "company_ids": sorted(scope.company_ids),
            }
        ).data


class TokenLoginSerializer(StrictSerializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(
        max_length=256, style={"input_type": "password"}, trim_whitespace=False, write_only=True
    )
    device_name = serializers.CharField(max_length=100)
    otp_token = serializers.CharField(
        max_length=8,
        required=False,
        allow_blank=True,
        help_text="The 6-digit code of the user's authenticator app, when two-factor login applies to them.",
    )


class ApiTokenSerializer(StrictModelSerializer):
    class Meta:
        model = ApiToken
        fields = ["id", "device_name", "prefix", "created_at", "last_used_at"]


class IssuedTokenSerializer(ApiTokenSerializer):
    token = serializers.CharField(
        read_only=True, help_text="The key; shown this once. Send 'Authorization: Token <key>'."
    )

    class Meta(ApiTokenSerializer.Meta):
        fields = ["token", *ApiTokenSerializer.Meta.fields]


class ManagedRoleSerializer(RoleSerializer):
    """A role on the people API: with its id (to revoke it)."""

    class Meta(RoleSerializer.Meta):
        fields = ["id", *RoleSerializer.Meta.fields]


def _binding_field(model):
    return serializers.PrimaryKeyRelatedField(
        queryset=model.objects.all(),
        required=False,
        allow_null=True,
        pk_field=serializers.IntegerField(min_value=1, max_value=2**63 - 1),
    )


class RoleGrantSerializer(StrictSerializer):
    """A role to grant: its kind, exactly the one place (or company) it is bound to, and an inspector's tier."""

    kind = serializers.ChoiceField(choices=RoleKind.choices)
    # Any existing place or company (an unknown id is a 400 ``does_not_exist``); whether the granter may bind a role
    # there is the service's decision (403).
    province = _binding_field(Province)
    city = _binding_field(City)
    district = _binding_field(District)
    subdistrict = _binding_field(Subdistrict)
    community = _binding_field(Community)
    company = _binding_field(Company)
    tier = serializers.ChoiceField(choices=InspectionTier.choices, required=False, allow_null=True)
    title = serializers.CharField(max_length=60, required=False, allow_blank=True)


class RoleCreateSerializer(RoleGrantSerializer):
    user = serializers.IntegerField(min_value=1)


class PortalUserSerializer(StrictModelSerializer):
    roles = ManagedRoleSerializer(many=True, read_only=True)

    class Meta:
        model = User
        fields = ["id", "username", "display_name", "email", "phone", "is_active", "date_joined", "last_login", "roles"]
        read_only_fields = ["id", "username", "is_active", "date_joined", "last_login", "roles"]


class UserInviteSerializer(StrictSerializer):
    username = serializers.CharField(max_length=150)
    email = serializers.CharField(max_length=254)
    display_name = serializers.CharField(max_length=50, required=False, allow_blank=True)
    phone = serializers.CharField(max_length=20, required=False, allow_blank=True)
    role = RoleGrantSerializer()


class CompanySerializer(StrictModelSerializer):
    # Declared here, without the model's validators: the service checks them and answers with one error code each.
    name = serializers.CharField(max_length=120)
    credit_code = serializers.CharField(max_length=18, help_text="统一社会信用代码: 18 characters, GB 32100-2015.")

    class Meta:
        model = Company
        fields = ["id", "name", "kind", "credit_code", "contact_name", "contact_phone"]
        read_only_fields = ["id"]


class TaskForceMemberSerializer(StrictModelSerializer):
    display = serializers.CharField(source="__str__", read_only=True)

    class Meta:
        model = TaskForceMember
        fields = ["id", "user", "name", "role", "working_group", "display"]
        read_only_fields = ["id", "display"]


class TaskForceSerializer(StrictModelSerializer):
    members = TaskForceMemberSerializer(many=True, read_only=True)

    class Meta:
        model = TaskForce
        fields = ["id", "level", "name", "district", "subdistrict", "community", "compound", "updated_at", "members"]
        read_only_fields = fields


class TaskForceCreateSerializer(StrictSerializer):
    level = serializers.ChoiceField(choices=TaskForceLevel.choices)
    place = serializers.IntegerField(help_text="The id of the district, subdistrict, community or compound.")
    name = serializers.CharField(max_length=80)


class TaskForceMemberInputSerializer(StrictSerializer):
    user = serializers.IntegerField(required=False, allow_null=True, default=None)
    name = serializers.CharField(max_length=50, required=False, allow_blank=True, default="")
    role = serializers.CharField(max_length=60, required=False, allow_blank=True, default="")
    working_group = serializers.ChoiceField(choices=WorkingGroup.choices, required=False, allow_blank=True, default="")


class PlacesImportSerializer(StrictSerializer):
    subdistrict = serializers.IntegerField(min_value=1)
    file = serializers.FileField(
        help_text="CSV or XLSX; header: 社区代码, 小区代码, 小区名称, 地址, 建成年份, 楼栋号, 层数, 户数."
    )
    dry_run = serializers.BooleanField(default=True, help_text="Check only (the default): nothing is written.")


class PlacesImportReportSerializer(StrictSerializer):
    dry_run = serializers.BooleanField()
    committed = serializers.BooleanField()
    compounds_created = serializers.IntegerField()
    compounds_updated = serializers.IntegerField()
    buildings_created = serializers.IntegerField()
    buildings_updated = serializers.IntegerField()
    errors = serializers.ListField(child=serializers.DictField())


# --- Building leads (楼栋长) and contact boards (亮牌) ---


class CandidateSerializer(StrictSerializer):
    name = serializers.CharField(max_length=50)
    votes = serializers.IntegerField(min_value=0, max_value=1_000_000, required=False, allow_null=True, default=None)


class BuildingLeadSerializer(MaskPersonalDataMixin, StrictModelSerializer):
    """A building lead's record (current or ended). ``phone`` is the lead's private phone (masked for roles that
    may not see personal data); ``service_phone`` is what the contact board publishes."""

    masked_fields = ("phone",)
    compound = serializers.IntegerField(source="building.compound_id", read_only=True)
    building_number = serializers.CharField(source="building.number", read_only=True)
    is_current = serializers.BooleanField(read_only=True)
    candidates = CandidateSerializer(many=True, read_only=True)

    class Meta:
        model = BuildingLead
        fields = [
            "id",
            "building",
            "building_number",
            "compound",
            "name",
            "phone",
            "service_phone",
            "chosen_by",
            "chosen_on",
            "term_starts_on",
            "term_ends_on",
            "candidates",
            "basis",
            "ended_on",
            "is_current",
            "recorded_by",
            "created_at",
        ]
        read_only_fields = fields


class BuildingLeadCreateSerializer(StrictSerializer):
    """Appoint a lead or record an election of one building; the current lead's record is ended."""

    building = serializers.IntegerField(min_value=1, max_value=2**63 - 1)
    name = serializers.CharField(max_length=50)
    chosen_by = serializers.ChoiceField(choices=LeadChoice.choices)
    chosen_on = serializers.DateField(required=False, allow_null=True, default=None, help_text="Default: today.")
    phone = serializers.CharField(max_length=20, required=False, allow_blank=True, default="")
    service_phone = serializers.CharField(max_length=20, required=False, allow_blank=True, default="")
    term_starts_on = serializers.DateField(required=False, allow_null=True, default=None)
    term_ends_on = serializers.DateField(required=False, allow_null=True, default=None)
    candidates = CandidateSerializer(many=True, required=False, default=list)
    basis = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class BuildingLeadEndSerializer(StrictSerializer):
    ended_on = serializers.DateField(required=False, allow_null=True, default=None, help_text="Default: today.")


class BoardContactSerializer(StrictModelSerializer):
    class Meta:
        model = BoardContact
        fields = ["id", "compound", "building", "role", "name", "service_phone", "updated_at"]
        read_only_fields = fields


class BoardContactInputSerializer(StrictSerializer):
    """Post a role on the board of the compound's buildings (``building`` null: every building); an entry of the same
    role and place is replaced."""

    compound = serializers.IntegerField(min_value=1, max_value=2**63 - 1)
    building = serializers.IntegerField(min_value=1, max_value=2**63 - 1, required=False, allow_null=True, default=None)
    role = serializers.ChoiceField(choices=[(r.value, r.label) for r in BOARD_CONTACT_ROLES])
    name = serializers.CharField(max_length=80, required=False, allow_blank=True, default="")
    service_phone = serializers.CharField(max_length=20, required=False, allow_blank=True, default="")


class BoardLineSerializer(StrictSerializer):
    role = serializers.ChoiceField(choices=BoardRole.choices)
    label = serializers.CharField()
    name = serializers.CharField(help_text="Empty when nobody holds the role.")
    phone = serializers.CharField(help_text="The role's published service phone; empty when none.")


class BuildingBoardSerializer(StrictSerializer):
    building = serializers.IntegerField()
    number = serializers.CharField()
    lines = BoardLineSerializer(many=True)


# --- The "today" list (GET /api/v1/today/): the home page's sections for the signed-in user ---


@extend_schema_field({"type": "string", "nullable": True, "example": "2026-05-04"})
class DateOrDateTimeField(serializers.Field):
    """A date (an inspection's day, an issue's deadline) or a moment (a meeting's time), in ISO 8601."""

    def to_representation(self, value):
        if isinstance(value, datetime):
            return timezone.localtime(value).isoformat()
        return value.isoformat()


class TodayItemSerializer(serializers.Serializer):
    title = serializers.CharField()
    url = serializers.CharField(help_text="The web page where the action is done (a path on this site).")
    detail = serializers.CharField(help_text="Where and when, in one line ('' when none).")
    due = DateOrDateTimeField(allow_null=True, help_text="The day or moment it is due or happens, or null.")
    flag = serializers.CharField(help_text="A short label: overdue, sent back, today ('' when none).")
    tone = serializers.ChoiceField(choices=["danger", "warning", "info", "secondary"])


class TodayFigureSerializer(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()
    value = serializers.IntegerField()


class TodaySectionSerializer(serializers.Serializer):
    key = serializers.CharField(
        help_text="Stable: inspections_due, evidence_to_verify, issues_to_rectify, projects_needing_action, "
        "minutes_due, upcoming_meetings, problems_to_answer, open_votes, escalations, declarations_to_review, "
        "declarations_returned, patrol_findings, patrols_due, my_compounds, dashboard."
    )
    title = serializers.CharField()
    kind = serializers.ChoiceField(
        choices=["todo", "summary"], help_text="todo: things to do, counted in the total; summary: a summary."
    )
    count = serializers.IntegerField(help_text="How many there are; items lists the first ten.")
    more_url = serializers.CharField(help_text="The web page listing all of them ('' when none).")
    items = TodayItemSerializer(many=True)
    figures = TodayFigureSerializer(many=True)


class TodaySerializer(serializers.Serializer):
    date = serializers.DateField()
    total = serializers.IntegerField(help_text="The number of things to do: the sum of the todo sections' counts.")
    sections = TodaySectionSerializer(many=True)
