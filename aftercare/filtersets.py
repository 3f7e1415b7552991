"""Filters of the aftercare API lists (``?record=``, ``?compound=``, dates, ``updated_since``)."""

import django_filters

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


class SpaceFilterSet(_RecordPartFilterSet):
    class Meta:
        model = Space
        fields = ["record", "kind"]


class ActivityFilterSet(UpdatedSinceFilterSet):
    record = django_filters.NumberFilter(field_name="space__record")
    since = django_filters.DateFilter(field_name="held_on", lookup_expr="gte")
    until = django_filters.DateFilter(field_name="held_on", lookup_expr="lte")

    class Meta:
        model = Activity
        fields = ["record", "space", "organiser_kind"]
