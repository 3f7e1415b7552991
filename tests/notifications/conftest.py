"""Fixtures of the event notification tests: people with e-mail addresses around one inspection of compound_a."""

import pytest

from communities.choices import InspectionTier, RoleKind
from inspections import services as inspections
from inspections.choices import Outcome, Severity
from inspections.models import ChecklistItem, ChecklistTemplate, InspectionGroup
from projects.models import Project
from tests import factories as f


def with_email(user):
    user.email = f"{user.username}@example.cn"
    user.save(update_fields=["email"])
    return user


@pytest.fixture
def people(tree, actors):
    """Everyone with an e-mail address; a second member of company_a, a contractor of company_b, an inspector group
    member and a second secretary of comm_a."""
    extra = {
        "contractor_2": f.user_with_role(RoleKind.CONTRACTOR, company=tree["company_a"]),
        "contractor_b": f.user_with_role(RoleKind.CONTRACTOR, company=tree["company_b"]),
        "group_member": f.user_with_role(RoleKind.INSPECTOR, district=tree["district"]),
        "secretary_2": f.user_with_role(RoleKind.COMMUNITY_SECRETARY, community=tree["comm_a"]),
    }
    for user in [*actors.values(), *extra.values()]:
        with_email(user)
    return {**actors, **extra}


@pytest.fixture
def inspection(tree, people):
    template = ChecklistTemplate.objects.create(name="表", tier=InspectionTier.DISTRICT)
    ChecklistItem.objects.create(template=template, position=1, code="safety", text="临边防护")
    group = InspectionGroup.objects.create(name="第一组", tier=InspectionTier.DISTRICT, district=tree["district"])
    group.members.add(people["inspector"], people["group_member"])
    project = Project.objects.get(compound=tree["compound_a"])
    found = inspections.inspection_start(actor=people["inspector"], project=project, tier=InspectionTier.DISTRICT)
    found.group = group
    found.save(update_fields=["group"])
    return found


def file_finding(actor, inspection, findings=True):
    item = inspection.template.items.get()
    results = [inspections.ResultInput(item=item, outcome=Outcome.FAIL)]
    finding = inspections.FindingInput(
        item=item, description="护栏缺失", location="3号楼", severity=Severity.MAJOR, photos=[f.photo_file()]
    )
    return inspections.inspection_file(
        actor=actor, inspection=inspection, results=results, findings=[finding] if findings else []
    )
