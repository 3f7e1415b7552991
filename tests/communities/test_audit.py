"""The audit trail: a row for a write through each path, append-only, retention, scoped browsing."""

from datetime import timedelta

import pytest
import time_machine
from auditlog.models import LogEntry
from celery import shared_task
from django.core.management import CommandError, call_command
from django.db import DatabaseError, transaction
from django.urls import reverse
from django.utils import timezone

from communities import services
from communities.models import ApiToken, Compound
from tests import factories as f
from tests.conftest import etag_patch

pytestmark = pytest.mark.django_db


def _entries_for(obj):
    return LogEntry.objects.get_for_object(obj).order_by("timestamp")


def test_web_write_is_audited_with_actor_address_path_and_values(tree, actors, client):
    client.force_login(actors["community_secretary"])
    client.post(
        reverse("communities:compound-edit", args=[tree["compound_a"].pk]),
        {
            "address": "莲花二村 1 号",
            "building_count": 5,
            "household_count": 170,
            "resident_count": 500,
            "floor_area": "0",
            "property_mode": "none",
            "year_built": 1990,
        },
        REMOTE_ADDR="192.0.2.7",
    )
    entry = _entries_for(tree["compound_a"]).last()
    assert entry.action == LogEntry.Action.UPDATE
    assert entry.actor == actors["community_secretary"]
    assert entry.remote_addr == "192.0.2.7"
    assert entry.cid == "web"
    assert entry.changes_dict["address"] == ["", "莲花二村 1 号"]
    assert entry.additional_data["subdistrict"] == tree["sub_a"].pk


def test_api_write_by_token_names_the_token_user(tree, actors, api):
    user = actors["district_official"]
    _, key = ApiToken.issue(user=user, device_name="平板")
    response = etag_patch(
        api, f"/api/v1/buildings/{tree['building_b'].pk}/", {"floors": 11}, HTTP_AUTHORIZATION=f"Token {key}"
    )
    assert response.status_code == 200
    entry = _entries_for(tree["building_b"]).last()
    assert (entry.actor, entry.cid) == (user, "api")
    assert str(entry.changes_dict["floors"][1]) == "11"


def test_admin_write_is_audited(tree, client):
    admin = f.UserFactory(is_staff=True, is_superuser=True)
    client.force_login(admin)
    compound = tree["compound_b"]
    response = client.post(
        f"/admin/communities/compound/{compound.pk}/change/",
        {
            "community": compound.community_id,
            "code": compound.code,
            "name": "嘉美花园（改）",
            "address": "",
            "year_built": 1990,
            "building_count": 5,
            "household_count": 170,
            "resident_count": 500,
            "floor_area": "0",
            "property_mode": "none",
            "buildings-TOTAL_FORMS": 0,
            "buildings-INITIAL_FORMS": 0,
            "buildings-MIN_NUM_FORMS": 0,
            "buildings-MAX_NUM_FORMS": 1000,
        },
    )
    assert response.status_code == 302, response.content.decode()[:500]
    entry = _entries_for(compound).last()
    assert (entry.actor, entry.cid) == (admin, "admin")


@shared_task(name="tests.rename_compound")
def rename_compound(compound_id, name):
    compound = Compound.objects.get(pk=compound_id)
    compound.name = name
    compound.save(update_fields=["name"])


def test_task_write_is_audited_with_its_name(tree):
    rename_compound.apply(args=[tree["compound_a"].pk, "任务改名"])
    entry = _entries_for(tree["compound_a"]).last()
    assert entry.cid == "task:tests.rename_compound" and entry.actor is None


def test_command_write_is_audited(db):
    call_command("load_demo", stdout=open("/dev/null", "w"))
    compound = Compound.objects.get(name="菡凌蓉小区")
    assert _entries_for(compound).first().cid == "command:load_demo"


def test_service_call_records_old_and_new_values(tree, actors):
    services.compound_update(actor=actors["district_official"], compound=tree["compound_a"], year_built=1989)
    assert _entries_for(tree["compound_a"]).last().changes_dict["year_built"] == [1990, 1989]


def test_audit_rows_cannot_be_changed_or_deleted(tree, actors):
    services.compound_update(actor=actors["district_official"], compound=tree["compound_a"], address="x")
    entry = _entries_for(tree["compound_a"]).last()
    with pytest.raises(DatabaseError), transaction.atomic():
        LogEntry.objects.filter(pk=entry.pk).update(object_repr="forged")
    with pytest.raises(DatabaseError), transaction.atomic():
        LogEntry.objects.filter(pk=entry.pk).delete()
    assert LogEntry.objects.filter(pk=entry.pk, object_repr=entry.object_repr).exists()


