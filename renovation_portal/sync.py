"""Incremental sync for the mobile client: ``updated_since`` on lists, and tombstones of deletions.

A client stores the time of its last sync, then asks each list for ``?updated_since=<that time>`` and
``/api/v1/sync/deletions/?since=<that time>`` for what was deleted meanwhile, and drops those records.
"""

from datetime import timezone as dt_timezone

import django_filters
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, viewsets

from communities.scoping import get_scope
from renovation_portal.models import Tombstone


class UTCIsoDateTimeField(django_filters.fields.IsoDateTimeField):
    """An ISO 8601 time, converted to UTC: Python accepts offsets PostgreSQL would refuse (beyond ±15:59).

    A time at the very edge of Python's range (0001-01-01T00:00+14:00, 9999-12-31T23:59-12:00, or a naive one
    read in the portal's time zone) has no UTC equivalent: a form error, not an OverflowError."""

    default_error_messages = {"out_of_range": _("This time is out of range: give one between the years 1 and 9999 "
                                                "in UTC.")}

    def to_python(self, value):
        value = super().to_python(value)
        if value is None:
            return None
        try:
            return value.astimezone(dt_timezone.utc)
        except OverflowError:
            raise ValidationError(self.error_messages["out_of_range"], code="out_of_range") from None


class UTCDateTimeFilter(django_filters.IsoDateTimeFilter):
    field_class = UTCIsoDateTimeField


class UpdatedSinceFilterSet(django_filters.FilterSet):
    """Mix into a FilterSet of a model with ``updated_at``: ``?updated_since=2026-11-24T08:00:00+08:00``."""

    updated_since = UTCDateTimeFilter(field_name="updated_at", lookup_expr="gt",
                                                     label="changed after (ISO 8601)")


def _contractor_id(instance):
    """The contractor company whose records these are (a project, or anything under one), if any."""
    target = instance
    path = getattr(type(instance).objects.all(), "compound_path", "") or ""
    for attr in [""] + [a for a in path.rstrip("_").split("__") if a]:
        if attr:
            target = getattr(target, attr, None)
        if target is None:
            return None
        if hasattr(target, "contractor_id") and target._meta.model_name == "project":
            return target.contractor_id
    return None


def tombstone_record(instance, *, compound=None) -> Tombstone:
    """Record that ``instance`` is deleted (call it in the deleting service, before the delete)."""
    from communities.audit import place_ids

    places = place_ids(instance) if compound is None else place_ids(compound)
    return Tombstone.objects.create(
        model=instance._meta.label_lower, object_pk=str(instance.pk), company_id=_contractor_id(instance),
        district_id=places.get("district"), subdistrict_id=places.get("subdistrict"),
        community_id=places.get("community"), compound_id=places.get("compound"))


SYNCED_APPS = ("communities", "projects", "consultations", "inspections")


def _record_deletion(sender, instance, **kwargs):
    try:
        tombstone_record(instance)
    except Exception:  # a parent already gone in a cascade: record without places rather than block the delete
        Tombstone.objects.create(model=instance._meta.label_lower, object_pk=str(instance.pk))


def connect_tombstones() -> None:
    """Every record a client syncs (a model of the portal's apps with ``updated_at``) leaves a tombstone when it
    is deleted, however it is deleted — a service, the admin, or a cascade from its parent. ``pre_delete``: the
    parents are still there to tell which places the record belonged to."""
    from django.apps import apps
    from django.db.models.signals import pre_delete

    for model in apps.get_models():
        if model._meta.app_label in SYNCED_APPS and any(f.name == "updated_at" for f in model._meta.fields):
            pre_delete.connect(_record_deletion, sender=model, dispatch_uid=f"tombstone:{model._meta.label_lower}")


def tombstones_visible_to(user):
    scope = get_scope(user)
    if scope.is_global:
        return Tombstone.objects.all()
    q = Q(pk__in=[])
    if scope.district_ids:
        q |= Q(district_id__in=sorted(scope.district_ids))
    if scope.subdistrict_ids:
        q |= Q(subdistrict_id__in=sorted(scope.subdistrict_ids))
    if scope.community_ids:
        q |= Q(community_id__in=sorted(scope.community_ids))
    if scope.company_ids:
        from projects.models import Project

        q |= Q(compound_id__in=Project.objects.filter(contractor_id__in=sorted(scope.company_ids))
               .values("compound_id")) | Q(company_id__in=sorted(scope.company_ids))
    return Tombstone.objects.filter(q)


class TombstoneSerializer(serializers.ModelSerializer):
    class Meta:
        model = Tombstone
        fields = ["model", "object_pk", "deleted_at"]


class TombstoneFilterSet(django_filters.FilterSet):
    since = UTCDateTimeFilter(field_name="deleted_at", lookup_expr="gt", required=True,
                                             label="deleted after (ISO 8601)")
    model = django_filters.CharFilter(label="record type, e.g. projects.progressreport")

    class Meta:
        model = Tombstone
        fields = ["since", "model"]


class DeletionViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """Records deleted since a time, within the user's scope, oldest first."""

    serializer_class = TombstoneSerializer
    filterset_class = TombstoneFilterSet
    queryset = Tombstone.objects.none()
    ordering_fields = ["deleted_at"]

    def get_queryset(self):
        return tombstones_visible_to(self.request.user).order_by("deleted_at", "id")

    @extend_schema(summary="Deletions since a time")
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)
