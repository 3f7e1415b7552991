"""The mobile API contract's shared mechanisms: safe retries, no lost updates, bodies too large."""

import threading
import time
from datetime import UTC, datetime

import pytest
from django.db import connection
from rest_framework.test import APIClient

from communities.models import ApiToken, Building
from renovation_portal.idempotency import purge_old_keys
from renovation_portal.models import IdempotencyKey
from tests import factories as f
from tests.conftest import etag_patch

pytestmark = pytest.mark.django_db


def _token(user) -> str:
    return ApiToken.issue(user=user, device_name="测试机")[1]


LOGIN = "/api/v1/auth/token/"


def test_retried_post_with_same_key_and_body_replays_and_creates_nothing(tree, actors, api):
    user = actors["inspector"]
    key = _token(user)
    body = {"username": user.username, "password": f.PASSWORD, "device_name": "第二台"}
    first = api.post(LOGIN, body, format="json", HTTP_AUTHORIZATION=f"Token {key}", HTTP_IDEMPOTENCY_KEY="k-1")
    again = api.post(LOGIN, body, format="json", HTTP_AUTHORIZATION=f"Token {key}", HTTP_IDEMPOTENCY_KEY="k-1")
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json() and again["Idempotent-Replayed"] == "true"
    assert ApiToken.objects.filter(user=user, device_name="第二台").count() == 1


