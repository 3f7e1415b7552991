"""From declaration to annual plan (申报 → 审核 → 入库 → 年度计划).

A subdistrict (or the community, for its compounds) declares a compound for renovation once its owners have voted
for it; the district reviews each submission — returns it with reasons, approves it into the project library or
rejects it — and every round is kept (``DeclarationReview``). The district's annual plan draws approved
declarations into batches ("成熟一批、推动一批"); a plan item becomes a renovation project through
``projects.services.project_create``. The year's targets live with the projects app (``ProgrammeTarget`` and its
subdistrict shares), which the dashboards read.

States change only through planning/services.py.
"""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from planning.choices import IN_PROGRESS_STATUSES, AttachmentKind, BatchKind, DeclarationStatus, ReviewAction
from planning.querysets import AnnualPlanQuerySet, DeclarationQuerySet, DeclarationRecordQuerySet, PlanItemQuerySet
from projects.choices import FundingSource, ScopeCategory, WorkClass
from renovation_portal.uploads import private_upload_to

MONEY = {"max_digits": 14, "decimal_places": 2, "validators": [MinValueValidator(Decimal(0))]}


class Declaration(models.Model):
    """A compound declared for renovation (申报), with the consultation behind it, the proposed items and money."""

    compound = models.ForeignKey(
        "communities.Compound", on_delete=models.PROTECT, related_name="declarations", verbose_name=_("compound")
    )
    declared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("declared by")
    )
    status = models.CharField(
        _("status"), max_length=20, choices=DeclarationStatus.choices, default=DeclarationStatus.DRAFT
    )
    round = models.PositiveSmallIntegerField(_("round"), default=0, help_text=_("How many times it was submitted."))
    needs_summary = models.TextField(_("residents' needs"))
    topic = models.ForeignKey(
        "consultations.Topic", on_delete=models.PROTECT, related_name="declarations", verbose_name=_("topic")
    )
    vote = models.ForeignKey(
        "consultations.Vote",
        on_delete=models.PROTECT,
        related_name="declarations",
        verbose_name=_("willingness vote"),
    )
    buildings_affected = models.PositiveIntegerField(_("buildings affected"), default=0)
    households_affected = models.PositiveIntegerField(_("households affected"), default=0)
    residents_affected = models.PositiveIntegerField(_("residents affected"), default=0)
    estimated_cost = models.DecimalField(_("estimated cost (yuan)"), default=0, **MONEY)
    last_reason = models.TextField(_("reason of the last return or rejection"), blank=True)
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = DeclarationQuerySet.as_manager()

    class Meta:
        verbose_name = _("declaration")
        verbose_name_plural = _("declarations")
        ordering = ["-updated_at", "-id"]
        constraints = [
            # One declaration in progress per compound: a second would be reviewed twice.
            models.UniqueConstraint(
                fields=["compound"],
                condition=Q(status__in=IN_PROGRESS_STATUSES),
                name="declaration_one_in_progress_per_compound",
            ),
        ]
        indexes = [
            # The library and the review queue filter by status, newest first; API sync pages order by updated_at.
            models.Index(fields=["status", "updated_at"], name="declaration_status_updated"),
            models.Index(fields=["updated_at", "id"], name="declaration_updated"),
        ]

    def __str__(self):
        return f"{self.compound} · {self.get_status_display()}"


class DeclarationItem(models.Model):
    """A proposed work item: its class (基础/完善/提升), category, estimated quantity and cost."""

    declaration = models.ForeignKey(
        Declaration, on_delete=models.CASCADE, related_name="items", verbose_name=_("declaration")
    )
    work_class = models.CharField(_("class"), max_length=20, choices=WorkClass.choices)
    category = models.CharField(_("category"), max_length=40, choices=ScopeCategory.choices)
    description = models.CharField(_("description"), max_length=120)
    quantity = models.DecimalField(_("estimated quantity"), **MONEY)
    unit = models.CharField(_("unit"), max_length=20, blank=True)
    estimated_cost = models.DecimalField(_("estimated cost (yuan)"), **MONEY)

    objects = DeclarationRecordQuerySet.as_manager()

    class Meta:
        verbose_name = _("proposed item")
        verbose_name_plural = _("proposed items")
        ordering = ["declaration_id", "id"]


