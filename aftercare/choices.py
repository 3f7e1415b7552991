"""Choices of the aftercare app: warranty categories and their statutory terms, who is responsible, the income
ledger's kinds and approvals, the new spaces and who organises their activities."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class WarrantyCategory(models.TextChoices):
    """The categories of 《建设工程质量管理条例》 Article 40, in its order."""

    STRUCTURE = "structure", _("Foundations and main structure")
    WATERPROOFING = "waterproofing", _("Roof waterproofing, and leak-proofing of walls, rooms and toilets")
    HEATING_COOLING = "heating_cooling", _("Heating and cooling systems")
    ELECTRICAL = "electrical", _("Electrical wiring")
    PIPES = "pipes", _("Water supply and drainage pipes")
    EQUIPMENT = "equipment", _("Equipment installation")
    DECORATION = "decoration", _("Decoration works")


# The minimum warranty of each category in months (Article 40); the structure's is the design life
# (settings.AFTERCARE_DESIGN_LIFE_YEARS), heating and cooling two heating and cooling seasons (two years here).
WARRANTY_MONTHS = {
    WarrantyCategory.WATERPROOFING: 60,
    WarrantyCategory.HEATING_COOLING: 24,
    WarrantyCategory.ELECTRICAL: 24,
    WarrantyCategory.PIPES: 24,
    WarrantyCategory.EQUIPMENT: 24,
    WarrantyCategory.DECORATION: 24,
}
WARRANTY_BASIS = {
    WarrantyCategory.STRUCTURE: _("the design life of the works"),
    WarrantyCategory.WATERPROOFING: _("5 years"),
    WarrantyCategory.HEATING_COOLING: _("2 heating and cooling seasons"),
    WarrantyCategory.ELECTRICAL: _("2 years"),
    WarrantyCategory.PIPES: _("2 years"),
    WarrantyCategory.EQUIPMENT: _("2 years"),
    WarrantyCategory.DECORATION: _("2 years"),
}


class ResponsibleKind(models.TextChoices):
    PROPERTY_SERVICE = "property_service", _("Property service")
    SELF_MANAGEMENT = "self_management", _("Residents' self-management group")


class DocumentKind(models.TextChoices):
    PDF = "pdf", _("PDF document")
    PHOTO = "photo", _("Photo")


class LedgerDirection(models.TextChoices):
    INCOME = "income", _("Income")
    SPENDING = "spending", _("Spending")


class LedgerKind(models.TextChoices):
    PARKING = "parking", _("Parking spaces")
    CHARGING = "charging", _("Charging points")
    ADVERTISING = "advertising", _("Advertising boards")
    VENUE = "venue", _("Venue use")
    OTHER_INCOME = "other_income", _("Other income")
    MAINTENANCE = "maintenance", _("Repairs and maintenance")
    CLEANING = "cleaning", _("Cleaning and greening")
    ACTIVITIES = "activities", _("Residents' activities")
    OTHER_SPENDING = "other_spending", _("Other spending")


INCOME_KINDS = frozenset(
    {LedgerKind.PARKING, LedgerKind.CHARGING, LedgerKind.ADVERTISING, LedgerKind.VENUE, LedgerKind.OTHER_INCOME}
)


def direction_of(kind: str) -> str:
    return LedgerDirection.INCOME if kind in INCOME_KINDS else LedgerDirection.SPENDING


class ApprovalKind(models.TextChoices):
    COMMITTEE = "committee", _("Owners' committee decision")
    VOTE = "vote", _("Owners' vote")


class SpaceKind(models.TextChoices):
    FITNESS = "fitness", _("Fitness area")
    PLAYGROUND = "playground", _("Children's playground")
    COMMUNITY_ROOM = "community_room", _("Community room")
    CULTURE = "culture", _("Cultural publicity facility")
    OTHER = "other", _("Other activity space")


# The dashboards' 数说改造: "community service space added" (m²) sums the area of these kinds of space …
SERVICE_SPACE_KINDS = (SpaceKind.COMMUNITY_ROOM,)
# … and "culture facilities" counts the spaces of these.
CULTURE_KINDS = (SpaceKind.CULTURE,)


class OrganiserKind(models.TextChoices):
    """The "three carriages" (三驾马车) and the volunteers."""

    PARTY_BRANCH = "party_branch", _("Party branch")
    OWNERS_COMMITTEE = "owners_committee", _("Owners' committee or self-governance group")
    PROPERTY_SERVICE = "property_service", _("Property service")
    VOLUNTEERS = "volunteers", _("Volunteers")


class FindingResponsible(models.TextChoices):
    """Who answers for a patrol's finding: the compound's property service or its community — or, for a warranty
    defect within its warranty period, the contractor of the project whose warranty covers it."""

    PROPERTY_SERVICE = "property", _("Property service")
    COMMUNITY = "community", _("Community")
    CONTRACTOR = "contractor", _("Contractor (warranty defect)")


# Days a warranty defect's contractor has to repair it, by severity (a warranty repair: longer than the works'
# rectification, which the contractor's people on site did at once).
WARRANTY_DEADLINE_DAYS = {"minor": 30, "major": 15, "serious": 7}
