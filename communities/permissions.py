"""Who may change place-tree data. Reads are scoped by communities.scoping; this decides writes."""

from django.db.models import Q

from communities.choices import InspectionTier, RoleKind
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


# --- People and roles. Officials manage the accounts of their own part of the tree: a role may be granted (and
# revoked) only inside the granter's scope, and a user may be changed only when every role they hold is one the
# granter could have granted. Nobody grants superuser or staff status here (the fields are not offered at all).

PEOPLE_MANAGER_ROLES = (
    RoleKind.PROVINCE_OFFICIAL,
    RoleKind.CITY_OFFICIAL,
    RoleKind.DISTRICT_OFFICIAL,
    RoleKind.SUBDISTRICT_OFFICIAL,
)
_NO_ROLES = Q(pk__in=[])


def may_manage_people(user) -> bool:
    scope = get_scope(user)
    return scope.is_global or bool(scope.role_kinds.intersection(PEOPLE_MANAGER_ROLES))


def may_manage_companies(user) -> bool:
    scope = get_scope(user)
    return scope.is_global or RoleKind.DISTRICT_OFFICIAL in scope.role_kinds


def grantable_roles_q(actor) -> Q:
    """Filter on Role for the roles ``actor`` may grant or revoke.

    Province officials: the city officials of the cities in their province. City officials: the district officials
    of the districts in their city. District officials: any place role within their district (district and subdistrict officials, community
    secretaries, inspectors of any tier) and company accounts — contractors and property service staff (companies are
    one register shared by the districts). Subdistrict officials: the secretaries of their communities and tier-1 (site patrol) inspectors
    bound to their subdistrict or its communities."""
    if get_scope(actor).is_global:
        return Q()
    cached = getattr(actor, "_portal_grantable_q", None)
    if cached is not None:
        return cached
    provinces, cities, districts, subdistricts = set(), set(), set(), set()
    for kind, province_id, city_id, district_id, subdistrict_id in actor.roles.filter(
        kind__in=PEOPLE_MANAGER_ROLES
    ).values_list("kind", "province_id", "city_id", "district_id", "subdistrict_id"):
        if kind == RoleKind.PROVINCE_OFFICIAL:
            provinces.add(province_id)
        elif kind == RoleKind.CITY_OFFICIAL:
            cities.add(city_id)
        elif kind == RoleKind.DISTRICT_OFFICIAL:
            districts.add(district_id)
        else:
            subdistricts.add(subdistrict_id)
    q = _NO_ROLES
    if provinces:
        q |= Q(kind=RoleKind.CITY_OFFICIAL, city__province_id__in=sorted(provinces))
    if cities:
        q |= Q(kind=RoleKind.DISTRICT_OFFICIAL, district__city_id__in=sorted(cities))
    if districts:
        ds = sorted(districts)
        in_district = (
            Q(district_id__in=ds) | Q(subdistrict__district_id__in=ds) | Q(community__subdistrict__district_id__in=ds)
        )
        q |= (
            Q(kind=RoleKind.DISTRICT_OFFICIAL, district_id__in=ds)
            | Q(kind=RoleKind.SUBDISTRICT_OFFICIAL, subdistrict__district_id__in=ds)
            | Q(kind=RoleKind.COMMUNITY_SECRETARY, community__subdistrict__district_id__in=ds)
            | (Q(kind=RoleKind.INSPECTOR) & in_district)
            | Q(kind__in=[RoleKind.CONTRACTOR, RoleKind.PROPERTY_STAFF])
        )
    if subdistricts:
        ss = sorted(subdistricts)
        q |= Q(kind=RoleKind.COMMUNITY_SECRETARY, community__subdistrict_id__in=ss) | (
            Q(kind=RoleKind.INSPECTOR, tier=InspectionTier.SITE)
            & (Q(subdistrict_id__in=ss) | Q(community__subdistrict_id__in=ss))
        )
    actor._portal_grantable_q = q
    return q


def visible_users_q(actor) -> Q:
    """Filter on User for the people page: users holding at least one role ``actor`` may grant."""
    if get_scope(actor).is_global:
        return Q()
    if not may_manage_people(actor):
        return _NO_ROLES
    return Q(pk__in=Role.objects.filter(grantable_roles_q(actor)).values("user_id"))


def manageable_users(actor):
    """The users ``actor`` may change, deactivate and grant roles to: visible ones whose every role ``actor`` may
    grant (a district inspector is out of a subdistrict official's reach even while also a secretary there);
    never the actor, a superuser, or (for officials) a staff account."""
    users = User.objects.visible_to(actor).exclude(pk=actor.pk).exclude(is_superuser=True)
    if get_scope(actor).is_global:
        return users
    return users.exclude(is_staff=True).exclude(pk__in=Role.objects.exclude(grantable_roles_q(actor)).values("user_id"))


def can_manage_user(actor, user) -> bool:
    return manageable_users(actor).filter(pk=user.pk).exists()


def can_grant_role(actor, role: Role) -> bool:
    """Whether ``actor`` may grant or revoke this (saved) role: the same filter as the lists, one rule."""
    return Role.objects.filter(pk=role.pk).filter(grantable_roles_q(actor)).exists()


# --- Setting up the place tree. District officials add and rename the subdistricts and communities of their
# district; subdistrict officials (and district officials above them) add compounds and buildings in their
# subdistrict. Community secretaries keep editing basic data (above) but add no compounds or buildings.


def _district_official_of(user, district_id) -> bool:
    if get_scope(user).is_global:
        return True
    return user.roles.filter(kind=RoleKind.DISTRICT_OFFICIAL, district_id=district_id).exists()


def _official_over_subdistrict(user, subdistrict) -> bool:
    if get_scope(user).is_global:
        return True
    return user.roles.filter(
        Q(kind=RoleKind.DISTRICT_OFFICIAL, district_id=subdistrict.district_id)
        | Q(kind=RoleKind.SUBDISTRICT_OFFICIAL, subdistrict_id=subdistrict.pk)
    ).exists()


def may_set_up_districts(user) -> bool:
    """Whether the user may add subdistricts and communities anywhere at all (shows the page and its buttons)."""
    scope = get_scope(user)
    return scope.is_global or RoleKind.DISTRICT_OFFICIAL in scope.role_kinds


def may_add_compounds(user) -> bool:
    scope = get_scope(user)
    return scope.is_global or bool(
        scope.role_kinds.intersection({RoleKind.DISTRICT_OFFICIAL, RoleKind.SUBDISTRICT_OFFICIAL})
    )


def can_add_subdistrict_to(user, district) -> bool:
    return _district_official_of(user, district.pk)


def can_change_subdistrict(user, subdistrict) -> bool:
    return _district_official_of(user, subdistrict.district_id)


def can_add_community_to(user, subdistrict) -> bool:
    return _district_official_of(user, subdistrict.district_id)


def can_change_community(user, community) -> bool:
    return _district_official_of(user, community.subdistrict.district_id)


def can_add_compound_to(user, community) -> bool:
    return _official_over_subdistrict(user, community.subdistrict)


def can_add_building_to(user, compound: Compound) -> bool:
    return _official_over_subdistrict(user, compound.community.subdistrict)
