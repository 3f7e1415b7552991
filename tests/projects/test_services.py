"""The lifecycle: every transition and guard, allowed and refused, by role and scope; plans and the six-party
confirmation; scope roll-ups; dig once; edit conflicts; progress reports."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from communities.models import User
from projects import hooks, selectors, services
from projects.choices import Party, ProjectStatus
from projects.models import PlanConfirmation, ProgressPhoto, ProgressReport, Project, ProjectEvent, ScopeItem
from renovation_portal.errors import ConflictError, DomainError
from tests import factories as f
from tests.projects.conftest import confirm_all, set_status, staff

pytestmark = pytest.mark.django_db

S = ProjectStatus
# transition → (status it starts from, status it leads to, roles allowed on their own project)
TRANSITION_MATRIX = {
    "start_survey": (S.PLANNING, S.SURVEY_DESIGN, {"district_official", "subdistrict_official", "contractor"}),
    "submit_plan": (S.SURVEY_DESIGN, S.PLAN_CONFIRMATION, {"district_official", "subdistrict_official", "contractor"}),
    "start_construction": (
        S.PLAN_CONFIRMATION,
        S.CONSTRUCTION,
        {"district_official", "subdistrict_official", "contractor"},
    ),
    "request_acceptance": (
        S.CONSTRUCTION,
        S.COMPLETION_ACCEPTANCE,
        {"district_official", "subdistrict_official", "contractor"},
    ),
    "accept_completion": (S.COMPLETION_ACCEPTANCE, S.HANDED_OVER, {"district_official"}),
    "reject_acceptance": (S.COMPLETION_ACCEPTANCE, S.CONSTRUCTION, {"district_official"}),
    "suspend": (S.CONSTRUCTION, S.SUSPENDED, {"district_official", "subdistrict_official"}),
    "resume": (S.SUSPENDED, S.CONSTRUCTION, {"district_official", "subdistrict_official"}),
}
ROLES = ["district_official", "subdistrict_official", "community_secretary", "contractor", "inspector", "outsider"]


def _ready_for(name, project, actor):
    """Bring the project to the transition's start state with its preconditions met."""
    source = TRANSITION_MATRIX[name][0]
    set_status(project, source)
    if name in ("submit_plan", "start_construction"):
        plan = f.PlanVersionFactory(project=project, number=1)
        if name == "start_construction":
            confirm_all(plan, actor)
            staff(project, actor)
    if name in ("request_acceptance", "accept_completion"):
        Project.objects.filter(pk=project.pk).update(progress_percent=100)
    if name == "resume":
        Project.objects.filter(pk=project.pk).update(status_before_suspension=S.CONSTRUCTION)
    project.refresh_from_db()


@pytest.mark.parametrize("name", TRANSITION_MATRIX)
@pytest.mark.parametrize("role", ROLES)
def test_transition_permission_matrix(name, role, project, actors):
    source, target, allowed = TRANSITION_MATRIX[name]
    _ready_for(name, project, actors["district_official"])
    service = services.TRANSITION_SERVICES[name]
    if role in allowed:
        moved = service(actor=actors[role], project=project, note="原因")
        assert moved.status == target
        event = ProjectEvent.objects.filter(project=project).latest("id")
        assert (event.from_status, event.to_status, event.actor, event.note) == (source, target, actors[role], "原因")
    else:
        with pytest.raises(PermissionDenied):
            service(actor=actors[role], project=project, note="原因")
        project.refresh_from_db()
        assert project.status == source


@pytest.mark.parametrize("name", ["start_survey", "suspend", "accept_completion"])
def test_officials_and_contractors_of_another_place_or_company_are_refused(name, foreign_project, actors):
    _ready_for(name, foreign_project, actors["district_official"])
    for role in ("subdistrict_official", "contractor", "community_secretary"):
        with pytest.raises(PermissionDenied):
            services.TRANSITION_SERVICES[name](actor=actors[role], project=foreign_project, note="x")


def test_transition_from_the_wrong_state_is_refused(project, actors):
    with pytest.raises(DomainError) as refused:
        services.project_start_construction(actor=actors["district_official"], project=project)
    assert refused.value.code == "invalid_transition"
    assert not ProjectEvent.objects.filter(project=project).exists()


def test_plan_must_exist_before_submission(project, actors):
    set_status(project, S.SURVEY_DESIGN)
    with pytest.raises(DomainError) as refused:
        services.project_submit_plan(actor=actors["contractor"], project=project)
    assert refused.value.code == "no_plan"


