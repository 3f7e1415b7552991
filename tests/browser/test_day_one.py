"""Day one of a real district in the browser (issue 16): from an empty database and ``create_district`` alone, the
district official, a subdistrict official and a community secretary — both invited in the test, each setting their
password from the invitation e-mail — set up a subdistrict, a community, a compound with buildings from an XLSX
import (a wrong row first: nothing written, the row's error shown), its party branch, owners' committee and
property service, the building lead and contact board of a building (checked on the public plates), a task force
with a hooked leader, an inspection group and a published checklist. The district
official first makes two-factor login mandatory for officials, so both officials set up an authenticator app (the
test computes its codes from the key the set-up page shows). Only pages a user reaches from the navigation and the
links on them; never /admin/ and never a shell.

The compound's project is the one step not done in the browser: the test opens it with
``projects.services.project_create``. The district's way to a project (a passed willingness vote → declaration →
approval into the library → annual plan → project) runs through the API in tests/communities/test_day_one_api.py and
on the web in tests/browser/test_planning.py; walking it here would add a consultation and six more pages to an
already long test."""

import io
import re
import time
from base64 import b32decode

import pytest
from django.core import mail
from django.core.management import call_command
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice
from openpyxl import Workbook

from communities.choices import PropertyMode, RoleKind
from communities.models import (
    BoardContact,
    Building,
    BuildingLead,
    Community,
    Company,
    Compound,
    District,
    Role,
    Subdistrict,
    TaskForce,
    User,
)
from inspections.models import ChecklistTemplate, InspectionGroup
from projects.models import Project

OFFICIAL_PASSWORD = "Siming-renovation-2026"
ADD = re.compile("^(添加|增加)$")  # "Add" is worded per app
HEADER = ["社区代码", "小区代码", "小区名称", "地址", "建成年份", "楼栋号", "层数", "户数"]
ROWS = [
    ["350203004001", "LH5C", "莲花五村", "思明区莲花路五村", 1986, "1号楼", 6, 36],
    ["350203004001", "LH5C", "莲花五村", "思明区莲花路五村", 1986, "2号楼", 6, 36],
    ["350203004001", "LH5C", "莲花五村", "思明区莲花路五村", 1986, "3号楼", 7, 42],
]
# Row 4 of the file: a community code of no community of 嘉莲街道, and floors that are no number.
BAD_ROWS = [*ROWS[:2], ["350203004999", "LH5C", "莲花五村", "思明区莲花路五村", 1986, "3号楼", "七", 42]]


def write_xlsx(path, rows):
    book = Workbook()
    sheet = book.active
    sheet.append(HEADER)
    for row in rows:
        sheet.append(row)
    book.save(path)
    return str(path)


@pytest.fixture
def empty_district(transactional_db, tmp_path):
    """An empty database, then the one command a server administrator runs."""
    assert not District.objects.exists() and not User.objects.exists() and not Compound.objects.exists()
    secret = tmp_path / "password"
    secret.write_text(OFFICIAL_PASSWORD + "\n", encoding="utf-8")
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
    return District.objects.get(code="350203")


def nav(page, label):
    """Follow an entry of the navigation bar (collapsed behind the menu button on a phone)."""
    toggler = page.locator(".navbar-toggler")
    if toggler.is_visible():
        toggler.click()
        page.locator("#portal-nav.show").wait_for()  # the menu has finished opening
    with page.expect_navigation():
        page.locator("#portal-nav").get_by_role("link", name=label, exact=True).click()


# The key of each user's authenticator app, as the set-up page shows it ("enter this key by hand").
AUTHENTICATOR_KEYS: dict[str, bytes] = {}


def authenticator_code(username) -> str:
    """The code the user's authenticator app shows now; never one already used (django-otp refuses a replay, and
    two logins may fall in the same 30-second step, so the next step's code is taken, as a slow typist's is)."""
    key = AUTHENTICATOR_KEYS[username]
    device = TOTPDevice.objects.filter(user__username=username).order_by("-confirmed", "-id").first()
    now = (int(time.time()) - device.t0) // device.step
    ahead = max(0, device.last_t + 1 - now - device.drift)
    if ahead > device.tolerance:
        time.sleep(device.step - time.time() % device.step + 0.1)
        return authenticator_code(username)
    return str(totp(key, step=device.step, t0=device.t0, digits=device.digits, drift=device.drift + ahead)).zfill(
        device.digits
    )


