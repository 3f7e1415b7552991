"""Demo projects that tell the article's story: 菡凌蓉小区 and 屿后南里小区 renovated in the 2023 batch and handed
over, 嘉美花园 awaiting completion acceptance, 曾厝垵西里小区 under construction (with a dig-once clash to
resolve), 新港广场 waiting for the last party confirmations, and synthetic projects in every state.

Idempotent: rows are keyed on natural keys and a second load writes nothing.
"""

from datetime import date, datetime, time, timedelta
from decimal import ROUND_DOWN, Decimal

from django.utils import timezone

from communities.demo import COMPANIES, _upsert
from communities.models import Company, Compound, District, User
from projects.choices import (
    CATEGORY_UNITS,
    FundingSource,
    FundingStage,
    Party,
    ProjectStatus,
    ScopeCategory,
    WorkClass,
)
from projects.models import (
    PlanConfirmation,
    PlanVersion,
    ProgrammeTarget,
    ProgressReport,
    Project,
    ProjectEvent,
    ProjectFunding,
    ReportQuantity,
    ScopeItem,
)
from projects.services import funding_entry_record, project_create

FEN = Decimal("0.01")
# A project's money by source, as shares of its budget: the higher levels' subsidies carry most of it, the
# residents, the maintenance fund and the pipeline companies the rest (the programme's usual mix).
FUNDING_SPLIT = [
    (FundingSource.CENTRAL_SUBSIDY, Decimal("0.35")),
    (FundingSource.PROVINCIAL_FUNDS, Decimal("0.10")),
    (FundingSource.CITY_FUNDS, Decimal("0.10")),
    (FundingSource.DISTRICT_FUNDS, Decimal("0.25")),
    (FundingSource.RESIDENTS, Decimal("0.05")),
    (FundingSource.MAINTENANCE_FUND, Decimal("0.05")),
    (FundingSource.UTILITIES, Decimal("0.10")),
]
# How much of the allocation is paid out by the project's stage (the rest follows completion acceptance).
DISBURSED_SHARE = {
    ProjectStatus.CONSTRUCTION: Decimal("0.6"),
    ProjectStatus.COMPLETION_ACCEPTANCE: Decimal("0.9"),
    ProjectStatus.HANDED_OVER: Decimal("1"),
}
ALLOCATING_OFFICE = {
    FundingSource.CENTRAL_SUBSIDY: "闽财建",
    FundingSource.PROVINCIAL_FUNDS: "闽财建",
    FundingSource.CITY_FUNDS: "厦财建",
    FundingSource.DISTRICT_FUNDS: "思财建",
}
STEP_DAYS = 20  # days between lifecycle steps in the demo's history
LIFECYCLE = [
    ProjectStatus.PLANNING,
    ProjectStatus.SURVEY_DESIGN,
    ProjectStatus.PLAN_CONFIRMATION,
    ProjectStatus.CONSTRUCTION,
    ProjectStatus.COMPLETION_ACCEPTANCE,
    ProjectStatus.HANDED_OVER,
]

