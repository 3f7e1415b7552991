"""The permission layer's core: what part of the place tree a user's roles reach.

Every read of a scoped object goes through ``Scope``: ``Model.objects.visible_to(user)`` for lists (web,
API, admin, exports, dashboards) and ``get_object_for`` for a single object. A node of the place tree is
visible when it lies in the subtree of one of the user's place-bound roles; a company's people see the compounds
their company reaches (``register_company_reach``): contractors those where their company holds a project, property
service staff those whose aftercare names their company as the property service. City and province officials read every district below their city or
province: their scope lists those districts (``district_ids``, resolved once per request) besides the city and
province themselves, so every rule written for districts covers them, and write permissions — which ask for a
role bound to the district itself — never do. Records of a project (the project, its plans, scope items, reports,
inspections, issues and their photos) are scoped by the project: place roles see the projects of their
subtree's compounds, contractors only their own company's projects — a compound renovated in two batches by
two companies shows each company its own project and the shared compound, never the other's project.
Superusers see everything.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.apps import apps
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import DEFAULT_DB_ALIAS, connections, router
from django.db.models import Model, Q, QuerySet
from django.http import Http404

from communities.choices import InspectionTier, RoleKind
from renovation_portal import prepared

# For each place model: the lookup from that model to the district, subdistrict and community ids above it.
# Compound-owned models (buildings, meetings, ...) use ``Scope.compound_q`` with their path to the compound;
# project-owned models (projects, plans, issues, ...) ``Scope.project_q`` with their path to the project.
_COMPOUND_PATHS = {
    "district": "community__subdistrict__district_id",
    "subdistrict": "community__subdistrict_id",
    "community": "community_id",
}
PLACE_PATHS: dict[str, dict[str, str]] = {
    "province": {"province": "pk"},
    "city": {"province": "province_id", "city": "pk"},
    "district": {"district": "pk"},
    "subdistrict": {"district": "district_id", "subdistrict": "pk"},
    "community": {"district": "subdistrict__district_id", "subdistrict": "subdistrict_id", "community": "pk"},
    "compound": _COMPOUND_PATHS,
}
_NOTHING = Q(pk__in=[])

# Which compounds a company's roles reach: a rule of the apps that tie companies to compounds, registered in their
# AppConfig.ready() (projects: the compounds where the company holds a project; aftercare: the compounds whose aftercare
# record names the company as property service), so this layer imports no app.
_COMPANY_REACH: list = []


def register_company_reach(reach) -> None:
    """``reach(company_ids)`` returns a subquery of the ids of the compounds those companies reach."""
    if reach not in _COMPANY_REACH:
        _COMPANY_REACH.append(reach)


def company_reach_q(lookup: str, company_ids) -> Q:
    """Filter on ``lookup`` (a compound id) for the compounds the companies reach."""
    q = _NOTHING
    for reach in _COMPANY_REACH:
        reached = Q(**{f"{lookup}__in": reach(sorted(company_ids))})
        q = reached if q == _NOTHING else q | reached
    return q


@dataclass(frozen=True)
class Scope:
    """The union of a user's roles: the place nodes and companies they are bound to."""

    is_global: bool = False
    role_kinds: frozenset[str] = frozenset()
    province_ids: frozenset[int] = frozenset()
    city_ids: frozenset[int] = frozenset()
    # The districts of the user's district roles and those below their city and province roles.
    district_ids: frozenset[int] = frozenset()
    subdistrict_ids: frozenset[int] = frozenset()
    community_ids: frozenset[int] = frozenset()
    company_ids: frozenset[int] = frozenset()
    # The companies of the user's property-staff roles (a subset of ``company_ids``): what the patrols and their
    # findings ask, so that a contractor's people never act for a property service company.
    property_company_ids: frozenset[int] = field(default_factory=frozenset)
    inspector_tiers: frozenset[int] = field(default_factory=frozenset)
    # Only the districts the user's roles are bound to (not those below a city or province role): what a write
    # permission asks when it checks "a district official of this district".
    bound_district_ids: frozenset[int] = field(default_factory=frozenset)

    def has_role(self, *kinds: str) -> bool:
        return self.is_global or bool(self.role_kinds.intersection(kinds))

    @property
    def is_upper_official(self) -> bool:
        """A city or province official: reads the districts below, writes nothing in them."""
        return bool(self.role_kinds.intersection({RoleKind.CITY_OFFICIAL, RoleKind.PROVINCE_OFFICIAL}))

    @property
    def is_official(self) -> bool:
        return self.is_global or self.has_role(RoleKind.DISTRICT_OFFICIAL, RoleKind.SUBDISTRICT_OFFICIAL)

    @property
    def sees_unannounced_rounds(self) -> bool:
        """The unannounced tier-2 plan (四不两直) is known to district officials and tier-2/3 inspectors only; the
        inspected side — contractors, community secretaries, subdistrict officials, site patrols — never sees it,
        nor counts of it, before the visit."""
        return (
            self.is_global
            or RoleKind.DISTRICT_OFFICIAL in self.role_kinds
            or bool(self.inspector_tiers.intersection({InspectionTier.DISTRICT, InspectionTier.LEADERSHIP}))
        )

    def _place_q(self, paths: dict[str, str], prefix: str) -> Q:
        q = Q()
        matched = False
        for level, ids in (
            ("province", self.province_ids),
            ("city", self.city_ids),
            ("district", self.district_ids),
            ("subdistrict", self.subdistrict_ids),
            ("community", self.community_ids),
        ):
            if ids and level in paths:
                q |= Q(**{f"{prefix}{paths[level]}__in": sorted(ids)})
                matched = True
        return q if matched else _NOTHING

    def place_q(self, level: str) -> Q:
        """Filter for a place model (``province``, ``city``, ``district``, ``subdistrict``, ``community``) within
        this scope. A district official sees no city or province: those are above their subtree."""
        if self.is_global:
            return Q()
        return self._place_q(PLACE_PATHS[level], "")

    def compound_q(self, path: str = "") -> Q:
        """Filter for any model that belongs to a compound, given its lookup path to the compound.

        ``path`` is "" for Compound itself, "compound__" for a building, "project__compound__" and so on.
        """
        if self.is_global:
            return Q()
        q = self._place_q(_COMPOUND_PATHS, path)
        if self.company_ids:
            contractor_q = company_reach_q(f"{path}pk", self.company_ids)
            q = contractor_q if q == _NOTHING else q | contractor_q
        return q

    def project_q(self, path: str = "") -> Q:
        """Filter for a project or any record of one, given its lookup path to the project.

        ``path`` is "" for Project itself, "project__" for a scope item or an issue, "report__project__" for a
        progress photo and so on. Place roles see the projects on the compounds of their subtree; a contractor
        sees only the projects its company holds — not another company's project on a compound both work on.
        """
        if self.is_global:
            return Q()
        q = self._place_q(_COMPOUND_PATHS, f"{path}compound__")
        if self.company_ids:
            contractor_q = Q(**{f"{path}contractor_id__in": sorted(self.company_ids)})
            q = contractor_q if q == _NOTHING else q | contractor_q
        return q

    def covers_compound(self, compound) -> bool:
        """Whether a compound (an instance with its community and subdistrict loadable) is in scope."""
        if self.is_global:
            return True
        community = compound.community
        if (
            compound.community_id in self.community_ids
            or community.subdistrict_id in self.subdistrict_ids
            or community.subdistrict.district_id in self.district_ids
        ):
            return True
        if self.company_ids:
            Compound = apps.get_model("communities", "Compound")
            return Compound.objects.filter(Q(pk=compound.pk) & company_reach_q("pk", self.company_ids)).exists()
        return False