def test_purge_deletes_only_rows_past_retention(tree, actors):
    now = timezone.now()
    with time_machine.travel(now - timedelta(days=200)):
        services.compound_update(actor=actors["district_official"], compound=tree["compound_a"], address="旧")
    with time_machine.travel(now - timedelta(days=100)):
        services.compound_update(actor=actors["district_official"], compound=tree["compound_a"], address="中")
    with pytest.raises(CommandError):
        call_command("purge_audit_log", days=30)
    call_command("purge_audit_log", stdout=open("/dev/null", "w"))
    remaining = [
        e.changes_dict["address"][1] for e in _entries_for(tree["compound_a"]) if e.action == LogEntry.Action.UPDATE
    ]
    assert remaining == ["中"]


def test_subdistrict_official_browses_only_own_subtree(tree, actors, client):
    services.compound_update(actor=actors["district_official"], compound=tree["compound_a"], address="甲地址")
    services.compound_update(actor=actors["district_official"], compound=tree["compound_b"], address="乙地址")
    client.force_login(actors["subdistrict_official"])
    page = client.get(reverse("audit-log")).content.decode()
    assert "甲地址" in page and "乙地址" not in page
    client.force_login(actors["district_official"])
    page = client.get(reverse("audit-log"), {"content_type": "", "object_pk": tree["compound_b"].pk}).content.decode()
    assert "乙地址" in page and "甲地址" not in page


@pytest.mark.parametrize("role", ["community_secretary", "contractor", "inspector", "outsider"])
def test_other_roles_cannot_browse_the_audit_trail(role, tree, actors, client):
    client.force_login(actors[role])
    assert client.get(reverse("audit-log")).status_code == 403


def test_bad_filter_values_are_a_message_not_an_error(tree, actors, client):
    client.force_login(actors["district_official"])
    response = client.get(reverse("audit-log"), {"since": "昨天", "action": "99"})
    assert response.status_code == 200
    assert "text-danger" in response.content.decode()


def test_member_changes_are_audited_for_the_officials_of_the_place(tree, actors):
    """Members of an inspection group (an m2m relation) and of a task force are changes like any other: their
    entries carry the place, so the district's officials browse them and another subdistrict's do not."""
    from communities.audit_views import audit_entries_visible_to
    from inspections import services as inspection_services

    official = actors["district_official"]
    group = inspection_services.inspection_group_create(
        actor=official, district=tree["district"], name="第一组", tier=2
    )
    inspection_services.inspection_group_add_member(actor=official, group=group, user=actors["inspector"])
    inspection_services.inspection_group_remove_member(actor=official, group=group, user=actors["inspector"])
    task_force = services.task_force_create(actor=official, level="subdistrict", place=tree["sub_a"], name="筼筜专班")
    member = services.task_force_add_member(actor=official, task_force=task_force, name="王组长", role="组长")
    member_pk = member.pk
    services.task_force_remove_member(actor=official, member=member)

    group_changes = [e.changes_dict.get("members") for e in _entries_for(group) if "members" in e.changes_dict]
    assert [(c["operation"], c["objects"]) for c in group_changes] == [
        ("add", [str(actors["inspector"])]),
        ("delete", [str(actors["inspector"])]),
    ]
    member_entries = LogEntry.objects.filter(content_type__model="taskforcemember", object_pk=str(member_pk)).order_by(
        "timestamp"
    )
    assert [e.action for e in member_entries] == [LogEntry.Action.CREATE, LogEntry.Action.DELETE]

    district_sees = audit_entries_visible_to(official)
    assert district_sees.filter(pk__in=[e.pk for e in member_entries]).count() == 2
    assert district_sees.filter(content_type__model="inspectiongroup", object_pk=str(group.pk)).count() == 3
    sub_a = f.user_with_role("subdistrict_official", subdistrict=tree["sub_a"])
    sub_b = f.user_with_role("subdistrict_official", subdistrict=tree["sub_b"])
    assert audit_entries_visible_to(sub_a).filter(pk__in=[e.pk for e in member_entries]).count() == 2
    assert not audit_entries_visible_to(sub_b).filter(pk__in=[e.pk for e in member_entries]).exists()
    assert not audit_entries_visible_to(sub_b).filter(content_type__model="inspectiongroup").exists()
