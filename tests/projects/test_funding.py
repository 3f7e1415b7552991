"""Funding: the ledger's rules (to the fen, disbursed ≤ allocated ≤, spent ≤ disbursed, under concurrency), who
records what, and the totals and execution rates against figures computed by hand."""

import threading
from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection

from projects import selectors, services
from projects.choices import FundingSource, FundingStage
from projects.models import FundingEntry, Project, ProjectFunding
from renovation_portal.errors import DomainError

D = Decimal
CENTRAL, RESIDENTS = FundingSource.CENTRAL_SUBSIDY, FundingSource.RESIDENTS
ALLOCATED, DISBURSED, SPENT = FundingStage.ALLOCATED, FundingStage.DISBURSED, FundingStage.SPENT


def record(actor, project, source, stage, amount, day=date(2026, 3, 1), number="思财建〔2026〕1号"):
    return services.funding_entry_record(
        actor=actor, project=project, source=source, stage=stage, amount=amount, date=day, document_number=number
    )


@pytest.fixture
def ledger(project, foreign_project, actors):
    """Figures chosen so that binary floating point would get them wrong (0.1 + 0.2)."""
    official = actors["district_official"]
    ProjectFunding.objects.create(project=project, source=CENTRAL, amount=D("1000000.10"))
    ProjectFunding.objects.create(project=project, source=RESIDENTS, amount=D("0.30"))
    ProjectFunding.objects.create(project=foreign_project, source=CENTRAL, amount=D("2.00"))
    record(official, project, CENTRAL, ALLOCATED, "0.10", date(2026, 1, 10))
    record(official, project, CENTRAL, ALLOCATED, D("0.20"), date(2026, 2, 10))
    record(official, project, CENTRAL, DISBURSED, "0.30", date(2026, 2, 20))
    record(official, project, CENTRAL, SPENT, "0.10", date(2026, 3, 5))
    record(official, project, RESIDENTS, ALLOCATED, "100.01", date(2026, 1, 15))
    record(official, project, RESIDENTS, DISBURSED, "33.34", date(2026, 2, 15))
    record(official, project, RESIDENTS, SPENT, "33.33", date(2026, 3, 15))
    record(official, foreign_project, CENTRAL, ALLOCATED, "1.00", date(2026, 1, 20))
    record(official, foreign_project, CENTRAL, DISBURSED, "1.00", date(2026, 2, 20))
    record(official, foreign_project, CENTRAL, SPENT, "0.99", date(2026, 3, 20))
    return official


def test_totals_and_execution_rates_to_the_fen(ledger, project, django_assert_num_queries):
    with django_assert_num_queries(2):
        totals = selectors.funding_totals(Project.objects.filter(pk=project.pk))
    assert list(totals) == FundingSource.values  # every source, in the programme's order
    central = totals[CENTRAL]
    assert (central.planned, central.allocated, central.disbursed, central.spent) == (
        D("1000000.10"),
        D("0.30"),
        D("0.30"),
        D("0.10"),
    )
    assert central.rate == D("0.3333") and central.rate_percent == D("33.33")  # 0.10 ÷ 0.30
    residents = totals[RESIDENTS]
    assert (residents.allocated, residents.disbursed, residents.spent) == (D("100.01"), D("33.34"), D("33.33"))
    assert residents.rate == D("0.3333")  # 33.33 ÷ 100.01 = 0.333266…
    assert totals[FundingSource.SPECIAL_BONDS].rate is None  # nothing allocated: no rate, not 0 % or a crash
    assert totals[FundingSource.SPECIAL_BONDS]["spent"] == D("0.00")
    overall = selectors.funding_total(totals)
    assert (overall.planned, overall.allocated, overall.spent) == (D("1000000.40"), D("100.31"), D("33.43"))
    assert overall.rate == D("0.3333")  # 33.43 ÷ 100.31 = 0.333266…


def test_totals_over_several_projects_and_periods(ledger, project, foreign_project):
    both = Project.objects.filter(pk__in=[project.pk, foreign_project.pk])
    central = selectors.funding_totals(both)[CENTRAL]
    assert (central.planned, central.allocated, central.disbursed, central.spent) == (
        D("1000002.10"),
        D("1.30"),
        D("1.30"),
        D("1.09"),
    )
    assert central.rate == D("0.8385")  # 1.09 ÷ 1.30 = 0.838461…
    february = selectors.funding_totals(both, since=date(2026, 2, 1), until=date(2026, 2, 28))[CENTRAL]
    assert (february.allocated, february.disbursed, february.spent, february.rate) == (
        D("0.20"),
        D("1.30"),
        D("0.00"),
        D("0.0000"),
    )
    assert february.planned == D("1000002.10")  # the plan is not dated