C = ScopeCategory
W = WorkClass
# (category, class, name, planned, completed share, excavation window as (start, end) offsets from the start)
HLR_SCOPE = [
    (C.PIPE_RAIN_SEWAGE, W.BASIC, "雨污分流管网", "1.20", 1, (10, 60)),
    (C.PIPE_WATER, W.BASIC, "供水管网", "0.85", 1, (20, 70)),
    (C.ROAD, W.BASIC, "沥青道路铺设", "12000", 1, None),
    (C.LIGHTS, W.BASIC, "路灯更新", "120", 1, None),
    (C.FIRE_SYSTEM, W.BASIC, "消防系统改造", "1", 1, None),
    (C.PARKING, W.IMPROVEMENT, "电动车停车棚", "80", 1, None),
    (C.ELDERLY, W.IMPROVEMENT, "适老化扶手与坡道", "3", 1, None),
    (C.GREENING, W.IMPROVEMENT, "小公园绿化", "1500", 1, None),
    (C.LEISURE, W.ENHANCEMENT, "塑胶地面活动场地与健身器材", "2", 1, None),
    (C.VIDEO, W.ENHANCEMENT, "公共视频监控", "40", 1, None),
]
YHNL_SCOPE = [
    (C.FACADE, W.BASIC, "花店一条街立面整治", "3200", 1, None),
    (C.ROAD, W.BASIC, "道路铺设", "5400", 1, None),
    (C.WASTE_POINT, W.IMPROVEMENT, "垃圾分类点", "3", 1, None),
    (C.SMART_PARKING, W.ENHANCEMENT, "智慧停车系统", "1", 1, None),
]
ZCA_SCOPE = [
    (C.ILLEGAL_STRUCTURES, W.BASIC, "架空层违建拆除", "2000", 1, None),
    (C.PIPE_RAIN_SEWAGE, W.BASIC, "雨污管网改造", "0.90", Decimal("0.7"), (0, 45)),
    # Planned a month after the sewage works close: the road would be opened twice (the dig-once warning).
    (C.PIPE_GAS, W.BASIC, "燃气管道更新", "0.60", 0, (75, 100)),
    (C.LEISURE, W.IMPROVEMENT, "健身区", "1", 0, None),
    (C.PARKING, W.IMPROVEMENT, "规范停车位", "60", Decimal("0.5"), None),
]
JMHY_SCOPE = [
    (C.ROAD, W.BASIC, "拓宽道路", "3600", 1, None),
    (C.PARKING, W.IMPROVEMENT, "集中充电桩（废弃水池改建）", "24", 1, None),
    (C.LEISURE, W.ENHANCEMENT, "健身与儿童游乐场地", "2", 1, None),
    (C.ELEVATOR, W.ENHANCEMENT, "加装电梯", "2", 1, None),
]
XGGC_SCOPE = [
    (C.FACADE, W.BASIC, "外立面改造", "4800", 0, None),
    (C.SERVICE_SPACE, W.ENHANCEMENT, "社区服务用房", "220", 0, None),
    (C.CULTURAL, W.ENHANCEMENT, "文化宣传设施", "6", 0, None),
]
SYNTHETIC_SCOPE = [
    (C.PIPE_POWER, W.BASIC, "供电线路改造", "0.40", None, (5, 40)),
    (C.PIPE_TELECOM, W.BASIC, "通信线路整治", "0.30", None, (10, 45)),
    (C.ROAD, W.BASIC, "道路铺设", "2500", None, None),
    (C.LIGHTS, W.BASIC, "照明设施", "40", None, None),
    (C.GREENING, W.IMPROVEMENT, "补绿", "600", None, None),
    (C.WASTE_POINT, W.IMPROVEMENT, "垃圾分类点", "2", None, None),
]

STORY = [
    # compound code, batch, status, progress, contractor index, scope, plan versions, confirmed parties of last
    ("LX-HLR", 2023, ProjectStatus.HANDED_OVER, 100, 0, HLR_SCOPE, 2, list(Party.values)),
    ("YHX-YHNL", 2023, ProjectStatus.HANDED_OVER, 100, 1, YHNL_SCOPE, 1, list(Party.values)),
    ("XH-JMHY", 2024, ProjectStatus.COMPLETION_ACCEPTANCE, 100, 0, JMHY_SCOPE, 1, list(Party.values)),
    ("ZCA-ZCAXL", 2024, ProjectStatus.CONSTRUCTION, 60, 0, ZCA_SCOPE, 1, list(Party.values)),
    (
        "KY-XGGC",
        2024,
        ProjectStatus.PLAN_CONFIRMATION,
        0,
        1,
        XGGC_SCOPE,
        1,
        [Party.CONSTRUCTION_OWNER, Party.DESIGNER, Party.CONTRACTOR, Party.SUPERVISOR],
    ),
]


def _at(day: date, hour: int = 10):
    return timezone.make_aware(datetime.combine(day, time(hour)))


