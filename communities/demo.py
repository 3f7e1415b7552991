"""Siming District demo data: the places, people and bodies named in the source article, filled out with
synthetic records that are marked as such (``is_synthetic``, names ending in 「（示例）」).

Every write is keyed on a natural key (code, username, name), so loading twice changes nothing.
"""

import random
from dataclasses import dataclass
from datetime import date

from django.db import transaction

from communities import services
from communities.choices import (
    BoardRole,
    CompanyKind,
    InspectionTier,
    LeadChoice,
    OwnersBodyKind,
    PropertyMode,
    RoleKind,
)
from communities.models import (
    BoardContact,
    Building,
    BuildingLead,
    City,
    Community,
    Company,
    Compound,
    District,
    OwnersBody,
    PartyBranch,
    PropertyService,
    Province,
    Role,
    Subdistrict,
    User,
)

DEMO_PASSWORD = "Siming-demo-2026"
DEMO_LEADS_CHOSEN_ON = date(2023, 6, 1)
SYNTHETIC = "（示例）"

DISTRICT = {"code": "350203", "name": "思明区"}
CITY = {"code": "350200", "name": "厦门市"}
PROVINCE = {"code": "350000", "name": "福建省"}

# Siming's ten subdistricts.
SUBDISTRICTS = [
    ("350203001", "中华街道"),
    ("350203002", "滨海街道"),
    ("350203003", "鹭江街道"),
    ("350203004", "开元街道"),
    ("350203005", "梧村街道"),
    ("350203006", "筼筜街道"),
    ("350203007", "莲前街道"),
    ("350203008", "嘉莲街道"),
    ("350203009", "厦港街道"),
    ("350203010", "鼓浪屿街道"),
]

# Communities named in the article, with the subdistrict each belongs to and its party committee secretary.
ARTICLE_COMMUNITIES = [
    ("350203006-YHX", "350203006", "屿后西社区", ""),
    ("350203003-XH", "350203003", "厦禾社区", "张惠霞"),
    ("350203002-ZCA", "350203002", "曾厝垵社区", "刘志强"),
    ("350203008-LX", "350203008", "莲秀社区", ""),
]


@dataclass
class ArticleCompound:
    code: str
    community: str
    name: str
    address: str
    year_built: int | None
    buildings: int
    households: int
    residents: int
    property_mode: str
    branch_secretary: str = ""
    owners_director: str = ""
    owners_kind: str = OwnersBodyKind.OWNERS_COMMITTEE
    building_leads: int = 0
    # A resident named in the article who leads the first building (elected by its residents).
    first_building_lead: str = ""


ARTICLE_COMPOUNDS = [
    # 建于1989年，35栋无物业居民楼，约800户、2450人；李勇兼任支部书记与业委会主任；选出15名楼栋长。
    ArticleCompound(
        "LX-HLR",
        "350203008-LX",
        "菡凌蓉小区",
        "莲花二村",
        1989,
        35,
        800,
        2450,
        PropertyMode.NONE,
        branch_secretary="李勇",
        owners_director="李勇",
        building_leads=15,
    ),
    # 小区党支部书记张秀玉，业委会主任肖玲玲；改造后引进新物业。
    ArticleCompound(
        "YHX-YHNL",
        "350203006-YHX",
        "屿后南里小区",
        "",
        None,
        12,
        360,
        1080,
        PropertyMode.PROFESSIONAL,
        branch_secretary="张秀玉",
        owners_director="肖玲玲",
    ),
    # 建于20世纪90年代；拆违、雨污管网改造。
    ArticleCompound("ZCA-ZCAXL", "350203002-ZCA", "曾厝垵西里小区", "", None, 10, 300, 900, PropertyMode.SELF_MANAGED),
    # 居民徐林住了30多年；正在推选楼栋长：他当选1号楼楼栋长。
    ArticleCompound(
        "XH-JMHY", "350203003-XH", "嘉美花园", "", None, 8, 240, 720, PropertyMode.MENU, first_building_lead="徐林"
    ),
]
# 新港广场 is pictured in the article without its community: it is placed in a synthetic community.
XINGANG = ArticleCompound("KY-XGGC", "350203004-S1", "新港广场", "", None, 6, 200, 600, PropertyMode.PROFESSIONAL)

