"""Synthetic aftercare for benchmarks: every compound with a handed-over project gets what accepting it through the
service opens (the record, the warranty periods of each handed-over project), and what its first quarters bring —
a service form (version 1, its items), the income ledger of the last two quarters with the earlier one published,
two of the new spaces and a few activities in them. Loaded with COPY, in chunks of compounds; memory stays flat;
run again, it adds only what is missing."""

from __future__ import annotations

import json
import random
from datetime import timedelta
from decimal import Decimal

from django.db import connection
from django.utils import timezone

from aftercare.choices import (
    INCOME_KINDS,
    ApprovalKind,
    OrganiserKind,
    ResponsibleKind,
    SpaceKind,
    direction_of,
)
from aftercare.models import (
    Activity,
    AftercareRecord,
    LedgerEntry,
    LedgerQuarter,
    ServiceForm,
    ServiceItem,
    Space,
    WarrantyPeriod,
)
from aftercare.services import SERVICE_MODES, default_standards, quarter_of, warranty_defaults
from communities.choices import PropertyMode
from projects.generate import generator_user
from renovation_portal.bulkload import copy_dicts, next_id

CHUNK_COMPOUNDS = 5_000
ITEMS = [
    ("公共区域保洁", "物业服务企业", "每日"),
    ("绿化养护", "物业服务企业", "每月"),
    ("秩序维护与停车管理", "物业服务企业", "每日"),
    ("公共设施小修", "物业服务企业", "报修后48小时内"),
    ("化粪池清掏", "物业服务企业", "每年"),
]
LEDGER = [  # (kind, purpose, lowest, highest yuan)
    ("parking", "新增停车位租金", 1200, 4800),
    ("charging", "集中充电桩电费分成", 600, 2400),
    ("advertising", "广告位租金", 300, 1500),
    ("venue", "活动室场地使用费", 100, 600),
    ("maintenance", "公共设施维修", 200, 1500),
    ("cleaning", "绿化补种与保洁", 200, 900),
]
SPACES = [
    ("健身角", SpaceKind.FITNESS, 60, 240),
    ("儿童游乐场", SpaceKind.PLAYGROUND, 80, 300),
    ("近邻活动室", SpaceKind.COMMUNITY_ROOM, 40, 160),
]
ACTIVITIES = ["近邻茶话会", "健康义诊", "亲子游园会", "垃圾分类宣传", "长者生日会"]


def _handed_over(after_compound: int, limit: int) -> list[tuple]:
    """(compound, its first handed-over project, handover day, property service id, its mode, company name,
    contact, owners body id, director) of compounds with a handed-over project and no aftercare yet, by compound."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT DISTINCT ON (p.compound_id) p.compound_id, p.id, coalesce(p.actual_finish, p.planned_finish),
                   ps.id, ps.mode, coalesce(co.name, ''), coalesce(ps.contact_name, ''), ob.id,
                   coalesce(ob.director_name, '')
            FROM projects_project p
            JOIN communities_compound c ON c.id = p.compound_id
            LEFT JOIN communities_propertyservice ps ON ps.id = c.property_service_id
            LEFT JOIN communities_company co ON co.id = ps.company_id
            LEFT JOIN communities_ownersbody ob ON ob.id = c.owners_body_id
            WHERE p.status = 'handed_over' AND p.compound_id > %s
              AND NOT EXISTS (SELECT 1 FROM aftercare_aftercarerecord r WHERE r.compound_id = p.compound_id)
            ORDER BY p.compound_id, p.actual_finish NULLS LAST, p.id
            LIMIT %s
            """,
            [after_compound, limit],
        )
        return cursor.fetchall()


