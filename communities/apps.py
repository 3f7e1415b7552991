from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CommunitiesConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "communities"
    verbose_name = _("Places and people")

    def ready(self):
        from communities import schema  # noqa: F401  (registers the OpenAPI auth extension)
        from communities.audit import attach_place_data, connect_task_signals
        from renovation_portal.sync import connect_tombstones

        attach_place_data()
        connect_task_signals()
        connect_tombstones()