COMPANIES = [
    ("厦门思明城建工程有限公司" + SYNTHETIC, CompanyKind.CONTRACTOR),
    ("福建鹭岛建设集团有限公司" + SYNTHETIC, CompanyKind.CONTRACTOR),
    ("厦门筼筜设计研究院有限公司" + SYNTHETIC, CompanyKind.DESIGNER),
    ("厦门海湾工程监理有限公司" + SYNTHETIC, CompanyKind.SUPERVISOR),
    ("厦门近邻物业服务有限公司" + SYNTHETIC, CompanyKind.PROPERTY),
]

SURNAMES = "陈林黄张李王吴刘蔡杨郑许谢洪郭邱曾廖赖周"
GIVEN = "建国秀英丽华志明美玲国强淑珍文斌海燕宏伟雪梅振华金凤志强春花"


@dataclass
class DemoUser:
    username: str
    display_name: str
    kind: str
    bound: str  # "district", "subdistrict:<code>", "community:<code>", "company:<name>"
    title: str
    tier: int | None = None


DEMO_USERS = [
    DemoUser("province", "吴海峰" + SYNTHETIC, RoleKind.PROVINCE_OFFICIAL, "province", "省住建厅 城市更新处"),
    DemoUser("city", "李晓东" + SYNTHETIC, RoleKind.CITY_OFFICIAL, "city", "市建设局 老旧小区改造办"),
    DemoUser("district", "王建国" + SYNTHETIC, RoleKind.DISTRICT_OFFICIAL, "district", "区住建局 改造专班"),
    DemoUser(
        "subdistrict",
        "林志明" + SYNTHETIC,
        RoleKind.SUBDISTRICT_OFFICIAL,
        "subdistrict:350203006",
        "筼筜街道党工委 挂钩班子成员",
    ),
    DemoUser("secretary", "张惠霞", RoleKind.COMMUNITY_SECRETARY, "community:350203003-XH", "厦禾社区党委书记"),
    DemoUser(
        "secretary_lianxiu",
        "陈丽华" + SYNTHETIC,
        RoleKind.COMMUNITY_SECRETARY,
        "community:350203008-LX",
        "莲秀社区党委书记",
    ),
    DemoUser("contractor", "黄宏伟" + SYNTHETIC, RoleKind.CONTRACTOR, "company:" + COMPANIES[0][0], "工程总协调人"),
    # The property service company of the professionally managed compounds (屿后南里小区, …): patrols them monthly
    # after handover and rectifies the patrols' findings assigned to it.
    DemoUser("property", "林美玲" + SYNTHETIC, RoleKind.PROPERTY_STAFF, "company:" + COMPANIES[4][0], "物业项目经理"),
    DemoUser(
        "inspector",
        "郑振华" + SYNTHETIC,
        RoleKind.INSPECTOR,
        "district",
        "区住建局 第一检查组",
        tier=InspectionTier.DISTRICT,
    ),
]


@dataclass
class BoardPlan:
    """What the boards of a demo compound will read, drawn while its buildings are loaded; recorded through the
    services once the demo's users exist (``_boards``)."""

    compound: Compound
    spec: ArticleCompound
    buildings: list
    leads: list  # [(name, phone)]: the compound's building leads; with fewer leads than buildings, one leads several
    grid_worker: tuple[str, str]


BOARD_PLANS: list[BoardPlan] = []


