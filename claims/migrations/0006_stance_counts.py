from django.db import migrations, models
from django.db.models import Count, OuterRef, Subquery
from django.db.models.functions import Coalesce


def _count(rows, counted="*", distinct=False):
    grouped = rows.order_by().values("claim").annotate(n=Count(counted, distinct=distinct)).values("n")
    return Coalesce(Subquery(grouped), 0)


def count_stances(apps, schema_editor):
    """Store every existing claim's stance counts, counted from its assertions (one UPDATE).

    The same counts as ``ClaimQuerySet.refresh_stance_counts()``, written out here because a migration sees
    the historical models, without their QuerySet methods.
    """
    Claim = apps.get_model("claims", "Claim")
    Assertion = apps.get_model("claims", "Assertion")
    assertions = Assertion.objects.filter(claim=OuterRef("pk"))
    Claim.objects.using(schema_editor.connection.alias).update(
        n_supports=_count(assertions.filter(stance="supports")),
        n_contradicts=_count(assertions.filter(stance="contradicts")),
        n_qualifies=_count(assertions.filter(stance="qualifies")),
        n_sources=_count(assertions, "source", distinct=True),
    )


class Migration(migrations.Migration):
    """Each claim's stance counts stored on the claim (issue 7): the pages that list and rank claims by them
    read four columns instead of counting assertions, and the most disputed claims come from an index."""

    dependencies = [
        ("claims", "0005_scale_indexes"),
    ]

    operations = [
        migrations.AddField(
            model_name="claim",
            name="n_supports",
            field=models.PositiveIntegerField(default=0, editable=False, verbose_name="supporting assertions"),
        ),
        migrations.AddField(
            model_name="claim",
            name="n_contradicts",
            field=models.PositiveIntegerField(default=0, editable=False, verbose_name="contradicting assertions"),
        ),
        migrations.AddField(
            model_name="claim",
            name="n_qualifies",
            field=models.PositiveIntegerField(default=0, editable=False, verbose_name="qualifying assertions"),
        ),
        migrations.AddField(
            model_name="claim",
            name="n_sources",
            field=models.PositiveIntegerField(default=0, editable=False, verbose_name="sources"),
        ),
        migrations.RunPython(count_stances, migrations.RunPython.noop),
        # The disputed ranking no longer counts assertions (it served ClaimQuerySet.disputed_ranking).
        migrations.RemoveIndex(model_name="assertion", name="assertion_challenge"),
        migrations.AddIndex(
            model_name="claim",
            index=models.Index(
                condition=models.Q(
                    ("n_supports__gt", 0),
                    models.Q(("n_contradicts__gt", 0), ("n_qualifies__gt", 0), _connector="OR"),
                ),
                fields=["status", "-n_contradicts", "-n_qualifies"],
                name="claim_disputed",
            ),
        ),
    ]
