"""The aftercare services: opening at handover (exactly once), warranties, service form versions, the income
ledger's approval, publication and correction rules (in the service and in the database), spaces and activities."""

from datetime import date
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import PermissionDenied
from django.db import DatabaseError, transaction

from aftercare import selectors, services
from aftercare.choices import ResponsibleKind
from aftercare.models import AftercareRecord, LedgerEntry, LedgerQuarter, ServiceForm, WarrantyPeriod
from projects.choices import ProjectStatus
from projects.models import Project
from projects.services import project_accept_completion
from renovation_portal.errors import DomainError
from tests import factories as f
from tests.aftercare.conftest import hand_over

pytestmark = pytest.mark.django_db
MAY = date(2025, 5, 15)


# --- opening at handover ---


def test_accepting_completion_opens_the_compounds_aftercare_with_the_statutory_warranties(tree, actors):
    company = f.CompanyFactory(name="近邻物业", kind="property")
    f.PropertyServiceFactory(compound=tree["compound_a"], mode="menu", company=company, contact_name="陈经理")
    project = tree["compound_a"].projects.get()
    with time_machine.travel(MAY):
        hand_over(project, actors["district_official"])
    record = AftercareRecord.objects.get(compound=tree["compound_a"])
    assert (record.project, record.opened_on, record.opened_by) == (project, MAY, actors["district_official"])
    assert record.responsible_kind == ResponsibleKind.PROPERTY_SERVICE and "近邻物业" in record.responsible_note
    ends = dict(record.warranties.values_list("category", "ends_on"))
    assert ends["waterproofing"] == date(2030, 5, 15)
    assert ends["pipes"] == ends["decoration"] == ends["electrical"] == ends["heating_cooling"] == date(2027, 5, 15)
    assert ends["structure"] == date(2075, 5, 15)  # the design life (settings.AFTERCARE_DESIGN_LIFE_YEARS)
    assert record.standards


def test_acceptance_opens_aftercare_exactly_once_per_compound(tree, actors, record):
    second = f.ProjectFactory(compound=tree["compound_a"], contractor=tree["company_a"], name="二期")
    hand_over(second, actors["district_official"])
    services.aftercare_open_on_handover(second, actors["district_official"])  # a listener called again adds nothing
    assert AftercareRecord.objects.filter(compound=tree["compound_a"]).count() == 1
    assert AftercareRecord.objects.get(compound=tree["compound_a"]).project == tree["compound_a"].projects.first()
    # each accepted project's works have their own warranties, from its own handover
    assert WarrantyPeriod.objects.filter(project=second).count() == 7
    assert WarrantyPeriod.objects.filter(record=record).count() == 14


def test_a_refused_acceptance_opens_nothing(tree, actors):
    project = tree["compound_a"].projects.get()
    Project.objects.filter(pk=project.pk).update(status=ProjectStatus.CONSTRUCTION)
    project.refresh_from_db()
    with pytest.raises(DomainError):
        project_accept_completion(actor=actors["district_official"], project=project)
    assert not AftercareRecord.objects.exists()


def test_without_a_property_service_the_residents_group_is_responsible(tree, actors, record_b):
    assert record_b.responsible_kind == ResponsibleKind.SELF_MANAGEMENT and record_b.property_service is None


def test_district_sets_a_warranty_and_nobody_else(tree, actors, record):
    warranty = record.warranties.get(category="pipes")
    with pytest.raises(PermissionDenied):
        services.warranty_set(actor=actors["community_secretary"], warranty=warranty, ends_on="2030-01-01")
    with pytest.raises(DomainError) as refused:
        services.warranty_set(actor=actors["district_official"], warranty=warranty, ends_on="2000-01-01")
    assert refused.value.code == "ends_before_start"
    changed = services.warranty_set(
        actor=actors["district_official"], warranty=warranty, ends_on="2030-01-01", basis="合同约定5年"
    )
    assert (changed.ends_on, changed.basis, changed.changed_by) == (
        date(2030, 1, 1),
        "合同约定5年",
        actors["district_official"],
    )


