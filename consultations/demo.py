"""Demo consultations that follow the article: at 菡凌蓉小区 the party branch and owners' committee gathered needs
through tea meetings, WeChat groups and building leads' visits, and residents decided the plan through the
seven steps — an elevator vote that passed at building 3 and one that failed for lack of participation at
building 7. Its meetings went from invitation to minutes: two held (owners and building leads invited and signed
in, on the roll or by QR code; minutes published, the first corrected once) and one scheduled for next week.
嘉美花园 is earlier on the way, with a meeting whose minutes are overdue.

Idempotent: keyed on natural keys; a second load writes nothing.
"""

from datetime import datetime, time, timedelta
from decimal import Decimal

from django.utils import timezone

from communities.demo import _upsert
from communities.models import Compound, User
from consultations import services
from consultations.choices import (
    BallotChannel,
    BallotChoice,
    Channel,
    Electorate,
    InviteeKind,
    MatterType,
    MeetingKind,
    NeedCategory,
    OwnerKind,
    ProblemStatus,
    SignInChannel,
    Step,
    VoteResult,
    VoteStatus,
)
from consultations.models import (
    Ballot,
    Meeting,
    MeetingAttendance,
    MinutesVersion,
    Need,
    Owner,
    OwnerUnit,
    ResidentProblem,
    Survey,
    SurveyCode,
    SurveyResponse,
    Topic,
    TopicStepEvent,
    Vote,
    Voter,
)
from consultations.tally import is_major, tally
from projects.models import PlanVersion, ScopeItem
from renovation_portal.errors import DomainError

SURNAMES = "陈林黄张李王吴刘蔡杨郑许谢洪郭"


def _at(day, hour=19):
    return timezone.make_aware(datetime.combine(day, time(hour)))


def _roll(compound, building, units_per_stair=12, stairs=2, holders=None):
    """Owners of one building: units 101..., areas between 58 and 96 m². ``holders`` gives some units to one
    owner (label → (name, phone, kind)): an owner of several units counts once by head in a vote."""
    units = []
    for stair in range(1, stairs + 1):
        for index in range(units_per_stair):
            floor, room = index // 2 + 1, index % 2 + 1
            label = f"{stair}-{floor}0{room}"
            name, phone, kind = (holders or {}).get(
                label,
                (
                    SURNAMES[(index + stair) % len(SURNAMES)] + "业主" + label,
                    f"1380000{building.pk % 100:02d}{index:02d}",
                    OwnerKind.PERSON,
                ),
            )
            owner = _upsert(Owner, {"compound": compound, "name": name, "phone": phone, "id_tail": ""}, {"kind": kind})
            units.append(
                _upsert(
                    OwnerUnit,
                    {"building": building, "unit": label},
                    {
                        "compound": compound,
                        "stairwell": stair,
                        "owner": owner,
                        "owner_name": name,
                        "owner_phone": phone,
                        "area": Decimal(58 + (index * 7 + stair * 5) % 39),
                    },
                )
            )
    return units


# At 菡凌蓉小区 one resident owns three flats of building 3 (one head, three units' area), and the developer still
# holds two unsold flats of building 7.
HLR_B3_HOLDERS = dict.fromkeys(("1-101", "1-102", "2-101"), ("陈建国", "13800001111", OwnerKind.PERSON))
HLR_B7_HOLDERS = dict.fromkeys(("2-601", "2-602"), ("厦门菡凌置业有限公司", "0592-5550000", OwnerKind.DEVELOPER))


def _topic(compound, title, step, actor, **record):
    topic, created = Topic.objects.get_or_create(
        compound=compound, title=title, defaults={"step": step, "created_by": actor, **record}
    )
    if created:
        steps = list(Step.values)
        previous = ""
        for value in steps[: steps.index(step) + 1]:
            TopicStepEvent.objects.create(topic=topic, from_step=previous, to_step=value, actor=actor)
            previous = value
    return topic


