from django.db import migrations, models


class Migration(migrations.Migration):
    """Indexes for the hot queries of the public pages at scale (issue 7; see `make bench`).

    On PostgreSQL, search also gets a stored, weighted tsvector with its own GIN index: ranking then reads the
    stored vector instead of parsing every matching title and body again on each search, which at 10,000 claims
    took most of a second for a common word. (SQLite's FTS5 table from 0002 already stores its index.)
    """

    dependencies = [
        ("claims", "0004_editor_reviewer_groups"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="claim",
            index=models.Index(fields=["status", "grade", "id"], name="claim_status_grade"),
        ),
        migrations.AddIndex(
            model_name="assertion",
            index=models.Index(
                condition=models.Q(("stance", "supports"), _negated=True),
                fields=["claim", "stance"],
                name="assertion_challenge",
            ),
        ),
    ]


# Titles weigh more than bodies (A over B), as bm25's column weights do on SQLite.
PG_VECTOR = [
    """ALTER TABLE claims_searchentry ADD COLUMN search_vector tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector('english'::regconfig, COALESCE(title, '')), 'A')
        || setweight(to_tsvector('english'::regconfig, COALESCE(body, '')), 'B')) STORED""",
    # Search (claims/search.py): `search_vector @@ query`, for the count and the ranked page of hits.
    "CREATE INDEX search_entry_vector ON claims_searchentry USING gin (search_vector)",
    "DROP INDEX IF EXISTS search_entry_tsv",
]
PG_VECTOR_REVERSE = [
    "DROP INDEX IF EXISTS search_entry_vector",
    "ALTER TABLE claims_searchentry DROP COLUMN IF EXISTS search_vector",
    """CREATE INDEX search_entry_tsv ON claims_searchentry
    USING gin (to_tsvector('english'::regconfig, COALESCE(title, '') || ' ' || COALESCE(body, '')))""",
]


def add_search_vector(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for statement in PG_VECTOR:
            schema_editor.execute(statement)


def remove_search_vector(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for statement in PG_VECTOR_REVERSE:
            schema_editor.execute(statement)


Migration.operations.append(migrations.RunPython(add_search_vector, remove_search_vector))
