"""After handover (后续管理): the compound's aftercare record, opened when a project's completion is accepted, with
its warranty periods and handover documents; the service form residents see (versions kept); the compound's own
income ledger (自我造血) and its quarterly publication; the spaces the renovation created and their activities.

Writes go through aftercare/services.py. The ledger is append-only: an entry is never edited or deleted, a
mistake is corrected by a new entry (``corrects``), and once a quarter is published PostgreSQL itself refuses any
entry dated in it and any change to the publication (triggers in migration 0002).
"""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from aftercare.choices import (
    ApprovalKind,
    DocumentKind,
    FindingResponsible,
    LedgerDirection,
    LedgerKind,
    OrganiserKind,
    ResponsibleKind,
    SpaceKind,
    WarrantyCategory,
)
from aftercare.querysets import (
    ActivityPhotoQuerySet,
    ActivityQuerySet,
    PatrolPartQuerySet,
    PatrolQuerySet,
    RecordPartQuerySet,
    RecordQuerySet,
    ServiceItemQuerySet,
)
from inspections.choices import Outcome
from renovation_portal.uploads import private_upload_to

MONEY = {"max_digits": 12, "decimal_places": 2}


class AftercareRecord(models.Model):
    """A compound's aftercare, opened once, by the first accepted completion of a project on it: who is responsible
    day to day, the standards that apply and (in its parts) the warranties, documents, service form, ledger and
    spaces."""

    compound = models.OneToOneField(
        "communities.Compound", on_delete=models.PROTECT, related_name="aftercare", verbose_name=_("compound")
    )
    project = models.ForeignKey(
        "projects.Project",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("project whose handover opened it"),
    )
    opened_on = models.DateField(_("opened on"))
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("opened by")
    )
    responsible_kind = models.CharField(_("responsible"), max_length=20, choices=ResponsibleKind.choices)
    property_service = models.ForeignKey(
        "communities.PropertyService",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("property service"),
    )
    owners_body = models.ForeignKey(
        "communities.OwnersBody",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("self-management group"),
    )
    responsible_note = models.CharField(_("responsible contact"), max_length=200, blank=True)
    standards = models.TextField(_("standards that apply"), blank=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = RecordQuerySet.as_manager()

    class Meta:
        verbose_name = _("aftercare record")
        verbose_name_plural = _("aftercare records")
        ordering = ["-opened_on", "-id"]
        indexes = [
            # Keyset pages and updated_since of GET /api/v1/aftercare/records/.
            models.Index(fields=["updated_at", "id"], name="aftercare_record_updated"),
        ]

    def __str__(self):
        return str(self.compound)


class WarrantyPeriod(models.Model):
    """The warranty of one category of a handed-over project's works, from its handover; the district may change
    the end (a longer contractual warranty), with a note."""

    record = models.ForeignKey(
        AftercareRecord, on_delete=models.CASCADE, related_name="warranties", verbose_name=_("aftercare record")
    )
    project = models.ForeignKey(
        "projects.Project", on_delete=models.PROTECT, related_name="warranties", verbose_name=_("project")
    )
    category = models.CharField(_("category"), max_length=20, choices=WarrantyCategory.choices)
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"))
    basis = models.CharField(_("basis"), max_length=120, blank=True)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("changed by"),
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = RecordPartQuerySet.as_manager()

    class Meta:
        verbose_name = _("warranty period")
        verbose_name_plural = _("warranty periods")
        ordering = ["record_id", "project_id", "id"]
        constraints = [
            # One period per category of each project: a handover listener called twice adds nothing.
            models.UniqueConstraint(fields=["project", "category"], name="warranty_once_per_project_category"),
            models.CheckConstraint(condition=Q(ends_on__gte=models.F("starts_on")), name="warranty_ends_after_start"),
        ]

    def __str__(self):
        return f"{self.get_category_display()} {self.starts_on}–{self.ends_on}"

    def covers(self, day) -> bool:
        return self.starts_on <= day <= self.ends_on


class HandoverDocument(models.Model):
    """A handover document (as-built drawings, acceptance report, warranty certificate, photos): private, served only
    to those who may see the record."""

    record = models.ForeignKey(
        AftercareRecord, on_delete=models.CASCADE, related_name="documents", verbose_name=_("aftercare record")
    )
    title = models.CharField(_("title"), max_length=120)
    kind = models.CharField(_("kind"), max_length=10, choices=DocumentKind.choices)
    file = models.FileField(_("file"), upload_to=private_upload_to("aftercare/documents"), max_length=200)
    thumbnail = models.ImageField(
        _("thumbnail"), upload_to=private_upload_to("aftercare/documents/thumbs"), blank=True, max_length=200
    )
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("uploaded by")
    )
    uploaded_at = models.DateTimeField(_("uploaded at"), default=timezone.now)

    objects = RecordPartQuerySet.as_manager()

    class Meta:
        verbose_name = _("handover document")
        verbose_name_plural = _("handover documents")
        ordering = ["record_id", "-uploaded_at", "-id"]

    def __str__(self):
        return self.title


