"""Keep Product.search_vector current with a trigger, and GIN-index it (PostgreSQL only).

Name matches weigh more (A) than description matches (B). A trigger rather than application
code keeps bulk inserts and raw updates searchable too. On other databases this migration does
nothing and search falls back to substring matching.
"""

from django.db import migrations

FORWARD = """
CREATE FUNCTION catalog_product_search_vector_update() RETURNS trigger AS $$
BEGIN
    NEW.search_vector :=
        setweight(to_tsvector('pg_catalog.english', coalesce(NEW.name, '')), 'A') ||
        setweight(to_tsvector('pg_catalog.english', coalesce(NEW.description, '')), 'B');
    RETURN NEW;
END
$$ LANGUAGE plpgsql;

CREATE TRIGGER catalog_product_search_vector_trigger
    BEFORE INSERT OR UPDATE OF name, description ON catalog_product
    FOR EACH ROW EXECUTE FUNCTION catalog_product_search_vector_update();

UPDATE catalog_product SET name = name;

CREATE INDEX catalog_product_search_gin ON catalog_product USING gin (search_vector);
"""

BACKWARD = """
DROP INDEX IF EXISTS catalog_product_search_gin;
DROP TRIGGER IF EXISTS catalog_product_search_vector_trigger ON catalog_product;
DROP FUNCTION IF EXISTS catalog_product_search_vector_update();
"""


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORWARD)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BACKWARD)


class Migration(migrations.Migration):
    dependencies = [("catalog", "0001_initial")]

    operations = [migrations.RunPython(forward, backward, elidable=False)]