def test_spent_by_source_is_the_investment_completed_in_the_period(ledger, project, foreign_project):
    both = Project.objects.filter(pk__in=[project.pk, foreign_project.pk])
    march = selectors.funding_spent_by_source(both, since=date(2026, 3, 1), until=date(2026, 3, 15))
    assert march[CENTRAL] == D("0.10") and march[RESIDENTS] == D("33.33")
    assert set(march) == set(FundingSource.values) and march[FundingSource.SOCIAL_CAPITAL] == D("0.00")
    assert selectors.funding_spent_by_source(both)[CENTRAL] == D("1.09")


def test_totals_per_place_node(ledger, project, foreign_project, tree):
    rows = selectors.funding_by_node(Project.objects.all(), "compound__community__subdistrict_id")
    assert rows[tree["sub_a"].pk].spent == D("33.43") and rows[tree["sub_a"].pk].allocated == D("100.31")
    assert rows[tree["sub_b"].pk].rate == D("0.9900")


def test_disbursement_beyond_the_allocation_is_refused_and_nothing_saved(ledger, project):
    before = FundingEntry.objects.count()
    with pytest.raises(DomainError) as refused:
        record(ledger, project, CENTRAL, DISBURSED, "0.01")  # 0.30 allocated, 0.30 disbursed
    assert refused.value.code == "exceeds_allocation" and refused.value.field == "amount"
    assert "¥0.30" in str(refused.value.message) and "¥0.00" in str(refused.value.message)
    with pytest.raises(DomainError) as refused:
        record(ledger, project, FundingSource.SPECIAL_BONDS, DISBURSED, "5.00")  # nothing allocated there
    assert refused.value.code == "exceeds_allocation"
    with pytest.raises(DomainError) as refused:
        record(ledger, project, RESIDENTS, SPENT, "0.02")  # 33.34 disbursed, 33.33 spent
    assert refused.value.code == "exceeds_disbursement"
    assert FundingEntry.objects.count() == before
    record(ledger, project, RESIDENTS, SPENT, "0.01")  # exactly up to the ceiling is fine


@pytest.mark.parametrize(
    ("amount", "code"),
    [
        ("0", "not_positive"),
        ("-1.00", "not_positive"),
        ("0.001", "too_many_decimals"),
        ("1.005", "too_many_decimals"),
        (0.1, "invalid_amount"),
        ("abc", "invalid_amount"),
        ("NaN", "invalid_amount"),
        ("1000000000000", "too_large"),
    ],
)
def test_amounts_are_positive_decimals_to_the_fen(project, actors, amount, code):
    with pytest.raises(DomainError) as refused:
        record(actors["district_official"], project, CENTRAL, ALLOCATED, amount)
    assert refused.value.code == code and refused.value.field == "amount"
    assert not FundingEntry.objects.exists()


def test_document_number_and_date_are_required_and_checked(project, actors):
    official = actors["district_official"]
    with pytest.raises(DomainError) as refused:
        record(official, project, CENTRAL, ALLOCATED, "1.00", number="  ")
    assert refused.value.field == "document_number"
    with pytest.raises(DomainError) as refused:
        record(official, project, CENTRAL, ALLOCATED, "1.00", day=date(2999, 1, 1))
    assert refused.value.code == "future_date"
    with pytest.raises(DomainError) as refused:
        record(official, project, "lottery", ALLOCATED, "1.00")
    assert refused.value.code == "invalid_source"


