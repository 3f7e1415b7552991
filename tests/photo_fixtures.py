"""Fixtures shared by the photo upload tests (test_upload_safety, test_photo_formats_and_full_size): a project
under construction, an open rectification issue on it, and the body of a progress report."""

from datetime import timedelta

import pytest
from django.utils import timezone

from inspections.models import ChecklistTemplate, Inspection, RectificationIssue
from projects.choices import ProjectStatus
from projects.models import Project
from tests.projects.conftest import set_status


@pytest.fixture
def project(tree):
    return set_status(Project.objects.get(compound=tree["compound_a"]), ProjectStatus.CONSTRUCTION)


@pytest.fixture
def issue(project):
    template = ChecklistTemplate.objects.create(name="表", tier=2)
    inspection = Inspection.objects.create(
        project=project, tier=2, template=template, status="filed", planned_date=timezone.localdate()
    )
    return RectificationIssue.objects.create(
        inspection=inspection,
        project=project,
        contractor=project.contractor,
        kind="road",
        description="裂缝",
        location="1号楼",
        severity="minor",
        tier=2,
        deadline=timezone.localdate() + timedelta(days=5),
    )


def report_data(project, photos):
    return {
        "project": project.pk,
        "report_date": timezone.localdate().isoformat(),
        "work_done": "铺设道路",
        "percent_complete": 40,
        "photos": photos,
    }
