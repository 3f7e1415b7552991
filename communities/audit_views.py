"""Officials browse the audit trail of their own subtree."""

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
        choices=LogEntry.Action.choices,
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
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request, "communities/audit_log.html", {"filter": filterset, "page": page, "query": query.urlencode()}
    )
