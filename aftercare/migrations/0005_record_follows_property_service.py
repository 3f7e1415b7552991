"""An aftercare record named the compound's property service of the day of its handover and kept naming it after the
compound changed company (``communities.services.property_service_change`` now tells the record): each record now
names its compound's current property service, as ``record_update`` would. Nothing to undo going back."""

from django.db import migrations
from django.db.models import F, OuterRef, Subquery


def follow_the_compounds_property_service(apps, schema_editor):
    AftercareRecord = apps.get_model("aftercare", "AftercareRecord")
    Compound = apps.get_model("communities", "Compound")
    current = Compound.objects.filter(pk=OuterRef("compound_id")).values("property_service_id")[:1]
    AftercareRecord.objects.exclude(compound__property_service_id__isnull=True).exclude(
        property_service_id=F("compound__property_service_id")
    ).update(property_service_id=Subquery(current))


class Migration(migrations.Migration):
    dependencies = [
        ("aftercare", "0004_merge_0003_patrols_0003_space_kind_culture"),
        ("communities", "0014_property_staff_from_contractor_roles"),
    ]

    operations = [
        migrations.RunPython(follow_the_compounds_property_service, migrations.RunPython.noop, elidable=True),
    ]
