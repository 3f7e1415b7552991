"""The aftercare API: the scope matrix (the compound's community keeps it, the officials above read, contractors,
inspectors and outsiders see nothing), documented error codes, no partial writes, bounded queries."""

from datetime import date

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from aftercare import services
from aftercare.models import Activity, LedgerEntry, LedgerQuarter, ServiceForm, Space
from tests import factories as f
from tests.conftest import etag_patch

pytestmark = pytest.mark.django_db
MAY = date(2025, 5, 15)
BASE = "/api/v1/aftercare"
READERS = {"community_secretary", "subdistrict_official", "district_official"}
ROLES = ["community_secretary", "subdistrict_official", "district_official", "contractor", "inspector", "outsider"]


def _entry(record, actor, day="2025-04-02", amount="100", **extra):
    values = {"kind": "charging", "purpose": "充电桩", "decision": "业委会同意", "decided_on": "2025-04-01", **extra}
    return services.ledger_entry_record(actor=actor, record=record, entry_date=day, amount=amount, **values)


@pytest.fixture
def filled(tree, actors, record):
    secretary = actors["community_secretary"]
    with time_machine.travel(MAY):
        _entry(record, secretary, day="2025-02-01")
        services.ledger_quarter_publish(actor=secretary, record=record, year=2025, quarter=1)
        services.service_form_publish(
            actor=secretary,
            record=record,
            items=[{"service": "保洁", "provider": "物业", "frequency": "每日", "price": "1"}],
        )
        space = services.space_create(actor=secretary, record=record, name="茶室", kind="community_room", area="30")
        services.activity_create(
            actor=secretary, space=space, title="茶话会", held_on="2025-05-10", organiser_kind="party_branch"
        )
        services.document_add(actor=secretary, record=record, upload=f.pdf_file(), title="验收报告")
    return record


LISTS = [
    "records",
    "warranties",
    "documents",
    "service-forms",
    "ledger-entries",
    "ledger-quarters",
    "spaces",
    "activities",
]


@pytest.mark.parametrize("role", ROLES)
def test_lists_and_details_by_role(tree, actors, filled, api_as, role):
    client = api_as(actors[role])
    sees = role in READERS
    for name in LISTS:
        response = client.get(f"{BASE}/{name}/")
        assert response.status_code == 200, name
        assert bool(response.json()["results"]) is sees, (name, role)
    assert client.get(f"{BASE}/records/{filled.pk}/").status_code == (200 if sees else 404)
    document = filled.documents.get()
    assert client.get(f"{BASE}/documents/{document.pk}/file/").status_code == (200 if sees else 404)


def test_city_official_reads_the_districts_below(tree, actors, filled, api_as):
    city = f.CityFactory()
    tree["district"].city = city
    tree["district"].save()
    client = api_as(f.user_with_role("city_official", city=city))
    assert [r["id"] for r in client.get(f"{BASE}/records/").json()["results"]] == [filled.pk]


def test_anonymous_gets_401(filled, api):
    assert api.get(f"{BASE}/records/").status_code == 401


WRITE_STATUS = {
    "community_secretary": 201,
    "subdistrict_official": 403,
    "district_official": 403,
    "contractor": 404,
    "inspector": 404,
    "outsider": 404,
}


@pytest.mark.parametrize("role", ROLES)
@time_machine.travel(MAY)
def test_only_the_communitys_secretary_writes(tree, actors, record, api_as, role):
    client = api_as(actors[role])
    body = {"record": record.pk, "kind": "parking", "entry_date": "2025-04-03", "amount": "50.00", "purpose": "临停",
            "decision": "业委会同意", "decided_on": "2025-04-01"}  # fmt: skip
    assert client.post(f"{BASE}/ledger-entries/", body, format="json").status_code == WRITE_STATUS[role]
    space = client.post(
        f"{BASE}/spaces/", {"record": record.pk, "name": "健身区", "kind": "fitness", "area": "80"}, format="json"
    )
    assert space.status_code == WRITE_STATUS[role]
    expected = 1 if WRITE_STATUS[role] == 201 else 0
    assert (LedgerEntry.objects.count(), Space.objects.count()) == (expected, expected)


