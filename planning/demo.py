"""The demo's declarations and annual plans, made through the services users call: each demo compound's owners
vote for the renovation, the subdistrict (or the community) declares it, the district returns the first
declaration of 菡凌蓉小区 for more material and approves the rest into the library, draws the 2023 and 2024 plans
("成熟一批、推动一批") from it and creates each project from its plan item with the EPC award. The projects demo
then runs each project's story. This year: a plan with its target split over two subdistricts, one declaration
waiting for review and one returned.

Runs before the projects demo (see INSTALLED_APPS). Idempotent: a second load writes nothing.
"""

from datetime import datetime, timedelta
from decimal import Decimal

from django.utils import timezone

from communities.choices import RoleKind
from communities.demo import COMPANIES
from communities.models import Company, Compound, District, Subdistrict, User
from consultations.choices import Electorate, MatterType, Step, VoteResult, VoteStatus
from consultations.models import Topic, TopicStepEvent, Vote
from planning import services
from planning.choices import BatchKind, DeclarationStatus
from planning.models import AnnualPlan, Declaration, PlanItem
from projects.choices import CATEGORY_UNITS, FundingSource
from projects.demo import demo_contractors, story
from projects.models import ProgrammeTarget
from projects.services import target_set, target_split

FUNDING_SHARES = (
    (FundingSource.DISTRICT_FUNDS, Decimal("0.7")),
    (FundingSource.RESIDENTS, Decimal("0.1")),
    (FundingSource.MAINTENANCE_FUND, Decimal("0.1")),
    (FundingSource.UTILITIES, Decimal("0.1")),
)
RETURNED_FIRST = "LX-HLR"  # its first declaration was returned for the rain-and-sewage survey drawings


def _willingness(compound, actor, when):
    """The owners' passed, compound-wide vote on renovating (要我改 → 我要改), as the consultation recorded it."""
    topic, created = Topic.objects.get_or_create(
        compound=compound,
        title=f"{compound.name}是否申报老旧小区改造",
        defaults={"step": Step.PUBLIC_FEEDBACK, "created_by": actor, "decision": "同意申报改造"},
    )
    if created:
        previous = ""
        for step in Step.values:
            TopicStepEvent.objects.create(topic=topic, from_step=previous, to_step=step, actor=actor)
            previous = step
    vote, _created = Vote.objects.get_or_create(
        topic=topic,
        title="是否同意本小区申报老旧小区改造",
        defaults={
            "matter_type": MatterType.RENOVATION_WILLINGNESS,
            "electorate": Electorate.COMPOUND,
            "status": VoteStatus.CLOSED,
            "result": VoteResult.PASSED,
            "organiser": actor,
            "opened_at": when,
            "closed_at": when + timedelta(days=7),
        },
    )
    return vote


def _declarer(compound, people):
    """Who declares: the community's secretary, the subdistrict's official, else the administrator."""
    community = compound.community
    return (
        people["community"].get(community.pk) or people["subdistrict"].get(community.subdistrict_id) or people["admin"]
    )


def _items(compound, scope, budget):
    """The declared items: the story's scope, the budget shared out to the fen (the last item takes the rest)."""
    share = (budget / len(scope)).quantize(Decimal("0.01"))
    rows = []
    for index, (category, work_class, name, planned, *_rest) in enumerate(scope):
        cost = budget - share * (len(scope) - 1) if index == len(scope) - 1 else share
        rows.append(
            {
                "work_class": work_class,
                "category": category,
                "description": name,
                "quantity": Decimal(planned),
                "unit": CATEGORY_UNITS[category],
                "estimated_cost": cost,
            }
        )
    return rows


def _declare(compound, scope, people, district_user, when):
    declarer = _declarer(compound, people)
    vote = _willingness(compound, declarer, when)
    budget = Decimal(compound.household_count) * 12000
    declaration = services.declaration_create(
        actor=declarer,
        compound=compound,
        topic=vote.topic,
        vote=vote,
        needs_summary=f"{compound.name}居民反映：" + "、".join(name for _c, _w, name, *_ in scope) + "等需求迫切。",
        items=_items(compound, scope, budget),
        funding={source: (budget * share).quantize(Decimal("0.01")) for source, share in FUNDING_SHARES},
        buildings_affected=compound.building_count,
        households_affected=compound.household_count,
        residents_affected=compound.resident_count,
    )
    services.declaration_submit(actor=declarer, declaration=declaration)
    if compound.code == RETURNED_FIRST:
        services.declaration_return(
            actor=district_user, declaration=declaration, reason="请补充雨污管网现状测绘图和居民意见汇总表。"
        )
        services.declaration_update(
            actor=declarer, declaration=declaration, needs_summary=declaration.needs_summary + "（已补充测绘图）"
        )
        services.declaration_submit(actor=declarer, declaration=declaration)
    return services.declaration_approve(actor=district_user, declaration=declaration, note="同意入库。")


