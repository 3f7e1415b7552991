"""Ballots carry who entered them, how they were cast and their evidence; ballots staff entered on the owners'
behalf are shown as such in the tally (web and API)."""

from decimal import Decimal

import pytest
from django.urls import reverse

from consultations import services
from consultations.choices import BallotChannel, BallotChoice, Electorate, MatterType, Step
from consultations.models import Ballot, OwnerUnit
from renovation_portal.errors import DomainError
from tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def secretary(actors):
    return actors["community_secretary"]


@pytest.fixture
def vote(tree, secretary):
    for i in range(4):
        OwnerUnit.objects.create(
            compound=tree["compound_a"],
            building=tree["building_a"],
            unit=f"{i}01",
            owner_name=f"业主{i}",
            area=Decimal("100"),
        )
    topic = services.topic_create(actor=secretary, compound=tree["compound_a"], title="加装电梯")
    topic.step = Step.DELIBERATION
    topic.save(update_fields=["step"])
    vote = services.vote_create(
        actor=secretary,
        topic=topic,
        title="是否加装电梯",
        matter_type=MatterType.REBUILD,
        electorate=Electorate.BUILDING,
        building=tree["building_a"],
    )
    return services.vote_open(actor=secretary, vote=vote)


def _voters(vote):
    return list(vote.voters.order_by("unit_label"))


@pytest.mark.parametrize(
    "channel,code",
    [
        (BallotChannel.PAPER, "scan_required"),
        (BallotChannel.ONLINE, "confirmation_required"),
        (BallotChannel.STAFF, "evidence_required"),
    ],
)
def test_a_ballot_without_its_evidence_is_refused(vote, secretary, channel, code):
    with pytest.raises(DomainError) as refused:
        services.ballot_record(
            actor=secretary, vote=vote, voter=_voters(vote)[0], choice=BallotChoice.FOR, channel=channel
        )
    assert refused.value.code == code
    assert not Ballot.objects.exists()


def test_a_ballot_entered_on_the_owners_behalf_keeps_who_and_its_evidence(vote, secretary):
    voters = _voters(vote)
    by_ref = services.ballot_record(
        actor=secretary,
        vote=vote,
        voter=voters[0],
        choice=BallotChoice.FOR,
        channel=BallotChannel.STAFF,
        confirmation_ref=" 通话记录 2026-001 ",
    )
    by_attachment = services.ballot_record(
        actor=secretary,
        vote=vote,
        voter=voters[1],
        choice=BallotChoice.FOR,
        channel=BallotChannel.STAFF,
        scan=f.photo_file("authorisation.jpg"),
    )
    assert (by_ref.entered_by, by_ref.confirmation_ref, by_ref.entered_by_staff) == (
        secretary,
        "通话记录 2026-001",
        True,
    )
    assert by_attachment.scan and by_attachment.entered_by_staff
    online = services.ballot_record(
        actor=secretary,
        vote=vote,
        voter=voters[2],
        choice=BallotChoice.AGAINST,
        channel=BallotChannel.ONLINE,
        confirmation_ref="WX-778",
    )
    assert not online.entered_by_staff
    with pytest.raises(DomainError) as too_long:
        services.ballot_record(
            actor=secretary,
            vote=vote,
            voter=voters[3],
            choice=BallotChoice.FOR,
            channel=BallotChannel.STAFF,
            confirmation_ref="x" * 101,
        )
    assert too_long.value.code == "bad_confirmation_ref"
    tally = services.vote_tally(vote)
    assert (tally.paper_ballots, tally.online_ballots, tally.staff_entered_ballots) == (0, 1, 2)


def test_api_refuses_an_unevidenced_ballot_and_shows_staff_entered_ones_in_the_tally(vote, secretary, api_as):
    api = api_as(secretary)
    voters = _voters(vote)
    refused = api.post("/api/v1/ballots/", {"voter": voters[0].pk, "choice": "for", "channel": "staff"})
    assert refused.status_code == 400 and refused.json()["errors"][0]["code"] == "evidence_required"
    legacy = api.post("/api/v1/ballots/", {"voter": voters[0].pk, "choice": "for", "paper": False})
    assert legacy.status_code == 400 and not Ballot.objects.exists()  # the old flag without evidence
    created = api.post(
        "/api/v1/ballots/",
        {"voter": voters[0].pk, "choice": "for", "channel": "staff", "confirmation_ref": "电话 0592-001"},
    )
    assert created.status_code == 201
    body = created.json()
    assert (body["channel"], body["entered_by"], body["entered_by_staff"]) == ("staff", secretary.pk, True)
    tally = api.get(f"/api/v1/votes/{vote.pk}/").json()["tally"]
    assert (tally["staff_entered_ballots"], tally["paper_ballots"], tally["online_ballots"]) == (1, 0, 0)
    rows = {row["id"]: row for row in api.get(f"/api/v1/votes/{vote.pk}/voters/").json()}
    assert (
        rows[voters[0].pk]["channel"],
        rows[voters[0].pk]["entered_by_staff"],
        rows[voters[0].pk]["entered_by"],
    ) == ("staff", True, secretary.pk)
    assert rows[voters[1].pk]["channel"] is None


def test_web_tally_shows_ballots_entered_by_staff(vote, secretary, client):
    client.force_login(secretary)
    url = reverse("consultations:vote-detail", args=[vote.pk])
    voters = _voters(vote)
    refused = client.post(
        url, {"action": "ballot", "voter": voters[0].pk, "choice": "for", "channel": "staff"}, follow=True
    )
    assert not Ballot.objects.exists() and "alert" in refused.content.decode()
    client.post(
        url,
        {
            "action": "ballot",
            "voter": voters[0].pk,
            "choice": "for",
            "channel": "staff",
            "confirmation_ref": "入户代录-01",
        },
    )
    client.post(
        url,
        {
            "action": "ballot",
            "voter": voters[1].pk,
            "choice": "for",
            "channel": "paper",
            "scan": f.photo_file("ballot.jpg"),
        },
    )
    assert Ballot.objects.count() == 2
    page = client.get(url).content.decode()
    assert 'data-testid="ballot-channels" data-staff-entered="1"' in page
    assert page.count('data-testid="ballot-channel"') == 2 and "入户代录-01" in page
