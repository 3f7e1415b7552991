"""Consultations: the seven-step order, meetings and overdue minutes, the roll import, votes end to end,
problems, scoping, and that the public page shows nothing private."""

import io
from datetime import UTC, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from openpyxl import Workbook

from consultations import selectors, services
from consultations.choices import (
    STEP_ORDER,
    BallotChannel,
    BallotChoice,
    Channel,
    Electorate,
    MatterType,
    Step,
    VoteResult,
)
from consultations.models import Ballot, Meeting, Need, OwnerUnit, Topic
from renovation_portal.errors import DomainError
from tests import factories as f

pytestmark = pytest.mark.django_db
ONLINE = {"channel": BallotChannel.ONLINE, "confirmation_ref": "WX-0001"}  # the online platform's receipt


@pytest.fixture
def secretary(actors):
    return actors["community_secretary"]


@pytest.fixture
def topic(tree, secretary):
    return services.topic_create(actor=secretary, compound=tree["compound_a"], title="加装电梯")


def _need(tree, secretary, topic=None):
    return services.need_record(
        actor=secretary,
        compound=tree["compound_a"],
        channel=Channel.TEA_MEETING,
        category="elevator",
        content="希望加装电梯",
        raised_by_name="徐林",
        raised_by_phone="13912345678",
        topic=topic,
    )


RECORDS = {
    Step.DRAFT_TOPIC: {"description": "3号楼加装电梯"},
    Step.RESEARCH: {"research_notes": "入户调研"},
    Step.DELIBERATION: {"decision": "同意"},
    Step.APPLY_RESULT: {"result_summary": "写入方案"},
    Step.SUPERVISION: {"supervision_notes": "每周巡查"},
}


def test_the_seven_steps_go_in_order_and_each_needs_its_record(tree, secretary, topic):
    with pytest.raises(DomainError) as refused:
        services.topic_advance(actor=secretary, topic=topic)
    assert refused.value.code == "step_record_missing"  # step 1 needs a need
    _need(tree, secretary, topic)
    seen = [topic.step]
    while topic.step != Step.PUBLIC_FEEDBACK:
        if topic.step in RECORDS:
            with pytest.raises(DomainError):
                services.topic_advance(actor=secretary, topic=topic)  # no record yet: refused, not skipped
            services.topic_record(actor=secretary, topic=topic, **RECORDS[topic.step])
        topic = services.topic_advance(actor=secretary, topic=topic)
        seen.append(topic.step)
    assert seen == STEP_ORDER
    assert list(topic.events.values_list("to_step", flat=True)) == STEP_ORDER
    with pytest.raises(DomainError):
        services.topic_advance(actor=secretary, topic=topic)
    services.topic_publish_feedback(actor=secretary, topic=topic, feedback="电梯已投入使用")
    assert Topic.objects.get(pk=topic.pk).feedback_published_at is not None


def test_a_step_record_cannot_be_written_at_another_step(tree, secretary, topic):
    with pytest.raises(DomainError) as refused:
        services.topic_record(actor=secretary, topic=topic, decision="提前写决定")
    assert refused.value.code == "wrong_step_record"


@pytest.mark.parametrize(
    "role,allowed",
    [
        ("district_official", True),
        ("subdistrict_official", True),
        ("community_secretary", True),
        ("contractor", False),
        ("inspector", False),
        ("outsider", False),
    ],
)
def test_who_may_move_a_topic(role, allowed, tree, actors, topic):
    _need(tree, actors["community_secretary"], topic)
    if allowed:
        assert services.topic_advance(actor=actors[role], topic=topic).step == Step.DRAFT_TOPIC
    else:
        with pytest.raises(PermissionDenied):
            services.topic_advance(actor=actors[role], topic=topic)


def test_secretary_of_another_community_cannot_touch_the_compound(tree, actors):
    from communities.choices import RoleKind

    other = f.user_with_role(RoleKind.COMMUNITY_SECRETARY, community=tree["comm_b"])
    with pytest.raises(PermissionDenied):
        services.topic_create(actor=other, compound=tree["compound_a"], title="x")


