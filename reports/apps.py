from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportsConfig(AppConfig):
    """Reports upward: the districts' monthly progress reports to the city and province. Top layer, next to
    dashboards (the two know nothing of each other); nothing imports it."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "reports"
    verbose_name = _("Monthly reports")

    def ready(self):
        from renovation_portal.navigation import register_nav_item
        from reports.permissions import REPORT_ROLES

        register_nav_item(_("Monthly reports"), "reports:list", REPORT_ROLES, position=25)
