from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from communities.models import Company, Compound
from projects.choices import FundingSource, FundingStage, Party, ScopeCategory
from projects.models import (
    FundingEntry,
    PlanConfirmation,
    PlanVersion,
    ProgressPhoto,
    ProgressReport,
    Project,
    ProjectEvent,
    ProjectFunding,
    ReportQuantity,
    ScopeItem,
)
from projects.services import TRANSITIONS
from renovation_portal.api import WholeListField
from renovation_portal.serializers import StrictModelSerializer, StrictSerializer
from renovation_portal.uploads import PhotoField


class ProjectFundingSerializer(StrictModelSerializer):
    class Meta:
        model = ProjectFunding
        fields = ["source", "amount"]


class FundingEntrySerializer(StrictModelSerializer):
    """One movement of a project's money. Amounts are decimal strings in yuan, exact to the fen ("1234.56")."""

    project_name = serializers.CharField(source="project.name", read_only=True)
    recorded_by_name = serializers.CharField(source="recorded_by.display_name", read_only=True)

    class Meta:
        model = FundingEntry
        fields = [
            "id",
            "project",
            "project_name",
            "source",
            "stage",
            "amount",
            "date",
            "document_number",
            "note",
            "recorded_by",
            "recorded_by_name",
            "created_at",
            "voided_at",
            "voided_by",
            "void_reason",
            "updated_at",
        ]
        read_only_fields = fields


class FundingVoidSerializer(StrictSerializer):
    reason = serializers.CharField(max_length=200, help_text="Why the entry is voided (kept in the ledger).")


class FundingEntryCreateSerializer(StrictSerializer):
    project = serializers.IntegerField(help_text="The id of a project in your scope.")
    source = serializers.ChoiceField(choices=FundingSource.choices)
    stage = serializers.ChoiceField(
        choices=FundingStage.choices,
        help_text="allocated (下达) and disbursed (拨付): district officials; spent: district and subdistrict "
        "officials over the project.",
    )
    amount = serializers.DecimalField(
        max_digits=14,
        decimal_places=2,
        help_text='Yuan, more than zero, at most two decimals; send it as a string ("0.30") to keep it exact.',
    )
    date = serializers.DateField()
    document_number = serializers.CharField(max_length=80)
    note = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class ProjectSerializer(StrictModelSerializer):
    compound_name = serializers.CharField(source="compound.name", read_only=True)
    community = serializers.IntegerField(source="compound.community_id", read_only=True)
    subdistrict = serializers.IntegerField(source="compound.community.subdistrict_id", read_only=True)
    contractor_name = serializers.CharField(source="contractor.name", default=None, read_only=True)
    is_overdue = serializers.BooleanField(read_only=True)

    class Meta:
        model = Project
        fields = [
            "id",
            "name",
            "compound",
            "compound_name",
            "community",
            "subdistrict",
            "batch",
            "status",
            "contractor",
            "contractor_name",
            "contract_number",
            "contract_amount",
            "awarded_on",
            "designer",
            "supervisor",
            "budget",
            "engineering_coordinator",
            "masses_coordinator",
            "planned_start",
            "planned_finish",
            "actual_start",
            "actual_finish",
            "progress_percent",
            "is_overdue",
            "updated_at",
        ]
        read_only_fields = [
            "id",
            "compound",
            "status",
            "actual_start",
            "actual_finish",
            "progress_percent",
            "updated_at",
        ]


