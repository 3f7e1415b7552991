"""Patrols of the aftercare standards (环境、安全、秩序): the standards as checklists of kind "aftercare", a patrol filed
by the community or the property service, its findings as rectification issues for the property service or the
community — or, a warranty defect within its warranty, for the contractor — with the same evidence → verify / send
back → close flow, notifications once, reminders, the contractor's scorecard, and the refusal of a warranty defect
out of its warranty. Web and API, with the scope matrix."""

import re
from datetime import timedelta

import pytest
import time_machine
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from aftercare import services
from aftercare.models import Patrol, PatrolFinding, PatrolResult
from communities.choices import RoleKind
from inspections import services as inspection_services
from inspections import sweeps
from inspections.choices import IssueStatus, NotificationKind
from inspections.models import ChecklistTemplate, RectificationIssue
from inspections.services import ChecklistError
from notifications.models import Notification
from tests import factories as f

pytestmark = pytest.mark.django_db
ROLES = [
    "community_secretary",
    "community_staff",
    "property_user",
    "subdistrict_official",
    "district_official",
    "contractor",
    "other_contractor",
    "other_secretary",
    "outsider",
]


@pytest.fixture
def people(tree, actors, record):
    property_company = record.property_service.company
    return {
        **actors,
        "community_staff": f.user_with_role(RoleKind.INSPECTOR, community=tree["comm_a"], tier=1),
        "property_user": f.user_with_role(RoleKind.PROPERTY_STAFF, company=property_company),
        "other_contractor": f.user_with_role(RoleKind.CONTRACTOR, company=tree["company_b"]),
        "other_secretary": f.user_with_role(RoleKind.COMMUNITY_SECRETARY, community=tree["comm_b"]),
    }


@pytest.fixture
def standards(tree, actors):
    return inspection_services.checklist_seed_aftercare_standards(
        actor=actors["district_official"], district=tree["district"]
    )


@pytest.fixture
def environment(standards):
    return next(t for t in standards if t.name.endswith("环境卫生标准"))


def _inputs(template, fails: dict):
    """Every item answered; ``fails``: item code → (responsible, warranty category)."""
    items = list(template.items.all())
    results = [services.ResultInput(item=i, outcome="fail" if i.code in fails else "pass") for i in items]
    findings = [
        services.PatrolFindingInput(
            item=i,
            description=f"{i.text}：不合格",
            location="3号楼",
            severity="minor",
            responsible=fails[i.code][0],
            warranty_category=fails[i.code][1],
        )
        for i in items
        if i.code in fails
    ]
    return results, findings


def _file(record, template, actor, fails):
    results, findings = _inputs(template, fails)
    return services.patrol_file(actor=actor, record=record, template=template, results=results, findings=findings)


FAILS = {"env-waste": ("property", ""), "env-drains": ("contractor", "pipes")}


def _kinds(user, kind):
    return Notification.objects.filter(recipient=user, kind=kind).count()


# --- the standards in the checklist builder ---


def test_seeded_standards_are_published_aftercare_checklists_of_the_district(tree, actors, standards):
    assert sorted(t.name for t in standards) == ["思明区安全管理标准", "思明区环境卫生标准", "思明区秩序维护标准"]
    assert {(t.kind, t.status, t.tier, t.district_id) for t in standards} == {
        ("aftercare", "published", 1, tree["district"].pk)
    }
    again = inspection_services.checklist_seed_aftercare_standards(
        actor=actors["district_official"], district=tree["district"]
    )
    assert [t.pk for t in again] == [t.pk for t in standards] and ChecklistTemplate.objects.count() == 3
    with pytest.raises(PermissionDenied):
        inspection_services.checklist_seed_aftercare_standards(
            actor=actors["community_secretary"], district=tree["district"]
        )


def test_an_inspection_never_uses_an_aftercare_standard(tree, standards):
    with pytest.raises(Exception) as refused:
        inspection_services.current_template(1, tree["district"].pk)
    assert getattr(refused.value, "code", "") == "no_checklist"


