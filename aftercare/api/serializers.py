from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from aftercare.choices import (
    FindingResponsible,
    LedgerKind,
    OrganiserKind,
    ResponsibleKind,
    SpaceKind,
    WarrantyCategory,
)
from aftercare.models import (
    Activity,
    ActivityPhoto,
    AftercareRecord,
    HandoverDocument,
    LedgerEntry,
    LedgerQuarter,
    Patrol,
    PatrolFinding,
    PatrolResult,
    ServiceForm,
    ServiceItem,
    Space,
    WarrantyPeriod,
)
from consultations.models import Vote
from inspections.choices import Outcome, Severity
from renovation_portal.api import WholeListField
from renovation_portal.serializers import StrictModelSerializer, StrictSerializer
from renovation_portal.uploads import PhotoField


class AftercareRecordSerializer(StrictModelSerializer):
    compound_name = serializers.CharField(source="compound.name", read_only=True)
    compound_code = serializers.CharField(source="compound.code", read_only=True)

    class Meta:
        model = AftercareRecord
        fields = ["id", "compound", "compound_name", "compound_code", "project", "opened_on", "responsible_kind",
                  "property_service", "owners_body", "responsible_note", "standards", "updated_at"]  # fmt: skip
        read_only_fields = [f for f in fields if f not in ("responsible_kind", "responsible_note", "standards")]


class AftercareRecordWriteSerializer(StrictSerializer):
    responsible_kind = serializers.ChoiceField(choices=ResponsibleKind.choices, required=False)
    responsible_note = serializers.CharField(max_length=200, required=False, allow_blank=True)
    standards = serializers.CharField(max_length=5000, required=False)


class WarrantySerializer(StrictModelSerializer):
    class Meta:
        model = WarrantyPeriod
        fields = ["id", "record", "project", "category", "starts_on", "ends_on", "basis", "updated_at"]
        read_only_fields = ["id", "record", "project", "category", "starts_on", "updated_at"]


class WarrantyWriteSerializer(StrictSerializer):
    ends_on = serializers.DateField()
    basis = serializers.CharField(max_length=120, required=False, allow_blank=True, default="")


class HandoverDocumentSerializer(StrictModelSerializer):
    url = serializers.SerializerMethodField()

    class Meta:
        model = HandoverDocument
        fields = ["id", "record", "title", "kind", "url", "uploaded_at"]
        read_only_fields = fields

    @extend_schema_field(serializers.CharField())
    def get_url(self, document) -> str:
        return f"/api/v1/aftercare/documents/{document.pk}/file/"


class HandoverDocumentUploadSerializer(StrictSerializer):
    record = serializers.PrimaryKeyRelatedField(queryset=AftercareRecord.objects.all())
    file = serializers.FileField(help_text="A PDF (at most 20 MB) or a JPEG, PNG or WebP photo (at most 10 MB).")
    title = serializers.CharField(max_length=120)


class ServiceItemSerializer(StrictModelSerializer):
    class Meta:
        model = ServiceItem
        fields = ["service", "provider", "frequency", "price", "price_unit"]
        extra_kwargs = {"price": {"required": False}, "price_unit": {"required": False}}


class ServiceFormSerializer(StrictModelSerializer):
    items = ServiceItemSerializer(many=True, read_only=True)

    class Meta:
        model = ServiceForm
        fields = ["id", "record", "version", "published_on", "property_mode", "note", "created_at", "items"]
        read_only_fields = fields


class ServiceFormWriteSerializer(StrictSerializer):
    record = serializers.PrimaryKeyRelatedField(queryset=AftercareRecord.objects.all())
    published_on = serializers.DateField(required=False, help_text="In force from (default: today).")
    note = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")
    items = WholeListField(child=ServiceItemSerializer(), max_length=60)


class LedgerEntrySerializer(StrictModelSerializer):
    class Meta:
        model = LedgerEntry
        fields = ["id", "record", "kind", "direction", "entry_date", "amount", "purpose", "approval_kind", "decision",
                  "decided_on", "vote", "corrects", "recorded_by", "created_at", "updated_at"]  # fmt: skip
        read_only_fields = fields


class LedgerEntryWriteSerializer(StrictSerializer):
    record = serializers.PrimaryKeyRelatedField(queryset=AftercareRecord.objects.all())
    kind = serializers.ChoiceField(choices=LedgerKind.choices, required=False, help_text="Not for a correction.")
    entry_date = serializers.DateField()
    amount = serializers.DecimalField(max_digits=12, decimal_places=2, help_text="Negative only in a correction.")
    purpose = serializers.CharField(max_length=200)
    decision = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")
    decided_on = serializers.DateField(required=False, allow_null=True, default=None)
    vote = serializers.PrimaryKeyRelatedField(
        queryset=Vote.objects.all(), required=False, allow_null=True, default=None,
        help_text="The owners' passed vote (required from the threshold up).",
    )  # fmt: skip
    corrects = serializers.PrimaryKeyRelatedField(
        queryset=LedgerEntry.objects.all(), required=False, allow_null=True, default=None,
        help_text="The entry this one corrects.",
    )  # fmt: skip


class LedgerLineSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=LedgerKind.choices)
    direction = serializers.CharField()
    amount = serializers.DecimalField(max_digits=12, decimal_places=2)


class LedgerQuarterSerializer(StrictModelSerializer):
    totals = LedgerLineSerializer(many=True, read_only=True)

    class Meta:
        model = LedgerQuarter
        fields = ["id", "record", "year", "quarter", "starts_on", "ends_on", "totals", "income_total",
                  "spending_total", "published_by", "published_at"]  # fmt: skip
        read_only_fields = fields


