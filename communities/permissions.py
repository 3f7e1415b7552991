"""Who may change place-tree data. Reads are scoped by communities.scoping; this decides writes."""

from django.db.models import Q

from communities.choices import RoleKind
from communities.models import Building, Compound, Role, User
from communities.scoping import get_scope

# Roles that maintain compound records (basic data, governance bodies, contact boards) within their scope.
PLACE_EDITOR_ROLES = (RoleKind.DISTRICT_OFFICIAL, RoleKind.SUBDISTRICT_OFFICIAL, RoleKind.COMMUNITY_SECRETARY)


def _place_scope_covers(user, compound: Compound) -> bool:
    scope = get_scope(user)
    if scope.is_global:
        return True
    if not scope.has_role(*PLACE_EDITOR_ROLES):
        return False
    # Only place-bound editor roles count: an inspector bound to the same district may read but not edit.
    community = compound.community
    return user.roles.filter(
        Q(district_id=community.subdistrict.district_id)
        | Q(subdistrict_id=community.subdistrict_id)
        | Q(community_id=community.pk),
        kind__in=PLACE_EDITOR_ROLES,
    ).exists()


def can_change_compound(user, compound: Compound) -> bool:
    return _place_scope_covers(user, compound)


def can_change_building(user, building: Building) -> bool:
    return _place_scope_covers(user, building.compound)


def compound_staff(compound: Compound):
    """The active users whose role covers the compound as its staff: the secretary of its community and the
    subdistrict and district officials above it (residents' problems are assigned to them). A superuser or a
    contractor is none of them."""
    community = compound.community
    roles = Role.objects.filter(
        Q(district_id=community.subdistrict.district_id)
        | Q(subdistrict_id=community.subdistrict_id)
        | Q(community_id=community.pk),
        kind__in=PLACE_EDITOR_ROLES,
    )
    return User.objects.filter(is_active=True, pk__in=roles.values("user_id"))
