"""Filters for project lists, shared by the web list, its exports and the API."""

import django_filters
from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from projects.choices import FundingSource, FundingStage, ProjectStatus
from projects.models import FundingEntry, ProgressReport, Project, ScopeItem, behind_schedule
from renovation_portal.sync import UpdatedSinceFilterSet

SELECT = forms.Select(attrs={"class": "form-select"})


class ProjectFilterSet(UpdatedSinceFilterSet):
    q = django_filters.CharFilter(label=_("Search"), method="filter_q")
    status = django_filters.ChoiceFilter(
        choices=ProjectStatus.choices, label=_("Status"), empty_label=_("All"), widget=SELECT
    )
    province = django_filters.NumberFilter(
        field_name="compound__community__subdistrict__district__city__province", label=_("Province")
    )
    city = django_filters.NumberFilter(field_name="compound__community__subdistrict__district__city", label=_("City"))
    district = django_filters.NumberFilter(field_name="compound__community__subdistrict__district", label=_("District"))
    subdistrict = django_filters.NumberFilter(field_name="compound__community__subdistrict", label=_("Subdistrict"))
    community = django_filters.NumberFilter(field_name="compound__community", label=_("Community"))
    compound = django_filters.NumberFilter(field_name="compound", label=_("Compound"))
    batch = django_filters.NumberFilter(label=_("Batch"))
    contractor = django_filters.NumberFilter(field_name="contractor", label=_("Contractor"))
    overdue = django_filters.BooleanFilter(
        label=_("Behind schedule"),
        method="filter_overdue",
        widget=forms.Select(
            choices=[("", "—"), ("true", _("Yes")), ("false", _("No"))], attrs={"class": "form-select"}
        ),
    )

    class Meta:
        model = Project
        fields = [
            "q",
            "status",
            "province",
            "city",
            "district",
            "subdistrict",
            "community",
            "compound",
            "batch",
            "contractor",
            "overdue",
            "updated_since",
        ]

    def filter_q(self, queryset, name, value):
        return queryset.filter(Q(name__icontains=value) | Q(compound__name__icontains=value))

    started = django_filters.NumberFilter(
        label=_("Started in"), field_name="actual_start", lookup_expr="year", min_value=1900, max_value=2100
    )
    finished = django_filters.NumberFilter(
        label=_("Finished in"), method="filter_finished", min_value=1900, max_value=2100
    )
    pending_confirmation = django_filters.BooleanFilter(
        label=_("Six-party confirmation pending"), method="filter_pending_confirmation"
    )

    def filter_finished(self, queryset, name, value):
        return queryset.filter(status=ProjectStatus.HANDED_OVER, actual_finish__year=value)

    def filter_pending_confirmation(self, queryset, name, value):
        from projects.selectors import with_pending_confirmation

        pending = with_pending_confirmation(queryset.filter(status=ProjectStatus.PLAN_CONFIRMATION))
        return pending if value else queryset.exclude(pk__in=pending.values("pk"))

    def filter_overdue(self, queryset, name, value):
        behind = behind_schedule()
        return queryset.filter(behind) if value else queryset.exclude(behind)


class ScopeItemFilterSet(UpdatedSinceFilterSet):
    project = django_filters.NumberFilter()

    class Meta:
        model = ScopeItem
        fields = ["project", "category", "work_class", "updated_since"]


class ProgressReportFilterSet(UpdatedSinceFilterSet):
    project = django_filters.NumberFilter()
    since = django_filters.DateFilter(field_name="report_date", lookup_expr="gte")
    until = django_filters.DateFilter(field_name="report_date", lookup_expr="lte")

    class Meta:
        model = ProgressReport
        fields = ["project", "since", "until", "updated_since"]


class FundingEntryFilterSet(UpdatedSinceFilterSet):
    """The funding ledger: by project or place, source, stage and date (web list, its exports and the API)."""

    project = django_filters.NumberFilter(label=_("Project"))
    district = django_filters.NumberFilter(
        field_name="project__compound__community__subdistrict__district", label=_("District")
    )
    subdistrict = django_filters.NumberFilter(
        field_name="project__compound__community__subdistrict", label=_("Subdistrict")
    )
    community = django_filters.NumberFilter(field_name="project__compound__community", label=_("Community"))
    compound = django_filters.NumberFilter(field_name="project__compound", label=_("Compound"))
    source = django_filters.ChoiceFilter(
        choices=FundingSource.choices, label=_("Funding source"), empty_label=_("All"), widget=SELECT
    )
    stage = django_filters.ChoiceFilter(
        choices=FundingStage.choices, label=_("Stage"), empty_label=_("All"), widget=SELECT
    )
    since = django_filters.DateFilter(field_name="date", lookup_expr="gte", label=_("From"))
    until = django_filters.DateFilter(field_name="date", lookup_expr="lte", label=_("Until"))

    class Meta:
        model = FundingEntry
        fields = [
            "project",
            "district",
            "subdistrict",
            "community",
            "compound",
            "source",
            "stage",
            "since",
            "until",
            "updated_since",
        ]
