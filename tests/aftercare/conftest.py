"""Fixtures of the aftercare tests: compound a's project handed over through the projects service (so its
aftercare opened through the handover listener), and a passed owners' vote of compound a."""

from datetime import date

import pytest

from aftercare.models import AftercareRecord
from projects.choices import ProjectStatus
from projects.models import Project
from projects.services import project_accept_completion
from tests import factories as f


def hand_over(project, official):
    Project.objects.filter(pk=project.pk).update(status=ProjectStatus.COMPLETION_ACCEPTANCE, progress_percent=100)
    project.refresh_from_db()
    return project_accept_completion(actor=official, project=project)


@pytest.fixture
def record(tree, actors):
    """Compound a after handover, with a menu-style property service."""
    company = f.CompanyFactory(name="近邻物业", kind="property")
    f.PropertyServiceFactory(compound=tree["compound_a"], mode="menu", company=company, contact_name="陈经理")
    hand_over(tree["compound_a"].projects.get(), actors["district_official"])
    return AftercareRecord.objects.get(compound=tree["compound_a"])


@pytest.fixture
def record_b(tree, actors):
    hand_over(tree["compound_b"].projects.get(), actors["district_official"])
    return AftercareRecord.objects.get(compound=tree["compound_b"])


@pytest.fixture
def passed_vote(tree, actors):
    return f.willingness_vote(
        tree["compound_a"], actors["community_secretary"], matter_type="change_common_use", title="充电桩收益使用"
    )


@pytest.fixture
def last_quarter():
    """A finished quarter: 2025 Q1."""
    return date(2025, 2, 10)
