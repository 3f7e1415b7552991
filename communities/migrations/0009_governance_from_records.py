"""The governance figures are computed from the records' dates, not from hand-set flags; a compound's property mode
is its current property service's, stored once. A compound whose mode was set without a service record gets one,
so that no mode is lost when the column goes."""

from django.db import migrations


def keep_modes_as_records(apps, schema_editor):
    Compound = apps.get_model("communities", "Compound")
    PropertyService = apps.get_model("communities", "PropertyService")
    for compound in Compound.objects.filter(property_service__isnull=True).exclude(property_mode="none").iterator():
        service = PropertyService.objects.create(compound=compound, mode=compound.property_mode)
        Compound.objects.filter(pk=compound.pk).update(property_service=service)


class Migration(migrations.Migration):
    dependencies = [
        ("communities", "0008_governance_bodies_history"),
    ]

    operations = [
        migrations.RunPython(keep_modes_as_records, migrations.RunPython.noop),
        migrations.RemoveField(model_name="compound", name="property_mode"),
        migrations.RemoveField(model_name="ownersbody", name="set_up_in_programme"),
        migrations.RemoveField(model_name="partybranch", name="set_up_in_programme"),
        migrations.RemoveField(model_name="propertyservice", name="introduced_in_programme"),
    ]