def _person(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + rng.choice(GIVEN) + rng.choice(GIVEN)


def _phone(rng: random.Random) -> str:
    return "139" + "".join(str(rng.randint(0, 9)) for _ in range(8))


def _upsert(model, lookup: dict, values: dict):
    """Create the row, or bring it to these values; a row that already has them is not written at all."""
    obj, created = model.objects.get_or_create(**lookup, defaults=values)
    if not created:
        changed = [name for name, value in values.items() if getattr(obj, name) != value]
        for name in changed:
            setattr(obj, name, values[name])
        if changed:
            obj.save()
    return obj


def _compound(
    community: Community, spec: ArticleCompound, rng: random.Random, synthetic: bool
) -> tuple[Compound, list]:
    compound = _upsert(
        Compound,
        {"code": spec.code},
        {
            "community": community,
            "name": spec.name,
            "address": spec.address,
            "year_built": spec.year_built,
            "building_count": spec.buildings,
            "household_count": spec.households,
            "resident_count": spec.residents,
            "floor_area": spec.households * 72,
            "is_synthetic": synthetic,
        },
    )
    per_building = max(1, spec.households // max(1, spec.buildings))
    buildings, named_leads, grid_workers = [], [], []
    for number in range(1, spec.buildings + 1):
        has_lead = number <= spec.building_leads or (synthetic and number % 2 == 1)
        buildings.append(
            _upsert(
                Building,
                {"compound": compound, "number": f"{number}号楼"},
                {"floors": 6 + (number % 3), "stairwells": 1 + number % 2, "household_count": per_building},
            )
        )
        # The same draws as when leads and grid workers were columns of the building: the names stay the same.
        if has_lead:
            named_leads.append((_person(rng), _phone(rng)))
        grid_workers.append((_person(rng), _phone(rng)))
    BOARD_PLANS.append(BoardPlan(compound, spec, buildings, named_leads, grid_workers[0]))
    # The bodies are recorded through the services once the demo's district official exists (see ``load``); the
    # phones are drawn here so that the synthetic names stay the same draw after draw.
    bodies = []
    if spec.branch_secretary:
        bodies.append(
            (
                services.party_branch_set,
                {
                    "name": f"{spec.name}党支部",
                    "secretary_name": spec.branch_secretary,
                    "secretary_phone": _phone(rng),
                    "member_count": 8 + spec.buildings // 3,
                    "established_on": _branch_founded(spec, synthetic),
                },
            )
        )
    if spec.owners_director:
        bodies.append(
            (
                services.owners_body_elect,
                {
                    "kind": spec.owners_kind,
                    "director_name": spec.owners_director,
                    "director_phone": _phone(rng),
                    "established_on": _owners_elected(spec),
                },
            )
        )
    if spec.property_mode != PropertyMode.NONE:
        company = Company.objects.get(name=COMPANIES[4][0]) if spec.property_mode == PropertyMode.PROFESSIONAL else None
        fields = {
            "mode": spec.property_mode,
            "company": company,
            "contact_name": _person(rng),
            "contact_phone": _phone(rng),
            "contract_starts_on": _property_since(spec),
        }
        if spec.code in PROPERTY_INTRODUCED:  # the history shows the compound without property service before
            bodies.append((services.property_service_change, {"mode": PropertyMode.NONE}))
        bodies.append((services.property_service_change, fields))
    return compound, bodies


# The governance figures of 数说改造 count the bodies by their dates: in the demo the article's compounds set up
# their party branch in the programme (2023), every owners' committee or self-governance group was formed or
# re-elected in it (2023-2024), and 屿后南里小区 brought in property management after its renovation (2024).
# The synthetic compounds' party branches and property services are older than the programme.
PROPERTY_INTRODUCED = {"YHX-YHNL": date(2024, 1, 1)}


def _branch_founded(spec: ArticleCompound, synthetic: bool) -> date:
    if not synthetic:
        return date(2023, 1, 10) if spec.code == "LX-HLR" else date(2023, 2, 20)
    return date(2012 + _index(spec) % 8, 7, 1)


def _owners_elected(spec: ArticleCompound) -> date:
    return date(2023 + _index(spec) % 2, 1 + _index(spec) % 12, 15)


def _property_since(spec: ArticleCompound) -> date:
    return PROPERTY_INTRODUCED.get(spec.code) or date(2015 + _index(spec) % 6, 1 + _index(spec) % 12, 1)


def _index(spec: ArticleCompound) -> int:
    return sum(ord(ch) for ch in spec.code)


def _record_bodies(compound: Compound, bodies: list, actor: User) -> None:
    """Record the bodies unless the compound's current one already has the last values of its kind (loading twice
    writes nothing); a body that differs is recorded as a change, keeping the earlier one as history."""
    models = {
        services.party_branch_set: PartyBranch,
        services.owners_body_elect: OwnersBody,
        services.property_service_change: PropertyService,
    }
    for service, model in models.items():
        steps = [fields for s, fields in bodies if s is service]
        if not steps:
            continue
        current = model.objects.filter(compound=compound, ended_on__isnull=True).first()
        if current is not None and all(getattr(current, k) == v for k, v in steps[-1].items()):
            continue
        for fields in steps:
            service(actor=actor, compound=compound, **fields)


@transaction.atomic
def load(stdout=None) -> dict:
    """Load (or refresh) the place tree, bodies, companies and demo users. Returns the demo credentials."""
    rng = random.Random(637)  # same seed, same synthetic names: loading twice changes nothing
    province = _upsert(Province, {"code": PROVINCE["code"]}, {"name": PROVINCE["name"]})
    city = _upsert(City, {"code": CITY["code"]}, {"name": CITY["name"], "province": province})
    district = _upsert(District, {"code": DISTRICT["code"]}, {"name": DISTRICT["name"], "city": city})
    subdistricts = {
        code: _upsert(Subdistrict, {"code": code}, {"district": district, "name": name}) for code, name in SUBDISTRICTS
    }
    for name, kind in COMPANIES:
        _upsert(Company, {"name": name}, {"kind": kind, "contact_name": _person(rng), "contact_phone": _phone(rng)})

    communities = {}
    for code, sub_code, name, secretary in ARTICLE_COMMUNITIES:
        communities[code] = _upsert(
            Community,
            {"code": code},
            {"subdistrict": subdistricts[sub_code], "name": name, "party_secretary_name": secretary},
        )
    # Two synthetic communities per subdistrict, two synthetic compounds each.
    pending = []
    modes = [
        PropertyMode.NONE,
        PropertyMode.SELF_MANAGED,
        PropertyMode.MENU,
        PropertyMode.PROFESSIONAL,
        PropertyMode.SHARED,
    ]
    for sub_index, (sub_code, sub_name) in enumerate(SUBDISTRICTS):
        short = sub_name.removesuffix("街道")
        for c in (1, 2):
            community = _upsert(
                Community,
                {"code": f"{sub_code}-S{c}"},
                {
                    "subdistrict": subdistricts[sub_code],
                    "name": f"{short}第{c}社区{SYNTHETIC}",
                    "party_secretary_name": _person(rng),
                },
            )
            communities[community.code] = community
            for k in (1, 2):
                buildings = 3 + (sub_index + c + k) % 6
                spec = ArticleCompound(
                    f"{sub_code}-S{c}-{k}",
                    community.code,
                    f"{short}{c}{k}号小区{SYNTHETIC}",
                    f"{short}路{c}{k}号",
                    1980 + (sub_index * 3 + c * 5 + k) % 20,
                    buildings,
                    buildings * 24,
                    buildings * 70,
                    modes[(sub_index + c + k) % len(modes)],
                    branch_secretary=_person(rng) if (c + k) % 3 else "",
                    owners_director=_person(rng) if k == 1 else "",
                    owners_kind=OwnersBodyKind.SELF_GOVERNANCE_GROUP if c == 2 else OwnersBodyKind.OWNERS_COMMITTEE,
                )
                pending.append(_compound(community, spec, rng, synthetic=True))
    for spec in ARTICLE_COMPOUNDS + [XINGANG]:
        pending.append(_compound(communities[spec.community], spec, rng, synthetic=False))

    credentials = []
    for demo in DEMO_USERS:
        user, created = User.objects.get_or_create(username=demo.username, defaults={"display_name": demo.display_name})
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save(update_fields=["password"])
        binding = {"province": None, "city": None, "district": None, "subdistrict": None, "community": None}
        binding["company"] = None
        kind, _, key = demo.bound.partition(":")
        if kind == "province":
            binding["province"] = province
        elif kind == "city":
            binding["city"] = city
        elif kind == "district":
            binding["district"] = district
        elif kind == "subdistrict":
            binding["subdistrict"] = subdistricts[key]
        elif kind == "community":
            binding["community"] = communities[key]
        else:
            binding["company"] = Company.objects.get(name=key)
        _upsert(Role, {"user": user, "kind": demo.kind, **binding}, {"title": demo.title, "tier": demo.tier})
        credentials.append((demo.username, DEMO_PASSWORD, demo.display_name, demo.title))
    admin, created = User.objects.get_or_create(
        username="admin", defaults={"display_name": "系统管理员", "is_staff": True, "is_superuser": True}
    )
    if created:
        admin.set_password(DEMO_PASSWORD)
        admin.save(update_fields=["password"])
    credentials.append(("admin", DEMO_PASSWORD, "系统管理员", "superuser"))
    official = User.objects.get(username="district")
    for compound, bodies in pending:
        _record_bodies(compound, bodies, official)
    _boards(admin)
    return {"credentials": credentials}


def _service_phone(compound: Compound, role: int) -> str:
    """A made-up work number of the compound's service desk (0592 is Xiamen's area code)."""
    return f"0592-5{compound.pk % 1000:03d}{role:03d}"


def _boards(actor: User) -> None:
    """Every demo building gets a building lead and a full contact board, through the services users call.
    菡凌蓉小区 elected 15 building leads for its 35 buildings (the article): each leads two or three neighbouring
    buildings. A second load writes nothing."""
    plans, BOARD_PLANS[:] = list(BOARD_PLANS), []
    current = {
        lead.building_id: lead
        for lead in BuildingLead.objects.filter(
            building__compound__in=[plan.compound for plan in plans], ended_on__isnull=True
        )
    }
    entries = {
        (e.compound_id, e.role): e
        for e in BoardContact.objects.filter(compound__in=[plan.compound for plan in plans], building__isnull=True)
    }
    for plan in plans:
        compound = Compound.objects.select_related("community__subdistrict").get(pk=plan.compound.pk)
        rng = random.Random(compound.code)
        leads = plan.leads or [(_person(rng), _phone(rng))]
        if len(leads) < len(plan.buildings) and not plan.spec.building_leads:
            # Synthetic compounds: a lead for every building, so no plate reads "—".
            leads = leads + [(_person(rng), _phone(rng)) for _ in range(len(plan.buildings) - len(leads))]
        elected = bool(plan.spec.building_leads)
        for index, building in enumerate(plan.buildings):
            which = index * len(leads) // len(plan.buildings)
            name, phone = leads[which]
            chosen_by, candidates = (LeadChoice.ELECTED, [{"name": name, "votes": None}]) if elected else ("", [])
            if index == 0 and plan.spec.first_building_lead:
                name = plan.spec.first_building_lead
                chosen_by, candidates = (
                    LeadChoice.ELECTED,
                    [{"name": name, "votes": 37}, {"name": leads[0][0], "votes": 9}],
                )
            lead = current.get(building.pk)
            if lead is not None and lead.name == name:
                continue
            building.compound = compound
            services.building_lead_record(
                actor=actor,
                building=building,
                name=name,
                phone=phone,
                # A third of the leads publish a service number for the plate (never their own mobile).
                service_phone=_service_phone(compound, 100 + which) if which % 3 == 0 else "",
                chosen_by=chosen_by or LeadChoice.APPOINTED,
                chosen_on=DEMO_LEADS_CHOSEN_ON,
                term_starts_on=DEMO_LEADS_CHOSEN_ON,
                term_ends_on=DEMO_LEADS_CHOSEN_ON.replace(year=DEMO_LEADS_CHOSEN_ON.year + 3),
                candidates=candidates,
                basis="楼栋居民推选" if chosen_by == LeadChoice.ELECTED else "社区指定（示例）",
            )
        community = compound.community
        wanted = {
            BoardRole.GRID_WORKER: (plan.grid_worker[0], _service_phone(compound, 1)),
            BoardRole.PARTY_BRANCH: (
                "" if compound.party_branch_id else f"{community.name}党委",
                _service_phone(compound, 2),
            ),
            BoardRole.OWNERS_BODY: (
                "" if compound.owners_body_id else f"{community.name}居委会",
                _service_phone(compound, 3),
            ),
            BoardRole.PROPERTY_SERVICE: (
                "" if compound.property_service_id else f"{community.name}居委会（暂无物业）",
                _service_phone(compound, 4),
            ),
        }
        for role, (name, phone) in wanted.items():
            entry = entries.get((compound.pk, role))
            if entry is None or (entry.name, entry.service_phone) != (name, phone):
                services.board_contact_set(actor=actor, compound=compound, role=role, name=name, service_phone=phone)