def test_the_builder_makes_an_aftercare_standard_on_the_web_and_the_api(tree, actors, client, api_as):
    client.force_login(actors["district_official"])
    response = client.post(
        "/inspections/setup/checklists/new/",
        {
            "name": "楼道安全标准",
            "kind": "aftercare",
            "tier": "2",
            "district": tree["district"].pk,
            "items-TOTAL_FORMS": "1",
            "items-INITIAL_FORMS": "0",
            "items-0-text": "楼道无堆物",
            "items-0-kind": "pass_fail",
        },
    )
    assert response.status_code == 302
    made = ChecklistTemplate.objects.get(name="楼道安全标准")
    assert (made.kind, made.tier) == ("aftercare", 1)  # a standard is patrolled like a site patrol
    page = client.get("/inspections/setup/checklists/?kind=aftercare").content.decode()
    assert "楼道安全标准" in page and 'data-testid="seed-aftercare"' in page
    api = api_as(actors["district_official"])
    created = api.post(
        "/api/v1/checklists/",
        {
            "name": "绿化标准",
            "kind": "aftercare",
            "tier": 1,
            "district": tree["district"].pk,
            "items": [{"text": "无毁绿"}],
        },
        format="json",
    )
    assert created.status_code == 201 and created.json()["kind"] == "aftercare"
    listed = api.get("/api/v1/checklists/", {"kind": "aftercare"}).json()["results"]
    assert {row["name"] for row in listed} == {"楼道安全标准", "绿化标准"}
    seeded = api.post("/api/v1/checklists/seed-aftercare/", {"district": tree["district"].pk}, format="json")
    assert seeded.status_code == 200 and len(seeded.json()) == 3
    body = {"district": tree["district"].pk}
    refused = api_as(actors["inspector"]).post("/api/v1/checklists/seed-aftercare/", body, format="json")
    assert refused.status_code == 403  # sees the district, does not set it up
    hidden = api_as(actors["community_secretary"]).post("/api/v1/checklists/seed-aftercare/", body, format="json")
    assert hidden.status_code == 404


def test_seeding_from_the_checklist_page(tree, actors, client):
    client.force_login(actors["district_official"])
    response = client.post("/inspections/setup/checklists/seed-aftercare/", {"district": tree["district"].pk})
    assert response.status_code == 302 and ChecklistTemplate.objects.filter(kind="aftercare").count() == 3


# --- filing ---


def test_a_patrol_files_a_finding_for_the_property_service_and_a_warranty_defect_for_the_contractor(
    tree, people, record, environment
):
    secretary = people["community_secretary"]
    patrol = _file(record, environment, secretary, FAILS)
    today = timezone.localdate()
    assert PatrolResult.objects.filter(patrol=patrol).count() == environment.items.count()
    by_code = {finding.issue.item.code: finding for finding in PatrolFinding.objects.filter(patrol=patrol)}
    waste, drains = by_code["env-waste"].issue, by_code["env-drains"].issue
    assert (waste.origin, waste.property_company_id, waste.contractor_id, waste.community_id) == (
        "patrol",
        record.property_service.company_id,
        None,
        None,
    )
    assert waste.deadline == today + timedelta(days=14) and waste.inspection_id is None and waste.found_by == secretary
    assert (drains.contractor_id, drains.warranty_category, drains.property_company_id) == (
        tree["company_a"].pk,
        "pipes",
        None,
    )
    assert drains.deadline == today + timedelta(days=30)  # a warranty repair's own deadline
    assert by_code["env-drains"].warranty.category == "pipes"
    # Each is told once: the property service of its finding, the contractor of its warranty defect.
    assert _kinds(people["property_user"], NotificationKind.ISSUE_ASSIGNED) == 1
    assert _kinds(people["contractor"], NotificationKind.ISSUE_ASSIGNED) == 1
    assert _kinds(people["other_contractor"], NotificationKind.ISSUE_ASSIGNED) == 0
    assert _kinds(secretary, NotificationKind.ISSUE_ASSIGNED) == 0


def test_a_finding_for_the_community_is_rectified_by_its_staff_and_verified_by_the_subdistrict(
    tree, people, record, environment
):
    patrol = _file(record, environment, people["property_user"], {"env-walls": ("community", "")})
    issue = patrol.findings.get().issue
    assert issue.community_id == tree["comm_a"].pk
    assert _kinds(people["community_secretary"], NotificationKind.ISSUE_ASSIGNED) == 1
    assert _kinds(people["community_staff"], NotificationKind.ISSUE_ASSIGNED) == 1
    inspection_services.issue_submit_rectification(
        actor=people["community_secretary"], issue=issue, note="已清除", photos=[f.photo_file()]
    )
    assert not inspection_services.can_verify(people["community_secretary"], issue)  # never its own
    with pytest.raises(PermissionDenied):
        inspection_services.issue_verify(actor=people["community_staff"], issue=issue)
    assert _kinds(people["subdistrict_official"], NotificationKind.EVIDENCE_SUBMITTED) == 1
    inspection_services.issue_verify(actor=people["subdistrict_official"], issue=issue)
    issue.refresh_from_db()
    assert issue.status == IssueStatus.CLOSED


