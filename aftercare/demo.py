"""Demo aftercare: every handed-over demo project opens its compound's aftercare (as accepting it through the
projects service does), and 嘉美花园 tells the story after its handover — its completion is accepted through the
service (the open major issue of the inspections demo does not block it; a serious one would), the menu-style
property service publishes its service form, the charging points that replaced the old water tank bring in the
compound's own income (a finished quarter published to residents, the current one still open), and the party
branch holds the first neighbourly tea meeting in the new community room (the renovation also left a culture
corridor, a cultural publicity facility, for the dashboards' 数说改造). The community patrols it against the
environment standard this month: one finding for the property service, one warranty defect for the contractor.
After its renovation 莲前22号小区, which had no property service, brings in a menu-style one this year (the
dashboards' "原无物业小区引入物业").

Idempotent: each step looks for what it would write first, so loading twice writes nothing new.
"""

from datetime import date, timedelta
from decimal import Decimal

from django.utils import timezone

from aftercare import services
from aftercare.models import Activity, AftercareRecord, LedgerEntry, Patrol, ServiceForm, Space
from communities.choices import BoardRole, PropertyMode
from communities.models import BoardContact, Compound, User
from communities.services import board_contact_set, property_service_change
from inspections.services import checklist_seed_aftercare_standards
from projects.choices import ProjectStatus
from projects.hooks import completion_blockers
from projects.models import Project
from projects.services import project_accept_completion

JMHY = "XH-JMHY"
INTRODUCES_PROPERTY = "350203007-S2-2"  # 莲前22号小区（示例）: handed over in 2024 without property service


def property_introduced_on():
    """The day 莲前22号小区's menu-style property service starts: 45 days ago, and always this year."""
    today = timezone.localdate()
    return max(date(today.year, 1, 1), today - timedelta(days=45))


MENU = [
    ("公共区域保洁", "近邻物业", "每日一次", "0.30", "元/㎡·月"),
    ("生活垃圾清运", "近邻物业", "每日两次", "0.15", "元/㎡·月"),
    ("集中充电桩管理与巡查", "近邻物业", "每日巡查", "0.00", "元（电费分成抵扣）"),
    ("绿化养护", "近邻物业", "每月两次", "0.10", "元/㎡·月"),
    ("上门维修（水电）", "近邻物业", "预约，24小时内上门", "30.00", "元/次（材料另计）"),
    ("楼道照明维护", "近邻物业", "随报随修", "0.00", "元"),
]
SPACES = [
    ("近邻茶室", "community_room", "45", "原物业用房改造，居民议事、茶话会"),
    ("健身区", "fitness", "180", "塑胶地面与健身器材"),
    ("儿童游乐场", "playground", "140", "滑梯、沙池"),
    ("近邻文化长廊", "culture", "36", "党建与近邻文化宣传栏、居民公约公示"),
]


def _quarter_before(day):
    starts = services.quarter_of(day)[2]
    return services.quarter_of(starts - timedelta(days=1))


def _open_handed_over(official: User) -> int:
    """Aftercare for the demo's handed-over projects (the projects demo writes their history directly, so the
    handover listener never ran for them): what accepting each through the service would have opened."""
    opened = 0
    projects = (
        Project.objects.filter(status=ProjectStatus.HANDED_OVER)
        .exclude(warranties__isnull=False)
        .select_related("compound")
        .order_by("actual_finish", "pk")
    )
    for project in projects:
        services.aftercare_open_on_handover(project, official)
        opened += 1
    return opened


