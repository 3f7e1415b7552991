"""Renovation projects: one per compound renovation, under an EPC contract.

The foundation defines the core that other apps build on (Project, PlanVersion, ScopeItem and their
status); the projects issue adds the rest.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

from communities.querysets import ScopedQuerySet
from projects.choices import UNACCEPTED_STATUSES, ProjectStatus


class ProjectQuerySet(ScopedQuerySet):
    compound_path = "compound__"

    def unaccepted(self):
        """Projects whose completion is not yet accepted: the weekly tier-2 inspections visit these."""
        return self.filter(status__in=UNACCEPTED_STATUSES)


class Project(models.Model):
    """The renovation project of one compound, carried out under an EPC contract."""

    compound = models.ForeignKey("communities.Compound", on_delete=models.PROTECT, related_name="projects",
                                 verbose_name=_("compound"))
    contractor = models.ForeignKey("communities.Company", on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="projects", verbose_name=_("EPC contractor"))
    name = models.CharField(_("name"), max_length=120)
    batch = models.PositiveSmallIntegerField(_("batch (year)"), default=2023)
    status = models.CharField(_("status"), max_length=30, choices=ProjectStatus.choices,
                              default=ProjectStatus.PLANNING)
    planned_start = models.DateField(_("planned start"), null=True, blank=True)
    planned_finish = models.DateField(_("planned finish"), null=True, blank=True)
    actual_start = models.DateField(_("actual start"), null=True, blank=True)
    actual_finish = models.DateField(_("actual finish"), null=True, blank=True)
    progress_percent = models.PositiveSmallIntegerField(_("progress (%)"), default=0)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = ProjectQuerySet.as_manager()

    class Meta:
        verbose_name = _("renovation project")
        verbose_name_plural = _("renovation projects")
        ordering = ["-batch", "compound_id"]

    def __str__(self):
        return self.name


class PlanVersionQuerySet(ScopedQuerySet):
    compound_path = "project__compound__"


class PlanVersion(models.Model):
    """A version of a project's renovation plan; the six parties confirm a version (六方确认)."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="plan_versions",
                                verbose_name=_("project"))
    number = models.PositiveIntegerField(_("version"))
    summary = models.TextField(_("summary"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    objects = PlanVersionQuerySet.as_manager()

    class Meta:
        verbose_name = _("plan version")
        verbose_name_plural = _("plan versions")
        ordering = ["project_id", "number"]
        constraints = [models.UniqueConstraint(fields=["project", "number"], name="plan_version_unique_number")]

    def __str__(self):
        return f"{self.project} v{self.number}"


class ScopeItemQuerySet(ScopedQuerySet):
    compound_path = "project__compound__"


class ScopeItem(models.Model):
    """A work item of a project's scope, with unit and planned and completed quantities."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="scope_items",
                                verbose_name=_("project"))
    category = models.CharField(_("category"), max_length=40)
    name = models.CharField(_("name"), max_length=120)
    unit = models.CharField(_("unit"), max_length=20)
    planned_quantity = models.DecimalField(_("planned quantity"), max_digits=14, decimal_places=2, default=0)
    completed_quantity = models.DecimalField(_("completed quantity"), max_digits=14, decimal_places=2, default=0)

    objects = ScopeItemQuerySet.as_manager()

    class Meta:
        verbose_name = _("scope item")
        verbose_name_plural = _("scope items")

    def __str__(self):
        return self.name