@time_machine.travel(MAY)
def test_secretary_of_another_compound_gets_404(tree, actors, record_b, api_as):
    client = api_as(actors["community_secretary"])
    response = client.post(
        f"{BASE}/spaces/", {"record": record_b.pk, "name": "x", "kind": "fitness", "area": "1"}, format="json"
    )
    assert response.status_code == 404 and not Space.objects.exists()


@pytest.mark.parametrize(
    "role, expected", [("district_official", 200), ("community_secretary", 403), ("contractor", 404)]
)
def test_the_district_sets_warranties(tree, actors, record, api_as, role, expected):
    warranty = record.warranties.get(category="pipes")
    response = etag_patch(api_as(actors[role]), f"{BASE}/warranties/{warranty.pk}/", {"ends_on": "2030-06-30"})
    assert response.status_code == expected
    warranty.refresh_from_db()
    assert (warranty.ends_on == date(2030, 6, 30)) is (expected == 200)


def test_a_warranty_cannot_end_before_it_starts(tree, actors, record, api_as):
    warranty = record.warranties.get(category="pipes")
    response = etag_patch(
        api_as(actors["district_official"]), f"{BASE}/warranties/{warranty.pk}/", {"ends_on": "1999-01-01"}
    )
    assert response.status_code == 400 and response.json()["errors"][0]["code"] == "ends_before_start"


def test_record_patch_needs_if_match_and_checks_the_property_service(tree, actors, record, api_as):
    client = api_as(actors["community_secretary"])
    url = f"{BASE}/records/{record.pk}/"
    assert client.patch(url, {"standards": "新标准"}, format="json").status_code == 428
    response = etag_patch(client, url, {"standards": "环境、安全、秩序新标准", "responsible_kind": "self_management"})
    assert response.status_code == 200 and response.json()["standards"] == "环境、安全、秩序新标准"
    assert response.json()["responsible_kind"] == "self_management"
    assert etag_patch(client, url, {"bogus": 1}).status_code == 400


@time_machine.travel(MAY)
def test_ledger_errors_are_documented_codes_and_write_nothing(tree, actors, record, api_as, passed_vote):
    client = api_as(actors["community_secretary"])
    base = {"record": record.pk, "kind": "charging", "entry_date": "2025-04-02", "amount": "100", "purpose": "充电桩",
            "decision": "业委会同意", "decided_on": "2025-04-01"}  # fmt: skip
    cases = [
        ({"amount": "20000"}, "vote", "vote_required"),
        ({"entry_date": "2025-09-01"}, "entry_date", "future_date"),
        ({"decision": ""}, "decision", "required"),
        ({"amount": "-5"}, "amount", "negative_amount"),
        ({"kind": "lottery"}, "kind", "invalid_choice"),
        ({"extra": 1}, "extra", "unknown_field"),
    ]
    for change, attr, code in cases:
        response = client.post(f"{BASE}/ledger-entries/", {**base, **change}, format="json")
        assert response.status_code == 400, change
        error = response.json()["errors"][0]
        assert (error["attr"], error["code"]) == (attr, code)
    assert not LedgerEntry.objects.exists()
    large = client.post(f"{BASE}/ledger-entries/", {**base, "amount": "20000", "vote": passed_vote.pk}, format="json")
    assert large.status_code == 201 and large.json()["approval_kind"] == "vote"


@time_machine.travel(MAY)
def test_published_quarter_refuses_entries_and_a_correction_goes_to_the_open_quarter(tree, actors, record, api_as):
    client = api_as(actors["community_secretary"])
    wrong = _entry(record, actors["community_secretary"], day="2025-03-01", amount="500")
    published = client.post(
        f"{BASE}/ledger-quarters/", {"record": record.pk, "year": 2025, "quarter": 1}, format="json"
    )
    assert published.status_code == 201
    assert published.json()["totals"] == [{"kind": "charging", "direction": "income", "amount": "500.00"}]
    again = client.post(f"{BASE}/ledger-quarters/", {"record": record.pk, "year": 2025, "quarter": 1}, format="json")
    assert again.json()["errors"][0]["code"] == "already_published"
    body = {"record": record.pk, "entry_date": "2025-03-02", "amount": "-100", "purpose": "更正", "decision": "业委会核对",
            "decided_on": "2025-04-01", "corrects": wrong.pk}  # fmt: skip
    refused = client.post(f"{BASE}/ledger-entries/", body, format="json")
    assert refused.status_code == 400 and refused.json()["errors"][0]["code"] == "quarter_published"
    corrected = client.post(f"{BASE}/ledger-entries/", {**body, "entry_date": "2025-04-02"}, format="json")
    assert (
        corrected.status_code == 201
        and corrected.json()["kind"] == "charging"
        and corrected.json()["corrects"] == wrong.pk
    )
    assert LedgerQuarter.objects.get().income_total == 500


