"""Filters of the aftercare API lists (``?record=``, ``?compound=``, dates, ``updated_since``)."""

import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _

from aftercare.choices import SpaceKind
from aftercare.models import (
    Activity,
    AftercareRecord,
    HandoverDocument,
    LedgerEntry,
    LedgerQuarter,
    ServiceForm,
    Space,
    WarrantyPeriod,
)
from renovation_portal.sync import UpdatedSinceFilterSet


class RecordFilterSet(UpdatedSinceFilterSet):
    compound = django_filters.NumberFilter(field_name="compound")
    community = django_filters.NumberFilter(field_name="compound__community")

    class Meta:
        model = AftercareRecord
        fields = ["compound", "community"]


class _RecordPartFilterSet(django_filters.FilterSet):
    record = django_filters.NumberFilter(field_name="record")


class WarrantyFilterSet(_RecordPartFilterSet):
    class Meta:
        model = WarrantyPeriod
        fields = ["record", "project", "category"]


class DocumentFilterSet(_RecordPartFilterSet):
    class Meta:
        model = HandoverDocument
        fields = ["record"]


class ServiceFormFilterSet(_RecordPartFilterSet):
    class Meta:
        model = ServiceForm
        fields = ["record"]


class LedgerEntryFilterSet(_RecordPartFilterSet, UpdatedSinceFilterSet):
    since = django_filters.DateFilter(field_name="entry_date", lookup_expr="gte")
    until = django_filters.DateFilter(field_name="entry_date", lookup_expr="lte")

    class Meta:
        model = LedgerEntry
        fields = ["record", "kind", "direction"]


class LedgerQuarterFilterSet(_RecordPartFilterSet):
    class Meta:
        model = LedgerQuarter
        fields = ["record", "year"]


COMPOUND = "record__compound__community__subdistrict__district"


class SpaceFilterSet(_RecordPartFilterSet):
    """By record, kind, place and the days opened on (the dashboards' space figures link to the web list with
    these: a space without its opening day is in no period)."""

    province = django_filters.NumberFilter(field_name=f"{COMPOUND}__city__province", label=_("province"))
    city = django_filters.NumberFilter(field_name=f"{COMPOUND}__city", label=_("city"))
    district = django_filters.NumberFilter(field_name=COMPOUND, label=_("district"))
    subdistrict = django_filters.NumberFilter(
        field_name="record__compound__community__subdistrict", label=_("subdistrict")
    )
    community = django_filters.NumberFilter(field_name="record__compound__community", label=_("community"))
    compound = django_filters.NumberFilter(field_name="record__compound", label=_("compound"))
    kind = django_filters.ChoiceFilter(
        choices=SpaceKind.choices,
        label=_("kind"),
        empty_label=_("All"),
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    opened_since = django_filters.DateFilter(field_name="opened_on", lookup_expr="gte", label=_("opened from"))
    opened_until = django_filters.DateFilter(field_name="opened_on", lookup_expr="lte", label=_("opened until"))

    class Meta:
        model = Space
        fields = [
            "record",
            "province",
            "city",
            "district",
            "subdistrict",
            "community",
            "compound",
            "kind",
            "opened_since",
            "opened_until",
        ]


class ActivityFilterSet(UpdatedSinceFilterSet):
    record = django_filters.NumberFilter(field_name="space__record")
    since = django_filters.DateFilter(field_name="held_on", lookup_expr="gte")
    until = django_filters.DateFilter(field_name="held_on", lookup_expr="lte")

    class Meta:
        model = Activity
        fields = ["record", "space", "organiser_kind"]
