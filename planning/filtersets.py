"""Filters for declaration lists (declarations, the library) and plan items, shared by the web and the API."""

import django_filters
from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from planning.choices import DeclarationStatus
from planning.models import Declaration, PlanItem
from projects.choices import WorkClass
from renovation_portal.sync import UpdatedSinceFilterSet

SELECT = forms.Select(attrs={"class": "form-select"})


class DeclarationFilterSet(UpdatedSinceFilterSet):
    q = django_filters.CharFilter(label=_("Search"), method="filter_q")
    status = django_filters.ChoiceFilter(
        choices=DeclarationStatus.choices, label=_("Status"), empty_label=_("All"), widget=SELECT
    )
    district = django_filters.NumberFilter(field_name="compound__community__subdistrict__district", label=_("District"))
    subdistrict = django_filters.NumberFilter(field_name="compound__community__subdistrict", label=_("Subdistrict"))
    community = django_filters.NumberFilter(field_name="compound__community", label=_("Community"))
    compound = django_filters.NumberFilter(field_name="compound", label=_("Compound"))
    work_class = django_filters.ChoiceFilter(
        choices=WorkClass.choices, label=_("Has items of class"), method="filter_work_class", widget=SELECT
    )
    planned = django_filters.BooleanFilter(
        label=_("In an annual plan"),
        field_name="plan_item",
        lookup_expr="isnull",
        exclude=True,
        widget=forms.Select(
            choices=[("", "—"), ("true", _("Yes")), ("false", _("No"))], attrs={"class": "form-select"}
        ),
    )
    min_cost = django_filters.NumberFilter(field_name="estimated_cost", lookup_expr="gte", label=_("Cost from"))
    max_cost = django_filters.NumberFilter(field_name="estimated_cost", lookup_expr="lte", label=_("Cost up to"))

    class Meta:
        model = Declaration
        fields = ["q", "status", "district", "subdistrict", "community", "compound", "work_class", "planned",
                  "min_cost", "max_cost", "updated_since"]  # fmt: skip

    def filter_q(self, queryset, name, value):
        return queryset.filter(Q(compound__name__icontains=value) | Q(compound__code__icontains=value))

    def filter_work_class(self, queryset, name, value):
        return queryset.filter(pk__in=Declaration.objects.filter(items__work_class=value).values("pk"))


class PlanItemFilterSet(UpdatedSinceFilterSet):
    plan = django_filters.NumberFilter(field_name="plan", label=_("Plan"))
    year = django_filters.NumberFilter(field_name="plan__year", label=_("Year"))
    batch = django_filters.NumberFilter(field_name="batch", label=_("Batch"))
    subdistrict = django_filters.NumberFilter(
        field_name="declaration__compound__community__subdistrict", label=_("Subdistrict")
    )
    has_project = django_filters.BooleanFilter(
        field_name="project", lookup_expr="isnull", exclude=True, label=_("Project created")
    )

    class Meta:
        model = PlanItem
        fields = ["plan", "year", "batch", "subdistrict", "has_project", "updated_since"]
