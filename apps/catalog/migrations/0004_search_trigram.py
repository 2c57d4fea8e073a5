"""Index product names by trigrams, so search forgives typos (PostgreSQL only).

`ProductQuerySet.search` matches a query to a name by strict word similarity (the `<<%`
operator of pg_trgm), and search-as-you-type suggestions match word prefixes of names with
case-insensitive regular expressions; the GIN `gin_trgm_ops` index serves both. pg_trgm folds
case itself, so the index is on `name`, not `lower(name)`. On other databases this migration
does nothing and search falls back to substring matching with spelling help in Python.

pg_trgm declares its similarity operators as cheap as `=` (COST 1). Trusting that, the
planner evaluated `name %>> 'bots'` on every row through an index-only scan of the b-tree
on (name, id) rather than asking the trigram index (29 ms instead of 4 ms on 10,000 products,
more as the table grows). The strict word similarity operators are priced at 100, what they
cost; a database role that may not alter the extension's functions (some managed services)
keeps the default, with a notice. That setting is not in a `pg_dump` of the database (it
dumps `CREATE EXTENSION` only): after a restore, run this migration's SQL again.

Going back drops the index and the pricing but keeps the extension: other objects may have
come to use it, and an unused extension costs nothing.
"""

from django.db import migrations

FORWARD = """
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE INDEX IF NOT EXISTS catalog_product_name_trgm
    ON catalog_product USING gin (name gin_trgm_ops);
DO $$
BEGIN
    ALTER FUNCTION strict_word_similarity_op(text, text) COST 100;
    ALTER FUNCTION strict_word_similarity_commutator_op(text, text) COST 100;
EXCEPTION WHEN insufficient_privilege THEN
    RAISE NOTICE 'pg_trgm operators keep their default cost: %', SQLERRM;
END
$$;
"""

BACKWARD = """
DROP INDEX IF EXISTS catalog_product_name_trgm;
DO $$
BEGIN
    ALTER FUNCTION strict_word_similarity_op(text, text) COST 1;
    ALTER FUNCTION strict_word_similarity_commutator_op(text, text) COST 1;
EXCEPTION WHEN insufficient_privilege THEN
    NULL;
END
$$;
"""


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORWARD, params=None)  # no placeholders: `%` is SQL


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BACKWARD, params=None)


class Migration(migrations.Migration):
    dependencies = [("catalog", "0003_product_types_attributes_images_associations")]

    operations = [migrations.RunPython(forward, backward, elidable=False)]
