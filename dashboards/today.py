"""The officials' summary at the end of the home page's "today" list (registered in dashboards.apps): their places'
totals, the subdistricts or communities below them, and the way to their dashboard. Two queries."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext as _

from communities.choices import RoleKind
from communities.selectors import community_summaries, place_totals, subdistrict_summaries
from communities.today import SUMMARY, TodayFigure, TodayItem, TodaySection

OFFICIALS = (
    RoleKind.PROVINCE_OFFICIAL,
    RoleKind.CITY_OFFICIAL,
    RoleKind.DISTRICT_OFFICIAL,
    RoleKind.SUBDISTRICT_OFFICIAL,
)
PLACES_LISTED = 30  # a district has about ten subdistricts, a subdistrict a few communities


def _place_items(user, scope) -> tuple[TodayItem, ...]:
    """A district official's subdistricts, a subdistrict official's communities (none above the district: the
    dashboard breaks a city or province down)."""
    compounds = reverse("communities:compound-list")
    if RoleKind.DISTRICT_OFFICIAL in scope.role_kinds:
        return tuple(
            TodayItem(
                title=sub.name,
                url=f"{compounds}?subdistrict={sub.pk}",
                detail=_("%(communities)s communities · %(compounds)s compounds · %(households)s households")
                % {
                    "communities": sub.community_total,
                    "compounds": sub.compound_total,
                    "households": sub.household_total or 0,
                },
            )
            for sub in subdistrict_summaries(user)[:PLACES_LISTED]
        )
    if RoleKind.SUBDISTRICT_OFFICIAL in scope.role_kinds:
        return tuple(
            TodayItem(
                title=community.name,
                url=f"{compounds}?community={community.pk}",
                detail=_("%(compounds)s compounds · %(households)s households")
                % {"compounds": community.compound_total, "households": community.household_total or 0},
            )
            for community in community_summaries(user)[:PLACES_LISTED]
        )
    return ()


def today_sections(user, scope) -> list[TodaySection]:
    if not (scope.is_global or scope.role_kinds.intersection(OFFICIALS)):
        return []
    totals = place_totals(user)
    return [
        TodaySection(
            key="dashboard",
            title=_("Your places at a glance"),
            count=totals["compounds"],
            kind=SUMMARY,
            figures=(
                TodayFigure("compounds", _("Compounds"), totals["compounds"]),
                TodayFigure("buildings", _("Buildings"), totals["buildings"]),
                TodayFigure("households", _("Households"), totals["households"]),
                TodayFigure("without_property", _("Without property service"), totals["without_property"]),
            ),
            items=_place_items(user, scope),
            more_url=reverse("dashboard:home"),
            position=100,
        )
    ]