@time_machine.travel(MAY)
def test_service_form_and_activity_through_the_api(tree, actors, record, api_as):
    client = api_as(actors["community_secretary"])
    items = [{"service": "保洁", "provider": "物业", "frequency": "每日", "price": "1.50", "price_unit": "元/次"}]
    bad = client.post(
        f"{BASE}/service-forms/",
        {"record": record.pk, "items": [{"service": "保洁", "provider": "物业", "frequency": "每日"}]},
        format="json",
    )
    assert (
        bad.status_code == 400
        and bad.json()["errors"][0]["code"] == "price_required"
        and not ServiceForm.objects.exists()
    )
    first = client.post(f"{BASE}/service-forms/", {"record": record.pk, "items": items}, format="json")
    second = client.post(f"{BASE}/service-forms/", {"record": record.pk, "items": items, "note": "再版"}, format="json")
    assert (first.json()["version"], second.json()["version"]) == (1, 2)
    assert [form["version"] for form in client.get(f"{BASE}/service-forms/?record={record.pk}").json()["results"]] == [
        2,
        1,
    ]
    space = client.post(
        f"{BASE}/spaces/", {"record": record.pk, "name": "茶室", "kind": "community_room", "area": "30"}, format="json"
    ).json()
    activity = client.post(
        f"{BASE}/activities/",
        {
            "space": space["id"],
            "title": "茶话会",
            "held_on": "2025-05-10",
            "organiser_kind": "party_branch",
            "capacity": 20,
        },
        format="json",
    )
    assert activity.status_code == 201
    url = f"{BASE}/activities/{activity.json()['id']}"
    assert client.post(f"{url}/signups/", {"count": 25}, format="json").json()["errors"][0]["code"] == "activity_full"
    assert client.post(f"{url}/signups/", {"count": 18}, format="json").json()["signups"] == 18
    assert client.post(f"{url}/attendance/", {"attendance": 16}, format="json").json()["attendance"] == 16
    photos = client.post(f"{url}/photos/", {"photos": [f.photo_file()]}, format="multipart")
    assert photos.status_code == 200 and len(photos.json()["photos"]) == 1
    assert client.get(photos.json()["photos"][0]["url"]).status_code == 200
    assert api_as(actors["contractor"]).get(photos.json()["photos"][0]["url"]).status_code == 404
    assert Activity.objects.get().signups == 18


@time_machine.travel(MAY)
def test_ledger_list_queries_do_not_grow_with_rows(tree, actors, record, api_as):
    client = api_as(actors["district_official"])
    _entry(record, actors["community_secretary"])
    client.get(f"{BASE}/ledger-entries/")
    with CaptureQueriesContext(connection) as few:
        client.get(f"{BASE}/ledger-entries/")
    for _ in range(5):
        _entry(record, actors["community_secretary"])
    with CaptureQueriesContext(connection) as many:
        assert len(client.get(f"{BASE}/ledger-entries/").json()["results"]) == 6
    assert len(many) == len(few)


@time_machine.travel(MAY)
def test_activity_list_queries_do_not_grow_with_rows(tree, actors, record, api_as):
    secretary = actors["community_secretary"]
    space = services.space_create(actor=secretary, record=record, name="茶室", kind="community_room", area="30")
    services.activity_create(
        actor=secretary, space=space, title="一", held_on="2025-05-01", organiser_kind="volunteers"
    )
    client = api_as(actors["district_official"])
    client.get(f"{BASE}/activities/")
    with CaptureQueriesContext(connection) as few:
        client.get(f"{BASE}/activities/")
    for n in range(4):
        services.activity_create(
            actor=secretary, space=space, title=f"活动{n}", held_on="2025-05-02", organiser_kind="volunteers"
        )
    with CaptureQueriesContext(connection) as many:
        assert len(client.get(f"{BASE}/activities/").json()["results"]) == 5
    assert len(many) == len(few)
