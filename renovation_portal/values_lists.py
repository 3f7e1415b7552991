"""List endpoints that serve rows straight from ``values()``.

A DRF list of model instances spends most of its time in Python: building a model instance for every joined
row, then walking every field of every row through ``get_attribute`` and ``to_representation``. At 50 rows a
page that was ≈ 80 % of an issue-list request (BENCHMARKS.md). The big lists therefore read their page with
``values()`` and turn the rows into the very JSON the model serializer would give.

The serializer stays the single description of a list's fields — its schema, its detail view and its
writes are untouched. ``ValuesPlan`` is compiled once per serializer class from the serializer's own fields:
each field becomes a column of the ``values()`` query (its ``source`` as a lookup path), converted only where
the field's representation differs from the database value (dates, times, decimals), with the field's own
``to_representation``. Nested single objects come from the same joined query; nested lists (``many=True``)
come from one more query for the whole page. A field the plan cannot express (a method or a property) must
be given as a database expression in the view's ``list_annotations``; anything else fails loudly when the
plan is compiled, and ``tests/test_values_lists.py`` proves each fast list equals its serializer's output.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cache

from django.conf import settings
from django.core.exceptions import FieldDoesNotExist, ImproperlyConfigured
from django.db import models
from django.utils import timezone
from rest_framework import ISO_8601, serializers
from rest_framework.response import Response
from rest_framework.settings import api_settings

# Field types whose JSON differs from the value the database driver returns.
_CONVERTED = (
    serializers.DateTimeField,
    serializers.DateField,
    serializers.TimeField,
    serializers.DecimalField,
    serializers.DurationField,
    serializers.UUIDField,
    serializers.FloatField,
    serializers.FileField,
)
# A converter that stands for DRF's default DateTimeField representation: in the request's time zone, ISO 8601,
# "Z" for UTC. Done inline in ``_row`` with the time zone looked up once per page, not once per value.
_ISO_DATETIME = object()


def _converter(field_):
    if (
        isinstance(field_, serializers.DateTimeField)
        and settings.USE_TZ
        and not hasattr(field_, "timezone")
        and str(getattr(field_, "format", api_settings.DATETIME_FORMAT)).lower() == ISO_8601
    ):
        return _ISO_DATETIME
    if (
        type(field_) is serializers.DateField
        and str(getattr(field_, "format", api_settings.DATE_FORMAT)).lower() == ISO_8601
    ):
        return _isoformat
    return field_.to_representation if isinstance(field_, _CONVERTED) else None


def _isoformat(value):
    return value.isoformat()


@dataclass
class _Many:
    """A nested ``many=True`` serializer over a reverse foreign key: one query for the whole page."""

    name: str
    parent_key: str  # the column holding the parent's pk in the parent's rows
    related_field: str  # the child's foreign key to the parent (its attname)
    model: type[models.Model]
    plan: ValuesPlan


@dataclass
class ValuesPlan:
    """The columns to select and how to turn one row into the serializer's representation."""

    serializer_class: type[serializers.Serializer]
    columns: list[str] = field(default_factory=list)
    annotated: list[str] = field(default_factory=list)  # columns the view gives as expressions
    # (output name, column, converter or None), or (output name, nested plan, null column) for nested objects
    steps: list[tuple] = field(default_factory=list)
    many: list[_Many] = field(default_factory=list)
    postprocess: Callable | None = None

    def queryset(
        self, queryset: models.QuerySet, annotations: dict | None = None, keep: Iterable[str] = ()
    ) -> models.QuerySet:
        """``queryset`` as rows of this plan's columns (plus ``keep``, e.g. the pagination's ordering)."""
        columns = list(dict.fromkeys([*self.columns, *keep]))
        queryset = queryset.prefetch_related(None)
        if self.annotated:
            queryset = queryset.annotate(**{name: (annotations or {})[name] for name in self.annotated})
        return queryset.values(*columns)

    def render(self, rows: list[dict], context: dict | None = None) -> list[dict]:
        """The serializer's representation of these rows; nested lists cost one query for all of them."""
        tz = timezone.get_current_timezone()
        data = [self._row(row, tz) for row in rows]
        for many in self.many:
            parent_ids = [row[many.parent_key] for row in rows]
            grouped: dict = {pk: [] for pk in parent_ids}
            if parent_ids:
                children = many.model._default_manager.filter(**{f"{many.related_field}__in": parent_ids})
                if not many.model._meta.ordering:  # as the prefetch reads them, but stable
                    children = children.order_by("pk")
                child_rows = list(many.plan.queryset(children, keep=[many.related_field]))
                for child_row, child in zip(child_rows, many.plan.render(child_rows, context)):
                    grouped[child_row[many.related_field]].append(child)
            for row, item in zip(rows, data):
                item[many.name] = grouped[row[many.parent_key]]
        self._postprocess(data, context or {})
        return data

    def _postprocess(self, items: list[dict], context: dict) -> None:
        """The serializers' own after-steps (masking), on these items and on their nested objects."""
        for name, nested, _null in self.steps:
            if isinstance(nested, ValuesPlan):
                nested._postprocess([item[name] for item in items if item[name] is not None], context)
        if self.postprocess is not None:
            self.postprocess(items, context)

    def _row(self, row: dict, tz) -> dict:
        item = {}
        for name, source, extra in self.steps:
            if isinstance(source, ValuesPlan):  # a nested single object, null when its join found no row
                item[name] = None if row[extra] is None else source._row(row, tz)
                continue
            value = row[source]
            if value is None or extra is None:
                item[name] = value
            elif extra is _ISO_DATETIME:
                text = value.astimezone(tz).isoformat()
                item[name] = text[:-6] + "Z" if text.endswith("+00:00") else text
            else:
                item[name] = extra(value)
        for many in self.many:
            item[many.name] = None  # filled by render(); keeps the serializer's key order
        return item


