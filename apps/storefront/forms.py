"""Forms of the storefront: they shape and check what people type; services apply the rules."""

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError

from apps.catalog.selectors import ORDERINGS
from apps.core.countries import country_choices
from apps.core.errors import DomainError
from apps.orders.models import OrderLine, ReturnReason
from apps.users.models import Address, User

ORDERING_LABELS = {
    "-created_at": "Newest first",
    "created_at": "Oldest first",
    "price": "Price: low to high",
    "-price": "Price: high to low",
    "-rating": "Best rated",
    "rating": "Lowest rated",
    "name": "Name: A to Z",
    "-name": "Name: Z to A",
}
RATING_CHOICES = [("", "Any rating"), ("4", "4 stars and up"), ("3", "3 stars and up")]
RATING_CHOICES += [("2", "2 stars and up"), ("1", "1 star and up")]


def add_domain_errors(
    form: forms.Form, error: DomainError, *, fields: Mapping[str, str], fallback: bool = True
) -> None:
    """Show a service's error on the form: next to the fields it names, else above the form.

    `fields` maps the service's field names to the form's (e.g. "password" → "password1");
    without `fallback`, an error that names no field of the form is left to the caller.
    """
    placed = False
    for name, messages in (error.errors or {}).items():
        field = fields.get(name, name)
        if field in form.fields:
            form.add_error(field, messages if isinstance(messages, list) else [messages])
            placed = True
    if not placed and fallback:
        form.add_error(None, error.detail)


