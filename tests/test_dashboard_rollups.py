"""The dashboards' rollups (dashboards/rollups.py): kept by triggers in the writer's own transaction, equal to a
recount for every district, city and province, fresh on the next request, right on any day, checkable by an
operator (``verify_rollups``) and rebuilt by ``rebuild_rollups``."""

import io
from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.core.management import call_command
from django.db import connection
from django.db.models import F
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from aftercare.models import AftercareRecord, Space
from communities import services as communities
from communities.choices import RoleKind
from communities.models import City, Compound, District, OwnersBody, PartyBranch, PropertyService, Province, User
from consultations.models import Need, OwnerUnit, ResidentProblem, Survey, SurveyCode, SurveyResponse, Vote
from dashboards import figures, rollups
from dashboards.api import DashboardView
from dashboards.models import AreaFigure, ContractorScore, PlaceDay, PlaceFigure
from inspections import services as inspections
from inspections.models import Inspection, RectificationIssue
from projects import services as projects
from projects.choices import Party
from projects.models import FundingEntry, PlanConfirmation, PlanVersion, Project, ProjectFunding, ScopeItem
from renovation_portal.prepared import statement_text
from tests import factories as f


@pytest.fixture
def generated(db):
    call_command("generate_data", scale="district", districts=2, compounds_per_community=1, stdout=io.StringIO())
    return User.objects.create(username="rollup_admin", is_superuser=True, is_staff=True)


def places():
    return [
        *(("district", d) for d in District.objects.order_by("pk")),
        *(("city", c) for c in City.objects.order_by("pk")),
        *(("province", p) for p in Province.objects.order_by("pk")),
        ("nation", figures.NATION_PLACE),  # every district summed
    ]


def board(level, place, user, *, live):
    built = figures.build(level, place, user=user, show_rounds=True, live=live)
    return DashboardView.figures(level, place, built)


def assert_rollups_equal_a_recount(user):
    assert rollups.differences() == []
    checked = 0
    for level, place in places():
        assert board(level, place, user, live=False) == board(level, place, user, live=True), (level, place.pk)
        checked += 1
    return checked


def patrol_findings(projects, today, **extra) -> list[RectificationIssue]:
    """Aftercare patrols' findings on the projects, one each, by turns the property service's, the community's and a
    warranty defect for the contractor, with deadlines from three days ago on (created in one statement)."""
    company = f.CompanyFactory(kind="property")
    findings = []
    for n, project in enumerate(projects):
        assignee = [
            {"property_company": company},
            {"community_id": project.compound.community_id},
            {"contractor_id": project.contractor_id, "warranty_category": "pipes"},
        ][n % 3]
        if project.contractor_id is None and "contractor_id" in assignee:
            assignee = {"property_company": company}
        findings.append(
            RectificationIssue(
                origin="patrol",
                project=project,
                kind="waste" if n % 2 else "safety",
                description="巡查发现",
                location="垃圾点",
                severity="minor",
                tier=1,
                deadline=today + timedelta(days=n % 7 - 3),
                **assignee,
                **extra,
            )
        )
    return RectificationIssue.objects.bulk_create(findings)


def test_the_rollups_equal_a_recount_for_every_place(generated):
    assert City.objects.count() and Province.objects.count() and District.objects.count() == 2
    assert PlaceFigure.objects.filter(figure="issue.total").exists()  # kept through generate_data's COPY
    assert assert_rollups_equal_a_recount(generated) == 5  # 2 districts, their city and province, the nation


def test_a_rolled_up_dashboard_reads_no_source_table_of_the_rolled_figures(generated):
    district = District.objects.order_by("pk").first()
    with CaptureQueriesContext(connection) as queries:
        board("province", district.city.province, generated, live=False)
    # A province reads its own area rows (``dashboards/areas.py``), never its districts' rows; the governance row by
    # any period too, from its rows by day (``dashboards.daily``), and the scorecard from its contractors' rows.
    sql = " ".join(statement_text(q["sql"]) for q in queries.captured_queries)
    for table in ("dashboards_areafigure", "dashboards_areaday", "dashboards_contractorscore"):
        assert table in sql
    for table in (
        "dashboards_placefigure",
        "dashboards_placeday",
        "communities_partybranch",
        "communities_ownersbody",
        "communities_propertyservice",
        "aftercare_space",
        "inspections_rectificationissue",
        "projects_scopeitem",
        "projects_fundingentry",
        "consultations_need",
        "consultations_residentproblem",
        "projects_project_liaisons",
    ):
        assert table not in sql


