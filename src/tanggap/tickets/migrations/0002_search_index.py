"""The full-text index over ``tickets_searchentry.stems``, one per database vendor.

SQLite: an FTS5 external-content table (it stores only the index; the text stays in
``tickets_searchentry``), kept in step by triggers. ``columnsize=0``: we never rank by BM25, so the
per-row size table is not kept. PostgreSQL: a stored generated column
``search_vector = to_tsvector('simple', stems)`` (``simple`` only lower-cases, the stemming happened
in Python) with a GIN index. Not an expression index: a plan that reads entries newest-first and
checks each one (the fast plan for a common word) would recompute ``to_tsvector`` per row, about
0.5 ms each at a few hundred stems (measured: 1.8 s for one page of a 3 % word at 4,000,000 rows).
The column is PostgreSQL's own business: Django's model does not list it, and every insert or
update of ``stems`` recomputes it.
The SQL lives here (not in app code) so the migration never changes under a later edit;
``bench/loader.py`` reuses these constants to drop and rebuild the index around a bulk load.
"""

from django.db import migrations

FTS_TABLE = "tickets_searchentry_fts"
PG_INDEX = "tickets_searchentry_vector_gin"

SQLITE_CREATE_TABLE = (
    "CREATE VIRTUAL TABLE tickets_searchentry_fts USING fts5("
    "stems, content='tickets_searchentry', content_rowid='id', columnsize=0, "
    "tokenize='unicode61 remove_diacritics 2')"
)
SQLITE_CREATE_TRIGGERS = [
    """CREATE TRIGGER tickets_searchentry_fts_ai AFTER INSERT ON tickets_searchentry BEGIN
        INSERT INTO tickets_searchentry_fts(rowid, stems) VALUES (new.id, new.stems);
    END""",
    """CREATE TRIGGER tickets_searchentry_fts_ad AFTER DELETE ON tickets_searchentry BEGIN
        INSERT INTO tickets_searchentry_fts(tickets_searchentry_fts, rowid, stems) VALUES ('delete', old.id, old.stems);
    END""",
    """CREATE TRIGGER tickets_searchentry_fts_au AFTER UPDATE OF id, stems ON tickets_searchentry BEGIN
        INSERT INTO tickets_searchentry_fts(tickets_searchentry_fts, rowid, stems) VALUES ('delete', old.id, old.stems);
        INSERT INTO tickets_searchentry_fts(rowid, stems) VALUES (new.id, new.stems);
    END""",
]
SQLITE_DROP_TRIGGERS = ["DROP TRIGGER IF EXISTS " + FTS_TABLE + "_" + suffix for suffix in ("ai", "ad", "au")]
SQLITE_REBUILD = "INSERT INTO tickets_searchentry_fts(tickets_searchentry_fts) VALUES ('rebuild')"
SQLITE_DROP_TABLE = "DROP TABLE IF EXISTS tickets_searchentry_fts"

PG_ADD_COLUMN = (
    "ALTER TABLE tickets_searchentry ADD COLUMN search_vector tsvector "
    "GENERATED ALWAYS AS (to_tsvector('simple'::regconfig, stems)) STORED"
)
PG_DROP_COLUMN = "ALTER TABLE tickets_searchentry DROP COLUMN IF EXISTS search_vector"
PG_CREATE_INDEX = "CREATE INDEX IF NOT EXISTS tickets_searchentry_vector_gin ON tickets_searchentry USING gin (search_vector)"
PG_DROP_INDEX = "DROP INDEX IF EXISTS tickets_searchentry_vector_gin"


def _run(schema_editor, statements):
    with schema_editor.connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)


def create_index(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        # Index rows that already exist (none on a fresh install) before the triggers take over.
        _run(schema_editor, [SQLITE_CREATE_TABLE, *SQLITE_CREATE_TRIGGERS, SQLITE_REBUILD])
    elif vendor == "postgresql":
        _run(schema_editor, [PG_ADD_COLUMN, PG_CREATE_INDEX])
    else:
        raise RuntimeError(f"Tanggap's search index supports SQLite and PostgreSQL, not {vendor}")


def drop_index(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        _run(schema_editor, [*SQLITE_DROP_TRIGGERS, SQLITE_DROP_TABLE])
    elif vendor == "postgresql":
        _run(schema_editor, [PG_DROP_INDEX, PG_DROP_COLUMN])


class Migration(migrations.Migration):
    dependencies = [("tickets", "0001_initial")]

    operations = [migrations.RunPython(create_index, drop_index, elidable=False)]