def test_the_property_service_rectifies_the_community_sends_back_then_closes(tree, people, record, environment):
    secretary, property_user = people["community_secretary"], people["property_user"]
    issue = _file(record, environment, secretary, FAILS).findings.get(responsible="property").issue
    with pytest.raises(PermissionDenied):
        inspection_services.issue_submit_rectification(
            actor=people["contractor"], issue=issue, note="x", photos=[f.photo_file()]
        )
    inspection_services.issue_submit_rectification(
        actor=property_user, issue=issue, note="已清运", photos=[f.photo_file()]
    )
    assert _kinds(secretary, NotificationKind.EVIDENCE_SUBMITTED) == 1
    assert not inspection_services.can_verify(property_user, issue)
    inspection_services.issue_send_back(actor=secretary, issue=issue, note="东侧仍有堆放")
    assert _kinds(property_user, NotificationKind.ISSUE_SENT_BACK) == 1
    inspection_services.issue_submit_rectification(
        actor=property_user, issue=issue, note="全部清运", photos=[f.photo_file()]
    )
    inspection_services.issue_verify(actor=people["community_staff"], issue=issue)
    assert _kinds(property_user, NotificationKind.ISSUE_CLOSED) == 1
    assert _kinds(secretary, NotificationKind.EVIDENCE_SUBMITTED) == 2  # once per submission


def test_a_warranty_defect_after_its_warranty_ended_is_refused_and_nothing_is_written(
    tree, people, record, environment
):
    ended = record.warranties.get(category="pipes").ends_on
    with time_machine.travel(ended + timedelta(days=1)):
        with pytest.raises(ChecklistError) as refused:
            _file(record, environment, people["community_secretary"], FAILS)
    assert refused.value.code == "warranty_expired"
    assert "保修" in refused.value.message or "warranty" in refused.value.message
    assert str(ended) in refused.value.message
    drains = environment.items.get(code="env-drains")
    assert set(refused.value.item_errors) == {drains.pk}
    assert not Patrol.objects.exists() and not RectificationIssue.objects.exists()
    assert not Notification.objects.exists()
    # The same day, filed for the property service instead, it goes through.
    with time_machine.travel(ended + timedelta(days=1)):
        patrol = _file(record, environment, people["community_secretary"], {"env-drains": ("property", "")})
    assert patrol.findings.get().issue.contractor_id is None


def test_a_warranty_defect_of_a_category_without_warranty_is_refused(tree, people, record, environment):
    record.warranties.filter(category="pipes").delete()
    with pytest.raises(ChecklistError) as refused:
        _file(record, environment, people["community_secretary"], FAILS)
    assert refused.value.code == "no_warranty" and not RectificationIssue.objects.exists()


def test_a_finding_needs_whom_it_is_for_and_every_item_an_answer(tree, people, record, environment):
    with pytest.raises(ChecklistError) as refused:
        _file(record, environment, people["community_secretary"], {"env-waste": ("", "")})
    assert refused.value.code == "no_assignee"
    results, findings = _inputs(environment, {})
    with pytest.raises(ChecklistError) as incomplete:
        services.patrol_file(
            actor=people["community_secretary"], record=record, template=environment, results=results[1:], findings=[]
        )
    assert incomplete.value.code == "incomplete_checklist" and not Patrol.objects.exists()


def test_an_inspection_checklist_is_not_a_standard(tree, people, record, environment):
    inspection_list = ChecklistTemplate.objects.create(name="施工巡查", tier=1, status="published")
    with pytest.raises(Exception) as refused:
        services.patrol_file(
            actor=people["community_secretary"], record=record, template=inspection_list, results=[], findings=[]
        )
    assert getattr(refused.value, "code", "") == "not_a_standard"


@pytest.mark.parametrize(
    "role, may",
    [
        ("community_secretary", True),
        ("community_staff", True),
        ("property_user", True),
        ("subdistrict_official", False),
        ("district_official", False),
        ("contractor", False),
        ("other_secretary", False),
        ("outsider", False),
    ],
)
def test_who_may_patrol(tree, people, record, environment, role, may):
    if may:
        assert _file(record, environment, people[role], {}).pk
    else:
        with pytest.raises(PermissionDenied):
            _file(record, environment, people[role], {})


# --- who sees what ---


