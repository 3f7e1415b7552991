"""The register of companies: district officials add and edit them; the unified social credit code (统一社会信用代码)
is checked by its GB 32100-2015 check character and is unique."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from communities.models import Company
from communities.validators import validate_credit_code
from tests import factories as f
from tests.conftest import etag_patch

pytestmark = pytest.mark.django_db

COMPANIES = "/api/v1/companies/"
CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]


def with_check_char(first17: str) -> str:
    """The standard's algorithm written out again here, independent of the code under test."""
    total = sum(CHARSET.index(c) * w for c, w in zip(first17, WEIGHTS, strict=True))
    check = 31 - total % 31
    return first17 + CHARSET[0 if check == 31 else check]


VALID = with_check_char("91350200MA2Y0B1C0")  # 福建省厦门市, an enterprise
VALID_2 = with_check_char("91350203612003582")


def test_the_algorithm_accepts_known_codes():
    for code in (VALID, VALID_2, "91350100M000100Y43"):  # the last: a published code
        validate_credit_code(code)
    # The brief's example does not check out: its check character is R, not E.
    assert with_check_char("91350200612003582") == "91350200612003582R"
    with pytest.raises(ValidationError):
        validate_credit_code("91350200612003582E")


@pytest.mark.parametrize(
    "code",
    [
        VALID[:17] + ("0" if VALID[17] != "0" else "1"),  # wrong check character
        "9135020061200358I" + "0",  # a forbidden letter
        VALID.replace(VALID[4], "O", 1),  # O is not in the charset
        VALID.lower(),  # lower case is not the code (the service upper-cases input; the validator is strict)
        VALID[:17],  # too short
        VALID + "0",  # too long
    ],
)
def test_invalid_codes_are_refused(code):
    with pytest.raises(ValidationError):
        validate_credit_code(code)


def _body(**overrides):
    return {"name": "厦门安居建设有限公司", "kind": "contractor", "credit_code": VALID, **overrides}


@pytest.mark.parametrize(
    "actor, status",
    [
        ("district_official", 201),
        ("subdistrict_official", 403),
        ("community_secretary", 403),
        ("contractor", 403),
        ("inspector", 403),
        ("outsider", 403),
    ],
)
def test_api_create_company_matrix(tree, actors, api_as, actor, status):
    response = api_as(actors[actor]).post(COMPANIES, _body(), format="json")
    assert response.status_code == status, response.content
    assert Company.objects.filter(credit_code=VALID).exists() is (status == 201)


@pytest.mark.parametrize(
    "code, error",
    [
        (VALID[:17] + ("0" if VALID[17] != "0" else "1"), "invalid_credit_code"),
        ("ABCDEFGHIJKLMNOPQR", "invalid_credit_code"),
        ("123", "invalid_credit_code"),
    ],
)
def test_api_refuses_a_bad_code_with_a_field_error(tree, actors, api_as, code, error):
    response = api_as(actors["district_official"]).post(COMPANIES, _body(credit_code=code), format="json")
    assert response.status_code == 400
    assert response.json()["errors"][0] == {**response.json()["errors"][0], "code": error, "attr": "credit_code"}
    assert not Company.objects.filter(name="厦门安居建设有限公司").exists()


def test_code_is_unique_and_normalised(tree, actors, api_as):
    api = api_as(actors["district_official"])
    assert api.post(COMPANIES, _body(credit_code=f" {VALID.lower()} "), format="json").status_code == 201
    assert Company.objects.get(name="厦门安居建设有限公司").credit_code == VALID
    again = api.post(COMPANIES, _body(name="另一家公司"), format="json")
    assert again.status_code == 400 and again.json()["errors"][0]["code"] == "credit_code_taken"
    same_name = api.post(COMPANIES, _body(credit_code=VALID_2), format="json")
    assert same_name.status_code == 400 and same_name.json()["errors"][0]["code"] == "name_taken"


def test_patch_company_by_district_official_only(tree, actors, api_as):
    company = tree["company_a"]
    url = f"{COMPANIES}{company.pk}/"
    assert etag_patch(api_as(actors["subdistrict_official"]), url, {"credit_code": VALID}).status_code == 403
    assert etag_patch(api_as(actors["contractor"]), url, {"credit_code": VALID}).status_code == 403
    assert etag_patch(api_as(actors["community_secretary"]), url, {"credit_code": VALID}).status_code == 404
    official = api_as(actors["district_official"])
    assert etag_patch(official, url, {"credit_code": VALID[:17] + "Z"}).status_code == 400
    response = etag_patch(official, url, {"credit_code": VALID, "contact_name": "陈经理"})
    assert response.status_code == 200, response.content
    company.refresh_from_db()
    assert (company.credit_code, company.contact_name) == (VALID, "陈经理")


def test_company_list_is_for_officials_and_own_company(tree, actors, api_as):
    names = {r["name"] for r in api_as(actors["district_official"]).get(COMPANIES).json()["results"]}
    assert {"甲建设公司", "乙建设公司"} <= names
    own = {r["name"] for r in api_as(actors["contractor"]).get(COMPANIES).json()["results"]}
    assert own == {"甲建设公司"}
    # A secretary sees the property service companies only: she chooses one for a compound's property service.
    assert api_as(actors["community_secretary"]).get(COMPANIES).json()["results"] == []
    f.CompanyFactory(name="丙物业公司", kind="property")
    seen = {r["name"] for r in api_as(actors["community_secretary"]).get(COMPANIES).json()["results"]}
    assert seen == {"丙物业公司"}
    assert {r["name"] for r in api_as(actors["inspector"]).get(COMPANIES).json()["results"]} == set()


def test_web_company_form(tree, actors, client):
    client.force_login(actors["district_official"])
    url = reverse("communities:company-create")
    bad = client.post(url, {"name": "新设计院", "kind": "designer", "credit_code": VALID[:17] + "Z"})
    assert bad.status_code == 200 and "credit_code" in bad.context["form"].errors
    assert client.post(url, {"name": "新设计院", "kind": "designer", "credit_code": VALID}).status_code == 302
    company = Company.objects.get(name="新设计院")
    dup = client.post(url, {"name": "又一家", "kind": "designer", "credit_code": VALID})
    assert dup.status_code == 200 and dup.context["form"].errors
    edit = reverse("communities:company-edit", args=[company.pk])
    assert client.post(edit, {"name": "新设计院", "kind": "supervisor", "credit_code": VALID}).status_code == 302
    company.refresh_from_db()
    assert company.kind == "supervisor"
    assert "新设计院" in client.get(reverse("communities:company-list")).content.decode()
    client.force_login(actors["subdistrict_official"])
    assert client.get(reverse("communities:company-list")).status_code == 403
    assert client.post(edit, {"name": "x", "kind": "designer", "credit_code": VALID}).status_code == 403
