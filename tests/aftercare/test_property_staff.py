"""Property service staff (物业服务人员, the property-staff role bound to a property service company): they reach the
compounds whose aftercare names their company, patrol them, rectify the patrols' findings assigned to their company,
find both on their today page and are told of them — and nothing of another company's compounds, the EPC projects or
their issues. An EPC contractor has no patrol pages and no 巡查 entry in the menu."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import timezone

from aftercare import services
from aftercare.models import AftercareRecord, Patrol
from communities.choices import RoleKind
from communities.scoping import get_scope
from inspections import services as inspection_services
from inspections import sweeps
from inspections.choices import NotificationKind
from inspections.models import ChecklistTemplate, Inspection, RectificationIssue
from notifications.models import Notification
from tests import factories as f
from tests.aftercare.conftest import hand_over
from tests.aftercare.test_patrols import _inputs as patrol_inputs

pytestmark = pytest.mark.django_db


@pytest.fixture
def other_record(tree, actors):
    """Compound b after handover, served by another property company."""
    company = f.CompanyFactory(name="远邻物业", kind="property")
    f.PropertyServiceFactory(compound=tree["compound_b"], mode="professional", company=company)
    hand_over(tree["compound_b"].projects.get(), actors["district_official"])
    return AftercareRecord.objects.get(compound=tree["compound_b"])


@pytest.fixture
def people(tree, actors, record, other_record):
    return {
        **actors,
        "property_staff": f.user_with_role(RoleKind.PROPERTY_STAFF, company=record.property_service.company),
        "other_property_staff": f.user_with_role(
            RoleKind.PROPERTY_STAFF, company=other_record.property_service.company
        ),
    }


@pytest.fixture
def environment(tree, actors):
    standards = inspection_services.checklist_seed_aftercare_standards(
        actor=actors["district_official"], district=tree["district"]
    )
    return next(t for t in standards if t.name.endswith("环境卫生标准"))


def _file(record, template, actor, fails):
    """Every item answered; ``fails``: item code → (responsible, warranty category)."""
    results, findings = patrol_inputs(template, fails)
    return services.patrol_file(actor=actor, record=record, template=template, results=results, findings=findings)


FAILS = {"env-waste": ("property", ""), "env-drains": ("contractor", "pipes")}


@pytest.fixture
def world(tree, people, record, other_record, environment):
    """A patrol of each compound (a finding for its property company and a warranty defect for its contractor) and an
    inspection's issue of compound a's EPC project."""
    own = _file(record, environment, people["community_secretary"], FAILS)
    other = _file(other_record, environment, people["other_property_staff"], FAILS)
    project = tree["compound_a"].projects.get()
    inspection = Inspection.objects.create(
        project=project,
        tier=2,
        template=ChecklistTemplate.objects.create(name="区级检查表", tier=2),
        status="filed",
        planned_date=timezone.localdate(),
    )
    epc_issue = RectificationIssue.objects.create(
        inspection=inspection,
        project=project,
        contractor=project.contractor,
        kind="road",
        description="施工道路裂缝",
        location="1号楼",
        severity="minor",
        tier=2,
        deadline=timezone.localdate() + timedelta(days=5),
    )
    return {
        "patrol": own,
        "property_issue": own.findings.get(responsible="property").issue,
        "warranty_issue": own.findings.get(responsible="contractor").issue,
        "other_patrol": other,
        "other_property_issue": other.findings.get(responsible="property").issue,
        "epc_issue": epc_issue,
        "project": project,
    }


# --- what property staff reach: (target, allowed) for the web page and the API ---

MATRIX = [
    ("patrol", True),
    ("property_issue", True),
    ("other_patrol", False),
    ("other_property_issue", False),
    ("warranty_issue", False),
    ("epc_issue", False),
    ("project", False),
]


def _urls(target, obj):
    if target.endswith("patrol"):
        return reverse("aftercare:patrol-detail", args=[obj.pk]), f"/api/v1/aftercare/patrols/{obj.pk}/"
    if target == "project":
        return reverse("projects:project-detail", args=[obj.pk]), f"/api/v1/projects/{obj.pk}/"
    return reverse("inspections:issue-detail", args=[obj.pk]), f"/api/v1/issues/{obj.pk}/"


@pytest.mark.parametrize("target, allowed", MATRIX)
def test_property_staff_matrix(people, world, client, api_as, target, allowed):
    web, api = _urls(target, world[target])
    client.force_login(people["property_staff"])
    assert client.get(web).status_code == (200 if allowed else 404)
    assert api_as(people["property_staff"]).get(api).status_code == (200 if allowed else 404)


def test_property_staff_lists_hold_their_companys_patrols_and_findings_only(people, world, api_as):
    api = api_as(people["property_staff"])
    assert {row["id"] for row in api.get("/api/v1/issues/").json()["results"]} == {world["property_issue"].pk}
    assert {row["id"] for row in api.get("/api/v1/aftercare/patrols/").json()["results"]} == {world["patrol"].pk}
    assert api.get("/api/v1/projects/").json()["results"] == []


def test_property_staff_reach_their_compounds_read_only(tree, people, world, api_as, client):
    scope = get_scope(people["property_staff"])
    assert scope.property_company_ids == scope.company_ids
    api = api_as(people["property_staff"])
    assert api.get(f"/api/v1/compounds/{tree['compound_a'].pk}/").status_code == 200
    assert api.get(f"/api/v1/compounds/{tree['compound_b'].pk}/").status_code == 404
    client.force_login(people["property_staff"])
    assert client.get(reverse("aftercare:record-detail", args=[world["patrol"].record_id])).status_code == 404


def test_property_staff_patrol_their_compounds_only(people, record, other_record, environment, client):
    assert _file(record, environment, people["property_staff"], {}).patrolled_by == people["property_staff"]
    with pytest.raises(PermissionDenied):
        _file(other_record, environment, people["property_staff"], {})
    client.force_login(people["property_staff"])
    assert client.get(reverse("aftercare:patrol-new", args=[other_record.pk])).status_code == 404
    assert client.get(reverse("aftercare:patrol-new", args=[record.pk])).status_code == 200
    assert Patrol.objects.filter(patrolled_by=people["property_staff"]).count() == 1


def test_only_the_companys_staff_rectify_its_finding(people, world):
    issue = world["property_issue"]
    for outsider in ("other_property_staff", "contractor"):
        with pytest.raises(PermissionDenied):
            inspection_services.issue_submit_rectification(
                actor=people[outsider], issue=issue, note="x", photos=[f.photo_file()]
            )
    with pytest.raises(PermissionDenied):
        inspection_services.issue_submit_rectification(
            actor=people["property_staff"], issue=world["epc_issue"], note="x", photos=[f.photo_file()]
        )
    inspection_services.issue_submit_rectification(
        actor=people["property_staff"], issue=issue, note="已清运", photos=[f.photo_file()]
    )
    issue.refresh_from_db()
    assert issue.status == "submitted"


def test_a_contractor_role_on_a_property_company_acts_for_it_no_more(tree, people, record, world, api_as):
    """The rights come with the role, not the company: a contractor-kind role left on a property company (what the
    migration converts) neither patrols nor rectifies nor sees the company's findings."""
    legacy = f.user_with_role(RoleKind.CONTRACTOR, company=record.property_service.company)
    api = api_as(legacy)
    assert api.get(f"/api/v1/issues/{world['property_issue'].pk}/").status_code == 404
    assert api.get(f"/api/v1/aftercare/patrols/{world['patrol'].pk}/").status_code == 404
    assert not services.perms.can_patrol(legacy, record)


