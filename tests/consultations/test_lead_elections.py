"""A building lead elected by an owners' vote of the building: when the vote closes passed, the candidate becomes
the building's lead through the communities service (the earlier lead's record is ended); a failed vote changes
nothing. Web (the vote form) and API (/api/v1/lead-elections/)."""

import pytest
from django.urls import reverse
from django.utils import timezone

from communities import services as community_services
from communities.models import BuildingLead
from consultations import services
from consultations.choices import BallotChoice, Step, VoteResult
from consultations.models import LeadElection, Vote
from renovation_portal.errors import DomainError
from tests.consultations.test_consultations import ONLINE, RECORDS, _need, _units

PRIVATE = "13911112222"


@pytest.fixture
def secretary(actors):
    return actors["community_secretary"]


@pytest.fixture
def topic(tree, secretary):
    topic = services.topic_create(actor=secretary, compound=tree["compound_a"], title="推选楼栋长")
    _need(tree, secretary, topic)
    for step in (Step.DRAFT_TOPIC, Step.RESEARCH):
        topic = services.topic_advance(actor=secretary, topic=topic)
        services.topic_record(actor=secretary, topic=topic, **RECORDS[step])
    return services.topic_advance(actor=secretary, topic=topic)


def _ballots(secretary, vote, choices):
    services.vote_open(actor=secretary, vote=vote)
    for voter, choice in zip(vote.voters.order_by("pk"), choices, strict=False):
        services.ballot_record(actor=secretary, vote=vote, voter=voter, choice=choice, **ONLINE)
    return services.vote_close(actor=secretary, vote=vote)


def test_a_passed_election_vote_records_the_lead_and_ends_the_earlier_one(tree, secretary, topic):
    _units(tree, count=4)
    earlier = community_services.building_lead_record(
        actor=secretary, building=tree["building_a"], name="张三", chosen_by="appointed", chosen_on="2020-01-01"
    )
    election = services.lead_election_create(
        actor=secretary,
        topic=topic,
        building=tree["building_a"],
        candidate_name="徐林",
        candidate_phone=PRIVATE,
        service_phone="0592-5551234",
    )
    vote = _ballots(
        secretary, election.vote, [BallotChoice.FOR, BallotChoice.FOR, BallotChoice.FOR, BallotChoice.AGAINST]
    )
    assert vote.result == VoteResult.PASSED
    election.refresh_from_db()
    lead = election.lead
    assert (lead.name, lead.phone, lead.service_phone, lead.chosen_by) == ("徐林", PRIVATE, "0592-5551234", "elected")
    assert lead.candidates == [{"name": "徐林", "votes": 3}] and lead.is_current
    assert lead.chosen_on == timezone.localdate(vote.closed_at) and str(vote.pk) in lead.basis
    earlier.refresh_from_db()
    assert earlier.ended_on == lead.chosen_on


def test_a_failed_election_vote_records_no_lead(tree, secretary, topic):
    _units(tree, count=4)
    election = services.lead_election_create(
        actor=secretary, topic=topic, building=tree["building_a"], candidate_name="徐林"
    )
    vote = _ballots(secretary, election.vote, [BallotChoice.FOR])
    assert vote.result != VoteResult.PASSED
    election.refresh_from_db()
    assert election.lead is None and not BuildingLead.objects.exists()


def test_an_election_needs_a_sound_candidate(tree, secretary, topic):
    for kwargs, code in (
        ({"candidate_name": " "}, "required"),
        ({"candidate_name": "徐林", "service_phone": "打我"}, "bad_phone"),
    ):
        with pytest.raises(DomainError) as refused:
            services.lead_election_create(actor=secretary, topic=topic, building=tree["building_a"], **kwargs)
        assert refused.value.code == code
    assert not Vote.objects.exists()


def test_the_vote_form_holds_an_election_and_refuses_a_compound_wide_one(tree, secretary, topic, client):
    client.force_login(secretary)
    url = reverse("consultations:vote-create", args=[topic.pk])
    base = {"title": "推选3号楼楼栋长", "matter_type": "other", "lead_candidate": "徐林"}
    client.post(url, {**base, "electorate": "compound"})
    assert not LeadElection.objects.exists()
    response = client.post(url, {**base, "electorate": "building", "building": tree["building_a"].pk})
    election = LeadElection.objects.get()
    assert response.status_code == 302 and election.candidate_name == "徐林"
    page = client.get(reverse("consultations:vote-detail", args=[election.vote_id])).content.decode()
    assert 'data-testid="lead-election"' in page and "徐林" in page


def test_api_election_is_scoped_and_links_the_lead(tree, actors, secretary, topic, api_as):
    _units(tree, count=2)
    body = {"topic": topic.pk, "building": tree["building_a"].pk, "candidate_name": "徐林", "candidate_phone": PRIVATE}
    assert api_as(actors["inspector"]).post("/api/v1/lead-elections/", body, format="json").status_code == 403
    assert api_as(actors["outsider"]).post("/api/v1/lead-elections/", body, format="json").status_code == 404
    wrong = api_as(secretary).post(
        "/api/v1/lead-elections/", {**body, "building": tree["building_b"].pk}, format="json"
    )
    assert wrong.status_code == 400
    client = api_as(secretary)
    created = client.post("/api/v1/lead-elections/", body, format="json")
    assert created.status_code == 201, created.content
    vote_id = created.json()["vote"]
    for step in ("open", "close"):
        if step == "close":
            vote = Vote.objects.get(pk=vote_id)
            for voter in vote.voters.all():
                services.ballot_record(actor=secretary, vote=vote, voter=voter, choice=BallotChoice.FOR, **ONLINE)
        assert client.post(f"/api/v1/votes/{vote_id}/{step}/").status_code == 200
    election = client.get(f"/api/v1/lead-elections/{created.json()['id']}/").json()
    assert election["result"] == "passed" and election["lead"] is not None
    lead = client.get(f"/api/v1/building-leads/{election['lead']}/").json()
    assert (lead["name"], lead["chosen_by"], lead["candidates"]) == ("徐林", "elected", [{"name": "徐林", "votes": 2}])
    masked = api_as(actors["contractor"]).get("/api/v1/lead-elections/").json()["results"]
    assert masked and PRIVATE not in str(masked)
