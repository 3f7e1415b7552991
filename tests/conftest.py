"""Shared fixtures: a small place tree with two of everything, and named actors on it.

district ── sub_a ── comm_a ── compound_a (project of company_a) ── building_a
         └─ sub_b ── comm_b ── compound_b (project of company_b) ── building_b
"""

import pytest
from rest_framework.test import APIClient

from communities.choices import RoleKind
from tests import factories as f


@pytest.fixture(autouse=True)
def _clear_cache():
    """The cache is the real Redis: start every test without another test's cached values."""
    from django.core.cache import cache

    cache.clear()
    yield


@pytest.fixture
def tree(db):
    district = f.DistrictFactory(name="思明区")
    sub_a = f.SubdistrictFactory(district=district, name="筼筜街道")
    sub_b = f.SubdistrictFactory(district=district, name="鹭江街道")
    comm_a = f.CommunityFactory(subdistrict=sub_a, name="屿后西社区")
    comm_b = f.CommunityFactory(subdistrict=sub_b, name="厦禾社区")
    compound_a = f.CompoundFactory(community=comm_a, name="屿后南里小区")
    compound_b = f.CompoundFactory(community=comm_b, name="嘉美花园")
    company_a = f.CompanyFactory(name="甲建设公司")
    company_b = f.CompanyFactory(name="乙建设公司")
    f.ProjectFactory(compound=compound_a, contractor=company_a)
    f.ProjectFactory(compound=compound_b, contractor=company_b)
    return {
        "district": district,
        "sub_a": sub_a,
        "sub_b": sub_b,
        "comm_a": comm_a,
        "comm_b": comm_b,
        "compound_a": compound_a,
        "compound_b": compound_b,
        "company_a": company_a,
        "company_b": company_b,
        "building_a": f.BuildingFactory(compound=compound_a, number="1号楼"),
        "building_b": f.BuildingFactory(compound=compound_b, number="1号楼"),
    }


@pytest.fixture
def actors(tree):
    """One user per role; every "own" object is on side a of the tree."""
    return {
        "district_official": f.user_with_role(RoleKind.DISTRICT_OFFICIAL, district=tree["district"]),
        "subdistrict_official": f.user_with_role(RoleKind.SUBDISTRICT_OFFICIAL, subdistrict=tree["sub_a"]),
        "community_secretary": f.user_with_role(RoleKind.COMMUNITY_SECRETARY, community=tree["comm_a"]),
        "contractor": f.user_with_role(RoleKind.CONTRACTOR, company=tree["company_a"]),
        "inspector": f.user_with_role(RoleKind.INSPECTOR, district=tree["district"]),
        "outsider": f.UserFactory(),
    }


@pytest.fixture
def api():
    return APIClient()


@pytest.fixture
def api_as(api):
    def login(user):
        api.force_authenticate(user)
        return api

    return login


def etag_patch(client, url, data, **extra):
    """PATCH as a well-behaved client does: GET the record's ETag first and send it in If-Match."""
    current = client.get(url, **extra)
    etag = current.headers.get("ETag", '"none"') if current.status_code == 200 else '"none"'
    return client.patch(url, data, format="json", HTTP_IF_MATCH=etag, **extra)
