"""The governance row of 数说改造 and the property coverage against the Siming demo, counted by hand at two levels
(the district and its subdistricts 鹭江 and 筼筜), each figure's link followed to a list whose count is the figure.

Hand count (communities/demo.py, consultations/demo.py, aftercare/demo.py; the demo's dates follow today):
- residents' problems resolved: 嘉美花园's "施工噪音影响休息" (9 days ago) and 菡凌蓉小区's published plate report
  (5 days ago): 2 in the district, 1 in 鹭江 (嘉美花园), 0 in 筼筜;
- spaces of 嘉美花园 (鹭江), opened today at its handover: 近邻茶室 (community room, 45 m²), 健身区, 儿童游乐场 and
  近邻文化长廊 (the cultural publicity facility): 45 m² and 1;
- property services in force today, of the 45 compounds: menu 10 (8 synthetic, 嘉美花园 and 莲前22号小区, which
  brought it in 45 days ago, always this year: ``aftercare.demo.property_introduced_on``), professional 10
  (8 synthetic, 屿后南里小区 from 2024-01-01 and 新港广场), shared 8, self-managed 9 (8 synthetic and 曾厝垵西里小区),
  none 8; managed 28 → 62.2 %. At the end of 2023 屿后南里小区 had none yet: professional 9, none 10, 57.8 %; at the
  end of 2024, menu 9 and none 9: 60.0 %.
  鹭江 (5 compounds): shared 1, self-managed 1, menu 1 (嘉美花园), none 2 → 40.0 %;
  筼筜 (5): menu 1, professional 3 (屿后南里小区 among them), shared 1 → 100.0 % (80.0 % at the end of 2023).
"""

import io
from datetime import date, timedelta

import pytest
from django.core.management import call_command
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from aftercare.demo import property_introduced_on
from communities.models import District, Subdistrict, User

FIGURES = ("problems_solved", "service_space_m2", "culture_facilities")


@pytest.fixture(scope="module")
def demo_loaded(django_db_setup, django_db_blocker):
    """The demo, loaded once for this module and rolled back after its last test (as in tests/test_dashboard.py)."""
    with django_db_blocker.unblock(), transaction.atomic():
        call_command("load_demo", stdout=io.StringIO())
        yield
        transaction.set_rollback(True)


@pytest.fixture
def demo(demo_loaded, db):
    return {
        "district": District.objects.get(code="350203"),
        "official": User.objects.get(username="district"),
        "lujiang": Subdistrict.objects.get(name="鹭江街道"),
        "yundang": Subdistrict.objects.get(name="筼筜街道"),
    }


def last_month():
    today = timezone.localdate()
    return {"since": (today - timedelta(days=30)).isoformat(), "until": today.isoformat()}


def governance(client, user, level, pk, **params):
    client.force_login(user)
    response = client.get(reverse("api:dashboard", args=[level, pk]), params)
    assert response.status_code == 200, response.content
    return response.json()["governance"]


def row(board):
    return tuple(board[name] for name in FIGURES)


def modes(coverage):
    return {cell["mode"]: cell["count"] for cell in coverage["modes"]}