@pytest.mark.parametrize("role", ROLES)
def test_issue_and_patrol_scope_matrix(tree, people, record, environment, api_as, role):
    patrol = _file(record, environment, people["community_secretary"], FAILS)
    property_issue = patrol.findings.get(responsible="property").issue
    warranty_issue = patrol.findings.get(responsible="contractor").issue
    sees = {
        # role: (patrol, property issue, warranty issue)
        "community_secretary": (True, True, True),
        "community_staff": (True, True, True),
        "property_user": (True, True, False),
        "subdistrict_official": (True, True, True),
        "district_official": (True, True, True),
        "contractor": (False, False, True),
        "other_contractor": (False, False, False),
        "other_secretary": (False, False, False),
        "outsider": (False, False, False),
    }[role]
    api = api_as(people[role])
    assert (api.get(f"/api/v1/aftercare/patrols/{patrol.pk}/").status_code == 200) == sees[0]
    assert (api.get(f"/api/v1/issues/{property_issue.pk}/").status_code == 200) == sees[1]
    assert (api.get(f"/api/v1/issues/{warranty_issue.pk}/").status_code == 200) == sees[2]
    listed = {row["id"] for row in api.get("/api/v1/issues/").json()["results"]}
    assert listed == {pk for pk, seen in ((property_issue.pk, sees[1]), (warranty_issue.pk, sees[2])) if seen}
    patrols = {row["id"] for row in api.get("/api/v1/aftercare/patrols/").json()["results"]}
    assert patrols == ({patrol.pk} if sees[0] else set())


def test_the_contractor_finds_its_warranty_defect_on_its_today_page_and_not_the_property_services(
    tree, people, record, environment, client
):
    patrol = _file(record, environment, people["community_secretary"], FAILS)
    warranty_issue = patrol.findings.get(responsible="contractor").issue
    client.force_login(people["contractor"])
    home = client.get("/").content.decode()
    assert warranty_issue.description in home
    assert patrol.findings.get(responsible="property").issue.description not in home
    page = client.get("/inspections/issues/?warranty_defect=true").content.decode()
    assert warranty_issue.description in page and 'data-testid="issue-assignee"' not in page
    detail = client.get(f"/inspections/issues/{warranty_issue.pk}/").content.decode()
    assert 'data-testid="issue-assignee"' in detail and 'data-testid="rectify-form"' in detail
    client.force_login(people["property_user"])
    home = client.get("/").content.decode()
    assert patrol.findings.get(responsible="property").issue.description in home


# --- reminders and escalation ---


def test_reminders_reach_whoever_answers_once_a_day(tree, people, record, environment):
    patrol = _file(record, environment, people["community_secretary"], {**FAILS, "env-walls": ("community", "")})
    RectificationIssue.objects.filter(pk__in=patrol.findings.values("issue")).update(
        deadline=timezone.localdate() + timedelta(days=1)
    )
    first = sweeps.remind_contractors()
    assert sweeps.remind_contractors() == 0  # claimed once per issue, person and day
    assert first >= 4
    for role in ("property_user", "contractor", "community_secretary", "community_staff"):
        assert _kinds(people[role], NotificationKind.ISSUE_DUE) == 1, role
    assert _kinds(people["other_contractor"], NotificationKind.ISSUE_DUE) == 0


def test_a_patrols_overdue_finding_does_not_escalate_to_the_inspection_tiers(tree, people, record, environment):
    patrol = _file(record, environment, people["community_secretary"], FAILS)
    RectificationIssue.objects.filter(pk__in=patrol.findings.values("issue")).update(
        deadline=timezone.localdate() - timedelta(days=10)
    )
    assert sweeps.escalate_overdue() == 0
    assert sweeps.remind_contractors() >= 2  # but overdue reminders go out
    assert _kinds(people["property_user"], NotificationKind.ISSUE_OVERDUE) == 1


# --- the contractor's scorecard ---


def test_warranty_defects_count_on_the_contractors_scorecard(tree, people, record, environment):
    from dashboards.figures import build

    patrol = _file(record, environment, people["community_secretary"], FAILS)
    issue = patrol.findings.get(responsible="contractor").issue
    inspection_services.issue_submit_rectification(
        actor=people["contractor"], issue=issue, note="疏通", photos=[f.photo_file()]
    )
    inspection_services.issue_verify(actor=people["community_secretary"], issue=issue)
    board = build("district", tree["district"], user=people["district_official"], show_rounds=True, live=True)
    card = next(c for c in board.contractors if c["id"] == tree["company_a"].pk)
    assert (card["warranty_defects"], card["warranty_on_time"]) == (1, 1)
    other = next((c for c in board.contractors if c["id"] == tree["company_b"].pk), {"warranty_defects": 0})
    assert other["warranty_defects"] == 0
    assert all(c["id"] != record.property_service.company_id for c in board.contractors)


