"""Filters of the submitted reports list (web and API)."""

import django_filters
from django.utils.translation import gettext_lazy as _

from reports.models import MonthlyReport


class MonthlyReportFilterSet(django_filters.FilterSet):
    district = django_filters.NumberFilter(field_name="district", label=_("District"))
    city = django_filters.NumberFilter(field_name="district__city", label=_("City"))
    province = django_filters.NumberFilter(field_name="district__city__province", label=_("Province"))
    year = django_filters.NumberFilter(field_name="year", label=_("Year"))
    month = django_filters.NumberFilter(field_name="month", label=_("Month"))

    class Meta:
        model = MonthlyReport
        fields = ["district", "city", "province", "year", "month"]
