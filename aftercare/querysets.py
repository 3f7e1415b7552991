"""Scoping of the aftercare records: they belong to the place tree only. The community's secretary and the officials
above the compound read them; contractors (who see the compounds of their projects), property service staff (who
see the compounds their company serves, and patrol them), inspectors and anyone else do not — a contractor's part
after handover is warranty defects, which come with the patrols."""

from django.db.models import Q

from communities.choices import RoleKind
from communities.querysets import ScopedQuerySet

AFTERCARE_ROLES = frozenset(
    {
        RoleKind.PROVINCE_OFFICIAL,
        RoleKind.CITY_OFFICIAL,
        RoleKind.DISTRICT_OFFICIAL,
        RoleKind.SUBDISTRICT_OFFICIAL,
        RoleKind.COMMUNITY_SECRETARY,
    }
)
_NOTHING = Q(pk__in=[])


def aftercare_q(user, compound_path: str) -> Q:
    """The records of compounds in the subtree of the user's place roles (``compound_path`` ends in "__"). City and
    province officials' scope lists the districts below them (``Scope.district_ids``)."""
    from communities.scoping import get_scope

    scope = get_scope(user)
    if scope.is_global:
        return Q()
    if not scope.role_kinds.intersection(AFTERCARE_ROLES):
        return _NOTHING
    q = _NOTHING
    for lookup, ids in (
        ("community__subdistrict__district_id", scope.district_ids),
        ("community__subdistrict_id", scope.subdistrict_ids),
        ("community_id", scope.community_ids),
    ):
        if ids:
            part = Q(**{f"{compound_path}{lookup}__in": sorted(ids)})
            q = part if q == _NOTHING else q | part
    return q


class AftercareScoped(ScopedQuerySet):
    def visible_to(self, user):
        return self.filter(aftercare_q(user, self.compound_path))


class RecordQuerySet(AftercareScoped):
    compound_path = "compound__"


class RecordPartQuerySet(AftercareScoped):
    """Warranty periods, documents, service forms, ledger entries and quarters, spaces."""

    compound_path = "record__compound__"


class ServiceItemQuerySet(AftercareScoped):
    compound_path = "form__record__compound__"


class ActivityQuerySet(AftercareScoped):
    compound_path = "space__record__compound__"


class ActivityPhotoQuerySet(AftercareScoped):
    compound_path = "activity__space__record__compound__"


def patrol_q(user, record_path: str = "record__") -> Q:
    """Patrols of a compound: seen by those who see its aftercare record, by the community's own staff (the
    inspectors bound to it, who patrol) and by the property service staff of the record's company."""
    from communities.scoping import get_scope

    scope = get_scope(user)
    if scope.is_global:
        return Q()
    q = aftercare_q(user, f"{record_path}compound__")
    if RoleKind.INSPECTOR in scope.role_kinds and scope.community_ids:
        q |= Q(**{f"{record_path}compound__community_id__in": sorted(scope.community_ids)})
    if scope.property_company_ids:
        q |= Q(**{f"{record_path}property_service__company_id__in": sorted(scope.property_company_ids)})
    return q


class PatrolQuerySet(ScopedQuerySet):
    compound_path = "record__compound__"

    def visible_to(self, user):
        return self.filter(patrol_q(user))


class PatrolPartQuerySet(ScopedQuerySet):
    compound_path = "patrol__record__compound__"

    def visible_to(self, user):
        return self.filter(patrol_q(user, "patrol__record__"))
