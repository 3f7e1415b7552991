"""The generator fills aftercare at every scale: each compound with a handed-over project gets what the handover
service opens and a first quarter's ledger, published with the totals the service would freeze."""

import io

import pytest
from django.core.management import call_command

from aftercare import services
from aftercare.choices import WarrantyCategory
from aftercare.models import Activity, AftercareRecord, LedgerEntry, LedgerQuarter, ServiceForm, Space, WarrantyPeriod
from projects.choices import ProjectStatus
from projects.models import Project

pytestmark = pytest.mark.django_db


def test_generated_aftercare_is_what_the_services_would_have_written():
    call_command("generate_data", scale="district", districts=1, compounds_per_community=2, stdout=io.StringIO())
    handed_over = set(
        Project.objects.filter(status=ProjectStatus.HANDED_OVER).values_list("compound_id", flat=True).distinct()
    )
    assert len(handed_over) > 5
    records = list(AftercareRecord.objects.select_related("project", "compound__property_service"))
    assert {r.compound_id for r in records} == handed_over
    for record in records:
        assert record.project.compound_id == record.compound_id and record.project.status == ProjectStatus.HANDED_OVER
        periods = WarrantyPeriod.objects.filter(record=record)
        assert sorted(periods.values_list("category", flat=True)) == sorted(WarrantyCategory.values)
        assert all(p.starts_on == record.opened_on <= p.ends_on for p in periods)
        assert ServiceForm.objects.filter(record=record, version=1).count() == 1
        assert Space.objects.filter(record=record).count() == 2
        managed = record.compound.property_service is not None and record.compound.property_service.mode in (
            services.SERVICE_MODES
        )
        assert record.responsible_kind == ("property_service" if managed else "self_management")
    quarters = list(LedgerQuarter.objects.all())
    assert quarters and LedgerEntry.objects.exists() and Activity.objects.exists()
    for quarter in quarters:
        totals, income, spending = services.quarter_totals(quarter.record, quarter.starts_on, quarter.ends_on)
        assert (quarter.totals, quarter.income_total, quarter.spending_total) == (totals, income, spending)