def generate(ctx) -> None:
    rng = random.Random(ctx.seed + 5)
    now = timezone.now()
    today = timezone.localdate()
    author = generator_user().pk
    models = (AftercareRecord, WarrantyPeriod, ServiceForm, ServiceItem, LedgerEntry, LedgerQuarter, Space, Activity)
    ids = {model: next_id(model) for model in models}
    counts = dict.fromkeys(("records", "warranties", "entries", "activities"), 0)
    standards = str(default_standards())
    this_quarter = quarter_of(today)
    last_quarter = quarter_of(this_quarter[2] - timedelta(days=1))

    def take(model):
        value = ids[model]
        ids[model] += 1
        return value

    after = 0
    while rows := _handed_over(after, CHUNK_COMPOUNDS):
        after = rows[-1][0]
        records, warranties, forms, items, entries, quarters, spaces, activities = ([] for _ in range(8))
        for compound, project, handed, service, mode, company, contact, body, director in rows:
            handed = handed or today - timedelta(days=rng.randint(30, 700))
            managed = service is not None and mode in SERVICE_MODES
            record = take(AftercareRecord)
            records.append(
                {
                    "id": record,
                    "compound_id": compound,
                    "project_id": project,
                    "opened_on": handed,
                    "opened_by_id": author,
                    "responsible_kind": ResponsibleKind.PROPERTY_SERVICE
                    if managed
                    else ResponsibleKind.SELF_MANAGEMENT,
                    "property_service_id": service,
                    "owners_body_id": None if managed else body,
                    "responsible_note": (" ".join(p for p in (company, contact) if p) if managed else director)[:200],
                    "standards": standards,
                    "updated_at": now,
                }
            )
            warranties.extend(
                {
                    "id": take(WarrantyPeriod),
                    "record_id": record,
                    "project_id": project,
                    "category": category,
                    "starts_on": handed,
                    "ends_on": ends,
                    "basis": basis,
                    "updated_at": now,
                }
                for category, ends, basis in warranty_defaults(handed)
            )
            form = take(ServiceForm)
            forms.append(
                {
                    "id": form,
                    "record_id": record,
                    "version": 1,
                    "published_on": handed,
                    "property_mode": mode or "",
                    "note": "改造移交后首版服务表单",
                    "published_by_id": author,
                    "created_at": now,
                }
            )
            menu = mode == PropertyMode.MENU
            items.extend(
                {
                    "id": take(ServiceItem),
                    "form_id": form,
                    "position": position,
                    "service": service_name,
                    "provider": provider if managed else "居民自治小组",
                    "frequency": frequency,
                    "price": Decimal(rng.randint(20, 300)) if menu else None,
                    "price_unit": "次" if menu else "",
                }
                for position, (service_name, provider, frequency) in enumerate(ITEMS, start=1)
            )
            # The ledger of the last two quarters (entries dated after the handover), the earlier one published.
            decided = handed
            published = {"income": Decimal(0), "spending": Decimal(0), "lines": {}}
            for year, quarter, starts, ends in (last_quarter, this_quarter):
                ends = min(ends, today)
                if ends < handed:
                    continue
                for kind, purpose, low, high in rng.sample(LEDGER, rng.randint(2, 5)):
                    day = max(starts, handed) + timedelta(
                        days=rng.randint(0, max(0, (ends - max(starts, handed)).days))
                    )
                    amount = Decimal(rng.randint(low * 100, high * 100)).scaleb(-2)
                    entries.append(
                        {
                            "id": take(LedgerEntry),
                            "record_id": record,
                            "kind": kind,
                            "direction": direction_of(kind),
                            "entry_date": day,
                            "amount": amount,
                            "purpose": purpose,
                            "approval_kind": ApprovalKind.COMMITTEE,
                            "decision": "业委会会议决定：公共收益按季公示",
                            "decided_on": decided,
                            "recorded_by_id": author,
                            "created_at": now,
                            "updated_at": now,
                        }
                    )
                    if (year, quarter) == last_quarter[:2]:
                        direction = "income" if kind in INCOME_KINDS else "spending"
                        published[direction] += amount
                        published["lines"][(direction, kind)] = published["lines"].get((direction, kind), 0) + amount
                if (year, quarter) == last_quarter[:2] and published["lines"]:
                    quarters.append(
                        {
                            "id": take(LedgerQuarter),
                            "record_id": record,
                            "year": year,
                            "quarter": quarter,
                            "starts_on": starts,
                            "ends_on": quarter_of(starts)[3],
                            "totals": json.dumps(
                                [
                                    {"kind": kind, "direction": direction, "amount": str(total)}
                                    for (direction, kind), total in sorted(published["lines"].items())
                                ]
                            ),
                            "income_total": published["income"],
                            "spending_total": published["spending"],
                            "published_by_id": author,
                            "published_at": now,
                            "updated_at": now,
                        }
                    )
            for name, kind, low, high in rng.sample(SPACES, 2):
                space = take(Space)
                spaces.append(
                    {
                        "id": space,
                        "record_id": record,
                        "name": name,
                        "kind": kind,
                        "area": Decimal(rng.randint(low, high)),
                        "opened_on": handed,
                        "created_by_id": author,
                        "updated_at": now,
                    }
                )
                for _ in range(rng.randint(0, 3)):
                    held = handed + timedelta(days=rng.randint(7, 200))
                    capacity = rng.randint(10, 40)
                    signups = rng.randint(0, capacity)
                    activities.append(
                        {
                            "id": take(Activity),
                            "space_id": space,
                            "title": rng.choice(ACTIVITIES),
                            "held_on": held,
                            "organiser_kind": rng.choice(OrganiserKind.values),
                            "capacity": capacity,
                            "signups": signups,
                            "attendance": rng.randint(0, signups) if held <= today else None,
                            "created_by_id": author,
                            "created_at": now,
                            "updated_at": now,
                        }
                    )
        counts["records"] += copy_dicts(AftercareRecord, records, now=now)
        counts["warranties"] += copy_dicts(WarrantyPeriod, warranties, now=now)
        copy_dicts(ServiceForm, forms, now=now)
        copy_dicts(ServiceItem, items, now=now)
        counts["entries"] += copy_dicts(LedgerEntry, entries, now=now)  # before their quarters: published is frozen
        copy_dicts(LedgerQuarter, quarters, now=now)
        copy_dicts(Space, spaces, now=now)
        counts["activities"] += copy_dicts(Activity, activities, now=now)
        ctx.say(f"  aftercare: {counts['records']:,} compounds")
    ctx.say(
        "  aftercare: {records:,} records, {warranties:,} warranty periods, {entries:,} ledger entries, "
        "{activities:,} activities".format(**counts)
    )