def _project(compound, batch, status, progress, contractor, scope, versions, confirmed, actors, start):
    """Bring the compound's project of this batch to its place in the story. The project itself is created by the
    planning demo (declaration → library → annual plan → ``project_create``, with the EPC award); this adds what
    happened since: its lifecycle, plans, scope progress and reports."""
    finish = start + timedelta(days=150)
    project = Project.objects.filter(compound=compound, batch=batch).first()
    if project is None:  # the planning app did not create it (no plan): open it through the same service
        project = project_create(
            actor=actors["district"],
            compound=compound,
            name=f"{compound.name}老旧小区改造工程",
            batch=batch,
            contractor=contractor,
            budget=Decimal(compound.household_count) * 12000,
        )
    created = (
        not project.events.exclude(to_status=ProjectStatus.PLANNING).exists() and not project.plan_versions.exists()
    )
    if created:
        Project.objects.filter(pk=project.pk).update(
            status=status,
            progress_percent=progress,
            engineering_coordinator="黄宏伟（示例）" if contractor.name == COMPANIES[0][0] else "郑国强（示例）",
            planned_start=start,
            planned_finish=finish,
            actual_start=start + timedelta(days=STEP_DAYS * 3) if LIFECYCLE.index(status) >= 3 else None,
            actual_finish=finish if status == ProjectStatus.HANDED_OVER else None,
        )
        project.events.update(created_at=_at(start))
        project.refresh_from_db()
    budget = project.budget
    for source, share in FUNDING_SPLIT:
        _upsert(ProjectFunding, {"project": project, "source": source}, {"amount": (budget * share).quantize(FEN)})
    if created:
        reached = LIFECYCLE.index(status)
        previous = ProjectStatus.PLANNING
        for step, target in enumerate(LIFECYCLE[: reached + 1]):
            if step == 0:
                continue  # "opened" was recorded by project_create
            ProjectEvent.objects.create(
                project=project,
                from_status=previous,
                to_status=target,
                actor=actors["contractor"] if step in (1, 2, 3, 4) else actors["district"],
                created_at=_at(start + timedelta(days=step * STEP_DAYS)),
            )
            previous = target
    for number in range(1, versions + 1):
        plan = _upsert(
            PlanVersion,
            {"project": project, "number": number},
            {
                "summary": "改造方案：" + "、".join(name for _, _, name, *_ in scope),
                "changes": "" if number == 1 else "根据近邻茶话会居民意见调整：增设电动车停车棚、适老化设施。",
                "created_by": actors["contractor"],
            },
        )
        parties = confirmed if number == versions else list(Party.values)
        for party in parties:
            PlanConfirmation.objects.get_or_create(
                plan_version=plan,
                party=party,
                defaults={
                    "confirmed_by": actors["contractor"] if party == Party.CONTRACTOR else actors["district"],
                    "confirmed_at": _at(start + timedelta(days=STEP_DAYS * 2 + number)),
                },
            )
    items = []
    for category, work_class, name, planned, share, window in scope:
        planned = Decimal(planned)
        done_share = Decimal(progress) / 100 if share is None else Decimal(share)
        items.append(
            _upsert(
                ScopeItem,
                {"project": project, "name": name},
                {
                    "category": category,
                    "work_class": work_class,
                    "unit": CATEGORY_UNITS[category],
                    "planned_quantity": planned,
                    "completed_quantity": (planned * done_share).quantize(Decimal("0.01")),
                    "excavation_start": start + timedelta(days=window[0]) if window else None,
                    "excavation_end": start + timedelta(days=window[1]) if window else None,
                },
            )
        )
    done = [item for item in items if item.completed_quantity > 0]
    if LIFECYCLE.index(status) >= 3 and done:
        for week, percent in enumerate(range(20, progress + 1, 20), start=1):
            item = done[(week - 1) % len(done)]
            report, made = ProgressReport.objects.get_or_create(
                project=project,
                report_date=start + timedelta(days=STEP_DAYS * 3 + week * 7),
                defaults={
                    "work_done": f"第{week}周：按计划推进{item.name}。",
                    "percent_complete": percent,
                    "manpower": 20 + week * 3,
                    "weather": "晴",
                    "created_by": actors["contractor"],
                },
            )
            if made:
                ReportQuantity.objects.create(
                    report=report, scope_item=item, quantity=(item.completed_quantity / 5).quantize(Decimal("0.01"))
                )
    return project


def _funding(project, actor) -> None:
    """The project's money through the service officials use: each source allocated when construction starts,
    paid out by stage, spent as the works progress. Keyed on the document number, so a second load adds nothing."""
    share = DISBURSED_SHARE.get(project.status)
    if share is None or project.actual_start is None:
        return
    start = project.actual_start
    plan = {row.source: row.amount for row in project.funding.all()}
    done = {(e.source, e.stage, e.document_number) for e in project.funding_entries.all()}
    year = start.year
    for number, (source, _share) in enumerate(FUNDING_SPLIT, start=1):
        planned = plan.get(source)
        if not planned:
            continue
        allocated = planned
        disbursed = (allocated * share).quantize(FEN, rounding=ROUND_DOWN)
        spent = (disbursed * Decimal(project.progress_percent) / 100).quantize(FEN, rounding=ROUND_DOWN)
        office = ALLOCATING_OFFICE.get(source, "思建")
        steps = [
            (
                FundingStage.ALLOCATED,
                allocated,
                start - timedelta(days=20),
                f"{office}〔{year}〕{project.pk}-{number}号",
            ),
            (FundingStage.DISBURSED, disbursed, start + timedelta(days=30), f"思建拨〔{year}〕{project.pk}-{number}号"),
            (FundingStage.SPENT, spent, start + timedelta(days=60), f"付款凭证{project.compound.code}-{number:02d}"),
        ]
        for stage, amount, day, document in steps:
            if amount <= 0 or (source, stage, document) in done:
                continue
            funding_entry_record(
                actor=actor,
                project=project,
                source=source,
                stage=stage,
                amount=amount,
                date=min(day, timezone.localdate()),
                document_number=document,
            )


