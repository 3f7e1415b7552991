"""Incremental sync for the mobile client: ``updated_since`` on lists, and tombstones of deletions.

A client stores the time of its last sync, then asks each list for ``?updated_since=<that time>`` and
``/api/v1/sync/deletions/?since=<that time>`` for what was deleted meanwhile, and drops those records.
"""

from datetime import UTC

import django_filters
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, viewsets

from renovation_portal.models import Tombstone

# What this layer needs to know of the apps, registered in their AppConfig.ready() (the core imports no app):
# ``describe(instance, compound)`` returns Tombstone fields of a deleted record (its places, its company), and
# ``visible(user)`` the filter of the tombstones a user may see (None: every tombstone).
_DESCRIBERS: list = []
_VISIBILITY: list = []


def register_tombstone_describer(describe) -> None:
    if describe not in _DESCRIBERS:
        _DESCRIBERS.append(describe)


def register_tombstone_visibility(visible) -> None:
    _VISIBILITY[:] = [visible]


class UTCIsoDateTimeField(django_filters.fields.IsoDateTimeField):
    """An ISO 8601 time, converted to UTC: Python accepts offsets PostgreSQL would refuse (beyond ±15:59).

    A time at the very edge of Python's range (0001-01-01T00:00+14:00, 9999-12-31T23:59-12:00, or a naive one
    read in the portal's time zone) has no UTC equivalent: a form error, not an OverflowError."""

    default_error_messages = {
        "out_of_range": _("This time is out of range: give one between the years 1 and 9999 in UTC.")
    }

    def to_python(self, value):
        value = super().to_python(value)
        if value is None:
            return None
        try:
            return value.astimezone(UTC)
        except OverflowError:
            raise ValidationError(self.error_messages["out_of_range"], code="out_of_range") from None


class UTCDateTimeFilter(django_filters.IsoDateTimeFilter):
    field_class = UTCIsoDateTimeField


class UpdatedSinceFilterSet(django_filters.FilterSet):
    """Mix into a FilterSet of a model with ``updated_at``: ``?updated_since=2026-11-24T08:00:00+08:00``."""

    updated_since = UTCDateTimeFilter(field_name="updated_at", lookup_expr="gt", label="changed after (ISO 8601)")


def tombstone_record(instance, *, compound=None) -> Tombstone:
    """Record that ``instance`` is deleted (call it in the deleting service, before the delete)."""
    fields = {}
    for describe in _DESCRIBERS:
        fields.update(describe(instance, compound))
    return Tombstone.objects.create(model=instance._meta.label_lower, object_pk=str(instance.pk), **fields)


def _record_deletion(sender, instance, **kwargs):
    try:
        tombstone_record(instance)
    except Exception:  # a parent already gone in a cascade: record without places rather than block the delete
        Tombstone.objects.create(model=instance._meta.label_lower, object_pk=str(instance.pk))


def connect_tombstones(app_label: str) -> None:
    """Every record a client syncs (a model of the app ``app_label`` with ``updated_at``; each synced app calls
    this in its AppConfig.ready()) leaves a tombstone when it is deleted, however it is deleted — a service, the
    admin, or a cascade from its parent. ``pre_delete``: the parents are still there to tell which places the
    record belonged to."""
    from django.apps import apps
    from django.db.models.signals import pre_delete

    for model in apps.get_app_config(app_label).get_models():
        if any(f.name == "updated_at" for f in model._meta.fields):
            pre_delete.connect(_record_deletion, sender=model, dispatch_uid=f"tombstone:{model._meta.label_lower}")


def tombstones_visible_to(user):
    if not _VISIBILITY:  # no app says who sees what: nobody sees anything
        return Tombstone.objects.none()
    q = _VISIBILITY[0](user)
    return Tombstone.objects.all() if q is None else Tombstone.objects.filter(q)


class TombstoneSerializer(serializers.ModelSerializer):
    class Meta:
        model = Tombstone
        fields = ["model", "object_pk", "deleted_at"]


class TombstoneFilterSet(django_filters.FilterSet):
    since = UTCDateTimeFilter(
        field_name="deleted_at", lookup_expr="gt", required=True, label="deleted after (ISO 8601)"
    )
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