def test_meeting_with_two_new_topics_and_overdue_minutes(tree, secretary):
    held = timezone.now() - timedelta(days=4)
    meeting = services.meeting_log(
        actor=secretary,
        compound=tree["compound_a"],
        kind="tea_meeting",
        held_at=held,
        place="党群服务站",
        attendance=20,
        new_topic_titles=["停车棚", "小公园"],
        photos=[f.photo_file()],
    )
    assert sorted(meeting.topics.values_list("title", flat=True)) == ["停车棚", "小公园"]
    assert list(selectors.meetings_minutes_overdue()) == [meeting]
    with pytest.raises(DomainError):
        services.meeting_publish_minutes(actor=secretary, meeting=meeting)  # nothing written yet
    services.meeting_publish_minutes(actor=secretary, meeting=meeting, minutes="讨论了两个议题")
    assert not selectors.meetings_minutes_overdue().exists()
    recent = services.meeting_log(
        actor=secretary,
        compound=tree["compound_a"],
        kind="tea_meeting",
        held_at=timezone.now() - timedelta(days=2),
        place="x",
    )
    assert recent not in selectors.meetings_minutes_overdue()


def _roll_csv(rows, header="楼栋,单元,房号,业主,电话,专有部分面积"):
    return SimpleUploadedFile("roll.csv", ("\n".join([header, *rows]) + "\n").encode(), "text/csv")


def test_roll_import_reports_every_bad_row_and_imports_nothing(tree, secretary):
    building = tree["building_a"]
    report = services.owner_roll_import(
        actor=secretary,
        compound=tree["compound_a"],
        upload=_roll_csv(
            [
                f"{building.number},1,101,张三,139,80.5",
                "99号楼,1,102,李四,,70",
                f"{building.number},1,103,,,abc",
                f"{building.number},1,101,重复,,60",
            ]
        ),
    )
    assert not report.ok
    assert [row for row, _ in report.errors] == [3, 4, 5]
    assert "99号楼" in report.errors[0][1] and "abc" in report.errors[1][1]
    assert not OwnerUnit.objects.exists()


def test_roll_import_from_xlsx_creates_then_updates(tree, secretary):
    building = tree["building_a"]
    book = Workbook()
    sheet = book.active
    sheet.append(["楼栋", "单元", "房号", "业主", "电话", "专有部分面积"])
    sheet.append([building.number, 1, "101", "张三", "13900000000", 80.5])
    sheet.append([building.number, 2, "201", "李四", None, 66])
    buffer = io.BytesIO()
    book.save(buffer)
    upload = SimpleUploadedFile("roll.xlsx", buffer.getvalue())
    report = services.owner_roll_import(actor=secretary, compound=tree["compound_a"], upload=upload)
    assert (report.ok, report.created, report.updated) == (True, 2, 0)
    again = services.owner_roll_import(
        actor=secretary,
        compound=tree["compound_a"],
        upload=_roll_csv([f"{building.number},1,101,张三,13900000000,81.0"]),
    )
    assert (again.created, again.updated) == (0, 1)
    assert OwnerUnit.objects.get(unit="101").area == Decimal("81.00")


def test_roll_import_refuses_a_file_without_the_columns(tree, secretary):
    with pytest.raises(DomainError) as refused:
        services.owner_roll_import(
            actor=secretary, compound=tree["compound_a"], upload=_roll_csv(["a,b"], header="名字,其他")
        )
    assert refused.value.code == "bad_header"


def _units(tree, count=4, area="100"):
    return [
        OwnerUnit.objects.create(
            compound=tree["compound_a"],
            building=tree["building_a"],
            unit=f"{i}01",
            owner_name=f"业主{i}",
            area=Decimal(area),
        )
        for i in range(count)
    ]


def _vote_at_deliberation(tree, secretary, topic, matter=MatterType.REBUILD):
    _need(tree, secretary, topic)
    for step in (Step.DRAFT_TOPIC, Step.RESEARCH):
        topic = services.topic_advance(actor=secretary, topic=topic)
        services.topic_record(actor=secretary, topic=topic, **RECORDS[step])
    topic = services.topic_advance(actor=secretary, topic=topic)
    assert topic.step == Step.DELIBERATION
    return services.vote_create(
        actor=secretary,
        topic=topic,
        title="是否加装电梯",
        matter_type=matter,
        electorate=Electorate.BUILDING,
        building=tree["building_a"],
    )


