"""Who may do what to a project. Reads are scoped by communities.scoping; these decide the actions."""

from django.db.models import Q

from communities.choices import RoleKind
from communities.scoping import get_scope
from projects.choices import FundingStage, Party
from projects.models import Project


def contractor_compounds(company_ids):
    """The compounds a contractor reaches: where its company holds a project (a subquery of compound ids;
    registered with communities.scoping in projects.apps)."""
    return Project.objects.filter(contractor_id__in=sorted(company_ids)).values("compound_id")


def _place_roles(user, project, kinds) -> bool:
    """The user holds one of ``kinds`` bound to a place node above the project's compound."""
    scope = get_scope(user)
    if scope.is_global:
        return True
    if not scope.role_kinds.intersection(kinds):
        return False
    community = project.compound.community
    return user.roles.filter(
        Q(district_id=community.subdistrict.district_id)
        | Q(subdistrict_id=community.subdistrict_id)
        | Q(community_id=community.pk),
        kind__in=kinds,
    ).exists()


def is_official_for(user, project) -> bool:
    """A district or subdistrict official whose subtree holds the project."""
    return _place_roles(user, project, (RoleKind.DISTRICT_OFFICIAL, RoleKind.SUBDISTRICT_OFFICIAL))


def is_district_official_for(user, project) -> bool:
    return _place_roles(user, project, (RoleKind.DISTRICT_OFFICIAL,))


def is_secretary_for(user, project) -> bool:
    return _place_roles(user, project, (RoleKind.COMMUNITY_SECRETARY,))


def is_contractor_for(user, project) -> bool:
    """A member of the project's EPC contractor company."""
    return project.contractor_id is not None and project.contractor_id in get_scope(user).company_ids


def can_edit_project(user, project) -> bool:
    """Basic data, budget, funding, dates: officials over the project."""
    return is_official_for(user, project)


def can_manage_scope(user, project) -> bool:
    """Plan versions and scope items: the EPC contractor (who designs and builds) and officials."""
    return is_contractor_for(user, project) or is_official_for(user, project)


def can_file_report(user, project) -> bool:
    return is_contractor_for(user, project)


# Who records each movement of a project's money. Allocation (下达) and disbursement (拨付) are orders of the district
# (its housing and finance bureaus pass the higher levels' money on and pay it out): district officials only.
# Spending is recorded by the officials over the project, the subdistrict included: as the implementing body it
# pays the EPC contractor against measured work. Contractors see their project's ledger but record nothing: the
# payee does not certify its own payments (nor can a community secretary, who has no part in the money).
FUNDING_RECORDERS = {
    FundingStage.ALLOCATED: is_district_official_for,
    FundingStage.DISBURSED: is_district_official_for,
    FundingStage.SPENT: is_official_for,
}


def can_record_funding(user, project, stage: str) -> bool:
    check = FUNDING_RECORDERS.get(stage)
    return check is not None and check(user, project)


def recordable_stages(user, project) -> list[str]:
    """The stages this user may record on the project (none: no add-entry form)."""
    if not is_official_for(user, project):  # one query settles most users
        return []
    return [stage for stage in FundingStage.values if can_record_funding(user, project, stage)]


# Who may record each party's confirmation. The construction owner (代建), designer and supervisor rarely have
# portal accounts: district officials record their signed confirmations on their behalf.
PARTY_RECORDERS = {
    Party.CONSTRUCTION_OWNER: (RoleKind.DISTRICT_OFFICIAL,),
    Party.DESIGNER: (RoleKind.DISTRICT_OFFICIAL,),
    Party.SUPERVISOR: (RoleKind.DISTRICT_OFFICIAL,),
    Party.SUBDISTRICT_COMMUNITY: (
        RoleKind.SUBDISTRICT_OFFICIAL,
        RoleKind.COMMUNITY_SECRETARY,
        RoleKind.DISTRICT_OFFICIAL,
    ),
    Party.RESIDENTS: (RoleKind.COMMUNITY_SECRETARY,),
}


def can_confirm_for(user, project, party: str) -> bool:
    if party == Party.CONTRACTOR:
        return is_contractor_for(user, project) or get_scope(user).is_global
    return _place_roles(user, project, PARTY_RECORDERS[party])


def confirmable_parties(user, project) -> list[str]:
    return [party for party in Party.values if can_confirm_for(user, project, party)]
