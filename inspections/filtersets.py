"""Filters for rectification issues and inspections, shared by the web lists, their exports, the dashboards'
links and the API."""

import django_filters
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from inspections.choices import InspectionStatus, IssueOrigin, IssueStatus, Severity
from inspections.models import ChecklistTemplate, Inspection, RectificationIssue
from renovation_portal.sync import UpdatedSinceFilterSet


class IssueFilterSet(UpdatedSinceFilterSet):
    status = django_filters.ChoiceFilter(choices=IssueStatus.choices, label=_("Status"))
    unclosed = django_filters.BooleanFilter(label=_("Not closed"), method="filter_unclosed")
    overdue = django_filters.BooleanFilter(label=_("Overdue"), method="filter_overdue")
    severity = django_filters.ChoiceFilter(choices=Severity.choices, label=_("Severity"))
    tier = django_filters.NumberFilter(label=_("Tier"))
    contractor = django_filters.NumberFilter(field_name="contractor", label=_("Contractor"))
    origin = django_filters.ChoiceFilter(choices=IssueOrigin.choices, label=_("Found on"))
    warranty_defect = django_filters.BooleanFilter(label=_("Warranty defect"), method="filter_warranty_defect")
    property_company = django_filters.NumberFilter(field_name="property_company", label=_("Property service company"))
    project = django_filters.NumberFilter(field_name="project", label=_("Project"))
    inspection = django_filters.NumberFilter(field_name="inspection", label=_("Inspection"))
    province = django_filters.NumberFilter(
        field_name="project__compound__community__subdistrict__district__city__province", label=_("Province")
    )
    city = django_filters.NumberFilter(
        field_name="project__compound__community__subdistrict__district__city", label=_("City")
    )
    district = django_filters.NumberFilter(
        field_name="project__compound__community__subdistrict__district", label=_("District")
    )
    subdistrict = django_filters.NumberFilter(
        field_name="project__compound__community__subdistrict", label=_("Subdistrict")
    )
    community = django_filters.NumberFilter(field_name="project__compound__community", label=_("Community"))
    compound = django_filters.NumberFilter(field_name="project__compound", label=_("Compound"))

    class Meta:
        model = RectificationIssue
        fields = [
            "status",
            "unclosed",
            "overdue",
            "severity",
            "tier",
            "contractor",
            "origin",
            "warranty_defect",
            "property_company",
            "project",
            "inspection",
            "province",
            "city",
            "district",
            "subdistrict",
            "community",
            "compound",
            "updated_since",
        ]

    def filter_unclosed(self, queryset, name, value):
        return queryset.exclude(status=IssueStatus.CLOSED) if value else queryset.filter(status=IssueStatus.CLOSED)

    def filter_warranty_defect(self, queryset, name, value):
        return queryset.exclude(warranty_category="") if value else queryset.filter(warranty_category="")

    def filter_overdue(self, queryset, name, value):
        late = Q(deadline__lt=timezone.localdate()) & ~Q(status=IssueStatus.CLOSED)
        return queryset.filter(late) if value else queryset.exclude(late)


class InspectionFilterSet(UpdatedSinceFilterSet):
    status = django_filters.ChoiceFilter(choices=InspectionStatus.choices, label=_("Status"))

    class Meta:
        model = Inspection
        fields = ["project", "tier", "status", "planned_date", "week", "updated_since"]


class ChecklistFilterSet(UpdatedSinceFilterSet):
    """The checklist list's filters; ``updated_since`` lets the phone's delta sync skip the checklists it has."""

    class Meta:
        model = ChecklistTemplate
        fields = ["kind", "tier", "status", "district", "updated_since"]
