"""Choices of the projects app: lifecycle, the six parties, scope categories and funding sources."""

from decimal import Decimal

from django.db import models
from django.utils.translation import gettext_lazy as _


class ProjectStatus(models.TextChoices):
    PLANNING = "planning", _("Planning")
    SURVEY_DESIGN = "survey_design", _("Survey and design")
    PLAN_CONFIRMATION = "plan_confirmation", _("Plan confirmation")
    CONSTRUCTION = "construction", _("Construction")
    COMPLETION_ACCEPTANCE = "completion_acceptance", _("Completion acceptance")
    HANDED_OVER = "handed_over", _("Handed over to long-term management")
    SUSPENDED = "suspended", _("Suspended")


# A project is "not yet accepted" (still inspected weekly) in these states.
UNACCEPTED_STATUSES = (
    ProjectStatus.PLANNING,
    ProjectStatus.SURVEY_DESIGN,
    ProjectStatus.PLAN_CONFIRMATION,
    ProjectStatus.CONSTRUCTION,
    ProjectStatus.COMPLETION_ACCEPTANCE,
    ProjectStatus.SUSPENDED,
)
# States in which the project's schedule still runs (used for "behind schedule").
OPEN_STATUSES = UNACCEPTED_STATUSES


class Party(models.TextChoices):
    """The six parties that confirm a renovation plan (六方确认)."""

    CONSTRUCTION_OWNER = "construction_owner", _("Construction owner (代建)")
    DESIGNER = "designer", _("Designer")
    CONTRACTOR = "contractor", _("EPC contractor")
    SUPERVISOR = "supervisor", _("Supervisor (监理)")
    SUBDISTRICT_COMMUNITY = "subdistrict_community", _("Subdistrict and community")
    RESIDENTS = "residents", _("Residents' representatives / owners' committee")


class FundingSource(models.TextChoices):
    """Where a project's money comes from, as the programme's funding tables list it (资金来源)."""

    CENTRAL_SUBSIDY = "central_subsidy", _("Central subsidy")
    PROVINCIAL_FUNDS = "provincial_funds", _("Provincial funds")
    CITY_FUNDS = "city_funds", _("City funds")
    DISTRICT_FUNDS = "district_funds", _("District funds")
    SPECIAL_BONDS = "special_bonds", _("Special bonds")
    RESIDENTS = "residents", _("Residents' contribution")
    MAINTENANCE_FUND = "maintenance_fund", _("Housing maintenance fund")
    UTILITIES = "utilities", _("Utility companies' investment")
    SOCIAL_CAPITAL = "social_capital", _("Social capital")


class FundingStage(models.TextChoices):
    """A movement of money recorded in a project's funding ledger. The plan per source is a figure that is
    revised (``ProjectFunding.amount``), not a movement, so it is no stage here."""

    ALLOCATED = "allocated", _("Allocated (下达)")
    DISBURSED = "disbursed", _("Disbursed (拨付)")
    SPENT = "spent", _("Spent (支出)")


class WorkClass(models.TextChoices):
    BASIC = "basic", _("Basic (基础类)")
    IMPROVEMENT = "improvement", _("Improvement (完善类)")
    ENHANCEMENT = "enhancement", _("Enhancement (提升类)")


class ScopeCategory(models.TextChoices):
    """What is built, covering every figure of the district's "数说改造" report."""

    PIPE_WATER = "pipe_water", _("Water supply pipelines")
    PIPE_GAS = "pipe_gas", _("Gas pipelines")
    PIPE_POWER = "pipe_power", _("Power lines")
    PIPE_TELECOM = "pipe_telecom", _("Telecom lines")
    PIPE_RAIN_SEWAGE = "pipe_rain_sewage", _("Rain and sewage pipelines")
    ROAD = "road", _("Roads paved")
    LIGHTS = "lights", _("Lights renewed")
    FIRE_SYSTEM = "fire_system", _("Fire systems renewed")
    ILLEGAL_STRUCTURES = "illegal_structures", _("Illegal structures removed")
    FACADE = "facade", _("Façades renewed")
    WASTE_POINT = "waste_point", _("Waste-sorting points")
    ELEVATOR = "elevator", _("Elevators added")
    PARKING = "parking", _("Parking spaces (incl. non-motor)")
    ELDERLY = "elderly", _("Elderly-friendly facilities")
    GREENING = "greening", _("Greening added")
    LEISURE = "leisure", _("Leisure and activity spaces")
    VIDEO = "video", _("Public video devices")
    SMART_PARKING = "smart_parking", _("Smart parking systems")
    SERVICE_SPACE = "service_space", _("Community service space")
    CONVENIENCE_SPACE = "convenience_space", _("Convenience service space")
    CULTURAL = "cultural", _("Cultural publicity facilities")
    OTHER = "other", _("Other works")


PIPELINE_CATEGORIES = (
    ScopeCategory.PIPE_WATER,
    ScopeCategory.PIPE_GAS,
    ScopeCategory.PIPE_POWER,
    ScopeCategory.PIPE_TELECOM,
    ScopeCategory.PIPE_RAIN_SEWAGE,
)

# The unit each category is counted in (pipelines in km, areas in m², the rest in pieces or places).
CATEGORY_UNITS = {
    **{c: "km" for c in PIPELINE_CATEGORIES},
    ScopeCategory.ROAD: "m²",
    ScopeCategory.LIGHTS: "盏",
    ScopeCategory.FIRE_SYSTEM: "套",
    ScopeCategory.ILLEGAL_STRUCTURES: "m²",
    ScopeCategory.FACADE: "m²",
    ScopeCategory.WASTE_POINT: "处",
    ScopeCategory.ELEVATOR: "部",
    ScopeCategory.PARKING: "个",
    ScopeCategory.ELDERLY: "处",
    ScopeCategory.GREENING: "m²",
    ScopeCategory.LEISURE: "处",
    ScopeCategory.VIDEO: "套",
    ScopeCategory.SMART_PARKING: "处",
    ScopeCategory.SERVICE_SPACE: "m²",
    ScopeCategory.CONVENIENCE_SPACE: "m²",
    ScopeCategory.CULTURAL: "处",
    ScopeCategory.OTHER: "项",
}

HUNDRED = Decimal(100)
