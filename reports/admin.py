from django.contrib import admin

from reports.models import MonthlyReport


@admin.register(MonthlyReport)
class MonthlyReportAdmin(admin.ModelAdmin):
    """Read-only: a submitted report is never changed (the database refuses it too)."""

    list_display = ["district", "year", "month", "version", "submitted_by", "submitted_at"]
    list_filter = ["year", "month"]
    list_select_related = ["district", "submitted_by"]

    def get_queryset(self, request):
        return MonthlyReport.objects.visible_to(request.user).select_related("district", "submitted_by")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
