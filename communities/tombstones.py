"""What the sync layer (renovation_portal.sync) needs from the permission layer, registered in communities.apps:
the places a deleted record belonged to, and which tombstones a user may see."""

from django.db.models import Q

from communities.audit import place_ids
from communities.scoping import company_reach_q, get_scope


def tombstone_places(instance, compound=None) -> dict:
    """The place ids of a deleted record (of ``compound`` when given), as Tombstone fields."""
    places = place_ids(instance) if compound is None else place_ids(compound)
    return {
        "district_id": places.get("district"),
        "subdistrict_id": places.get("subdistrict"),
        "community_id": places.get("community"),
        "compound_id": places.get("compound"),
    }


def tombstone_q(user):
    """The tombstones of the user's places (None for a superuser: every one); a contractor's are those of the
    compounds their company reaches — but of a project only its own company's: a compound renovated by two
    companies shows neither the other's deleted project records."""
    scope = get_scope(user)
    if scope.is_global:
        return None
    q = Q(pk__in=[])
    if scope.district_ids:
        q |= Q(district_id__in=sorted(scope.district_ids))
    if scope.subdistrict_ids:
        q |= Q(subdistrict_id__in=sorted(scope.subdistrict_ids))
    if scope.community_ids:
        q |= Q(community_id__in=sorted(scope.community_ids))
    if scope.company_ids:
        q |= Q(company_id__isnull=True) & company_reach_q("compound_id", scope.company_ids) | Q(
            company_id__in=sorted(scope.company_ids)
        )
    return q
