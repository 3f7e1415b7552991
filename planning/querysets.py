"""Scoping of the planning records: declarations and plans belong to the place tree only (never to a company)."""

from django.db import models
from django.db.models import Q

from communities.choices import RoleKind
from communities.querysets import ScopedQuerySet

# Who works with declarations and plans: the place roles of the programme. Contractors and inspectors do not.
PLANNING_ROLES = frozenset({RoleKind.DISTRICT_OFFICIAL, RoleKind.SUBDISTRICT_OFFICIAL, RoleKind.COMMUNITY_SECRETARY})
_NOTHING = Q(pk__in=[])


def planning_q(user, compound_path: str) -> Q:
    """The records of compounds in the subtree of the user's planning roles (``compound_path`` ends in "__")."""
    from communities.scoping import get_scope

    scope = get_scope(user)
    if scope.is_global:
        return Q()
    if not scope.role_kinds.intersection(PLANNING_ROLES):
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


class CompoundPlanningQuerySet(ScopedQuerySet):
    """Declarations and their records, plan items: scoped by the compound they are about."""

    def visible_to(self, user):
        return self.filter(planning_q(user, self.compound_path))


class DeclarationQuerySet(CompoundPlanningQuerySet):
    compound_path = "compound__"


class DeclarationRecordQuerySet(CompoundPlanningQuerySet):
    compound_path = "declaration__compound__"


class PlanItemQuerySet(CompoundPlanningQuerySet):
    compound_path = "declaration__compound__"


class AnnualPlanQuerySet(models.QuerySet):
    """A district's plan is seen by the planning roles of that district (a subdistrict sees its own share)."""

    def visible_to(self, user):
        from communities.models import Community, Subdistrict
        from communities.scoping import get_scope

        scope = get_scope(user)
        if scope.is_global:
            return self.all()
        if not scope.role_kinds.intersection(PLANNING_ROLES):
            return self.none()
        districts = set(scope.district_ids)
        if scope.subdistrict_ids:
            districts |= set(
                Subdistrict.objects.filter(pk__in=sorted(scope.subdistrict_ids)).values_list("district_id", flat=True)
            )
        if scope.community_ids:
            districts |= set(
                Community.objects.filter(pk__in=sorted(scope.community_ids)).values_list(
                    "subdistrict__district_id", flat=True
                )
            )
        return self.filter(district_id__in=sorted(districts))
