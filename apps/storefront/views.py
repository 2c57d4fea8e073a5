"""Pages of the storefront: parse the request, call selectors and services, render a template.

The pages read and write through the same selectors and services as the JSON API; the only
state of their own is in the session (the anonymous cart's token, guests' order ids).
"""

import logging
from types import SimpleNamespace
from typing import Any, cast
from urllib.parse import urlencode
from uuid import UUID

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import authenticate, login, logout
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.functional import SimpleLazyObject
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from apps.cart import selectors as cart_selectors
from apps.cart import services as cart_services
from apps.cart.errors import CartLineNotFound
from apps.catalog import selectors as catalog_selectors
from apps.catalog import services as catalog_services
from apps.catalog.cache import get_catalog_version
from apps.catalog.errors import ReviewExists
from apps.catalog.facets import AttributeFilter, parse_attribute_filters
from apps.catalog.models import Product
from apps.core.errors import DomainError, InvalidTransition, NotFound
from apps.core.throttling import ScopedRateThrottle
from apps.invoices import selectors as invoice_selectors
from apps.invoices.pdf import PDF_CONTENT_TYPE, download_headers, render_document
from apps.orders import selectors as order_selectors
from apps.orders.errors import EmptyCart
from apps.orders.models import Order, OrderStatus
from apps.orders.services.checkout import ShippingAddress, place_order
from apps.orders.services.lifecycle import cancel_order
from apps.orders.services.returns import ReturnItem, request_return, returnable_lines
from apps.payments import selectors as payment_selectors
from apps.payments import services as payment_services
from apps.payments.gateways.sandbox import sandbox_pay
from apps.storefront import cart_session
from apps.storefront.forms import (
    AddressForm,
    AddToCartForm,
    CartLineForm,
    CheckoutForm,
    FinishRegistrationForm,
    LoginForm,
    PasswordResetRequestForm,
    ProductFilterForm,
    RegisterForm,
    ReturnForm,
    ReviewForm,
    SandboxPayForm,
    SetPasswordForm,
    ShippingForm,
    VoucherForm,
    add_domain_errors,
)
from apps.storefront.page_cache import cache_shared_page
from apps.users import selectors as user_selectors
from apps.users import services as user_services
from apps.users.errors import EmailAlreadyRegistered
from apps.users.models import User
from apps.wishlist import selectors as wishlist_selectors
from apps.wishlist import services as wishlist_services

logger = logging.getLogger(__name__)

PAGE_SIZE = 12
REVIEWS_PAGE_SIZE = 10
ORDERS_PAGE_SIZE = 20


def _user(request: HttpRequest) -> User:
    """Return the signed-in user of a `login_required` view."""
    return request.user  # type: ignore[return-value]


def _next_url(request: HttpRequest, default: str) -> str:
    """Return the safe `next` target of a form, or `default`."""
    return _safe_url(request, request.POST.get("next") or request.GET.get("next") or "", default)


def _safe_url(request: HttpRequest, target: str, default: str) -> str:
    """Return `target` if it stays on this site, else `default`."""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


def _sign_in_first(request: HttpRequest, message: str, *, back: str) -> HttpResponse:
    """Send a signed-out shopper to sign in, then to the page `back` (the page the form was
    on, not the POST-only address it was sent to)."""
    messages.info(request, message)
    return redirect(f"{reverse('storefront:login')}?{urlencode({'next': back})}")


def _product_path(slug: str) -> str:
    return reverse("storefront:product", kwargs={"slug": slug})


def _throttled(request: HttpRequest, scope: str) -> bool:
    """Whether this client used up the rate of `scope`; the API's login, register and password
    reset limits apply to the same actions here, so the pages are no way around them."""
    throttle = ScopedRateThrottle()
    return not throttle.allow_request(
        cast(Any, request), cast(Any, SimpleNamespace(throttle_scope=scope))
    )


TOO_MANY = "Too many attempts from your address: wait a few minutes, then try again."


def _wants_json(request: HttpRequest) -> bool:
    """Whether the caller is the page's script (fetch), which asks for JSON explicitly."""
    return request.headers.get("Accept", "").startswith("application/json")


# --- Catalog --------------------------------------------------------------------------------


def _catalog_key() -> str:
    """Return what catalog page fragments are cached under: the catalog version and the next
    discount start or end, so a fragment is neither kept past a catalog write nor shows a price
    after it changed by the clock alone. Both are read from the cache: no query when warm."""
    next_change = catalog_selectors.get_discount_map().next_change
    return f"{get_catalog_version()}:{next_change.isoformat() if next_change else '-'}"


