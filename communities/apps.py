from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CommunitiesConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "communities"
    verbose_name = _("Places and people")

    def ready(self):
        from communities import schema  # noqa: F401  (registers the OpenAPI auth extension)
        from communities.audit import attach_place_data, connect_task_signals
        from communities.choices import RoleKind
        from communities.permissions import visible_users_q
        from communities.querysets import UserQuerySet
        from communities.selectors import my_compounds_section, register_home_section
        from communities.tombstones import tombstone_places, tombstone_q
        from renovation_portal.navigation import register_nav_item
        from renovation_portal.sync import (
            connect_tombstones,
            register_tombstone_describer,
            register_tombstone_visibility,
        )

        UserQuerySet.visibility = staticmethod(visible_users_q)
        attach_place_data()
        connect_task_signals()
        register_tombstone_describer(tombstone_places)
        register_tombstone_visibility(tombstone_q)
        connect_tombstones(self.label)
        register_home_section(my_compounds_section)
        all_roles = tuple(RoleKind.values)
        register_nav_item(_("Home"), "home", all_roles, position=10)
        register_nav_item(_("Compounds"), "communities:compound-list", all_roles, position=30)
        register_nav_item(
            _("Subdistricts and communities"), "communities:places", (RoleKind.DISTRICT_OFFICIAL,), position=32
        )
        register_nav_item(
            _("People and roles"),
            "communities:people-list",
            (RoleKind.DISTRICT_OFFICIAL, RoleKind.SUBDISTRICT_OFFICIAL),
            position=92,
        )
        register_nav_item(_("Companies"), "communities:company-list", (RoleKind.DISTRICT_OFFICIAL,), position=94)
        register_nav_item(
            _("Task forces"),
            "communities:task-force-list",
            (RoleKind.DISTRICT_OFFICIAL, RoleKind.SUBDISTRICT_OFFICIAL, RoleKind.COMMUNITY_SECRETARY),
            position=35,
        )
        register_nav_item(
            _("Audit trail"), "audit-log", (RoleKind.DISTRICT_OFFICIAL, RoleKind.SUBDISTRICT_OFFICIAL), position=100
        )
        register_nav_item(_("Security"), "account-security-policy", (RoleKind.DISTRICT_OFFICIAL,), position=110)