def test_responsible_property_service_needs_one_on_record(tree, actors, record_b):
    secretary_b = f.user_with_role("community_secretary", community=tree["comm_b"])
    with pytest.raises(DomainError) as refused:
        services.record_update(actor=secretary_b, record=record_b, responsible_kind="property_service")
    assert refused.value.code == "no_property_service"
    changed = services.record_update(
        actor=secretary_b, record=record_b, standards="  环境整洁  ", responsible_note="自治小组 李勇"
    )
    assert (changed.standards, changed.responsible_note) == ("环境整洁", "自治小组 李勇")


def test_secretary_of_another_community_cannot_keep_the_record(tree, actors, record_b):
    with pytest.raises(PermissionDenied):
        services.record_update(actor=actors["community_secretary"], record=record_b, standards="x")


# --- the service form ---

ITEMS = [
    {
        "service": "公共区域保洁",
        "provider": "近邻物业",
        "frequency": "每日一次",
        "price": "0.30",
        "price_unit": "元/㎡·月",
    },
    {"service": "上门维修", "provider": "近邻物业", "frequency": "预约", "price": "30", "price_unit": "元/次"},
]


def test_a_changed_service_form_keeps_the_earlier_version_and_its_date(tree, actors, record):
    secretary = actors["community_secretary"]
    with time_machine.travel(date(2025, 3, 1)):
        first = services.service_form_publish(actor=secretary, record=record, items=ITEMS)
    with time_machine.travel(MAY):
        second = services.service_form_publish(
            actor=secretary, record=record, items=[{**ITEMS[0], "price": "0.35"}], note="保洁单价调整"
        )
    assert (first.version, first.published_on, second.version, second.published_on) == (
        1,
        date(2025, 3, 1),
        2,
        MAY,
    )
    assert selectors.current_service_form(record) == second
    assert [i.price for i in first.items.all()] == [Decimal("0.30"), Decimal("30.00")]  # the earlier one unchanged
    assert [form.version for form in selectors.service_form_versions(record)] == [2, 1]


def test_menu_style_service_lists_a_price_for_every_item_and_a_bad_form_writes_nothing(tree, actors, record):
    with pytest.raises(DomainError) as refused:
        services.service_form_publish(
            actor=actors["community_secretary"], record=record, items=[ITEMS[0], {**ITEMS[1], "price": ""}]
        )
    assert refused.value.code == "price_required"
    for items, code in (
        ([], "no_items"),
        ([{"service": "保洁"}], "invalid_item"),
        ([{**ITEMS[0], "price": "x"}], "invalid_amount"),
    ):
        with pytest.raises(DomainError) as refused:
            services.service_form_publish(actor=actors["community_secretary"], record=record, items=items)
        assert refused.value.code == code
    assert not ServiceForm.objects.exists()


# --- the income ledger ---


def _income(record, secretary, day, amount="1200", **extra):
    values = {
        "kind": "charging",
        "purpose": "充电桩电费分成",
        "decision": "业委会第3次会议同意",
        "decided_on": "2025-01-05",
    }
    values.update(extra)
    return services.ledger_entry_record(actor=secretary, record=record, entry_date=day, amount=amount, **values)


@time_machine.travel(MAY)
def test_larger_entries_need_a_passed_vote_of_the_compound(tree, actors, record, passed_vote, settings):
    settings.AFTERCARE_VOTE_THRESHOLD = Decimal("10000")
    secretary = actors["community_secretary"]
    with pytest.raises(DomainError) as refused:
        _income(record, secretary, "2025-04-01", amount="10000", kind="maintenance", purpose="维修")
    assert refused.value.code == "vote_required"
    foreign = f.willingness_vote(tree["compound_b"], secretary, matter_type="other")
    failed = f.willingness_vote(tree["compound_a"], secretary, passed=False, matter_type="other")
    for vote, code in ((foreign, "foreign_vote"), (failed, "vote_not_passed")):
        with pytest.raises(DomainError) as refused:
            _income(record, secretary, "2025-04-01", amount="10000", vote=vote)
        assert refused.value.code == code
    entry = _income(
        record, secretary, "2025-04-01", amount="12000", kind="maintenance", purpose="维修", vote=passed_vote
    )
    assert (entry.direction, entry.approval_kind, entry.vote) == ("spending", "vote", passed_vote)
    with pytest.raises(DomainError) as refused:
        _income(record, secretary, "2025-04-02", decision="")
    assert refused.value.code == "required"
    assert LedgerEntry.objects.count() == 1