@require_GET
@cache_shared_page
def home(request: HttpRequest) -> HttpResponse:
    """Show featured products and the top categories."""
    return render(
        request,
        "storefront/home.html",
        {
            # Read only when the page fragment is not cached already (the template asks).
            "featured": SimpleLazyObject(lambda: catalog_selectors.featured_products(limit=8)),
            "categories": SimpleLazyObject(catalog_selectors.category_tree),
            "catalog_key": _catalog_key(),
            "catalog_ttl": settings.CATALOG_CACHE_TIMEOUT,
        },
    )


def _attribute_filters(request: HttpRequest) -> tuple[AttributeFilter, ...]:
    """Return the page's `attr.*` filters; a bad one is reported and the others dropped."""
    try:
        return parse_attribute_filters(dict(request.GET.lists()))
    except DomainError as exc:
        messages.error(request, exc.detail)
        return ()


def _product_list(
    request: HttpRequest, *, template: str, category: str | None, extra: dict[str, Any]
) -> HttpResponse:
    form = ProductFilterForm(request.GET or None, tags=catalog_selectors.list_tags())
    if form.is_bound:
        form.is_valid()  # invalid fields are shown next to their input and left out below
    arguments = form.selector_arguments()
    ordering, cursor = arguments.pop("ordering"), arguments.pop("cursor")
    attributes = _attribute_filters(request)
    filters = catalog_selectors.ProductFilters(
        category=category, attributes=attributes, **arguments
    )
    status = 200
    try:
        page = catalog_selectors.list_products(
            filters=filters, ordering=ordering, cursor=cursor, page_size=PAGE_SIZE
        )
        facets: dict[str, Any] | None = catalog_selectors.product_facets(filters=filters)
    except DomainError as exc:  # a stale or edited cursor, a tag that is gone
        messages.error(request, exc.detail)
        page, status = {"results": [], "next_cursor": None, "previous_cursor": None}, 400
        facets = None
    if facets is not None:
        form.show_counts(facets)
    # Every value of every parameter (attributes may repeat), in the order given.
    kept = [(k, v) for k, values in request.GET.lists() for v in values if k not in PAGING and v]
    shown = len(page["results"])
    start = _page_start(request) if cursor else 1

    def link(**changes: str) -> str:
        return "?" + urlencode([*kept, *changes.items()])

    context = {
        **extra,
        "form": form,
        "page": page,
        "facets": facets,
        "query_key": urlencode(sorted([*kept, ("cursor", cursor or "")])),
        "next_url": link(cursor=page["next_cursor"], start=str(start + shown))
        if page["next_cursor"]
        else None,
        "previous_url": link(cursor=page["previous_cursor"], start=str(max(1, start - PAGE_SIZE)))
        if page["previous_cursor"]
        else None,
        # The range only where there is more than one page.
        "showing": _showing(start, shown, facets["total"] if facets else None)
        if page["next_cursor"] or page["previous_cursor"]
        else None,
        # A corrected search, under the same filters (only ever set when a search found nothing).
        "did_you_mean_url": "?"
        + urlencode([("q", page["did_you_mean"]), *[(k, v) for k, v in kept if k != "q"]])
        if page.get("did_you_mean")
        else None,
        "catalog_key": _catalog_key(),
        "catalog_ttl": settings.CATALOG_CACHE_TIMEOUT,
    }
    return render(request, template, context, status=status)


# Keyset pages carry where they are (a cursor), and, for the "showing 11 to 20 of N" line, the
# position of their first product; neither is a filter.
PAGING = ("cursor", "start")


def _page_start(request: HttpRequest) -> int:
    """Return the position of the page's first product from `start` (1 if absent or absurd)."""
    try:
        start = int(request.GET.get("start", "1"))
    except ValueError:
        return 1
    return start if 1 <= start <= 10**9 else 1


def _showing(start: int, shown: int, total: int | None) -> tuple[int, int] | None:
    """Return the positions of the first and last product shown, when they fit the total."""
    end = start + shown - 1
    if not shown or total is None or end > total:
        return None
    return start, end


@require_GET
@cache_shared_page
def category(request: HttpRequest, slug: str) -> HttpResponse:
    """List a category's products (its sub-categories' too), filtered and ordered."""
    try:
        current = catalog_selectors.get_category(slug)
    except NotFound as exc:
        raise Http404(exc.detail) from exc
    return _product_list(
        request, template="storefront/category.html", category=slug, extra={"category": current}
    )


@require_GET
def search(request: HttpRequest) -> HttpResponse:
    """Search the products by words, with the same filters as a category."""
    query = request.GET.get("q", "").strip()
    return _product_list(
        request, template="storefront/search.html", category=None, extra={"query": query}
    )