@pytest.mark.parametrize(
    ("role", "stages"),
    [
        ("district_official", {ALLOCATED, DISBURSED, SPENT}),
        ("subdistrict_official", {SPENT}),
        ("community_secretary", set()),
        ("contractor", set()),
        ("inspector", set()),
        ("outsider", set()),
    ],
)
def test_who_records_which_stage(project, foreign_project, actors, role, stages):
    user = actors[role]
    official = actors["district_official"]
    record(official, project, CENTRAL, ALLOCATED, "10.00")
    record(official, project, CENTRAL, DISBURSED, "10.00")
    for stage in (ALLOCATED, DISBURSED, SPENT):
        if stage in stages:
            record(user, project, CENTRAL, stage, "1.00")
        else:
            with pytest.raises(PermissionDenied):
                record(user, project, CENTRAL, stage, "1.00")
    assert set(services.perms.recordable_stages(user, project)) == stages
    if role == "subdistrict_official":  # another subdistrict's project: nothing
        with pytest.raises(PermissionDenied):
            record(user, foreign_project, CENTRAL, SPENT, "1.00")


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_disbursements_cannot_both_pass_the_allocation(tree, actors):
    project = Project.objects.get(compound=tree["compound_a"])
    official = actors["district_official"]
    record(official, project, CENTRAL, ALLOCATED, "100.00")
    barrier = threading.Barrier(2)
    outcomes = []

    def disburse():
        try:
            barrier.wait()
            record(official, project, CENTRAL, DISBURSED, "60.00")
            outcomes.append("saved")
        except DomainError as error:
            outcomes.append(error.code)
        finally:
            connection.close()

    threads = [threading.Thread(target=disburse) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["exceeds_allocation", "saved"]
    assert selectors.funding_totals(Project.objects.filter(pk=project.pk))[CENTRAL].disbursed == D("60.00")


def test_generator_fills_plans_and_ledgers_within_the_ceilings(db):
    import io

    from django.core.management import call_command
    from django.db.models import F, Q, Sum

    call_command("generate_data", scale="district", districts=1, compounds_per_community=1, stdout=io.StringIO())
    assert ProjectFunding.objects.values("project").distinct().count() == Project.objects.count()
    assert set(FundingEntry.objects.values_list("stage", flat=True)) == {ALLOCATED, DISBURSED, SPENT}
    # The plan of each project is its budget, to the fen.
    assert not (Project.objects.annotate(planned=Sum("funding__amount")).exclude(planned=F("budget")).exists())
    sums = {stage: Sum("amount", filter=Q(stage=stage), default=D(0)) for stage in (ALLOCATED, DISBURSED, SPENT)}
    ledgers = FundingEntry.objects.values("project", "source").annotate(**sums)
    assert ledgers.exists()
    assert not ledgers.filter(Q(disbursed__gt=F("allocated")) | Q(spent__gt=F("disbursed"))).exists()


def test_voiding_keeps_the_entry_and_the_ceilings(ledger, project):
    allocation = FundingEntry.objects.get(project=project, source=RESIDENTS, stage=ALLOCATED)
    spending = FundingEntry.objects.get(project=project, source=RESIDENTS, stage=SPENT)
    disbursement = FundingEntry.objects.get(project=project, source=RESIDENTS, stage=DISBURSED)
    with pytest.raises(DomainError) as refused:  # 33.34 disbursed would stand on nothing allocated
        services.funding_entry_void(actor=ledger, entry=allocation, reason="重复录入")
    assert refused.value.code == "void_breaks_ceiling"
    with pytest.raises(DomainError) as refused:
        services.funding_entry_void(actor=ledger, entry=spending, reason=" ")
    assert refused.value.field == "reason"
    services.funding_entry_void(actor=ledger, entry=spending, reason="凭证号录错")
    services.funding_entry_void(actor=ledger, entry=disbursement, reason="重复录入")
    totals = selectors.funding_totals(Project.objects.filter(pk=project.pk))[RESIDENTS]
    assert (totals.allocated, totals.disbursed, totals.spent, totals.rate) == (
        D("100.01"),
        D("0.00"),
        D("0.00"),
        D("0.0000"),
    )
    with pytest.raises(DomainError) as refused:
        services.funding_entry_void(actor=ledger, entry=spending, reason="again")
    assert refused.value.code == "already_voided"
    spending.refresh_from_db()
    assert spending.voided_by == ledger and spending.void_reason == "凭证号录错"  # kept in the ledger
    record(ledger, project, RESIDENTS, DISBURSED, "100.01")  # the voided one no longer counts against it


def test_only_who_records_a_stage_voids_it(ledger, project, actors):
    allocation = FundingEntry.objects.get(project=project, source=CENTRAL, stage=SPENT)
    for role in ("contractor", "community_secretary", "inspector"):
        with pytest.raises(PermissionDenied):
            services.funding_entry_void(actor=actors[role], entry=allocation, reason="x")
    services.funding_entry_void(actor=actors["subdistrict_official"], entry=allocation, reason="录错")