# --- the web pages ---


def _post_form(template, fails: dict, **extra):
    """The patrol form as the phone posts it: each item answered, each failed one with its finding."""
    data = {"standard": template.pk, "summary": "月度巡查", **extra}
    for item in template.items.all():
        data[f"outcome_{item.pk}"] = "fail" if item.code in fails else "pass"
        if item.code in fails:
            data[f"finding_{item.pk}"] = f"{item.text}：不合格"
            data[f"location_{item.pk}"] = "5号楼"
            data[f"severity_{item.pk}"] = "major"
            data[f"responsible_{item.pk}"] = fails[item.code][0]
            data[f"category_{item.pk}"] = fails[item.code][1]
    return data


def test_the_web_patrol_files_findings_and_shows_them(tree, people, record, environment, client):
    client.force_login(people["community_secretary"])
    home = client.get("/aftercare/patrols/").content.decode()
    assert record.compound.name in home
    choose = client.get(f"/aftercare/patrols/new/{record.pk}/").content.decode()
    assert "思明区环境卫生标准" in choose and 'data-testid="patrol-form"' not in choose
    form = client.get(f"/aftercare/patrols/new/{record.pk}/?standard={environment.pk}").content.decode()
    assert 'data-testid="patrol-form"' in form and 'data-testid="responsible-env-waste"' in form
    photo = f.photo_file()
    data = _post_form(environment, FAILS)
    data[f"photos_{environment.items.get(code='env-waste').pk}"] = photo
    response = client.post(f"/aftercare/patrols/new/{record.pk}/", data)
    patrol = Patrol.objects.get()
    assert response.status_code == 302 and response.url == f"/aftercare/patrols/{patrol.pk}/"
    assert patrol.findings.get(responsible="property").issue.photos.count() == 1
    detail = client.get(response.url).content.decode()
    assert len(re.findall(r'href="/inspections/issues/\d+/"', detail)) == 2


def test_the_web_form_refuses_an_expired_warranty_defect_and_keeps_the_answers(
    tree, people, record, environment, client
):
    ended = record.warranties.get(category="pipes").ends_on
    with time_machine.travel(ended + timedelta(days=3)):
        client.force_login(people["community_secretary"])
        response = client.post(f"/aftercare/patrols/new/{record.pk}/", _post_form(environment, FAILS))
    page = response.content.decode()
    assert response.status_code == 200 and 'data-testid="form-error"' in page
    assert str(ended) in page and 'data-testid="invalid-items"' in page
    assert 'value="contractor" selected' in page  # the answers stay
    assert not Patrol.objects.exists() and not RectificationIssue.objects.exists()


@pytest.mark.parametrize("role", ["subdistrict_official", "contractor", "other_secretary", "outsider"])
def test_the_web_patrol_form_is_hidden_from_those_who_do_not_patrol(tree, people, record, environment, client, role):
    client.force_login(people[role])
    assert client.get(f"/aftercare/patrols/new/{record.pk}/?standard={environment.pk}").status_code == 404
    assert client.post(f"/aftercare/patrols/new/{record.pk}/", _post_form(environment, {})).status_code == 404
    assert not Patrol.objects.exists()


def test_the_patrol_list_query_count_does_not_grow(
    tree, people, record, environment, client, django_assert_max_num_queries
):
    client.force_login(people["community_secretary"])
    _file(record, environment, people["community_secretary"], FAILS)
    client.get("/aftercare/patrols/")
    with django_assert_max_num_queries(14) as few:
        assert client.get("/aftercare/patrols/").status_code == 200
    for _n in range(4):
        _file(record, environment, people["community_secretary"], FAILS)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get("/aftercare/patrols/").status_code == 200


# --- the API ---


def _api_body(record, template, fails):
    results, findings = [], []
    for item in template.items.all():
        results.append({"item": item.pk, "outcome": "fail" if item.code in fails else "pass"})
        if item.code in fails:
            findings.append(
                {
                    "item": item.pk,
                    "description": "不合格",
                    "location": "5号楼",
                    "severity": "minor",
                    "responsible": fails[item.code][0],
                    "warranty_category": fails[item.code][1],
                }
            )
    return {"record": record.pk, "standard": template.pk, "results": results, "findings": findings}