def _render_product(
    request: HttpRequest,
    slug: str,
    *,
    add_form: AddToCartForm | None = None,
    review_form: ReviewForm | None = None,
    status: int = 200,
) -> HttpResponse:
    try:
        product = catalog_selectors.get_product(slug)
        reviews = catalog_selectors.list_reviews(
            slug=slug, cursor=request.GET.get("reviews") or None, page_size=REVIEWS_PAGE_SIZE
        )
    except NotFound as exc:
        raise Http404(exc.detail) from exc
    except DomainError as exc:  # an edited reviews cursor: show the first page
        messages.error(request, exc.detail)
        reviews = catalog_selectors.list_reviews(
            slug=slug, cursor=None, page_size=REVIEWS_PAGE_SIZE
        )
    context = {
        "product": product,
        "reviews": reviews,
        # Read only when its page fragment is not cached already (the template asks).
        "related": SimpleLazyObject(lambda: catalog_selectors.related_products(slug=slug)),
        "shipping": SimpleLazyObject(cart_selectors.shipping_offer),
        "add_form": add_form or AddToCartForm(variants=product["variants"]),
        "review_form": review_form or ReviewForm(),
        "catalog_key": _catalog_key(),
        "catalog_ttl": settings.CATALOG_CACHE_TIMEOUT,
        "max_quantity": settings.CART_MAX_QUANTITY,
        "saved": request.user.is_authenticated
        and wishlist_selectors.is_saved(user_id=request.user.pk, product_id=product["id"]),
    }
    return render(request, "storefront/product.html", context, status=status)


@require_GET
@cache_shared_page
def product_detail(request: HttpRequest, slug: str) -> HttpResponse:
    """Show a product: its variants, price and discount, reviews and the forms to buy or review."""
    return _render_product(request, slug)


@require_POST
def product_review(request: HttpRequest, slug: str) -> HttpResponse:
    """Record the signed-in customer's review of a product (one each)."""
    if not request.user.is_authenticated:
        return _sign_in_first(request, "Sign in to review this product.", back=_product_path(slug))
    form = ReviewForm(request.POST)
    if form.is_valid():
        try:
            product = Product.objects.get(pk=catalog_selectors.get_product_id(slug))
        except NotFound as exc:
            raise Http404(exc.detail) from exc
        try:
            catalog_services.create_review(
                product=product, user=_user(request), **form.cleaned_data
            )
        except ReviewExists as exc:
            form.add_error(None, exc.detail)
        else:
            messages.success(request, "Thank you: your review is published.")
            return redirect("storefront:product", slug=slug)
    return _render_product(request, slug, review_form=form, status=400)


@require_POST
def wishlist_save(request: HttpRequest, slug: str) -> HttpResponse:
    """Save the product to the signed-in customer's wishlist."""
    if not request.user.is_authenticated:
        return _sign_in_first(
            request, "Sign in to save products for later.", back=_product_path(slug)
        )
    try:
        wishlist_services.save_for_later(user=_user(request), slug=slug)
    except NotFound as exc:
        raise Http404(exc.detail) from exc
    except DomainError as exc:  # the wishlist is full
        messages.error(request, exc.detail)
    else:
        messages.success(request, "Saved to your wishlist.")
    return redirect("storefront:product", slug=slug)


@login_required
@require_GET
def wishlist(request: HttpRequest) -> HttpResponse:
    """List the products the customer saved for later, newest first."""
    items = wishlist_selectors.list_wishlist(user_id=request.user.pk)
    return render(request, "storefront/account/wishlist.html", {"items": items})


@login_required
@require_POST
def wishlist_remove(request: HttpRequest, slug: str) -> HttpResponse:
    """Take a product off the wishlist, then go back where the customer was."""
    try:
        wishlist_services.remove_from_wishlist(user=_user(request), slug=slug)
    except NotFound:
        pass  # removed already (a second click, another tab): the page shows it gone anyway
    else:
        messages.success(request, "Removed from your wishlist.")
    return redirect(_next_url(request, reverse("storefront:wishlist")))


# --- Cart -----------------------------------------------------------------------------------


@require_POST
def cart_add(request: HttpRequest, slug: str) -> HttpResponse:
    """Put a quantity of the chosen variant into the cart."""
    try:
        product = catalog_selectors.get_product(slug)
    except NotFound as exc:
        raise Http404(exc.detail) from exc
    form = AddToCartForm(request.POST, variants=product["variants"])
    if form.is_valid():
        try:
            with transaction.atomic():  # a refused add leaves no empty cart behind
                cart = cart_session.cart_for_writing(request)
                cart_services.add_to_cart(
                    cart=cart,
                    sku=form.cleaned_data["sku"],
                    quantity=form.cleaned_data["quantity"],
                    locked=True,
                )
        except DomainError as exc:
            add_domain_errors(form, exc, fields={})
        else:
            count = cart_selectors.cart_item_count(user_id=cart.user_id, token=cart.token)
            message = f"Added {form.cleaned_data['quantity']} x {product['name']} to your cart."
            if _wants_json(request):
                return JsonResponse({"message": message, "item_count": count})
            messages.success(request, message)
            return redirect("storefront:cart")
    if _wants_json(request):
        errors = {field: [str(e) for e in errs] for field, errs in form.errors.items()}
        return JsonResponse({"errors": errors}, status=400)
    return _render_product(request, slug, add_form=form, status=400)