def test_vote_freezes_the_electorate_counts_and_decides(tree, secretary, topic):
    units = _units(tree)
    vote = _vote_at_deliberation(tree, secretary, topic)
    services.vote_open(actor=secretary, vote=vote)
    OwnerUnit.objects.filter(pk=units[0].pk).update(area=Decimal("999"))  # later roll edits do not count
    assert vote.voters.get(owner_unit=units[0]).area == Decimal("100")
    voters = list(vote.voters.order_by("unit_label"))
    scan = f.photo_file("ballot.jpg")
    for voter, choice in zip(voters, [BallotChoice.FOR, BallotChoice.FOR, BallotChoice.FOR]):
        services.ballot_record(
            actor=secretary,
            vote=vote,
            voter=voter,
            choice=choice,
            channel=BallotChannel.PAPER,
            scan=f.photo_file("ballot.jpg"),
        )
    with pytest.raises(DomainError) as again:
        services.ballot_record(actor=secretary, vote=vote, voter=voters[0], choice=BallotChoice.AGAINST, scan=scan)
    assert again.value.code == "already_voted"
    with pytest.raises(DomainError) as no_scan:
        services.ballot_record(
            actor=secretary, vote=vote, voter=voters[3], choice=BallotChoice.FOR, channel=BallotChannel.PAPER
        )
    assert no_scan.value.code == "scan_required"
    open_tally = services.vote_tally(vote)
    assert open_tally.participation_met and open_tally.owners_still_needed == 0
    closed = services.vote_close(actor=secretary, vote=vote)
    assert closed.result == VoteResult.PASSED  # 3 of 4 owners and 300 of 400 m², all in favour


def test_vote_failing_for_lack_of_participation(tree, secretary, topic):
    _units(tree, count=6)
    vote = _vote_at_deliberation(tree, secretary, topic)
    services.vote_open(actor=secretary, vote=vote)
    for voter in list(vote.voters.all())[:3]:
        services.ballot_record(actor=secretary, vote=vote, voter=voter, choice=BallotChoice.FOR, **ONLINE)
    tally_now = services.vote_tally(vote)
    assert tally_now.owners_still_needed == 1 and tally_now.area_still_needed == Decimal("100.00")
    assert services.vote_close(actor=secretary, vote=vote).result == VoteResult.FAILED_PARTICIPATION


def test_vote_needs_a_roll_and_the_right_step(tree, secretary, topic):
    with pytest.raises(DomainError) as wrong_step:
        services.vote_create(actor=secretary, topic=topic, title="x", matter_type=MatterType.OTHER)
    assert wrong_step.value.code == "wrong_step"
    vote = _vote_at_deliberation(tree, secretary, topic)
    with pytest.raises(DomainError) as empty:
        services.vote_open(actor=secretary, vote=vote)
    assert empty.value.code == "empty_electorate"


def test_ballots_are_visible_only_to_the_organiser_and_officials(tree, actors, secretary, topic, api_as):
    from communities.choices import RoleKind

    _units(tree)
    vote = _vote_at_deliberation(tree, secretary, topic)
    services.vote_open(actor=secretary, vote=vote)
    services.ballot_record(actor=secretary, vote=vote, voter=vote.voters.first(), choice=BallotChoice.FOR, **ONLINE)
    colleague = f.user_with_role(RoleKind.COMMUNITY_SECRETARY, community=tree["comm_a"])
    expected = {
        "community_secretary": 1,
        "district_official": 1,
        "subdistrict_official": 1,
        "contractor": 0,
        "inspector": 0,
    }
    for role, count in expected.items():
        assert api_as(actors[role]).get("/api/v1/ballots/").json()["count"] == count, role
    assert api_as(colleague).get("/api/v1/ballots/").json()["count"] == 0
    assert api_as(colleague).get(f"/api/v1/votes/{vote.pk}/voters/").status_code == 403
    assert api_as(actors["district_official"]).get(f"/api/v1/votes/{vote.pk}/voters/").status_code == 200