class ProjectCreateSerializer(StrictSerializer):
    """A new project: from an item of an annual plan (``plan_item``: its compound, year and name are the defaults)
    or, for an official, directly on a compound of her scope. The EPC award and the designer and supervisor may be
    given at once."""

    plan_item = serializers.IntegerField(required=False, help_text="The annual-plan item the project comes from.")
    compound = serializers.PrimaryKeyRelatedField(queryset=Compound.objects.all(), required=False)
    name = serializers.CharField(required=False, allow_blank=True, max_length=120, default="")
    batch = serializers.IntegerField(required=False, min_value=2000, max_value=2100)
    contractor = serializers.PrimaryKeyRelatedField(queryset=Company.objects.all(), required=False, allow_null=True)
    contract_number = serializers.CharField(required=False, allow_blank=True, max_length=60)
    contract_amount = serializers.DecimalField(
        max_digits=14, decimal_places=2, min_value=0, required=False, allow_null=True
    )
    awarded_on = serializers.DateField(required=False, allow_null=True)
    designer = serializers.PrimaryKeyRelatedField(queryset=Company.objects.all(), required=False, allow_null=True)
    supervisor = serializers.PrimaryKeyRelatedField(queryset=Company.objects.all(), required=False, allow_null=True)
    budget = serializers.DecimalField(max_digits=14, decimal_places=2, min_value=0, required=False)
    engineering_coordinator = serializers.CharField(required=False, allow_blank=True, max_length=50)
    engineering_coordinator_phone = serializers.CharField(required=False, allow_blank=True, max_length=20)
    masses_coordinator = serializers.CharField(required=False, allow_blank=True, max_length=50)
    planned_start = serializers.DateField(required=False, allow_null=True)
    planned_finish = serializers.DateField(required=False, allow_null=True)


class ProjectEventSerializer(StrictModelSerializer):
    actor_name = serializers.CharField(source="actor.__str__", read_only=True)

    class Meta:
        model = ProjectEvent
        fields = ["id", "from_status", "to_status", "actor", "actor_name", "note", "created_at"]


class ProjectDetailSerializer(ProjectSerializer):
    funding = ProjectFundingSerializer(many=True, read_only=True)
    events = ProjectEventSerializer(many=True, read_only=True)

    class Meta(ProjectSerializer.Meta):
        fields = [*ProjectSerializer.Meta.fields, "liaisons", "funding", "events"]
        read_only_fields = ["liaisons"]


class LiaisonSerializer(StrictSerializer):
    user = serializers.IntegerField(help_text="The id of a subdistrict or district official to hook to the project.")


class TransitionSerializer(StrictSerializer):
    transition = serializers.ChoiceField(choices=list(TRANSITIONS))
    note = serializers.CharField(required=False, allow_blank=True, max_length=2000, default="")


class PlanConfirmationSerializer(StrictModelSerializer):
    class Meta:
        model = PlanConfirmation
        fields = ["id", "party", "signatory", "note", "confirmed_by", "confirmed_at"]
        read_only_fields = ["id", "confirmed_by", "confirmed_at"]


class PlanVersionSerializer(StrictModelSerializer):
    confirmations = PlanConfirmationSerializer(many=True, read_only=True)
    is_current = serializers.SerializerMethodField()

    class Meta:
        model = PlanVersion
        fields = [
            "id",
            "project",
            "number",
            "summary",
            "changes",
            "created_by",
            "created_at",
            "confirmations",
            "is_current",
        ]
        read_only_fields = ["id", "number", "created_by", "created_at"]

    @extend_schema_field(serializers.BooleanField())
    def get_is_current(self, plan) -> bool:
        latest = self.context.get("latest_numbers", {}).get(plan.project_id)
        return latest is None or plan.number == latest


class ConfirmSerializer(StrictSerializer):
    party = serializers.ChoiceField(choices=Party.choices)
    signatory = serializers.CharField(required=False, allow_blank=True, max_length=80, default="")
    note = serializers.CharField(required=False, allow_blank=True, max_length=200, default="")


class ScopeItemSerializer(StrictModelSerializer):
    category = serializers.ChoiceField(choices=ScopeCategory.choices)
    unit = serializers.CharField(required=False, allow_blank=True, max_length=20)

    class Meta:
        model = ScopeItem
        fields = [
            "id",
            "project",
            "category",
            "work_class",
            "name",
            "unit",
            "planned_quantity",
            "completed_quantity",
            "excavation_start",
            "excavation_end",
            "updated_at",
        ]
        read_only_fields = ["id", "completed_quantity", "updated_at"]
        # The model's default of 0 would make the item's progress meaningless: the client must say how much.
        extra_kwargs = {"planned_quantity": {"required": True}}

    def get_fields(self):
        fields = super().get_fields()
        if self.instance is not None:  # a scope item never moves to another project
            fields["project"].read_only = True
        return fields


