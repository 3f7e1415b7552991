from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DashboardsConfig(AppConfig):
    """The place dashboards: they read every domain app, and no app imports them."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "dashboards"
    verbose_name = _("Dashboards")

    def ready(self):
        from communities.selectors import register_home_section
        from dashboards import today
        from dashboards.views import VIEWERS
        from renovation_portal.navigation import register_nav_item

        register_home_section(today.today_sections)
        register_nav_item(_("Dashboard"), "dashboard:home", VIEWERS, position=20)