def test_construction_waits_for_all_six_parties_of_the_current_plan(project, actors):
    set_status(project, S.PLAN_CONFIRMATION)
    staff(project, actors["subdistrict_official"])
    plan = services.plan_version_create(actor=actors["contractor"], project=project, summary="方案一")
    for party in Party.values[:5]:
        PlanConfirmation.objects.create(plan_version=plan, party=party, confirmed_by=actors["district_official"])
    with pytest.raises(DomainError) as refused:
        services.project_start_construction(actor=actors["contractor"], project=project)
    assert refused.value.code == "confirmations_missing"
    assert "居民代表" in str(refused.value.message)
    PlanConfirmation.objects.create(
        plan_version=plan, party=Party.values[5], confirmed_by=actors["community_secretary"]
    )
    moved = services.project_start_construction(actor=actors["contractor"], project=project)
    assert moved.status == S.CONSTRUCTION and moved.actual_start == timezone.localdate()


def test_a_new_plan_version_voids_earlier_confirmations(project, confirmed_plan, actors):
    services.plan_version_create(actor=actors["contractor"], project=project, summary="方案二", changes="加装电梯")
    assert services.missing_confirmations(project) == list(Party.values)
    with pytest.raises(DomainError):
        services.project_start_construction(actor=actors["contractor"], project=project)
    with pytest.raises(DomainError) as superseded:
        services.plan_confirm(actor=actors["contractor"], plan_version=confirmed_plan, party=Party.CONTRACTOR)
    assert superseded.value.code == "plan_superseded"


@pytest.mark.parametrize(
    "role,party,allowed",
    [
        ("contractor", Party.CONTRACTOR, True),
        ("contractor", Party.RESIDENTS, False),
        ("community_secretary", Party.RESIDENTS, True),
        ("community_secretary", Party.DESIGNER, False),
        ("subdistrict_official", Party.SUBDISTRICT_COMMUNITY, True),
        ("subdistrict_official", Party.SUPERVISOR, False),
        ("district_official", Party.CONSTRUCTION_OWNER, True),
        ("inspector", Party.SUPERVISOR, False),
    ],
)
def test_who_records_which_party(role, party, allowed, project, actors):
    plan = f.PlanVersionFactory(project=project, number=1)
    if allowed:
        services.plan_confirm(actor=actors[role], plan_version=plan, party=party)
        assert plan.confirmations.filter(party=party, confirmed_by=actors[role]).exists()
    else:
        with pytest.raises(PermissionDenied):
            services.plan_confirm(actor=actors[role], plan_version=plan, party=party)


def test_a_party_confirms_a_version_once(project, actors):
    plan = f.PlanVersionFactory(project=project, number=1)
    services.plan_confirm(actor=actors["contractor"], plan_version=plan, party=Party.CONTRACTOR)
    with pytest.raises(DomainError) as again:
        services.plan_confirm(actor=actors["contractor"], plan_version=plan, party=Party.CONTRACTOR)
    assert again.value.code == "already_confirmed"


def test_acceptance_needs_the_works_finished(project, actors):
    set_status(project, S.CONSTRUCTION)
    Project.objects.filter(pk=project.pk).update(progress_percent=95)
    with pytest.raises(DomainError) as refused:
        services.project_request_acceptance(actor=actors["contractor"], project=project)
    assert refused.value.code == "not_finished"


def test_completion_blocker_refuses_acceptance(project, actors):
    set_status(project, S.COMPLETION_ACCEPTANCE)

    def open_serious_issues(p):
        return ["2 个严重整改问题未销号"] if p.pk == project.pk else []

    hooks.register_completion_blocker(open_serious_issues)
    try:
        with pytest.raises(DomainError) as refused:
            services.project_accept_completion(actor=actors["district_official"], project=project)
        assert refused.value.code == "completion_blocked" and "严重整改问题" in refused.value.message
        project.refresh_from_db()
        assert project.status == S.COMPLETION_ACCEPTANCE
    finally:
        hooks._completion_blockers.remove(open_serious_issues)
    accepted = services.project_accept_completion(actor=actors["district_official"], project=project)
    assert accepted.status == S.HANDED_OVER and accepted.actual_finish == timezone.localdate()


def test_suspension_needs_a_reason_and_resume_returns_to_the_previous_state(project, actors):
    set_status(project, S.SURVEY_DESIGN)
    with pytest.raises(DomainError) as refused:
        services.project_suspend(actor=actors["subdistrict_official"], project=project, note="  ")
    assert refused.value.code == "note_required"
    services.project_suspend(actor=actors["subdistrict_official"], project=project, note="居民意见分歧")
    resumed = services.project_resume(actor=actors["subdistrict_official"], project=project)
    assert resumed.status == S.SURVEY_DESIGN


