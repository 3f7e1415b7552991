"""Review: a compound's property service changes hands after handover. The property service company whose contract
ended no longer reaches the compound (its page, API, patrols, the today list's patrols due), and the company that
took over does; the patrols' findings for the property service go to the company serving now. (The aftercare record
named the property service of the day of handover and kept naming it after the compound changed company.)"""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from aftercare import services
from aftercare.models import AftercareRecord
from aftercare.today import patrols_due
from communities.choices import RoleKind
from communities.services import property_service_change
from tests import factories as f
from tests.aftercare import conftest as aftercare_fixtures
from tests.aftercare import test_property_staff as property_staff_fixtures

pytestmark = pytest.mark.django_db

record, environment = aftercare_fixtures.record, property_staff_fixtures.environment
_file = property_staff_fixtures._file


@pytest.fixture
def changed_hands(tree, actors, record):
    """Compound a handed over under 近邻物业, then served by 远邻物业 from today."""
    old = record.property_service.company
    new = f.CompanyFactory(name="远邻物业", kind="property")
    service = property_service_change(
        actor=actors["district_official"],
        compound=tree["compound_a"],
        mode="professional",
        company=new,
        contact_name="王经理",
        contract_starts_on=timezone.localdate() - timedelta(days=1),
    )
    return {
        "service": service,
        "old_staff": f.user_with_role(RoleKind.PROPERTY_STAFF, company=old),
        "new_staff": f.user_with_role(RoleKind.PROPERTY_STAFF, company=new),
        "new": new,
    }


def test_the_aftercare_record_follows_the_compounds_property_service(tree, record, changed_hands):
    record.refresh_from_db()
    assert record.property_service == changed_hands["service"]
    assert AftercareRecord.objects.get(pk=record.pk).property_service.company == changed_hands["new"]


def test_the_former_company_no_longer_reaches_the_compound(tree, record, changed_hands, api_as, client):
    compound = tree["compound_a"]
    old, new = changed_hands["old_staff"], changed_hands["new_staff"]
    assert api_as(old).get(f"/api/v1/compounds/{compound.pk}/").status_code == 404
    assert api_as(new).get(f"/api/v1/compounds/{compound.pk}/").status_code == 200
    client.force_login(old)
    assert client.get(reverse("communities:compound-detail", args=[compound.pk])).status_code == 404
    assert client.get(reverse("aftercare:patrol-new", args=[record.pk])).status_code == 404
    assert list(patrols_due(old, timezone.localdate())) == []
    assert [r.pk for r in patrols_due(new, timezone.localdate())] == [record.pk]
    record.refresh_from_db()
    assert not services.perms.can_patrol(old, record) and services.perms.can_patrol(new, record)


def test_a_finding_for_the_property_service_goes_to_the_company_serving_now(
    tree,
    actors,
    record,
    changed_hands,
    environment,
):
    patrol = _file(record, environment, actors["community_secretary"], {"env-waste": ("property", "")})
    issue = patrol.findings.get().issue
    assert issue.property_company == changed_hands["new"]
    assert api_status(changed_hands["new_staff"], issue) == 200


def api_status(user, issue):
    from rest_framework.test import APIClient

    api = APIClient()
    api.force_authenticate(user)
    return api.get(f"/api/v1/issues/{issue.pk}/").status_code


def test_the_migration_points_stale_records_at_the_current_service(tree, record, changed_hands):
    import importlib

    from django.apps import apps

    stale = record.property_service_id
    AftercareRecord.objects.filter(pk=record.pk).update(property_service_id=stale)
    migration = importlib.import_module("aftercare.migrations.0005_record_follows_property_service")
    migration.follow_the_compounds_property_service(apps, None)
    record.refresh_from_db()
    assert stale != changed_hands["service"].pk and record.property_service_id == changed_hands["service"].pk
