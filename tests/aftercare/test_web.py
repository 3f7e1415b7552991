"""The aftercare pages: who sees and changes what, forms that refuse bad input without writing, the public page's
service form, published quarters and activities, the printable form and the ledger's XLSX."""

import io
from datetime import date

import pytest
import time_machine
from openpyxl import load_workbook

from aftercare import services
from aftercare.models import Activity, LedgerEntry, ServiceForm, Space
from tests import factories as f

pytestmark = pytest.mark.django_db
MAY = date(2025, 5, 15)
ITEMS = [
    {"service": "公共区域保洁", "provider": "近邻物业", "frequency": "每日", "price": "0.30", "price_unit": "元/㎡·月"}
]


@pytest.mark.parametrize(
    "role, status",
    [
        ("community_secretary", 200),
        ("subdistrict_official", 200),
        ("district_official", 200),
        ("contractor", 404),
        ("inspector", 404),
        ("outsider", 404),
    ],
)
def test_record_pages_by_role(tree, actors, record, client, role, status):
    client.force_login(actors[role])
    for name in ("record-detail", "service-form", "ledger", "spaces"):
        assert (
            client.get(
                f"/aftercare/{record.pk}/"
                + {"record-detail": "", "service-form": "service-form/", "ledger": "ledger/", "spaces": "spaces/"}[name]
            ).status_code
            == status
        )
    listing = client.get("/aftercare/").content.decode()
    assert (record.compound.name in listing) is (status == 200)


def test_upper_officials_read_but_do_not_write(tree, actors, record, client):
    city = f.CityFactory()
    tree["district"].city = city
    tree["district"].save()
    official = f.user_with_role("city_official", city=city)
    client.force_login(official)
    assert client.get(f"/aftercare/{record.pk}/").status_code == 200
    response = client.post(
        f"/aftercare/{record.pk}/spaces/", {"form": "space", "name": "茶室", "kind": "community_room", "area": "20"}
    )
    assert response.status_code == 403 and not Space.objects.exists()
    client.force_login(actors["district_official"])
    assert client.post(f"/aftercare/{record.pk}/ledger/", {"amount": "5"}).status_code == 403


def test_anonymous_is_sent_to_sign_in(record, client):
    assert client.get(f"/aftercare/{record.pk}/").status_code == 302


@time_machine.travel(MAY)
def test_secretary_records_an_entry_and_a_bad_one_writes_nothing(tree, actors, record, client):
    client.force_login(actors["community_secretary"])
    url = f"/aftercare/{record.pk}/ledger/"
    good = {
        "kind": "charging",
        "entry_date": "2025-04-02",
        "amount": "1200.50",
        "purpose": "充电桩分成",
        "decision": "业委会同意",
        "decided_on": "2025-04-01",
    }
    assert client.post(url, good).status_code == 302
    for bad in (
        {**good, "amount": "abc"},
        {**good, "decision": ""},
        {**good, "entry_date": "2025-07-01"},
        {**good, "amount": "20000"},
    ):
        response = client.post(url, bad)
        assert (
            response.status_code == 400
            and "invalid-feedback" in response.content.decode()
            or "alert-danger" in response.content.decode()
        )
    assert LedgerEntry.objects.count() == 1
    page = client.get(f"{url}?corrects={LedgerEntry.objects.get().pk}").content.decode()
    assert "登记更正" in page  # "Record a correction"


@time_machine.travel(MAY)
def test_published_quarter_totals_show_on_the_public_page(tree, actors, record, client):
    secretary = actors["community_secretary"]
    for kind, amount, day in (
        ("charging", "1500", "2025-02-10"),
        ("charging", "500", "2025-03-01"),
        ("parking", "800", "2025-03-20"),
    ):
        services.ledger_entry_record(
            actor=secretary, record=record, kind=kind, entry_date=day, amount=amount, purpose="一季度明细",
            decision="业委会同意", decided_on="2025-01-05",
        )  # fmt: skip
    services.ledger_entry_record(
        actor=secretary, record=record, kind="charging", entry_date="2025-04-10", amount="999", purpose="二季度",
        decision="业委会同意", decided_on="2025-01-05",
    )  # fmt: skip
    public = f"/public/compounds/{record.compound.code}/"
    assert 'data-testid="public-quarter"' not in client.get(public).content.decode()
    client.force_login(secretary)
    assert client.post(f"/aftercare/{record.pk}/ledger/publish/", {"year": "2025", "quarter": "1"}).status_code == 302
    client.logout()
    page = client.get(public).content.decode()
    quarter = page[page.index('data-testid="public-quarter"') :]
    assert "2025 Q1" in quarter
    assert ">2000.00<" in quarter and ">800.00<" in quarter and ">2800.00<" in quarter  # by kind, and the balance
    assert "999" not in page and "一季度明细" not in page  # the open quarter is not published, nor any entry