def _lookup(model: type[models.Model], attrs: list[str]) -> tuple[str, type[models.Model]]:
    """A serializer ``source`` (``project.compound.name``) as a values() path, checked against the models, and
    the model the path ends on (the related model when it ends on a relation)."""
    current, parts = model, []
    for attr in attrs:
        try:
            model_field = current._meta.get_field(attr)
        except FieldDoesNotExist:
            # ``community_id``: an attname of a foreign key reads the same column as the relation's name.
            matches = [f for f in current._meta.concrete_fields if f.attname == attr]
            if not matches:
                raise
            model_field = matches[0]
        parts.append(model_field.name)
        current = model_field.related_model if model_field.is_relation else current
    return "__".join(parts), current


def _compile(serializer_class, model, prefix: str, annotations: frozenset, plan: ValuesPlan) -> None:
    serializer = serializer_class()
    for name, field_ in serializer.fields.items():
        if field_.write_only:
            continue
        if prefix == "" and name in annotations:
            plan.annotated.append(name)
            plan.columns.append(name)
            plan.steps.append((name, name, None))
            continue
        attrs = field_.source_attrs
        if isinstance(field_, serializers.ListSerializer):
            relation = model._meta.get_field(attrs[0]) if len(attrs) == 1 else None
            if prefix or not isinstance(relation, models.ManyToOneRel):
                raise ImproperlyConfigured(
                    f"{serializer_class.__name__}.{name}: only a reverse foreign key can be a "
                    "nested list of a values() list"
                )
            child_plan = _new_plan(field_.child.__class__)
            _compile(field_.child.__class__, relation.related_model, "", frozenset(), child_plan)
            plan.columns.append("pk")
            plan.many.append(_Many(name, "pk", relation.field.attname, relation.related_model, child_plan))
            continue
        try:
            path, related = _lookup(model, attrs)
            path = prefix + path
        except (FieldDoesNotExist, AttributeError):
            raise ImproperlyConfigured(
                f"{serializer_class.__name__}.{name} (source {field_.source!r}) is no database column: give it as "
                "an expression in the view's list_annotations"
            ) from None
        if isinstance(field_, serializers.Serializer):
            nested = _new_plan(field_.__class__)
            _compile(field_.__class__, related, path + "__", frozenset(), nested)
            plan.columns.extend(nested.columns)
            plan.columns.append(path + "__pk")
            plan.steps.append((name, nested, path + "__pk"))
            continue
        if isinstance(field_, serializers.SerializerMethodField) or type(field_) is serializers.ReadOnlyField:
            raise ImproperlyConfigured(
                f"{serializer_class.__name__}.{name} is computed in Python: give it as an "
                "expression in the view's list_annotations"
            )
        plan.columns.append(path)
        plan.steps.append((name, path, _converter(field_)))


def _new_plan(serializer_class) -> ValuesPlan:
    # ``postprocess_rows(rows, context)``: what the serializer does to its output after the fields (the masking
    # of communities.privacy), applied to nested and listed objects too.
    return ValuesPlan(serializer_class, postprocess=getattr(serializer_class, "postprocess_rows", None))


@cache
def values_plan(serializer_class, model, annotated: frozenset = frozenset()) -> ValuesPlan:
    """The plan of ``serializer_class`` over ``model``, compiled once; ``annotated`` names the fields that
    the view gives as database expressions."""
    plan = _new_plan(serializer_class)
    _compile(serializer_class, model, "", annotated, plan)
    plan.columns = list(dict.fromkeys(plan.columns))
    return plan


class ValuesListMixin:
    """For a viewset: ``list`` reads the page with ``values()`` and renders it by the list serializer's plan.
    ``list_annotations()`` gives database expressions for fields that are properties of the model (made per
    request: an expression may depend on today's date)."""

    def list_annotations(self) -> dict:
        return {}

    def list(self, request, *args, **kwargs):
        queryset = self.filter_queryset(self.get_queryset())
        annotations = self.list_annotations()
        plan = values_plan(self.get_serializer_class(), queryset.model, frozenset(annotations))
        ordering = getattr(self.paginator, "ordering", ()) or ()
        ordering = [name.lstrip("-") for name in ([ordering] if isinstance(ordering, str) else ordering)]
        rows = plan.queryset(queryset, annotations, keep=ordering)
        page = self.paginate_queryset(rows)
        data = plan.render(list(page if page is not None else rows), self.get_serializer_context())
        return self.get_paginated_response(data) if page is not None else Response(data)
