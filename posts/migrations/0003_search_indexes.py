"""What the site search (foundation/search.py) needs from PostgreSQL; nothing on SQLite.

* ``posts_post.search_document``: the weighted tsvector of a post (title A, summary B, body C,
  'english' configuration), kept up to date by a trigger on insert and on any change to
  those three columns, with a GIN index. Stored rather than computed per query: ranking
  needs the vector of every matching post, and building it from long bodies on each search
  costs seconds at 10,000 posts. A trigger rather than a generated column, because
  PostgreSQL refuses to change the type of a column a generated column uses, and a later
  migration may well change ``title``. The column is not a model field: Django never reads
  or writes it; the search refers to it by name.
* GIN trigram indexes (pg_trgm) on title, summary and body: they serve ``ILIKE '%…%'`` and
  ``LIKE '%…%'`` (the arm of the search that finds Chinese words, which the text-search
  parser does not split) and, on title, the ``%>`` word-similarity operator.
"""

from django.db import migrations

CREATE = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "ALTER TABLE posts_post ADD COLUMN IF NOT EXISTS search_document tsvector",
    """
    CREATE OR REPLACE FUNCTION posts_post_search_document() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        NEW.search_document :=
            setweight(to_tsvector('english'::regconfig, COALESCE(NEW.title, '')), 'A')
            || setweight(to_tsvector('english'::regconfig, COALESCE(NEW.summary, '')), 'B')
            || setweight(to_tsvector('english'::regconfig, COALESCE(NEW.body, '')), 'C');
        RETURN NEW;
    END
    $$
    """,
    "DROP TRIGGER IF EXISTS posts_post_search_document ON posts_post",
    """
    CREATE TRIGGER posts_post_search_document
    BEFORE INSERT OR UPDATE OF title, summary, body ON posts_post
    FOR EACH ROW EXECUTE FUNCTION posts_post_search_document()
    """,
    "UPDATE posts_post SET title = title",  # fills the column for existing posts
    "CREATE INDEX IF NOT EXISTS post_search_document_idx ON posts_post "
    "USING GIN (search_document)",
    "CREATE INDEX IF NOT EXISTS post_title_trgm_idx ON posts_post USING GIN (title gin_trgm_ops)",
    "CREATE INDEX IF NOT EXISTS post_summary_trgm_idx ON posts_post "
    "USING GIN (summary gin_trgm_ops)",
    "CREATE INDEX IF NOT EXISTS post_body_trgm_idx ON posts_post USING GIN (body gin_trgm_ops)",
]

DROP = [
    "DROP INDEX IF EXISTS post_title_trgm_idx",
    "DROP INDEX IF EXISTS post_summary_trgm_idx",
    "DROP INDEX IF EXISTS post_body_trgm_idx",
    "DROP TRIGGER IF EXISTS posts_post_search_document ON posts_post",
    "DROP FUNCTION IF EXISTS posts_post_search_document()",
    "ALTER TABLE posts_post DROP COLUMN IF EXISTS search_document",  # drops its index too
]


def run(statements):
    def apply(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        for statement in statements:
            schema_editor.execute(statement)

    return apply


class Migration(migrations.Migration):
    dependencies = [
        ("posts", "0002_export_import_permissions"),
    ]

    operations = [
        migrations.RunPython(run(CREATE), run(DROP), elidable=False),
    ]
