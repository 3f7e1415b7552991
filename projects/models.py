"""Renovation projects: one per compound renovation, under an EPC contract, from planning to handover.

Status changes only through the transition services in projects/services.py, which record each change in
``ProjectEvent``. A plan has versions; the six parties confirm a version (六方确认), and only the confirmations
of the current (latest) version count, so a new version voids the earlier ones by construction.
"""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from communities.querysets import ProjectScopedQuerySet
from projects.choices import (
    PIPELINE_CATEGORIES,
    UNACCEPTED_STATUSES,
    FundingSource,
    FundingStage,
    Party,
    ProjectStatus,
    ScopeCategory,
    WorkClass,
)
from renovation_portal.uploads import private_upload_to


def behind_schedule(today=None) -> Q:
    """The one rule for a project behind schedule (``Project.is_overdue``): its completion is not accepted and
    its planned finish has passed."""
    return Q(status__in=UNACCEPTED_STATUSES, planned_finish__lt=today or timezone.localdate())


class ProjectQuerySet(ProjectScopedQuerySet):
    project_path = ""

    def unaccepted(self):
        """Projects whose completion is not yet accepted: the weekly tier-2 inspections visit these."""
        return self.filter(status__in=UNACCEPTED_STATUSES)

    def behind_schedule(self, today=None):
        """Open projects past their planned finish."""
        return self.filter(behind_schedule(today))