def story() -> list[dict]:
    """Every demo project as the story has it: compound, batch (the plan's year), status, progress, EPC contractor
    (index into the demo's contractors), scope, plan versions, confirmed parties of the last, start date. The
    planning demo declares and plans these compounds and creates their projects; ``load`` then runs their story."""
    rows = []
    base = date(2023, 3, 1)
    for code, batch, status, progress, contractor, scope, versions, confirmed in STORY:
        compound = Compound.objects.select_related("party_branch").filter(code=code).first()
        if compound is None:
            continue
        start = base if batch == 2023 else date(2024, 3, 1)
        rows.append(
            {"compound": compound, "batch": batch, "status": status, "progress": progress, "contractor": contractor,
             "scope": scope, "versions": versions, "confirmed": confirmed, "start": start}
        )  # fmt: skip
    # Synthetic compounds: the next states in turn, two in three with the demo contractor.
    synthetic = Compound.objects.filter(is_synthetic=True).select_related("party_branch").order_by("code")
    states = [
        ProjectStatus.HANDED_OVER,
        ProjectStatus.CONSTRUCTION,
        ProjectStatus.SURVEY_DESIGN,
        ProjectStatus.HANDED_OVER,
        ProjectStatus.CONSTRUCTION,
        ProjectStatus.PLANNING,
        ProjectStatus.COMPLETION_ACCEPTANCE,
        ProjectStatus.HANDED_OVER,
    ]
    for index, compound in enumerate(synthetic):
        status = states[index % len(states)]
        progress = {
            ProjectStatus.HANDED_OVER: 100,
            ProjectStatus.COMPLETION_ACCEPTANCE: 100,
            ProjectStatus.CONSTRUCTION: 40 + (index * 7) % 50,
        }.get(status, 0)
        batch = 2023 if status == ProjectStatus.HANDED_OVER and index % 3 else 2024
        rows.append(
            {
                "compound": compound,
                "batch": batch,
                "status": status,
                "progress": progress,
                "contractor": 0 if index % 3 else 1,
                "scope": SYNTHETIC_SCOPE,
                "versions": 1 if LIFECYCLE.index(status) >= 2 else 0,
                "confirmed": list(Party.values) if LIFECYCLE.index(status) >= 3 else [],
                "start": date(batch, 3 + index % 6, 1),
            }
        )
    return rows


def demo_contractors() -> list[Company]:
    return [Company.objects.get(name=COMPANIES[0][0]), Company.objects.get(name=COMPANIES[1][0])]


def load(stdout=None) -> dict:
    actors = {"district": User.objects.get(username="district"), "contractor": User.objects.get(username="contractor")}
    contractors = demo_contractors()
    for row in story():
        _project(
            row["compound"],
            row["batch"],
            row["status"],
            row["progress"],
            contractors[row["contractor"]],
            row["scope"],
            row["versions"],
            row["confirmed"],
            actors,
            row["start"],
        )
    for project in Project.objects.select_related("compound__community__subdistrict").prefetch_related(
        "funding", "funding_entries"
    ):
        _funding(project, actors["district"])
    # The 筼筜 subdistrict's leadership member is hooked (挂钩) to its projects that have started construction.
    leader = User.objects.filter(username="subdistrict").first()
    if leader is not None:
        for project in Project.objects.filter(
            compound__community__subdistrict__code="350203006",
            status__in=LIFECYCLE[LIFECYCLE.index(ProjectStatus.CONSTRUCTION) :],
        ):
            project.liaisons.add(leader)
    # The programme's targets, from the article: 637 compounds started in 2023 (158 finished), 479 finished in 2024.
    siming = District.objects.get(code="350203")
    for year, to_start, to_finish in ((2023, 637, 158), (2024, 0, 479)):
        ProgrammeTarget.objects.get_or_create(
            district=siming, year=year, defaults={"to_start": to_start, "to_finish": to_finish}
        )
    return {}