class LedgerQuarterPublishSerializer(StrictSerializer):
    record = serializers.PrimaryKeyRelatedField(queryset=AftercareRecord.objects.all())
    year = serializers.IntegerField(min_value=2000, max_value=2100)
    quarter = serializers.IntegerField(min_value=1, max_value=4)


class SpaceSerializer(StrictModelSerializer):
    class Meta:
        model = Space
        fields = ["id", "record", "name", "kind", "area", "opened_on", "description", "updated_at"]
        read_only_fields = fields


class SpaceWriteSerializer(StrictSerializer):
    record = serializers.PrimaryKeyRelatedField(queryset=AftercareRecord.objects.all())
    name = serializers.CharField(max_length=80)
    kind = serializers.ChoiceField(choices=SpaceKind.choices)
    area = serializers.DecimalField(max_digits=10, decimal_places=2, help_text="m²")
    opened_on = serializers.DateField(required=False, allow_null=True, default=None)
    description = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")


class ActivityPhotoSerializer(StrictModelSerializer):
    url = serializers.SerializerMethodField()

    class Meta:
        model = ActivityPhoto
        fields = ["id", "url", "uploaded_at"]
        read_only_fields = fields

    @extend_schema_field(serializers.CharField())
    def get_url(self, photo) -> str:
        return f"/api/v1/aftercare/activity-photos/{photo.pk}/file/"


class ActivitySerializer(StrictModelSerializer):
    record = serializers.IntegerField(source="space.record_id", read_only=True)
    photos = ActivityPhotoSerializer(many=True, read_only=True)

    class Meta:
        model = Activity
        fields = ["id", "record", "space", "title", "held_on", "organiser_kind", "description", "capacity", "signups",
                  "attendance", "photos", "updated_at"]  # fmt: skip
        read_only_fields = fields


class ActivityWriteSerializer(StrictSerializer):
    space = serializers.PrimaryKeyRelatedField(queryset=Space.objects.all())
    title = serializers.CharField(max_length=120)
    held_on = serializers.DateField()
    organiser_kind = serializers.ChoiceField(choices=OrganiserKind.choices)
    description = serializers.CharField(max_length=4000, required=False, allow_blank=True, default="")
    capacity = serializers.IntegerField(min_value=1, max_value=100000, required=False, allow_null=True, default=None)


class SignupSerializer(StrictSerializer):
    count = serializers.IntegerField(min_value=1, max_value=10000)


class AttendanceSerializer(StrictSerializer):
    attendance = serializers.IntegerField(min_value=0, max_value=100000)


class ActivityPhotoUploadSerializer(StrictSerializer):
    photos = WholeListField(child=PhotoField(), min_length=1, max_length=10)


# --- patrols ---


class PatrolResultSerializer(StrictModelSerializer):
    class Meta:
        model = PatrolResult
        fields = ["item", "outcome", "note"]
        read_only_fields = fields


class PatrolFindingSerializer(StrictModelSerializer):
    deadline = serializers.DateField(source="issue.deadline", read_only=True)
    status = serializers.CharField(source="issue.status", read_only=True)
    description = serializers.CharField(source="issue.description", read_only=True)
    contractor = serializers.IntegerField(source="issue.contractor_id", read_only=True, allow_null=True)
    property_company = serializers.IntegerField(source="issue.property_company_id", read_only=True, allow_null=True)
    community = serializers.IntegerField(source="issue.community_id", read_only=True, allow_null=True)
    warranty_category = serializers.CharField(source="issue.warranty_category", read_only=True)

    class Meta:
        model = PatrolFinding
        fields = ["id", "issue", "responsible", "warranty", "description", "deadline", "status", "contractor",
                  "property_company", "community", "warranty_category"]  # fmt: skip
        read_only_fields = fields


class PatrolSerializer(StrictModelSerializer):
    compound_name = serializers.CharField(source="record.compound.name", read_only=True)
    standard_name = serializers.CharField(source="template.name", read_only=True)
    results = PatrolResultSerializer(many=True, read_only=True)
    findings = PatrolFindingSerializer(many=True, read_only=True)

    class Meta:
        model = Patrol
        fields = ["id", "record", "compound_name", "template", "standard_name", "patrolled_on", "patrolled_by",
                  "summary", "filed_at", "updated_at", "results", "findings"]  # fmt: skip
        read_only_fields = fields


class PatrolAnswerSerializer(StrictSerializer):
    item = serializers.IntegerField()
    outcome = serializers.ChoiceField(choices=Outcome.choices)
    note = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")


class PatrolFindingInputSerializer(StrictSerializer):
    item = serializers.IntegerField()
    description = serializers.CharField(max_length=2000)
    location = serializers.CharField(max_length=120)
    severity = serializers.ChoiceField(choices=Severity.choices)
    responsible = serializers.ChoiceField(
        choices=FindingResponsible.choices,
        help_text="contractor: a warranty defect (give its warranty_category); refused once that warranty ended.",
    )
    warranty_category = serializers.ChoiceField(
        choices=WarrantyCategory.choices, required=False, allow_blank=True, default=""
    )
    deadline = serializers.DateField(required=False, allow_null=True, default=None)


class PatrolFileSerializer(StrictSerializer):
    record = serializers.IntegerField()
    standard = serializers.IntegerField(help_text="An aftercare checklist (GET .../patrols/standards/?record=).")
    results = WholeListField(child=PatrolAnswerSerializer(), max_length=200)
    findings = WholeListField(child=PatrolFindingInputSerializer(), required=False, default=list, max_length=200)
    summary = serializers.CharField(required=False, allow_blank=True, max_length=5000, default="")


class StandardSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    version = serializers.IntegerField()
    items = serializers.SerializerMethodField()

    def get_items(self, template) -> list[dict]:
        return [{"id": i.pk, "position": i.position, "code": i.code, "text": i.text} for i in template.items.all()]
