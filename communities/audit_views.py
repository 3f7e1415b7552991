"""Officials browse the audit trail of their own subtree."""

import re
from dataclasses import dataclass

import django_filters
from auditlog.models import LogEntry
from django import forms
from django.contrib.auth.decorators import login_required
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Q
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _

from communities.choices import RoleKind
from communities.scoping import get_scope

AUDITED_APPS = ("communities", "notifications", "projects", "consultations", "inspections")

# django-auditlog names its actions in lower-case English and has no Chinese catalog.
ACTION_CHOICES = [
    (LogEntry.Action.CREATE, _("Created")),
    (LogEntry.Action.UPDATE, _("Changed")),
    (LogEntry.Action.DELETE, _("Deleted")),
    (LogEntry.Action.ACCESS, _("Viewed")),
]
ACTION_LABELS = dict(ACTION_CHOICES)
# Where a write came from (communities.audit): "web", "api", "admin", "task:<name>", "command:<name>".
SOURCE_LABELS = {
    "web": _("Web page"),
    "api": _("API"),
    "admin": _("Admin site"),
    "task": _("Scheduled task"),
    "command": _("Command"),
}
# How auditlog writes an empty value (None as text), and what a reverse relation's manager looks like as text
# ("inspections.IssuePhoto.None"): the latter says nothing about the change and is left out.
EMPTY_VALUES = {"", "None", "[]", "{}"}
MANAGER_REPR = re.compile(r"[\w]+\.[\w]+\.None")
DEFAULT_OBJECT_REPR = re.compile(r"\w+ object \(.*\)")


@dataclass(frozen=True)
class ChangeRow:
    field: str
    old: str | None  # None: not shown (a created record has no old values, a deleted one no new values)
    new: str | None


def _in_words(value) -> str:
    text = "" if value is None else str(value)
    if text in EMPTY_VALUES:
        return str(_("(empty)"))
    if text == "True":
        return str(_("Yes"))
    if text == "False":
        return str(_("No"))
    return text


def change_rows(entry) -> list[ChangeRow]:
    """An entry's changes as a person reads them: empty values and booleans in words, the created record's
    values without an old side (and the deleted one's without a new side), reverse relations left out."""
    rows = []
    for field, values in entry.changes_display_dict.items():
        old, new = (list(values) + [None, None])[:2]
        shown = [str(v) for v in (old, new) if v is not None and str(v) not in EMPTY_VALUES]
        if shown and all(MANAGER_REPR.fullmatch(v) for v in shown):
            continue
        rows.append(
            ChangeRow(
                field=str(field),
                old=None if entry.action == LogEntry.Action.CREATE else _in_words(old),
                new=None if entry.action == LogEntry.Action.DELETE else _in_words(new),
            )
        )
    return rows


def source_label(cid: str | None) -> str:
    """ "command:load_demo" → "Command load_demo"; an unknown source as written."""
    if not cid:
        return "—"
    kind, _sep, name = cid.partition(":")
    label = SOURCE_LABELS.get(kind)
    return f"{label} {name}".strip() if label else cid


def object_label(entry) -> str:
    """The record's own words, or nothing when the model has no text of its own ("Photo object (3)")."""
    return "" if DEFAULT_OBJECT_REPR.fullmatch(entry.object_repr or "") else entry.object_repr


def audit_entries_visible_to(user):
    """Superusers see every entry; district and subdistrict officials those of objects in their subtree."""
    scope = get_scope(user)
    if scope.is_global:
        return LogEntry.objects.all()
    q = Q(pk__in=[])
    if RoleKind.DISTRICT_OFFICIAL in scope.role_kinds and scope.bound_district_ids:
        q |= Q(additional_data__district__in=sorted(scope.bound_district_ids))
    if RoleKind.SUBDISTRICT_OFFICIAL in scope.role_kinds and scope.subdistrict_ids:
        q |= Q(additional_data__subdistrict__in=sorted(scope.subdistrict_ids))
    return LogEntry.objects.filter(q)


def may_browse_audit(user) -> bool:
    return get_scope(user).has_role(RoleKind.DISTRICT_OFFICIAL, RoleKind.SUBDISTRICT_OFFICIAL)


class AuditFilterSet(django_filters.FilterSet):
    actor = django_filters.CharFilter(field_name="actor__username", lookup_expr="icontains", label=_("Who"))
    action = django_filters.ChoiceFilter(
        choices=ACTION_CHOICES,
        label=_("Action"),
        empty_label=_("All"),
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    content_type = django_filters.ModelChoiceFilter(
        queryset=ContentType.objects.filter(app_label__in=AUDITED_APPS).order_by("app_label", "model"),
        label=_("Record type"),
        empty_label=_("All"),
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    object_pk = django_filters.CharFilter(label=_("Record id"))
    source = django_filters.CharFilter(field_name="cid", lookup_expr="startswith", label=_("Path"))
    since = django_filters.DateFilter(
        field_name="timestamp",
        lookup_expr="date__gte",
        label=_("From"),
        widget=forms.DateInput(attrs={"type": "date", "class": "form-control"}),
    )
    until = django_filters.DateFilter(
        field_name="timestamp",
        lookup_expr="date__lte",
        label=_("Until"),
        widget=forms.DateInput(attrs={"type": "date", "class": "form-control"}),
    )

    class Meta:
        model = LogEntry
        fields = ["actor", "action", "content_type", "object_pk", "source", "since", "until"]


@login_required
def audit_log(request):
    if not may_browse_audit(request.user):
        raise PermissionDenied
    base = audit_entries_visible_to(request.user).select_related("actor", "content_type").order_by("-timestamp")
    filterset = AuditFilterSet(request.GET or None, queryset=base)
    for field in filterset.form.fields.values():
        field.widget.attrs.setdefault("class", "form-control")
    entries = filterset.qs if filterset.is_bound and filterset.is_valid() else base
    page = Paginator(entries, 50).get_page(request.GET.get("page"))
    for entry in page:
        entry.action_label = ACTION_LABELS.get(entry.action, entry.action)
        entry.change_rows = change_rows(entry)
        entry.object_label = object_label(entry)
        entry.source_label = source_label(entry.cid)
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request, "communities/audit_log.html", {"filter": filterset, "page": page, "query": query.urlencode()}
    )
