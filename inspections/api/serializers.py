from rest_framework import serializers

from inspections.choices import InspectionTier, Outcome, Severity
from inspections.models import ChecklistItem, ChecklistTemplate, Inspection, IssuePhoto, RectificationIssue
from renovation_portal.api import WholeListField
from renovation_portal.serializers import StrictModelSerializer, StrictSerializer
from renovation_portal.uploads import PhotoField


class ChecklistItemSerializer(StrictModelSerializer):
    class Meta:
        model = ChecklistItem
        fields = ["id", "position", "code", "text", "kind", "max_score"]


class ChecklistTemplateSerializer(StrictModelSerializer):
    items = ChecklistItemSerializer(many=True, read_only=True)

    class Meta:
        model = ChecklistTemplate
        fields = ["id", "name", "tier", "version", "items"]


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
        fields = ["id", "kind", "taken_at", "latitude", "longitude", "uploaded_at"]


class IssueSerializer(StrictModelSerializer):
    photos = IssuePhotoSerializer(many=True, read_only=True)
    compound_name = serializers.CharField(source="project.compound.name", read_only=True)

    class Meta:
        model = RectificationIssue
        fields = [
            "id",
            "inspection",
            "project",
            "compound_name",
            "contractor",
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
