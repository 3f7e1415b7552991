from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PlanningConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "planning"
    verbose_name = _("Declarations and annual plans")

    def ready(self):
        from communities.choices import RoleKind
        from communities.selectors import register_home_section
        from notifications.kinds import register_kinds
        from planning import today
        from planning.choices import NotificationKind
        from planning.services import plan_item_origin
        from projects.hooks import register_project_origin
        from renovation_portal.navigation import register_nav_item

        register_kinds(NotificationKind)
        register_project_origin(plan_item_origin)  # project_create(plan_item=...) comes from an item of the plan
        register_home_section(today.today_sections)
        register_nav_item(
            _("Declarations"),
            "planning:declaration-list",
            (RoleKind.DISTRICT_OFFICIAL, RoleKind.SUBDISTRICT_OFFICIAL, RoleKind.COMMUNITY_SECRETARY),
            position=35,
            badge=today.declarations_badge,
            badge_label=_("to do"),
        )
        register_nav_item(
            _("Project library"),
            "planning:library",
            (RoleKind.DISTRICT_OFFICIAL, RoleKind.SUBDISTRICT_OFFICIAL, RoleKind.COMMUNITY_SECRETARY),
            position=36,
        )
        register_nav_item(
            _("Annual plan"),
            "planning:plan-list",
            (RoleKind.DISTRICT_OFFICIAL, RoleKind.SUBDISTRICT_OFFICIAL),
            position=37,
        )
