from django.db import migrations


class Migration(migrations.Migration):
    """The backend-specific full-text index over claims_searchentry (see claims/search.py)."""

    dependencies = [
        ("claims", "0001_initial"),
    ]

    operations = []


PG_INDEX = """
CREATE INDEX search_entry_tsv ON claims_searchentry
USING gin (to_tsvector('english'::regconfig, COALESCE(title, '') || ' ' || COALESCE(body, '')))
"""
SQLITE_FTS = [
    """CREATE VIRTUAL TABLE claims_searchentry_fts USING fts5(
        title, body, content='claims_searchentry', content_rowid='id', tokenize='porter unicode61')""",
    """CREATE TRIGGER claims_searchentry_ai AFTER INSERT ON claims_searchentry BEGIN
        INSERT INTO claims_searchentry_fts(rowid, title, body) VALUES (new.id, new.title, new.body);
    END""",
    """CREATE TRIGGER claims_searchentry_ad AFTER DELETE ON claims_searchentry BEGIN
        INSERT INTO claims_searchentry_fts(claims_searchentry_fts, rowid, title, body)
        VALUES ('delete', old.id, old.title, old.body);
    END""",
    """CREATE TRIGGER claims_searchentry_au AFTER UPDATE ON claims_searchentry BEGIN
        INSERT INTO claims_searchentry_fts(claims_searchentry_fts, rowid, title, body)
        VALUES ('delete', old.id, old.title, old.body);
        INSERT INTO claims_searchentry_fts(rowid, title, body) VALUES (new.id, new.title, new.body);
    END""",
]


def create_fulltext_index(apps, schema_editor):
    # Search pages query exactly this expression, so the index serves them (see claims/search.py).
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(PG_INDEX)
    elif vendor == "sqlite":
        for statement in SQLITE_FTS:
            schema_editor.execute(statement)


def drop_fulltext_index(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS search_entry_tsv")
    elif vendor == "sqlite":
        for name in ("claims_searchentry_ai", "claims_searchentry_ad", "claims_searchentry_au"):
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {name}")
        schema_editor.execute("DROP TABLE IF EXISTS claims_searchentry_fts")


Migration.operations.append(migrations.RunPython(create_fulltext_index, drop_fulltext_index))