class DeclarationFunding(models.Model):
    """The proposed amount of one funding source."""

    declaration = models.ForeignKey(
        Declaration, on_delete=models.CASCADE, related_name="funding", verbose_name=_("declaration")
    )
    source = models.CharField(_("source"), max_length=30, choices=FundingSource.choices)
    amount = models.DecimalField(_("amount (yuan)"), **MONEY)

    objects = DeclarationRecordQuerySet.as_manager()

    class Meta:
        verbose_name = _("proposed funding")
        verbose_name_plural = _("proposed funding")
        ordering = ["declaration_id", "source"]
        constraints = [
            models.UniqueConstraint(fields=["declaration", "source"], name="declaration_funding_once_per_source")
        ]


class DeclarationAttachment(models.Model):
    """A survey photo or a PDF (drawings, reports), stored privately under a random name."""

    declaration = models.ForeignKey(
        Declaration, on_delete=models.CASCADE, related_name="attachments", verbose_name=_("declaration")
    )
    kind = models.CharField(_("kind"), max_length=10, choices=AttachmentKind.choices)
    file = models.FileField(_("file"), upload_to=private_upload_to("declarations"), max_length=200)
    thumbnail = models.ImageField(
        _("thumbnail"), upload_to=private_upload_to("declarations/thumbs"), blank=True, max_length=200
    )
    title = models.CharField(_("title"), max_length=120, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("uploaded by")
    )
    uploaded_at = models.DateTimeField(_("uploaded at"), default=timezone.now)

    objects = DeclarationRecordQuerySet.as_manager()

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ["declaration_id", "id"]


class DeclarationReview(models.Model):
    """One step of a declaration's history: a submission or a review decision, with its round and reasons."""

    declaration = models.ForeignKey(
        Declaration, on_delete=models.CASCADE, related_name="reviews", verbose_name=_("declaration")
    )
    round = models.PositiveSmallIntegerField(_("round"))
    action = models.CharField(_("action"), max_length=20, choices=ReviewAction.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("by")
    )
    note = models.TextField(_("reasons / note"), blank=True)
    created_at = models.DateTimeField(_("at"), default=timezone.now)

    objects = DeclarationRecordQuerySet.as_manager()

    class Meta:
        verbose_name = _("review record")
        verbose_name_plural = _("review records")
        ordering = ["declaration_id", "created_at", "id"]


class AnnualPlan(models.Model):
    """A district's plan for one year (年度计划), drawn from the project library."""

    district = models.ForeignKey(
        "communities.District", on_delete=models.PROTECT, related_name="annual_plans", verbose_name=_("district")
    )
    year = models.PositiveSmallIntegerField(_("year"), validators=[MinValueValidator(2000), MaxValueValidator(2100)])
    note = models.TextField(_("note"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("created by")
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = AnnualPlanQuerySet.as_manager()

    class Meta:
        verbose_name = _("annual plan")
        verbose_name_plural = _("annual plans")
        ordering = ["-year", "district_id"]
        constraints = [models.UniqueConstraint(fields=["district", "year"], name="one_plan_per_district_year")]

    def __str__(self):
        return f"{self.district} {self.year}"


class PlanBatch(models.Model):
    """A batch of the plan: "成熟一批" (ready now) or "推动一批" (to be pushed forward)."""

    plan = models.ForeignKey(AnnualPlan, on_delete=models.CASCADE, related_name="batches", verbose_name=_("plan"))
    number = models.PositiveSmallIntegerField(_("batch number"))
    kind = models.CharField(_("kind"), max_length=10, choices=BatchKind.choices, default=BatchKind.MATURE)
    name = models.CharField(_("name"), max_length=60, blank=True)

    class Meta:
        verbose_name = _("plan batch")
        verbose_name_plural = _("plan batches")
        ordering = ["plan_id", "number"]
        constraints = [models.UniqueConstraint(fields=["plan", "number"], name="plan_batch_unique_number")]

    def __str__(self):
        return self.name or f"{self.number}"


class PlanItem(models.Model):
    """An approved declaration put in a batch of the plan; it becomes a project through project_create."""

    plan = models.ForeignKey(AnnualPlan, on_delete=models.CASCADE, related_name="items", verbose_name=_("plan"))
    batch = models.ForeignKey(PlanBatch, on_delete=models.PROTECT, related_name="items", verbose_name=_("batch"))
    declaration = models.OneToOneField(
        Declaration, on_delete=models.PROTECT, related_name="plan_item", verbose_name=_("declaration")
    )
    project = models.OneToOneField(
        "projects.Project",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="plan_item",
        verbose_name=_("project"),
    )
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("added by")
    )
    created_at = models.DateTimeField(_("added at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = PlanItemQuerySet.as_manager()

    class Meta:
        verbose_name = _("plan item")
        verbose_name_plural = _("plan items")
        ordering = ["plan_id", "batch__number", "id"]

    def __str__(self):
        return str(self.declaration.compound)
