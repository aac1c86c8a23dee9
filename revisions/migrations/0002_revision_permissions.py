"""Editors and reviewers see the revisions queue (deciding is for reviewers: claims.publish_claim)."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

CODENAMES = ["view_revision"]


def _permissions(apps):
    Permission = apps.get_model("auth", "Permission")
    return list(Permission.objects.filter(content_type__app_label="revisions", codename__in=CODENAMES))


def grant(apps, schema_editor):
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    for group in apps.get_model("auth", "Group").objects.filter(name__in=["Editor", "Reviewer"]):
        group.permissions.add(*_permissions(apps))


def revoke(apps, schema_editor):
    for group in apps.get_model("auth", "Group").objects.filter(name__in=["Editor", "Reviewer"]):
        group.permissions.remove(*_permissions(apps))


class Migration(migrations.Migration):
    dependencies = [("revisions", "0001_initial"), ("claims", "0010_estimate_permissions")]

    operations = [migrations.RunPython(grant, revoke)]
