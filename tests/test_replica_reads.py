"""Reads on a replica (renovation_portal/db_router.py): lists, dashboards and exports read from the replica; writes,
reads inside a transaction, credentials and every read by a user within READ_YOUR_WRITES_SECONDS of their own write
go to the primary. The replica here is Django's test mirror of the primary (its own connection to the same test
database), so which connection served each query is what the tests look at; the tests are transactional because
the mirror's connection only sees committed rows. Without a replica (READ_REPLICA="", as in the rest of the suite)
nothing is routed."""

from datetime import timedelta

import pytest
import time_machine
from django.core.cache import cache
from django.db import connections, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from communities.choices import RoleKind
from communities.models import ApiToken, SecurityPolicy
from dashboards.models import PlaceFigure
from projects.models import Project
from renovation_portal.cache import redis_failed, redis_recovered
from renovation_portal.db_router import current_read_alias, reading_from_replica
from renovation_portal.prepared import statement_text
from tests import factories as f

pytestmark = pytest.mark.django_db(transaction=True, databases=["default", "replica"])

PROJECTS = Project._meta.db_table


@pytest.fixture
def replica(settings, db):
    SecurityPolicy.current()  # the row a running portal has had since its first request (created on first use)
    settings.READ_REPLICA = "replica"
    settings.READ_YOUR_WRITES_SECONDS = 5
    return settings


class Recorder:
    """The SQL each connection ran while the block ran."""

    def __enter__(self):
        self.primary = CaptureQueriesContext(connections["default"]).__enter__()
        self.replica = CaptureQueriesContext(connections["replica"]).__enter__()
        return self

    def __exit__(self, *exc):
        self.replica.__exit__(*exc)
        self.primary.__exit__(*exc)

    @staticmethod
    def _reads(captured, table):
        # A streamed export reads through a server-side cursor: DECLARE … CURSOR FOR SELECT.
        statements = [statement_text(q["sql"]) for q in captured.captured_queries]
        reads = [sql for sql in statements if sql.startswith(("SELECT", "DECLARE", "WITH"))]
        return [sql for sql in reads if table in sql]

    def primary_reads(self, table=PROJECTS):
        return self._reads(self.primary, table)

    def replica_reads(self, table=PROJECTS):
        return self._reads(self.replica, table)


def token_client(user, device="phone"):
    token, key = ApiToken.issue(user=user, device_name=device, otp_verified=True)
    # As on a phone in use: its last use stamped (a first use writes the stamp, and a request that wrote pins).
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=timezone.now())
    phone = APIClient()
    phone.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return phone


@pytest.fixture
def official(tree):
    return f.user_with_role(RoleKind.DISTRICT_OFFICIAL, district=tree["district"])


@pytest.fixture
def other_official(tree):
    return f.user_with_role(RoleKind.DISTRICT_OFFICIAL, district=tree["district"])


def test_lists_dashboards_and_exports_of_a_user_who_wrote_nothing_read_from_the_replica(
    replica, tree, official, client
):
    client.force_login(official)
    pages = {
        "API list": "/api/v1/projects/",
        "web list": reverse("projects:project-list"),
        "dashboard (API)": reverse("api:dashboard", args=["district", tree["district"].pk]),
        "dashboard (page)": reverse("dashboard:place", args=["district", tree["district"].pk]),
    }
    for name, url in pages.items():
        with Recorder() as queries:
            response = client.get(url)
        assert response.status_code == 200, name
        # A district's dashboard sums the rollups (raw SQL through the same router) and reads no project row.
        table = PlaceFigure._meta.db_table if name.startswith("dashboard") else PROJECTS
        assert queries.replica_reads(table), name
        assert queries.primary_reads(table) == [], (name, queries.primary_reads(table))
    with Recorder() as queries:
        response = client.get("/api/v1/projects/")
    assert {row["id"] for row in response.json()["results"]} == set(Project.objects.values_list("id", flat=True))

    # A streamed CSV export reads its rows while it is sent, after the middleware has returned: still the replica.
    with Recorder() as queries:
        response = client.get(reverse("projects:project-list"), {"export": "csv"})
        body = b"".join(response.streaming_content).decode("utf-8-sig")
    assert tree["compound_a"].name in body
    assert queries.replica_reads() and queries.primary_reads() == []
    assert current_read_alias() is None  # the request's routing ended with the response