def test_edit_with_a_stale_version_is_a_conflict_and_changes_nothing(project, actors):
    official = actors["district_official"]
    loaded = project.version
    services.project_update(actor=official, project=project, expected_version=loaded, name="第一人的修改")
    with pytest.raises(ConflictError):
        services.project_update(actor=official, project=project, expected_version=loaded, name="第二人的修改")
    project.refresh_from_db()
    assert project.name == "第一人的修改"


def test_contractor_cannot_edit_basic_data(project, actors):
    with pytest.raises(PermissionDenied):
        services.project_update(actor=actors["contractor"], project=project, budget=Decimal(1))


def test_scope_totals_roll_up_per_level_in_one_query(tree, actors):
    a = Project.objects.get(compound=tree["compound_a"])
    b = Project.objects.get(compound=tree["compound_b"])
    f.ScopeItemFactory(project=a, category="road", planned_quantity=100, completed_quantity=40)
    f.ScopeItemFactory(project=a, category="road", planned_quantity=50, completed_quantity=50)
    f.ScopeItemFactory(project=b, category="road", planned_quantity=30, completed_quantity=0)
    f.ScopeItemFactory(project=b, category="elevator", planned_quantity=2, completed_quantity=1)
    official = User.objects.get(pk=actors["district_official"].pk)
    selectors.scope_totals(official, "district").count()  # the roles query is made once per request
    with CaptureQueriesContext(connection) as queries:
        by_sub = {
            (r["node"], r["item_category"]): (r["planned"], r["completed"])
            for r in selectors.scope_totals(official, "subdistrict")
        }
    assert len(queries.captured_queries) == 1
    assert by_sub == {
        (tree["sub_a"].pk, "road"): (150, 90),
        (tree["sub_b"].pk, "road"): (30, 0),
        (tree["sub_b"].pk, "elevator"): (2, 1),
    }
    district = {(r["node"], r["item_category"]): r["planned"] for r in selectors.scope_totals(official, "district")}
    assert district == {(tree["district"].pk, "road"): 180, (tree["district"].pk, "elevator"): 2}
    # a subdistrict official's roll-up holds only their subtree
    mine = selectors.scope_totals(actors["subdistrict_official"], "subdistrict")
    assert {r["node"] for r in mine} == {tree["sub_a"].pk}


def test_dig_once_names_pipeline_works_whose_windows_do_not_overlap(project):
    start = date(2026, 3, 1)
    water = f.ScopeItemFactory(
        project=project,
        category="pipe_water",
        name="供水管",
        excavation_start=start,
        excavation_end=start + timedelta(days=30),
    )
    f.ScopeItemFactory(
        project=project,
        category="pipe_gas",
        name="燃气管",
        excavation_start=start + timedelta(days=20),
        excavation_end=start + timedelta(days=40),
    )
    assert selectors.dig_once_conflicts(project.scope_items.all()) == []
    sewage = f.ScopeItemFactory(
        project=project,
        category="pipe_rain_sewage",
        name="雨污管",
        excavation_start=start + timedelta(days=60),
        excavation_end=start + timedelta(days=80),
    )
    f.ScopeItemFactory(
        project=project,
        category="road",
        name="道路",
        excavation_start=start + timedelta(days=200),
        excavation_end=start + timedelta(days=210),
    )  # not a pipeline: never named
    conflicts = selectors.dig_once_conflicts(project.scope_items.order_by("id"))
    assert {(c.first.name, c.second.name) for c in conflicts} == {("供水管", "雨污管"), ("燃气管", "雨污管")}
    assert water.is_pipeline and sewage.is_pipeline


def _in_construction(project, items=1):
    set_status(project, S.CONSTRUCTION)
    return [f.ScopeItemFactory(project=project, planned_quantity=100) for _ in range(items)]


def test_report_feeds_completed_quantities_and_progress(project, actors):
    road, lights = _in_construction(project, 2)
    report = services.progress_report_file(
        actor=actors["contractor"],
        project=project,
        report_date=timezone.localdate(),
        work_done="铺设沥青",
        percent_complete=35,
        manpower=18,
        weather="多云",
        quantities={road.pk: Decimal("12.5")},
        photos=[services.PhotoUpload(file=f.photo_file(), latitude=Decimal("24.47"), longitude=Decimal("118.1"))],
    )
    road.refresh_from_db()
    lights.refresh_from_db()
    project.refresh_from_db()
    assert (road.completed_quantity, lights.completed_quantity, project.progress_percent) == (Decimal("12.5"), 0, 35)
    photo = report.photos.get()
    assert photo.thumbnail and photo.latitude == Decimal("24.47")
    assert not photo.image.name.endswith("site.jpg")  # stored under a random name