def test_the_district_governance_row_and_coverage_match_the_demo(demo, client):
    board = governance(client, demo["official"], "district", demo["district"].pk, **last_month())
    assert row(board) == (2, 45.0, 1)
    # The bodies of the article's compounds date from 2023-2024: none in the last month.
    # 莲前22号小区's property service is 45 days old, except in January (then it started on 1 January).
    introduced = int(property_introduced_on() >= timezone.localdate() - timedelta(days=30))
    assert (board["party_branches"], board["owners_committees"], board["property_introduced"]) == (0, 0, introduced)
    coverage = board["coverage"]
    assert coverage["on"] == timezone.localdate().isoformat() and coverage["compounds"] == 45
    assert modes(coverage) == {"none": 8, "self_managed": 9, "menu": 10, "professional": 10, "shared": 8}
    assert (coverage["managed"], coverage["percent"]) == (28, 62.2)
    # The trend: the ends of the four years before, then the period's end (the same figures as above).
    year = timezone.localdate().year
    assert [point["on"] for point in coverage["trend"]] == [
        *[date(y, 12, 31).isoformat() for y in range(year - 4, year)],
        timezone.localdate().isoformat(),
    ]
    end_2023 = next(point for point in coverage["trend"] if point["on"] == "2023-12-31")
    assert modes(end_2023)["professional"] == 9 and modes(end_2023)["none"] == 10 and end_2023["percent"] == 57.8
    # The programme's years: the four bodies' figures as tests/test_dashboard.py counts them, no problem solved or
    # space opened then (the demo's are this year's).
    programme = governance(
        client, demo["official"], "district", demo["district"].pk, since="2023-01-01", until="2024-12-31"
    )
    assert row(programme) == (0, 0.0, 0) and programme["property_introduced"] == 1
    assert programme["coverage"]["percent"] == 60.0  # on 2024-12-31: 屿后南里小区 professional since 2024-01-01
    # This year: 莲前22号小区 brought in its menu-style property service.
    year = governance(client, demo["official"], "district", demo["district"].pk)
    assert year["since"] == f"{timezone.localdate().year}-01-01" and year["property_introduced"] == 1


def test_the_subdistrict_governance_row_and_coverage_match_the_demo(demo, client):
    lujiang = governance(client, demo["official"], "subdistrict", demo["lujiang"].pk, **last_month())
    assert row(lujiang) == (1, 45.0, 1)
    assert modes(lujiang["coverage"]) == {"none": 2, "self_managed": 1, "menu": 1, "professional": 0, "shared": 1}
    assert (lujiang["coverage"]["compounds"], lujiang["coverage"]["percent"]) == (5, 40.0)
    yundang = governance(client, demo["official"], "subdistrict", demo["yundang"].pk, **last_month())
    assert row(yundang) == (0, 0.0, 0)
    assert modes(yundang["coverage"]) == {"none": 0, "self_managed": 0, "menu": 1, "professional": 3, "shared": 1}
    assert yundang["coverage"]["percent"] == 100.0
    end_2023 = next(point for point in yundang["coverage"]["trend"] if point["on"] == "2023-12-31")
    assert (modes(end_2023)["none"], end_2023["percent"]) == (1, 80.0)
    programme = governance(
        client, demo["official"], "subdistrict", demo["yundang"].pk, since="2024-01-01", until="2024-12-31"
    )
    assert programme["property_introduced"] == 1  # 屿后南里小区


@pytest.mark.parametrize("level", ["district", "subdistrict"])
def test_every_link_lists_what_its_figure_counts(demo, client, level):
    place = demo["district"] if level == "district" else demo["lujiang"]
    for params in (last_month(), {"since": "2023-01-01", "until": "2024-12-31"}):
        board = governance(client, demo["official"], level, place.pk, **params)
        for name in ("party_branches", "self_governance_groups", "owners_committees", "property_introduced"):
            assert listed(client, board[f"{name}_url"]) == board[name], name
        assert listed(client, board["problems_solved_url"]) == board["problems_solved"]
        response = client.get(board["service_space_url"])
        assert float(response.context["area"]) == board["service_space_m2"]
        assert listed(client, board["culture_facilities_url"]) == board["culture_facilities"]
        coverage = board["coverage"]
        for point in coverage["trend"]:
            assert listed(client, point["managed_url"]) == point["managed"]
            for cell in point["modes"]:
                assert listed(client, cell["url"]) == cell["count"], (point["on"], cell["mode"])


def listed(client, url) -> int:
    response = client.get(url)
    assert response.status_code == 200, url
    return response.context["page"].paginator.count


def test_the_dashboard_page_shows_the_row_and_the_coverage(demo, client):
    client.force_login(demo["official"])
    page = client.get(
        reverse("dashboard:place", args=["subdistrict", demo["lujiang"].pk]), last_month()
    ).content.decode()
    assert 'data-testid="fig-gov-problems">1<' in page and 'data-testid="fig-gov-space">45<' in page
    assert 'data-testid="fig-gov-culture">1<' in page and 'data-testid="fig-coverage-percent">40.0%<' in page
