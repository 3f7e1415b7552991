import pytest

from projects.choices import Party, ProjectStatus
from projects.models import PlanConfirmation, Project
from tests import factories as f


@pytest.fixture
def project(tree):
    """The project of compound_a (company_a's), in planning."""
    return Project.objects.get(compound=tree["compound_a"])


@pytest.fixture
def foreign_project(tree):
    return Project.objects.get(compound=tree["compound_b"])


def set_status(project, status):
    Project.objects.filter(pk=project.pk).update(status=status)
    project.refresh_from_db()
    return project


def staff(project, leader):
    """The three people construction needs: a hooked leader and both general coordinators."""
    project.liaisons.add(leader)
    Project.objects.filter(pk=project.pk).update(engineering_coordinator="王工", masses_coordinator="李书记")
    project.refresh_from_db()
    return project


def confirm_all(plan, actor):
    for party in Party.values:
        PlanConfirmation.objects.create(plan_version=plan, party=party, confirmed_by=actor)


@pytest.fixture
def confirmed_plan(project, actors):
    set_status(project, ProjectStatus.PLAN_CONFIRMATION)
    plan = f.PlanVersionFactory(project=project, number=1)
    confirm_all(plan, actors["district_official"])
    return plan
