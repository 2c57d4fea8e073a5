# The indexes of the listing read model, in a migration of their own: PostgreSQL will not
# build an index on a table with deferred constraint checks pending from the backfill's
# updates in the same transaction.

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('catalog', '0005_listing_read_model'),
    ]

    operations = [
        migrations.AddIndex(
            model_name='product',
            index=models.Index(condition=models.Q(('is_active', True), ('listing_min_price__isnull', False)), fields=['-created_at', 'id'], name='catalog_product_listed_idx'),
        ),
        migrations.AddIndex(
            model_name='product',
            index=models.Index(condition=models.Q(('is_active', True), ('listing_min_price__isnull', False)), fields=['category', '-created_at', 'id'], name='catalog_product_cat_listed_idx'),
        ),
    ]
