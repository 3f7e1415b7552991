"""Who may prepare, submit and read monthly reports."""

from communities.choices import RoleKind
from communities.scoping import get_scope

REPORT_ROLES = (RoleKind.PROVINCE_OFFICIAL, RoleKind.CITY_OFFICIAL, RoleKind.DISTRICT_OFFICIAL)


def may_see_reports(user) -> bool:
    scope = get_scope(user)
    return scope.is_global or bool(scope.role_kinds.intersection(REPORT_ROLES))


def can_submit(user, district) -> bool:
    """The district's own officials prepare and submit its report (not the city or province above it)."""
    if get_scope(user).is_global:
        return True
    return user.roles.filter(kind=RoleKind.DISTRICT_OFFICIAL, district_id=district.pk).exists()


def can_view_live(user, district) -> bool:
    """The live (unsubmitted) figures: the district's officials, and the city and province officials above it."""
    scope = get_scope(user)
    return (
        scope.is_global
        or (district.city_id is not None and district.city_id in scope.city_ids)
        or can_submit(user, district)
    )
