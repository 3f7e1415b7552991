from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ConsultationsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "consultations"
    verbose_name = _("Resident consultations")

    def ready(self):
        from consultations.choices import NotificationKind
        from notifications.kinds import register_kinds

        register_kinds(NotificationKind)
