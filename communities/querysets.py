"""Querysets that know how to scope themselves to a user (see communities.scoping)."""

from django.contrib.auth.models import UserManager
from django.db import models


class ScopedQuerySet(models.QuerySet):
    """A queryset of a model that belongs to a compound; subclasses set ``compound_path``.

    ``compound_path`` is the lookup from the model to its compound, ending in "__" ("" for Compound).
    """

    compound_path: str = ""

    def visible_to(self, user):
        from communities.scoping import get_scope

        return self.filter(get_scope(user).compound_q(self.compound_path))


class CompoundRecordQuerySet(ScopedQuerySet):
    """Records that belong to a compound directly (its governance bodies)."""

    compound_path = "compound__"


class BuildingRecordQuerySet(ScopedQuerySet):
    """Records that belong to a building (its building leads)."""

    compound_path = "building__compound__"


class ProjectScopedQuerySet(ScopedQuerySet):
    """A queryset of a project or of a model that belongs to one; subclasses set ``project_path``.

    ``project_path`` is the lookup from the model to its project, ending in "__" ("" for Project). Scoped by
    the project (``Scope.project_q``): a contractor sees its own company's projects only, even on a compound
    shared with another company. ``compound_path`` follows from it (the audit trail and sync read it).
    """

    project_path: str = "project__"

    @property
    def compound_path(self) -> str:
        return f"{self.project_path}compound__"

    def visible_to(self, user):
        from communities.scoping import get_scope

        return self.filter(get_scope(user).project_q(self.project_path))


class PlaceQuerySet(ScopedQuerySet):
    """District, subdistrict and community are scoped by their level; compounds and buildings by compound."""

    @property
    def compound_path(self) -> str:
        return "compound__" if self.model._meta.model_name == "building" else ""

    def visible_to(self, user):
        from communities.scoping import get_scope

        level = self.model._meta.model_name
        scope = get_scope(user)
        if level in {"province", "city", "district", "subdistrict", "community"}:
            return self.filter(scope.place_q(level))
        return self.filter(scope.compound_q(self.compound_path))


class UserQuerySet(models.QuerySet):
    """Users, scoped for the people pages: those holding a role the viewer may grant. The rule is
    ``communities.permissions.visible_users_q``, set as ``visibility`` in CommunitiesConfig.ready(): permissions
    imports the models, which import this module, so this module cannot import permissions back."""

    visibility = None  # (user) -> Q

    def visible_to(self, user):
        return self.filter(type(self).visibility(user))


class CompanyQuerySet(models.QuerySet):
    """Companies are one register shared by the districts: officials see all of it, contractors their own, and
    community secretaries the property service companies (they choose one when they record a compound's property
    service, on the web form and through the API alike)."""

    def visible_to(self, user):
        from communities.choices import CompanyKind, RoleKind
        from communities.scoping import get_scope

        scope = get_scope(user)
        if scope.is_global or scope.has_role(
            RoleKind.PROVINCE_OFFICIAL,
            RoleKind.CITY_OFFICIAL,
            RoleKind.DISTRICT_OFFICIAL,
            RoleKind.SUBDISTRICT_OFFICIAL,
        ):
            return self.all()
        own = models.Q(pk__in=sorted(scope.company_ids))
        if scope.has_role(RoleKind.COMMUNITY_SECRETARY):
            return self.filter(own | models.Q(kind=CompanyKind.PROPERTY))
        return self.filter(own)


class PortalUserManager(UserManager.from_queryset(UserQuerySet)):
    """Django's user manager (create_user, ...) with ``visible_to``."""
