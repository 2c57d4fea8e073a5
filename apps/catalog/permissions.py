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
# A product's pictures are part of the product: managing them is changing it (so the roles
# that may change products manage images, with no permissions of their own to hand out).
ProductImagePermissions = staff_may(
    GET=["catalog.view_product"],
    POST=["catalog.change_product"],
    PATCH=["catalog.change_product"],
    DELETE=["catalog.change_product"],
)
AttributePermissions = model_permissions("catalog.attribute", public_read=True)
ProductTypePermissions = model_permissions("catalog.producttype", public_read=True)
# A product's attribute values are part of the product, like its pictures.
ProductAttributePermissions = staff_may(
    GET=["catalog.view_product"], PUT=["catalog.change_product"]
)
