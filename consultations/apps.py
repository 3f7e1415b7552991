from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ConsultationsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "consultations"
    verbose_name = _("Resident consultations")

    def ready(self):
        from communities.choices import RoleKind
        from communities.selectors import register_home_section
        from consultations import tasks  # noqa: F401  (registers its tasks: services queue them by name)
        from consultations.choices import NotificationKind
        from consultations.today import consultation_badge, today_sections
        from notifications.kinds import register_kinds
        from renovation_portal.navigation import register_nav_item
        from renovation_portal.sync import connect_tombstones

        register_kinds(NotificationKind)
        register_home_section(today_sections)
        connect_tombstones(self.label)
        register_nav_item(
            _("Consultation"),
            "consultations:workspace",
            (RoleKind.DISTRICT_OFFICIAL, RoleKind.SUBDISTRICT_OFFICIAL, RoleKind.COMMUNITY_SECRETARY),
            position=50,
            badge=consultation_badge,
            badge_label=_("to do"),
        )
