"""The district's monthly progress report to the city: each submission is a frozen, immutable version."""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class MonthlyReportQuerySet(models.QuerySet):
    def visible_to(self, user):
        """District officials see their district's reports; city and province officials those of every district
        below them (``Scope.city_ids`` holds a province official's cities too). Nobody else: subdistrict staff,
        inspectors and contractors report nothing upward."""
        from communities.choices import RoleKind
        from communities.models import Role
        from communities.scoping import get_scope

        scope = get_scope(user)
        if scope.is_global:
            return self
        q = Q(pk__in=[])
        if RoleKind.DISTRICT_OFFICIAL in scope.role_kinds:
            q |= Q(district__in=Role.objects.filter(user=user, kind=RoleKind.DISTRICT_OFFICIAL).values("district_id"))
        if scope.city_ids:
            q |= Q(district__city_id__in=sorted(scope.city_ids))
        return self.filter(q)


class MonthlyReport(models.Model):
    """One submitted version of a district's monthly report (月报) for a year and month: who submitted it, when,
    and the figures as they stood (``figures``, the report's table as JSON). Never changed once saved (a database
    trigger refuses UPDATE and DELETE); a correction is the next version, and the earlier ones stay."""

    district = models.ForeignKey(
        "communities.District", on_delete=models.PROTECT, related_name="monthly_reports", verbose_name=_("district")
    )
    year = models.PositiveSmallIntegerField(_("year"), validators=[MinValueValidator(2000), MaxValueValidator(2100)])
    month = models.PositiveSmallIntegerField(_("month"), validators=[MinValueValidator(1), MaxValueValidator(12)])
    version = models.PositiveIntegerField(_("version"), default=1)
    figures = models.JSONField(_("figures"))
    note = models.TextField(_("note"), blank=True, help_text=_("For a correction: what was corrected and why."))
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("submitted by")
    )
    submitted_at = models.DateTimeField(_("submitted at"))

    objects = MonthlyReportQuerySet.as_manager()

    class Meta:
        verbose_name = _("monthly report")
        verbose_name_plural = _("monthly reports")
        ordering = ["-year", "-month", "district_id", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["district", "year", "month", "version"], name="monthly_report_version"),
            models.CheckConstraint(condition=Q(month__gte=1, month__lte=12), name="monthly_report_month"),
            models.CheckConstraint(condition=Q(version__gte=1), name="monthly_report_version_positive"),
        ]
        indexes = [
            # The reports list of a city or province (newest period first) and a period's versions.
            models.Index(fields=["year", "month", "district"], name="monthly_report_period"),
        ]

    def __str__(self):
        return f"{self.district} {self.year}-{self.month:02d} v{self.version}"

    @property
    def period(self) -> str:
        return f"{self.year}-{self.month:02d}"
