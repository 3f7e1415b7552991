"""API foundation: authentication, the error shape, tokens, the schema, query counts."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from communities.models import ApiToken, User
from tests import factories as f
from tests.conftest import etag_patch

pytestmark = pytest.mark.django_db


def test_missing_token_is_401_json(api):
    response = api.get("/api/v1/compounds/")
    assert response.status_code == 401
    body = response.json()
    assert body["type"] == "client_error" and body["errors"][0]["code"] == "not_authenticated"
    assert response["WWW-Authenticate"] == "Token"


def test_bad_token_is_401_json(api):
    response = api.get("/api/v1/me/", HTTP_AUTHORIZATION="Token not-a-real-token")
    assert response.status_code == 401
    assert response.json()["errors"][0]["code"] == "authentication_failed"


@pytest.mark.parametrize(
    "path", ["/api/v1/compounds/999999/", "/api/v1/compounds/abc/", "/api/v1/nope/", "/api/v1/buildings/0/"]
)
def test_unknown_id_or_path_is_404_json(path, tree, actors, api_as):
    response = api_as(actors["district_official"]).get(path)
    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["errors"][0]["code"] == "not_found"


def test_token_login_use_and_logout(tree, actors, api):
    user = actors["community_secretary"]
    login = api.post(
        "/api/v1/auth/token/", {"username": user.username, "password": f.PASSWORD, "device_name": "张书记的手机"}
    )
    assert login.status_code == 201
    key = login.json()["token"]
    assert ApiToken.objects.get(user=user).device_name == "张书记的手机"
    assert not ApiToken.objects.filter(key_digest=key).exists()  # only the digest is stored

    me = api.get("/api/v1/me/", HTTP_AUTHORIZATION=f"Token {key}")
    assert me.status_code == 200
    assert me.json()["roles"][0]["kind"] == "community_secretary"
    assert me.json()["scope"]["community_ids"] == [tree["comm_a"].pk]

    assert api.delete("/api/v1/auth/token/", HTTP_AUTHORIZATION=f"Token {key}").status_code == 204
    assert api.get("/api/v1/me/", HTTP_AUTHORIZATION=f"Bearer {key}").status_code == 401


def test_token_login_with_wrong_password_is_clear_400(tree, actors, api):
    response = api.post(
        "/api/v1/auth/token/", {"username": actors["contractor"].username, "password": "wrong", "device_name": "phone"}
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["code"] == "invalid_credentials"
    assert not ApiToken.objects.exists()


def test_token_login_with_missing_fields_lists_each_field(api):
    response = api.post("/api/v1/auth/token/", {})
    assert response.status_code == 400
    assert {error["attr"] for error in response.json()["errors"]} == {"username", "password", "device_name"}


def test_malformed_json_is_400(api):
    response = api.post("/api/v1/auth/token/", "{not json", content_type="application/json")
    assert response.status_code == 400
    assert response.json()["errors"][0]["code"] == "parse_error"


def test_user_can_revoke_own_device_but_not_anothers(tree, actors, api_as):
    mine = ApiToken.objects.create(user=actors["contractor"], key_digest="a" * 64, prefix="aaaa", device_name="旧手机")
    theirs = ApiToken.objects.create(user=actors["inspector"], key_digest="b" * 64, prefix="bbbb", device_name="x")
    client = api_as(actors["contractor"])
    assert [row["device_name"] for row in client.get("/api/v1/auth/tokens/").json()["results"]] == ["旧手机"]
    assert client.delete(f"/api/v1/auth/tokens/{theirs.pk}/").status_code == 404
    assert client.delete(f"/api/v1/auth/tokens/{mine.pk}/").status_code == 204
    assert list(ApiToken.objects.values_list("pk", flat=True)) == [theirs.pk]


def test_invalid_patch_value_is_400_and_changes_nothing(tree, actors, api_as):
    compound = tree["compound_a"]
    response = etag_patch(
        api_as(actors["district_official"]),
        f"/api/v1/compounds/{compound.pk}/",
        {"address": "新地址", "year_built": "古代"},
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["attr"] == "year_built"
    compound.refresh_from_db()
    assert compound.address == ""


def test_implausible_year_is_refused(tree, actors, api_as):
    response = etag_patch(
        api_as(actors["district_official"]), f"/api/v1/compounds/{tree['compound_a'].pk}/", {"year_built": 1200}
    )
    assert response.status_code == 400


def test_schema_and_docs_are_served(api, tree, actors, api_as):
    client = api_as(actors["district_official"])
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert schema.status_code == 200
    assert "/api/v1/compounds/" in schema.json()["paths"]
    docs = client.get("/api/docs/")
    assert docs.status_code == 200
    assert b"cdn" not in docs.content.lower()  # Swagger UI comes from the sidecar, not a CDN


def _count_queries(client, path):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(path)
    assert response.status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize(
    "path,queries",
    [
        ("/api/v1/compounds/", 2),
        ("/api/v1/buildings/", 2),  # roles, the keyset page
        ("/api/v1/communities/", 3),  # roles, the count, the numbered page
    ],
)
def test_list_query_count_does_not_grow_with_rows(path, queries, tree, actors, api_as):
    """Pinned for 2 rows and for 12."""
    official = actors["district_official"]
    assert _count_queries(api_as(User.objects.get(pk=official.pk)), path) == queries
    for _ in range(10):
        compound = f.CompoundFactory(community=tree["comm_a"])
        f.PartyBranchFactory(compound=compound)
        f.OwnersBodyFactory(compound=compound)
        f.PropertyServiceFactory(compound=compound, company=tree["company_a"])
        f.BuildingFactory(compound=compound)
    assert _count_queries(api_as(User.objects.get(pk=official.pk)), path) == queries
