from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "notifications"
    verbose_name = _("Notifications")

    def ready(self):
        from communities.choices import RoleKind
        from notifications import tasks  # noqa: F401  (registers its tasks: services queue them by name)
        from notifications.selectors import unread_count
        from renovation_portal.navigation import register_nav_item

        register_nav_item(_("Inbox"), "notifications:inbox", tuple(RoleKind.values), position=90, badge=unread_count)
