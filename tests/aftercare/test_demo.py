"""The demo after handover: 嘉美花园 accepted through the projects service, its service form, the charging points'
income with a published quarter on the public page, the first tea meeting in the new room; loading twice adds
nothing; every handed-over demo project has its aftercare."""

import io
from decimal import Decimal

import pytest
from django.core.management import call_command

from aftercare import demo as aftercare_demo
from aftercare.models import Activity, AftercareRecord, LedgerEntry, LedgerQuarter, ServiceForm, WarrantyPeriod
from communities.models import BuildingLead
from projects.choices import ProjectStatus
from projects.models import Project

pytestmark = pytest.mark.django_db


def test_the_demo_tells_jiamei_gardens_story_after_handover(client):
    call_command("load_demo", stdout=io.StringIO())
    record = AftercareRecord.objects.select_related("compound", "project").get(compound__code="XH-JMHY")
    assert record.project.status == ProjectStatus.HANDED_OVER
    assert record.project.events.filter(to_status=ProjectStatus.HANDED_OVER).count() == 1
    assert record.responsible_kind == "property_service"  # 嘉美花园's menu-style property service
    form = ServiceForm.objects.get(record=record)
    assert form.items.count() == 6 and all(item.price is not None for item in form.items.all())
    quarter = LedgerQuarter.objects.get(record=record)
    lines = {line["kind"]: line["amount"] for line in quarter.lines}
    assert lines == {"charging": Decimal("5940.00"), "advertising": Decimal("600.00"), "maintenance": Decimal("850.00")}
    assert LedgerEntry.objects.filter(record=record, entry_date__gt=quarter.ends_on).count() == 1  # the open quarter
    tea = Activity.objects.get(space__record=record, title__startswith="第一次近邻茶话会")
    assert (tea.space.name, tea.signups, tea.attendance, tea.organiser_kind) == ("近邻茶室", 16, 14, "party_branch")

    lead = BuildingLead.objects.get(building__compound=record.compound, building__number="1号楼", ended_on=None)
    assert (lead.name, lead.chosen_by, lead.candidates[0]) == ("徐林", "elected", {"name": "徐林", "votes": 37})

    page = client.get(f"/public/compounds/{record.compound.code}/").content.decode()
    assert 'data-testid="public-aftercare"' in page and ">6540.00<" not in page
    assert ">5940.00<" in page and ">5690.00<" in page  # charging income, and the quarter's balance
    assert "第一次近邻茶话会" in page and "近邻茶室" in page and "公共区域保洁" in page
    assert client.get(f"/public/compounds/{record.compound.code}/service-form/").status_code == 200

    handed_over = Project.objects.filter(status=ProjectStatus.HANDED_OVER)
    assert not handed_over.filter(warranties__isnull=True).exists()
    assert AftercareRecord.objects.count() == handed_over.values("compound").distinct().count()

    counts = [m.objects.count() for m in (AftercareRecord, WarrantyPeriod, ServiceForm, LedgerEntry, Activity)]
    aftercare_demo.load()
    assert [m.objects.count() for m in (AftercareRecord, WarrantyPeriod, ServiceForm, LedgerEntry, Activity)] == counts
