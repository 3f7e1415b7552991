"""Day one of a district through the API only, step by step as docs/onboarding.md shows it in curl (the test checks
that it made every call of the doc, in the doc's order, with the doc's bodies): from an empty database and
``create_district``, the district official invites a subdistrict official and a community secretary, each sets their
password from the invitation e-mail and logs in with a token, and between them they set up a subdistrict, a
community, a compound with buildings from an XLSX import, its governance bodies, a building lead and the contact
board, a task force with a hooked leader, an inspection group and a published checklist. Every POST carries an
Idempotency-Key and every PATCH an If-Match, as the mobile client guide asks. The compound's project comes the
district's way (declaration on a passed willingness vote → approval into the library → annual plan → project); only
the owners' vote itself, a consultation of its own, is stood in by the test."""

import io
import json
import re
import uuid
from pathlib import Path
from urllib.parse import urlencode

import pytest
from django.core import mail
from django.core.management import call_command
from django.test import Client
from openpyxl import Workbook
from rest_framework.test import APIClient

from communities.choices import PropertyMode, RoleKind
from communities.models import Building, Community, Company, Compound, District, Role, Subdistrict, TaskForce, User
from inspections.models import ChecklistTemplate, InspectionGroup
from projects.models import Project
from tests.factories import willingness_vote

# New sequences, as on a new server: the ids are those of docs/onboarding.md.
pytestmark = pytest.mark.django_db(transaction=True, reset_sequences=True)

PASSWORD = "Siming-renovation-2026"
PROPERTY_CREDIT_CODE = "91350203MA2XYW8K13"  # 统一社会信用代码 with a valid GB 32100 check character
HEADER = ["社区代码", "小区代码", "小区名称", "地址", "建成年份", "楼栋号", "层数", "户数"]
ROWS = [
    ["350203004001", "LH5C", "莲花五村", "思明区莲花路五村", 1986, "1号楼", 6, 36],
    ["350203004001", "LH5C", "莲花五村", "思明区莲花路五村", 1986, "2号楼", 6, 36],
    ["350203004001", "LH5C", "莲花五村", "思明区莲花路五村", 1986, "3号楼", 7, 42],
]


def xlsx(rows) -> io.BytesIO:
    """The subdistrict's survey sheet, as the import expects it: one row per building."""
    book = Workbook()
    sheet = book.active
    sheet.append(HEADER)
    for row in rows:
        sheet.append(row)
    data = io.BytesIO()
    book.save(data)
    data.seek(0)
    data.name = "lianhua.xlsx"
    return data


class Session:
    """One person's curl session: a token from POST /api/v1/auth/token/, an Idempotency-Key on every POST, the
    ETag of a GET sent back in If-Match on PATCH. Every call is written to ``log`` as (method, path, body), to be
    compared with the calls of docs/onboarding.md."""

    def __init__(self, username, password, log):
        self.client = APIClient()
        self.log = log
        self.post(
            "/api/v1/auth/token/",
            {"username": username, "password": password, "device_name": "办公电脑"},
            authenticate=False,
        )

    def get(self, url, **params):
        response = self.client.get(url, params)
        self.log.append(("GET", f"{url}?{urlencode(params)}" if params else url, None))
        assert response.status_code == 200, response.content
        return response

    def post(self, url, data=None, expect=201, authenticate=True, **kwargs):
        kwargs.setdefault("format", "json")
        response = self.client.post(url, data, HTTP_IDEMPOTENCY_KEY=str(uuid.uuid4()), **kwargs)
        if kwargs["format"] == "multipart":  # the form fields as curl -F sends them (text), without the file
            data = {key: str(value) for key, value in data.items() if key != "file"}
        self.log.append(("POST", url, data))
        assert response.status_code == expect, response.content
        if not authenticate:
            self.client.credentials(HTTP_AUTHORIZATION=f"Token {response.json()['token']}")
        return response.json()

    def patch(self, url, data, expect=200):
        etag = self.get(url).headers["ETag"]
        response = self.client.patch(url, data, format="json", HTTP_IF_MATCH=etag)
        self.log.append(("PATCH", url, data))
        assert response.status_code == expect, response.content
        return response.json()


DOC = Path(__file__).resolve().parents[2] / "docs" / "onboarding.md"