def test_the_api_files_a_patrol_and_refuses_an_expired_warranty_defect(tree, people, record, environment, api_as):
    api = api_as(people["property_user"])
    standards = api.get("/api/v1/aftercare/patrols/standards/", {"record": record.pk})
    assert standards.status_code == 200 and len(standards.json()) == 3
    ended = record.warranties.get(category="pipes").ends_on
    with time_machine.travel(ended + timedelta(days=1)):
        refused = api.post("/api/v1/aftercare/patrols/", _api_body(record, environment, FAILS), format="json")
    assert refused.status_code == 400 and refused.json()["errors"][0]["code"] == "warranty_expired"
    assert str(ended) in refused.json()["errors"][0]["detail"]
    assert not Patrol.objects.exists() and not RectificationIssue.objects.exists()
    created = api.post("/api/v1/aftercare/patrols/", _api_body(record, environment, FAILS), format="json")
    assert created.status_code == 201
    body = created.json()
    assert {f["responsible"] for f in body["findings"]} == {"property", "contractor"}
    warranty = next(f for f in body["findings"] if f["responsible"] == "contractor")
    assert warranty["contractor"] == tree["company_a"].pk and warranty["warranty_category"] == "pipes"
    issue = api.get(f"/api/v1/issues/{next(f for f in body['findings'] if f['responsible'] == 'property')['issue']}/")
    assert issue.json()["origin"] == "patrol" and issue.json()["property_company"] == record.property_service.company_id


@pytest.mark.parametrize(
    "role, status",
    [
        ("community_secretary", 201),
        ("community_staff", 201),
        ("property_user", 201),
        ("subdistrict_official", 404),
        ("district_official", 404),
        ("contractor", 404),
        ("other_secretary", 404),
        ("outsider", 404),
    ],
)
def test_api_filing_matrix(tree, people, record, environment, api_as, role, status):
    response = api_as(people[role]).post(
        "/api/v1/aftercare/patrols/", _api_body(record, environment, FAILS), format="json"
    )
    assert response.status_code == status
    assert Patrol.objects.count() == (1 if status == 201 else 0)


@pytest.mark.parametrize(
    "change, code",
    [
        ({"standard": 0}, "not_a_standard"),
        ({"results": []}, "incomplete_checklist"),
        (
            {
                "findings": [
                    {"item": 1, "description": "x", "location": "y", "severity": "minor", "responsible": "nobody"}
                ]
            },
            "invalid_item",
        ),
    ],
)
def test_api_bad_input_is_a_400_and_writes_nothing(tree, people, record, environment, api_as, change, code):
    body = {**_api_body(record, environment, {}), **change}
    response = api_as(people["community_secretary"]).post("/api/v1/aftercare/patrols/", body, format="json")
    assert response.status_code == 400 and code in {error["code"] for error in response.json()["errors"]}
    assert not Patrol.objects.exists()


def test_the_api_patrol_list_query_count_does_not_grow(
    tree, people, record, environment, api_as, django_assert_max_num_queries
):
    api = api_as(people["district_official"])
    _file(record, environment, people["community_secretary"], FAILS)
    api.get("/api/v1/aftercare/patrols/")
    with django_assert_max_num_queries(12) as few:
        assert api.get("/api/v1/aftercare/patrols/").status_code == 200
    for _n in range(4):
        _file(record, environment, people["community_secretary"], FAILS)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert len(api.get("/api/v1/aftercare/patrols/").json()["results"]) == 5


def test_the_community_finds_its_own_findings_and_the_evidence_to_verify_on_its_today_page(
    tree, people, record, environment, client
):
    patrol = _file(record, environment, people["community_secretary"], {**FAILS, "env-walls": ("community", "")})
    own = patrol.findings.get(responsible="community").issue
    for_property = patrol.findings.get(responsible="property").issue
    inspection_services.issue_submit_rectification(
        actor=people["property_user"], issue=for_property, note="已清运", photos=[f.photo_file()]
    )
    client.force_login(people["community_staff"])
    response = client.get("/api/v1/today/")
    section = next(s for s in response.json()["sections"] if s["key"] == "patrol_findings")
    assert {item["title"] for item in section["items"]} == {own.description[:60], for_property.description[:60]}
    client.force_login(people["other_secretary"])
    keys = {s["key"] for s in client.get("/api/v1/today/").json()["sections"]}
    assert "patrol_findings" not in keys
