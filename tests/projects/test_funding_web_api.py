"""Funding on the web and through the API: the project page's funding section and form, the ledger list and its
exports, the API's list/create/export, refusals with nothing saved, the scope matrix and query budgets."""

import csv
import io
import uuid
from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from communities.models import ApiToken
from projects import services
from projects.choices import FundingSource, FundingStage
from projects.models import FundingEntry, ProjectFunding
from tests import factories as f

pytestmark = pytest.mark.django_db

CENTRAL = FundingSource.CENTRAL_SUBSIDY
URL = "/api/v1/funding-entries/"


def record(actor, project, stage, amount, source=CENTRAL, number="厦财建〔2026〕8号", day=date(2026, 4, 1)):
    return services.funding_entry_record(
        actor=actor, project=project, source=source, stage=stage, amount=amount, date=day, document_number=number
    )


def body(project, stage="disbursed", amount="0.30", **extra):
    return {
        "project": project.pk,
        "source": CENTRAL,
        "stage": stage,
        "amount": amount,
        "date": "2026-04-02",
        "document_number": "思建拨〔2026〕3号",
        **extra,
    }


@pytest.fixture
def allocated(project, actors):
    """0.10 + 0.20 allocated from the central subsidy (0.30, exactly)."""
    official = actors["district_official"]
    record(official, project, FundingStage.ALLOCATED, "0.10")
    record(official, project, FundingStage.ALLOCATED, "0.20", number="厦财建〔2026〕9号")
    return official


def test_district_official_records_a_disbursement_on_the_web(allocated, project, client):
    client.force_login(allocated)
    page = client.get(reverse("projects:project-detail", args=[project.pk])).content.decode()
    assert 'data-testid="record-funding"' in page and "厦财建〔2026〕9号" in page
    url = reverse("projects:funding-entry-create", args=[project.pk])
    response = client.post(url, body(project, amount="0.30"))
    assert response.status_code == 302
    page = client.get(reverse("projects:project-detail", args=[project.pk])).content.decode()
    assert "思建拨〔2026〕3号" in page
    assert FundingEntry.objects.get(stage="disbursed").amount == Decimal("0.30")


def test_web_form_refuses_a_disbursement_beyond_the_allocation_with_a_message(allocated, project, client):
    client.force_login(allocated)
    url = reverse("projects:funding-entry-create", args=[project.pk])
    response = client.post(url, body(project, amount="0.31"))
    assert response.status_code == 400
    text = response.content.decode()
    assert "¥0.30" in text and "¥0.01" not in text  # allocated 0.30, disbursed 0.00: at most 0.30
    assert "invalid-feedback" in text
    response = client.post(url, body(project, amount="0.005"))
    assert response.status_code == 400
    assert not FundingEntry.objects.filter(stage="disbursed").exists()