class ReportQuantitySerializer(StrictModelSerializer):
    class Meta:
        model = ReportQuantity
        fields = ["scope_item", "quantity"]


class ProgressPhotoSerializer(StrictModelSerializer):
    url = serializers.SerializerMethodField()
    thumbnail_url = serializers.SerializerMethodField()

    class Meta:
        model = ProgressPhoto
        fields = ["id", "url", "thumbnail_url", "taken_at", "latitude", "longitude", "uploaded_at"]

    @extend_schema_field(serializers.CharField())
    def get_url(self, photo) -> str:
        return f"/api/v1/progress-photos/{photo.pk}/image/"

    @extend_schema_field(serializers.CharField())
    def get_thumbnail_url(self, photo) -> str:
        return f"/api/v1/progress-photos/{photo.pk}/thumbnail/"


class ProgressReportSerializer(StrictModelSerializer):
    quantities = ReportQuantitySerializer(many=True, read_only=True)
    photos = ProgressPhotoSerializer(many=True, read_only=True)

    class Meta:
        model = ProgressReport
        fields = [
            "id",
            "project",
            "report_date",
            "work_done",
            "percent_complete",
            "manpower",
            "weather",
            "issues_met",
            "created_by",
            "created_at",
            "updated_at",
            "quantities",
            "photos",
        ]
        read_only_fields = ["id", "created_by", "created_at", "updated_at"]


class ProgressReportCreateSerializer(StrictSerializer):
    """Multipart: the report's fields, ``quantities`` as JSON {"<scope item id>": quantity}, and up to ten
    ``photos`` files, with optional ``photo_taken_at``, ``photo_latitude``, ``photo_longitude`` lists in the same
    order."""

    project = serializers.IntegerField()
    report_date = serializers.DateField()
    work_done = serializers.CharField(max_length=5000)
    percent_complete = serializers.IntegerField(min_value=0, max_value=100)
    manpower = serializers.IntegerField(min_value=0, max_value=100000, default=0)
    weather = serializers.CharField(max_length=40, required=False, allow_blank=True, default="")
    issues_met = serializers.CharField(max_length=5000, required=False, allow_blank=True, default="")
    quantities = serializers.JSONField(required=False, default=dict)
    photos = WholeListField(child=PhotoField(), required=False, default=list, max_length=10)
    photo_taken_at = WholeListField(child=serializers.DateTimeField(), required=False, default=list)
    photo_latitude = WholeListField(
        child=serializers.DecimalField(max_digits=9, decimal_places=6, min_value=-90, max_value=90),
        required=False,
        default=list,
    )
    photo_longitude = WholeListField(
        child=serializers.DecimalField(max_digits=9, decimal_places=6, min_value=-180, max_value=180),
        required=False,
        default=list,
    )

    def validate_quantities(self, value):
        if not isinstance(value, dict):
            raise serializers.ValidationError(
                'Give quantities as an object {"<scope item id>": number}.', code="invalid"
            )
        cleaned = {}
        for key, quantity in value.items():
            try:
                cleaned[int(key)] = serializers.DecimalField(
                    max_digits=14, decimal_places=2, min_value=0
                ).to_internal_value(quantity)
            except (TypeError, ValueError, serializers.ValidationError):
                raise serializers.ValidationError(
                    "Each quantity is a non-negative number keyed by a scope item id.", code="invalid"
                ) from None
        return cleaned


class ScopeTotalSerializer(StrictSerializer):
    node = serializers.IntegerField()
    category = serializers.CharField(source="item_category")
    planned = serializers.DecimalField(max_digits=16, decimal_places=2)
    completed = serializers.DecimalField(max_digits=16, decimal_places=2)
    items = serializers.IntegerField()
