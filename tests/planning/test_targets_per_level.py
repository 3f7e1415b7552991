"""Each dashboard level shows its own target: the district its total, a subdistrict its share, a community or a
compound none — never another level's figure as its own. The dashboard opens on the current year."""

import pytest
from django.urls import reverse
from django.utils import timezone

from projects.services import target_set, target_split
from tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def targets(tree, actors):
    year = timezone.localdate().year
    district = actors["district_official"]
    total = target_set(actor=district, district=tree["district"], year=year, to_start=10, to_finish=6)
    target_split(actor=district, target=total, shares={tree["sub_a"]: (6, 4), tree["sub_b"]: (3, 2)})
    target_set(actor=district, district=tree["district"], year=year - 1, to_start=99, to_finish=98)
    return year


def board_target(client, user, level, pk, **params):
    client.force_login(user)
    response = client.get(reverse("api:dashboard", args=[level, pk]), params)
    assert response.status_code == 200, response.content
    return response.json()["progress"]


def test_each_level_shows_its_own_target(targets, tree, client):
    year = targets
    admin = f.UserFactory(is_superuser=True)
    district = board_target(client, admin, "district", tree["district"].pk)
    assert district["year"] == year
    assert district["target"] == {"year": year, "to_start": 10, "to_finish": 6}
    assert board_target(client, admin, "subdistrict", tree["sub_a"].pk)["target"] == {
        "year": year,
        "to_start": 6,
        "to_finish": 4,
    }
    assert board_target(client, admin, "subdistrict", tree["sub_b"].pk)["target"] == {
        "year": year,
        "to_start": 3,
        "to_finish": 2,
    }
    assert board_target(client, admin, "community", tree["comm_a"].pk)["target"] is None
    assert board_target(client, admin, "compound", tree["compound_a"].pk)["target"] is None
    # Last year: the district has a target, no subdistrict has a share of it.
    assert board_target(client, admin, "district", tree["district"].pk, year=year - 1)["target"]["to_start"] == 99
    assert board_target(client, admin, "subdistrict", tree["sub_a"].pk, year=year - 1)["target"] is None


def test_no_level_shows_another_levels_target_on_its_page(targets, tree, actors, client):
    pages = {
        ("district", tree["district"].pk, "district_official"): ("/ 10", "/ 6"),
        ("subdistrict", tree["sub_a"].pk, "subdistrict_official"): ("/ 6", "/ 4"),
        ("compound", tree["compound_a"].pk, "community_secretary"): (None, None),
    }
    for (level, pk, role), (start, finish) in pages.items():
        client.force_login(actors[role])
        page = client.get(reverse("dashboard:place", args=[level, pk])).content.decode()
        started = page.split('data-testid="fig-started">', 1)[1].split("</div>", 1)[0]
        finished = page.split('data-testid="fig-finished">', 1)[1].split("</div>", 1)[0]
        if start is None:
            assert "/" not in started and "/" not in finished, (level, started, finished)
        else:
            assert start in started and finished.endswith(f"{finish}</span>"), (level, started, finished)