@time_machine.travel(MAY)
def test_service_form_versions_on_the_web_and_the_printable_page(tree, actors, record, client):
    client.force_login(actors["community_secretary"])
    url = f"/aftercare/{record.pk}/service-form/"
    management = {
        "items-TOTAL_FORMS": "2",
        "items-INITIAL_FORMS": "0",
        "items-MIN_NUM_FORMS": "0",
        "items-MAX_NUM_FORMS": "60",
    }
    row = {
        "items-0-service": "公共区域保洁",
        "items-0-provider": "近邻物业",
        "items-0-frequency": "每日",
        "items-0-price": "0.30",
        "items-0-price_unit": "元/㎡·月",
    }
    # menu-style service (the fixture's) needs a price on every row: refused, nothing written
    response = client.post(
        url, {**management, **row, "items-1-service": "维修", "items-1-provider": "物业", "items-1-frequency": "预约"}
    )
    assert response.status_code == 400 and not ServiceForm.objects.exists()
    assert client.post(url, {**management, **row}).status_code == 302
    assert client.post(url, {**management, **row, "items-0-price": "0.35", "note": "调价"}).status_code == 302
    page = client.get(url).content.decode()
    assert "v1" in page and "v2" in page
    client.logout()
    printable = client.get(f"/public/compounds/{record.compound.code}/service-form/").content.decode()
    assert "0.35" in printable and "0.30" not in printable
    public = client.get(f"/public/compounds/{record.compound.code}/").content.decode()
    assert "v1 2025-05-15" in public and "0.35" in public


def test_printable_form_is_404_without_one(tree, record, client):
    assert client.get(f"/public/compounds/{record.compound.code}/service-form/").status_code == 404
    assert client.get("/public/compounds/NOPE/service-form/").status_code == 404


@time_machine.travel(MAY)
def test_ledger_exports_as_xlsx(tree, actors, record, client):
    services.ledger_entry_record(
        actor=actors["community_secretary"], record=record, kind="charging", entry_date="2025-04-02", amount="1200.50",
        purpose="=HYPERLINK(\"x\")", decision="业委会同意", decided_on="2025-04-01",
    )  # fmt: skip
    client.force_login(actors["subdistrict_official"])
    response = client.get(f"/aftercare/{record.pk}/ledger/?export=xlsx")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert sheet.cell(2, 4).value == 1200.5
    assert sheet.cell(2, 5).data_type == "s"  # written as text, never run as a formula


@time_machine.travel(MAY)
def test_activity_with_sign_ups_is_held_and_shows_on_the_public_page(tree, actors, record, client):
    client.force_login(actors["community_secretary"])
    spaces = f"/aftercare/{record.pk}/spaces/"
    assert (
        client.post(spaces, {"form": "space", "name": "近邻茶室", "kind": "community_room", "area": "-3"}).status_code
        == 400
    )
    assert (
        client.post(spaces, {"form": "space", "name": "近邻茶室", "kind": "community_room", "area": "60"}).status_code
        == 302
    )
    space = Space.objects.get()
    response = client.post(
        spaces,
        {
            "form": "activity",
            "space": space.pk,
            "title": "第一次近邻茶话会",
            "held_on": "2025-05-15",
            "organiser_kind": "party_branch",
        },
    )
    activity = Activity.objects.get()
    url = f"/aftercare/activities/{activity.pk}/"
    assert response.status_code == 302 and response["Location"] == url
    assert client.post(url, {"form": "signups", "count": "12"}).status_code == 302
    assert client.post(url, {"form": "attendance", "attendance": "-1"}).status_code == 400
    assert client.post(url, {"form": "attendance", "attendance": "15"}).status_code == 302
    assert client.post(url, {"form": "photos", "photos": [f.photo_file()]}).status_code == 302
    photo = activity.photos.get()
    assert client.get(f"/aftercare/activity-photos/{photo.pk}/thumbnail/").status_code == 200
    client.force_login(actors["contractor"])
    assert client.get(f"/aftercare/activity-photos/{photo.pk}/").status_code == 404
    client.logout()
    page = client.get(f"/public/compounds/{record.compound.code}/").content.decode()
    assert "近邻茶室" in page and "第一次近邻茶话会" in page and "60 m²" in page


def test_handover_documents_are_private(tree, actors, record, client):
    client.force_login(actors["community_secretary"])
    response = client.post(f"/aftercare/{record.pk}/documents/", {"title": "竣工验收报告", "file": f.pdf_file()})
    assert response.status_code == 302
    document = record.documents.get()
    assert client.post(
        f"/aftercare/{record.pk}/documents/",
        {"title": "坏文件", "file": f.photo_file(name="x.jpg", image_format="PNG")},
    ).status_code in (302, 400)
    download = client.get(f"/aftercare/documents/{document.pk}/")
    assert download.status_code == 200 and download["Content-Type"] == "application/pdf"
    for role in ("contractor", "outsider"):
        client.force_login(actors[role])
        assert client.get(f"/aftercare/documents/{document.pk}/").status_code == 404
    client.logout()
    assert client.get(f"/aftercare/documents/{document.pk}/").status_code == 302


def test_district_sets_warranty_on_the_web(tree, actors, record, client):
    warranty = record.warranties.get(category="decoration")
    client.force_login(actors["community_secretary"])
    assert client.post(f"/aftercare/warranties/{warranty.pk}/", {"ends_on": "2031-01-01"}).status_code == 403
    client.force_login(actors["district_official"])
    client.post(f"/aftercare/warranties/{warranty.pk}/", {"ends_on": "2031-01-01", "basis": "合同"})
    warranty.refresh_from_db()
    assert warranty.ends_on == date(2031, 1, 1)