def test_writes_of_every_kind_keep_the_rollups_equal_to_a_recount(generated):
    user = generated
    district = District.objects.order_by("pk").first()
    in_district = {"project__compound__community__subdistrict__district": district}
    # Issues: one closed through the service, many changed by one statement, some deleted, more created at once.
    submitted = RectificationIssue.objects.filter(status="submitted", **in_district).first()
    inspections.issue_verify(actor=user, issue=submitted)
    RectificationIssue.objects.filter(status="open", **in_district).update(
        deadline=F("deadline") - timedelta(days=40), tier=3
    )
    RectificationIssue.objects.filter(
        pk__in=RectificationIssue.objects.filter(status="submitted").values("pk")[:3]
    ).update(status="closed", closed_at=timezone.now())
    template = RectificationIssue.objects.filter(**in_district).first()
    RectificationIssue.objects.bulk_create(
        [
            RectificationIssue(
                inspection=template.inspection,
                project=project,
                contractor=project.contractor,
                kind="safety",
                description="批量",
                location="1号楼",
                severity="minor",
                tier=2,
                deadline=timezone.localdate() - timedelta(days=n),
            )
            for n, project in enumerate(Project.objects.order_by("pk")[:30])
        ]
    )
    RectificationIssue.objects.filter(description="批量", project__in=Project.objects.order_by("pk")[:3]).delete()
    # Aftercare patrols' findings: filed, rectified, closed, deleted; an inspection's issue turned into one.
    found = patrol_findings(Project.objects.select_related("compound").order_by("-pk")[:24], timezone.localdate())
    RectificationIssue.objects.filter(pk__in=[i.pk for i in found[:6]]).update(status="submitted")
    RectificationIssue.objects.filter(pk__in=[i.pk for i in found[6:10]]).update(
        status="closed", closed_at=timezone.now()
    )
    RectificationIssue.objects.filter(pk__in=[i.pk for i in found[10:12]]).delete()
    turned = RectificationIssue.objects.filter(origin="inspection", contractor__isnull=False, **in_district).first()
    RectificationIssue.objects.filter(pk=turned.pk).update(origin="patrol", inspection=None)
    patrols = board("province", district.city.province, user, live=False)["patrols"]
    assert patrols["total"] and patrols["closed"] and patrols["submitted"] and patrols["warranty"]
    # Projects: statuses, contractors and dates moved in bulk.
    Project.objects.filter(status="construction").update(planned_finish=timezone.localdate() - timedelta(days=3))
    Project.objects.filter(pk__in=Project.objects.order_by("pk").values("pk")[:5]).update(
        status="handed_over", actual_finish=timezone.localdate()
    )
    first, second = Project.objects.order_by("pk")[:2]
    Project.objects.filter(pk=first.pk).update(contractor=second.contractor)
    # Scope: a new category in many projects at once, two items of one category in one project, quantities, deletes.
    ScopeItem.objects.bulk_create(
        [
            ScopeItem(project=project, category="elevator", name="加装电梯", unit="部", planned_quantity=Decimal("2"))
            for project in Project.objects.order_by("pk")[:20]
        ]
        + [ScopeItem(project=first, category="elevator", name="第二部", unit="部", planned_quantity=Decimal("1"))]
    )
    ScopeItem.objects.filter(project=first, category="elevator").order_by("pk").first().delete()
    ScopeItem.objects.update(completed_quantity=F("completed_quantity") + 1)
    ScopeItem.objects.filter(project=second).delete()
    # Money: an entry voided, a plan revised.
    FundingEntry.objects.filter(pk=FundingEntry.objects.order_by("pk").first().pk).update(voided_at=timezone.now())
    ProjectFunding.objects.filter(pk=ProjectFunding.objects.order_by("pk").first().pk).update(amount=Decimal("12.34"))
    # Consultation and places.
    Vote.objects.update(status="closed", result="failed_approval")
    ResidentProblem.objects.filter(status="open").update(status="answered", answered_at=timezone.now())
    Need.objects.filter(pk__in=Need.objects.values("pk")[:10]).delete()
    f.CompoundFactory(community=first.compound.community)
    # Satisfaction surveys: codes printed in one statement, answers, a mark changed, an answer and a survey deleted.
    surveys = []
    for project in Project.objects.select_related("compound").order_by("pk")[:3]:
        building = f.BuildingFactory(compound=project.compound, number=f"问卷{project.pk}号楼")
        units = OwnerUnit.objects.bulk_create(
            OwnerUnit(
                compound=project.compound, building=building, unit=f"{n}01", owner_name="业主", area=Decimal("80")
            )
            for n in range(4)
        )
        survey = Survey.objects.create(compound=project.compound, opened_by=user)
        codes = SurveyCode.objects.bulk_create(
            SurveyCode(survey=survey, owner_unit=unit, unit_label=unit.unit, code=f"R{survey.pk:03d}{n}")
            for n, unit in enumerate(units)
        )
        SurveyResponse.objects.bulk_create(
            SurveyResponse(survey=survey, code=code, overall=n + 2) for n, code in enumerate(codes[:3])
        )
        surveys.append(survey)
    SurveyResponse.objects.filter(survey=surveys[0], overall=2).update(overall=5)
    SurveyResponse.objects.filter(survey=surveys[1], overall=3).delete()
    surveys[2].delete()
    shown = board("district", district, user, live=False)["consultation"]["satisfaction"]
    assert shown["codes"] and shown["responses"] and shown["average"]
    assert assert_rollups_equal_a_recount(user) == 5


