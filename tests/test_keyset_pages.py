"""Keyset pages (the phone's sync) when many rows share one ``updated_at``: a bulk update stamps them with one time.

DRF's cursor held the time alone and stepped over equal times with an OFFSET capped at 1000, so past a thousand
tied rows its ``next`` link repeated for ever and rows were skipped. The cursor now holds (time, id)."""

from base64 import b64encode
from urllib.parse import urlencode

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from communities.models import Building

pytestmark = pytest.mark.django_db

TIED = 1300


def _walk(client, url, link):
    """Every page from ``url`` following ``link`` (next or previous): the ids in the order served, and the pages."""
    ids, pages, seen = [], 0, set()
    while url:
        assert url not in seen, f"the {link} link repeats"
        seen.add(url)
        body = client.get(url).json()
        ids += [row["id"] for row in body["results"]]
        pages += 1
        url = body[link]
    return ids, pages


def test_a_sync_pages_through_more_tied_rows_than_drfs_offset_cap_once_each(tree, actors, api_as):
    compound = tree["compound_a"]
    Building.objects.bulk_create(
        [Building(compound=compound, number=f"T{n}", floors=6, household_count=30) for n in range(TIED)]
    )
    Building.objects.update(updated_at=timezone.now())  # every row the same time
    expected = list(Building.objects.order_by("updated_at", "id").values_list("id", flat=True))
    client = api_as(actors["inspector"])

    ids, pages = _walk(client, "/api/v1/buildings/?page_size=200", "next")
    assert ids == expected and pages == 7

    # Back again from the last page by ``previous``: the same rows, page by page.
    last = client.get("/api/v1/buildings/?page_size=200&ordering=-updated_at").json()  # newest first
    assert [row["id"] for row in last["results"]] == expected[::-1][:200]
    forward_last = None
    url = "/api/v1/buildings/?page_size=200"
    while url:
        body = client.get(url).json()
        forward_last, url = body, body["next"]
    back, _pages = _walk(client, forward_last["previous"], "previous")
    assert sorted(back) == expected[: len(expected) - len(forward_last["results"])]

    # A delta after one change: exactly that row.
    since = Building.objects.order_by("-updated_at").values_list("updated_at", flat=True)[0]
    changed = Building.objects.get(pk=expected[500])
    changed.floors = 7
    changed.save()
    delta, _pages = _walk(client, f"/api/v1/buildings/?{urlencode({'updated_since': since.isoformat()})}", "next")
    assert delta == [changed.pk]


def test_a_deep_keyset_page_costs_what_the_first_costs(tree, actors, api_as):
    Building.objects.bulk_create(
        [Building(compound=tree["compound_a"], number=f"T{n}", floors=6, household_count=30) for n in range(60)]
    )
    Building.objects.update(updated_at=timezone.now())
    client = api_as(actors["inspector"])
    first = client.get("/api/v1/buildings/?page_size=20").json()
    second = client.get(first["next"]).json()
    with CaptureQueriesContext(connection) as first_page:
        client.get("/api/v1/buildings/?page_size=20")
    with CaptureQueriesContext(connection) as third_page:
        assert [row["id"] for row in client.get(second["next"]).json()["results"]]
    assert len(third_page) == len(first_page) <= 4
    assert "OFFSET" not in third_page.captured_queries[-1]["sql"]


def test_a_cursor_made_before_the_pair_still_reads_and_a_bad_pair_is_a_404(tree, actors, api_as):
    client = api_as(actors["inspector"])
    anchor = Building.objects.order_by("updated_at", "id").first()
    old = b64encode(urlencode({"p": str(anchor.updated_at)}).encode()).decode()
    assert client.get(f"/api/v1/buildings/?cursor={old}").status_code == 200
    bad = b64encode(urlencode({"p": "yesterday|12"}).encode()).decode()
    response = client.get(f"/api/v1/buildings/?cursor={bad}")
    assert response.status_code == 404
