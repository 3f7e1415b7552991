from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InspectionsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "inspections"
    verbose_name = _("Inspections")

    def ready(self):
        from communities.choices import RoleKind
        from communities.selectors import register_home_section
        from inspections import today
        from inspections.choices import NotificationKind
        from inspections.services import open_serious_issue_reasons
        from notifications.kinds import register_kinds
        from projects.hooks import register_completion_blocker
        from renovation_portal.navigation import register_nav_item
        from renovation_portal.sync import connect_tombstones

        register_completion_blocker(open_serious_issue_reasons)
        register_kinds(NotificationKind)
        connect_tombstones(self.label)
        register_home_section(today.today_sections)
        all_roles = tuple(RoleKind.values)
        register_nav_item(
            _("Inspections"),
            "inspections:my-inspections",
            (
                RoleKind.INSPECTOR,
                RoleKind.DISTRICT_OFFICIAL,
                RoleKind.SUBDISTRICT_OFFICIAL,
                RoleKind.COMMUNITY_SECRETARY,
            ),
            position=60,
            badge=today.inspections_badge,
            badge_label=_("to do"),
        )
        register_nav_item(
            _("Rectification issues"),
            "inspections:issue-list",
            all_roles,
            position=70,
            badge=today.issues_badge,
            badge_label=_("to do"),
        )
        register_nav_item(_("Inspection set-up"), "inspections:group-list", (RoleKind.DISTRICT_OFFICIAL,), position=82)
        register_nav_item(
            _("Checklists"), "inspections:checklist-list", (RoleKind.DISTRICT_OFFICIAL, RoleKind.INSPECTOR), position=84
        )
        register_nav_item(
            _("Tier-3 ranking"),
            "inspections:ranking",
            (RoleKind.DISTRICT_OFFICIAL, RoleKind.SUBDISTRICT_OFFICIAL),
            position=86,
        )
        register_nav_item(
            _("Overdue board"),
            "inspections:overdue-board",
            (RoleKind.DISTRICT_OFFICIAL, RoleKind.SUBDISTRICT_OFFICIAL),
            position=80,
            badge=today.escalations_badge,
            badge_label=_("to do"),
        )