def _render_cart(
    request: HttpRequest,
    *,
    voucher_form: VoucherForm | None = None,
    shipping_form: ShippingForm | None = None,
    line_errors: dict[int, Any] | None = None,
    status: int = 200,
) -> HttpResponse:
    cart = cart_session.existing_cart(request)
    data = cart_selectors.cart_data(cart)
    pictures = catalog_selectors.variant_images(skus=[line["sku"] for line in data["lines"]])
    for line in data["lines"]:
        line["image"] = pictures.get(line["sku"])
    methods = cart_selectors.list_shipping_methods()
    chosen = data["shipping_method"]["id"] if data["shipping_method"] else None
    context = {
        "cart": data,
        "line_errors": line_errors or {},
        "voucher_form": voucher_form or VoucherForm(),
        "shipping_form": shipping_form
        or ShippingForm(methods=methods, initial={"shipping_method": chosen}),
        "shipping_methods": methods,
        "max_quantity": settings.CART_MAX_QUANTITY,
    }
    return render(request, "storefront/cart.html", context, status=status)


@require_GET
def cart_detail(request: HttpRequest) -> HttpResponse:
    """Show the cart: lines, voucher, shipping method and totals."""
    return _render_cart(request)


@require_POST
def cart_line_update(request: HttpRequest, line_id: int) -> HttpResponse:
    """Change the quantity of a cart line."""
    form = CartLineForm(request.POST)
    cart = cart_session.existing_cart(request)
    if cart is None:
        raise Http404("There is no cart.")
    if form.is_valid():
        try:
            cart_services.update_cart_line(
                cart=cart, line_id=line_id, quantity=form.cleaned_data["quantity"]
            )
        except NotFound as exc:
            raise Http404(exc.detail) from exc
        except DomainError as exc:
            add_domain_errors(form, exc, fields={})
        else:
            messages.success(request, "Quantity updated.")
            return redirect("storefront:cart")
    typed = request.POST.get("quantity", "")
    errors = [str(e) for errs in form.errors.values() for e in errs]
    return _render_cart(
        request, line_errors={line_id: {"errors": errors, "value": typed}}, status=400
    )


@require_POST
def cart_line_remove(request: HttpRequest, line_id: int) -> HttpResponse:
    """Remove a line from the cart."""
    cart = cart_session.existing_cart(request)
    if cart is None:
        raise Http404("There is no cart.")
    try:
        cart_services.remove_cart_line(cart=cart, line_id=line_id)
    except NotFound as exc:
        raise Http404(exc.detail) from exc
    messages.success(request, "Removed from your cart.")
    return redirect("storefront:cart")


@require_POST
def cart_line_save(request: HttpRequest, line_id: int) -> HttpResponse:
    """Move a line of the cart to the signed-in customer's wishlist."""
    if not request.user.is_authenticated:
        return _sign_in_first(
            request, "Sign in to save products for later.", back=reverse("storefront:cart")
        )
    cart = cart_session.existing_cart(request)
    if cart is None:
        raise Http404("There is no cart.")
    try:
        wishlist_services.save_cart_line_for_later(user=_user(request), cart=cart, line_id=line_id)
    except CartLineNotFound as exc:
        raise Http404(exc.detail) from exc
    except DomainError as exc:  # no longer shown, or the wishlist is full: the line stays
        messages.error(request, exc.detail)
    else:
        messages.success(request, "Saved for later: it is in your wishlist, out of the cart.")
    return redirect("storefront:cart")


@require_POST
def cart_voucher(request: HttpRequest) -> HttpResponse:
    """Apply a voucher code to the cart."""
    form = VoucherForm(request.POST)
    if form.is_valid():
        try:
            with transaction.atomic():
                cart = cart_session.cart_for_writing(request)
                cart_services.apply_voucher(
                    cart=cart,
                    code=form.cleaned_data["code"],
                    user=cart_session.signed_in_user(request),
                )
        except DomainError as exc:
            add_domain_errors(form, exc, fields={})
        else:
            messages.success(request, f"The code {form.cleaned_data['code'].strip()} is applied.")
            return redirect("storefront:cart")
    return _render_cart(request, voucher_form=form, status=400)


