"""The three-tier inspection regime (三级巡检): inspection groups, versioned checklists, inspections and their
results, and rectification issues (整改问题) with photos and history."""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from communities.choices import InspectionTier
from communities.querysets import ProjectScopedQuerySet
from inspections.choices import (
    ChecklistKind,
    ChecklistStatus,
    InspectionStatus,
    IssueAction,
    IssueOrigin,
    IssueStatus,
    ItemKind,
    Outcome,
    PhotoKind,
    Severity,
)
from renovation_portal.uploads import private_upload_to


class DistrictScopedQuerySet(models.QuerySet):
    """Records of a district (inspection groups, a district's checklists): seen by the place roles inside that
    district — its officials and inspectors, and subdistrict and community roles below it."""

    district_path = "district_id"

    def visible_to(self, user):
        from communities.models import Community, Subdistrict
        from communities.scoping import get_scope

        scope = get_scope(user)
        if scope.is_global:
            return self
        q = Q(**{f"{self.district_path}__in": sorted(scope.district_ids)})
        if scope.subdistrict_ids:
            q |= Q(
                **{
                    f"{self.district_path}__in": Subdistrict.objects.filter(
                        pk__in=sorted(scope.subdistrict_ids)
                    ).values("district_id")
                }
            )
        if scope.community_ids:
            q |= Q(
                **{
                    f"{self.district_path}__in": Community.objects.filter(pk__in=sorted(scope.community_ids)).values(
                        "subdistrict__district_id"
                    )
                }
            )
        return self.filter(q)


class InspectionGroup(models.Model):
    """An inspection group with its members and tier, e.g. one of the district housing bureau's six groups."""

    name = models.CharField(_("name"), max_length=80)
    tier = models.PositiveSmallIntegerField(_("tier"), choices=InspectionTier.choices)
    district = models.ForeignKey(
        "communities.District", on_delete=models.PROTECT, related_name="inspection_groups", verbose_name=_("district")
    )
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        related_name="inspection_groups",
        blank=True,
        verbose_name=pgettext_lazy("inspection group", "members"),
    )
    active = models.BooleanField(_("active"), default=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = DistrictScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("inspection group")
        verbose_name_plural = _("inspection groups")
        ordering = ["tier", "name"]
        constraints = [
            # Every district names its own groups (第一检查组 in each); the index also serves the district's list.
            models.UniqueConstraint(fields=["district", "name"], name="inspection_group_name_unique_in_district"),
        ]

    def __str__(self):
        return self.name


class ChecklistQuerySet(DistrictScopedQuerySet):
    def visible_to(self, user):
        """The programme-wide checklists (no district) to every place role; a district's own to its roles."""
        from communities.scoping import get_scope

        scope = get_scope(user)
        if scope.is_global:
            return self
        if not (scope.district_ids or scope.subdistrict_ids or scope.community_ids or scope.company_ids):
            return self.none()
        return self.filter(Q(district__isnull=True) | Q(pk__in=super().visible_to(user).values("pk")))


class ChecklistTemplate(models.Model):
    """A checklist for one tier. A checklist is built as a draft and published; editing a published one means
    publishing its next version, and an inspection keeps the version it used. Inspections use the latest
    published version (the district's own, else the programme-wide one). A checklist of kind "aftercare" is a
    standard (environment, safety, order) patrolled after handover by the aftercare app; inspections never use one."""

    name = models.CharField(_("name"), max_length=80)
    kind = models.CharField(
        _("kind"),
        max_length=10,
        choices=ChecklistKind.choices,
        default=ChecklistKind.INSPECTION,
        db_default="inspection",
    )
    tier = models.PositiveSmallIntegerField(_("tier"), choices=InspectionTier.choices)
    version = models.PositiveIntegerField(_("version"), default=1)
    district = models.ForeignKey(
        "communities.District",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="checklists",
        verbose_name=_("district"),
        help_text=_("Empty: the programme-wide checklist."),
    )
    status = models.CharField(
        _("status"), max_length=10, choices=ChecklistStatus.choices, default=ChecklistStatus.PUBLISHED
    )
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = ChecklistQuerySet.as_manager()

    class Meta:
        verbose_name = _("checklist template")
        verbose_name_plural = _("checklist templates")
        ordering = ["tier", "name", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["name", "version"], name="checklist_version_unique"),
            # One draft at a time per checklist: the next version is built in it.
            models.UniqueConstraint(fields=["name"], condition=Q(status="draft"), name="checklist_one_draft"),
        ]

    def __str__(self):
        return f"{self.name} v{self.version}"