# --- the menu and the patrol pages ---


def _nav_urls(client, user):
    client.force_login(user)
    return {item["url"] for item in client.get("/").context["nav_items"]}


def test_the_menu_shows_patrols_to_those_who_patrol_and_not_to_an_epc_contractor(people, world, client):
    patrols = reverse("aftercare:patrol-home")
    assert patrols in _nav_urls(client, people["property_staff"])
    assert reverse("inspections:issue-list") in _nav_urls(client, people["property_staff"])
    assert reverse("projects:project-list") not in _nav_urls(client, people["property_staff"])
    assert patrols in _nav_urls(client, people["community_secretary"])
    contractor_nav = _nav_urls(client, people["contractor"])
    assert patrols not in contractor_nav and reverse("projects:project-list") in contractor_nav


def test_an_epc_contractor_is_refused_the_patrol_pages(people, world, record, client):
    client.force_login(people["contractor"])
    assert client.get(reverse("aftercare:patrol-home")).status_code == 403
    assert client.get(reverse("aftercare:patrol-new", args=[record.pk])).status_code == 404
    assert client.get(reverse("aftercare:patrol-detail", args=[world["patrol"].pk])).status_code == 404
    # Its warranty defect stays on the issue pages.
    assert client.get(reverse("inspections:issue-detail", args=[world["warranty_issue"].pk])).status_code == 200
    client.force_login(people["property_staff"])
    page = client.get(reverse("aftercare:patrol-home"))
    assert page.status_code == 200 and [r.pk for r in page.context["records"]] == [record.pk]