def test_the_median_rounds_leaders_and_evaluations_equal_a_recount(generated):
    """The figures read by key (not summed whole) on shaped data: answer times to the microsecond (odd and even
    counts, one answered before it was raised), a leader hooked in both districts, evaluations filed at the same
    instant and one with no filing time, this week's rounds half filed."""
    user = generated
    first, second = District.objects.order_by("pk")[:2]
    province = first.city.province
    assert second.city.province == province

    def in_(district):
        return Project.objects.filter(compound__community__subdistrict__district=district).order_by("pk")

    # Hooked leaders: one in both districts (counted once above them), one hooked twice in one district.
    both, twice, once = f.UserFactory(), f.UserFactory(), f.UserFactory()
    for project in (*in_(first)[:2], in_(second)[0]):
        project.liaisons.add(both)
    for project in in_(first)[2:4]:
        project.liaisons.add(twice, once)
    in_(first)[2].liaisons.remove(once)  # still hooked to the other one
    in_(first)[3].liaisons.remove(once)  # no longer hooked in the district: no longer counted
    # Answer times to the microsecond, one negative; all answered in the first district, then one more.
    problems = ResidentProblem.objects.filter(compound__community__subdistrict__district=first).order_by("pk")
    for n, problem in enumerate(problems):
        ResidentProblem.objects.filter(pk=problem.pk).update(
            answered_at=F("created_at") + timedelta(hours=n % 7, minutes=n * 13 % 60, microseconds=n * 7919 + 1)
        )
    ResidentProblem.objects.filter(pk=problems[0].pk).update(answered_at=F("created_at") - timedelta(minutes=5))
    # Evaluations: three filed at the same instant (ties by id), one filed with no time, one losing its score.
    site = Inspection.objects.filter(tier=1, status="filed").order_by("pk").values("pk")[:30]
    Inspection.objects.filter(pk__in=site).update(tier=3, score=80)  # more evaluations than the twenty shown
    evaluations = Inspection.objects.filter(tier=3, status="filed", score__isnull=False).order_by("pk")
    assert evaluations.count() > 20
    instant = timezone.now()
    Inspection.objects.filter(pk__in=[e.pk for e in evaluations[:3]]).update(filed_at=instant)
    Inspection.objects.filter(pk=evaluations[5].pk).update(filed_at=None)
    Inspection.objects.filter(pk=evaluations[6].pk).update(score=None)
    # This week's rounds: half of the planned ones filed.
    monday = timezone.localdate() - timedelta(days=timezone.localdate().weekday())
    planned = Inspection.objects.filter(week=monday, status="planned").order_by("pk")
    Inspection.objects.filter(pk__in=[i.pk for i in planned[: planned.count() // 2]]).update(status="filed")

    # Six-party confirmation: one project fully confirmed, one with a newer version since, one missing a party
    # after a deletion, one moved on to construction.
    waiting = [*in_(first)[10:14], in_(second)[10]]
    Project.objects.filter(pk__in=[p.pk for p in waiting]).update(status="plan_confirmation")
    versions = [PlanVersion.objects.create(project=p, number=100) for p in waiting]
    PlanConfirmation.objects.bulk_create(
        [PlanConfirmation(plan_version=v, party=party, confirmed_by=user) for v in versions for party in Party.values]
    )
    PlanVersion.objects.create(project=waiting[1], number=101)
    PlanConfirmation.objects.filter(plan_version=versions[2], party=Party.RESIDENTS).delete()
    Project.objects.filter(pk=waiting[3].pk).update(status="construction")
    PlanVersion.objects.filter(pk=versions[4].pk).delete()  # its confirmations with it

    assert assert_rollups_equal_a_recount(user) == 5
    top = board("province", province, user, live=False)
    assert top["progress"]["pending_confirmation"] > 0
    assert top["progress"]["liaisons"]["leaders"] == 2
    assert board("district", first, user, live=False)["progress"]["liaisons"]["leaders"] == 2
    assert board("district", second, user, live=False)["progress"]["liaisons"]["leaders"] == 1
    assert top["progress"]["liaisons"]["covered"] == 5
    assert len(top["evaluations"]) == 20 and top["evaluations"][0]["pk"] == evaluations[5].pk
    assert [e["pk"] for e in top["evaluations"][1:4]] == sorted((e.pk for e in evaluations[:3]), reverse=True)
    assert top["inspections"]["rounds"]["done"] > 0
    medians = {top["consultation"]["median_response_hours"]}
    # An odd and an even number of answered problems: the median of one and the mean of two middle times.
    for _ in range(2):
        extra = ResidentProblem.objects.filter(answered_at__isnull=True).order_by("pk").first()
        ResidentProblem.objects.filter(pk=extra.pk).update(
            answered_at=F("created_at") + timedelta(hours=3, microseconds=123457)
        )
        assert assert_rollups_equal_a_recount(user) == 5
        medians.add(board("province", province, user, live=False)["consultation"]["median_response_hours"])
    assert None not in medians
    # Everything undone: a leader unhooked everywhere, the problems deleted, the evaluations and rounds moved.
    for project in Project.objects.filter(liaisons=both):
        project.liaisons.clear()
    ResidentProblem.objects.filter(compound__community__subdistrict__district=second).delete()
    Inspection.objects.filter(week=monday).update(week=monday - timedelta(days=7 * 20))
    Inspection.objects.filter(tier=3).update(tier=2)
    assert assert_rollups_equal_a_recount(user) == 5
    top = board("province", province, user, live=False)
    assert top["evaluations"] == [] and top["inspections"]["rounds"] == {"planned": 0, "done": 0, "week": monday}
    assert top["progress"]["liaisons"]["leaders"] == 1


def test_a_change_shows_on_the_next_dashboard_request(generated, client):
    district = District.objects.order_by("pk").first()
    officials = {
        "district": f.user_with_role(RoleKind.DISTRICT_OFFICIAL, district=district),
        "city": f.user_with_role(RoleKind.CITY_OFFICIAL, city=district.city),
        "province": f.user_with_role(RoleKind.PROVINCE_OFFICIAL, province=district.city.province),
        "nation": generated,  # a national administrator: the national overview
    }
    place = {
        "district": district,
        "city": district.city,
        "province": district.city.province,
        "nation": figures.NATION_PLACE,
    }

    def seen():
        boards = {}
        for level, user in officials.items():
            client.force_login(user)
            url = (
                reverse("api:dashboard-nation")
                if level == "nation"
                else reverse("api:dashboard", args=[level, place[level].pk])
            )
            response = client.get(url)
            assert response.status_code == 200
            boards[level] = response.json()
        return boards

    before = seen()
    # Closing an issue (销号).
    issue = RectificationIssue.objects.filter(
        status="submitted", project__compound__community__subdistrict__district=district
    ).first()
    inspections.issue_verify(actor=officials["district"], issue=issue)
    after = seen()
    for level in officials:
        assert after[level]["inspections"]["closed"] == before[level]["inspections"]["closed"] + 1
        assert after[level]["inspections"]["submitted"] == before[level]["inspections"]["submitted"] - 1
    # Filing a progress report.
    item = ScopeItem.objects.filter(
        project__status="construction",
        project__contractor__isnull=False,
        project__compound__community__subdistrict__district=district,
    ).first()
    contractor = f.user_with_role(RoleKind.CONTRACTOR, company=item.project.contractor)
    projects.progress_report_file(
        actor=contractor,
        project=item.project,
        report_date=timezone.localdate(),
        work_done="铺设管线",
        percent_complete=60,
        quantities={item.pk: Decimal("7.5")},
    )
    latest = seen()

    def completed(boards, level):
        return Decimal(str(next(r["completed"] for r in boards[level]["scope"] if r["category"] == item.category)))

    for level in officials:
        assert completed(latest, level) == completed(after, level) + Decimal("7.5")

    # Six-party confirmation: a project waiting for its last party, then confirmed by it.
    waiting = Project.objects.filter(
        status="plan_confirmation", compound__community__subdistrict__district=district
    ).first()
    version = PlanVersion.objects.create(project=waiting, number=100)
    PlanConfirmation.objects.bulk_create(
        [
            PlanConfirmation(plan_version=version, party=party, confirmed_by=officials["district"])
            for party in Party.values[:-1]
        ]
    )
    latest = seen()
    projects.plan_confirm(actor=generated, plan_version=version, party=Party.values[-1])
    confirmed = seen()
    for level in officials:
        assert (
            confirmed[level]["progress"]["pending_confirmation"]
            == latest[level]["progress"]["pending_confirmation"] - 1
        )

    # Hooking a leader (挂钩领导).
    project = item.project
    leader = f.user_with_role(RoleKind.DISTRICT_OFFICIAL, district=district)
    projects.project_add_liaison(actor=officials["district"], project=project, user=leader)
    # Answering residents' problems: every answer of the district now took 500 hours.
    answered_in = ResidentProblem.objects.filter(compound__community__subdistrict__district=district)
    answered_in.update(answered_at=F("created_at") + timedelta(hours=500))
    # Filing one of this week's unannounced rounds, and a new mid-term evaluation.
    monday = timezone.localdate() - timedelta(days=timezone.localdate().weekday())
    round_ = Inspection.objects.filter(
        week=monday, status="planned", project__compound__community__subdistrict__district=district
    ).first()
    Inspection.objects.filter(pk=round_.pk).update(status="filed", filed_at=timezone.now())
    evaluation = Inspection.objects.filter(tier=3, project__compound__community__subdistrict__district=district).first()
    Inspection.objects.filter(pk=evaluation.pk).update(status="filed", score=99, filed_at=timezone.now())
    fresh = seen()
    for level in officials:
        liaisons, earlier = fresh[level]["progress"]["liaisons"], latest[level]["progress"]["liaisons"]
        assert (liaisons["leaders"], liaisons["covered"]) == (earlier["leaders"] + 1, earlier["covered"] + 1)
        live = figures.build(level, place[level], user=officials[level], show_rounds=False, live=True)
        assert fresh[level]["consultation"]["median_response_hours"] == live.consultation["median_response_hours"]
        assert (fresh[level]["evaluations"][0]["pk"], fresh[level]["evaluations"][0]["score"]) == (evaluation.pk, 99)
    assert fresh["district"]["consultation"]["median_response_hours"] == 500.0
    rounds, earlier = fresh["district"]["inspections"]["rounds"], latest["district"]["inspections"]["rounds"]
    assert (rounds["planned"], rounds["done"]) == (earlier["planned"], earlier["done"] + 1)


def test_overdue_and_behind_are_right_on_any_day_before_and_after_the_nightly_roll(generated):
    user = generated
    district = District.objects.order_by("pk").first()
    today = timezone.localdate()
    # Deadlines and planned finishes in the coming days, so that moving the day moves the figures.
    for n, issue in enumerate(
        RectificationIssue.objects.exclude(status="closed").filter(
            project__compound__community__subdistrict__district=district
        )[:12]
    ):
        RectificationIssue.objects.filter(pk=issue.pk).update(deadline=today + timedelta(days=n % 6))
    for n, project in enumerate(Project.objects.filter(status="construction")[:6]):
        Project.objects.filter(pk=project.pk).update(planned_finish=today + timedelta(days=n))
    # Patrol findings due in the coming days too (their own overdue figure moves with the day).
    in_district = Project.objects.filter(compound__community__subdistrict__district=district)
    patrol_findings(in_district.select_related("compound").order_by("pk")[:14], today + timedelta(days=3))
    overdue_now = board("district", district, user, live=False)["inspections"]["overdue"]
    patrols_overdue_now = board("district", district, user, live=False)["patrols"]["overdue"]
    with time_machine.travel(timezone.now() + timedelta(days=4), tick=False):
        later = board("district", district, user, live=False)
        assert later == board("district", district, user, live=True)  # the clock is behind: corrected
        assert later["inspections"]["overdue"] > overdue_now
        assert later["patrols"]["overdue"] > patrols_overdue_now
        assert rollups.roll_clock() > 0  # the nightly roll
        assert board("district", district, user, live=False) == board("district", district, user, live=True)
        assert rollups.differences() == []
    # Back to the first day with the clock four days ahead (the correction takes the days off).
    assert board("district", district, user, live=False) == board("district", district, user, live=True)
    assert assert_rollups_equal_a_recount(user) == 5


def test_verify_rollups_reports_a_difference_and_fix_rebuilds(generated):
    out = io.StringIO()
    call_command("verify_rollups", stdout=out)
    assert "equal a recount" in out.getvalue()
    row = PlaceFigure.objects.filter(figure="issue.open").order_by("pk").first()
    PlaceFigure.objects.filter(pk=row.pk).update(value=F("value") + 3)
    out = io.StringIO()
    with pytest.raises(SystemExit) as exit_:
        call_command("verify_rollups", stdout=out)
    assert exit_.value.code == 1
    assert f"issue.open {row.key}: kept {row.value + 3}" in out.getvalue()
    call_command("verify_rollups", fix=True, stdout=io.StringIO())
    out = io.StringIO()
    call_command("verify_rollups", stdout=out)
    assert "equal a recount" in out.getvalue()
    PlaceFigure.objects.all().delete()  # an empty table (a restore without it): the command counts it all again
    call_command("rebuild_rollups", stdout=io.StringIO())
    assert rollups.differences() == []


def test_area_and_scorecard_rows_out_of_step_are_found_and_fixed(generated):
    """The cities', provinces' and contractors' rows (``dashboards/areas.py``) are checked against the same sums of
    a recount, and rebuilt by ``--fix``."""
    area = AreaFigure.objects.filter(level="province", part=0, figure="issue.total").order_by("pk").first()
    AreaFigure.objects.filter(pk=area.pk).update(value=F("value") + 2)  # no trigger on the area rows
    score = ContractorScore.objects.filter(level="nation", repeats__gt=0).order_by("pk").first()
    ContractorScore.objects.filter(pk=score.pk).update(repeats=F("repeats") + 1)
    out = io.StringIO()
    with pytest.raises(SystemExit):
        call_command("verify_rollups", stdout=out)
    assert f"area province {area.area_id} 0 issue.total {area.key}: kept {area.value + 2}" in out.getvalue()
    assert f"score repeats nation 0 {score.contractor_id}: kept {score.repeats + 1}" in out.getvalue()
    call_command("verify_rollups", fix=True, stdout=io.StringIO())
    assert rollups.differences() == []


@pytest.mark.django_db(transaction=True)
def test_generating_with_the_rollups_counted_after_leaves_them_equal_and_kept_by_triggers():
    """``generate_data --rollups-after`` (the benchmark data) drops the triggers while it generates, then installs
    them and counts every rollup once: the rollups equal a recount, and the next write moves them."""
    out = io.StringIO()
    call_command(
        "generate_data", scale="district", districts=1, compounds_per_community=1, rollups_after=True, stdout=out
    )
    assert "triggers installed, every rollup counted" in out.getvalue()
    assert rollups.differences() == []
    issue = RectificationIssue.objects.filter(origin="inspection", status="open").order_by("pk").first()
    row = PlaceFigure.objects.filter(subdistrict_id=0, figure="issue.closed", key=str(issue.tier))
    closed = sum(row.values_list("value", flat=True))
    RectificationIssue.objects.filter(pk=issue.pk).update(status="closed", closed_at=timezone.now())
    assert sum(row.values_list("value", flat=True)) == closed + 1
    assert rollups.differences() == []


def test_moving_a_district_or_a_city_takes_its_rows_to_the_new_area(generated):
    """A district moved to another city (of another province), then that city moved to the first province: the
    area rows follow each move in its own transaction, and every board still equals a recount."""
    first, second = District.objects.order_by("pk")
    old_city = second.city
    second.city = f.CityFactory(name="新设市", province=f.ProvinceFactory(name="新设省"))
    second.save(update_fields=["city"])
    assert assert_rollups_equal_a_recount(generated) == 7  # 2 districts, 2 cities, 2 provinces, the nation
    new_province = second.city.province
    assert AreaFigure.objects.filter(level="province", area_id=new_province.pk, figure="issue.total").exists()
    second.city.province = old_city.province
    second.city.save(update_fields=["province"])
    assert not AreaFigure.objects.filter(level="province", area_id=new_province.pk).exclude(value=0).exists()
    assert assert_rollups_equal_a_recount(generated) == 7
    # The moved district's contractors count in its city's scorecard.
    assert ContractorScore.objects.filter(level="city", area_id=second.city_id).exclude(issues=0).exists()


@pytest.mark.parametrize("level", ["district", "city", "province", "nation"])
def test_a_rolled_up_dashboard_costs_a_fixed_number_of_queries(generated, client, level):
    district = District.objects.order_by("pk").first()
    place = {"district": district, "city": district.city, "province": district.city.province}.get(level)
    client.force_login(generated)
    url = reverse("api:dashboard-nation") if level == "nation" else reverse("api:dashboard", args=[level, place.pk])

    def count():
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return len(queries)

    count()
    before = count()
    template = RectificationIssue.objects.filter(project__compound__community__subdistrict__district=district).first()
    for _ in range(3):  # more compounds, projects, contractors and issues: the same number of queries
        project = f.ProjectFactory(compound=f.CompoundFactory(community=template.project.compound.community))
        RectificationIssue.objects.create(
            inspection=template.inspection,
            project=project,
            contractor=f.CompanyFactory(),
            kind="road",
            description="新问题",
            location="2号楼",
            severity="major",
            tier=2,
            deadline=timezone.localdate() - timedelta(days=1),
        )
    count()
    assert count() == before <= {"district": 17, "city": 16, "province": 18, "nation": 15}[level]


# --- The governance row by day (dashboards/daily.py) ---

PERIODS = [
    (date(2024, 1, 1), date(2024, 12, 31)),
    (date(2023, 12, 31), date(2023, 12, 31)),
    (date(2024, 3, 1), date(2024, 6, 30)),  # the coverage's last day inside a year
    (date(2010, 1, 1), date(2030, 12, 31)),
    (date(2026, 1, 1), date(2026, 12, 31)),
]


def assert_governance_equals_a_recount():
    assert rollups.differences() == []
    for level, place in places():
        for since, until in PERIODS:
            rolled = figures.governance(level, place, since, until)
            assert rolled == figures.governance(level, place, since, until, live=True), (level, place.pk, since)


def local(*args):
    return timezone.make_aware(datetime(*args))


def shape_governance(user):
    """Records that the rollups by day must count as the live row does: a compound's committees elected twice in a
    period (once on the same day), records without a day, services introduced twice in one compound, overlapping
    and adjacent services (backdated), a service that ends before it starts, one without its contract's day
    (from the day it was recorded, local midnight), problems resolved at the ends of local days, spaces."""
    bare = Compound.objects.filter(property_services__isnull=True)
    a, b, c, d = bare.order_by("pk")[:4]
    far = bare.order_by("-pk").first()  # the other district
    assert far.community.subdistrict.district_id != a.community.subdistrict.district_id
    for compound, elected in ((a, date(2024, 2, 1)), (a, date(2024, 2, 1)), (a, date(2024, 9, 1)), (b, None)):
        communities.owners_body_elect(
            actor=user, compound=compound, kind="owners_committee", director_name="肖", established_on=elected
        )
    communities.owners_body_elect(
        actor=user, compound=c, kind="self_governance_group", director_name="王", established_on=date(2023, 12, 31)
    )
    communities.party_branch_set(
        actor=user, compound=d, name="党支部", secretary_name="李", established_on=date(2024, 1, 1)
    )
    for mode, starts in (("none", None), ("menu", date(2024, 2, 1)), ("self_managed", date(2024, 4, 1)),
                         ("shared", None), ("professional", date(2024, 12, 31))):  # fmt: skip
        company = f.CompanyFactory(kind="property") if mode == "professional" else None
        communities.property_service_change(
            actor=user, compound=a, mode=mode, company=company, contract_starts_on=starts
        )
    # Backdated and overlapping, adjacent, and a service ending before it starts, straight in the table.
    PropertyService.objects.bulk_create(
        [
            PropertyService(
                compound=b, mode="professional", contract_starts_on=date(2019, 1, 1), ended_on=date(2024, 5, 1)
            ),
            PropertyService(compound=b, mode="professional", contract_starts_on=date(2023, 1, 1)),
            PropertyService(compound=c, mode="menu", contract_starts_on=date(2022, 1, 1), ended_on=date(2024, 3, 1)),
            PropertyService(compound=c, mode="shared", contract_starts_on=date(2024, 3, 1)),
            PropertyService(compound=d, mode="menu", contract_starts_on=date(2024, 6, 1), ended_on=date(2024, 5, 1)),
            PropertyService(compound=far, mode="self_managed", contract_starts_on=None, ended_on=date(2024, 4, 1)),
            PropertyService(compound=far, mode="menu", contract_starts_on=None),
        ]
    )
    PropertyService.objects.filter(compound=far, contract_starts_on__isnull=True).update(
        created_at=local(2024, 1, 1, 0, 30)
    )
    Compound.objects.filter(pk=far.pk).update(property_service=PropertyService.objects.filter(compound=far).last())
    for compound, at in (
        (a, local(2024, 1, 1, 0, 0)),
        (b, local(2023, 12, 31, 23, 59, 59)),
        (far, local(2024, 6, 30, 23, 0)),
    ):
        ResidentProblem.objects.create(compound=compound, description="灯", status="resolved", resolved_at=at)
    record = AftercareRecord.objects.order_by("pk").first()
    for name, kind, area, opened in (("茶室", "community_room", "30.55", date(2024, 1, 1)),
                                     ("文化墙", "culture", "12", date(2024, 6, 30)),
                                     ("未开放", "community_room", "9", None)):  # fmt: skip
        Space.objects.create(record=record, name=name, kind=kind, area=Decimal(area), opened_on=opened, created_by=user)
    return a, b, c, d, far


def test_the_governance_row_equals_a_recount_for_any_period_and_place(generated):
    shape_governance(generated)
    assert PlaceDay.objects.filter(figure="gov.owners_committees.pair").exists()
    assert_governance_equals_a_recount()


def test_writes_to_the_governance_records_keep_the_row_equal_to_a_recount(generated):
    a, b, c, d, far = shape_governance(generated)
    # Many records changed by one statement, moved to another compound, deleted; modes and days changed in place.
    PartyBranch.objects.update(established_on=F("established_on") + timedelta(days=200))
    OwnersBody.objects.filter(compound=a).order_by("pk").first().delete()
    OwnersBody.objects.filter(compound=c).update(compound=a, kind="owners_committee", ended_on=date(2024, 10, 1))
    PropertyService.objects.filter(compound=b, ended_on__isnull=True).update(
        mode="menu", contract_starts_on=date(2024, 5, 1)
    )
    PropertyService.objects.filter(compound=c, mode="menu").update(ended_on=date(2024, 3, 5))  # overlapping now
    PropertyService.objects.filter(pk=a.property_service_id).update(mode="none")  # the current one, in place
    PropertyService.objects.filter(compound=d).delete()
    Compound.objects.filter(pk=c.pk).update(party_branch=None, owners_body=None)
    ResidentProblem.objects.filter(status="resolved").order_by("pk")[:1].get().delete()
    ResidentProblem.objects.filter(status="resolved", compound=b).update(
        resolved_at=F("resolved_at") + timedelta(seconds=1)
    )
    Space.objects.filter(kind="culture").update(kind="community_room", area=Decimal("7.25"))
    Space.objects.filter(opened_on__isnull=True).update(opened_on=date(2024, 3, 1))
    assert_governance_equals_a_recount()
    # Everything gone from one compound: its records and the pointers to them.
    Compound.objects.filter(pk=a.pk).update(party_branch=None, owners_body=None, property_service=None)
    for model in (PartyBranch, OwnersBody, PropertyService):
        model.objects.filter(compound=a).delete()
    assert_governance_equals_a_recount()


def test_a_governance_change_shows_on_the_next_dashboard_request(generated, client):
    district = District.objects.order_by("pk").first()
    client.force_login(generated)
    place = {"district": district, "city": district.city, "province": district.city.province}

    def seen():
        return {
            level: client.get(reverse("api:dashboard", args=[level, place[level].pk])).json()["governance"]
            for level in place
        }

    before = seen()
    compound = Compound.objects.filter(community__subdistrict__district=district, party_branch__isnull=True).first()
    communities.party_branch_set(
        actor=generated, compound=compound, name="新支部", secretary_name="李", established_on=timezone.localdate()
    )
    ResidentProblem.objects.create(compound=compound, description="灯", status="resolved", resolved_at=timezone.now())
    after = seen()
    for level in place:
        assert after[level]["party_branches"] == before[level]["party_branches"] + 1
        assert after[level]["with_party_branch"] == before[level]["with_party_branch"] + 1
        assert after[level]["problems_solved"] == before[level]["problems_solved"] + 1
