"""Reads of place-tree data for pages: already scoped, each a fixed number of aggregate queries."""

from django.db.models import Count, Prefetch, Q, Sum

from communities.models import Community, Compound, District, Role, Subdistrict, TaskForce, User
from communities.scoping import get_scope


def place_totals(user) -> dict:
    """Compounds, buildings, households and residents in the user's scope (one query)."""
    totals = Compound.objects.visible_to(user).aggregate(
        compounds=Count("id"),
        buildings=Sum("building_count"),
        households=Sum("household_count"),
        residents=Sum("resident_count"),
        without_property=Count("id", filter=Q(property_mode="none")),
    )
    return {key: value or 0 for key, value in totals.items()}


def subdistrict_summaries(user):
    """Each visible subdistrict with its communities, compounds and households (one query)."""
    return (
        Subdistrict.objects.visible_to(user)
        .annotate(
            community_total=Count("communities", distinct=True),
            compound_total=Count("communities__compounds"),
            household_total=Sum("communities__compounds__household_count"),
        )
        .order_by("code")
    )


def community_summaries(user):
    """Each visible community with its compounds and households (one query)."""
    return (
        Community.objects.visible_to(user)
        .select_related("subdistrict")
        .annotate(compound_total=Count("compounds"), household_total=Sum("compounds__household_count"))
        .order_by("subdistrict__code", "code")
    )


def compound_list(user):
    return Compound.objects.visible_to(user).select_related(
        "community__subdistrict", "party_branch", "owners_body", "property_service"
    )


def compound_detail_queryset(user):
    return compound_list(user).select_related("property_service__company").prefetch_related("buildings")


def user_roles(user):
    return list(
        Role.objects.filter(user=user).select_related(
            "province", "city", "district", "subdistrict", "community", "company"
        )
    )


# The home page's sections of the apps above this one (a secretary's to-do, a contractor's projects), registered
# in their AppConfig.ready(): ``section(user, scope)`` returns what it adds to the page's context ({} if nothing).
_HOME_SECTIONS: list = []


def register_home_section(section) -> None:
    if section not in _HOME_SECTIONS:
        _HOME_SECTIONS.append(section)


def home_context(user) -> dict:
    """What the home page shows: a section per role the user holds."""
    scope = get_scope(user)
    roles = user_roles(user)
    context = {"roles": roles, "scope": scope, "totals": place_totals(user)}
    if scope.has_role("district_official"):
        context["subdistricts"] = subdistrict_summaries(user)
    if scope.has_role("subdistrict_official", "inspector"):
        context["communities"] = community_summaries(user)
    if scope.has_role("community_secretary"):
        context["my_compounds"] = compound_list(user).order_by("code")[:50]
    for section in _HOME_SECTIONS:
        context.update(section(user, scope))
    return context


def people(user):
    """The users on ``user``'s people page, with their roles and the places those are bound to (two queries)."""
    return (
        User.objects.visible_to(user)
        .prefetch_related(
            Prefetch(
                "roles",
                queryset=Role.objects.select_related(
                    "province", "city", "district", "subdistrict", "community", "company"
                ).order_by("pk"),
            )
        )
        .order_by("username")
    )


PLACE_MODELS = {"district": District, "subdistrict": Subdistrict, "community": Community, "compound": Compound}


def task_forces(user):
    return (
        TaskForce.objects.visible_to(user)
        .select_related("district", "subdistrict", "community", "compound")
        .prefetch_related("members__user")
    )