def test_public_page_shows_decisions_and_progress_but_nothing_private(tree, secretary, topic, client):
    from communities import services as community_services

    building = tree["building_a"]
    community_services.building_lead_record(
        actor=secretary, building=building, name="徐林", phone="13911112222", chosen_by="appointed"
    )
    community_services.board_contact_set(
        actor=secretary, compound=tree["compound_a"], role="grid_worker", name="网格员甲", service_phone=""
    )
    units = _units(tree)
    OwnerUnit.objects.filter(pk=units[0].pk).update(owner_phone="13955556666")
    vote = _vote_at_deliberation(tree, secretary, topic)
    services.vote_open(actor=secretary, vote=vote)
    for voter in vote.voters.all():
        services.ballot_record(actor=secretary, vote=vote, voter=voter, choice=BallotChoice.FOR, **ONLINE)
    services.vote_close(actor=secretary, vote=vote)
    page = client.get(reverse("public-compound", args=[tree["compound_a"].code]))
    assert page.status_code == 200
    html = page.content.decode()
    assert "是否加装电梯" in html and "通过" in html and "徐林" in html
    for private in ("13911112222", "13933334444", "13955556666", "13912345678", "业主0", "业主1"):
        assert private not in html
    plate = client.get(reverse("building-plate", args=[tree["compound_a"].code, building.pk])).content.decode()
    assert "data:image/svg+xml" in plate and "13911112222" not in plate


def test_problem_answer_and_resolve_with_response_time(tree, secretary):
    problem = services.problem_record(
        actor=secretary, compound=tree["compound_a"], description="噪音", channel=Channel.HOTLINE
    )
    answered = services.problem_answer(actor=secretary, problem=problem, answer="已协调")
    assert answered.status == "answered" and answered.response_time is not None
    resolved = services.problem_answer(actor=secretary, problem=problem, answer="已解决", resolved=True)
    assert resolved.status == "resolved"
    with pytest.raises(DomainError):
        services.problem_answer(actor=secretary, problem=problem, answer="again")


@pytest.mark.parametrize(
    "role,sees_a,sees_b",
    [
        ("district_official", True, True),
        ("subdistrict_official", True, False),
        ("community_secretary", True, False),
        # contractors read the consultations of the compounds where their company works (they carry out decisions)
        ("contractor", True, False),
        ("inspector", True, True),
        ("outsider", False, False),
    ],
)
def test_consultation_lists_are_scoped(role, sees_a, sees_b, tree, actors, api_as):
    services.topic_create(actor=actors["district_official"], compound=tree["compound_a"], title="甲议题")
    services.topic_create(actor=actors["district_official"], compound=tree["compound_b"], title="乙议题")
    titles = {row["title"] for row in api_as(actors[role]).get("/api/v1/topics/").json()["results"]}
    assert ("甲议题" in titles, "乙议题" in titles) == (sees_a, sees_b)


def test_phones_in_the_api_are_masked_for_roles_that_do_not_need_them(tree, actors, api_as):
    _need(tree, actors["community_secretary"])
    assert (
        api_as(actors["community_secretary"]).get("/api/v1/needs/").json()["results"][0]["raised_by_phone"]
        == "13912345678"
    )
    assert api_as(actors["inspector"]).get("/api/v1/needs/").json()["results"][0]["raised_by_phone"] == "139****5678"
    assert api_as(actors["inspector"]).get("/api/v1/owner-units/").json()["results"] == []


def test_topic_advance_through_the_api(tree, actors, api_as, topic):
    api = api_as(actors["community_secretary"])
    refused = api.post(f"/api/v1/topics/{topic.pk}/advance/", {})
    assert refused.status_code == 400 and refused.json()["errors"][0]["code"] == "step_record_missing"
    _need(tree, actors["community_secretary"], topic)
    assert api.post(f"/api/v1/topics/{topic.pk}/advance/", {}).json()["step"] == Step.DRAFT_TOPIC
    recorded = api.post(f"/api/v1/topics/{topic.pk}/record/", {"description": "议题内容"})
    assert recorded.status_code == 200 and recorded.json()["description"] == "议题内容"
    assert api_as(actors["contractor"]).post(f"/api/v1/topics/{topic.pk}/advance/", {}).status_code == 403
    assert api_as(actors["outsider"]).post(f"/api/v1/topics/{topic.pk}/advance/", {}).status_code == 404