def test_a_users_reads_right_after_their_own_write_go_to_the_primary_on_every_device(
    replica, tree, official, other_official, client
):
    project = Project.objects.get(compound=tree["compound_a"])
    phone = token_client(official)
    url = f"/api/v1/projects/{project.pk}/"
    with Recorder() as queries:
        etag = phone.get(url)["ETag"]
    assert queries.replica_reads() and queries.primary_reads() == []  # no write of this user yet: the replica
    with Recorder() as queries:
        assert phone.patch(url, {"name": "新名称"}, format="json", HTTP_IF_MATCH=etag).status_code == 200
    assert queries.replica_reads() == [] and queries.primary_reads()  # the If-Match check and the write: primary

    with Recorder() as queries:
        listed = phone.get("/api/v1/projects/")
    assert queries.replica_reads() == [] and queries.primary_reads()
    assert "新名称" in {row["name"] for row in listed.json()["results"]}

    client.force_login(official)  # the same user in the browser: also pinned to the primary
    with Recorder() as queries:
        assert client.get(reverse("projects:project-list")).status_code == 200
    assert queries.replica_reads() == [] and queries.primary_reads()

    # Someone else, at the same moment, reads from the replica.
    with Recorder() as queries:
        assert token_client(other_official, "other").get("/api/v1/projects/").status_code == 200
    assert queries.replica_reads() and queries.primary_reads() == []

    # Once the window has passed, the writer reads from the replica again.
    with time_machine.travel(timezone.now() + timedelta(seconds=6)):
        with Recorder() as queries:
            assert phone.get("/api/v1/projects/").status_code == 200
    assert queries.replica_reads() and queries.primary_reads() == []


def test_a_refused_write_pins_no_one_and_a_web_post_pins_its_user(replica, tree, official, client):
    project = Project.objects.get(compound=tree["compound_a"])
    client.force_login(official)
    refused = client.patch(f"/api/v1/projects/{project.pk}/", {"name": "x"}, content_type="application/json")
    assert refused.status_code == 428  # no If-Match: nothing written
    with Recorder() as queries:
        client.get(reverse("projects:project-list"))
    assert queries.replica_reads() and queries.primary_reads() == []

    cache.clear()
    response = client.post(reverse("logout"))
    assert response.status_code == 302
    client.force_login(official)
    with Recorder() as queries:
        client.get(reverse("projects:project-list"))
    assert queries.replica_reads() == [] and queries.primary_reads()


def test_writes_transactions_credentials_and_background_work_use_the_primary(replica, tree, official):
    with Recorder() as queries:
        Project.objects.count()  # outside a request (a Celery sweep, a command): the primary
    assert queries.primary_reads() and queries.replica_reads() == []

    with reading_from_replica():
        with Recorder() as queries:
            Project.objects.count()
        assert queries.replica_reads() and queries.primary_reads() == []

        with Recorder() as queries, transaction.atomic():
            Project.objects.select_for_update().filter(compound=tree["compound_a"]).first()
            Project.objects.count()  # inside the write's transaction: sees its own writes
        assert queries.replica_reads() == [] and len(queries.primary_reads()) == 2

        with Recorder() as queries:
            list(ApiToken.objects.all())  # credentials: a revoked token must stop working at once
        assert queries.replica_reads(ApiToken._meta.db_table) == []

        Project.objects.filter(compound=tree["compound_a"]).update(name="改")  # once it has written ...
        with Recorder() as queries:
            Project.objects.count()  # ... it reads on the primary
        assert queries.replica_reads() == [] and queries.primary_reads()


def test_with_redis_unreachable_every_request_reads_from_the_primary(replica, tree, official, client):
    phone = token_client(official)
    server = getattr(cache, "server", None)
    assert server is not None, "the suite runs on the real Redis (FailSoftRedisCache)"
    redis_failed(server, ConnectionError("test"), "the test")  # as after a failed call: the cache is a miss
    try:
        with Recorder() as queries:
            assert phone.get("/api/v1/projects/").status_code == 200
    finally:
        redis_recovered(server)
    assert queries.replica_reads() == [] and queries.primary_reads()


def test_without_a_replica_nothing_is_routed(settings, tree, official, client):
    assert settings.READ_REPLICA == ""  # the suite's default, as without DATABASE_REPLICA_URL
    client.force_login(official)
    with Recorder() as queries:
        assert client.get(reverse("projects:project-list")).status_code == 200
        assert client.get(reverse("api:dashboard", args=["district", tree["district"].pk])).status_code == 200
        with reading_from_replica():
            Project.objects.count()
    assert queries.replica.captured_queries == []
    assert queries.primary_reads()
