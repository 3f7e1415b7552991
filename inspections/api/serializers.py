from rest_framework import serializers

from inspections.choices import ChecklistKind, InspectionTier, ItemKind, Outcome, Severity
from inspections.models import (
    ChecklistItem,
    ChecklistTemplate,
    Inspection,
    InspectionGroup,
    IssuePhoto,
    RectificationIssue,
)
from renovation_portal.api import WholeListField
from renovation_portal.serializers import StrictModelSerializer, StrictSerializer
from renovation_portal.uploads import PhotoField


class ChecklistItemSerializer(StrictModelSerializer):
    class Meta:
        model = ChecklistItem
        fields = ["id", "position", "code", "text", "kind", "guideline_ref", "max_score"]


class ChecklistTemplateSerializer(StrictModelSerializer):
    items = ChecklistItemSerializer(many=True, read_only=True)

    class Meta:
        model = ChecklistTemplate
        fields = ["id", "name", "kind", "tier", "version", "district", "status", "published_at", "updated_at", "items"]
        read_only_fields = fields


class ItemInputSerializer(StrictSerializer):
    text = serializers.CharField(max_length=200)
    kind = serializers.ChoiceField(choices=ItemKind.choices, default=ItemKind.PASS_FAIL)
    guideline_ref = serializers.CharField(max_length=120, required=False, allow_blank=True, default="")
    max_score = serializers.IntegerField(min_value=0, max_value=1000, required=False, default=0)
    code = serializers.SlugField(max_length=40, required=False, allow_blank=True, default="")


class ChecklistCreateSerializer(StrictSerializer):
    name = serializers.CharField(max_length=80)
    kind = serializers.ChoiceField(
        choices=ChecklistKind.choices,
        default=ChecklistKind.INSPECTION,
        help_text="aftercare: a standard patrolled after handover (its tier is always 1).",
    )
    tier = serializers.ChoiceField(choices=InspectionTier.choices)
    district = serializers.IntegerField(help_text="The district whose checklist this is.")
    items = WholeListField(child=ItemInputSerializer(), max_length=200)


class SeedStandardsSerializer(StrictSerializer):
    district = serializers.IntegerField(help_text="The district that gets the default aftercare standards.")


class ChecklistItemsSerializer(StrictSerializer):
    """A draft's items, replaced as a whole."""

    items = WholeListField(child=ItemInputSerializer(), max_length=200)


class InspectionGroupSerializer(StrictModelSerializer):
    members = serializers.PrimaryKeyRelatedField(many=True, read_only=True)

    class Meta:
        model = InspectionGroup
        fields = ["id", "name", "tier", "district", "active", "members", "updated_at"]
        read_only_fields = ["id", "district", "members", "updated_at"]


class InspectionGroupCreateSerializer(StrictSerializer):
    name = serializers.CharField(max_length=80)
    tier = serializers.ChoiceField(choices=InspectionTier.choices)
    district = serializers.IntegerField()


class MemberSerializer(StrictSerializer):
    user = serializers.IntegerField()


class RankingSerializer(serializers.Serializer):
    project = serializers.IntegerField(source="pk")
    compound_name = serializers.CharField(source="compound.name")
    subdistrict_name = serializers.CharField(source="compound.community.subdistrict.name")
    contractor_name = serializers.CharField(source="contractor.name", default=None, allow_null=True)
    inspection = serializers.IntegerField(source="evaluation_id")
    score = serializers.IntegerField(source="evaluation_score")
    max_score = serializers.IntegerField(source="evaluation_max", allow_null=True)
    filed_at = serializers.DateTimeField(source="evaluation_filed_at")


class InspectionSerializer(StrictModelSerializer):
    compound_name = serializers.CharField(source="project.compound.name", read_only=True)

    class Meta:
        model = Inspection
        fields = [
            "id",
            "project",
            "compound_name",
            "tier",
            "group",
            "template",
            "planned_date",
            "unannounced",
            "status",
            "inspector",
            "summary",
            "score",
            "filed_at",
            "updated_at",
        ]


class StartSerializer(StrictSerializer):
    project = serializers.IntegerField()
    tier = serializers.ChoiceField(choices=InspectionTier.choices)


class ResultSerializer(StrictSerializer):
    item = serializers.IntegerField()
    outcome = serializers.ChoiceField(choices=Outcome.choices, required=False, allow_blank=True, default="")
    score = serializers.IntegerField(required=False, allow_null=True, min_value=0, max_value=1000)
    note = serializers.CharField(required=False, allow_blank=True, max_length=300, default="")


class FindingSerializer(StrictSerializer):
    item = serializers.IntegerField(required=False, allow_null=True)
    description = serializers.CharField(max_length=2000)
    location = serializers.CharField(max_length=120)
    severity = serializers.ChoiceField(choices=Severity.choices)
    deadline = serializers.DateField(required=False, allow_null=True)


class FileSerializer(StrictSerializer):
    results = WholeListField(child=ResultSerializer())
    findings = WholeListField(child=FindingSerializer(), required=False, default=list)
    summary = serializers.CharField(required=False, allow_blank=True, max_length=5000, default="")


class IssuePhotoSerializer(StrictModelSerializer):
    class Meta:
        model = IssuePhoto
        fields = ["id", "kind", "round", "taken_at", "latitude", "longitude", "uploaded_at"]


class IssueSerializer(StrictModelSerializer):
    photos = IssuePhotoSerializer(many=True, read_only=True)
    compound_name = serializers.CharField(source="project.compound.name", read_only=True)

    class Meta:
        model = RectificationIssue
        fields = [
            "id",
            "inspection",
            "origin",
            "project",
            "compound_name",
            "contractor",
            "property_company",
            "community",
            "warranty_category",
            "found_by",
            "kind",
            "description",
            "location",
            "severity",
            "deadline",
            "status",
            "tier",
            "escalated_to",
            "escalated_at",
            "rectification_note",
            "submitted_at",
            "closed_at",
            "created_at",
            "updated_at",
            "photos",
        ]


class SubmitSerializer(StrictSerializer):
    note = serializers.CharField(max_length=5000)
    photos = WholeListField(child=PhotoField(), max_length=10)


class NoteSerializer(StrictSerializer):
    note = serializers.CharField(required=False, allow_blank=True, max_length=2000, default="")