def test_roll_import_through_the_api_reports_rows(tree, actors, api_as):
    api = api_as(actors["community_secretary"])
    bad = api.post(
        "/api/v1/owner-units/import/",
        {"compound": tree["compound_a"].pk, "file": _roll_csv(["99号楼,1,101,张三,,80"])},
        format="multipart",
    )
    assert bad.status_code == 400 and bad.json()["errors"][0]["detail"].startswith("Row 2")
    good = api.post(
        "/api/v1/owner-units/import/",
        {"compound": tree["compound_a"].pk, "file": _roll_csv([f"{tree['building_a'].number},1,101,张三,,80"])},
        format="multipart",
    )
    assert good.status_code == 201 and good.json()["created"] == 1


def test_meeting_form_on_the_web_with_errors_keeps_input(tree, actors, client):
    client.force_login(actors["community_secretary"])
    response = client.post(
        reverse("consultations:meeting-create"),
        {
            "compound": tree["compound_a"].pk,
            "kind": "tea_meeting",
            "held_at": "不是日期",
            "place": "活动室",
            "attendance": 12,
            "new_topics": "停车棚",
        },
    )
    assert response.status_code == 200
    assert "活动室" in response.content.decode() and not Meeting.objects.exists()


def test_secretary_home_lists_the_todo(tree, actors, client, topic):
    services.meeting_log(
        actor=actors["community_secretary"],
        compound=tree["compound_a"],
        kind="tea_meeting",
        held_at=timezone.now() - timedelta(days=5),
        place="x",
    )
    client.force_login(actors["community_secretary"])
    page = client.get(reverse("home")).content.decode()
    assert 'data-testid="today-minutes_due"' in page and tree["compound_a"].name in page and "逾期" in page


def test_need_recorded_on_behalf_by_a_building_lead(tree, secretary):
    need = services.need_record(
        actor=secretary,
        compound=tree["compound_a"],
        channel=Channel.DOOR_TO_DOOR,
        category="parking",
        content="停车难",
        on_behalf_role="building_lead",
        building=tree["building_a"],
    )
    assert Need.objects.get(pk=need.pk).on_behalf_role == "building_lead"
    with pytest.raises(DomainError):
        services.need_record(
            actor=secretary,
            compound=tree["compound_a"],
            channel=Channel.HOTLINE,
            category="other",
            content="x",
            building=tree["building_b"],
        )
    assert not Ballot.objects.exists()


# --- Anonymous lookups of the public pages are rate-limited per address ---


def test_anonymous_public_page_lookups_are_limited_per_address(tree, actors, client, settings):
    from datetime import datetime

    import time_machine

    settings.PUBLIC_PAGE_RATE = "5/minute"
    url = reverse("public-compound", args=[tree["compound_a"].code])
    with time_machine.travel(datetime(2026, 11, 25, 2, 0, 10, tzinfo=UTC), tick=False) as traveller:
        assert [client.get(url).status_code for _ in range(5)] == [200] * 5
        refused = client.get(url)
        assert refused.status_code == 429 and refused["Retry-After"] == "50"
        assert 'data-testid="public-throttled"' in refused.content.decode()
        assert client.get(url, REMOTE_ADDR="10.9.8.7").status_code == 200  # another address: its own count
        client.force_login(actors["community_secretary"])
        assert client.get(url).status_code == 200  # signed-in staff are not limited
        client.logout()
        traveller.shift(50)
        assert client.get(url).status_code == 200  # a new minute


def test_guessing_compound_codes_is_stopped_after_a_few_misses(tree, client, settings):
    settings.PUBLIC_MISS_RATE = "3/hour"
    for guess in ("A0001", "A0002", "A0003"):
        assert client.get(reverse("public-compound", args=[guess])).status_code == 404
    # Even a right guess is now refused, and so is the plate page: no more codes learned from this address.
    refused = client.get(reverse("public-compound", args=[tree["compound_a"].code]))
    assert refused.status_code == 429 and int(refused["Retry-After"]) > 0
    plate = reverse("building-plate", args=[tree["compound_a"].code, tree["building_a"].pk])
    assert client.get(plate).status_code == 429


def test_public_page_limit_fails_open_without_redis(tree, client, settings):
    settings.PUBLIC_PAGE_RATE = "2/minute"
    settings.CACHES = {"default": {**settings.CACHES["default"], "LOCATION": "redis://127.0.0.1:1/0"}}
    url = reverse("public-compound", args=[tree["compound_a"].code])
    assert [client.get(url).status_code for _ in range(4)] == [200] * 4
