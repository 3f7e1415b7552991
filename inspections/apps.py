from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InspectionsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "inspections"
    verbose_name = _("Inspections")

    def ready(self):
        from inspections.choices import NotificationKind
        from inspections.services import open_serious_issue_reasons
        from notifications.kinds import register_kinds
        from projects.hooks import register_completion_blocker

        register_completion_blocker(open_serious_issue_reasons)
        register_kinds(NotificationKind)
