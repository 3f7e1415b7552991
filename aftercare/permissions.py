"""Who may do what with a compound's aftercare. Reads are scoped by aftercare.querysets; these decide writes.

The compound's community (its secretary) keeps the aftercare: the responsible party and standards, documents,
service form, income ledger, spaces and activities. The district sets the warranty periods. The officials above
(subdistrict, district, city, province) read; contractors and outsiders see none of it. The property service
company's staff (property-staff roles) patrol the compounds their company serves, as the community's staff do.
"""

from aftercare.querysets import AFTERCARE_ROLES
from communities.choices import RoleKind
from communities.scoping import get_scope


def _community_id(compound) -> int:
    return compound.community_id


def can_keep(user, compound) -> bool:
    """The secretary of the compound's community."""
    scope = get_scope(user)
    if scope.is_global:
        return True
    return (
        RoleKind.COMMUNITY_SECRETARY in scope.role_kinds
        and user.roles.filter(kind=RoleKind.COMMUNITY_SECRETARY, community_id=_community_id(compound)).exists()
    )


def can_keep_record(user, record) -> bool:
    return can_keep(user, record.compound)


def can_set_warranty(user, warranty) -> bool:
    """A district official of the compound's own district (not one of a city or province above it)."""
    scope = get_scope(user)
    if scope.is_global:
        return True
    district_id = warranty.record.compound.community.subdistrict.district_id
    return (
        RoleKind.DISTRICT_OFFICIAL in scope.role_kinds
        and user.roles.filter(kind=RoleKind.DISTRICT_OFFICIAL, district_id=district_id).exists()
    )


def can_keep_activity(user, activity) -> bool:
    return can_keep(user, activity.space.record.compound)


# The roles that patrol: the community's staff and the property service companies' staff.
PATROL_ROLES = frozenset({RoleKind.COMMUNITY_SECRETARY, RoleKind.INSPECTOR, RoleKind.PROPERTY_STAFF})


def may_use_patrols(user) -> bool:
    """Who has the patrol pages at all: those who patrol and the officials who read the aftercare (an EPC
    contractor, whose part after handover is the warranty defects on the issue pages, does not)."""
    scope = get_scope(user)
    return scope.is_global or bool(scope.role_kinds.intersection(PATROL_ROLES | AFTERCARE_ROLES))


def can_patrol(user, record) -> bool:
    """The compound's community staff (its secretary, the inspectors bound to it) and the property service staff of
    the company of its aftercare record patrol the standards."""
    scope = get_scope(user)
    if scope.is_global:
        return True
    community_id = _community_id(record.compound)
    if (
        scope.role_kinds.intersection({RoleKind.COMMUNITY_SECRETARY, RoleKind.INSPECTOR})
        and user.roles.filter(
            kind__in=[RoleKind.COMMUNITY_SECRETARY, RoleKind.INSPECTOR], community_id=community_id
        ).exists()
    ):
        return True
    company_id = record.property_service.company_id if record.property_service_id else None
    return company_id is not None and company_id in scope.property_company_ids