@require_POST
def cart_voucher_remove(request: HttpRequest) -> HttpResponse:
    """Take the voucher code off the cart."""
    cart = cart_session.existing_cart(request)
    if cart is not None:
        cart_services.remove_voucher(cart=cart)
    messages.success(request, "The voucher code is removed.")
    return redirect("storefront:cart")


@require_POST
def cart_shipping(request: HttpRequest) -> HttpResponse:
    """Choose the cart's shipping method."""
    form = ShippingForm(request.POST, methods=cart_selectors.list_shipping_methods())
    if form.is_valid():
        try:
            with transaction.atomic():
                cart = cart_session.cart_for_writing(request)
                cart_services.set_shipping_method(
                    cart=cart, shipping_method_id=form.cleaned_data["shipping_method"]
                )
        except DomainError as exc:
            add_domain_errors(form, exc, fields={})
        else:
            messages.success(request, "Shipping method chosen.")
            return redirect(_next_url(request, reverse("storefront:cart")))
    return _render_cart(request, shipping_form=form, status=400)


# --- Checkout and payment -------------------------------------------------------------------


def _checkout_initial(
    user: User | None, cart: dict[str, Any], methods: list[dict[str, Any]]
) -> dict[str, Any]:
    initial: dict[str, Any] = {}
    if cart["shipping_method"]:
        initial["shipping_method"] = cart["shipping_method"]["id"]
    elif len(methods) == 1:
        initial["shipping_method"] = methods[0]["id"]  # no choice to make
    if user is None:
        return initial
    initial["name"] = user.full_name
    address = user_selectors.default_address(user=user)
    if address is not None:
        for field in ("name", "line1", "line2", "city", "postal_code", "country", "phone"):
            initial[field] = getattr(address, field)
    return initial


def _render_checkout(
    request: HttpRequest, cart: dict[str, Any], form: CheckoutForm, *, status: int = 200
) -> HttpResponse:
    return render(request, "storefront/checkout.html", {"cart": cart, "form": form}, status=status)


@require_http_methods(["GET", "POST"])
def checkout(request: HttpRequest) -> HttpResponse:
    """Ask for the e-mail (guests), the address and shipping; place the order and pay it."""
    user = cart_session.signed_in_user(request)
    cart = cart_session.existing_cart(request)
    data = cart_selectors.cart_data(cart)
    if cart is None or not data["lines"]:
        messages.info(request, "Your cart is empty: add something before checking out.")
        return redirect("storefront:cart")
    methods = cart_selectors.list_shipping_methods()
    if request.method == "GET":
        form = CheckoutForm(
            methods=methods,
            signed_in=user is not None,
            initial=_checkout_initial(user, data, methods),
        )
        return _render_checkout(request, data, form)

    form = CheckoutForm(request.POST, methods=methods, signed_in=user is not None)
    if not form.is_valid():
        return _render_checkout(request, data, form, status=400)
    email = user.email if user is not None else form.cleaned_data["email"]
    address = form.address_data()
    try:
        if "shipping_method" in form.cleaned_data:
            cart_services.set_shipping_method(
                cart=cart, shipping_method_id=form.cleaned_data["shipping_method"]
            )
        order = place_order(cart=cart, user=user, email=email, address=ShippingAddress(**address))
    except EmptyCart as exc:
        messages.info(request, exc.detail)
        return redirect("storefront:cart")
    except DomainError as exc:
        messages.error(request, exc.detail)
        add_domain_errors(form, exc, fields={}, fallback=False)
        return _render_checkout(request, cart_selectors.cart_data(cart), form, status=409)
    if user is not None and form.cleaned_data.get("save_address"):
        user_services.create_address(user=user, **address)
    cart_session.remember_guest_order(request, order.pk)
    return _pay(request, order)


def _pay(request: HttpRequest, order: Order) -> HttpResponse:
    """Start (or resume) the order's payment and send the browser to the provider's page."""
    try:
        payment = payment_services.start_payment(order=order)
    except DomainError as exc:  # GatewayError included: the provider failed or refused
        logger.warning("Payment of order %s not started: %s", order.number, exc.detail)
        messages.error(request, exc.detail)
        return redirect("storefront:order", order_id=order.pk)
    if not payment.redirect_url:
        # A provider paid through its own script on the page (Stripe Elements) has no hosted
        # page to send the browser to; the order page offers to pay again later.
        messages.info(request, f"Order {order.number} is placed; it awaits payment.")
        return redirect("storefront:order", order_id=order.pk)
    messages.info(request, f"Order {order.number} is placed; it awaits your payment.")
    return redirect(payment.redirect_url)


def _visible_order(request: HttpRequest, order_id: UUID) -> Order:
    """Return an order this browser may see: the signed-in owner's, or a guest's own."""
    user = cart_session.signed_in_user(request)
    if user is not None:
        try:
            return order_selectors.get_order(user=user, order_id=order_id)
        except NotFound:
            pass
    if cart_session.placed_by_this_browser(request, order_id):
        return order_selectors.staff_get_order(order_id=order_id)
    raise Http404("No such order.")