class ServiceForm(models.Model):
    """A published version of the compound's service form (服务表单). A change is a new version: the earlier ones and
    their dates stay, and the latest is the one in force."""

    record = models.ForeignKey(
        AftercareRecord, on_delete=models.CASCADE, related_name="service_forms", verbose_name=_("aftercare record")
    )
    version = models.PositiveIntegerField(_("version"))
    published_on = models.DateField(_("in force from"))
    property_mode = models.CharField(_("property mode"), max_length=20, blank=True)
    note = models.CharField(_("what changed"), max_length=300, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("published by")
    )
    created_at = models.DateTimeField(_("published at"), default=timezone.now)

    objects = RecordPartQuerySet.as_manager()

    class Meta:
        verbose_name = _("service form")
        verbose_name_plural = _("service forms")
        ordering = ["record_id", "-version"]
        constraints = [models.UniqueConstraint(fields=["record", "version"], name="service_form_version_unique")]

    def __str__(self):
        return f"{self.record} v{self.version}"


class ServiceItem(models.Model):
    """One service of a form: what, who provides it, how often and, for menu-style service, its price."""

    form = models.ForeignKey(ServiceForm, on_delete=models.CASCADE, related_name="items", verbose_name=_("form"))
    position = models.PositiveSmallIntegerField(_("position"))
    service = models.CharField(_("service"), max_length=120)
    provider = models.CharField(_("provided by"), max_length=80)
    frequency = models.CharField(_("how often"), max_length=60)
    price = models.DecimalField(
        _("price (yuan)"), null=True, blank=True, validators=[MinValueValidator(Decimal(0))], **MONEY
    )
    price_unit = models.CharField(_("per"), max_length=20, blank=True)

    objects = ServiceItemQuerySet.as_manager()

    class Meta:
        verbose_name = _("service item")
        verbose_name_plural = _("service items")
        ordering = ["form_id", "position"]
        constraints = [
            models.CheckConstraint(condition=Q(price__isnull=True) | Q(price__gte=0), name="service_price_not_negative")
        ]


class LedgerEntry(models.Model):
    """One entry of the compound's own income ledger (自我造血): income from the new spaces or spending on the
    compound, with its approval — the owners' committee's decision or, from the threshold up, a passed owners'
    vote. Never changed: a correction is a new entry that names the one it corrects (its amount may be negative)."""

    record = models.ForeignKey(
        AftercareRecord, on_delete=models.PROTECT, related_name="ledger", verbose_name=_("aftercare record")
    )
    kind = models.CharField(_("kind"), max_length=20, choices=LedgerKind.choices)
    direction = models.CharField(_("direction"), max_length=10, choices=LedgerDirection.choices)
    entry_date = models.DateField(_("date"))
    amount = models.DecimalField(_("amount (yuan)"), **MONEY)
    purpose = models.CharField(_("purpose"), max_length=200)
    approval_kind = models.CharField(_("approval"), max_length=10, choices=ApprovalKind.choices)
    decision = models.CharField(_("committee decision"), max_length=300, blank=True)
    decided_on = models.DateField(_("decided on"), null=True, blank=True)
    vote = models.ForeignKey(
        "consultations.Vote",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("owners' vote"),
    )
    corrects = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="corrections",
        verbose_name=_("corrects entry"),
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("recorded by")
    )
    created_at = models.DateTimeField(_("recorded at"), default=timezone.now)
    # Never changed after insert (the trigger refuses it once the quarter is published); kept for keyset pages.
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = RecordPartQuerySet.as_manager()

    class Meta:
        verbose_name = _("ledger entry")
        verbose_name_plural = _("ledger entries")
        ordering = ["-entry_date", "-id"]
        constraints = [
            # An entry moves money; only a correction may take some back (a negative amount).
            models.CheckConstraint(
                condition=Q(amount__gt=0) | (Q(corrects__isnull=False) & ~Q(amount=0)),
                name="ledger_amount_positive_unless_correction",
            ),
            models.CheckConstraint(
                condition=Q(approval_kind=ApprovalKind.COMMITTEE, decided_on__isnull=False) & ~Q(decision="")
                | Q(approval_kind=ApprovalKind.VOTE, vote__isnull=False),
                name="ledger_entry_has_its_approval",
            ),
        ]
        indexes = [
            # The ledger page, the quarter's totals and the publication trigger read a record's entries by date.
            models.Index(fields=["record", "entry_date"], name="ledger_record_date"),
            models.Index(fields=["updated_at", "id"], name="ledger_updated"),
        ]

    def __str__(self):
        return f"{self.entry_date} {self.get_kind_display()} {self.amount}"