class ChecklistItem(models.Model):
    template = models.ForeignKey(
        ChecklistTemplate, on_delete=models.CASCADE, related_name="items", verbose_name=_("template")
    )
    position = models.PositiveSmallIntegerField(_("position"))
    code = models.SlugField(
        _("code"), max_length=40, help_text=_("Stable across versions: repeat findings are counted by it.")
    )
    text = models.CharField(_("item"), max_length=200)
    kind = models.CharField(_("kind"), max_length=10, choices=ItemKind.choices, default=ItemKind.PASS_FAIL)
    guideline_ref = models.CharField(
        _("guideline clause"),
        max_length=120,
        blank=True,
        help_text=_("The clause of the guideline and atlases (一导则两图集) this item checks."),
    )
    max_score = models.PositiveSmallIntegerField(
        _("maximum score"), default=0, help_text=_("The weight of a scored item in the tier-3 evaluation.")
    )

    class Meta:
        verbose_name = _("checklist item")
        verbose_name_plural = _("checklist items")
        ordering = ["template_id", "position"]
        constraints = [models.UniqueConstraint(fields=["template", "code"], name="checklist_item_code_unique")]

    def __str__(self):
        return self.text


class InspectionQuerySet(ProjectScopedQuerySet):
    project_path = "project__"

    def visible_to(self, user):
        """Scoped like any compound record — and an unannounced (tier-2) inspection stays hidden from the
        contractor and the inspected community and subdistrict until it is filed (四不两直)."""
        from communities.scoping import get_scope

        queryset = super().visible_to(user)
        if get_scope(user).sees_unannounced_rounds:
            return queryset
        return queryset.exclude(unannounced=True, status=InspectionStatus.PLANNED)


