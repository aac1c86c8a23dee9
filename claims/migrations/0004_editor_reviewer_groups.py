"""Create the Editor and Reviewer groups with their permissions."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

EDITOR = {
    "sources": {"source": ["add", "change", "view"], "study": ["add", "change", "view"]},
    "claims": {
        "claim": ["add", "change", "view", "submit"],
        "assertion": ["add", "change", "view", "delete"],
        "evidence": ["add", "change", "view", "delete"],
        "condition": ["add", "change", "view"],
        "claimchange": ["view"],
    },
    "taggit": {"tag": ["add", "change", "view"]},
}
REVIEWER_EXTRA = {"claims": {"claim": ["publish", "delete"]}}


def _codenames(spec):
    for app_label, models in spec.items():
        for model, actions in models.items():
            for action in actions:
                yield app_label, f"{action}_{model}"


def create_groups(apps, schema_editor):
    # Permissions are normally created after all migrations; make sure they exist now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")

    def permissions(spec):
        found = []
        for app_label, codename in _codenames(spec):
            found.append(Permission.objects.get(content_type__app_label=app_label, codename=codename))
        return found

    editor, _ = Group.objects.get_or_create(name="Editor")
    editor.permissions.set(permissions(EDITOR))
    reviewer, _ = Group.objects.get_or_create(name="Reviewer")
    reviewer.permissions.set(permissions(EDITOR) + permissions(REVIEWER_EXTRA))


def remove_groups(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=["Editor", "Reviewer"]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("claims", "0003_editorial_workflow"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("sources", "0001_initial"),
        ("taggit", "0006_rename_taggeditem_content_type_object_id_taggit_tagg_content_8fc721_idx"),
    ]

    operations = [migrations.RunPython(create_groups, remove_groups)]
