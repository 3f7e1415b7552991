"""Synthetic national-scale place tree for benchmarks: provinces, cities (10 districts a city, 6 cities a
province: the nation's 344 districts fall in 35 cities of 6 provinces), districts, subdistricts, communities, compounds and
buildings in realistic proportions (≈640 compounds per district, ≈5 buildings and ≈170 households per
compound), with their building leads and the grid worker on each compound's contact board, and the compounds'
governance bodies (party branches, owners' bodies, property services) with dates. Deterministic for a seed; loaded
with COPY in chunks (renovation_portal.bulkload)."""

from __future__ import annotations

import random
from datetime import date, timedelta

from django.db import connection
from django.utils import timezone

from communities.choices import BoardRole, LeadChoice, OwnersBodyKind, PropertyMode
from communities.models import (
    BoardContact,
    Building,
    BuildingLead,
    City,
    Community,
    Compound,
    District,
    OwnersBody,
    PartyBranch,
    PropertyService,
    Province,
    Subdistrict,
)
from renovation_portal.bulkload import copy_dicts, copy_rows, next_id

SUBDISTRICTS_PER_DISTRICT = 10
COMMUNITIES_PER_SUBDISTRICT = 6
DISTRICTS_PER_CITY = 10
CITIES_PER_PROVINCE = 6
COMPOUNDS_PER_COMMUNITY = (8, 13)  # inclusive range: ≈ 640 compounds a district


