"""The generator fills declarations, the library, annual plans and split targets for the generated projects."""

import io
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db.models import Sum

from planning.models import AnnualPlan, Declaration, PlanItem
from projects.models import ProgrammeTarget, Project, TargetShare


@pytest.mark.django_db
def test_generator_fills_declarations_plans_and_targets():
    call_command("generate_data", scale="district", districts=1, compounds_per_community=1, stdout=io.StringIO())
    projects = Project.objects.count()
    assert PlanItem.objects.filter(project__isnull=False).count() == projects == 60
    assert Declaration.objects.filter(status="approved").count() == projects
    assert Declaration.objects.filter(status__in=["submitted", "returned"]).count() == 2  # one in thirty
    assert AnnualPlan.objects.count() == len(set(Project.objects.values_list("batch", flat=True)))
    for item in PlanItem.objects.select_related("plan", "project", "declaration")[:20]:
        assert item.plan.year == item.project.batch and item.declaration.compound_id == item.project.compound_id
    declaration = Declaration.objects.order_by("?").first()
    assert declaration.funding.aggregate(total=Sum("amount"))["total"] == declaration.estimated_cost
    assert declaration.items.aggregate(total=Sum("estimated_cost"))["total"] == declaration.estimated_cost
    assert declaration.vote.result == "passed" and declaration.vote.topic.compound_id == declaration.compound_id
    for target in ProgrammeTarget.objects.all():
        shares = TargetShare.objects.filter(target=target).aggregate(s=Sum("to_start"))["s"] or 0
        assert shares <= target.to_start
    assert TargetShare.objects.count() == 10 * ProgrammeTarget.objects.count()
    assert Decimal(0) < Declaration.objects.aggregate(s=Sum("estimated_cost"))["s"]
