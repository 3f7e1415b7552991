from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from communities.models import Company, Compound, District, Subdistrict
from consultations.models import Vote
from planning.choices import BatchKind
from planning.models import (
    AnnualPlan,
    Declaration,
    DeclarationAttachment,
    DeclarationFunding,
    DeclarationItem,
    DeclarationReview,
    PlanBatch,
    PlanItem,
)
from projects.choices import FundingSource
from projects.models import TargetShare
from renovation_portal.api import WholeListField
from renovation_portal.serializers import StrictModelSerializer, StrictSerializer


class DeclarationItemSerializer(StrictModelSerializer):
    class Meta:
        model = DeclarationItem
        fields = ["work_class", "category", "description", "quantity", "unit", "estimated_cost"]
        extra_kwargs = {"description": {"required": False}, "unit": {"required": False}}


class DeclarationFundingSerializer(StrictModelSerializer):
    class Meta:
        model = DeclarationFunding
        fields = ["source", "amount"]


class DeclarationAttachmentSerializer(StrictModelSerializer):
    url = serializers.SerializerMethodField()

    class Meta:
        model = DeclarationAttachment
        fields = ["id", "kind", "title", "url", "uploaded_at"]

    @extend_schema_field(serializers.CharField())
    def get_url(self, attachment) -> str:
        return f"/api/v1/declaration-attachments/{attachment.pk}/file/"


class DeclarationReviewSerializer(StrictModelSerializer):
    actor_name = serializers.CharField(source="actor.__str__", read_only=True)

    class Meta:
        model = DeclarationReview
        fields = ["id", "round", "action", "actor", "actor_name", "note", "created_at"]


class DeclarationSerializer(StrictModelSerializer):
    compound_name = serializers.CharField(source="compound.name", read_only=True)
    subdistrict = serializers.IntegerField(source="compound.community.subdistrict_id", read_only=True)
    plan_year = serializers.IntegerField(source="plan_item.plan.year", default=None, read_only=True)

    class Meta:
        model = Declaration
        fields = ["id", "compound", "compound_name", "subdistrict", "status", "round", "declared_by", "needs_summary",
                  "topic", "vote", "buildings_affected", "households_affected", "residents_affected",
                  "estimated_cost", "last_reason", "submitted_at", "decided_at", "plan_year", "updated_at"]  # fmt: skip
        read_only_fields = fields


class DeclarationDetailSerializer(DeclarationSerializer):
    items = DeclarationItemSerializer(many=True, read_only=True)
    funding = DeclarationFundingSerializer(many=True, read_only=True)
    attachments = DeclarationAttachmentSerializer(many=True, read_only=True)
    reviews = DeclarationReviewSerializer(many=True, read_only=True)

    class Meta(DeclarationSerializer.Meta):
        fields = [*DeclarationSerializer.Meta.fields, "items", "funding", "attachments", "reviews"]
        read_only_fields = fields


class DeclarationWriteSerializer(StrictSerializer):
    """Create (all of it) or amend (any part; ``items`` and ``funding`` replace the old ones)."""

    compound = serializers.PrimaryKeyRelatedField(queryset=Compound.objects.all())
    vote = serializers.PrimaryKeyRelatedField(
        queryset=Vote.objects.all(), help_text="The owners' passed, compound-wide willingness vote."
    )
    needs_summary = serializers.CharField(max_length=5000)
    buildings_affected = serializers.IntegerField(min_value=0, max_value=100000, required=False)
    households_affected = serializers.IntegerField(min_value=0, max_value=1000000, required=False)
    residents_affected = serializers.IntegerField(min_value=0, max_value=10000000, required=False)
    items = WholeListField(child=DeclarationItemSerializer(), required=False, max_length=200)
    funding = WholeListField(child=DeclarationFundingSerializer(), required=False, max_length=20)

    def get_fields(self):
        fields = super().get_fields()
        if self.partial:
            fields.pop("compound")
        return fields


class ReasonSerializer(StrictSerializer):
    reason = serializers.CharField(required=False, allow_blank=True, max_length=5000, default="")


class AttachmentUploadSerializer(StrictSerializer):
    file = serializers.FileField(help_text="A JPEG, PNG or WebP photo (at most 10 MB) or a PDF (at most 20 MB).")
    title = serializers.CharField(required=False, allow_blank=True, max_length=120, default="")


