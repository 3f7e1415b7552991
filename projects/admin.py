from django.contrib import admin

from communities.choices import CompanyKind
from communities.models import Company
from projects.models import (
    FundingEntry,
    PlanConfirmation,
    PlanVersion,
    ProgrammeTarget,
    ProgressPhoto,
    ProgressReport,
    Project,
    ProjectEvent,
    ProjectFunding,
    ScopeItem,
)


class ScopedAdmin(admin.ModelAdmin):
    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        return queryset if request.user.is_superuser else queryset.visible_to(request.user)


class FundingInline(admin.TabularInline):
    model = ProjectFunding
    extra = 0


class FundingEntryInline(admin.TabularInline):
    """The ledger, read-only: entries are recorded through projects.services.funding_entry_record (the ceilings
    and the lock live there)."""

    model = FundingEntry
    extra = 0
    can_delete = False
    fields = ["date", "source", "stage", "amount", "document_number", "note", "recorded_by"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Project)
class ProjectAdmin(ScopedAdmin):
    list_display = ["name", "compound", "batch", "status", "contractor", "progress_percent", "planned_finish"]
    list_filter = ["status", "batch", "contractor"]
    search_fields = ["name", "compound__name"]
    list_select_related = ["compound", "contractor"]
    inlines = [FundingInline, FundingEntryInline]
    # Status changes go through the lifecycle services (history, guards): read-only here.
    readonly_fields = ["status", "status_before_suspension", "progress_percent", "version"]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "contractor":  # only an EPC contractor can hold a project (projects.services)
            kwargs["queryset"] = Company.objects.filter(kind=CompanyKind.CONTRACTOR)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(ProjectEvent)
class ProjectEventAdmin(ScopedAdmin):
    list_display = ["project", "from_status", "to_status", "actor", "created_at"]
    list_select_related = ["project", "actor"]

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


for model, fields in (
    (PlanVersion, ["project", "number", "created_at"]),
    (PlanConfirmation, ["plan_version", "party", "confirmed_by", "confirmed_at"]),
    (ScopeItem, ["project", "category", "name", "planned_quantity", "completed_quantity"]),
    (ProgressReport, ["project", "report_date", "percent_complete", "created_by"]),
):
    admin.site.register(model, ScopedAdmin, list_display=fields)


@admin.register(ProgressPhoto)
class ProgressPhotoAdmin(ScopedAdmin):
    """Photos come only with a filed report (progress_report_file checks them and strips their EXIF)."""

    list_display = ["report", "taken_at", "uploaded_at"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(ProgrammeTarget)
class ProgrammeTargetAdmin(admin.ModelAdmin):
    list_display = ["district", "year", "to_start", "to_finish", "updated_at"]
    list_filter = ["year"]