def generate(ctx) -> None:
    """Fill ``ctx`` with the generated id ranges other apps' generators use (``ctx.compounds``: list of
    (compound_id, community_id, subdistrict_id, district_id, building_count))."""
    rng = random.Random(ctx.seed)
    now = timezone.now()
    district_id, sub_id, community_id = next_id(District), next_id(Subdistrict), next_id(Community)
    compound_id, building_id = next_id(Compound), next_id(Building)
    first_city, first_province = next_id(City), next_id(Province)
    city_count = -(-ctx.districts // DISTRICTS_PER_CITY)
    cities = [
        (first_city + c, first_province + c // CITIES_PER_PROVINCE, f"GC{ctx.run:05d}{c:03d}", f"生成市{c:03d}")
        for c in range(city_count)
    ]
    provinces = [
        (first_province + p, f"GP{ctx.run:05d}{p:02d}", f"生成省{p:02d}")
        for p in range(-(-city_count // CITIES_PER_PROVINCE))
    ]
    copy_rows(Province, ["id", "code", "name"], provinces)
    copy_rows(City, ["id", "province_id", "code", "name"], cities)
    districts, subdistricts, communities, compounds = [], [], [], []
    for d in range(ctx.districts):
        d_code = f"G{ctx.run:05d}{d:04d}"
        districts.append((district_id, d_code, f"生成区{d:04d}", first_city + d // DISTRICTS_PER_CITY))
        for s in range(SUBDISTRICTS_PER_DISTRICT):
            s_code = f"{d_code}-{s:02d}"
            subdistricts.append((sub_id, district_id, s_code, f"生成街道{d:04d}-{s:02d}"))
            for c in range(COMMUNITIES_PER_SUBDISTRICT):
                c_code = f"{s_code}-{c:02d}"
                communities.append((community_id, sub_id, c_code, f"生成社区{c_code[-8:]}", ""))
                for k in range(rng.randint(*(ctx.compounds_per_community or COMPOUNDS_PER_COMMUNITY))):
                    buildings = max(1, int(rng.gauss(5, 2)))
                    households = max(buildings * 8, int(rng.gauss(170, 60)))
                    compounds.append(
                        (
                            compound_id,
                            community_id,
                            f"{c_code}-{k:03d}",
                            f"生成小区{compound_id}",
                            "",
                            rng.randint(1975, 2000),
                            buildings,
                            households,
                            int(households * 2.9),
                            households * 70,
                            True,
                            now - timedelta(microseconds=compound_id),
                            sub_id,
                            district_id,
                        )
                    )
                    compound_id += 1
                community_id += 1
            sub_id += 1
        district_id += 1
    ctx.say(
        f"places: {len(provinces)} provinces, {len(cities)} cities, {len(districts)} districts, {len(subdistricts)} subdistricts, {len(communities)} "
        f"communities, {len(compounds)} compounds"
    )
    copy_rows(District, ["id", "code", "name", "city_id"], districts)
    copy_rows(Subdistrict, ["id", "district_id", "code", "name"], subdistricts)
    copy_rows(Community, ["id", "subdistrict_id", "code", "name", "party_secretary_name"], communities)
    copy_rows(
        Compound,
        [
            "id",
            "community_id",
            "code",
            "name",
            "address",
            "year_built",
            "building_count",
            "household_count",
            "resident_count",
            "floor_area",
            "is_synthetic",
            "updated_at",
        ],
        (row[:12] for row in compounds),
        progress=ctx.progress("compounds", len(compounds)),
    )

    def building_rows():
        nonlocal building_id
        for row in compounds:
            per = max(1, row[7] // row[6])
            for number in range(1, row[6] + 1):
                yield (
                    building_id,
                    row[0],
                    f"{number}号楼",
                    6,
                    1,
                    per,
                    now - timedelta(microseconds=building_id),
                )
                building_id += 1

    total = sum(row[6] for row in compounds)
    copy_rows(
        Building,
        [
            "id",
            "compound_id",
            "number",
            "floors",
            "stairwells",
            "household_count",
            "updated_at",
        ],
        building_rows(),
        progress=ctx.progress("buildings", total),
    )
    first_building = building_id - total

    def lead_rows():
        # Nine buildings in ten have a current lead; one in four of those an earlier, ended one before it.
        lead_id = next_id(BuildingLead)
        today = now.date()
        for pk in range(first_building, building_id):
            if rng.random() < 0.1:
                continue
            if rng.random() < 0.25:
                yield (
                    lead_id,
                    pk,
                    f"前任楼长{pk}",
                    "",
                    "",
                    LeadChoice.APPOINTED,
                    today - timedelta(days=1500),
                    None,
                    None,
                    "[]",
                    "",
                    today - timedelta(days=400),
                    None,
                    now,
                )
                lead_id += 1
            elected = rng.random() < 0.6
            name = f"楼长{pk}"
            candidates = f'[{{"name": "{name}", "votes": {rng.randint(10, 60)}}}]' if elected else "[]"
            yield (
                lead_id,
                pk,
                name,
                f"139{pk % 100_000_000:08d}",
                f"0592-{pk % 10_000_000:07d}" if elected else "",
                LeadChoice.ELECTED if elected else LeadChoice.APPOINTED,
                today - timedelta(days=400),
                today - timedelta(days=400),
                today + timedelta(days=700),
                candidates,
                "",
                None,
                None,
                now,
            )
            lead_id += 1

    copy_rows(
        BuildingLead,
        [
            "id",
            "building_id",
            "name",
            "phone",
            "service_phone",
            "chosen_by",
            "chosen_on",
            "term_starts_on",
            "term_ends_on",
            "candidates",
            "basis",
            "ended_on",
            "recorded_by_id",
            "created_at",
        ],
        lead_rows(),
        progress=ctx.progress("building leads", total),
    )
    contacts = [
        (
            contact_id,
            row[0],
            None,
            BoardRole.GRID_WORKER,
            f"网格员{row[1]}",
            f"0592-8{row[1] % 1_000_000:06d}",
            None,
            now,
        )
        for contact_id, row in enumerate(compounds, start=next_id(BoardContact))
    ]
    copy_rows(
        BoardContact,
        ["id", "compound_id", "building_id", "role", "name", "service_phone", "updated_by_id", "updated_at"],
        contacts,
        progress=ctx.progress("board contacts", len(contacts)),
    )
    ctx.compounds = [(row[0], row[1], row[12], row[13], row[6]) for row in compounds]
    ctx.district_ids = [row[0] for row in districts]
    ctx.city_ids = [row[0] for row in cities]
    ctx.province_ids = [row[0] for row in provinces]
    _governance(ctx, rng, [row[0] for row in compounds])


MANAGED = [PropertyMode.MENU, PropertyMode.PROFESSIONAL, PropertyMode.SHARED]


def _governance(ctx, rng: random.Random, compound_ids: list[int]) -> None:
    """The compounds' governance bodies, in the proportions of the article (of 637 compounds, 27 new party branches,
    181 self-governance groups, 56 owners' committees, 18 newly under property management): about 60 % have a party
    branch (4 % founded in 2023-2024), 28 % a self-governance group and 9 % an owners' committee formed or
    re-elected in 2023-2024, 60 % a property service (3 % introduced in 2024 after none before). The dashboards'
    governance query is measured against these rows."""
    branches, owners, services, current = [], [], [], {}
    branch_id, owners_id, service_id = next_id(PartyBranch), next_id(OwnersBody), next_id(PropertyService)
    for compound_id in compound_ids:
        roll = rng.random()
        if roll < 0.6:
            new = roll < 0.04
            founded = date(2023 + rng.randrange(2), 1 + rng.randrange(12), 1) if new else date(2010, 1, 1)
            branches.append(
                {
                    "id": branch_id,
                    "compound_id": compound_id,
                    "name": "党支部",
                    "secretary_name": "书记",
                    "member_count": 8,
                    "established_on": founded,
                }
            )
            current.setdefault(compound_id, {})["party_branch_id"] = branch_id
            branch_id += 1
        roll = rng.random()
        if roll < 0.37:
            kind = OwnersBodyKind.SELF_GOVERNANCE_GROUP if roll < 0.28 else OwnersBodyKind.OWNERS_COMMITTEE
            elected = date(2023 + rng.randrange(2), 1 + rng.randrange(12), 15)
            owners.append(
                {
                    "id": owners_id,
                    "compound_id": compound_id,
                    "kind": kind,
                    "director_name": "主任",
                    "established_on": elected,
                }
            )
            current.setdefault(compound_id, {})["owners_body_id"] = owners_id
            owners_id += 1
        roll = rng.random()
        if roll < 0.03:  # none, then a managed mode from 2024
            started = date(2024, 1 + rng.randrange(12), 1)
            services.append(
                {"id": service_id, "compound_id": compound_id, "mode": PropertyMode.NONE, "ended_on": started}
            )
            service_id += 1
            services.append(
                {
                    "id": service_id,
                    "compound_id": compound_id,
                    "mode": rng.choice(MANAGED),
                    "contract_starts_on": started,
                }
            )
        elif roll < 0.6:
            mode = PropertyMode.SELF_MANAGED if roll < 0.2 else rng.choice(MANAGED)
            services.append(
                {"id": service_id, "compound_id": compound_id, "mode": mode, "contract_starts_on": date(2015, 1, 1)}
            )
        else:
            continue
        current.setdefault(compound_id, {})["property_service_id"] = service_id
        service_id += 1
    copy_dicts(PartyBranch, branches, progress=ctx.progress("party branches", len(branches)))
    copy_dicts(OwnersBody, owners, progress=ctx.progress("owners' bodies", len(owners)))
    copy_dicts(PropertyService, services, progress=ctx.progress("property services", len(services)))
    _point_compounds(current)


def _point_compounds(current: dict[int, dict]) -> None:
    """Point each compound at its current bodies (one set-based UPDATE per chunk of compounds)."""
    rows = [
        (pk, ids.get("party_branch_id"), ids.get("owners_body_id"), ids.get("property_service_id"))
        for pk, ids in current.items()
    ]
    table = connection.ops.quote_name(Compound._meta.db_table)
    for start in range(0, len(rows), 10_000):
        chunk = rows[start : start + 10_000]
        if connection.vendor != "postgresql":
            for pk, branch, body, service in chunk:
                Compound.objects.filter(pk=pk).update(
                    party_branch_id=branch, owners_body_id=body, property_service_id=service
                )
            continue
        values = ", ".join(["(%s, %s::bigint, %s::bigint, %s::bigint)"] * len(chunk))
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {table} AS c SET party_branch_id = v.branch, owners_body_id = v.body, "
                f"property_service_id = v.service FROM (VALUES {values}) AS v(id, branch, body, service) "
                f"WHERE c.id = v.id",
                [value for row in chunk for value in row],
            )