class LedgerQuarter(models.Model):
    """A quarter of the ledger published to residents, with its totals by kind frozen as published. Once it exists
    no entry dated in the quarter can be added, changed or deleted, and the publication itself is frozen."""

    record = models.ForeignKey(
        AftercareRecord, on_delete=models.PROTECT, related_name="quarters", verbose_name=_("aftercare record")
    )
    year = models.PositiveSmallIntegerField(_("year"), validators=[MinValueValidator(2000), MaxValueValidator(2100)])
    quarter = models.PositiveSmallIntegerField(_("quarter"), validators=[MinValueValidator(1), MaxValueValidator(4)])
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"))
    totals = models.JSONField(_("totals by kind"), default=list)
    income_total = models.DecimalField(_("income (yuan)"), **MONEY)
    spending_total = models.DecimalField(_("spending (yuan)"), **MONEY)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("published by")
    )
    published_at = models.DateTimeField(_("published at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = RecordPartQuerySet.as_manager()

    class Meta:
        verbose_name = _("published quarter")
        verbose_name_plural = _("published quarters")
        ordering = ["record_id", "-starts_on"]
        constraints = [
            models.UniqueConstraint(fields=["record", "year", "quarter"], name="ledger_quarter_once"),
            models.CheckConstraint(condition=Q(quarter__gte=1, quarter__lte=4), name="ledger_quarter_1_to_4"),
        ]

    def __str__(self):
        return f"{self.year} Q{self.quarter}"

    @property
    def balance(self) -> Decimal:
        return self.income_total - self.spending_total

    @property
    def lines(self) -> list[dict]:
        """The frozen totals with their kinds' labels, income first."""
        return [
            {
                "kind": row["kind"],
                "label": LedgerKind(row["kind"]).label if row["kind"] in LedgerKind.values else row["kind"],
                "direction": row["direction"],
                "amount": Decimal(row["amount"]),
            }
            for row in self.totals
        ]


class Space(models.Model):
    """A space the renovation created (fitness area, children's playground, community room), with its area."""

    record = models.ForeignKey(
        AftercareRecord, on_delete=models.CASCADE, related_name="spaces", verbose_name=_("aftercare record")
    )
    name = models.CharField(_("name"), max_length=80)
    kind = models.CharField(_("kind"), max_length=20, choices=SpaceKind.choices)
    area = models.DecimalField(
        _("area (m²)"), max_digits=10, decimal_places=2, validators=[MinValueValidator(Decimal("0.01"))]
    )
    opened_on = models.DateField(_("opened on"), null=True, blank=True)
    description = models.CharField(_("description"), max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("created by")
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = RecordPartQuerySet.as_manager()

    class Meta:
        verbose_name = _("activity space")
        verbose_name_plural = _("activity spaces")
        ordering = ["record_id", "name"]
        constraints = [
            models.UniqueConstraint(fields=["record", "name"], name="space_name_unique_in_compound"),
            models.CheckConstraint(condition=Q(area__gt=0), name="space_area_positive"),
        ]

    def __str__(self):
        return self.name


class Activity(models.Model):
    """A neighbourhood activity in one of the new spaces: who organised it, how many signed up and came."""

    space = models.ForeignKey(Space, on_delete=models.PROTECT, related_name="activities", verbose_name=_("space"))
    title = models.CharField(_("title"), max_length=120)
    held_on = models.DateField(_("date"))
    organiser_kind = models.CharField(_("organised by"), max_length=20, choices=OrganiserKind.choices)
    description = models.TextField(_("description"), blank=True)
    capacity = models.PositiveIntegerField(_("places"), null=True, blank=True)
    signups = models.PositiveIntegerField(_("signed up"), default=0)
    attendance = models.PositiveIntegerField(_("attended"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("created by")
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = ActivityQuerySet.as_manager()

    class Meta:
        verbose_name = _("activity")
        verbose_name_plural = _("activities")
        ordering = ["-held_on", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(capacity__isnull=True) | Q(signups__lte=models.F("capacity")),
                name="activity_signups_within_capacity",
            ),
        ]
        indexes = [
            # activities_per_space_month and the space's list read a space's activities by date.
            models.Index(fields=["space", "held_on"], name="activity_space_date"),
            models.Index(fields=["updated_at", "id"], name="activity_updated"),
        ]

    def __str__(self):
        return self.title

    @property
    def is_held(self) -> bool:
        return self.attendance is not None


class ActivityPhoto(models.Model):
    """A photo of an activity, stored without its metadata under a random private name."""

    activity = models.ForeignKey(Activity, on_delete=models.CASCADE, related_name="photos", verbose_name=_("activity"))
    image = models.ImageField(_("photo"), upload_to=private_upload_to("aftercare/activities"), max_length=200)
    thumbnail = models.ImageField(
        _("thumbnail"), upload_to=private_upload_to("aftercare/activities/thumbs"), max_length=200
    )
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("uploaded by")
    )
    uploaded_at = models.DateTimeField(_("uploaded at"), default=timezone.now)

    objects = ActivityPhotoQuerySet.as_manager()

    class Meta:
        verbose_name = _("activity photo")
        verbose_name_plural = _("activity photos")
        ordering = ["activity_id", "id"]


class Patrol(models.Model):
    """A patrol of the compound against one aftercare standard (环境、安全、秩序; an aftercare checklist of the
    inspections' builder), filed with an answer for each item; each failed item's finding became a rectification
    issue (``PatrolFinding``). Patrolled monthly by the community or the property service."""

    record = models.ForeignKey(
        AftercareRecord, on_delete=models.CASCADE, related_name="patrols", verbose_name=_("aftercare record")
    )
    template = models.ForeignKey(
        "inspections.ChecklistTemplate", on_delete=models.PROTECT, related_name="+", verbose_name=_("standard")
    )
    patrolled_on = models.DateField(_("patrolled on"))
    patrolled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("patrolled by")
    )
    summary = models.TextField(_("summary"), blank=True)
    filed_at = models.DateTimeField(_("filed at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = PatrolQuerySet.as_manager()

    class Meta:
        verbose_name = _("patrol")
        verbose_name_plural = _("patrols")
        ordering = ["-patrolled_on", "-id"]
        indexes = [
            # The record's patrols, newest first (its page, and "patrolled this month?").
            models.Index(fields=["record", "-patrolled_on"], name="aftercare_patrol_record_day"),
            # Keyset pages and updated_since of GET /api/v1/aftercare/patrols/.
            models.Index(fields=["updated_at", "id"], name="aftercare_patrol_updated"),
        ]

    def __str__(self):
        return f"{self.record} · {self.template.name} · {self.patrolled_on}"


class PatrolResult(models.Model):
    patrol = models.ForeignKey(Patrol, on_delete=models.CASCADE, related_name="results", verbose_name=_("patrol"))
    item = models.ForeignKey(
        "inspections.ChecklistItem", on_delete=models.PROTECT, related_name="+", verbose_name=_("item")
    )
    outcome = models.CharField(_("outcome"), max_length=4, choices=Outcome.choices)
    note = models.CharField(_("note"), max_length=300, blank=True)

    objects = PatrolPartQuerySet.as_manager()

    class Meta:
        verbose_name = _("patrol result")
        verbose_name_plural = _("patrol results")
        ordering = ["patrol_id", "item_id"]
        constraints = [models.UniqueConstraint(fields=["patrol", "item"], name="patrol_result_once_per_item")]


class PatrolFinding(models.Model):
    """A patrol's finding and the rectification issue it became, with whom it was filed for."""

    patrol = models.ForeignKey(Patrol, on_delete=models.CASCADE, related_name="findings", verbose_name=_("patrol"))
    issue = models.OneToOneField(
        "inspections.RectificationIssue",
        on_delete=models.PROTECT,
        related_name="patrol_finding",
        verbose_name=_("rectification issue"),
    )
    responsible = models.CharField(_("answered by"), max_length=20, choices=FindingResponsible.choices)
    warranty = models.ForeignKey(
        WarrantyPeriod,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="defects",
        verbose_name=_("warranty period"),
    )

    objects = PatrolPartQuerySet.as_manager()

    class Meta:
        verbose_name = _("patrol finding")
        verbose_name_plural = _("patrol findings")
        ordering = ["patrol_id", "id"]
        constraints = [
            # A warranty defect names the warranty period that covers it; the other findings none.
            models.CheckConstraint(
                condition=Q(responsible="contractor", warranty__isnull=False)
                | (~Q(responsible="contractor") & Q(warranty__isnull=True)),
                name="patrol_finding_warranty_for_contractor",
            ),
        ]
