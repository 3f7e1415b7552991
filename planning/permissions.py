"""Who may do what with declarations and plans. Reads are scoped by planning.querysets; these decide actions."""

from communities.choices import RoleKind
from communities.scoping import get_scope
from planning.choices import EDITABLE_STATUSES


def _compound_ids(compound) -> tuple[int, int, int]:
    community = compound.community
    return community.subdistrict.district_id, community.subdistrict_id, community.pk


def can_declare(user, compound) -> bool:
    """A subdistrict official of the compound's subdistrict, or the secretary of its community."""
    scope = get_scope(user)
    if scope.is_global:
        return True
    _district, subdistrict, community = _compound_ids(compound)
    return user.roles.filter(kind=RoleKind.SUBDISTRICT_OFFICIAL, subdistrict_id=subdistrict).exists() or (
        user.roles.filter(kind=RoleKind.COMMUNITY_SECRETARY, community_id=community).exists()
    )


def can_edit_declaration(user, declaration) -> bool:
    return declaration.status in EDITABLE_STATUSES and can_declare(user, declaration.compound)


def is_district_official_of(user, district_id: int) -> bool:
    scope = get_scope(user)
    return scope.is_global or (RoleKind.DISTRICT_OFFICIAL in scope.role_kinds and district_id in scope.district_ids)


def can_review(user, declaration) -> bool:
    """District officials of the compound's district review declarations."""
    return is_district_official_of(user, _compound_ids(declaration.compound)[0])


def can_plan(user, plan) -> bool:
    """District officials draw their district's plan and set its targets."""
    return is_district_official_of(user, plan.district_id)
