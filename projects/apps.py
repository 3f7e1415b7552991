from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProjectsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "projects"
    verbose_name = _("Renovation projects")

    def ready(self):
        from communities.choices import RoleKind
        from communities.scoping import register_company_reach
        from communities.selectors import register_home_section
        from projects import today
        from projects.permissions import contractor_compounds
        from projects.tombstones import tombstone_company
        from renovation_portal.navigation import register_nav_item
        from renovation_portal.sync import connect_tombstones, register_tombstone_describer

        register_company_reach(contractor_compounds)  # contractors see the compounds where they hold a project
        register_home_section(today.today_sections)
        register_tombstone_describer(tombstone_company)
        connect_tombstones(self.label)
        # Every role but property service staff, who hold no project (their part is the patrols after handover).
        project_roles = tuple(kind for kind in RoleKind.values if kind != RoleKind.PROPERTY_STAFF)
        register_nav_item(
            _("Projects"),
            "projects:project-list",
            project_roles,
            position=40,
            badge=today.projects_badge,
            badge_label=_("to do"),
        )
        register_nav_item(_("Funds"), "projects:funding-entry-list", project_roles, position=45)
