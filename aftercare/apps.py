from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AftercareConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "aftercare"
    verbose_name = _("Aftercare")

    def ready(self):
        from aftercare import today
        from aftercare.permissions import PATROL_ROLES
        from aftercare.querysets import AFTERCARE_ROLES
        from aftercare.selectors import property_compounds, public_section
        from aftercare.services import aftercare_follow_property_service, aftercare_open_on_handover
        from communities.scoping import register_company_reach
        from communities.selectors import register_home_section, register_public_section
        from communities.services import register_governance_listener
        from projects.hooks import register_handover_listener
        from renovation_portal.navigation import register_nav_item

        register_handover_listener(aftercare_open_on_handover)  # accepting completion opens the compound's aftercare
        register_public_section(public_section)  # service form, published quarters, spaces on the public page
        register_nav_item(_("Aftercare"), "aftercare:record-list", tuple(AFTERCARE_ROLES), position=48)
        # Community staff and the property service companies' staff patrol; an EPC contractor does not.
        register_nav_item(_("Patrols"), "aftercare:patrol-home", tuple(sorted(PATROL_ROLES)), position=49)
        # Property service staff see the compounds whose aftercare names their company.
        register_company_reach(property_compounds)
        # A new property service of a handed-over compound becomes its aftercare record's (the company serving now).
        register_governance_listener(aftercare_follow_property_service)
        register_home_section(today.today_sections)