def _vote(topic, title, building, actor, turnout: float, approve: float, opened):
    vote, created = Vote.objects.get_or_create(
        topic=topic,
        title=title,
        defaults={
            "matter_type": MatterType.REBUILD,
            "electorate": Electorate.BUILDING,
            "building": building,
            "status": VoteStatus.CLOSED,
            "organiser": actor,
            "opened_at": opened,
            "closed_at": opened + timedelta(days=7),
        },
    )
    if created:
        units = list(OwnerUnit.objects.filter(building=building).order_by("stairwell", "unit"))
        voters = Voter.objects.bulk_create(
            [
                Voter(
                    vote=vote,
                    owner_unit=u,
                    unit_label=f"{building.number} {u.unit}",
                    owner_name=u.owner_name,
                    owner_id=u.owner_id,
                    area=u.area,
                )
                for u in units
            ]
        )
        voting = voters[: round(len(voters) * turnout)]
        in_favour = round(len(voting) * approve)
        for index, voter in enumerate(voting):
            Ballot.objects.create(
                voter=voter,
                choice=BallotChoice.FOR if index < in_favour else BallotChoice.AGAINST,
                channel=BallotChannel.ONLINE,
                confirmation_ref=f"示例-{vote.pk}-{index + 1:04d}",
                entered_by=actor,
                cast_at=opened + timedelta(days=index % 5),
            )
        result = tally(
            voters=[(v.area, None, None, v.owner_id) for v in voters[len(voting) :]]
            + [
                (v.area, BallotChoice.FOR if i < in_favour else BallotChoice.AGAINST, None, v.owner_id)
                for i, v in enumerate(voting)
            ],
            major=is_major(vote.matter_type),
        )
        vote.result = (
            VoteResult.PASSED
            if result.passed
            else VoteResult.FAILED_PARTICIPATION
            if not result.participation_met
            else VoteResult.FAILED_APPROVAL
        )
        vote.save(update_fields=["result"])
    return vote


# Residents' own reports from the plates' QR codes at 菡凌蓉小区 (handed over): text, building, tracking code,
# answer (empty: still open), published on the public page.
PLATE_REPORTS = [
    ("3号楼单元门门禁坏了，老人进出不便", "3号楼", "HLR3DEMO", "已报物业维修，门禁于次日修复。", True),
    ("7号楼楼道灯不亮", "7号楼", "HLR7DEMO", "", False),
    ("小公园健身器材螺丝松动", None, "HLRPDEMO", "已通知施工单位保修，两日内紧固。", False),
]
# The demo survey's answers: (overall, quality, site conduct, communication, comment) for the first households.
SURVEY_ANSWERS = [
    (5, 5, 4, 5, "电梯和停车棚都很好，感谢社区。"),
    (4, 4, 3, 5, "施工期间噪音有点大。"),
    (5, 5, 5, 4, ""),
    (3, 3, 2, 4, "希望保修期内及时维修。"),
    (4, 4, 4, 4, ""),
    (5, 4, 5, 5, "楼栋长很负责。"),
]


def _residents_in_the_loop(hlr, secretary):
    """A few residents' reports from the plate (one answered and published) and the satisfaction survey of the
    handed-over compound with the first households' answers. Idempotent: keyed on the tracking codes and on the
    compound's survey."""
    for index, (text, number, code, answer, published) in enumerate(PLATE_REPORTS):
        raised = _at(timezone.localdate() - timedelta(days=6 - index), 8)
        _upsert(
            ResidentProblem,
            {"tracking_code": code},
            {
                "compound": hlr,
                "building": hlr.buildings.filter(number=number).first() if number else None,
                "description": text,
                "channel": Channel.PLATE_QR,
                "raised_by_name": "居民" + SURNAMES[index + 5],
                "raised_by_phone": f"1395888{index:04d}",
                "status": ProblemStatus.RESOLVED
                if answer and published
                else (ProblemStatus.ANSWERED if answer else ProblemStatus.OPEN),
                "created_at": raised,
                "answer": answer,
                "answered_at": raised + timedelta(hours=5) if answer else None,
                "resolved_at": raised + timedelta(days=1) if answer and published else None,
                "published_at": raised + timedelta(hours=5) if published else None,
            },
        )
    survey = Survey.objects.filter(compound=hlr).order_by("pk").first()
    if survey is None:
        try:
            survey = services.survey_open(actor=secretary, compound=hlr)
        except DomainError:
            return  # not handed over in this data set
    codes = list(SurveyCode.objects.filter(survey=survey).order_by("pk")[: len(SURVEY_ANSWERS)])
    for code, (overall, quality, conduct, talk, comment) in zip(codes, SURVEY_ANSWERS, strict=False):
        if not SurveyResponse.objects.filter(code=code).exists():
            services.survey_answer(
                code=code.code,
                overall=overall,
                quality=quality,
                site_conduct=conduct,
                communication=talk,
                comment=comment,
            )


