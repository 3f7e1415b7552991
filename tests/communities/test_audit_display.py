"""The audit trail reads as words: empty values say so, yes/no instead of True/False, actions in the page's
language, a created record lists its values without an "old → new" arrow, and reverse relations and default
object names ("Photo object (3)") are left out."""

import re

import pytest
from auditlog.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse
from django.utils.translation import gettext, override

from communities import services
from communities.audit_views import change_rows, object_label, source_label
from communities.models import Compound

pytestmark = pytest.mark.django_db


def changes_cells(html: str) -> list[str]:
    return [re.sub(r"<[^>]+>", " ", cell) for cell in re.findall(r'<td class="small">(.*?)</td>', html, re.S)]


def test_empty_values_and_actions_are_in_words(tree, actors, client):
    compound = tree["compound_a"]
    services.compound_update(actor=actors["district_official"], compound=compound, address="甲地址")
    services.compound_update(actor=actors["district_official"], compound=compound, address="")
    client.force_login(actors["district_official"])
    content_type = ContentType.objects.get_for_model(Compound)
    html = client.get(reverse("audit-log"), {"content_type": content_type.pk, "object_pk": compound.pk}).content
    html = html.decode()
    with override("zh-hans"):
        empty, changed, created = gettext("(empty)"), gettext("Changed"), gettext("Created")
    cells = changes_cells(html)
    assert any(f"甲地址 → {empty}" in cell for cell in cells), cells
    assert not any(re.search(r"\bNone\b|\bTrue\b|\bFalse\b|∅", cell) for cell in cells), cells
    assert f">{changed}<" in html and f">{created}<" in html
    assert ">update<" not in html and ">create<" not in html
    with override("zh-hans"):
        assert source_label("web") == gettext("Web page")
        assert source_label("command:load_demo") == gettext("Command") + " load_demo"
        assert source_label("task:inspections.remind") == gettext("Scheduled task") + " inspections.remind"
    assert source_label(None) == "—" and source_label("other") == "other"


def test_created_records_show_values_only_and_relations_are_left_out(tree):
    entry = LogEntry(
        action=LogEntry.Action.CREATE,
        content_type=ContentType.objects.get_for_model(Compound),
        object_pk="1",
        object_repr="Compound object (1)",
        changes={
            "address": [None, "乙地址"],
            "is_synthetic": ["None", "False"],
            "buildings": ["None", "communities.Building.None"],
        },
    )
    with override("zh-hans"):
        rows = {row.field: (row.old, row.new) for row in change_rows(entry)}
        no = gettext("No")
    assert len(rows) == 2 and all(old is None for old, _ in rows.values())
    assert "乙地址" in [new for _, new in rows.values()] and no in [new for _, new in rows.values()]
    assert object_label(entry) == ""
    entry.action = LogEntry.Action.DELETE
    assert all(row.new is None for row in change_rows(entry))
