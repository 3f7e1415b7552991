"""Choices of the communities app: property-service modes, governance bodies, roles."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class PropertyMode(models.TextChoices):
    NONE = "none", _("No property service")
    SELF_MANAGED = "self_managed", _("Resident self-management")
    MENU = "menu", _("Menu-style service")
    PROFESSIONAL = "professional", _("Professional property service")
    SHARED = "shared", _("Shared property service")


class OwnersBodyKind(models.TextChoices):
    OWNERS_COMMITTEE = "owners_committee", _("Owners' committee")
    SELF_GOVERNANCE_GROUP = "self_governance_group", _("Self-governance group")


class CompanyKind(models.TextChoices):
    CONTRACTOR = "contractor", _("EPC contractor")
    DESIGNER = "designer", _("Designer")
    SUPERVISOR = "supervisor", _("Supervisor")
    PROPERTY = "property", _("Property service company")


class RoleKind(models.TextChoices):
    PROVINCE_OFFICIAL = "province_official", _("Province official")
    CITY_OFFICIAL = "city_official", _("City official")
    DISTRICT_OFFICIAL = "district_official", _("District official")
    SUBDISTRICT_OFFICIAL = "subdistrict_official", _("Subdistrict official")
    COMMUNITY_SECRETARY = "community_secretary", _("Community secretary")
    CONTRACTOR = "contractor", _("Contractor")
    INSPECTOR = "inspector", _("Inspector")
    # The staff of a property service company (物业服务人员): they patrol the compounds their company serves after
    # handover and rectify the patrols' findings assigned to it.
    PROPERTY_STAFF = "property_staff", _("Property service staff")


class InspectionTier(models.IntegerChoices):
    SITE = 1, _("Tier 1: site patrol")
    DISTRICT = 2, _("Tier 2: district inspection group")
    LEADERSHIP = 3, _("Tier 3: leadership special evaluation")


class TaskForceLevel(models.TextChoices):
    """The four levels of task forces (专班), "vertical"."""

    DISTRICT = "district", _("District task force")
    SUBDISTRICT = "subdistrict", _("Subdistrict task force")
    COMMUNITY = "community", _("Community task force")
    COMPOUND = "compound", _("Compound task force")


class WorkingGroup(models.TextChoices):
    """The three working groups (专项工作组), "horizontal": each task-force member serves in one (or none)."""

    GUARANTEE = "guarantee", _("Construction guarantee group")
    RESIDENTS = "residents", _("Residents' work group")
    PUBLICITY = "publicity", _("Publicity and guidance group")


class LeadChoice(models.TextChoices):
    """How a building lead (楼栋长) was chosen."""

    APPOINTED = "appointed", _("Appointed")
    ELECTED = "elected", _("Elected by the building's residents")


class BoardRole(models.TextChoices):
    """The five roles of a building's contact board (亮牌), in the order the board lists them."""

    BUILDING_LEAD = "building_lead", _("Building lead")
    GRID_WORKER = "grid_worker", _("Grid worker")
    PARTY_BRANCH = "party_branch", _("Party branch")
    OWNERS_BODY = "owners_body", _("Owners' committee or self-governance group")
    PROPERTY_SERVICE = "property_service", _("Property service")
