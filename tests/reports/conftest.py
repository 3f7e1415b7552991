"""Two cities of one province and a city of another province, a district in each, and the officials of each level.

province_a ── city_a ── district_a (projects, targets, funding) ── sub_a ── comm_a
           └─ city_a2 ── district_a2
province_b ── city_b ── district_b
"""

from datetime import date
from decimal import Decimal

import pytest

from communities.choices import RoleKind
from projects.choices import FundingSource, FundingStage, ProjectStatus
from projects.models import FundingEntry, ProgrammeTarget, ProjectFunding
from tests import factories as f

TODAY = date(2026, 11, 15)


@pytest.fixture
def upward(db):
    province_a, province_b = f.ProvinceFactory(name="福建省"), f.ProvinceFactory(name="广东省")
    city_a = f.CityFactory(province=province_a, name="厦门市")
    city_a2 = f.CityFactory(province=province_a, name="福州市")
    city_b = f.CityFactory(province=province_b, name="深圳市")
    district_a = f.DistrictFactory(city=city_a, name="思明区")
    district_a2 = f.DistrictFactory(city=city_a2, name="鼓楼区")
    district_b = f.DistrictFactory(city=city_b, name="南山区")
    sub_a = f.SubdistrictFactory(district=district_a)
    comm_a = f.CommunityFactory(subdistrict=sub_a)
    comm_b = f.CommunityFactory(subdistrict=f.SubdistrictFactory(district=district_b))

    def compound(community, buildings, households):
        return f.CompoundFactory(community=community, building_count=buildings, household_count=households)

    c1, c2, c3 = compound(comm_a, 5, 170), compound(comm_a, 3, 100), compound(comm_a, 2, 40)
    # c1: started this month, twice (two batches): counted once.
    f.ProjectFactory(compound=c1, status=ProjectStatus.CONSTRUCTION, actual_start=date(2026, 11, 3))
    f.ProjectFactory(compound=c1, status=ProjectStatus.CONSTRUCTION, actual_start=date(2026, 11, 5), batch=2)
    # c2: started in February, handed over this month.
    p2 = f.ProjectFactory(
        compound=c2, status=ProjectStatus.HANDED_OVER, actual_start=date(2026, 2, 10), actual_finish=date(2026, 11, 10)
    )
    # c3: started last year, handed over in March.
    p3 = f.ProjectFactory(
        compound=c3, status=ProjectStatus.HANDED_OVER, actual_start=date(2025, 6, 1), actual_finish=date(2026, 3, 5)
    )
    # Another city's district: never in district_a's figures.
    f.ProjectFactory(
        compound=compound(comm_b, 9, 900),
        status=ProjectStatus.HANDED_OVER,
        actual_start=date(2026, 11, 4),
        actual_finish=date(2026, 11, 6),
    )
    # Investment completed is what the ledger records as spent, on the entry's date: p2's this month, p3's in March.
    clerk = f.UserFactory()
    for project, source, amount, on in (
        (p2, FundingSource.DISTRICT_FUNDS, "1000000.00", date(2026, 11, 10)),
        (p2, FundingSource.RESIDENTS, "12345.67", date(2026, 11, 12)),
        (p3, FundingSource.UTILITIES, "500.50", date(2026, 3, 5)),
    ):
        ProjectFunding.objects.create(project=project, source=source, amount=Decimal(amount))
        for stage in FundingStage.values:
            FundingEntry.objects.create(
                project=project, source=source, stage=stage, amount=Decimal(amount), date=on,
                document_number=f"{stage}-{source}", recorded_by=clerk,
            )  # fmt: skip
    ProgrammeTarget.objects.create(district=district_a, year=2026, to_start=10, to_finish=4)
    ProgrammeTarget.objects.create(district=district_a2, year=2026, to_start=3, to_finish=1)
    ProgrammeTarget.objects.create(district=district_b, year=2026, to_start=50, to_finish=50)
    return {
        "province_a": province_a,
        "province_b": province_b,
        "city_a": city_a,
        "city_a2": city_a2,
        "city_b": city_b,
        "district_a": district_a,
        "district_a2": district_a2,
        "district_b": district_b,
        "sub_a": sub_a,
        "district_official": f.user_with_role(RoleKind.DISTRICT_OFFICIAL, district=district_a),
        "district_b_official": f.user_with_role(RoleKind.DISTRICT_OFFICIAL, district=district_b),
        "subdistrict_official": f.user_with_role(RoleKind.SUBDISTRICT_OFFICIAL, subdistrict=sub_a),
        "city_official": f.user_with_role(RoleKind.CITY_OFFICIAL, city=city_a),
        "city_b_official": f.user_with_role(RoleKind.CITY_OFFICIAL, city=city_b),
        "province_official": f.user_with_role(RoleKind.PROVINCE_OFFICIAL, province=province_a),
        "province_b_official": f.user_with_role(RoleKind.PROVINCE_OFFICIAL, province=province_b),
    }