@time_machine.travel(MAY)
def test_published_quarter_is_frozen_and_corrected_only_by_a_new_entry(tree, actors, record, last_quarter):
    secretary = actors["community_secretary"]
    wrong = _income(record, secretary, last_quarter, amount="1500")
    _income(record, secretary, "2025-03-20", amount="800", kind="parking", purpose="临时停车费")
    services.ledger_entry_record(
        actor=secretary, record=record, kind="cleaning", entry_date="2025-03-25", amount="300", purpose="绿化补种",
        decision="业委会同意", decided_on="2025-03-01",
    )  # fmt: skip
    quarter = services.ledger_quarter_publish(actor=secretary, record=record, year=2025, quarter=1)
    assert (quarter.income_total, quarter.spending_total, quarter.balance) == (
        Decimal(2300),
        Decimal(300),
        Decimal(2000),
    )
    assert [(line["kind"], line["amount"]) for line in quarter.lines] == [
        ("charging", Decimal("1500.00")),
        ("parking", Decimal("800.00")),
        ("cleaning", Decimal("300.00")),
    ]
    # nothing dated in the published quarter can be added...
    with pytest.raises(DomainError) as refused:
        _income(record, secretary, "2025-03-30")
    assert refused.value.code == "quarter_published"
    # ...and the correction of its wrong entry is a new entry in the open quarter
    correction = services.ledger_entry_record(
        actor=secretary, record=record, kind=None, entry_date="2025-04-10", amount="-300", purpose="更正：多记300元",
        decision="业委会核对更正", decided_on="2025-04-09", corrects=wrong,
    )  # fmt: skip
    assert (correction.kind, correction.direction, correction.amount) == ("charging", "income", Decimal("-300.00"))
    with pytest.raises(DomainError) as refused:
        services.ledger_entry_record(
            actor=secretary, record=record, kind=None, entry_date="2025-04-11", amount="-1300", purpose="再更正",
            decision="业委会", decided_on="2025-04-09", corrects=wrong,
        )  # fmt: skip
    assert refused.value.code == "correction_too_large"
    assert LedgerQuarter.objects.get().income_total == Decimal(2300)  # the publication stays as published
    with pytest.raises(DomainError) as refused:
        services.ledger_quarter_publish(actor=secretary, record=record, year=2025, quarter=1)
    assert refused.value.code == "already_published"
    with pytest.raises(DomainError) as refused:
        services.ledger_quarter_publish(actor=secretary, record=record, year=2025, quarter=2)
    assert refused.value.code == "quarter_not_over"


@time_machine.travel(MAY)
def test_the_database_refuses_changes_to_a_published_quarter(tree, actors, record, last_quarter):
    secretary = actors["community_secretary"]
    entry = _income(record, secretary, last_quarter)
    services.ledger_quarter_publish(actor=secretary, record=record, year=2025, quarter=1)
    attempts = [
        lambda: LedgerEntry.objects.filter(pk=entry.pk).update(amount=1),
        lambda: LedgerEntry.objects.filter(pk=entry.pk).delete(),
        lambda: LedgerEntry.objects.create(
            record=record,
            kind="parking",
            direction="income",
            entry_date=last_quarter,
            amount=5,
            purpose="x",
            approval_kind="committee",
            decision="x",
            decided_on=last_quarter,
            recorded_by=secretary,
        ),  # fmt: skip
        lambda: LedgerEntry.objects.filter(pk=entry.pk).update(entry_date=date(2025, 4, 1)),
        lambda: LedgerQuarter.objects.update(income_total=0),
        lambda: LedgerQuarter.objects.all().delete(),
    ]
    for attempt in attempts:
        with pytest.raises(DatabaseError), transaction.atomic():
            attempt()
    assert LedgerEntry.objects.get().amount == Decimal(1200)
    # an entry of an open quarter is not frozen
    open_entry = _income(record, secretary, "2025-04-02")
    assert LedgerEntry.objects.filter(pk=open_entry.pk).update(purpose="改") == 1


