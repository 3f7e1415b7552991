"""Review guarantees of today's additions not pinned elsewhere: the national overview refused to non-global users on
every route that reaches it (the place routes with level ``nation`` and an id, their weekly, scorecard and exports,
web and API); property service staff's exports and ``?compound=`` filters hold their company's compound only; and
junk in the whole scorecard's ``q``/``order``/``page``, the nation's period and the issue list's ``origin`` is a
form error or a 4xx, never a 500."""

import pytest
from django.urls import reverse

from communities.models import User
from tests.aftercare import conftest as aftercare_fixtures
from tests.aftercare import test_property_staff as property_staff_fixtures

pytestmark = pytest.mark.django_db

record = aftercare_fixtures.record
environment, other_record, people, world = (
    property_staff_fixtures.environment,
    property_staff_fixtures.other_record,
    property_staff_fixtures.people,
    property_staff_fixtures.world,
)

NATION_WEB = [
    "/dashboard/nation/1/",
    "/dashboard/nation/1/weekly/",
    "/dashboard/nation/1/contractors/",
    "/dashboard/nation/1/?export=csv",
    "/dashboard/nation/1/contractors/?export=xlsx",
    "/dashboard/nation/weekly/?export=csv",
    "/dashboard/nation/contractors/?export=csv",
]
NATION_API = [
    "/api/v1/dashboard/nation/1/",
    "/api/v1/dashboard/nation/1/contractors/",
    "/api/v1/dashboard/nation/contractors/?q=a",
]


@pytest.mark.parametrize("who", ["district_official", "subdistrict_official", "contractor", "inspector"])
def test_no_route_reaches_the_nation_for_a_non_global_user(actors, client, api_as, who):
    client.force_login(actors[who])
    for url in NATION_WEB:
        assert client.get(url).status_code in (403, 404), url
    api = api_as(actors[who])
    for url in NATION_API:
        assert api.get(url).status_code in (403, 404), url


def _csv(response) -> str:
    assert response.status_code == 200
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return body.decode("utf-8-sig")


def test_property_staff_exports_and_filters_hold_their_compound_only(tree, people, world, api_as, client):
    staff, other = people["property_staff"], tree["compound_b"]
    api = api_as(staff)
    for url in ("/api/v1/issues/", "/api/v1/projects/", "/api/v1/buildings/", "/api/v1/property-services/"):
        assert api.get(url, {"compound": other.pk}).json()["results"] == [], url
    client.force_login(staff)
    issues = _csv(client.get(reverse("inspections:issue-list"), {"export": "csv"})).strip().splitlines()
    assert len(issues) == 2 and world["property_issue"].description in issues[1]
    compounds = _csv(client.get(reverse("communities:compound-list"), {"export": "csv"}))
    assert tree["compound_a"].name in compounds and other.name not in compounds


@pytest.fixture
def admin(db):
    return User.objects.create(username="review_admin", is_superuser=True, is_staff=True)


SCORECARD_JUNK = [
    "q=" + "x" * 5000,
    "q=a%00b",
    "q=%ED%A0%80",
    "q=%25_%5C",
    "order=junk",
    "page=junk",
    "page=-1",
    "page=%00",
    "page=99999999999999999999999",
    "page_size=-5",
    "page_size=99999999999999999999",
]


@pytest.mark.parametrize("query", SCORECARD_JUNK)
def test_junk_on_the_whole_scorecard_is_no_500(tree, admin, client, query):
    client.force_login(admin)
    for url in ("/dashboard/nation/contractors/", "/api/v1/dashboard/nation/contractors/"):
        assert client.get(f"{url}?{query}").status_code < 500, url


@pytest.mark.parametrize(
    "query", ["since=junk", "until=2026-13-40", "since=2026-05-01&until=2026-01-01", "since=%00", "until=9999-12-31"]
)
def test_junk_in_the_nations_period_is_no_500(tree, admin, client, query):
    client.force_login(admin)
    for url in ("/dashboard/nation/?", "/dashboard/nation/weekly/?", "/dashboard/nation/?export=csv&"):
        assert client.get(url + query).status_code == 200, url
    assert client.get(f"/api/v1/dashboard/nation/?{query}").status_code == 400


@pytest.mark.parametrize("origin", ["junk", "%00", "inspection" * 50])
def test_a_junk_origin_on_the_issue_list_is_no_500(actors, client, origin):
    client.force_login(actors["district_official"])
    url = reverse("inspections:issue-list")
    assert client.get(f"{url}?origin={origin}").status_code == 200
    assert client.get(f"{url}?origin={origin}&export=csv").status_code == 200
    assert client.get(f"/api/v1/issues/?origin={origin}").status_code == 400
