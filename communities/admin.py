"""The admin goes through the same permission layer: staff see and change only their scope."""

from auditlog.models import LogEntry
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from communities import services
from communities.models import (
    ApiToken,
    Building,
    BuildingLead,
    City,
    Community,
    Company,
    Compound,
    District,
    OwnersBody,
    PartyBranch,
    PropertyService,
    Province,
    Role,
    Subdistrict,
    User,
)
from communities.permissions import can_change_building, can_change_compound


class ScopedAdmin(admin.ModelAdmin):
    """List only what the user may see; change only what the permission layer allows."""

    change_check = None

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        return queryset if request.user.is_superuser else queryset.visible_to(request.user)

    def has_change_permission(self, request, obj=None):
        if obj is not None and self.change_check is not None and not request.user.is_superuser:
            return self.change_check(request.user, obj)
        return super().has_change_permission(request, obj)


@admin.register(Province)
class ProvinceAdmin(ScopedAdmin):
    list_display = ["code", "name"]
    search_fields = ["name", "code"]


@admin.register(City)
class CityAdmin(ScopedAdmin):
    list_display = ["code", "name", "province"]
    list_filter = ["province"]
    search_fields = ["name", "code"]
    list_select_related = ["province"]


@admin.register(District)
class DistrictAdmin(ScopedAdmin):
    list_display = ["code", "name", "city"]
    list_filter = ["city"]
    search_fields = ["name", "code"]
    list_select_related = ["city"]


@admin.register(Subdistrict)
class SubdistrictAdmin(ScopedAdmin):
    list_display = ["code", "name", "district"]
    list_filter = ["district"]
    search_fields = ["name", "code"]


@admin.register(Community)
class CommunityAdmin(ScopedAdmin):
    list_display = ["code", "name", "subdistrict", "party_secretary_name"]
    list_filter = ["subdistrict"]
    search_fields = ["name", "code"]
    list_select_related = ["subdistrict"]


class BuildingInline(admin.TabularInline):
    model = Building
    extra = 0


@admin.register(Compound)
class CompoundAdmin(ScopedAdmin):
    change_check = staticmethod(can_change_compound)
    list_display = ["code", "name", "community", "year_built", "household_count", "is_synthetic"]
    list_filter = ["property_service__mode", "is_synthetic", "community__subdistrict"]
    search_fields = ["name", "code", "address"]
    list_select_related = ["community"]
    # The mode follows the current property service (recorded on the compound page), the count its buildings.
    readonly_fields = ["property_mode", "building_count"]
    inlines = [BuildingInline]

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        services.compound_count_buildings(compound_ids=[form.instance.pk])


@admin.register(Building)
class BuildingAdmin(ScopedAdmin):
    change_check = staticmethod(can_change_building)
    list_display = ["compound", "number", "floors", "household_count"]
    search_fields = ["compound__name", "number"]
    list_select_related = ["compound"]

    # The compound's building_count is the number of its buildings, here as on every other path.
    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        services.compound_count_buildings(compound_ids=[obj.compound_id])

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        services.compound_count_buildings(compound_ids=[obj.compound_id])

    def delete_queryset(self, request, queryset):
        compound_ids = set(queryset.values_list("compound_id", flat=True))
        super().delete_queryset(request, queryset)
        services.compound_count_buildings(compound_ids=compound_ids)


class GovernanceRecordAdmin(admin.ModelAdmin):
    """Read-only: a body is recorded on the compound page or through the API (the service ends the earlier record
    and keeps the compound's current body and property mode), never overwritten here."""

    list_display = ["compound", "__str__", "ended_on"]
    list_filter = [("ended_on", admin.EmptyFieldListFilter)]
    search_fields = ["compound__name"]
    list_select_related = ["compound"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


for model in (PartyBranch, OwnersBody, PropertyService):
    admin.site.register(model, GovernanceRecordAdmin)


@admin.register(BuildingLead)
class BuildingLeadAdmin(admin.ModelAdmin):
    """Read-only: a lead is recorded on the building's lead page or through the API (the service ends the earlier
    record), never overwritten here."""

    list_display = ["building", "name", "chosen_by", "chosen_on", "ended_on"]
    list_filter = ["chosen_by", ("ended_on", admin.EmptyFieldListFilter)]
    search_fields = ["name", "building__compound__name"]
    list_select_related = ["building__compound"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Company)
class CompanyAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "contact_name"]
    list_filter = ["kind"]
    search_fields = ["name"]


class RoleInline(admin.TabularInline):
    model = Role
    extra = 0
    autocomplete_fields = ["district", "subdistrict", "community", "company"]


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    inlines = [RoleInline]
    list_display = ["username", "display_name", "email", "is_staff", "is_active"]
    fieldsets = [*BaseUserAdmin.fieldsets, (None, {"fields": ["display_name", "phone"]})]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if change and "is_active" in form.changed_data and not obj.is_active:
            services.api_tokens_revoke_all(user=obj)  # a deactivated account's phones stay logged out


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["user", "device_name", "prefix", "otp_verified", "created_at", "last_used_at"]
    readonly_fields = ["user", "device_name", "prefix", "otp_verified", "created_at", "last_used_at"]

    def has_add_permission(self, request):
        return False


# The audit trail is read-only for everyone, superusers included: no add, change or delete in the admin.
admin.site.unregister(LogEntry)


@admin.register(LogEntry)
class ReadOnlyLogEntryAdmin(admin.ModelAdmin):
    list_display = ["timestamp", "actor", "remote_addr", "cid", "action", "content_type", "object_repr"]
    list_filter = ["action", "content_type"]
    search_fields = ["object_repr", "actor__username", "object_pk"]
    list_select_related = ["actor", "content_type"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