def _refused_report(project, actors, upload):
    with pytest.raises(DomainError) as refused:
        services.progress_report_file(
            actor=actors["contractor"],
            project=project,
            report_date=timezone.localdate(),
            work_done="x",
            percent_complete=10,
            photos=[services.PhotoUpload(file=upload)],
        )
    assert not ProgressReport.objects.exists() and not ProgressPhoto.objects.exists()
    project.refresh_from_db()
    assert project.progress_percent == 0
    return refused.value


def test_a_file_that_is_not_an_image_files_nothing(project, actors):
    from django.core.files.uploadedfile import SimpleUploadedFile

    _in_construction(project)
    error = _refused_report(project, actors, SimpleUploadedFile("evil.jpg", b"<html>x</html>", "image/jpeg"))
    assert error.code == "photo_invalid" and error.field == "photos"


def test_a_gif_is_refused_by_type(project, actors):
    _in_construction(project)
    import io

    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (8, 8)).save(buffer, format="GIF")
    error = _refused_report(project, actors, SimpleUploadedFile("a.gif", buffer.getvalue(), "image/gif"))
    assert error.code == "photo_type"


def test_a_photo_over_the_size_limit_files_nothing(project, actors, monkeypatch):
    import renovation_portal.uploads as uploads

    _in_construction(project)
    monkeypatch.setattr(uploads, "MAX_PHOTO_BYTES", 10)  # rather than build a 10 MB file
    assert _refused_report(project, actors, f.photo_file()).code == "photo_too_large"


def test_report_is_refused_outside_construction_for_others_and_for_bad_values(project, foreign_project, actors):
    with pytest.raises(DomainError):
        services.progress_report_file(
            actor=actors["contractor"],
            project=project,
            report_date=timezone.localdate(),
            work_done="x",
            percent_complete=10,
        )
    (item,) = _in_construction(project)
    for role in ("district_official", "community_secretary", "inspector"):
        with pytest.raises(PermissionDenied):
            services.progress_report_file(
                actor=actors[role],
                project=project,
                report_date=timezone.localdate(),
                work_done="x",
                percent_complete=10,
            )
    foreign_item = f.ScopeItemFactory(project=foreign_project)
    with pytest.raises(DomainError) as foreign:
        services.progress_report_file(
            actor=actors["contractor"],
            project=project,
            report_date=timezone.localdate(),
            work_done="x",
            percent_complete=10,
            quantities={foreign_item.pk: 1},
        )
    assert foreign.value.code == "foreign_item"
    with pytest.raises(DomainError) as future:
        services.progress_report_file(
            actor=actors["contractor"],
            project=project,
            report_date=timezone.localdate() + timedelta(days=1),
            work_done="x",
            percent_complete=10,
        )
    assert future.value.code == "future_date"
    assert not ProgressReport.objects.exists()
    item.refresh_from_db()
    assert item.completed_quantity == 0


def test_contractor_home_lists_what_needs_action(project, confirmed_plan, actors):
    items = dict(
        (p.pk, needs) for p, needs in selectors.contractor_action_items(actors["contractor"], [project.contractor_id])
    )
    assert items == {project.pk: []}  # the contractor party confirmed, nothing due
    PlanConfirmation.objects.filter(party=Party.CONTRACTOR).delete()
    set_status(project, S.PLAN_CONFIRMATION)
    needs = dict(selectors.contractor_action_items(actors["contractor"], [project.contractor_id]))[project]
    assert [str(n) for n in needs] == ["为施工单位确认当前方案"]
    set_status(project, S.CONSTRUCTION)
    needs = dict(selectors.contractor_action_items(actors["contractor"], [project.contractor_id]))[project]
    assert [str(n) for n in needs] == ["填报进度"]


def test_scope_item_update_refuses_unknown_fields(project, actors):
    item = f.ScopeItemFactory(project=project)
    with pytest.raises(DomainError):
        services.scope_item_update(actor=actors["contractor"], scope_item=item, completed_quantity=5)
    assert ScopeItem.objects.get(pk=item.pk).completed_quantity == 0