class ProductFilterForm(forms.Form):
    """The filters and ordering of a product list; the same ones the API's list offers."""

    q = forms.CharField(label="Search", required=False, max_length=200)
    tag = forms.ChoiceField(label="Tag", required=False, choices=[])
    price_min = forms.DecimalField(
        label="Min price", required=False, min_value=Decimal(0), max_digits=10, decimal_places=2
    )
    price_max = forms.DecimalField(
        label="Max price", required=False, min_value=Decimal(0), max_digits=10, decimal_places=2
    )
    in_stock = forms.BooleanField(label="In stock only", required=False)
    rating_min = forms.ChoiceField(label="Rating", required=False, choices=RATING_CHOICES)
    ordering = forms.ChoiceField(
        label="Sort by",
        required=False,
        choices=[("", "Default")] + [(key, ORDERING_LABELS[key]) for key in ORDERINGS],
    )
    cursor = forms.CharField(required=False, widget=forms.HiddenInput, max_length=500)

    def __init__(self, *args: Any, tags: list[dict[str, Any]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["tag"].choices = [("", "Any tag")] + [(t["slug"], t["name"]) for t in tags]  # type: ignore[attr-defined]

    def show_counts(self, facets: Mapping[str, Any]) -> None:
        """Label the tag, rating and stock choices with how many products each would list."""
        tags = {tag["slug"]: tag["count"] for tag in facets["tags"]}
        self.fields["tag"].choices = [  # type: ignore[attr-defined]
            (slug, f"{name} ({tags.get(slug, 0)})") if slug else (slug, name)
            for slug, name in self.fields["tag"].choices  # type: ignore[attr-defined]
        ]
        ratings = {str(r["min"]): r["count"] for r in facets["ratings"]}
        self.fields["rating_min"].choices = [  # type: ignore[attr-defined]
            (value, f"{label} ({ratings[value]})") if value in ratings else (value, label)
            for value, label in RATING_CHOICES
        ]
        self.fields["in_stock"].label = f"In stock only ({facets['in_stock']})"

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        low, high = cleaned.get("price_min"), cleaned.get("price_max")
        if low is not None and high is not None and low > high:
            self.add_error("price_max", "The maximum price must not be lower than the minimum.")
            cleaned.pop("price_min", None)  # a range that cannot match is left out whole
        return cleaned

    def selector_arguments(self) -> dict[str, Any]:
        """Return the valid filters as `ProductFilters` fields plus ordering and cursor."""
        data = self.cleaned_data if hasattr(self, "cleaned_data") else {}
        rating = data.get("rating_min")
        return {
            "search": (data.get("q") or "").strip() or None,
            "tag": data.get("tag") or None,
            "price_min": data.get("price_min"),
            "price_max": data.get("price_max"),
            "in_stock": True if data.get("in_stock") else None,
            "rating_min": Decimal(rating) if rating else None,
            "ordering": data.get("ordering") or None,
            "cursor": data.get("cursor") or None,
        }


class AddToCartForm(forms.Form):
    sku = forms.ChoiceField(label="Variant", widget=forms.RadioSelect, choices=[])
    quantity = forms.IntegerField(label="Quantity", min_value=1, initial=1)

    def __init__(self, *args: Any, variants: list[dict[str, Any]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["quantity"].max_value = settings.CART_MAX_QUANTITY  # type: ignore[attr-defined]
        self.fields["quantity"].widget.attrs.update(
            {"max": settings.CART_MAX_QUANTITY, "inputmode": "numeric"}
        )
        self.fields["sku"].choices = [(v["sku"], v["name"]) for v in variants]  # type: ignore[attr-defined]
        in_stock = [v["sku"] for v in variants if v["in_stock"]]
        if in_stock and not self.is_bound:
            self.initial.setdefault("sku", in_stock[0])


class ReviewForm(forms.Form):
    rating = forms.TypedChoiceField(
        label="Rating",
        coerce=int,
        choices=[(n, f"{n} star{'s' if n > 1 else ''}") for n in range(5, 0, -1)],
        widget=forms.RadioSelect,
    )
    title = forms.CharField(label="Title", max_length=120, required=False)
    body = forms.CharField(
        label="Your review", max_length=5000, required=False, widget=forms.Textarea({"rows": 5})
    )


class CartLineForm(forms.Form):
    quantity = forms.IntegerField(label="Quantity", min_value=1)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["quantity"].max_value = settings.CART_MAX_QUANTITY  # type: ignore[attr-defined]


class VoucherForm(forms.Form):
    code = forms.CharField(label="Voucher code", max_length=40)


class ShippingForm(forms.Form):
    shipping_method = forms.TypedChoiceField(
        label="Shipping method", coerce=int, choices=[], widget=forms.RadioSelect
    )

    def __init__(self, *args: Any, methods: list[dict[str, Any]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["shipping_method"].choices = shipping_choices(methods)  # type: ignore[attr-defined]


def shipping_choices(methods: list[dict[str, Any]]) -> list[tuple[int, str]]:
    """Return the shipping methods as choices that say what each costs, and when it is free."""
    currency = settings.DEFAULT_CURRENCY
    choices = []
    for method in methods:
        label = f"{method['name']}: {method['price']} {currency}"
        if method["free_above"] is not None:
            label += f", free on orders of {method['free_above']} {currency} or more"
        choices.append((method["id"], label))
    return choices


class CountryField(forms.ChoiceField):
    """A country picked by its name; the two-letter code is what the form gives back."""

    def to_python(self, value: Any) -> str:
        return super().to_python(value).upper()


class AddressFields(forms.Form):
    """The fields of a postal address, shared by checkout and the address book."""

    name = forms.CharField(
        label="Full name",
        max_length=150,
        error_messages={"required": "Enter the full name of whoever receives the parcel."},
        widget=forms.TextInput({"autocomplete": "name"}),
    )
    line1 = forms.CharField(
        label="Address line 1",
        max_length=200,
        error_messages={"required": "Enter the street and number (or the first line)."},
        widget=forms.TextInput({"autocomplete": "address-line1"}),
    )
    line2 = forms.CharField(
        label="Address line 2",
        max_length=200,
        required=False,
        widget=forms.TextInput({"autocomplete": "address-line2"}),
    )
    city = forms.CharField(
        label="City",
        max_length=100,
        error_messages={"required": "Enter the town or city."},
        widget=forms.TextInput({"autocomplete": "address-level2"}),
    )
    postal_code = forms.CharField(
        label="Postal code",
        max_length=20,
        error_messages={"required": "Enter the postal code."},
        widget=forms.TextInput({"autocomplete": "postal-code"}),
    )
    country = CountryField(
        label="Country",
        choices=country_choices,
        error_messages={
            "required": "Choose the country the parcel goes to.",
            "invalid_choice": "Choose a country from the list.",
        },
        widget=forms.Select({"autocomplete": "country"}),
    )
    phone = forms.CharField(
        label="Phone",
        max_length=32,
        required=False,
        widget=forms.TextInput({"autocomplete": "tel", "type": "tel"}),
    )

    def address_data(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in ADDRESS_FIELD_NAMES}


ADDRESS_FIELD_NAMES = ("name", "line1", "line2", "city", "postal_code", "country", "phone")


class AddressForm(AddressFields):
    is_default = forms.BooleanField(label="Use as my default address", required=False)

    @classmethod
    def for_address(cls, address: Address) -> "AddressForm":
        initial = {name: getattr(address, name) for name in ADDRESS_FIELD_NAMES}
        return cls(initial={**initial, "is_default": address.is_default})


class CheckoutForm(AddressFields):
    email = forms.EmailField(
        label="E-mail",
        error_messages={
            "required": "Enter your e-mail address: the order confirmation goes there.",
            "invalid": "Enter an e-mail address like name@example.com.",
        },
        widget=forms.EmailInput({"autocomplete": "email"}),
    )
    shipping_method = forms.TypedChoiceField(
        label="Shipping method",
        coerce=int,
        choices=[],
        error_messages={
            "required": "Choose how your order is shipped.",
            "invalid_choice": "Choose one of the shipping methods shown.",
        },
        widget=forms.RadioSelect,
    )
    save_address = forms.BooleanField(label="Save this address to my account", required=False)

    field_order = ["email", *ADDRESS_FIELD_NAMES, "shipping_method", "save_address"]

    def __init__(
        self, *args: Any, methods: list[dict[str, Any]], signed_in: bool, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        if signed_in:
            del self.fields["email"]  # the order goes to the account's address
        else:
            del self.fields["save_address"]
        if methods:
            self.fields["shipping_method"].choices = shipping_choices(methods)  # type: ignore[attr-defined]
        else:
            del self.fields["shipping_method"]


class SandboxPayForm(forms.Form):
    card_number = forms.CharField(
        label="Card number",
        max_length=30,
        widget=forms.TextInput({"autocomplete": "cc-number", "inputmode": "numeric"}),
    )


class LoginForm(forms.Form):
    email = forms.EmailField(
        label="E-mail", widget=forms.EmailInput({"autocomplete": "email", "autofocus": True})
    )
    password = forms.CharField(
        label="Password",
        strip=False,
        widget=forms.PasswordInput({"autocomplete": "current-password"}),
    )


class RegisterForm(forms.Form):
    full_name = forms.CharField(
        label="Full name",
        max_length=150,
        required=False,
        widget=forms.TextInput({"autocomplete": "name"}),
    )
    email = forms.EmailField(
        label="E-mail",
        help_text="We send a link to this address: open it to choose your password.",
        error_messages={
            "required": "Enter your e-mail address: the link to finish your account goes there.",
            "invalid": "Enter an e-mail address like name@example.com.",
        },
        widget=forms.EmailInput({"autocomplete": "email"}),
    )


class FinishRegistrationForm(forms.Form):
    password1 = forms.CharField(
        label="Password", strip=False, widget=forms.PasswordInput({"autocomplete": "new-password"})
    )
    password2 = forms.CharField(
        label="Password (again)",
        strip=False,
        widget=forms.PasswordInput({"autocomplete": "new-password"}),
    )

    def __init__(self, *args: Any, email: str, full_name: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.account = User(email=email, full_name=full_name)  # for the similarity rule

    def clean(self) -> dict[str, Any]:
        """Find every problem at once: each password rule broken, and the retype."""
        cleaned = super().clean() or {}
        first, second = cleaned.get("password1"), cleaned.get("password2")
        if first:
            try:
                password_validation.validate_password(first, self.account)
            except ValidationError as exc:
                self.add_error("password1", exc)
        if first and second and first != second:
            self.add_error("password2", ValidationError("The two passwords differ."))
        return cleaned


class PasswordResetRequestForm(forms.Form):
    email = forms.EmailField(label="E-mail", widget=forms.EmailInput({"autocomplete": "email"}))


class SetPasswordForm(forms.Form):
    new_password1 = forms.CharField(
        label="New password",
        strip=False,
        widget=forms.PasswordInput({"autocomplete": "new-password"}),
    )
    new_password2 = forms.CharField(
        label="New password (again)",
        strip=False,
        widget=forms.PasswordInput({"autocomplete": "new-password"}),
    )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        first, second = cleaned.get("new_password1"), cleaned.get("new_password2")
        if first and second and first != second:
            self.add_error("new_password2", ValidationError("The two passwords differ."))
        return cleaned


class ReturnForm(forms.Form):
    """Which shipped items go back, and why."""

    reason = forms.ChoiceField(label="Why are you returning them?", choices=ReturnReason.choices)
    comment = forms.CharField(
        label="Anything we should know (optional)",
        max_length=1000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args: Any, lines: list[OrderLine], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lines = lines
        for line in lines:
            self.fields[self.quantity_field(line)] = forms.TypedChoiceField(
                label=f"{line.product_name} {line.variant_name}".strip(),
                choices=[(n, str(n)) for n in range(line.quantity_returnable + 1)],
                coerce=int,
                initial=0,
                required=False,
                empty_value=0,  # type: ignore[arg-type]  # any value stands for "none"
            )

    @staticmethod
    def quantity_field(line: OrderLine) -> str:
        return f"return_{line.pk}"

    def quantity_fields(self) -> list[forms.BoundField]:
        return [self[self.quantity_field(line)] for line in self.lines]

    def items(self) -> list[tuple[int, int]]:
        return [
            (line.pk, quantity)
            for line in self.lines
            if (quantity := self.cleaned_data.get(self.quantity_field(line)) or 0)
        ]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if not self.errors and not self.items():
            raise ValidationError("Choose how many of which item to return.")
        return cleaned