def doc_calls() -> list[tuple[str, str, object]]:
    """The API calls of docs/onboarding.md's curl sessions, in order, as (method, path, body)."""
    calls = []
    for block in re.findall(r"```sh\n(.*?)```", DOC.read_text(encoding="utf-8"), flags=re.S):
        code = "\n".join(line for line in block.splitlines() if not line.lstrip().startswith("#"))
        for command in re.split(r"(?=\bcurl )", code)[1:]:
            path = re.search(r"\$HOST(/api/v1/[^\s\"']*)", command).group(1)
            form = dict(re.findall(r"-F (\w+)=([^@\s]\S*)", command))
            data = re.search(r" -d '(\{.*?\})'", command, flags=re.S)  # a JSON body (not tr -d '\r')
            method = re.search(r"-X (\w+)", command)
            method = method.group(1) if method else ("POST" if data or form else "GET")
            body = json.loads(data.group(1)) if data else (form or None)
            calls.append((method, path, body))
    return calls


def assert_follows_the_doc(log) -> None:
    """Every call of the doc was made, in the doc's order and with the doc's body (the ids match: the sequences
    start at 1 as on a new server). The token logins' passwords are the doc's placeholders, so only their paths
    count."""
    calls = doc_calls()
    assert len(calls) >= 25, "the curl sessions of docs/onboarding.md were not found"
    made = iter(log)
    for method, path, body in calls:
        for call in made:
            if call[:2] == (method, path) and (path == "/api/v1/auth/token/" or call[2] == body):
                break
        else:
            raise AssertionError(f"docs/onboarding.md calls {method} {path} {body}, which the test does not (then)")


def set_password_from_invitation(email: str, password: str) -> None:
    """The invited person opens the one-time link of their e-mail and chooses a password (a web page)."""
    message = next(m for m in reversed(mail.outbox) if email in m.to)
    link = re.search(r"https?://\S+/account/set-password/\S+/", message.body).group(0)
    browser = Client()
    form = browser.get(link, follow=True)
    assert form.status_code == 200 and "new_password1" in form.content.decode()
    done = browser.post(form.redirect_chain[-1][0], {"new_password1": password, "new_password2": password})
    assert done.status_code == 302, done.context["form"].errors and done.headers["Location"] == "/login/"
    # The link works once.
    assert "new_password1" not in Client().get(link, follow=True).content.decode()