class Project(models.Model):
    """The renovation project of one compound, carried out under an EPC contract."""

    compound = models.ForeignKey(
        "communities.Compound", on_delete=models.PROTECT, related_name="projects", verbose_name=_("compound")
    )
    contractor = models.ForeignKey(
        "communities.Company",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="projects",
        verbose_name=_("EPC contractor"),
    )
    name = models.CharField(_("name"), max_length=120)
    batch = models.PositiveSmallIntegerField(
        _("batch (year)"), default=2023, validators=[MinValueValidator(2000), MaxValueValidator(2100)]
    )
    status = models.CharField(_("status"), max_length=30, choices=ProjectStatus.choices, default=ProjectStatus.PLANNING)
    status_before_suspension = models.CharField(
        _("status before suspension"), max_length=30, blank=True, choices=ProjectStatus.choices
    )
    budget = models.DecimalField(
        _("budget (yuan)"), max_digits=14, decimal_places=2, default=0, validators=[MinValueValidator(Decimal(0))]
    )
    # The EPC award (the contract of the one company that designs and builds) and the other parties' companies.
    contract_number = models.CharField(_("EPC contract number"), max_length=60, blank=True)
    contract_amount = models.DecimalField(
        _("EPC contract amount (yuan)"),
        max_digits=14,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal(0))],
    )
    awarded_on = models.DateField(_("EPC contract awarded on"), null=True, blank=True)
    designer = models.ForeignKey(
        "communities.Company",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="designed_projects",
        verbose_name=_("designer"),
    )
    supervisor = models.ForeignKey(
        "communities.Company",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="supervised_projects",
        verbose_name=_("supervisor (监理)"),
    )
    engineering_coordinator = models.CharField(
        _("engineering general coordinator"),
        max_length=50,
        blank=True,
        help_text=_("工程总协调人, of the EPC contractor"),
    )
    engineering_coordinator_phone = models.CharField(_("engineering coordinator phone"), max_length=20, blank=True)
    masses_coordinator = models.CharField(
        _("masses general coordinator"),
        max_length=50,
        blank=True,
        help_text=_("群众总协调人: the compound's party-branch secretary"),
    )
    liaisons = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="hooked_projects",
        verbose_name=_("hooked subdistrict leaders"),
    )
    planned_start = models.DateField(_("planned start"), null=True, blank=True)
    planned_finish = models.DateField(_("planned finish"), null=True, blank=True)
    actual_start = models.DateField(_("actual start"), null=True, blank=True)
    actual_finish = models.DateField(_("actual finish"), null=True, blank=True)
    progress_percent = models.PositiveSmallIntegerField(
        _("progress (%)"), default=0, validators=[MaxValueValidator(100)]
    )
    version = models.PositiveIntegerField(
        _("edit version"), default=1, help_text=_("Raised by every edit; a form sent with an older one is a conflict.")
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = ProjectQuerySet.as_manager()

    class Meta:
        verbose_name = _("renovation project")
        verbose_name_plural = _("renovation projects")
        ordering = ["-batch", "compound_id"]
        constraints = [
            models.CheckConstraint(condition=Q(progress_percent__lte=100), name="project_progress_at_most_100"),
            models.CheckConstraint(
                condition=Q(planned_start__isnull=True)
                | Q(planned_finish__isnull=True)
                | Q(planned_finish__gte=models.F("planned_start")),
                name="project_planned_finish_after_start",
            ),
        ]
        indexes = [
            # The project list filters by status and batch; dashboards group by them.
            models.Index(fields=["status", "batch"], name="project_status_batch"),
            # Sync and keyset pages of GET /api/v1/projects/ order by updated_at.
            models.Index(fields=["updated_at", "id"], name="project_updated"),
        ]

    def __str__(self):
        return self.name

    @property
    def is_overdue(self) -> bool:
        return (
            self.status in UNACCEPTED_STATUSES
            and self.planned_finish is not None
            and self.planned_finish < timezone.localdate()
        )

    def current_plan(self):
        return self.plan_versions.order_by("-number").first()


class ProjectFunding(models.Model):
    """The planned amount of one source of a project's money (its funding plan); what is allocated, disbursed and
    spent is recorded in ``FundingEntry``."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="funding", verbose_name=_("project"))
    source = models.CharField(_("source"), max_length=30, choices=FundingSource.choices)
    amount = models.DecimalField(
        _("amount (yuan)"), max_digits=14, decimal_places=2, validators=[MinValueValidator(Decimal(0))]
    )

    class Meta:
        verbose_name = _("funding source")
        verbose_name_plural = _("funding sources")
        constraints = [models.UniqueConstraint(fields=["project", "source"], name="funding_one_row_per_source")]

    def __str__(self):
        return f"{self.get_source_display()} {self.amount}"


class FundingEntryQuerySet(ProjectScopedQuerySet):
    project_path = "project__"

    def valid(self):
        """The entries that count: not voided."""
        return self.filter(voided_at__isnull=True)


class FundingEntry(models.Model):
    """One movement of a project's money from one source: an allocation (下达), a disbursement (拨付) or spending,
    with its date and the document that ordered it. Entries are appended by ``funding_entry_record`` only, which
    keeps, per project and source, disbursed ≤ allocated and spent ≤ disbursed under a lock of the project row. A
    mistaken entry is never edited or deleted: it is voided (who, when, why), stays in the ledger and no longer
    counts (``funding_entry_void``, which keeps the same ceilings)."""

    project = models.ForeignKey(
        Project, on_delete=models.PROTECT, related_name="funding_entries", verbose_name=_("project")
    )
    source = models.CharField(_("source"), max_length=30, choices=FundingSource.choices)
    stage = models.CharField(_("stage"), max_length=20, choices=FundingStage.choices)
    amount = models.DecimalField(_("amount (yuan)"), max_digits=14, decimal_places=2)
    date = models.DateField(_("date"))
    document_number = models.CharField(
        _("document number"), max_length=80, help_text=_("The allocation notice, payment voucher or invoice number.")
    )
    note = models.CharField(_("note"), max_length=200, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("recorded by")
    )
    created_at = models.DateTimeField(_("recorded at"), default=timezone.now)
    voided_at = models.DateTimeField(_("voided at"), null=True, blank=True)
    voided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("voided by"),
    )
    void_reason = models.CharField(_("reason for voiding"), max_length=200, blank=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = FundingEntryQuerySet.as_manager()

    class Meta:
        verbose_name = _("funding entry")
        verbose_name_plural = _("funding entries")
        ordering = ["-date", "-id"]
        constraints = [
            # Money moves forward only; a correction is an entry of its own (the service refuses the rest first).
            models.CheckConstraint(condition=Q(amount__gt=0), name="funding_entry_amount_positive"),
        ]
        indexes = [
            # The ceiling checks and funding_totals sum a project's entries per source and stage.
            models.Index(fields=["project", "source", "stage"], name="funding_entry_project_source"),
            # funding_totals(since, until) and the monthly report filter by date.
            models.Index(fields=["date", "stage"], name="funding_entry_date"),
            # Sync and keyset pages of GET /api/v1/funding-entries/ order by updated_at.
            models.Index(fields=["updated_at", "id"], name="funding_entry_updated"),
        ]

    def __str__(self):
        return f"{self.project} {self.get_source_display()} {self.get_stage_display()} {self.amount}"


class ProjectEventQuerySet(ProjectScopedQuerySet):
    project_path = "project__"


class ProjectEvent(models.Model):
    """A status change of a project, with who made it, when and why (the project's history)."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="events", verbose_name=_("project"))
    from_status = models.CharField(_("from"), max_length=30, choices=ProjectStatus.choices, blank=True)
    to_status = models.CharField(_("to"), max_length=30, choices=ProjectStatus.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("by")
    )
    note = models.TextField(_("note"), blank=True)
    created_at = models.DateTimeField(_("at"), default=timezone.now)

    objects = ProjectEventQuerySet.as_manager()

    class Meta:
        verbose_name = _("project event")
        verbose_name_plural = _("project events")
        ordering = ["project_id", "created_at", "id"]

    def __str__(self):
        return f"{self.project}: {self.from_status} → {self.to_status}"


class PlanVersionQuerySet(ProjectScopedQuerySet):
    project_path = "project__"


class PlanVersion(models.Model):
    """A version of a project's renovation plan; the six parties confirm a version (六方确认)."""

    project = models.ForeignKey(
        Project, on_delete=models.CASCADE, related_name="plan_versions", verbose_name=_("project")
    )
    number = models.PositiveIntegerField(_("version"))
    summary = models.TextField(_("summary"), blank=True)
    changes = models.TextField(
        _("what changed"), blank=True, help_text=_("What this version changes, e.g. after residents' consultation.")
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+", verbose_name=_("created by")
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    objects = PlanVersionQuerySet.as_manager()

    class Meta:
        verbose_name = _("plan version")
        verbose_name_plural = _("plan versions")
        ordering = ["project_id", "number"]
        constraints = [models.UniqueConstraint(fields=["project", "number"], name="plan_version_unique_number")]

    def __str__(self):
        return f"{self.project} v{self.number}"


class PlanConfirmationQuerySet(ProjectScopedQuerySet):
    project_path = "plan_version__project__"


class PlanConfirmation(models.Model):
    """One party's confirmation of one plan version."""

    plan_version = models.ForeignKey(
        PlanVersion, on_delete=models.CASCADE, related_name="confirmations", verbose_name=_("plan version")
    )
    party = models.CharField(_("party"), max_length=30, choices=Party.choices)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("recorded by")
    )
    signatory = models.CharField(
        _("signatory"), max_length=80, blank=True, help_text=_("Who signed for the party, when recorded on its behalf.")
    )
    note = models.CharField(_("note"), max_length=200, blank=True)
    confirmed_at = models.DateTimeField(_("confirmed at"), default=timezone.now)

    objects = PlanConfirmationQuerySet.as_manager()

    class Meta:
        verbose_name = _("plan confirmation")
        verbose_name_plural = _("plan confirmations")
        constraints = [models.UniqueConstraint(fields=["plan_version", "party"], name="confirmation_once_per_party")]

    def __str__(self):
        return f"{self.plan_version} · {self.get_party_display()}"


class ScopeItemQuerySet(ProjectScopedQuerySet):
    project_path = "project__"


class ScopeItem(models.Model):
    """A work item of a project's scope, with unit and planned and completed quantities."""

    project = models.ForeignKey(
        Project, on_delete=models.CASCADE, related_name="scope_items", verbose_name=_("project")
    )
    category = models.CharField(_("category"), max_length=40, choices=ScopeCategory.choices)
    work_class = models.CharField(_("class"), max_length=20, choices=WorkClass.choices, default=WorkClass.BASIC)
    name = models.CharField(_("name"), max_length=120)
    unit = models.CharField(_("unit"), max_length=20)
    planned_quantity = models.DecimalField(
        _("planned quantity"), max_digits=14, decimal_places=2, default=0, validators=[MinValueValidator(Decimal(0))]
    )
    completed_quantity = models.DecimalField(
        _("completed quantity"), max_digits=14, decimal_places=2, default=0, validators=[MinValueValidator(Decimal(0))]
    )
    excavation_start = models.DateField(_("excavation from"), null=True, blank=True)
    excavation_end = models.DateField(_("excavation until"), null=True, blank=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = ScopeItemQuerySet.as_manager()

    class Meta:
        verbose_name = _("scope item")
        verbose_name_plural = _("scope items")
        ordering = ["project_id", "category", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(excavation_start__isnull=True)
                | Q(excavation_end__isnull=True)
                | Q(excavation_end__gte=models.F("excavation_start")),
                name="scope_item_excavation_window_ordered",
            ),
        ]
        indexes = [
            # Roll-ups group scope items by category under a place level.
            models.Index(fields=["category", "project"], name="scope_item_category"),
        ]

    def __str__(self):
        return self.name

    @property
    def is_pipeline(self) -> bool:
        return self.category in PIPELINE_CATEGORIES

    @property
    def percent_done(self) -> int:
        if not self.planned_quantity:
            return 0
        return min(100, int(self.completed_quantity * 100 / self.planned_quantity))


class ProgressReportQuerySet(ProjectScopedQuerySet):
    project_path = "project__"


class ProgressReport(models.Model):
    """A contractor's dated progress report: work done, quantities, percent complete, manpower, weather."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="reports", verbose_name=_("project"))
    report_date = models.DateField(_("date"))
    work_done = models.TextField(_("work done"))
    percent_complete = models.PositiveSmallIntegerField(_("percent complete"), validators=[MaxValueValidator(100)])
    manpower = models.PositiveIntegerField(_("workers on site"), default=0)
    weather = models.CharField(_("weather"), max_length=40, blank=True)
    issues_met = models.TextField(_("issues met"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("filed by")
    )
    created_at = models.DateTimeField(_("filed at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = ProgressReportQuerySet.as_manager()

    class Meta:
        verbose_name = _("progress report")
        verbose_name_plural = _("progress reports")
        ordering = ["-report_date", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(percent_complete__lte=100), name="report_percent_at_most_100")
        ]
        indexes = [models.Index(fields=["updated_at", "id"], name="report_updated")]

    def __str__(self):
        return f"{self.project} {self.report_date}"


class ReportQuantity(models.Model):
    """The quantity of one scope item completed in one report (added to the item's completed quantity)."""

    report = models.ForeignKey(
        ProgressReport, on_delete=models.CASCADE, related_name="quantities", verbose_name=_("report")
    )
    scope_item = models.ForeignKey(
        ScopeItem, on_delete=models.PROTECT, related_name="report_quantities", verbose_name=_("scope item")
    )
    quantity = models.DecimalField(
        _("quantity"), max_digits=14, decimal_places=2, validators=[MinValueValidator(Decimal(0))]
    )

    class Meta:
        verbose_name = _("reported quantity")
        verbose_name_plural = _("reported quantities")
        constraints = [models.UniqueConstraint(fields=["report", "scope_item"], name="report_quantity_once")]


class ProgressPhotoQuerySet(ProjectScopedQuerySet):
    project_path = "report__project__"


class ProgressPhoto(models.Model):
    """A site photo of a progress report, stored privately under a random name, with a thumbnail."""

    report = models.ForeignKey(
        ProgressReport, on_delete=models.CASCADE, related_name="photos", verbose_name=_("report")
    )
    image = models.ImageField(_("photo"), upload_to=private_upload_to("progress"))
    thumbnail = models.ImageField(_("thumbnail"), upload_to=private_upload_to("progress/thumbs"), blank=True)
    taken_at = models.DateTimeField(_("taken at"), null=True, blank=True)
    latitude = models.DecimalField(_("latitude"), max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(_("longitude"), max_digits=9, decimal_places=6, null=True, blank=True)
    uploaded_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)

    objects = ProgressPhotoQuerySet.as_manager()

    class Meta:
        verbose_name = _("progress photo")
        verbose_name_plural = _("progress photos")
        ordering = ["id"]


class ProgrammeTarget(models.Model):
    """The district's yearly target: how many compounds' renovations to start and to finish (set by district
    officials; the dashboard measures the year against it)."""

    district = models.ForeignKey(
        "communities.District", on_delete=models.CASCADE, related_name="targets", verbose_name=_("district")
    )
    year = models.PositiveSmallIntegerField(_("year"), validators=[MinValueValidator(2000), MaxValueValidator(2100)])
    to_start = models.PositiveIntegerField(_("compounds to start"), default=0)
    to_finish = models.PositiveIntegerField(_("compounds to finish"), default=0)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("programme target")
        verbose_name_plural = _("programme targets")
        ordering = ["district", "-year"]
        constraints = [models.UniqueConstraint(fields=["district", "year"], name="one_target_per_district_year")]

    def __str__(self):
        return f"{self.district} {self.year}"


class TargetShare(models.Model):
    """A subdistrict's share of its district's yearly target (set with the annual plan). The shares of a year may
    not add up to more than the district's target (``projects.services.target_split``)."""

    target = models.ForeignKey(
        ProgrammeTarget, on_delete=models.CASCADE, related_name="shares", verbose_name=_("district target")
    )
    subdistrict = models.ForeignKey(
        "communities.Subdistrict", on_delete=models.CASCADE, related_name="target_shares", verbose_name=_("subdistrict")
    )
    to_start = models.PositiveIntegerField(_("compounds to start"), default=0)
    to_finish = models.PositiveIntegerField(_("compounds to finish"), default=0)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("subdistrict target")
        verbose_name_plural = _("subdistrict targets")
        ordering = ["target", "subdistrict_id"]
        constraints = [
            models.UniqueConstraint(fields=["target", "subdistrict"], name="one_share_per_subdistrict_target")
        ]

    def __str__(self):
        return f"{self.subdistrict} {self.target.year}"

    @property
    def year(self) -> int:
        return self.target.year