# --- the today page and the notifications ---


def _sections(client, user):
    client.force_login(user)
    return {s["key"]: s for s in client.get("/api/v1/today/").json()["sections"]}


def test_property_staff_find_their_findings_and_the_patrols_due_on_their_today_page(
    people, world, record, environment, client
):
    sections = _sections(client, people["property_staff"])
    assert [item["title"] for item in sections["issues_to_rectify"]["items"]] == [
        world["property_issue"].description[:60]
    ]
    due = sections["patrols_due"]
    assert due["count"] == 1 and due["items"][0]["title"] == record.compound.name
    assert due["items"][0]["url"] == reverse("aftercare:patrol-new", args=[record.pk])
    # The community's patrol this month is not the company's: still due until the company's staff patrol.
    _file(record, environment, people["community_secretary"], {})
    assert "patrols_due" in _sections(client, people["property_staff"])
    _file(record, environment, people["property_staff"], {})
    assert "patrols_due" not in _sections(client, people["property_staff"])
    # An EPC contractor's home has its warranty defect and no patrol of anyone's.
    contractor = _sections(client, people["contractor"])
    assert "patrols_due" not in contractor
    titles = {item["title"] for item in contractor["issues_to_rectify"]["items"]}
    assert world["warranty_issue"].description[:60] in titles
    assert world["property_issue"].description[:60] not in titles


def test_property_staffs_home_is_a_fixed_number_of_queries(
    tree, people, record, environment, client, django_assert_max_num_queries
):
    client.force_login(people["property_staff"])
    client.get("/api/v1/today/")
    with django_assert_max_num_queries(40) as few:
        client.get("/api/v1/today/")
    company = record.property_service.company
    for n in range(3):
        compound = f.CompoundFactory(community=tree["comm_a"], name=f"小区{n}")
        f.PropertyServiceFactory(compound=compound, mode="professional", company=company)
        hand_over(f.ProjectFactory(compound=compound, contractor=tree["company_a"]), people["district_official"])
        _file(AftercareRecord.objects.get(compound=compound), environment, people["community_secretary"], FAILS)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get("/api/v1/today/")
    keys = {s["key"]: s["count"] for s in response.json()["sections"]}
    assert keys["patrols_due"] == 4 and keys["issues_to_rectify"] == 3


def test_the_company_s_staff_are_told_of_its_findings_and_reminded(people, record, environment):
    legacy = f.user_with_role(RoleKind.CONTRACTOR, company=record.property_service.company)
    patrol = _file(record, environment, people["community_secretary"], FAILS)
    issue = patrol.findings.get(responsible="property").issue

    def told(user, kind):
        return Notification.objects.filter(recipient=user, kind=kind, subject_key=f"issue:{issue.pk}").count()

    assert told(people["property_staff"], NotificationKind.ISSUE_ASSIGNED) == 1
    assert told(people["other_property_staff"], NotificationKind.ISSUE_ASSIGNED) == 0
    assert told(legacy, NotificationKind.ISSUE_ASSIGNED) == 0
    RectificationIssue.objects.filter(pk=issue.pk).update(deadline=timezone.localdate() + timedelta(days=1))
    sweeps.remind_contractors()
    assert told(people["property_staff"], NotificationKind.ISSUE_DUE) == 1
    assert told(legacy, NotificationKind.ISSUE_DUE) == 0
    assert told(people["contractor"], NotificationKind.ISSUE_DUE) == 0