def _jmhy_story(official: User, secretary: User) -> None:
    project = Project.objects.filter(compound__code=JMHY).order_by("-batch").first()
    if project is None:
        return
    if project.status == ProjectStatus.COMPLETION_ACCEPTANCE and not completion_blockers(project):
        project_accept_completion(actor=official, project=project, note="竣工验收通过，移交小区后续管理。")
    record = AftercareRecord.objects.filter(compound_id=project.compound_id).first()
    if record is None:
        return
    today = timezone.localdate()
    if not ServiceForm.objects.filter(record=record).exists():
        services.service_form_publish(
            actor=secretary,
            record=record,
            published_on=record.opened_on,
            note="改造移交后首版服务表单（菜单式物业）",
            items=[
                {"service": s, "provider": p, "frequency": fq, "price": price, "price_unit": unit}
                for s, p, fq, price, unit in MENU
            ],
        )
    if not LedgerEntry.objects.filter(record=record).exists():
        year, quarter, starts, ends = _quarter_before(today)
        decided = starts - timedelta(days=10)
        decision = "业委会会议决定：充电桩电费分成纳入小区公共收益，用于公共设施维护，按季公示"
        for month in range(3):
            day = starts + timedelta(days=31 * month + 5)
            services.ledger_entry_record(
                actor=secretary, record=record, kind="charging", entry_date=min(day, ends),
                amount=Decimal("1860.00") + 120 * month, purpose="集中充电桩（原废弃水池改建）电费分成",
                decision=decision, decided_on=decided,
            )  # fmt: skip
        services.ledger_entry_record(
            actor=secretary, record=record, kind="advertising", entry_date=starts + timedelta(days=20),
            amount=Decimal("600.00"), purpose="小区门口广告位租金", decision=decision, decided_on=decided,
        )  # fmt: skip
        services.ledger_entry_record(
            actor=secretary, record=record, kind="maintenance", entry_date=ends - timedelta(days=3),
            amount=Decimal("850.00"), purpose="充电桩区域照明与消防器材维护", decision=decision, decided_on=decided,
        )  # fmt: skip
        services.ledger_quarter_publish(actor=secretary, record=record, year=year, quarter=quarter)
        this_quarter = services.quarter_of(today)[2]
        services.ledger_entry_record(
            actor=secretary, record=record, kind="charging", entry_date=max(this_quarter, today - timedelta(days=3)),
            amount=Decimal("2015.00"), purpose="集中充电桩（原废弃水池改建）电费分成", decision=decision,
            decided_on=decided,
        )  # fmt: skip
    spaces = {}
    for name, kind, area, description in SPACES:
        space = Space.objects.filter(record=record, name=name).first()
        if space is None:
            space = services.space_create(
                actor=secretary, record=record, name=name, kind=kind, area=area, opened_on=record.opened_on,
                description=description,
            )  # fmt: skip
        spaces[name] = space
    if not Activity.objects.filter(space__record=record).exists():
        tea = services.activity_create(
            actor=secretary, space=spaces["近邻茶室"], title="第一次近邻茶话会：新空间怎么用", held_on=today,
            organiser_kind="party_branch", capacity=20,
            description="党支部、业委会、物业“三驾马车”与居民代表一起商量茶室开放时间和充电桩收益的用法。",
        )  # fmt: skip
        services.activity_add_signups(actor=secretary, activity=tea, count=16)
        services.activity_record_attendance(actor=secretary, activity=tea, attendance=14)
        later = services.activity_create(
            actor=secretary, space=spaces["儿童游乐场"], title="亲子游园会", held_on=today + timedelta(days=9),
            organiser_kind="volunteers", capacity=30,
        )  # fmt: skip
        services.activity_add_signups(actor=secretary, activity=later, count=11)


def _jmhy_patrol(official: User, secretary: User) -> None:
    """This month's environment patrol of 嘉美花园 by the community: the waste point overflowing goes to the property
    service; the blocked rain-water drain the renovation laid is a warranty defect for the contractor."""
    record = AftercareRecord.objects.filter(compound__code=JMHY).select_related("compound__community").first()
    if record is None or Patrol.objects.filter(record=record).exists():
        return
    district = record.compound.community.subdistrict.district
    checklist_seed_aftercare_standards(actor=official, district=district)
    template = services.patrol_standards(record).filter(name__endswith="环境卫生标准").first()
    if template is None:
        return
    findings = {
        "env-waste": ("3号楼东侧垃圾分类点满溢，周末未清运", "3号楼东侧垃圾投放点", "minor", "property", ""),
        "env-drains": ("改造新铺雨水管在5号楼前堵塞，雨后路面积水", "5号楼前雨水井", "major", "contractor", "pipes"),
    }
    if record.property_service is None or record.property_service.company_id is None:
        findings["env-waste"] = (*findings["env-waste"][:3], "community", "")
    items = list(template.items.all())
    services.patrol_file(
        actor=secretary,
        record=record,
        template=template,
        results=[
            services.ResultInput(item=item, outcome="fail" if item.code in findings else "pass") for item in items
        ],
        findings=[
            services.PatrolFindingInput(
                item=item,
                description=findings[item.code][0],
                location=findings[item.code][1],
                severity=findings[item.code][2],
                responsible=findings[item.code][3],
                warranty_category=findings[item.code][4],
            )
            for item in items
            if item.code in findings
        ],
        summary="每月环境巡查：其余各项合格。",
    )


def _property_introduced(official: User) -> None:
    compound = Compound.objects.filter(code=INTRODUCES_PROPERTY, property_service__isnull=True).first()
    if compound is None:
        return
    property_service_change(
        actor=official, compound=compound, mode=PropertyMode.MENU, contact_name="陈晓燕",
        contact_phone="13950021877", contract_starts_on=property_introduced_on(),
    )  # fmt: skip
    # The building plate's property line now names the service instead of "居委会（暂无物业）" (same service phone).
    entry = BoardContact.objects.filter(compound=compound, building=None, role=BoardRole.PROPERTY_SERVICE).first()
    if entry is not None:
        board_contact_set(
            actor=official, compound=compound, role=BoardRole.PROPERTY_SERVICE, name="",
            service_phone=entry.service_phone,
        )  # fmt: skip


def load(stdout=None) -> dict:
    official = User.objects.filter(username="district").first()
    secretary = User.objects.filter(username="secretary").first()
    if official is None or secretary is None:
        return {}
    _jmhy_story(official, secretary)
    _jmhy_patrol(official, secretary)
    _open_handed_over(official)
    _property_introduced(official)
    return {}