@require_GET
def order_confirmation(request: HttpRequest, order_id: UUID) -> HttpResponse:
    """Show a placed order: status, lines and totals; it awaits payment until paid."""
    order = _visible_order(request, order_id)
    return render(request, "storefront/order_confirmation.html", {"order": order})


@require_POST
def order_pay(request: HttpRequest, order_id: UUID) -> HttpResponse:
    """Pay a pending order again (after a declined card, or a payment left half-way)."""
    order = _visible_order(request, order_id)
    if order.status != OrderStatus.PENDING:
        messages.info(request, f"Order {order.number} is {order.get_status_display().lower()}.")
        return redirect("storefront:order", order_id=order.pk)
    return _pay(request, order)


@require_http_methods(["GET", "POST"])
def sandbox_pay_page(request: HttpRequest, intent_id: str) -> HttpResponse:
    """The sandbox provider's hosted pay page: charge a test card, then back to the order."""
    if not settings.SANDBOX_ENABLED:
        raise Http404("The sandbox payment provider is not enabled.")
    try:
        intent = payment_selectors.get_sandbox_intent(intent_id=intent_id)
    except NotFound as exc:
        raise Http404(exc.detail) from exc
    form = SandboxPayForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                sandbox_pay(
                    intent_id=intent_id,
                    client_secret=intent["client_secret"],
                    card_number=form.cleaned_data["card_number"],
                )
            except DomainError as exc:
                form.add_error("card_number", exc.detail)
                intent = payment_selectors.get_sandbox_intent(intent_id=intent_id)
            else:
                messages.success(request, "Payment received. Thank you for your order!")
                return redirect("storefront:order", order_id=intent["order_id"])
        status = 400
    context = {"intent": intent, "form": form}
    return render(request, "storefront/sandbox_pay.html", context, status=status)


# --- Account: signing in and out ------------------------------------------------------------


def _sign_in(request: HttpRequest, user: User) -> None:
    """Start the user's session and merge the cart they filled while signed out into theirs."""
    token = cart_session.session_cart_token(request)
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    if token is not None:
        request.session[cart_session.CART_TOKEN_KEY] = token
    cart_session.merge_session_cart(request, user)


@require_http_methods(["GET", "POST"])
def login_view(request: HttpRequest) -> HttpResponse:
    """Sign in with e-mail and password."""
    form = LoginForm(request.POST or None)
    if request.method == "POST" and _throttled(request, "login"):
        form.add_error(None, TOO_MANY)
        return render(request, "storefront/account/login.html", {"form": form}, status=429)
    if request.method == "POST" and form.is_valid():
        user = authenticate(
            request, username=form.cleaned_data["email"], password=form.cleaned_data["password"]
        )
        if user is None:
            form.add_error(None, "The e-mail address or the password is not correct.")
        else:
            _sign_in(request, user)
            messages.success(request, "You are signed in.")
            return redirect(_next_url(request, reverse("storefront:account")))
    status = 400 if form.is_bound else 200
    return render(
        request,
        "storefront/account/login.html",
        {"form": form, "next": _next_url(request, "")},
        status=status,
    )


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    """Sign out (the cart stays with the account)."""
    logout(request)
    messages.success(request, "You are signed out.")
    return redirect("storefront:home")


@require_http_methods(["GET", "POST"])
def register(request: HttpRequest) -> HttpResponse:
    """Start opening an account: the address gets a link to finish it (or, when it has an
    account already, an e-mail saying so), and the page says the same either way."""
    form = RegisterForm(request.POST or None)
    if request.method == "POST" and _throttled(request, "register"):
        form.add_error(None, TOO_MANY)
        return render(request, "storefront/account/register.html", {"form": form}, status=429)
    if request.method == "POST" and form.is_valid():
        email = form.cleaned_data["email"]
        user_services.request_sign_up(
            email=email, full_name=form.cleaned_data["full_name"], next_url=_next_url(request, "")
        )
        return render(request, "storefront/account/register_sent.html", {"email": email})
    status = 400 if form.is_bound else 200
    return render(request, "storefront/account/register.html", {"form": form}, status=status)


def _sign_up_link_spent(request: HttpRequest, detail: str, *, status: int) -> HttpResponse:
    context = {"detail": detail}
    return render(request, "storefront/account/register_invalid.html", context, status=status)


