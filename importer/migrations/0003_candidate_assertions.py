# A candidate can become several assertions (one clause often states several claims): the single
# ``assertion`` link becomes ``assertions``, keeping what earlier decisions recorded.

from django.db import migrations, models


def copy_assertion_links(apps, schema_editor):
    Candidate = apps.get_model("importer", "Candidate")
    Through = Candidate.assertions.through
    Through.objects.bulk_create(
        Through(candidate_id=pk, assertion_id=assertion_id)
        for pk, assertion_id in Candidate.objects.filter(assertion__isnull=False).values_list("pk", "assertion_id")
    )


def copy_back_first_link(apps, schema_editor):
    Candidate = apps.get_model("importer", "Candidate")
    Through = Candidate.assertions.through
    for link in Through.objects.order_by("candidate_id", "assertion_id"):
        Candidate.objects.filter(pk=link.candidate_id, assertion__isnull=True).update(assertion_id=link.assertion_id)


class Migration(migrations.Migration):
    dependencies = [
        ("claims", "0005_scale_indexes"),
        ("importer", "0002_importer_permissions"),
    ]

    operations = [
        migrations.AddField(
            model_name="candidate",
            name="assertions",
            field=models.ManyToManyField(
                blank=True,
                help_text="What the clause became: one assertion per claim it states (a clause often states several).",
                related_name="+",
                to="claims.assertion",
            ),
        ),
        migrations.RunPython(copy_assertion_links, copy_back_first_link),
        migrations.RemoveField(model_name="candidate", name="assertion"),
    ]
