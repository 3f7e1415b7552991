"""Filters for place-tree lists, shared by the web pages and the API."""

import django_filters
from django import forms
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from communities.choices import LeadChoice, PropertyMode, RoleKind
from communities.models import Building, BuildingLead, Community, Compound, Role, Subdistrict, User
from communities.selectors import governance_conditions, property_mode_on
from renovation_portal.sync import UpdatedSinceFilterSet

GOVERNANCE_CHOICES = [
    ("party_branches", _("New party branch")),
    ("self_governance_groups", _("Self-governance group set up")),
    ("owners_committees", _("Owners' committee formed or re-elected")),
    ("property_introduced", _("Property service introduced")),
]


class CompoundFilterSet(UpdatedSinceFilterSet):
    q = django_filters.CharFilter(label=_("Search"), method="filter_q")
    province = django_filters.NumberFilter(
        field_name="community__subdistrict__district__city__province", label=_("province")
    )
    city = django_filters.NumberFilter(field_name="community__subdistrict__district__city", label=_("city"))
    district = django_filters.NumberFilter(field_name="community__subdistrict__district", label=_("district"))
    subdistrict = django_filters.ModelChoiceFilter(
        field_name="community__subdistrict", queryset=Subdistrict.objects.all(), label=_("subdistrict")
    )
    community = django_filters.ModelChoiceFilter(queryset=Community.objects.all(), label=_("community"))
    compound = django_filters.NumberFilter(field_name="pk", label=_("compound"))  # a compound's own dashboard links
    property_mode = django_filters.ChoiceFilter(
        method="filter_property_mode",
        choices=PropertyMode.choices,
        label=_("property service mode"),
        empty_label=_("All"),
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    # The property mode on a day (the dashboards' modes at a period's end) rather than today's.
    property_on = django_filters.DateFilter(label=_("property mode on"), method="filter_nothing")
    property_managed = django_filters.BooleanFilter(
        label=_("basic property service (menu-style, professional or shared)"), method="filter_property_managed"
    )
    built_after = django_filters.NumberFilter(field_name="year_built", lookup_expr="gte", label=_("built from"))
    built_before = django_filters.NumberFilter(field_name="year_built", lookup_expr="lte", label=_("built until"))
    # The dashboards' governance figures (数说改造): the compounds that count in ``governance`` over [since, until].
    governance = django_filters.ChoiceFilter(
        choices=GOVERNANCE_CHOICES, label=_("governance figure"), method="filter_governance"
    )
    since = django_filters.DateFilter(label=_("from"), method="filter_nothing")
    until = django_filters.DateFilter(label=_("until"), method="filter_nothing")

    class Meta:
        model = Compound
        fields = [
            "q",
            "province",
            "city",
            "district",
            "subdistrict",
            "community",
            "compound",
            "property_mode",
            "property_on",
            "property_managed",
            "built_after",
            "built_before",
            "governance",
            "since",
            "until",
            "updated_since",
        ]

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        if user is None and self.request is not None:
            user = self.request.user
        # The choices offered are the user's own subtree: another subdistrict is not even listed.
        if user is not None and "subdistrict" in self.filters:
            self.filters["subdistrict"].queryset = Subdistrict.objects.visible_to(user)
            self.filters["community"].queryset = Community.objects.visible_to(user)

    def filter_property_mode(self, queryset, name, value):
        """The mode of the compound's current property service (none: no service, or one of mode none); with
        ``property_on``, of the service in force that day."""
        day = self.form.cleaned_data.get("property_on")
        if day is not None:
            return queryset.filter(property_mode_on(day, value))
        if value == PropertyMode.NONE:
            return queryset.filter(Q(property_service__isnull=True) | Q(property_service__mode=value))
        return queryset.filter(property_service__mode=value)

    def filter_property_managed(self, queryset, name, value):
        """Compounds with basic property service (a managed mode) today, or on ``property_on``."""
        day = self.form.cleaned_data.get("property_on") or timezone.localdate()
        managed = property_mode_on(day, managed=True)
        return queryset.filter(managed) if value else queryset.exclude(managed)

    def filter_governance(self, queryset, name, value):
        data = self.form.cleaned_data
        return queryset.filter(governance_conditions(data.get("since"), data.get("until"))[value])

    def filter_nothing(self, queryset, name, value):
        return queryset  # read by the filters it qualifies

    def filter_q(self, queryset, name, value):
        return queryset.filter(Q(name__icontains=value) | Q(code__icontains=value) | Q(address__icontains=value))


class BuildingFilterSet(UpdatedSinceFilterSet):
    class Meta:
        model = Building
        fields = ["compound", "updated_since"]


class UserFilterSet(django_filters.FilterSet):
    """The people list (web and API): a name search, the role, the place and whether the account is active."""

    q = django_filters.CharFilter(label=_("Search"), method="filter_q")
    role = django_filters.ChoiceFilter(
        choices=RoleKind.choices, label=_("role"), method="filter_role", empty_label=_("All")
    )
    subdistrict = django_filters.ModelChoiceFilter(
        # field_name names the id's type for the schema; the method filters on roles of the subdistrict and below.
        field_name="roles__subdistrict",
        queryset=Subdistrict.objects.all(),
        label=_("subdistrict"),
        method="filter_subdistrict",
    )
    is_active = django_filters.BooleanFilter(label=_("active"))

    class Meta:
        model = User
        fields = ["q", "role", "subdistrict", "is_active"]

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        if user is None and self.request is not None:
            user = self.request.user
        if user is not None:
            self.filters["subdistrict"].queryset = Subdistrict.objects.visible_to(user)

    def filter_property_mode(self, queryset, name, value):
        """The mode of the compound's current property service (none: no service, or one of mode none)."""
        if value == PropertyMode.NONE:
            return queryset.filter(Q(property_service__isnull=True) | Q(property_service__mode=value))
        return queryset.filter(property_service__mode=value)

    def filter_q(self, queryset, name, value):
        return queryset.filter(
            Q(username__icontains=value)
            | Q(display_name__icontains=value)
            | Q(email__icontains=value)
            | Q(phone__icontains=value)
        )

    def filter_role(self, queryset, name, value):
        return queryset.filter(pk__in=Role.objects.filter(kind=value).values("user_id"))

    def filter_subdistrict(self, queryset, name, value):
        roles = Role.objects.filter(Q(subdistrict=value) | Q(community__subdistrict=value))
        return queryset.filter(pk__in=roles.values("user_id"))


class BuildingLeadFilterSet(django_filters.FilterSet):
    building = django_filters.NumberFilter(field_name="building_id", label=_("building"))
    compound = django_filters.NumberFilter(field_name="building__compound_id", label=_("compound"))
    chosen_by = django_filters.ChoiceFilter(choices=LeadChoice.choices, label=_("how chosen"))

    class Meta:
        model = BuildingLead
        fields = ["building", "compound", "chosen_by"]