@require_http_methods(["GET", "POST"])
def register_finish(request: HttpRequest, token: str) -> HttpResponse:
    """Finish opening an account from the sign-up e-mail's link: choose a password, signed in."""
    try:
        claims = user_services.read_sign_up_token(token)
    except DomainError as exc:  # made up or expired: say so, and offer to start again
        return _sign_up_link_spent(request, exc.detail, status=400)
    used = "This link has been used: the account exists. Sign in with it."
    if user_selectors.email_registered(claims["email"]):
        return _sign_up_link_spent(request, used, status=409)
    form = FinishRegistrationForm(
        request.POST or None, email=claims["email"], full_name=claims["full_name"]
    )
    if request.method == "POST" and _throttled(request, "register"):
        form.add_error(None, TOO_MANY)
        context = {"form": form, "email": claims["email"]}
        return render(request, "storefront/account/register_finish.html", context, status=429)
    if request.method == "POST" and form.is_valid():
        try:
            user = user_services.register_user(
                email=claims["email"],
                password=form.cleaned_data["password1"],
                full_name=claims["full_name"],
            )
        except EmailAlreadyRegistered:  # the same link, finished in another tab meanwhile
            return _sign_up_link_spent(request, used, status=409)
        except DomainError as exc:
            add_domain_errors(form, exc, fields={"password": "password1"})
        else:
            _sign_in(request, user)
            messages.success(request, "Welcome! Your account is ready.")
            return redirect(_safe_url(request, claims["next"], reverse("storefront:account")))
    status = 400 if form.is_bound else 200
    context = {"form": form, "email": claims["email"]}
    return render(request, "storefront/account/register_finish.html", context, status=status)


@require_http_methods(["GET", "POST"])
def password_reset(request: HttpRequest) -> HttpResponse:
    """Ask for a password-reset link by e-mail (the answer never says if an account exists)."""
    form = PasswordResetRequestForm(request.POST or None)
    if request.method == "POST" and _throttled(request, "password_reset"):
        form.add_error(None, TOO_MANY)
        template = "storefront/account/password_reset.html"
        return render(request, template, {"form": form}, status=429)
    if request.method == "POST" and form.is_valid():
        user_services.request_password_reset(email=form.cleaned_data["email"])
        messages.success(
            request,
            "If an account uses this address, an e-mail with a link to choose a new password "
            "is on its way.",
        )
        return redirect("storefront:login")
    status = 400 if form.is_bound else 200
    return render(request, "storefront/account/password_reset.html", {"form": form}, status=status)


@require_http_methods(["GET", "POST"])
def password_reset_confirm(request: HttpRequest, uid: str, token: str) -> HttpResponse:
    """Choose a new password from the link of a password-reset e-mail."""
    try:
        user_services.check_reset_link(uid=uid, token=token)
    except DomainError as exc:  # made up, expired or used: say so, and offer a new link
        return render(
            request,
            "storefront/account/password_reset_invalid.html",
            {"detail": exc.detail},
            status=400,
        )
    form = SetPasswordForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user_services.reset_password(
                uid=uid, token=token, new_password=form.cleaned_data["new_password1"]
            )
        except DomainError as exc:
            add_domain_errors(form, exc, fields={"new_password": "new_password1"})
        else:
            messages.success(request, "Your password is changed: sign in with it.")
            return redirect("storefront:login")
    status = 400 if form.is_bound else 200
    return render(
        request, "storefront/account/password_reset_confirm.html", {"form": form}, status=status
    )


# --- Account: orders ------------------------------------------------------------------------


@login_required
@require_GET
def account(request: HttpRequest) -> HttpResponse:
    """List the customer's orders, newest first, with their status."""
    user = _user(request)
    cursor = request.GET.get("cursor") or None
    try:
        page = order_selectors.list_orders(
            user=user, status=None, cursor=cursor, page_size=ORDERS_PAGE_SIZE
        )
    except DomainError as exc:
        messages.error(request, exc.detail)
        return redirect("storefront:account")
    context = {
        "orders": page.items,
        "next_url": "?" + urlencode({"cursor": page.next_cursor}) if page.next_cursor else None,
        "previous_url": "?" + urlencode({"cursor": page.previous_cursor})
        if page.previous_cursor
        else None,
    }
    return render(request, "storefront/account/orders.html", context)


@login_required
@require_GET
def account_order(request: HttpRequest, order_id: UUID) -> HttpResponse:
    """Show one of the customer's orders with its history, invoice and credit notes."""
    return _order_page(request, _own_order(_user(request), order_id), return_form=None)


def _own_order(user: User, order_id: UUID) -> Order:
    """Return one of the customer's orders, with all it shows.

    Raises:
        Http404: no such order among the customer's.
    """
    try:
        return order_selectors.get_order(user=user, order_id=order_id)
    except NotFound as exc:
        raise Http404(exc.detail) from exc