def _people():
    people = {"community": {}, "subdistrict": {}, "admin": User.objects.filter(username="admin").first()}
    for user in User.objects.filter(
        username__in=["subdistrict", "secretary", "secretary_lianxiu"], roles__isnull=False
    ).prefetch_related("roles"):
        for role in user.roles.all():
            if role.kind == RoleKind.COMMUNITY_SECRETARY:
                people["community"][role.community_id] = user
            elif role.kind == RoleKind.SUBDISTRICT_OFFICIAL:
                people["subdistrict"][role.subdistrict_id] = user
    return people


def _plan(district, year, actor):
    plan = AnnualPlan.objects.filter(district=district, year=year).first()
    if plan is None:
        plan = services.annual_plan_create(
            actor=actor, district=district, year=year, note="成熟一批、推动一批：按居民意愿和准备情况分批实施。"
        )
        services.plan_batch_add(actor=actor, plan=plan, kind=BatchKind.PUSH, name="第二批（推动一批）")
    return plan


def load(stdout=None) -> dict:
    district_user = User.objects.get(username="district")
    siming = District.objects.get(code="350203")
    people = _people()
    contractors = demo_contractors()
    designer = Company.objects.get(name=COMPANIES[2][0])
    supervisor = Company.objects.get(name=COMPANIES[3][0])
    for number, row in enumerate(story(), start=1):
        compound, year, start = row["compound"], row["batch"], row["start"]
        if PlanItem.objects.filter(declaration__compound=compound, plan__year=year).exists():
            continue
        declaration = (
            Declaration.objects.filter(compound=compound, status=DeclarationStatus.APPROVED, plan_item__isnull=True)
            .order_by("-id")
            .first()
        )
        if declaration is None:
            when = timezone.make_aware(datetime(year - 1, 10, 1, 19))
            declaration = _declare(compound, row["scope"], people, district_user, when)
        plan = _plan(compound.community.subdistrict.district, year, district_user)
        batches = list(plan.batches.order_by("number"))
        # Compounds that start in the first half of the year were ready (成熟一批); the others were pushed forward.
        batch = batches[0] if start.month <= 5 or len(batches) == 1 else batches[1]
        item = services.plan_item_add(actor=district_user, plan=plan, batch=batch, declaration=declaration)
        services.plan_item_create_project(
            actor=district_user,
            item=item,
            name=f"{compound.name}老旧小区改造工程",
            contractor=contractors[row["contractor"]],
            contract_number=f"SM-EPC-{year}-{number:03d}",
            contract_amount=declaration.estimated_cost,
            awarded_on=start - timedelta(days=30),
            designer=designer,
            supervisor=supervisor,
        )
    _this_year(siming, district_user, people)
    return {}


def _this_year(district, district_user, people):
    """This year's plan and its target split over two subdistricts, one declaration waiting for review and one
    returned for amendment."""
    year = timezone.localdate().year
    if year in (2023, 2024):
        return
    _plan(district, year, district_user)
    subdistricts = list(Subdistrict.objects.filter(district=district).order_by("code")[:2])
    if not ProgrammeTarget.objects.filter(district=district, year=year).exists():
        target = target_set(actor=district_user, district=district, year=year, to_start=40, to_finish=30)
        if len(subdistricts) == 2:
            target_split(
                actor=district_user, target=target, shares={subdistricts[0]: (22, 16), subdistricts[1]: (18, 14)}
            )
    waiting = Compound.objects.filter(is_synthetic=True, declarations__isnull=False).order_by("-code")[:2]
    for compound, outcome in zip(waiting, ("submitted", "returned")):
        if Declaration.objects.filter(compound=compound, status__in=["draft", "submitted", "returned"]).exists():
            continue
        declarer = _declarer(compound, people)
        vote = Vote.objects.filter(topic__compound=compound, matter_type=MatterType.RENOVATION_WILLINGNESS).first()
        declaration = services.declaration_create(
            actor=declarer,
            compound=compound,
            topic=vote.topic,
            vote=vote,
            needs_summary="改造后居民提出加装电梯和适老化设施的新需求。",
            items=[
                {
                    "work_class": "enhancement",
                    "category": "elevator",
                    "description": "加装电梯",
                    "quantity": 2,
                    "estimated_cost": Decimal("1200000.00"),
                }
            ],  # fmt: skip
            funding={
                FundingSource.DISTRICT_FUNDS: Decimal("800000.00"),
                FundingSource.RESIDENTS: Decimal("400000.00"),
            },
            buildings_affected=2,
            households_affected=48,
            residents_affected=130,
        )
        services.declaration_submit(actor=declarer, declaration=declaration)
        if outcome == "returned":
            services.declaration_return(
                actor=district_user,
                declaration=declaration,
                reason="请补充加装电梯的业主表决结果（专有部分面积和人数）。",
            )