def test_a_district_sets_itself_up_through_the_api(tmp_path):
    assert not District.objects.exists() and not User.objects.exists()

    # 0. First start, on the server.
    secret = tmp_path / "password"
    secret.write_text(PASSWORD + "\n", encoding="utf-8")
    call_command(
        "create_district",
        code="350203",
        name="思明区",
        city="厦门市",
        province="福建省",
        official="siming.zhujian",
        email="zhujian@siming.example.cn",
        password_file=str(secret),
        stdout=io.StringIO(),
    )

    # 1. The district official logs in and finds their district.
    log = []
    official = Session("siming.zhujian", PASSWORD, log)
    me = official.get("/api/v1/me/").json()
    district_id = me["scope"]["district_ids"][0]
    assert me["roles"][0]["kind"] == RoleKind.DISTRICT_OFFICIAL

    # 2. The subdistrict and its community.
    subdistrict = official.post(
        "/api/v1/subdistricts/", {"district": district_id, "code": "350203004", "name": "嘉莲街道"}
    )
    community = official.post(
        "/api/v1/communities/",
        {
            "subdistrict": subdistrict["id"],
            "code": "350203004001",
            "name": "莲花五村社区",
            "party_secretary_name": "林秀珍",
        },
    )

    # 3. The property company (district officials keep the register of companies).
    company = official.post(
        "/api/v1/companies/",
        {
            "name": "厦门莲花物业服务有限公司",
            "kind": "property",
            "credit_code": PROPERTY_CREDIT_CODE,
            "contact_name": "黄经理",
            "contact_phone": "0592-5123456",
        },
    )
    bad_code = official.post(
        "/api/v1/companies/",
        {"name": "错码公司", "kind": "property", "credit_code": PROPERTY_CREDIT_CODE[:17] + "0"},
        expect=400,
    )
    assert bad_code["errors"][0]["attr"] == "credit_code"

    # 4. Invitations: a subdistrict official and the community's secretary.
    leader = official.post(
        "/api/v1/users/",
        {
            "username": "jialian.chen",
            "email": "chen@jialian.example.cn",
            "display_name": "陈志强",
            "phone": "13906001234",
            "role": {"kind": "subdistrict_official", "subdistrict": subdistrict["id"], "title": "街道党工委副书记"},
        },
    )
    secretary = official.post(
        "/api/v1/users/",
        {
            "username": "lianhua5.lin",
            "email": "lin@lianhua5.example.cn",
            "display_name": "林秀珍",
            "role": {"kind": "community_secretary", "community": community["id"], "title": "社区党委书记"},
        },
    )
    assert [r["kind"] for r in leader["roles"]] == ["subdistrict_official"]
    assert len(mail.outbox) == 2
    set_password_from_invitation("chen@jialian.example.cn", "Egret-Harbour-4821")
    set_password_from_invitation("lin@lianhua5.example.cn", "Lotus-Garden-7305")
    subdistrict_official = Session("jialian.chen", "Egret-Harbour-4821", log)
    community_secretary = Session("lianhua5.lin", "Lotus-Garden-7305", log)

    # 5. The subdistrict official imports the compound and its buildings: a wrong row first, which writes nothing.
    bad_rows = [*ROWS[:2], ["350203004999", "LH5C", "莲花五村", "思明区莲花路五村", 1986, "3号楼", "七", 42]]
    refused = subdistrict_official.post(
        "/api/v1/compounds/import/",
        {"subdistrict": subdistrict["id"], "file": xlsx(bad_rows), "dry_run": "false"},
        expect=400,
        format="multipart",
    )
    assert [e["code"] for e in refused["errors"]] == ["invalid_rows"]
    assert (
        refused["errors"][0]["detail"]
        == "第 4 行: 社区代码“350203004999”不是嘉莲街道的社区；层数“七”不是 1 到 200 之间的数字"
    )
    assert not Compound.objects.exists() and not Building.objects.exists()
    check = subdistrict_official.post(
        "/api/v1/compounds/import/",
        {"subdistrict": subdistrict["id"], "file": xlsx(ROWS)},
        expect=200,
        format="multipart",
    )
    assert (check["dry_run"], check["compounds_created"], check["buildings_created"]) == (True, 1, 3)
    assert not Compound.objects.exists()
    done = subdistrict_official.post(
        "/api/v1/compounds/import/",
        {"subdistrict": subdistrict["id"], "file": xlsx(ROWS), "dry_run": "false"},
        expect=200,
        format="multipart",
    )
    assert (done["committed"], done["compounds_created"], done["buildings_created"]) == (True, 1, 3)
    again = subdistrict_official.post(
        "/api/v1/compounds/import/",
        {"subdistrict": subdistrict["id"], "file": xlsx(ROWS), "dry_run": "false"},
        expect=200,
        format="multipart",
    )
    assert again["compounds_created"] + again["compounds_updated"] + again["buildings_created"] == 0
    compound = subdistrict_official.get("/api/v1/compounds/", code="LH5C").json()["results"][0]
    assert compound["community"] == community["id"]

    # 6. The secretary records the basic data and the "three carriages" of the compound.
    assert (compound["building_count"], compound["household_count"]) == (3, 114)  # counted from the sheet
    community_secretary.patch(f"/api/v1/compounds/{compound['id']}/", {"resident_count": 350, "floor_area": 6480.5})
    branch = community_secretary.post(
        "/api/v1/party-branches/",
        {
            "compound": compound["id"],
            "name": "莲花五村小区党支部",
            "secretary_name": "王建国",
            "secretary_phone": "13906005678",
            "member_count": 23,
            "established_on": "2026-11-30",
        },
    )
    community_secretary.post(
        "/api/v1/owners-bodies/",
        {
            "compound": compound["id"],
            "kind": "owners_committee",
            "director_name": "王建国",
            "member_count": 7,
            "established_on": "2026-11-30",
            "term_starts_on": "2026-12-01",
            "term_ends_on": "2031-11-30",
        },
    )
    property_companies = community_secretary.get("/api/v1/companies/", kind="property").json()["results"]
    assert [c["id"] for c in property_companies] == [company["id"]]
    community_secretary.post(
        "/api/v1/property-services/",
        {
            "compound": compound["id"],
            "mode": "professional",
            "company": company["id"],
            "contact_name": "黄经理",
            "contact_phone": "0592-5123456",
            "contract_starts_on": "2027-01-01",
            "contract_ends_on": "2029-12-31",
        },
    )
    shown = community_secretary.get(f"/api/v1/compounds/{compound['id']}/").json()
    assert shown["party_branch"]["secretary_name"] == "王建国"
    assert shown["owners_body"]["kind"] == "owners_committee"
    assert (shown["property_mode"], shown["property_service"]["company_name"]) == (
        PropertyMode.PROFESSIONAL,
        "厦门莲花物业服务有限公司",
    )
    assert (shown["resident_count"], shown["floor_area"], branch["is_current"]) == (350, "6480.50", True)

    # 6b. The building leads (楼栋长) and the contact board (亮牌) of each building: 1号楼's owners elected their
    # lead; the board publishes the service phones of the roles, never the lead's own phone.
    buildings = community_secretary.get("/api/v1/buildings/", compound=compound["id"]).json()["results"]
    first = next(b for b in buildings if b["number"] == "1号楼")
    lead = community_secretary.post(
        "/api/v1/building-leads/",
        {
            "building": first["id"],
            "name": "徐林",
            "chosen_by": "elected",
            "chosen_on": "2026-12-05",
            "phone": "13906007788",
            "service_phone": "0592-5120001",
            "term_starts_on": "2026-12-05",
            "term_ends_on": "2029-12-04",
            "candidates": [{"name": "徐林", "votes": 21}, {"name": "陈美华", "votes": 9}],
            "basis": "1号楼业主推选会",
        },
    )
    assert (lead["is_current"], lead["building_number"], lead["phone"]) == (True, "1号楼", "13906007788")
    for role, name, phone in (
        ("grid_worker", "李网格", "0592-5120002"),
        ("party_branch", "", "0592-5120003"),
        ("property_service", "", "0592-5123456"),
    ):
        community_secretary.post(
            "/api/v1/board-contacts/",
            {"compound": compound["id"], "building": None, "role": role, "name": name, "service_phone": phone},
        )
    board = community_secretary.get(f"/api/v1/buildings/{first['id']}/board/").json()
    lines = {line["role"]: (line["name"], line["phone"]) for line in board["lines"]}
    assert lines == {
        "building_lead": ("徐林", "0592-5120001"),
        "grid_worker": ("李网格", "0592-5120002"),
        "party_branch": (lines["party_branch"][0], "0592-5120003"),
        "owners_body": (lines["owners_body"][0], ""),
        "property_service": ("厦门莲花物业服务有限公司", "0592-5123456"),
    }
    assert "王建国" in lines["party_branch"][0] and "王建国" in lines["owners_body"][0]
    assert "13906007788" not in json.dumps(board, ensure_ascii=False)
    plates = Client().get(f"/public/compounds/{compound['code']}/plates/")  # the public print page, no login
    assert plates.status_code == 200
    printed = plates.content.decode()
    assert printed.count('data-testid="plate"') == 3
    assert "0592-5120001" in printed and "0592-5120002" in printed and "13906007788" not in printed

    # 7. The compound's task force, its project (7b) and the project's hooked leader.
    task_force = subdistrict_official.post(
        "/api/v1/task-forces/", {"level": "compound", "place": compound["id"], "name": "莲花五村改造专班"}
    )
    subdistrict_official.post(
        f"/api/v1/task-forces/{task_force['id']}/members/",
        {"user": leader["id"], "role": "组长", "working_group": "guarantee"},
        expect=200,
    )
    subdistrict_official.post(
        f"/api/v1/task-forces/{task_force['id']}/members/",
        {"user": secretary["id"], "role": "副组长", "working_group": "residents"},
        expect=200,
    )
    members = subdistrict_official.post(
        f"/api/v1/task-forces/{task_force['id']}/members/",
        {"name": "王建国", "role": "成员", "working_group": "publicity"},
        expect=200,
    )["members"]
    assert [m["display"] for m in members] == ["陈志强", "林秀珍", "王建国"]

    # 7b. The compound's project, the district's way: the owners voted for the renovation (a consultation of the
    # seven steps, not part of this set-up: the test stands the closed, passed vote in), the subdistrict official
    # declares the compound on that vote, the district official approves it into the library, puts it in the
    # annual plan and opens the project from the plan item.
    vote = willingness_vote(Compound.objects.get(pk=compound["id"]), User.objects.get(username="lianhua5.lin"))
    shown_vote = subdistrict_official.get(f"/api/v1/votes/{vote.pk}/").json()
    assert (shown_vote["matter_type"], shown_vote["status"], shown_vote["result"]) == (
        "renovation_willingness",
        "closed",
        "passed",
    )
    declaration = subdistrict_official.post(
        "/api/v1/declarations/",
        {
            "compound": compound["id"],
            "vote": vote.pk,
            "needs_summary": "雨污混流、外墙渗水、停车难",
            "buildings_affected": 3,
            "households_affected": 114,
            "residents_affected": 350,
            "items": [
                {"work_class": "basic", "category": "pipe_rain_sewage", "description": "雨污分流",
                 "quantity": "1.20", "estimated_cost": "1200000.00"},
                {"work_class": "improvement", "category": "parking", "description": "电动车棚",
                 "quantity": "80", "estimated_cost": "300000.00"},
            ],
            "funding": [
                {"source": "district_funds", "amount": "1200000.00"},
                {"source": "residents", "amount": "300000.00"},
            ],
        },
    )  # fmt: skip
    submitted = subdistrict_official.post(f"/api/v1/declarations/{declaration['id']}/submit/", expect=200)
    assert submitted["status"] == "submitted"
    approved = official.post(f"/api/v1/declarations/{declaration['id']}/approve/", {"reason": "同意入库"}, expect=200)
    assert approved["status"] == "approved"
    plan = official.post("/api/v1/annual-plans/", {"district": district_id, "year": 2027})
    item = official.post(
        f"/api/v1/annual-plans/{plan['id']}/items/",
        {"declaration": declaration["id"], "batch": plan["batches"][0]["id"]},
    )
    opened = official.post("/api/v1/projects/", {"plan_item": item["id"], "name": "莲花五村老旧小区改造"})
    assert (opened["compound"], opened["batch"]) == (compound["id"], 2027)
    project = Project.objects.get(pk=opened["id"])
    assert project.plan_item.declaration_id == declaration["id"]
    hooked = subdistrict_official.post(f"/api/v1/projects/{project.pk}/liaisons/", {"user": leader["id"]}, expect=200)
    assert hooked["liaisons"] == [leader["id"]]
    assert hooked["masses_coordinator"] == "王建国"  # the party branch's secretary

    # 8. The district official sets up the inspections: a tier-2 group with an inspector, a published checklist.
    inspector = official.post(
        "/api/v1/users/",
        {
            "username": "siming.inspector1",
            "email": "inspector1@siming.example.cn",
            "display_name": "郑工",
            "role": {"kind": "inspector", "district": district_id, "tier": 2},
        },
    )
    group = official.post(
        "/api/v1/inspection-groups/", {"name": "区住建局第一巡检组", "tier": 2, "district": district_id}
    )
    group = official.post(f"/api/v1/inspection-groups/{group['id']}/members/", {"user": inspector["id"]}, expect=200)
    assert group["members"] == [inspector["id"]]
    checklist = official.post(
        "/api/v1/checklists/",
        {
            "name": "区级巡检表",
            "tier": 2,
            "district": district_id,
            "items": [
                {"code": "safety-1", "text": "施工围挡连续、稳固", "guideline_ref": "导则 5.2.1"},
                {"code": "fire-1", "text": "消防通道畅通", "guideline_ref": "导则 6.1.3"},
            ],
        },
    )
    published = official.post(f"/api/v1/checklists/{checklist['id']}/publish/", expect=200)
    assert (published["status"], published["version"], len(published["items"])) == ("published", 1, 2)

    # The day's result, in the database.
    assert Subdistrict.objects.get().name == "嘉莲街道"
    assert Community.objects.get().subdistrict.code == "350203004"
    stored = Compound.objects.select_related("party_branch", "owners_body", "property_service__company").get()
    assert sorted(stored.buildings.values_list("number", flat=True)) == ["1号楼", "2号楼", "3号楼"]
    assert stored.property_service.company == Company.objects.get(credit_code=PROPERTY_CREDIT_CODE)
    assert set(Role.objects.values_list("user__username", "kind")) == {
        ("siming.zhujian", RoleKind.DISTRICT_OFFICIAL),
        ("jialian.chen", RoleKind.SUBDISTRICT_OFFICIAL),
        ("lianhua5.lin", RoleKind.COMMUNITY_SECRETARY),
        ("siming.inspector1", RoleKind.INSPECTOR),
    }
    assert TaskForce.objects.get().members.count() == 3
    assert list(Project.objects.get().liaisons.values_list("username", flat=True)) == ["jialian.chen"]
    assert InspectionGroup.objects.get().members.get().username == "siming.inspector1"
    assert ChecklistTemplate.objects.get().status == "published"

    # Scope: the secretary adds no subdistrict and no compound; the subdistrict official grants no district role.
    community_secretary.post(
        "/api/v1/subdistricts/", {"district": district_id, "code": "350203005", "name": "莲前街道"}, expect=403
    )
    subdistrict_official.post(
        "/api/v1/users/",
        {"username": "x", "email": "x@example.cn", "role": {"kind": "district_official", "district": district_id}},
        expect=403,
    )
    assert Subdistrict.objects.count() == 1 and not User.objects.filter(username="x").exists()

    # The doc shows these calls, in this order.
    assert_follows_the_doc(log)
