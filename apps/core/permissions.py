"""Staff roles: the Django groups of the back office and the API permission that enforces them.

The same Django permissions guard the admin (its `has_*_permission` hooks and action
permissions) and the staff API (`StaffPermission` below), so a role means one thing
everywhere. Superusers hold every permission.
"""

from collections.abc import Mapping, Sequence
from typing import Any

from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.request import Request

CATALOG_MANAGERS = "Catalog managers"
ORDER_MANAGERS = "Order managers"
SUPPORT = "Support"
INTEGRATION_MANAGERS = "Integration managers"

_ALL = ("add", "change", "delete", "view")
_READ_ORDERS = (
    "orders.view_order",
    "orders.view_orderline",
    "orders.view_shipment",
    "orders.view_shipmentline",
    "orders.view_returnrequest",
    "orders.view_returnline",
    "orders.view_orderevent",
    "payments.view_payment",
    "payments.view_refund",
    "payments.view_refundline",
    "invoices.view_invoice",
    "invoices.view_creditnote",
    "users.view_user",
)

# Each role's permissions as "app_label.codename"; the data migration of apps.core creates
# the groups from this, and a test holds them to it.
ROLES: dict[str, tuple[str, ...]] = {
    CATALOG_MANAGERS: tuple(
        f"{app}.{action}_{model}"
        for app, model in (
            ("catalog", "category"),
            ("catalog", "tag"),
            ("catalog", "product"),
            ("catalog", "productvariant"),
            ("catalog", "discount"),
            ("catalog", "review"),
            ("catalog", "producttype"),
            ("catalog", "producttypeattribute"),
            ("catalog", "attribute"),
            ("catalog", "attributevalue"),
            ("catalog", "attributeassignment"),
            ("catalog", "productimage"),
            ("cart", "voucher"),
            ("cart", "shippingmethod"),
        )
        for action in _ALL
    ),
    ORDER_MANAGERS: (
        *_READ_ORDERS,
        "orders.fulfil_order",
        "orders.cancel_order",
        "payments.refund_payment",
        "reports.view_dailysalesreport",
    ),
    SUPPORT: _READ_ORDERS,
    # Outbound webhooks: endpoints (their secrets included), the delivery log, replays.
    INTEGRATION_MANAGERS: (
        *(f"webhooks.{action}_webhookendpoint" for action in _ALL),
        "webhooks.view_webhookdelivery",
        "webhooks.view_webhookattempt",
        "webhooks.view_outboxevent",
        "webhooks.replay_webhookdelivery",
    ),
}

_ACTIONS = {
    "GET": "view",
    "HEAD": "view",
    "OPTIONS": "view",
    "POST": "add",
    "PUT": "change",
    "PATCH": "change",
    "DELETE": "delete",
}


class StaffPermission(BasePermission):
    """Allow staff who hold every Django permission `required` names for the request.

    Anonymous callers get a 401, customers and staff without the permission a 403 problem.
    Subclasses are made with `staff_may` / `model_permissions` rather than written by hand.
    """

    message = "Your staff role does not allow this."
    by_method: Mapping[str, Sequence[str]] = {}
    public_read = False

    def has_permission(self, request: Request, view: Any) -> bool:
        if self.public_read and request.method in SAFE_METHODS:
            return True
        user = request.user
        if not (user and user.is_authenticated and user.is_staff):
            return False
        return user.has_perms(self.required(request, view))

    def required(self, request: Request, view: Any) -> Sequence[str]:
        """Return the permissions the request needs (an unlisted method needs superuser)."""
        method = request.method or ""
        if method not in self.by_method:
            # Deny by default: a method nobody mapped is not silently open to all staff.
            return ("core.unmapped_method",)
        return self.by_method[method]


def staff_may(*, public_read: bool = False, **by_method: Sequence[str]) -> type[StaffPermission]:
    """Return a permission class requiring, per HTTP method, the listed Django permissions.

    `staff_may(GET=["orders.view_order"])`; HEAD and OPTIONS follow GET.
    """
    methods = {method.upper(): tuple(perms) for method, perms in by_method.items()}
    if "GET" in methods:
        methods.setdefault("HEAD", methods["GET"])
        methods.setdefault("OPTIONS", methods["GET"])
    attrs = {"by_method": methods, "public_read": public_read}
    return type("StaffMay", (StaffPermission,), attrs)


def model_permissions(
    model: str, *, public_read: bool = False, **overrides: Sequence[str]
) -> type[StaffPermission]:
    """Return a permission class mapping methods to `model`'s view/add/change/delete perms.

    `model` is "app_label.modelname"; `overrides` replace the permissions of single methods
    (an action posted to a list, say, that changes rows rather than adding one).
    """
    app_label, model_name = model.lower().split(".")
    methods: dict[str, tuple[str, ...]] = {
        method: (f"{app_label}.{action}_{model_name}",) for method, action in _ACTIONS.items()
    }
    methods.update({method.upper(): tuple(perms) for method, perms in overrides.items()})
    return staff_may(public_read=public_read, **methods)


# What moving an order to each status takes (an unknown status is left to the view's 400).
TRANSITION_PERMISSIONS: dict[str, str] = {
    "fulfilled": "orders.fulfil_order",
    "cancelled": "orders.cancel_order",
    "refunded": "payments.refund_payment",
    "paid": "orders.change_order",
}


class CanTransitionOrder(StaffPermission):
    """Allow staff to move an order to a status when their role allows that very step."""

    def required(self, request: Request, view: Any) -> Sequence[str]:
        data = request.data if isinstance(request.data, Mapping) else {}
        target = data.get("to")
        step = TRANSITION_PERMISSIONS.get(target) if isinstance(target, str) else None
        return ("orders.view_order", step) if step else ("orders.view_order",)
