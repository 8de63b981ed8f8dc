"""A search document that finds Chinese words through the index, for posts, projects and donors.

What the site search (foundation/search.py) needs from PostgreSQL; nothing on SQLite.

0003 stored a weighted tsvector per post, but the text-search parser keeps a run of Chinese
characters as one "word" (捐赠 inside 开放原子开源基金会举行捐赠签约仪式 is no lexeme), so
the search also matched every word as a substring of the body with ``LIKE``. For a common
word that runs on most of the 10,000 long, TOASTed bodies: over a second per search.

Now the document holds Chinese as overlapping character pairs (bigrams, as Lucene's CJK
analyzer does): 捐赠签约 gives 捐赠 赠签 签约 and its last character 约, so any Chinese word
of two or more characters is the AND of its pairs, and a single character is a prefix
query, all answered by the GIN index. The English part is the 'english' configuration over
the text with the Chinese taken out, as before.

* ``search_words(text, weight)``: that tsvector of one field with a weight, the one
  definition shared by the trigger and the indexes below.
* ``posts_post.search_document`` is rebuilt with it (same trigger, new function, every row
  refilled), and ``posts_post.search_title`` holds the title's part alone, with its own
  GIN index: the search puts posts with every word in the title first, and this small
  vector, stored in the row, answers that without reading the long document back. Like
  ``search_document``, not a model field.
* The trigram indexes of 0003 go: the search no longer matches with ``LIKE``.
* Projects and donors get the same document as an expression GIN index (they have no
  stored column): the search filters with exactly this expression, so the index answers
  it instead of running ``to_tsvector`` over every description on each search. It lives
  here with the rest of the search's database side (0003).
"""

from django.db import migrations

# CJK ideographs: Extension A, the Unified block, compatibility ideographs.
HAN = r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]"

CREATE = [
    # Each run of Chinese characters as its overlapping pairs and its last character:
    # '基金会' -> '基金 金会 会'.
    rf"""
    CREATE OR REPLACE FUNCTION search_han_bigrams(content text) RETURNS text
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
        SELECT coalesce(string_agg(substr(run[1], i, 2), ' '), '')
        FROM regexp_matches(content, '{HAN}+', 'g') AS found(run),
             generate_series(1, length(run[1])) AS i
    $$
    """,
    rf"""
    CREATE OR REPLACE FUNCTION search_words(content text, weight "char") RETURNS tsvector
    LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
        SELECT setweight(
            to_tsvector('english'::regconfig, regexp_replace(
                regexp_replace(coalesce(content, ''), '{HAN}+', ' ', 'g'),
                '([a-z])([A-Z])', '\1 \2', 'g'))
            || to_tsvector('simple'::regconfig, search_han_bigrams(coalesce(content, ''))),
            weight)
    $$
    """,
    "ALTER TABLE posts_post ADD COLUMN IF NOT EXISTS search_title tsvector",
    """
    CREATE OR REPLACE FUNCTION posts_post_search_document() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        NEW.search_title := search_words(NEW.title, 'A');
        NEW.search_document := NEW.search_title
            || search_words(NEW.summary, 'B')
            || search_words(NEW.body, 'C');
        RETURN NEW;
    END
    $$
    """,
    # Nothing searches substrings with LIKE any more (dropped first, so that the update
    # below does not maintain them).
    "DROP INDEX IF EXISTS post_body_trgm_idx",
    "DROP INDEX IF EXISTS post_summary_trgm_idx",
    "DROP INDEX IF EXISTS post_title_trgm_idx",
    "UPDATE posts_post SET title = title",  # refills both columns through the trigger
    "CREATE INDEX IF NOT EXISTS post_search_title_idx ON posts_post USING GIN (search_title)",
    "CREATE INDEX IF NOT EXISTS project_search_idx ON projects_project USING GIN ("
    "(search_words(name, 'A') || search_words(summary, 'B') || search_words(description, 'C')))",
    "CREATE INDEX IF NOT EXISTS donor_search_idx ON projects_donor USING GIN ("
    "(search_words(name, 'A') || search_words(description, 'C')))",
    "ANALYZE posts_post, projects_project, projects_donor",
]

DROP = [
    "DROP INDEX IF EXISTS project_search_idx",
    "DROP INDEX IF EXISTS donor_search_idx",
    # 0003's function, unchanged there.
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
    "ALTER TABLE posts_post DROP COLUMN IF EXISTS search_title",  # and its index
    "UPDATE posts_post SET title = title",
    "CREATE INDEX IF NOT EXISTS post_title_trgm_idx ON posts_post USING GIN (title gin_trgm_ops)",
    "CREATE INDEX IF NOT EXISTS post_summary_trgm_idx ON posts_post "
    "USING GIN (summary gin_trgm_ops)",
    "CREATE INDEX IF NOT EXISTS post_body_trgm_idx ON posts_post USING GIN (body gin_trgm_ops)",
    "DROP FUNCTION IF EXISTS search_words(text, \"char\")",
    "DROP FUNCTION IF EXISTS search_han_bigrams(text)",
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
        ("posts", "0013_list_page_indexes"),
        ("projects", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(run(CREATE), run(DROP), elidable=False),
    ]
