"""The navigation bar: which entries each role sees. Apps add their entries here."""

from django.utils.translation import gettext_lazy as _

from communities.choices import RoleKind

ALL_ROLES = tuple(RoleKind.values)

# (label, url name, roles that see it)
NAV_ITEMS = [
    (_("Home"), "home", ALL_ROLES),
    (_("Dashboard"), "dashboard:home",
     (RoleKind.DISTRICT_OFFICIAL, RoleKind.SUBDISTRICT_OFFICIAL, RoleKind.COMMUNITY_SECRETARY)),
    (_("Compounds"), "communities:compound-list", ALL_ROLES),
    (_("Projects"), "projects:project-list", ALL_ROLES),
    (_("Consultation"), "consultations:workspace",
     (RoleKind.DISTRICT_OFFICIAL, RoleKind.SUBDISTRICT_OFFICIAL, RoleKind.COMMUNITY_SECRETARY)),
    (_("Inspections"), "inspections:my-inspections",
     (RoleKind.INSPECTOR, RoleKind.DISTRICT_OFFICIAL, RoleKind.SUBDISTRICT_OFFICIAL, RoleKind.COMMUNITY_SECRETARY)),
    (_("Rectification issues"), "inspections:issue-list", ALL_ROLES),
    (_("Overdue board"), "inspections:overdue-board", (RoleKind.DISTRICT_OFFICIAL, RoleKind.SUBDISTRICT_OFFICIAL)),
    (_("Inbox"), "inspections:inbox", ALL_ROLES),
    (_("Audit trail"), "audit-log", (RoleKind.DISTRICT_OFFICIAL, RoleKind.SUBDISTRICT_OFFICIAL)),
    (_("Security"), "account-security-policy", (RoleKind.DISTRICT_OFFICIAL,)),
]