def _past_meeting(
    actor,
    compound,
    *,
    kind,
    held_at,
    place,
    buildings,
    topics,
    present: float,
    guests: int,
    minutes: str,
    decisions: str,
    representatives: str = "",
    correction: tuple[str, str] | None = None,
):
    """A meeting held in the past through the services, as it happened: scheduled, its invitees signed in (most
    ticked on the roll, a few by the QR code), the minutes published the next day (and corrected a day later).
    Keyed on the compound and place: a second load writes nothing."""
    if Meeting.objects.filter(compound=compound, place=place).exists():
        return
    meeting = services.meeting_schedule(
        actor=actor, compound=compound, kind=kind, held_at=held_at, place=place, buildings=buildings, topics=topics
    )
    owners = list(meeting.invitations.filter(kind=InviteeKind.OWNER).order_by("id"))
    leads = list(meeting.invitations.filter(kind=InviteeKind.BUILDING_LEAD).order_by("id"))
    for invitation in [*leads, *owners[: round(len(owners) * present)]]:
        services.meeting_sign_in(actor=actor, meeting=meeting, invitation=invitation)
    scanned = list(meeting.attendances.filter(invitation__owner__isnull=False).order_by("id"))[::4]
    MeetingAttendance.objects.filter(pk__in=[a.pk for a in scanned]).update(channel=SignInChannel.QR, recorded_by=None)
    for index, attendance in enumerate(meeting.attendances.order_by("id")):
        MeetingAttendance.objects.filter(pk=attendance.pk).update(
            signed_in_at=held_at - timedelta(minutes=20 - index % 20)
        )
    services.meeting_record(
        actor=actor,
        meeting=meeting,
        guests=guests,
        representatives=representatives,
        minutes=minutes,
        decisions=decisions,
    )
    services.meeting_publish_minutes(actor=actor, meeting=meeting)
    published = held_at + timedelta(days=1)
    Meeting.objects.filter(pk=meeting.pk).update(minutes_published_at=published)
    MinutesVersion.objects.filter(meeting=meeting, number=1).update(published_at=published)
    if correction is not None:
        text, note = correction
        version = services.meeting_correct_minutes(actor=actor, meeting=meeting, minutes=text, note=note)
        MinutesVersion.objects.filter(pk=version.pk).update(published_at=published + timedelta(days=1))