def pass_second_factor(page, username):
    """Two-factor login where the portal asks for it: set up the authenticator app (scan the key) or enter its
    code."""
    if "/account/2fa/setup/" in page.url:
        secret = page.get_by_test_id("totp-secret").inner_text()
        AUTHENTICATOR_KEYS[username] = b32decode(secret + "=" * (-len(secret) % 8))
    elif "/account/2fa/verify/" not in page.url:
        return
    page.fill("#id_token", authenticator_code(username))
    page.locator("main form button[type=submit]").last.click()
    page.wait_for_load_state()


def sign_in(page, username, password):
    page.context.clear_cookies()
    page.goto("/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("button[type=submit]")
    page.wait_for_load_state()
    pass_second_factor(page, username)
    page.wait_for_url("**/")
    assert page.locator("h1").inner_text().startswith("今日待办")  # the home page: the day's to-do list


def save(page, label="保存"):
    page.locator("main form, form").get_by_role("button", name=label, exact=True).first.click()
    page.wait_for_load_state()


def invite(page, *, username, name, email, kind, place_field, place_label, extra=None):
    nav(page, "人员与角色")
    page.get_by_test_id("invite-user").click()
    page.fill("#id_username", username)
    page.fill("#id_display_name", name)
    page.fill("#id_email", email)
    page.select_option("#id_kind", kind)
    page.select_option(f"#id_{place_field}", label=place_label)
    for selector, value in (extra or {}).items():
        page.select_option(selector, value)
    page.get_by_test_id("invite-form").get_by_role("button", name="邀请").click()
    page.wait_for_url("**/places/people/*/")
    assert name in page.locator("main").inner_text()


def accept_invitation(page, email, password):
    """Open the one-time link of the invitation e-mail and choose a password."""
    message = next(m for m in reversed(mail.outbox) if email in m.to)
    link = re.search(r"https?://\S+/account/set-password/\S+/", message.body).group(0)
    page.context.clear_cookies()
    page.goto(link)
    page.fill("#id_new_password1", password)
    page.fill("#id_new_password2", password)
    page.get_by_role("button", name="设置密码").click()
    page.wait_for_url("**/login/")


LEAD_PRIVATE_PHONE = "13906007788"  # the building lead's own mobile: kept in the portal, never on a board
PUBLISHED_PHONES = {
    "building_lead": "0592-5120001",
    "grid_worker": "0592-5120002",
    "party_branch": "0592-5120003",
    "owners_body": "0592-5120004",
    "property_service": "0592-5123456",
}


def set_up_building_lead(page, compound):
    """The building lead (楼栋长) and contact board (亮牌) of a building, as the secretary records them: she appoints
    the lead of 1号楼 (a form without "how chosen" first: refused, nothing written), posts the grid worker and the
    bodies' service phones on every building's board, and checks the plates the public sees. Selectors are ids,
    test ids and links, not wording (the pages' translations land separately)."""
    first = compound.buildings.get(number="1号楼")
    page.get_by_test_id("leads-link").click()
    page.wait_for_url(f"**/compounds/{compound.pk}/leads/")
    page.get_by_test_id("lead-table").locator("tr", has_text="1号楼").locator(
        f'a[href$="/buildings/{first.pk}/lead/"]'
    ).click()
    page.wait_for_url(f"**/buildings/{first.pk}/lead/")
    page.fill("#id_name", "徐林")
    page.fill("#id_phone", LEAD_PRIVATE_PHONE)
    page.fill("#id_service_phone", PUBLISHED_PHONES["building_lead"])
    page.fill("#id_chosen_on", "2026-12-05")
    page.fill("#id_term_starts_on", "2026-12-05")
    page.fill("#id_term_ends_on", "2029-12-04")
    page.fill("#id_basis", "莲花五村社区党委任命")
    page.get_by_test_id("lead-form").locator("button[type=submit]").click()
    page.wait_for_load_state()
    assert page.get_by_test_id("lead-form").locator(".invalid-feedback").count() >= 1  # how chosen: required
    assert not BuildingLead.objects.exists()
    page.select_option("#id_chosen_by", "appointed")
    page.get_by_test_id("lead-form").locator("button[type=submit]").click()
    page.wait_for_url(f"**/compounds/{compound.pk}/leads/")
    assert "徐林" in page.get_by_test_id("lead-table").locator("tr", has_text="1号楼").inner_text()

    # The board: the grid worker, and the service phones of the party branch, the owners' committee and the
    # property service, each posted on every building of the compound.
    for role, name in (
        ("grid_worker", "李网格"),
        ("party_branch", ""),
        ("owners_body", ""),
        ("property_service", ""),
    ):
        page.locator(f'main a[href$="/compounds/{compound.pk}/board/"]').first.click()
        page.wait_for_url(f"**/compounds/{compound.pk}/board/")
        page.select_option("#id_role", role)
        page.fill("#id_name", name)
        page.fill("#id_service_phone", PUBLISHED_PHONES[role])
        page.get_by_test_id("board-form").locator("button[type=submit]").click()
        page.wait_for_url(f"**/compounds/{compound.pk}/leads/")
    entries = page.get_by_test_id("board-entries").inner_text()
    assert "李网格" in entries and all(phone in entries for phone in list(PUBLISHED_PHONES.values())[1:])
    assert "5/5" in page.get_by_test_id("lead-table").locator("tr", has_text="1号楼").inner_text()

    # 1号楼's plate, then every plate of the compound on the public print page: published phones only.
    page.get_by_test_id("lead-table").locator("tr", has_text="1号楼").locator('a[href*="/plate/"]').click()
    page.wait_for_url(f"**/public/compounds/{compound.code}/buildings/{first.pk}/plate/")
    plate = page.get_by_test_id("board-table").inner_text()
    assert "徐林" in plate and "李网格" in plate and "厦门莲花物业服务有限公司" in plate
    assert all(phone in plate for phone in PUBLISHED_PHONES.values())
    assert LEAD_PRIVATE_PHONE not in page.content()
    page.go_back()
    page.get_by_test_id("print-plates").click()
    page.wait_for_url(f"**/public/compounds/{compound.code}/plates/")
    plates = page.get_by_test_id("plate")
    assert plates.count() == 3
    first_plate = plates.filter(has_text="1号楼").inner_text()
    assert all(phone in first_plate for phone in PUBLISHED_PHONES.values())
    third_plate = plates.filter(has_text="3号楼").inner_text()
    assert PUBLISHED_PHONES["grid_worker"] in third_plate and PUBLISHED_PHONES["building_lead"] not in third_plate
    assert LEAD_PRIVATE_PHONE not in page.content()
    assert page.locator("a[href^='tel:']").first.bounding_box()["height"] >= 43  # a phone to tap on the plate (44 px)
    lead = BuildingLead.objects.get()
    assert (lead.building, lead.chosen_by, lead.phone, lead.is_current) == (
        first,
        "appointed",
        LEAD_PRIVATE_PHONE,
        True,
    )
    assert set(BoardContact.objects.values_list("role", "building", "service_phone")) == {
        (role, None, phone) for role, phone in PUBLISHED_PHONES.items() if role != "building_lead"
    }


def test_a_district_sets_itself_up_in_the_browser(empty_district, page, tmp_path):
    district = empty_district
    page.set_default_timeout(60_000)  # a long walk through many pages on a shared, busy test machine

    # --- The district official: two-factor login for officials, places, the property company, invitations,
    # inspections. ---
    sign_in(page, "siming.zhujian", OFFICIAL_PASSWORD)
    nav(page, "安全设置")
    page.check("#require_2fa")
    save(page)
    pass_second_factor(page, "siming.zhujian")  # the policy applies to the official at once
    page.goto("/")
    nav(page, "街道和社区")
    page.get_by_test_id("add-subdistrict").click()
    page.select_option("#id_district", label="思明区")
    page.fill("#id_code", "350203004")
    page.fill("#id_name", "嘉莲街道")
    save(page)
    page.get_by_role("link", name="新增社区").click()
    page.fill("#id_code", "350203004001")
    page.fill("#id_name", "莲花五村社区")
    save(page)
    assert "莲花五村社区" in page.get_by_test_id("place-subdistrict").inner_text()
    subdistrict = Subdistrict.objects.get(code="350203004", district=district)
    assert Community.objects.get(code="350203004001").subdistrict == subdistrict

    nav(page, "单位")
    page.get_by_role("link", name="新增单位").click()
    page.fill("#id_name", "厦门莲花物业服务有限公司")
    page.select_option("#id_kind", "property")
    page.fill("#id_credit_code", "91350203MA2XYW8K10")  # a typo in the check character
    save(page)
    assert "统一社会信用代码有误：校验码不符。" in page.locator("main").inner_text()
    assert not Company.objects.exists()
    page.fill("#id_credit_code", "91350203MA2XYW8K13")
    save(page)
    assert "厦门莲花物业服务有限公司" in page.locator("main").inner_text()

    invite(
        page,
        username="jialian.chen",
        name="陈志强",
        email="chen@jialian.example.cn",
        kind="subdistrict_official",
        place_field="subdistrict",
        place_label="嘉莲街道",
    )
    invite(
        page,
        username="lianhua5.lin",
        name="林秀珍",
        email="lin@lianhua5.example.cn",
        kind="community_secretary",
        place_field="community",
        place_label="莲花五村社区",
    )
    invite(
        page,
        username="siming.inspector1",
        name="郑工",
        email="inspector1@siming.example.cn",
        kind="inspector",
        place_field="district",
        place_label="思明区",
        extra={"#id_tier": "2"},
    )
    invitations = [m for m in mail.outbox if "/account/set-password/" in m.body]
    assert sorted(m.to[0] for m in invitations) == [
        "chen@jialian.example.cn",
        "inspector1@siming.example.cn",
        "lin@lianhua5.example.cn",
    ]

    nav(page, "巡检设置")
    page.fill("#id_name", "区住建局第一巡检组")
    page.select_option("#id_tier", "2")
    page.select_option("#id_district", label="思明区")
    page.get_by_role("button", name="创建").click()
    page.wait_for_url("**/inspections/setup/groups/*/")
    page.select_option("#id_user", label="郑工")
    page.get_by_role("button", name=ADD).click()
    page.wait_for_load_state()
    assert "郑工" in page.get_by_test_id("members").inner_text()

    nav(page, "检查表")
    page.get_by_role("link", name="新建检查表").click()
    page.fill("#id_name", "区级巡检表")
    page.select_option("#id_tier", "2")
    page.select_option("#id_district", label="思明区")
    page.fill("#id_items-0-text", "施工围挡连续、稳固")
    page.fill("#id_items-0-guideline_ref", "导则 5.2.1")
    page.fill("#id_items-1-text", "消防通道畅通")
    page.fill("#id_items-1-guideline_ref", "导则 6.1.3")
    page.get_by_role("button", name="保存草稿").click()
    page.wait_for_url("**/inspections/setup/checklists/*/")
    page.get_by_role("button", name="发布").click()
    page.wait_for_load_state()
    assert "施工围挡连续、稳固" in page.locator("main").inner_text()

    # --- The subdistrict official: the compound and its buildings from the survey sheet. ---
    accept_invitation(page, "chen@jialian.example.cn", "Egret-Harbour-4821")
    sign_in(page, "jialian.chen", "Egret-Harbour-4821")
    nav(page, "小区")
    page.get_by_test_id("import-compounds").click()
    page.select_option("#id_subdistrict", label="嘉莲街道")
    page.set_input_files("#id_file", write_xlsx(tmp_path / "嘉莲街道小区.xlsx", BAD_ROWS))
    page.get_by_role("button", name="导入", exact=True).click()
    page.wait_for_load_state()
    report = page.get_by_test_id("import-report").inner_text()
    assert "有错误的行：未写入任何数据" in report
    assert "第 4 行：社区代码“350203004999”不是嘉莲街道的社区" in report
    assert "第 2 行" not in report and "第 3 行" not in report
    assert not Compound.objects.exists() and not Building.objects.exists()
    page.select_option("#id_subdistrict", label="嘉莲街道")
    page.set_input_files("#id_file", write_xlsx(tmp_path / "嘉莲街道小区.xlsx", ROWS))
    page.get_by_role("button", name="检查（不写入）").click()
    page.wait_for_load_state()
    assert "检查通过：尚未写入任何数据" in page.get_by_test_id("import-report").inner_text()
    assert not Compound.objects.exists()
    page.select_option("#id_subdistrict", label="嘉莲街道")
    page.set_input_files("#id_file", write_xlsx(tmp_path / "嘉莲街道小区.xlsx", ROWS))
    page.get_by_role("button", name="导入", exact=True).click()
    page.wait_for_load_state()
    compound = Compound.objects.get(code="LH5C")
    assert sorted(compound.buildings.values_list("number", flat=True)) == ["1号楼", "2号楼", "3号楼"]
    assert (compound.building_count, compound.household_count) == (3, 114)
    nav(page, "小区")
    page.get_by_role("link", name="莲花五村", exact=True).click()
    assert "3号楼" in page.get_by_test_id("building-table").inner_text()

    # --- The secretary: the three carriages of the compound. ---
    accept_invitation(page, "lin@lianhua5.example.cn", "Lotus-Garden-7305")
    sign_in(page, "lianhua5.lin", "Lotus-Garden-7305")
    nav(page, "小区")
    page.get_by_role("link", name="莲花五村", exact=True).click()
    governance = page.get_by_test_id("governance")
    governance.get_by_role("link").nth(0).click()
    page.fill("#id_name", "莲花五村小区党支部")
    page.fill("#id_secretary_name", "王建国")
    page.fill("#id_member_count", "23")
    page.fill("#id_established_on", "2026-11-30")
    save(page)
    page.get_by_test_id("governance").get_by_role("link").nth(1).click()
    page.select_option("#id_kind", "owners_committee")
    page.fill("#id_director_name", "王建国")
    page.fill("#id_member_count", "7")
    page.fill("#id_established_on", "2026-11-30")
    page.fill("#id_term_starts_on", "2026-12-01")
    page.fill("#id_term_ends_on", "2031-11-30")
    save(page)
    page.get_by_test_id("governance").get_by_role("link").nth(2).click()
    page.select_option("#id_mode", "professional")
    page.select_option("#id_company", label="厦门莲花物业服务有限公司")
    page.fill("#id_contact_name", "黄经理")
    page.fill("#id_contract_starts_on", "2027-01-01")
    save(page)
    shown = page.get_by_test_id("governance").inner_text()
    assert "莲花五村小区党支部" in shown and "王建国" in shown and "厦门莲花物业服务有限公司" in shown
    set_up_building_lead(page, compound)

    # --- The subdistrict official again: the compound's task force and the project's hooked leader. ---
    sign_in(page, "jialian.chen", "Egret-Harbour-4821")
    nav(page, "专班")
    page.select_option("#id_place", label="小区专班 · 莲花五村")
    page.fill("#id_name", "莲花五村改造专班")
    page.get_by_role("button", name="创建").click()
    page.wait_for_url("**/places/task-forces/*/")
    for user_label, role, group in (("陈志强", "组长", "guarantee"), ("林秀珍", "副组长", "residents")):
        page.select_option("#id_user", label=user_label)
        page.fill("#id_role", role)
        page.select_option("#id_working_group", group)
        page.get_by_role("button", name=ADD).click()
        page.wait_for_load_state()
    assert "林秀珍" in page.get_by_test_id("members").inner_text()

    project = open_project(compound)
    nav(page, "改造项目")
    page.get_by_role("link", name=re.compile("莲花五村")).first.click()
    page.get_by_role("link", name="修改", exact=True).first.click()
    page.wait_for_url("**/liaisons/")
    page.select_option("#id_user", label="陈志强")
    page.get_by_role("button", name=ADD).click()
    page.wait_for_load_state()
    assert "陈志强" in page.get_by_test_id("liaisons").inner_text()
    nav(page, "数据看板")
    assert "挂钩领导：1 人，覆盖 1 / 1 个项目" in page.get_by_test_id("fig-liaisons").inner_text()

    # --- What the day left in the database. ---
    compound = Compound.objects.select_related("party_branch", "owners_body", "property_service__company").get()
    assert compound.community.subdistrict == subdistrict
    assert (compound.party_branch.secretary_name, compound.owners_body.director_name) == ("王建国", "王建国")
    assert compound.property_mode == PropertyMode.PROFESSIONAL
    assert compound.property_service.company == Company.objects.get(credit_code="91350203MA2XYW8K13")
    assert set(Role.objects.values_list("user__username", "kind")) == {
        ("siming.zhujian", RoleKind.DISTRICT_OFFICIAL),
        ("jialian.chen", RoleKind.SUBDISTRICT_OFFICIAL),
        ("lianhua5.lin", RoleKind.COMMUNITY_SECRETARY),
        ("siming.inspector1", RoleKind.INSPECTOR),
    }
    task_force = TaskForce.objects.get()
    assert (task_force.compound, task_force.members.count()) == (compound, 2)
    assert list(Project.objects.get(pk=project.pk).liaisons.values_list("username", flat=True)) == ["jialian.chen"]
    assert InspectionGroup.objects.get().members.get().username == "siming.inspector1"
    checklist = ChecklistTemplate.objects.get()
    assert (checklist.status, checklist.items.count()) == ("published", 2)
    # The two officials log in with their authenticator apps; the secretary, no official, with her password.
    assert set(TOTPDevice.objects.filter(confirmed=True).values_list("user__username", flat=True)) == {
        "siming.zhujian",
        "jialian.chen",
    }


def open_project(compound):
    """The one step outside the browser (see the module's docstring): the project of the compound."""
    from projects.services import project_create

    return project_create(
        actor=User.objects.get(username="siming.zhujian"), compound=compound, name="莲花五村老旧小区改造", batch=2027
    )
