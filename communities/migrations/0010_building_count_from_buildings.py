"""Compound.building_count is the number of the compound's buildings (kept by
communities.services.compound_count_buildings on every path that adds or removes one); bring stored counts in line."""

from django.db import migrations
from django.db.models import Count, OuterRef, Subquery
from django.db.models.functions import Coalesce


def count_buildings(apps, schema_editor):
    Compound = apps.get_model("communities", "Compound")
    Building = apps.get_model("communities", "Building")
    buildings = Building.objects.filter(compound=OuterRef("pk")).order_by().values("compound").annotate(n=Count("id"))
    Compound.objects.update(building_count=Coalesce(Subquery(buildings.values("n")), 0))


class Migration(migrations.Migration):
    dependencies = [
        ("communities", "0009_governance_from_records"),
    ]

    operations = [migrations.RunPython(count_buildings, migrations.RunPython.noop)]