_EMPTY_SCOPE = Scope()


def get_scope(user) -> Scope:
    """The user's scope, computed once per request and cached on the user object."""
    if user is None or not user.is_authenticated or not user.is_active:
        return _EMPTY_SCOPE
    cached = getattr(user, "_portal_scope", None)
    if cached is not None:
        return cached
    if user.is_superuser:
        scope = Scope(is_global=True)
    else:
        roles = getattr(user, "_portal_roles", None)  # read with the API token (``ApiToken.find``)
        if roles is None:
            roles = user.roles.values_list(*ROLE_COLUMNS)
        scope = _scope_of(roles)
    user._portal_scope = scope
    return scope


# A role's columns that make a scope, in the order ``_scope_of`` takes them.
ROLE_COLUMNS = ("kind", "province_id", "city_id", "district_id", "subdistrict_id", "community_id", "company_id", "tier")


def _scope_of(roles) -> Scope:
    """The scope of a user's roles (rows of ``ROLE_COLUMNS``)."""
    kinds, companies, property_companies, tiers = set(), set(), set(), set()
    provinces, cities, districts, subdistricts, communities = set(), set(), set(), set(), set()
    for kind, *places, company_id, tier in roles:
        kinds.add(kind)
        for ids, pk in zip((provinces, cities, districts, subdistricts, communities), places, strict=True):
            if pk:
                ids.add(pk)
        if company_id:
            companies.add(company_id)
            if kind == RoleKind.PROPERTY_STAFF:
                property_companies.add(company_id)
        if tier:
            tiers.add(tier)
    bound_districts = frozenset(districts)
    if provinces or cities:
        # The cities of the provinces, and the districts of every city, in one plain statement (the ORM's two
        # queries cost ≈ 1.5 ms of Python on every request of a city or province official). By name, not by
        # import: the models import this module's callers (querysets), never the other way.
        City, District = apps.get_model("communities", "City"), apps.get_model("communities", "District")
        with connections[router.db_for_read(City) or DEFAULT_DB_ALIAS].cursor() as cursor:
            prepared.execute(
                cursor,
                f"SELECT c.id, d.id FROM {City._meta.db_table} c LEFT JOIN {District._meta.db_table} d "
                "ON d.city_id = c.id WHERE c.province_id = ANY(%s) OR c.id = ANY(%s)",
                [sorted(provinces), sorted(cities)],
            )
            for city_id, district_id in cursor.fetchall():
                cities.add(city_id)
                if district_id is not None:
                    districts.add(district_id)
    return Scope(
        role_kinds=frozenset(kinds),
        province_ids=frozenset(provinces),
        city_ids=frozenset(cities),
        district_ids=frozenset(districts),
        subdistrict_ids=frozenset(subdistricts),
        community_ids=frozenset(communities),
        company_ids=frozenset(companies),
        property_company_ids=frozenset(property_companies),
        inspector_tiers=frozenset(tiers),
        bound_district_ids=bound_districts,
    )


def get_object_for(user, queryset: QuerySet, pk, action: str = "view", can: callable | None = None) -> Model:
    """Fetch and authorize in one call.

    The object is looked up among those the user may see (404 otherwise, so its existence does not leak);
    for any action other than "view", ``can(user, obj)`` must allow it (403 otherwise).
    """
    try:
        obj = queryset.visible_to(user).get(pk=pk)
    except (queryset.model.DoesNotExist, ValueError, TypeError, ValidationError):
        raise Http404 from None
    if action != "view" and (can is None or not can(user, obj)):
        raise PermissionDenied(action)
    return obj


class ScopedObjectMixin:
    """For an API viewset: the detail object is fetched with ``get_object_for`` — 404 outside the user's scope; for a
    write, ``change_permission(user, obj)`` must allow it (403 otherwise). One place for the rule every viewset used to
    spell out in its own ``get_object``."""

    change_permission = None  # staticmethod(user, obj) -> bool

    def get_object(self):
        write = self.request.method not in ("GET", "HEAD", "OPTIONS")
        return get_object_for(
            self.request.user,
            self.get_queryset(),
            self.kwargs["pk"],
            action="change" if write else "view",
            can=self.change_permission,
        )