def load(stdout=None) -> dict:
    lianxiu = User.objects.get(username="secretary_lianxiu")
    xiahe = User.objects.get(username="secretary")
    hlr = Compound.objects.filter(code="LX-HLR").first()
    jmhy = Compound.objects.filter(code="XH-JMHY").first()
    if hlr is not None:
        b3 = hlr.buildings.get(number="3号楼")
        b7 = hlr.buildings.get(number="7号楼")
        _roll(hlr, b3, holders=HLR_B3_HOLDERS)
        _roll(hlr, b7, holders=HLR_B7_HOLDERS)
        needs = [
            (Channel.TEA_MEETING, NeedCategory.ELEVATOR, "3号楼老人多，希望加装电梯", b3),
            (Channel.DOOR_TO_DOOR, NeedCategory.ELEVATOR, "7号楼有住户希望加装电梯", b7),
            (Channel.WECHAT_GROUP, NeedCategory.PARKING, "电动车乱停，希望建停车棚、集中充电", None),
            (Channel.TEA_MEETING, NeedCategory.LEISURE, "小公园地面坑洼，希望铺塑胶地面、添健身器材", None),
        ]
        plan = PlanVersion.objects.filter(project__compound=hlr).order_by("-number").first()
        shed = ScopeItem.objects.filter(project__compound=hlr, name="电动车停车棚").first()
        parking = _topic(
            hlr,
            "电动车停车棚与集中充电",
            Step.PUBLIC_FEEDBACK,
            lianxiu,
            description="在小公园旁新建电动车停车棚，配集中充电桩。",
            research_notes="楼栋长入户摸排：约 300 辆电动车，现有停放点不足。",
            decision="近邻茶话会一致同意：在小公园旁新建停车棚。",
            result_summary="写入改造方案第 2 版，新增电动车停车棚 80 个车位。",
            plan_version=plan,
            supervision_notes="业委会成员张淑珍每周现场查看施工。",
            feedback="停车棚已建成投用，居民骑车进出有序。",
            feedback_published_at=_at(timezone.localdate().replace(year=2024, month=1, day=10), 10),
        )
        if shed is not None:
            parking.scope_items.add(shed)
        elevator3 = _topic(
            hlr,
            "3号楼加装电梯",
            Step.APPLY_RESULT,
            lianxiu,
            description="3号楼（6层，24户）加装电梯，费用按楼层分摊。",
            research_notes="征询意见：多数高层住户支持，一楼住户关注采光。",
            decision="3号楼业主表决通过加装电梯。",
        )
        elevator7 = _topic(
            hlr,
            "7号楼加装电梯",
            Step.DELIBERATION,
            lianxiu,
            description="7号楼加装电梯。",
            research_notes="部分住户在外地，意见征集不充分。",
        )
        for index, (channel, category, content, building) in enumerate(needs):
            topic = {0: elevator3, 1: elevator7, 2: parking}.get(index)
            _upsert(
                Need,
                {"compound": hlr, "content": content},
                {
                    "channel": channel,
                    "category": category,
                    "building": building,
                    "topic": topic,
                    "raised_by_name": "居民" + SURNAMES[index],
                    "raised_by_phone": f"1395000{index:04d}",
                    "on_behalf_role": "building_lead" if channel == Channel.DOOR_TO_DOOR else "",
                    "recorded_by": lianxiu,
                },
            )
        opened = _at(timezone.localdate().replace(year=2023, month=5, day=6))
        _vote(elevator3, "3号楼是否加装电梯", b3, lianxiu, turnout=0.9, approve=0.85, opened=opened)
        _vote(elevator7, "7号楼是否加装电梯", b7, lianxiu, turnout=0.5, approve=0.9, opened=opened)
        _past_meeting(
            lianxiu,
            hlr,
            kind=MeetingKind.TEA_MEETING,
            held_at=_at(opened.date() - timedelta(days=20)),
            place="菡凌蓉小区党群服务站",
            buildings=[b3, b7],
            topics=[parking, elevator3, elevator7],
            present=0.6,
            guests=4,
            representatives="李勇（党支部书记、业委会主任）\n张淑珍（业委会成员）",
            minutes="讨论停车棚选址、加装电梯意向和小公园改造。",
            decisions="停车棚建在小公园旁；3号楼、7号楼分别组织加装电梯表决。",
            correction=(
                "讨论停车棚选址、加装电梯意向和小公园改造。会上各楼栋长汇报了入户征求意见的情况。",
                "补记楼栋长汇报",
            ),
        )
        _past_meeting(
            lianxiu,
            hlr,
            kind=MeetingKind.JINLIN_SIMIN,
            held_at=_at(opened.date() + timedelta(days=10)),
            place="菡凌蓉小区小公园凉亭",
            buildings=[b3],
            topics=[elevator3],
            present=0.75,
            guests=2,
            minutes="通报3号楼加装电梯表决结果，讨论施工期间出行安排。",
            decisions="3号楼加装电梯进入施工准备；施工期间一楼入口设临时通道。",
        )
        # Next week's meeting: scheduled, its invitations sent (the secretaries and hooked leaders are notified);
        # no minutes are due before it takes place.
        if not Meeting.objects.filter(compound=hlr, place="菡凌蓉小区党群服务站二楼会议室").exists():
            services.meeting_schedule(
                actor=lianxiu,
                compound=hlr,
                kind=MeetingKind.TEA_MEETING,
                held_at=_at(timezone.localdate() + timedelta(days=7), 19),
                place="菡凌蓉小区党群服务站二楼会议室",
                buildings=[b7],
                topics=[elevator7],
            )
    if jmhy is not None:
        topic = _topic(
            jmhy, "废弃水池改建集中充电桩", Step.RESEARCH, xiahe, description="拆除废弃水池，改建集中充电桩。"
        )
        _upsert(
            Need,
            {"compound": jmhy, "content": "道路太窄，早晚高峰拥堵"},
            {
                "channel": Channel.HOTLINE,
                "category": NeedCategory.INFRASTRUCTURE,
                "recorded_by": xiahe,
                "raised_by_name": "徐林",
                "raised_by_phone": "13950001111",
            },
        )
        # Held five days ago, its minutes still unpublished: the secretary's minutes reminder.
        if not Meeting.objects.filter(compound=jmhy, place="厦禾社区党群服务中心").exists():
            meeting = services.meeting_schedule(
                actor=xiahe,
                compound=jmhy,
                kind=MeetingKind.JINLIN_SIMIN,
                held_at=_at(timezone.localdate() - timedelta(days=5), 19),
                place="厦禾社区党群服务中心",
                topics=[topic],
            )
            services.meeting_record(actor=xiahe, meeting=meeting, guests=18)
        for index, (text, state) in enumerate(
            [
                ("施工噪音影响休息", ProblemStatus.RESOLVED),
                ("楼道堆放建材", ProblemStatus.ANSWERED),
                ("充电桩何时开通", ProblemStatus.OPEN),
            ]
        ):
            raised = _at(timezone.localdate() - timedelta(days=10 - index), 9)  # same on a second load
            _upsert(
                ResidentProblem,
                {"compound": jmhy, "description": text},
                {
                    "channel": Channel.WECHAT_GROUP,
                    "status": state,
                    "created_by": xiahe,
                    "created_at": raised,
                    "answer": "" if state == ProblemStatus.OPEN else "已协调施工单位处理。",
                    "answered_at": None if state == ProblemStatus.OPEN else raised + timedelta(hours=6),
                    "resolved_at": raised + timedelta(days=1) if state == ProblemStatus.RESOLVED else None,
                },
            )
    if hlr is not None:
        _residents_in_the_loop(hlr, lianxiu)
    # Today's minutes reminder (嘉美花园's meeting), so the secretary's demo inbox has it (sent once: reruns add
    # nothing).
    from consultations import sweeps

    sweeps.remind_minutes()
    return {}
