"""Filters of the residents' problems list, shared by the web list and the API."""

import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _

from consultations.choices import ProblemStatus
from consultations.models import ResidentProblem
from consultations.selectors import resolved_between
from renovation_portal.sync import UpdatedSinceFilterSet

COMPOUND = "compound__community__subdistrict__district"


class ProblemFilterSet(UpdatedSinceFilterSet):
    """By place (the dashboards link each level's figures here), status and the days they were resolved on."""

    province = django_filters.NumberFilter(field_name=f"{COMPOUND}__city__province", label=_("province"))
    city = django_filters.NumberFilter(field_name=f"{COMPOUND}__city", label=_("city"))
    district = django_filters.NumberFilter(field_name=COMPOUND, label=_("district"))
    subdistrict = django_filters.NumberFilter(field_name="compound__community__subdistrict", label=_("subdistrict"))
    community = django_filters.NumberFilter(field_name="compound__community", label=_("community"))
    status = django_filters.ChoiceFilter(
        choices=ProblemStatus.choices,
        label=_("status"),
        empty_label=_("All"),
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    resolved_since = django_filters.DateFilter(label=_("resolved from"), method="filter_resolved")
    resolved_until = django_filters.DateFilter(label=_("resolved until"), method="filter_resolved")

    class Meta:
        model = ResidentProblem
        fields = [
            "province",
            "city",
            "district",
            "subdistrict",
            "community",
            "compound",
            "status",
            "resolved_since",
            "resolved_until",
            "updated_since",
        ]

    def filter_resolved(self, queryset, name, value):
        """Resolved on or after ``resolved_since`` and on or before ``resolved_until`` (local days)."""
        if name == "resolved_since":
            return queryset.filter(resolved_between(value, None))
        return queryset.filter(resolved_between(None, value))
