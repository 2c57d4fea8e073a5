"""Who may touch the catalog: anyone reads it; staff write what their role allows.

Each class maps HTTP methods to the Django permissions of one catalog model (view, add,
change, delete), which the "Catalog managers" group holds; see apps.core.permissions.
"""

from apps.core.permissions import model_permissions, staff_may

# Public reads; a write on a view that names no model is for superusers only.
IsStaffOrReadOnly = staff_may(public_read=True)

CategoryPermissions = model_permissions("catalog.category", public_read=True)
TagPermissions = model_permissions("catalog.tag", public_read=True)
ProductPermissions = model_permissions("catalog.product", public_read=True)
VariantPermissions = model_permissions("catalog.productvariant")
# Bulk price/stock updates change existing variants; they add none.
VariantBulkPermissions = staff_may(POST=["catalog.change_productvariant"])
DiscountPermissions = model_permissions("catalog.discount")
