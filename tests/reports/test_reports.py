"""The monthly report upward: figures against hand-computed values, submission freezes them (a correction is a
new version), and the scope of city and province officials — web and API."""

import csv
import io
from datetime import UTC, date, datetime

import pytest
import time_machine
from django.core.exceptions import PermissionDenied
from django.db import DatabaseError, transaction
from django.urls import reverse
from openpyxl import load_workbook

from communities.choices import RoleKind
from communities.models import ApiToken, User
from communities.services import user_invite
from projects.choices import ProjectStatus
from renovation_portal.errors import DomainError
from reports import services
from reports.models import MonthlyReport
from reports.selectors import monthly_figures
from tests import factories as f

NOW = datetime(2026, 11, 15, 4, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _mid_november():
    with time_machine.travel(NOW, tick=False):
        yield


def _rows(figures):
    return {row["key"]: row for row in figures["progress"]}, {row["source"]: row for row in figures["investment"]}


def test_the_figures_match_the_hand_counted_month(upward):
    progress, money = _rows(monthly_figures(upward["district_a"], 2026, 11))
    # Started: c1 this month (two projects, one compound); c2 in February. Finished: c2 this month, c3 in March.
    expected = {
        "compounds_started": (1, 2, 10, 20.0),
        "buildings_started": (5, 8, None, None),
        "households_started": (170, 270, None, None),
        "compounds_finished": (1, 2, 4, 50.0),
        "buildings_finished": (3, 5, None, None),
        "households_finished": (100, 140, None, None),
    }
    assert {k: (r["month"], r["ytd"], r["target"], r["percent"]) for k, r in progress.items()} == expected
    assert (money["district_funds"]["month"], money["district_funds"]["ytd"]) == ("1000000.00", "1000000.00")
    assert (money["residents"]["month"], money["residents"]["ytd"]) == ("12345.67", "12345.67")
    assert (money["utilities"]["month"], money["utilities"]["ytd"]) == ("0.00", "500.50")
    assert (money["total"]["month"], money["total"]["ytd"]) == ("1012345.67", "1012846.17")


def test_march_counts_only_what_happened_by_then(upward):
    progress, money = _rows(monthly_figures(upward["district_a"], 2026, 3))
    assert (progress["compounds_started"]["month"], progress["compounds_started"]["ytd"]) == (0, 1)
    assert (progress["compounds_finished"]["month"], progress["households_finished"]["ytd"]) == (1, 40)
    assert money["total"]["ytd"] == "500.50"


def test_submission_freezes_the_figures(upward):
    report = services.report_submit(
        actor=upward["district_official"], district=upward["district_a"], year=2026, month=11
    )
    assert (report.version, report.submitted_by, report.note) == (1, upward["district_official"], "")
    f.ProjectFactory(
        compound=f.CompoundFactory(community=upward["sub_a"].communities.get(), building_count=7),
        status=ProjectStatus.CONSTRUCTION,
        actual_start=date(2026, 11, 12),
    )
    report.refresh_from_db()
    assert _rows(report.figures)[0]["compounds_started"]["month"] == 1  # frozen
    assert _rows(monthly_figures(upward["district_a"], 2026, 11))[0]["compounds_started"]["month"] == 2  # live
    with pytest.raises(DatabaseError), transaction.atomic():
        MonthlyReport.objects.filter(pk=report.pk).update(note="changed")
    with pytest.raises(DatabaseError), transaction.atomic():
        MonthlyReport.objects.filter(pk=report.pk).delete()


def test_a_correction_is_a_new_version_with_a_note_and_keeps_the_earlier_one(upward):
    actor, district = upward["district_official"], upward["district_a"]
    first = services.report_submit(actor=actor, district=district, year=2026, month=11)
    with pytest.raises(DomainError) as error:
        services.report_submit(actor=actor, district=district, year=2026, month=11)
    assert error.value.code == "correction_note_required"
    second = services.report_submit(actor=actor, district=district, year=2026, month=11, note="补报一个小区")
    assert (second.version, second.note) == (2, "补报一个小区")
    assert list(MonthlyReport.objects.order_by("version").values_list("pk", flat=True)) == [first.pk, second.pk]


def test_a_month_not_yet_begun_and_an_impossible_month_are_refused(upward):
    actor, district = upward["district_official"], upward["district_a"]
    for year, month, code in [(2026, 12, "future_month"), (2026, 13, "bad_month"), (1999, 1, "bad_year")]:
        with pytest.raises(DomainError) as error:
            services.report_submit(actor=actor, district=district, year=year, month=month)
        assert error.value.code == code
    assert not MonthlyReport.objects.exists()


@pytest.mark.parametrize("who", ["city_official", "province_official", "subdistrict_official", "district_b_official"])
def test_only_the_districts_own_officials_submit(upward, who):
    with pytest.raises(PermissionDenied):
        services.report_submit(actor=upward[who], district=upward["district_a"], year=2026, month=11)


# --- Scope: web and API. Expected status of each role for district_a's report, page, dashboards.

SEES_A = {"district_official", "city_official", "province_official"}


@pytest.mark.parametrize(
    "who",
    [
        "district_official",
        "city_official",
        "province_official",
        "city_b_official",
        "province_b_official",
        "district_b_official",
        "subdistrict_official",
    ],
)
def test_who_sees_a_submitted_report_web_and_api(upward, client, api, who):
    report = services.report_submit(
        actor=upward["district_official"], district=upward["district_a"], year=2026, month=11
    )
    user = upward[who]
    client.force_login(user)
    api.force_authenticate(user)
    detail = client.get(reverse("reports:detail", args=[report.pk]))
    api_detail = api.get(reverse("api:monthly-report-detail", args=[report.pk]))
    api_list = api.get(reverse("api:monthly-report-list"))
    if who in SEES_A:
        assert detail.status_code == 200 and "思明区" in detail.content.decode()
        assert api_detail.status_code == 200 and api_detail.json()["figures"] == report.figures
        assert [r["id"] for r in api_list.json()["results"]] == [report.pk]
        assert f'data-testid="report-{report.pk}"' in client.get(reverse("reports:list")).content.decode()
    elif who == "subdistrict_official":  # reports nothing upward: no reports page at all
        assert detail.status_code == 403
        assert api_detail.status_code == 404 and api_list.json()["results"] == []
    else:
        assert detail.status_code == 404 and api_detail.status_code == 404
        assert api_list.json()["results"] == []


@pytest.mark.parametrize(
    "who,city_a,city_b,province_a,district_a,district_b",
    [
        ("city_official", 200, 404, 404, 200, 404),
        ("province_official", 200, 404, 200, 200, 404),
        ("city_b_official", 404, 200, 404, 404, 200),
        ("district_official", 404, 404, 404, 200, 404),
    ],
)
def test_dashboards_above_the_district_are_scoped(
    upward, client, api, who, city_a, city_b, province_a, district_a, district_b
):
    client.force_login(upward[who])
    api.force_authenticate(upward[who])
    for level, place, expected in [
        ("city", upward["city_a"], city_a),
        ("city", upward["city_b"], city_b),
        ("province", upward["province_a"], province_a),
        ("district", upward["district_a"], district_a),
        ("district", upward["district_b"], district_b),
    ]:
        assert client.get(reverse("dashboard:place", args=[level, place.pk])).status_code == expected, (level, place)
        assert api.get(reverse("api:dashboard", args=[level, place.pk])).status_code == expected, (level, place)


def test_the_month_page_of_another_citys_district_is_a_404(upward, client):
    client.force_login(upward["city_official"])
    assert client.get(reverse("reports:month", args=[upward["district_a"].pk, 2026, 11])).status_code == 200
    assert client.get(reverse("reports:month", args=[upward["district_b"].pk, 2026, 11])).status_code == 404
    # A city official reads the live figures but cannot submit for the district.
    assert client.post(reverse("reports:month", args=[upward["district_a"].pk, 2026, 11])).status_code == 403
    assert not MonthlyReport.objects.exists()


def test_city_dashboard_sums_its_districts_and_lists_them(upward, api):
    api.force_authenticate(upward["province_official"])
    city = api.get(reverse("api:dashboard", args=["city", upward["city_a"].pk]), {"year": 2026}).json()
    assert city["progress"]["target"] == {"year": 2026, "to_start": 10, "to_finish": 4}
    # The dashboard counts projects (c1 has two started this year), the report compounds.
    assert city["progress"]["started"] == 3 and city["progress"]["total"] == 4
    assert [row["name"] for row in city["children"]] == ["思明区"]
    province = api.get(reverse("api:dashboard", args=["province", upward["province_a"].pk]), {"year": 2026}).json()
    assert province["progress"]["target"] == {"year": 2026, "to_start": 13, "to_finish": 5}  # not district_b's 50
    assert sorted(row["name"] for row in province["children"]) == ["厦门市", "福州市"]
    assert sorted(row["name"] for row in province["districts"]) == ["思明区", "鼓楼区"]


def test_web_submit_then_correct(upward, client):
    client.force_login(upward["district_official"])
    url = reverse("reports:month", args=[upward["district_a"].pk, 2026, 11])
    response = client.post(url, {"note": ""})
    report = MonthlyReport.objects.get()
    assert response.status_code == 302 and response.url == reverse("reports:detail", args=[report.pk])
    refused = client.post(url, {"note": ""})
    assert refused.status_code == 400 and "更正" in refused.content.decode() or refused.status_code == 400
    assert MonthlyReport.objects.count() == 1
    client.post(url, {"note": "更正户数"})
    assert list(MonthlyReport.objects.order_by("version").values_list("version", "note")) == [(1, ""), (2, "更正户数")]


def test_api_submit_is_idempotent_and_documents_its_refusals(upward, api):
    key = ApiToken.issue(user=upward["district_official"], device_name="测试机")[1]
    body = {"district": upward["district_a"].pk, "year": 2026, "month": 11}
    url = reverse("api:monthly-report-list")
    auth = {"HTTP_AUTHORIZATION": f"Token {key}", "HTTP_IDEMPOTENCY_KEY": "report-2026-11"}
    first = api.post(url, body, format="json", **auth)
    again = api.post(url, body, format="json", **auth)
    assert first.status_code == again.status_code == 201 and first.json()["id"] == again.json()["id"]
    assert MonthlyReport.objects.count() == 1
    api.force_authenticate(upward["district_official"])
    refused = api.post(url, body, format="json")
    assert refused.status_code == 400 and refused.json()["errors"][0]["code"] == "correction_note_required"
    future = api.post(url, {**body, "month": 12}, format="json")
    assert future.status_code == 400 and future.json()["errors"][0]["code"] == "future_month"
    api.force_authenticate(upward["city_official"])
    assert api.post(url, body | {"note": "x"}, format="json").status_code == 403
    api.force_authenticate(upward["district_b_official"])
    assert api.post(url, body | {"note": "x"}, format="json").status_code == 404
    assert MonthlyReport.objects.count() == 1


def test_api_preview_is_the_live_table(upward, api):
    api.force_authenticate(upward["city_official"])
    url = reverse("api:monthly-report-preview")
    response = api.get(url, {"district": upward["district_a"].pk, "year": 2026, "month": 11})
    assert response.status_code == 200 and response.json() == monthly_figures(upward["district_a"], 2026, 11)
    assert api.get(url, {"district": upward["district_b"].pk, "year": 2026, "month": 11}).status_code == 404
    assert api.get(url, {"district": upward["district_a"].pk, "year": 2026, "month": 13}).status_code == 400


def test_report_exports_open_in_openpyxl_and_csv(upward, client):
    report = services.report_submit(
        actor=upward["district_official"], district=upward["district_a"], year=2026, month=11
    )
    client.force_login(upward["city_official"])
    xlsx = client.get(reverse("reports:detail", args=[report.pk]), {"export": "xlsx"})
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    values = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert values[1][1:5] == [1, 2, 10, 20.0]
    response = client.get(reverse("reports:detail", args=[report.pk]), {"export": "csv"})
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[1][1:5] == ["1", "2", "10", "20.0"]
    assert any(row[1:3] == ["1012345.67", "1012846.17"] for row in rows)
    live = client.get(reverse("reports:month", args=[upward["district_a"].pk, 2026, 11]), {"export": "csv"})
    assert live.status_code == 200


def test_report_lists_cost_a_fixed_number_of_queries(upward, client, api, django_assert_max_num_queries):
    for month in (9, 10, 11):
        services.report_submit(actor=upward["district_official"], district=upward["district_a"], year=2026, month=month)
    client.force_login(upward["province_official"])
    api.force_authenticate(upward["province_official"])
    client.get(reverse("reports:list"))
    with django_assert_max_num_queries(10):
        assert client.get(reverse("reports:list")).status_code == 200
    with django_assert_max_num_queries(8):
        assert api.get(reverse("api:monthly-report-list")).status_code == 200


# --- People: a province official invites city officials of the province, a city official district officials.


@pytest.mark.parametrize(
    "granter,kind,place_key,allowed",
    [
        ("province_official", RoleKind.CITY_OFFICIAL, "city_a2", True),
        ("province_official", RoleKind.CITY_OFFICIAL, "city_b", False),
        ("province_official", RoleKind.DISTRICT_OFFICIAL, "district_a", False),
        ("city_official", RoleKind.DISTRICT_OFFICIAL, "district_a", True),
        ("city_official", RoleKind.DISTRICT_OFFICIAL, "district_a2", False),
        ("city_official", RoleKind.CITY_OFFICIAL, "city_a", False),
        ("district_official", RoleKind.CITY_OFFICIAL, "city_a", False),
    ],
)
def test_invitations_above_the_district(upward, granter, kind, place_key, allowed):
    binding = {"city" if kind == RoleKind.CITY_OFFICIAL else "district": upward[place_key]}
    invite = {
        "actor": upward[granter],
        "username": "newcomer",
        "email": "newcomer@example.cn",
        "role": {"kind": kind, **binding},
        "base_url": "http://testserver",
    }
    if allowed:
        user = user_invite(**invite)
        assert list(user.roles.values_list("kind", flat=True)) == [kind]
    else:
        with pytest.raises(PermissionDenied):
            user_invite(**invite)
        assert not User.objects.filter(username="newcomer").exists()


def test_place_lists_above_the_district_are_scoped(upward, api):
    def names(user, endpoint):
        api.force_authenticate(user)
        response = api.get(reverse(f"api:{endpoint}-list"))
        assert response.status_code == 200
        return sorted(row["name"] for row in response.json()["results"])

    assert names(upward["city_official"], "city") == ["厦门市"]
    assert names(upward["city_official"], "province") == []
    assert names(upward["city_official"], "district") == ["思明区"]
    assert names(upward["province_official"], "city") == ["厦门市", "福州市"]
    assert names(upward["province_official"], "province") == ["福建省"]
    assert names(upward["province_official"], "district") == ["思明区", "鼓楼区"]
    assert names(upward["district_official"], "city") == []  # above a district official's subtree
    assert names(upward["city_b_official"], "district") == ["南山区"]


def test_province_official_invites_a_city_official_on_the_web(upward, client):
    client.force_login(upward["province_official"])
    form = client.get(reverse("communities:person-invite")).content.decode()
    assert "福州市" in form and "深圳市" not in form
    data = {"username": "fz.city", "email": "fz@example.cn", "kind": RoleKind.CITY_OFFICIAL}
    response = client.post(reverse("communities:person-invite"), {**data, "city": upward["city_a2"].pk})
    assert response.status_code == 302
    assert User.objects.get(username="fz.city").roles.get().city == upward["city_a2"]
    refused = client.post(reverse("communities:person-invite"), {**data, "username": "sz", "city": upward["city_b"].pk})
    assert refused.status_code in (200, 400) and not User.objects.filter(username="sz").exists()
    client.force_login(upward["city_official"])
    form = client.get(reverse("communities:person-invite")).content.decode()
    assert "思明区" in form and "鼓楼区" not in form


@pytest.mark.parametrize("who", ["city_official", "province_official"])
def test_upper_officials_home_nav_and_dashboard_landing(upward, client, who):
    client.force_login(upward[who])
    home = client.get("/")
    assert home.status_code == 200
    page = home.content.decode()
    assert reverse("reports:list") in page and reverse("dashboard:home") in page
    landing = client.get(reverse("dashboard:home"))
    level, place = ("city", upward["city_a"]) if who == "city_official" else ("province", upward["province_a"])
    assert landing.status_code == 302 and landing.url == reverse("dashboard:place", args=[level, place.pk])
    board = client.get(landing.url).content.decode()
    assert "思明区" in board and "南山区" not in board
