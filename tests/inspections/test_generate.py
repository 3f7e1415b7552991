"""``generate_data --open-issues N``: the reminder sweep's benchmark data, topped up on small generated data."""

import io
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.db.models import F
from django.utils import timezone

from inspections.choices import IssueStatus
from inspections.models import RectificationIssue


@pytest.fixture
def generated(db):
    call_command("generate_data", scale="district", districts=1, compounds_per_community=1, stdout=io.StringIO())


def _unclosed():
    return RectificationIssue.objects.exclude(status=IssueStatus.CLOSED)


def test_top_up_adds_exactly_the_missing_open_issues_within_the_constraints(generated):
    before, last = RectificationIssue.objects.count(), RectificationIssue.objects.order_by("pk").last().pk
    target = _unclosed().count() + 1500
    out = io.StringIO()
    call_command("generate_data", open_issues=target, stdout=out)
    assert _unclosed().count() == target
    assert RectificationIssue.objects.count() == before + 1500  # nothing else generated again
    added = RectificationIssue.objects.filter(pk__gt=last)
    assert set(added.values_list("status", flat=True)) == {IssueStatus.OPEN, IssueStatus.SUBMITTED}
    # each on a filed inspection of its own project, assigned to that project's contractor, at its tier
    assert not added.exclude(contractor=F("project__contractor")).exists()
    assert not added.exclude(inspection__project=F("project"), tier=F("inspection__tier")).exists()
    assert not added.exclude(inspection__status="filed").exists()
    assert not added.filter(created_at__gt=timezone.now()).exists()
    # sent back: open again with the contractor's note kept; submitted ones have theirs
    assert added.filter(status=IssueStatus.OPEN, submitted_at__isnull=False).exclude(rectification_note="").exists()
    assert not added.filter(status=IssueStatus.SUBMITTED, submitted_at__isnull=True).exists()
    today = timezone.localdate()
    overdue = added.filter(deadline__lt=today).count()
    due_soon = added.filter(deadline__gte=today, deadline__lte=today + timedelta(2)).count()
    later = added.filter(deadline__gt=today + timedelta(2)).count()
    assert min(overdue, due_soon, later) >= 100, (overdue, due_soon, later)
    assert "unclosed issues added: 1,500/1,500" in out.getvalue() and "done" in out.getvalue()


def test_top_up_again_adds_nothing(generated):
    target = _unclosed().count() + 10
    call_command("generate_data", open_issues=target, stdout=io.StringIO())
    total = RectificationIssue.objects.count()
    out = io.StringIO()
    call_command("generate_data", open_issues=target, stdout=out)
    assert RectificationIssue.objects.count() == total and "nothing to add" in out.getvalue()


def test_scale_and_open_issues_generate_then_top_up(db):
    call_command(
        "generate_data",
        scale="district",
        districts=1,
        compounds_per_community=1,
        open_issues=2000,
        stdout=io.StringIO(),
    )
    assert _unclosed().count() == 2000


def test_top_up_of_an_empty_database_says_to_generate_first(db):
    with pytest.raises(CommandError, match="generate the data first"):
        call_command("generate_data", open_issues=10, stdout=io.StringIO())
