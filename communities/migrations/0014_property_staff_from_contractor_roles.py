"""The people of property service companies held contractor roles before the property-staff role existed: each
contractor role bound to a company of kind "property" becomes a property-staff role (the same user, company and
title). Going back turns them into contractor roles again."""

from django.db import migrations


def contractor_roles_to_property_staff(apps, schema_editor):
    Role = apps.get_model("communities", "Role")
    return Role.objects.filter(kind="contractor", company__kind="property").update(kind="property_staff")


def property_staff_to_contractor_roles(apps, schema_editor):
    Role = apps.get_model("communities", "Role")
    return Role.objects.filter(kind="property_staff").update(kind="contractor")


class Migration(migrations.Migration):
    dependencies = [
        ("communities", "0013_role_property_staff"),
    ]

    operations = [
        migrations.RunPython(contractor_roles_to_property_staff, property_staff_to_contractor_roles, elidable=True),
    ]