class Inspection(models.Model):
    """One inspection of one project, planned (tier-2 weekly rounds) or filed on the spot."""

    project = models.ForeignKey(
        "projects.Project", on_delete=models.PROTECT, related_name="inspections", verbose_name=_("project")
    )
    tier = models.PositiveSmallIntegerField(_("tier"), choices=InspectionTier.choices)
    group = models.ForeignKey(
        InspectionGroup,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="inspections",
        verbose_name=_("group"),
    )
    template = models.ForeignKey(
        ChecklistTemplate, on_delete=models.PROTECT, related_name="inspections", verbose_name=_("checklist")
    )
    planned_date = models.DateField(_("planned date"))
    week = models.DateField(_("round week"), null=True, blank=True, help_text=_("Monday of a weekly round."))
    unannounced = models.BooleanField(_("unannounced"), default=False)
    status = models.CharField(
        _("status"), max_length=10, choices=InspectionStatus.choices, default=InspectionStatus.PLANNED
    )
    inspector = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("filed by"),
    )
    summary = models.TextField(pgettext_lazy("inspection", "summary"), blank=True)
    score = models.PositiveIntegerField(_("score"), null=True, blank=True)
    filed_at = models.DateTimeField(_("filed at"), null=True, blank=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = InspectionQuerySet.as_manager()

    class Meta:
        verbose_name = _("inspection")
        verbose_name_plural = _("inspections")
        ordering = ["-planned_date", "id"]
        constraints = [
            # One tier-2 round inspection per project and week: planning the same week twice adds nothing.
            models.UniqueConstraint(
                fields=["project", "week"], condition=Q(week__isnull=False), name="one_round_inspection_per_week"
            ),
        ]
        indexes = [
            # Inspectors' reminders: planned inspections due on a day.
            models.Index(fields=["planned_date"], condition=Q(status="planned"), name="inspection_planned_due"),
            models.Index(fields=["updated_at", "id"], name="inspection_updated"),
        ]

    def __str__(self):
        return f"{self.project} · {self.get_tier_display()} · {self.planned_date}"


class InspectionResultQuerySet(ProjectScopedQuerySet):
    project_path = "inspection__project__"


class InspectionResult(models.Model):
    inspection = models.ForeignKey(
        Inspection, on_delete=models.CASCADE, related_name="results", verbose_name=_("inspection")
    )
    item = models.ForeignKey(ChecklistItem, on_delete=models.PROTECT, related_name="+", verbose_name=_("item"))
    outcome = models.CharField(_("outcome"), max_length=4, choices=Outcome.choices, blank=True)
    score = models.PositiveSmallIntegerField(_("score"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=300, blank=True)

    objects = InspectionResultQuerySet.as_manager()

    class Meta:
        verbose_name = _("inspection result")
        verbose_name_plural = _("inspection results")
        constraints = [models.UniqueConstraint(fields=["inspection", "item"], name="result_once_per_item")]


def issue_q(user, issue_path: str = "") -> Q:
    """Issues in a user's scope (``issue_path``: the lookup to the issue, ending in "__"). Place roles see every
    issue of the projects in their subtree, as any project record. A company sees the issues it answers for: a
    contractor those of its own projects — but not an aftercare patrol's finding for the compound's property service
    or community — and a property service company's staff the patrols' findings assigned to their company."""
    from dataclasses import replace

    from communities.scoping import get_scope

    scope = get_scope(user)
    if scope.is_global or not scope.company_ids:
        return scope.project_q(f"{issue_path}project__")
    companies = sorted(scope.company_ids)
    place = replace(scope, company_ids=frozenset()).project_q(f"{issue_path}project__")
    own = Q(
        **{
            f"{issue_path}project__contractor_id__in": companies,
            f"{issue_path}property_company__isnull": True,
            f"{issue_path}community__isnull": True,
        }
    ) | Q(**{f"{issue_path}property_company_id__in": sorted(scope.property_company_ids)})
    return own if place == Q(pk__in=[]) else place | own


class IssueQuerySet(ProjectScopedQuerySet):
    project_path = "project__"

    def visible_to(self, user):
        return self.filter(issue_q(user))


class RectificationIssue(models.Model):
    """A finding to fix (整改问题), assigned to the project's contractor, closed (销号) only by an inspector.

    A finding of an aftercare patrol (``origin`` "patrol", no inspection) is assigned instead to whoever answers for
    the compound after handover — its property service company or its community — or, when it is a warranty defect
    within its warranty period, to the contractor of the project whose warranty covers it (``warranty_category``).
    Exactly one of ``contractor``, ``property_company`` and ``community`` answers for a patrol's issue."""

    inspection = models.ForeignKey(
        Inspection, on_delete=models.PROTECT, null=True, blank=True, related_name="issues", verbose_name=_("inspection")
    )
    origin = models.CharField(
        _("found on"),
        max_length=10,
        choices=IssueOrigin.choices,
        default=IssueOrigin.INSPECTION,
        db_default="inspection",
    )
    project = models.ForeignKey(
        "projects.Project", on_delete=models.PROTECT, related_name="issues", verbose_name=_("project")
    )
    contractor = models.ForeignKey(
        "communities.Company", on_delete=models.PROTECT, null=True, related_name="issues", verbose_name=_("contractor")
    )
    property_company = models.ForeignKey(
        "communities.Company",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="property_issues",
        verbose_name=_("property service company"),
    )
    community = models.ForeignKey(
        "communities.Community",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="issues",
        verbose_name=_("responsible community"),
    )
    warranty_category = models.CharField(
        _("warranty category"),
        max_length=20,
        blank=True,
        help_text=_("Set on a warranty defect found after handover: the category of works whose warranty covers it."),
    )
    found_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("found by"),
    )
    item = models.ForeignKey(
        ChecklistItem,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("checklist item"),
    )
    kind = models.SlugField(_("kind"), max_length=40, help_text=_("What kind of problem (repeat findings)."))
    description = models.TextField(_("problem"))
    location = models.CharField(_("location"), max_length=120)
    severity = models.CharField(_("severity"), max_length=10, choices=Severity.choices)
    deadline = models.DateField(_("deadline"))
    status = models.CharField(_("status"), max_length=10, choices=IssueStatus.choices, default=IssueStatus.OPEN)
    tier = models.PositiveSmallIntegerField(_("tier"), choices=InspectionTier.choices)
    escalated_to = models.PositiveSmallIntegerField(
        _("escalated to tier"), null=True, blank=True, validators=[MinValueValidator(2), MaxValueValidator(3)]
    )
    escalated_at = models.DateTimeField(_("escalated at"), null=True, blank=True)
    rectification_note = models.TextField(_("rectification"), blank=True)
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    closed_at = models.DateTimeField(pgettext_lazy("issue", "closed at"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("closed by"),
    )
    created_at = models.DateTimeField(_("found at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = IssueQuerySet.as_manager()

    class Meta:
        verbose_name = _("rectification issue")
        verbose_name_plural = _("rectification issues")
        ordering = ["deadline", "id"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status=IssueStatus.CLOSED) | Q(closed_at__isnull=False),
                name="closed_issue_has_closing_time",
            ),
            # An inspection's issue has its inspection; a patrol's has none and exactly one party answering for it.
            models.CheckConstraint(
                condition=(
                    Q(
                        origin="inspection",
                        inspection__isnull=False,
                        property_company__isnull=True,
                        community__isnull=True,
                    )
                )
                | (
                    Q(origin="patrol", inspection__isnull=True)
                    & (
                        Q(contractor__isnull=False, property_company__isnull=True, community__isnull=True)
                        | Q(contractor__isnull=True, property_company__isnull=False, community__isnull=True)
                        | Q(contractor__isnull=True, property_company__isnull=True, community__isnull=False)
                    )
                ),
                name="issue_origin_and_assignee",
            ),
        ]
        indexes = [
            # Reminder and escalation sweeps: unclosed issues by deadline.
            models.Index(fields=["deadline"], condition=~Q(status="closed"), name="issue_unclosed_deadline"),
            # Completion blocker: open serious issues of a project.
            models.Index(fields=["project", "severity"], condition=~Q(status="closed"), name="issue_unclosed_project"),
            models.Index(fields=["updated_at", "id"], name="issue_updated"),
        ]

    def __str__(self):
        return f"{self.project}: {self.description[:30]}"

    @property
    def is_overdue(self) -> bool:
        return self.status != IssueStatus.CLOSED and self.deadline < timezone.localdate()


class IssueEventQuerySet(ProjectScopedQuerySet):
    project_path = "issue__project__"

    def visible_to(self, user):
        return self.filter(issue_q(user, "issue__"))


class IssueEvent(models.Model):
    issue = models.ForeignKey(
        RectificationIssue, on_delete=models.CASCADE, related_name="events", verbose_name=_("issue")
    )
    action = models.CharField(_("action"), max_length=20, choices=IssueAction.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+", verbose_name=_("by")
    )
    note = models.TextField(_("note"), blank=True)
    created_at = models.DateTimeField(_("at"), default=timezone.now)

    objects = IssueEventQuerySet.as_manager()

    class Meta:
        verbose_name = _("issue event")
        verbose_name_plural = _("issue events")
        ordering = ["issue_id", "created_at", "id"]


class IssuePhotoQuerySet(ProjectScopedQuerySet):
    project_path = "issue__project__"

    def visible_to(self, user):
        return self.filter(issue_q(user, "issue__"))


class IssuePhoto(models.Model):
    issue = models.ForeignKey(
        RectificationIssue, on_delete=models.CASCADE, related_name="photos", verbose_name=_("issue")
    )
    kind = models.CharField(_("kind"), max_length=10, choices=PhotoKind.choices)
    round = models.PositiveSmallIntegerField(
        _("round"), default=0, help_text=_("0: the finding's photos; N: the evidence of the Nth submission.")
    )
    image = models.ImageField(_("photo"), upload_to=private_upload_to("issues"))
    thumbnail = models.ImageField(_("thumbnail"), upload_to=private_upload_to("issues/thumbs"), blank=True)
    taken_at = models.DateTimeField(_("taken at"), null=True, blank=True)
    latitude = models.DecimalField(_("latitude"), max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(_("longitude"), max_digits=9, decimal_places=6, null=True, blank=True)
    uploaded_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)

    objects = IssuePhotoQuerySet.as_manager()

    class Meta:
        verbose_name = _("issue photo")
        verbose_name_plural = _("issue photos")
        ordering = ["id"]