class PlanBatchSerializer(StrictModelSerializer):
    class Meta:
        model = PlanBatch
        fields = ["id", "number", "kind", "name"]
        read_only_fields = ["id", "number"]


class BatchCreateSerializer(StrictSerializer):
    kind = serializers.ChoiceField(choices=BatchKind.choices)
    name = serializers.CharField(required=False, allow_blank=True, max_length=60, default="")


class PlanItemSerializer(StrictModelSerializer):
    compound = serializers.IntegerField(source="declaration.compound_id", read_only=True)
    compound_name = serializers.CharField(source="declaration.compound.name", read_only=True)
    subdistrict = serializers.IntegerField(source="declaration.compound.community.subdistrict_id", read_only=True)
    estimated_cost = serializers.DecimalField(
        source="declaration.estimated_cost", max_digits=14, decimal_places=2, read_only=True
    )

    class Meta:
        model = PlanItem
        fields = ["id", "plan", "batch", "declaration", "compound", "compound_name", "subdistrict", "estimated_cost",
                  "project", "created_at", "updated_at"]  # fmt: skip
        read_only_fields = fields


class PlanItemCreateSerializer(StrictSerializer):
    declaration = serializers.PrimaryKeyRelatedField(queryset=Declaration.objects.all())
    batch = serializers.PrimaryKeyRelatedField(queryset=PlanBatch.objects.all())


class TargetShareSerializer(StrictModelSerializer):
    subdistrict = serializers.PrimaryKeyRelatedField(queryset=Subdistrict.objects.all())

    class Meta:
        model = TargetShare
        fields = ["subdistrict", "to_start", "to_finish"]


class TargetsSerializer(StrictSerializer):
    """The district's target for the plan's year and each subdistrict's share (the shares given replace all)."""

    to_start = serializers.IntegerField(min_value=0, max_value=1000000)
    to_finish = serializers.IntegerField(min_value=0, max_value=1000000)
    shares = WholeListField(child=TargetShareSerializer(), required=False, default=list, max_length=500)
    notes = serializers.ListField(child=serializers.CharField(), read_only=True)


class AnnualPlanSerializer(StrictModelSerializer):
    district = serializers.PrimaryKeyRelatedField(queryset=District.objects.all())
    batches = PlanBatchSerializer(many=True, read_only=True)
    target = serializers.SerializerMethodField()

    class Meta:
        model = AnnualPlan
        fields = ["id", "district", "year", "note", "batches", "target", "created_at", "updated_at"]
        read_only_fields = ["id", "batches", "target", "created_at", "updated_at"]
        validators = []  # one per district and year: the service says so clearly

    @extend_schema_field(TargetsSerializer(allow_null=True))
    def get_target(self, plan):
        """The district's total and shares to district officials; a subdistrict official sees her own share only."""
        targets = self.context.get("targets", {})
        target = targets.get((plan.district_id, plan.year))
        if target is None:
            return None
        shares = list(target.shares.all())
        own = self.context.get("own_subdistricts")
        if own is not None:
            shares = [s for s in shares if s.subdistrict_id in own]
            return {"to_start": None, "to_finish": None, "shares": TargetShareSerializer(shares, many=True).data}
        return {
            "to_start": target.to_start,
            "to_finish": target.to_finish,
            "shares": TargetShareSerializer(shares, many=True).data,
        }


class AwardSerializer(StrictSerializer):
    """The EPC award of the project created from a plan item, and the designer and supervisor companies."""

    contractor = serializers.PrimaryKeyRelatedField(queryset=Company.objects.all())
    contract_number = serializers.CharField(max_length=60)
    contract_amount = serializers.DecimalField(max_digits=14, decimal_places=2, min_value=0)
    awarded_on = serializers.DateField()
    designer = serializers.PrimaryKeyRelatedField(queryset=Company.objects.all(), required=False, allow_null=True)
    supervisor = serializers.PrimaryKeyRelatedField(queryset=Company.objects.all(), required=False, allow_null=True)
    name = serializers.CharField(required=False, allow_blank=True, max_length=120, default="")
    planned_start = serializers.DateField(required=False, allow_null=True)
    planned_finish = serializers.DateField(required=False, allow_null=True)


FUNDING_SOURCES = FundingSource.values