def test_same_key_with_a_different_body_is_refused(tree, actors, api):
    user = actors["inspector"]
    key = _token(user)
    auth = {"HTTP_AUTHORIZATION": f"Token {key}", "HTTP_IDEMPOTENCY_KEY": "k-2"}
    api.post(LOGIN, {"username": user.username, "password": f.PASSWORD, "device_name": "a"}, format="json", **auth)
    response = api.post(
        LOGIN, {"username": user.username, "password": f.PASSWORD, "device_name": "b"}, format="json", **auth
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["code"] == "idempotency_key_reused"
    assert not ApiToken.objects.filter(device_name="b").exists()


def test_bad_idempotency_key_is_422(tree, actors, api):
    key = _token(actors["inspector"])
    response = api.post(LOGIN, {}, format="json", HTTP_AUTHORIZATION=f"Token {key}", HTTP_IDEMPOTENCY_KEY="x" * 101)
    assert response.status_code == 422 and response.json()["errors"][0]["code"] == "invalid_idempotency_key"


def test_keys_are_kept_48_hours_then_purged(tree, actors):
    from datetime import timedelta

    import time_machine
    from django.utils import timezone

    now = timezone.now()
    with time_machine.travel(now - timedelta(hours=30)):
        IdempotencyKey.objects.create(user=actors["inspector"], key="young", method="POST", path="/", request_hash="x")
    with time_machine.travel(now - timedelta(hours=50)):
        IdempotencyKey.objects.create(user=actors["inspector"], key="old", method="POST", path="/", request_hash="x")
    assert purge_old_keys() == 1
    assert list(IdempotencyKey.objects.values_list("key", flat=True)) == ["young"]


@pytest.mark.django_db(transaction=True)
def test_concurrent_retries_with_the_same_key_create_one_row(tree, actors):
    user = actors["inspector"]
    key = _token(user)
    body = {"username": user.username, "password": f.PASSWORD, "device_name": "并发"}
    results, barrier = [], threading.Barrier(4)

    def post():
        client = APIClient()
        barrier.wait()
        response = client.post(
            LOGIN, body, format="json", HTTP_AUTHORIZATION=f"Token {key}", HTTP_IDEMPOTENCY_KEY="same-key"
        )
        results.append((response.status_code, response.json()))
        connection.close()

    threads = [threading.Thread(target=post) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # One request runs; each other either replays its answer or, meeting it still running, gets 409 at once.
    statuses = sorted(status for status, _ in results)
    assert statuses.count(201) >= 1 and set(statuses) <= {201, 409}
    assert len({body["token"] for status, body in results if status == 201}) == 1
    assert all(
        body["errors"][0]["code"] == "idempotency_request_in_progress" for status, body in results if status == 409
    )
    assert ApiToken.objects.filter(user=user, device_name="并发").count() == 1


def _in_progress(user, key, age):
    """Leave the key as a request that never finished leaves it (its worker killed), ``age`` ago."""
    from django.utils import timezone

    IdempotencyKey.objects.filter(user=user, key=key).update(
        status_code=None, response_body=b"", response_content_type="", created_at=timezone.now() - age
    )


def test_a_repeat_meeting_its_first_request_still_running_gets_409_at_once(tree, actors, api):
    from datetime import timedelta

    user = actors["inspector"]
    auth = {"HTTP_AUTHORIZATION": f"Token {_token(user)}", "HTTP_IDEMPOTENCY_KEY": "k-busy"}
    body = {"username": user.username, "password": f.PASSWORD, "device_name": "忙"}
    assert api.post(LOGIN, body, format="json", **auth).status_code == 201
    _in_progress(user, "k-busy", timedelta(seconds=5))
    started = time.monotonic()
    response = api.post(LOGIN, body, format="json", **auth)
    assert time.monotonic() - started < 2  # no worker held waiting
    assert response.status_code == 409 and response["Retry-After"] == "2"
    assert response.json()["errors"][0]["code"] == "idempotency_request_in_progress"


def test_a_key_whose_request_died_is_taken_over_by_a_retry_after_two_minutes(tree, actors, api):
    from datetime import timedelta

    user = actors["inspector"]
    auth = {"HTTP_AUTHORIZATION": f"Token {_token(user)}", "HTTP_IDEMPOTENCY_KEY": "k-dead"}
    body = {"username": user.username, "password": f.PASSWORD, "device_name": "死"}
    assert api.post(LOGIN, body, format="json", **auth).status_code == 201
    ApiToken.objects.filter(device_name="死").delete()  # the request's own transaction died with its worker
    _in_progress(user, "k-dead", timedelta(seconds=121))
    retried = api.post(LOGIN, body, format="json", **auth)
    assert retried.status_code == 201 and "Idempotent-Replayed" not in retried
    record = IdempotencyKey.objects.get(user=user, key="k-dead")
    assert record.status_code == 201  # completed by the retry, which is now what further repeats get
    again = api.post(LOGIN, body, format="json", **auth)
    assert again["Idempotent-Replayed"] == "true" and again.json() == retried.json()
    assert ApiToken.objects.filter(device_name="死").count() == 1
    # Taken over only by the same request: another body with that key is still refused.
    _in_progress(user, "k-dead", timedelta(seconds=121))
    other = api.post(LOGIN, {**body, "device_name": "另"}, format="json", **auth)
    assert other.status_code == 422


def test_a_retried_photo_upload_with_another_boundary_gets_the_first_answer(tree, actors, api):
    from django.test.client import encode_multipart

    from inspections.choices import Severity
    from inspections.models import ChecklistTemplate, Inspection, RectificationIssue
    from projects.models import Project

    project = Project.objects.get(compound=tree["compound_a"])
    inspection = Inspection.objects.create(
        project=project,
        tier=2,
        planned_date="2026-11-25",
        status="filed",
        template=ChecklistTemplate.objects.create(name="表", tier=2),
    )
    issue = RectificationIssue.objects.create(
        inspection=inspection,
        project=project,
        contractor=project.contractor,
        kind="safety",
        description="护栏",
        location="1号楼",
        severity=Severity.MAJOR,
        tier=2,
        deadline="2026-12-01",
    )
    url = f"/api/v1/issues/{issue.pk}/submit/"
    token = _token(actors["contractor"])

    def upload(boundary, photo, key="photo-1"):
        body = encode_multipart(boundary, {"note": "已整改", "photos": [photo]})
        return api.post(
            url,
            body,
            content_type=f"multipart/form-data; boundary={boundary}",
            HTTP_AUTHORIZATION=f"Token {token}",
            HTTP_IDEMPOTENCY_KEY=key,
        )

    first = upload("----phoneBoundaryA1b2", f.photo_file())
    assert first.status_code == 200 and first.json()["status"] == "submitted"
    retry = upload("----phoneBoundaryZ9y8", f.photo_file())  # the phone's retry: same photo, new boundary
    assert retry.status_code == 200 and retry["Idempotent-Replayed"] == "true"
    assert retry.json() == first.json()
    other_photo = upload("----phoneBoundaryQ7", f.photo_file(size=(65, 48)))
    assert other_photo.status_code == 422
    assert other_photo.json()["errors"][0]["code"] == "idempotency_key_reused"


def test_get_returns_etag_and_patch_requires_it(tree, actors, api_as):
    client = api_as(actors["community_secretary"])
    url = f"/api/v1/buildings/{tree['building_a'].pk}/"
    etag = client.get(url)["ETag"]
    missing = client.patch(url, {"floors": 11}, format="json")
    assert missing.status_code == 428 and missing.json()["errors"][0]["code"] == "precondition_required"
    ok = client.patch(url, {"floors": 11}, format="json", HTTP_IF_MATCH=etag)
    assert ok.status_code == 200 and ok["ETag"] != etag
    stale = client.patch(url, {"floors": 12}, format="json", HTTP_IF_MATCH=etag)
    assert stale.status_code == 412 and stale.json()["errors"][0]["code"] == "precondition_failed"
    assert Building.objects.get(pk=tree["building_a"].pk).floors == 11


def test_a_wildcard_if_match_is_refused_and_saves_nothing(tree, actors, api_as):
    client = api_as(actors["community_secretary"])
    url = f"/api/v1/buildings/{tree['building_a'].pk}/"
    for header in ("*", '"abc", *'):
        response = client.patch(url, {"floors": 13}, format="json", HTTP_IF_MATCH=header)
        assert response.status_code == 428
        error = response.json()["errors"][0]
        assert error["code"] == "precondition_required" and "If-Match: *" in error["detail"]
    assert Building.objects.get(pk=tree["building_a"].pk).floors != 13


@pytest.mark.django_db(transaction=True)
def test_concurrent_patches_with_the_same_etag_one_wins_the_rest_get_412(tree, actors):
    secretary = actors["community_secretary"]
    url = f"/api/v1/buildings/{tree['building_a'].pk}/"
    setup = APIClient()
    setup.force_authenticate(secretary)
    etag = setup.get(url)["ETag"]
    statuses, barrier = [], threading.Barrier(5)

    def patch(n):
        client = APIClient()
        client.force_authenticate(secretary)
        barrier.wait()
        statuses.append(client.patch(url, {"floors": 10 + n}, format="json", HTTP_IF_MATCH=etag).status_code)
        connection.close()

    threads = [threading.Thread(target=patch, args=(n,)) for n in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [200, 412, 412, 412, 412]


def test_huge_body_is_413_json(tree, actors, api_as, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    client = api_as(actors["community_secretary"])
    url = f"/api/v1/buildings/{tree['building_a'].pk}/"
    response = client.patch(url, {"floors": "1" * 5000}, format="json", HTTP_IF_MATCH=client.get(url)["ETag"])
    assert response.status_code == 413
    assert response.json()["errors"][0]["code"] == "payload_too_large"


def test_updated_since_returns_only_changed_rows(tree, actors, api_as):
    from django.utils import timezone

    client = api_as(actors["district_official"])
    mark = timezone.now()
    Building.objects.filter(pk=tree["building_b"].pk).update(floors=9, updated_at=timezone.now())
    rows = client.get("/api/v1/buildings/", {"updated_since": mark.isoformat()}).json()["results"]
    assert [row["id"] for row in rows] == [tree["building_b"].pk]
    assert client.get("/api/v1/buildings/", {"updated_since": "昨天"}).status_code == 400


def test_deletions_are_synced_as_tombstones_within_scope(tree, actors, api_as):
    from django.utils import timezone

    from renovation_portal.sync import tombstone_record

    mark = timezone.now()
    tombstone_record(tree["building_a"])
    tombstone_record(tree["building_b"])
    own = api_as(actors["community_secretary"]).get("/api/v1/sync/deletions/", {"since": mark.isoformat()})
    assert [(row["model"], row["object_pk"]) for row in own.json()["results"]] == [
        ("communities.building", str(tree["building_a"].pk))
    ]
    assert api_as(actors["community_secretary"]).get("/api/v1/sync/deletions/").status_code == 400


@pytest.mark.parametrize(
    "query", [{"built_after": "99999999999999999999"}, {"updated_since": "4943-01-16T21:40:40-19:29"}]
)
def test_out_of_range_values_are_4xx_not_500(query, tree, actors, api_as):
    response = api_as(actors["district_official"]).get("/api/v1/compounds/", query)
    assert response.status_code in (200, 400)


def test_keyset_pages_walk_every_row_once(tree, actors, api_as):
    for n in range(7):
        f.BuildingFactory(compound=tree["compound_a"], number=f"{n + 10}号楼")
    client = api_as(actors["district_official"])
    seen, url = [], "/api/v1/buildings/?page_size=3"
    while url:
        body = client.get(url).json()
        seen += [row["id"] for row in body["results"]]
        url = body["next"]
    assert len(seen) == len(set(seen)) == Building.objects.count() == 9


def test_deleting_a_synced_record_anywhere_leaves_a_tombstone(tree, actors, api_as):
    """Admin deletes and cascades too: the project's scope items go with it, each with a tombstone."""
    from django.utils import timezone

    from communities.choices import RoleKind
    from projects.models import Project
    from tests import factories as f

    mark = timezone.now()
    project = Project.objects.get(compound=tree["compound_a"])
    item = f.ScopeItemFactory(project=project)
    project_pk = project.pk
    project.delete()
    rows = api_as(actors["community_secretary"]).get("/api/v1/sync/deletions/", {"since": mark.isoformat()}).json()
    assert {(row["model"], row["object_pk"]) for row in rows["results"]} >= {
        ("projects.project", str(project_pk)),
        ("projects.scopeitem", str(item.pk)),
    }
    # The project's own contractor learns of it too (it no longer sees the compound); another company does not.
    own = api_as(actors["contractor"]).get("/api/v1/sync/deletions/", {"since": mark.isoformat()}).json()
    assert ("projects.project", str(project_pk)) in {(r["model"], r["object_pk"]) for r in own["results"]}
    other = f.user_with_role(RoleKind.CONTRACTOR, company=tree["company_b"])
    rows = api_as(other).get("/api/v1/sync/deletions/", {"since": mark.isoformat()}).json()["results"]
    assert ("projects.project", str(project_pk)) not in {(r["model"], r["object_pk"]) for r in rows}


def test_an_unknown_field_is_refused_not_dropped(tree, actors, api_as):
    client = api_as(actors["community_secretary"])
    url = f"/api/v1/buildings/{tree['building_a'].pk}/"
    response = etag_patch(client, url, {"floors": 14, "lead_phone_number": "13800000000"})
    assert response.status_code == 400
    assert response.json()["errors"] == [
        {"code": "unknown_field", "detail": "Unknown field.", "attr": "lead_phone_number"}
    ]
    assert client.get(url).json()["floors"] != 14  # nothing saved
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    assert schema["components"]["schemas"]["PatchedBuildingRequest"]["additionalProperties"] is False


def test_per_user_throttling_answers_429_with_a_clear_body(tree, actors, api_as, monkeypatch):
    import time_machine

    from renovation_portal.throttling import UserRateThrottle

    monkeypatch.setattr(UserRateThrottle, "rate", "3/minute", raising=False)
    client = api_as(actors["community_secretary"])
    with time_machine.travel(datetime(2026, 11, 25, 10, 0, 5, tzinfo=UTC), tick=False) as traveller:
        assert [client.get("/api/v1/me/").status_code for _ in range(3)] == [200, 200, 200]
        response = client.get("/api/v1/me/")
        assert response.status_code == 429 and int(response["Retry-After"]) == 55  # until the minute is over
        body = response.json()
        assert body["type"] == "client_error" and body["errors"][0]["code"] == "throttled"
        assert api_as(actors["district_official"]).get("/api/v1/me/").status_code == 200  # per user, not global
        traveller.shift(55)
        assert api_as(actors["community_secretary"]).get("/api/v1/me/").status_code == 200  # a new minute


def test_the_rate_limit_keeps_one_counter_per_user_and_window(tree, actors, api_as, monkeypatch):
    from django.core.cache import cache

    from renovation_portal.throttling import UserRateThrottle

    monkeypatch.setattr(UserRateThrottle, "rate", "1000/hour", raising=False)
    import time_machine

    client = api_as(actors["community_secretary"])
    with time_machine.travel(datetime(2026, 11, 25, 10, 0, 5, tzinfo=UTC), tick=False):
        for _ in range(20):
            assert client.get("/api/v1/me/").status_code == 200
        window = int(time.time() // 3600)
    assert cache.get(f"throttle_user_{actors['community_secretary'].pk}:{window}") == 20  # a number, not a list