def test_api_refuses_a_disbursement_beyond_the_allocation_with_400_and_saves_nothing(allocated, project, api_as):
    api = api_as(allocated)
    response = api.post(URL, body(project, amount="0.31"), format="json")
    assert response.status_code == 400
    error = response.json()["errors"][0]
    assert error["code"] == "exceeds_allocation" and error["attr"] == "amount"
    assert not FundingEntry.objects.filter(stage="disbursed").exists()
    for amount, code in (("0", "not_positive"), ("-5", "not_positive"), ("0.001", "max_decimal_places")):
        response = api.post(URL, body(project, amount=amount), format="json")
        assert response.status_code == 400 and response.json()["errors"][0]["code"] == code, response.json()
    response = api.post(URL, body(project, amount="0.30"), format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["amount"] == "0.30" and response.json()["recorded_by"] == allocated.pk


def test_api_create_honours_the_idempotency_key(allocated, project, api):
    token = ApiToken.issue(user=allocated, device_name="财务平板")[1]
    auth = {"HTTP_AUTHORIZATION": f"Token {token}", "HTTP_IDEMPOTENCY_KEY": str(uuid.uuid4())}
    first = api.post(URL, body(project, amount="0.20"), format="json", **auth)
    again = api.post(URL, body(project, amount="0.20"), format="json", **auth)
    assert first.status_code == again.status_code == 201
    assert again.headers.get("Idempotent-Replayed") == "true" and first.json() == again.json()
    assert FundingEntry.objects.filter(stage="disbursed").count() == 1


def test_api_lists_filter_by_source_stage_and_date_and_export(allocated, project, api_as):
    record(allocated, project, FundingStage.ALLOCATED, "5.00", source=FundingSource.SPECIAL_BONDS, day=date(2026, 5, 1))
    api = api_as(allocated)
    rows = api.get(URL, {"project": project.pk, "stage": "allocated", "source": CENTRAL}).json()["results"]
    assert sorted(row["amount"] for row in rows) == ["0.10", "0.20"]
    rows = api.get(URL, {"since": "2026-04-15", "until": "2026-05-31"}).json()["results"]
    assert [row["source"] for row in rows] == ["special_bonds"]
    assert api.get(URL, {"stage": "lottery"}).status_code == 400
    export = api.get(f"{URL}export/", {"export": "csv", "source": CENTRAL})
    assert export.status_code == 200
    lines = list(csv.reader(io.StringIO(b"".join(export.streaming_content).decode("utf-8")[1:])))
    assert len(lines) == 3 and str(FundingSource(CENTRAL).label) in lines[1]


def test_ledger_page_filters_sums_and_exports(allocated, project, foreign_project, actors, client):
    record(allocated, foreign_project, FundingStage.ALLOCATED, "7.00", number="=HYPERLINK(1)")
    client.force_login(actors["subdistrict_official"])  # sees side a only
    page = client.get(reverse("projects:funding-entry-list")).content.decode()
    assert "厦财建〔2026〕9号" in page and "HYPERLINK" not in page
    assert "¥0.30" in page  # allocated in scope: 0.10 + 0.20
    client.force_login(allocated)
    response = client.get(reverse("projects:funding-entry-list"), {"export": "xlsx"})
    book = load_workbook(io.BytesIO(response.content), read_only=True)
    cells = [c for row in book.active.iter_rows(values_only=True) for c in row]
    assert "=HYPERLINK(1)" in cells  # kept as text (a quote-prefixed string cell), never a formula
    text = b"".join(client.get(reverse("projects:funding-entry-list"), {"export": "csv"}).streaming_content)
    assert "'=HYPERLINK(1)" in text.decode("utf-8")


# role → (sees own project's entries, sees the foreign one's, may record on own: web status of the form page)
MATRIX = {
    "district_official": (True, True, 200),
    "subdistrict_official": (True, False, 200),
    "community_secretary": (True, False, 403),
    "contractor": (True, False, 403),
    "inspector": (True, True, 403),
    "outsider": (False, False, 404),
}


@pytest.mark.parametrize("role", MATRIX)
def test_scope_matrix(role, allocated, project, foreign_project, actors, api_as, client):
    record(allocated, foreign_project, FundingStage.ALLOCATED, "7.00", number="外部〔2026〕1号")
    own, foreign, form = MATRIX[role]
    user = actors[role]
    api = api_as(user)
    listed = {row["document_number"] for row in api.get(URL).json()["results"]}
    assert ("厦财建〔2026〕8号" in listed, "外部〔2026〕1号" in listed) == (own, foreign)
    foreign_entry = FundingEntry.objects.get(project=foreign_project)
    assert api.get(f"{URL}{foreign_entry.pk}/").status_code == (200 if foreign else 404)
    client.force_login(user)
    assert client.get(reverse("projects:funding-entry-create", args=[project.pk])).status_code == form
    # Writes: a disbursement on own project (district officials only), anything on the foreign one.
    created = api.post(URL, body(project, amount="0.01"), format="json").status_code
    assert created == {"district_official": 201, "outsider": 404}.get(role, 403)
    foreign_post = api.post(URL, body(foreign_project, amount="0.01"), format="json").status_code
    assert foreign_post == (201 if role == "district_official" else 403 if foreign else 404)
    web = client.post(reverse("projects:funding-entry-create", args=[foreign_project.pk]), body(foreign_project))
    assert web.status_code in ((302,) if role == "district_official" else (403, 404))


def test_contractor_sees_the_ledger_of_its_project_but_no_form(allocated, project, actors, client):
    client.force_login(actors["contractor"])
    page = client.get(reverse("projects:project-detail", args=[project.pk])).content.decode()
    assert "厦财建〔2026〕8号" in page and 'data-testid="record-funding"' not in page


def test_ledger_and_project_page_cost_a_fixed_number_of_queries(
    allocated, project, tree, actors, client, api_as, django_assert_max_num_queries
):
    def grow(count):
        for index in range(count):
            other = f.ProjectFactory(compound=f.CompoundFactory(community=tree["comm_a"]))
            ProjectFunding.objects.create(project=other, source=CENTRAL, amount=Decimal("9.99"))
            record(allocated, other, FundingStage.ALLOCATED, "1.00", number=f"增〔2026〕{index}号")
            record(allocated, project, FundingStage.ALLOCATED, "1.00", number=f"再〔2026〕{index}号")

    def counts():
        client.force_login(allocated)
        api = api_as(allocated)
        result = []
        for fetch in (
            lambda: client.get(reverse("projects:funding-entry-list")),
            lambda: client.get(reverse("projects:project-detail", args=[project.pk])),
            lambda: api.get(URL),
        ):
            from django.db import connection
            from django.test.utils import CaptureQueriesContext

            with CaptureQueriesContext(connection) as queries:
                assert fetch().status_code == 200
            result.append(len(queries))
        return result

    grow(1)
    counts()
    before = counts()
    grow(5)
    assert counts() == before
    with django_assert_max_num_queries(12):
        api_as(allocated).get(URL)


def test_void_on_the_web_and_through_the_api(allocated, project, actors, api_as, client):
    first, second = FundingEntry.objects.filter(project=project).order_by("pk")
    api = api_as(actors["subdistrict_official"])  # sees it, may not void an allocation
    assert api.post(f"{URL}{first.pk}/void/", {"reason": "录错"}, format="json").status_code == 403
    api = api_as(allocated)
    assert api.post(f"{URL}{first.pk}/void/", {}, format="json").status_code == 400
    response = api.post(f"{URL}{first.pk}/void/", {"reason": "重复录入"}, format="json")
    assert response.status_code == 200 and response.json()["void_reason"] == "重复录入"
    again = api.post(f"{URL}{first.pk}/void/", {"reason": "再次"}, format="json")
    assert again.status_code == 400 and again.json()["errors"][0]["code"] == "already_voided"
    record(allocated, project, FundingStage.DISBURSED, "0.20", number="拨〔2026〕1号")
    client.force_login(allocated)
    response = client.post(reverse("projects:funding-entry-void", args=[second.pk]), {"reason": "录错"})
    assert response.status_code == 302
    second.refresh_from_db()
    assert second.voided_at is None  # 0.20 disbursed stands on it: refused with a message
    page = client.get(reverse("projects:project-detail", args=[project.pk])).content.decode()
    assert "重复录入" in page and "<s>¥0.10</s>" in page
