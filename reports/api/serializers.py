from rest_framework import serializers

from communities.models import District
from renovation_portal.serializers import StrictModelSerializer, StrictSerializer
from reports.models import MonthlyReport


class MonthlyReportSerializer(StrictModelSerializer):
    district_name = serializers.CharField(source="district.name", read_only=True)
    submitted_by_name = serializers.CharField(source="submitted_by.__str__", read_only=True)
    figures = serializers.JSONField(
        read_only=True,
        help_text="The frozen table: progress rows (key, label, month, ytd, target, percent) and investment rows "
        "(source, label, month, ytd; yuan as strings to the fen).",
    )

    class Meta:
        model = MonthlyReport
        fields = [
            "id",
            "district",
            "district_name",
            "year",
            "month",
            "version",
            "figures",
            "note",
            "submitted_by",
            "submitted_by_name",
            "submitted_at",
        ]
        read_only_fields = fields


class MonthlyReportSubmitSerializer(StrictSerializer):
    district = serializers.PrimaryKeyRelatedField(
        queryset=District.objects.all(), pk_field=serializers.IntegerField(min_value=1, max_value=2**63 - 1)
    )
    year = serializers.IntegerField(min_value=2000, max_value=2100)
    month = serializers.IntegerField(min_value=1, max_value=12)
    note = serializers.CharField(max_length=2000, required=False, allow_blank=True)


class MonthlyReportPreviewQuerySerializer(serializers.Serializer):  # query parameters: others (format) pass
    district = serializers.IntegerField(min_value=1, max_value=2**63 - 1)
    year = serializers.IntegerField(min_value=2000, max_value=2100)
    month = serializers.IntegerField(min_value=1, max_value=12)