def _order_page(
    request: HttpRequest, order: Order, *, return_form: ReturnForm | None, status: int = 200
) -> HttpResponse:
    """Render the customer's order page, with a return form for items that may go back."""
    returnable = returnable_lines(order)
    if return_form is None and returnable:
        return_form = ReturnForm(lines=returnable)
    context = {
        "order": order,
        "documents": invoice_selectors.order_documents(order=order),
        "return_form": return_form,
        "return_window_days": settings.RETURN_WINDOW_DAYS,
    }
    return render(request, "storefront/account/order_detail.html", context, status=status)


@login_required
@require_POST
def account_order_return(request: HttpRequest, order_id: UUID) -> HttpResponse:
    """Ask to return shipped items of one of the customer's orders."""
    user = _user(request)
    order = _own_order(user, order_id)
    form = ReturnForm(request.POST, lines=returnable_lines(order))
    if form.is_valid():
        try:
            created = request_return(
                order=order,
                items=[ReturnItem(line_id=pk, quantity=n) for pk, n in form.items()],
                reason=form.cleaned_data["reason"],
                comment=form.cleaned_data["comment"],
                actor=user,
            )
        except DomainError as exc:
            add_domain_errors(form, exc, fields={})
        else:
            messages.success(
                request,
                f"Return {created.label} requested: this page shows when we approve it.",
            )
            return redirect("storefront:account-order", order_id=order.pk)
    return _order_page(request, order, return_form=form, status=400)


@login_required
@require_GET
def account_order_document(request: HttpRequest, order_id: UUID, number: str) -> HttpResponse:
    """Download the invoice or a credit note of one of the customer's orders, as a PDF."""
    try:
        document = invoice_selectors.get_document(
            user=_user(request), order_id=order_id, number=number
        )
    except NotFound as exc:
        raise Http404(exc.detail) from exc
    return HttpResponse(
        render_document(document),
        content_type=PDF_CONTENT_TYPE,
        headers=download_headers(document),
    )


@login_required
@require_POST
def account_order_cancel(request: HttpRequest, order_id: UUID) -> HttpResponse:
    """Cancel one of the customer's pending orders (its stock goes back on sale)."""
    user = _user(request)
    order = _own_order(user, order_id)
    try:
        cancel_order(order=order, actor=user, note="Cancelled by the customer.")
    except InvalidTransition:
        messages.error(request, f"Order {order.number} can no longer be cancelled.")
    else:
        messages.success(request, f"Order {order.number} is cancelled.")
    return redirect("storefront:account-order", order_id=order.pk)


# --- Account: addresses ---------------------------------------------------------------------


@login_required
@require_GET
def addresses(request: HttpRequest) -> HttpResponse:
    """List the customer's saved addresses, the default first."""
    context = {"addresses": user_selectors.list_addresses(user=_user(request))}
    return render(request, "storefront/account/addresses.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def address_add(request: HttpRequest) -> HttpResponse:
    """Save a new address."""
    form = AddressForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user_services.create_address(
            user=_user(request), is_default=form.cleaned_data["is_default"], **form.address_data()
        )
        messages.success(request, "Address saved.")
        return redirect("storefront:addresses")
    status = 400 if form.is_bound else 200
    context = {"form": form, "title": "Add an address"}
    return render(request, "storefront/account/address_form.html", context, status=status)


def _own_address(request: HttpRequest, address_id: UUID) -> Any:
    try:
        return user_selectors.get_address(user=_user(request), address_id=address_id)
    except NotFound as exc:
        raise Http404(exc.detail) from exc


@login_required
@require_http_methods(["GET", "POST"])
def address_edit(request: HttpRequest, address_id: UUID) -> HttpResponse:
    """Change a saved address."""
    address = _own_address(request, address_id)
    form = (
        AddressForm(request.POST) if request.method == "POST" else AddressForm.for_address(address)
    )
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            user_services.update_address(address=address, **form.address_data())
            if form.cleaned_data["is_default"] and not address.is_default:
                user_services.set_default_address(address=address)
        messages.success(request, "Address updated.")
        return redirect("storefront:addresses")
    status = 400 if form.is_bound else 200
    context = {"form": form, "title": "Edit the address", "address": address}
    return render(request, "storefront/account/address_form.html", context, status=status)


@login_required
@require_POST
def address_delete(request: HttpRequest, address_id: UUID) -> HttpResponse:
    """Delete a saved address."""
    user_services.delete_address(address=_own_address(request, address_id))
    messages.success(request, "Address deleted.")
    return redirect("storefront:addresses")


@login_required
@require_POST
def address_default(request: HttpRequest, address_id: UUID) -> HttpResponse:
    """Make a saved address the default one."""
    user_services.set_default_address(address=_own_address(request, address_id))
    messages.success(request, "Default address changed.")
    return redirect("storefront:addresses")