@time_machine.travel(MAY)
def test_bad_ledger_input_is_refused_with_its_field(tree, actors, record):
    secretary = actors["community_secretary"]
    for extra, code, field in (
        ({"amount": "abc"}, "invalid_amount", "amount"),
        ({"amount": "-5"}, "negative_amount", "amount"),
        ({"amount": "0"}, "zero_amount", "amount"),
        ({"amount": "1e20"}, "invalid_amount", "amount"),
        ({"kind": "lottery"}, "invalid_choice", "kind"),
        ({"purpose": " "}, "required", "purpose"),
        ({"decided_on": "2025-13-01"}, "bad_date", "decided_on"),
    ):
        with pytest.raises(DomainError) as refused:
            _income(record, secretary, "2025-04-01", **extra)
        assert (refused.value.code, refused.value.field) == (code, field)
    for day, code in (("2025-06-01", "future_date"), ("yesterday", "bad_date")):
        with pytest.raises(DomainError) as refused:
            _income(record, secretary, day)
        assert refused.value.code == code
    assert not LedgerEntry.objects.exists()


# --- spaces and activities ---


@time_machine.travel(MAY)
def test_activities_count_per_space_and_month(tree, actors, record):
    secretary = actors["community_secretary"]
    room = services.space_create(actor=secretary, record=record, name="近邻茶室", kind="community_room", area="60")
    yard = services.space_create(actor=secretary, record=record, name="健身区", kind="fitness", area="120.5")
    with pytest.raises(DomainError) as refused:
        services.space_create(actor=secretary, record=record, name="近邻茶室", kind="community_room", area="10")
    assert refused.value.code == "duplicate_space"
    for space, day in ((room, "2025-04-03"), (room, "2025-04-20"), (room, "2025-05-02"), (yard, "2025-05-10")):
        services.activity_create(
            actor=secretary, space=space, title="近邻茶话会", held_on=day, organiser_kind="party_branch"
        )
    rows = [
        (r["space__name"], r["month"], r["activities"])
        for r in selectors.activities_per_space_month(actors["district_official"])
    ]
    assert sorted(rows) == sorted(
        [("近邻茶室", date(2025, 4, 1), 2), ("近邻茶室", date(2025, 5, 1), 1), ("健身区", date(2025, 5, 1), 1)]
    )
    assert list(selectors.activities_per_space_month(actors["contractor"])) == []
    assert len(selectors.activities_per_space_month(since=date(2025, 5, 1))) == 2


@time_machine.travel(MAY)
def test_sign_ups_within_places_then_attendance_once_held(tree, actors, record):
    secretary = actors["community_secretary"]
    room = services.space_create(actor=secretary, record=record, name="近邻茶室", kind="community_room", area="60")
    later = services.activity_create(
        actor=secretary, space=room, title="亲子手工", held_on="2025-05-20", organiser_kind="volunteers", capacity=10
    )
    services.activity_add_signups(actor=secretary, activity=later, count=8)
    with pytest.raises(DomainError) as refused:
        services.activity_add_signups(actor=secretary, activity=later, count=3)
    assert refused.value.code == "activity_full"
    with pytest.raises(DomainError) as refused:
        services.activity_record_attendance(actor=secretary, activity=later, attendance=8)
    assert refused.value.code == "activity_not_yet"
    tea = services.activity_create(
        actor=secretary, space=room, title="第一次近邻茶话会", held_on="2025-05-10", organiser_kind="party_branch"
    )
    services.activity_add_signups(actor=secretary, activity=tea, count=12)
    held = services.activity_record_attendance(actor=secretary, activity=tea, attendance=15)
    assert (held.signups, held.attendance, held.is_held) == (12, 15, True)
    with pytest.raises(DomainError) as refused:
        services.activity_add_signups(actor=secretary, activity=tea, count=1)
    assert refused.value.code == "activity_held"
    with pytest.raises(PermissionDenied):
        services.activity_add_signups(actor=actors["district_official"], activity=later, count=1)
