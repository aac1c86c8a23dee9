"""Editors and reviewers may record effect estimates, as they record evidence."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

CODENAMES = ["add_effectestimate", "change_effectestimate", "view_effectestimate", "delete_effectestimate"]


def grant(apps, schema_editor):
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    permissions = list(Permission.objects.filter(content_type__app_label="claims", codename__in=CODENAMES))
    for group in Group.objects.filter(name__in=["Editor", "Reviewer"]):
        group.permissions.add(*permissions)


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    permissions = list(Permission.objects.filter(content_type__app_label="claims", codename__in=CODENAMES))
    for group in Group.objects.filter(name__in=["Editor", "Reviewer"]):
        group.permissions.remove(*permissions)


class Migration(migrations.Migration):
    dependencies = [("claims", "0009_verdicts_estimates_condition_hierarchy")]

    operations = [migrations.RunPython(grant, revoke)]
