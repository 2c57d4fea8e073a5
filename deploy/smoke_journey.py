"""Drive one shopper through nginx: sign up, fill a cart, check out, pay with the sandbox.

    python deploy/smoke_journey.py BASE_URL SKU [--ca CERT]

Waits (bounded) until the sandbox's webhook, delivered by the Celery worker through nginx,
has marked the order paid. Prints one line per step; exits non-zero on the first surprise.
"""

# A command-line script: it prints its progress and opens the URL it is given.
# ruff: noqa: T201, S310

import argparse
import json
import secrets
import ssl
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

ADDRESS = {
    "name": "Smoke Test",
    "line1": "1 Main St",
    "city": "Paris",
    "postal_code": "75001",
    "country": "FR",
}


class Client:
    def __init__(self, base: str, context: ssl.SSLContext | None) -> None:
        self.base = base.rstrip("/")
        self.context = context
        self.token = ""

    def call(self, method: str, path: str, body: Any = None, *, expect: int) -> Any:
        headers = {"Accept": "application/json", "X-Request-ID": f"smoke-{secrets.token_hex(6)}"}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        request = urllib.request.Request(
            self.base + path, data=data, headers=headers, method=method
        )
        try:
            with urllib.request.urlopen(request, timeout=15, context=self.context) as response:
                status, raw = response.status, response.read()
        except urllib.error.HTTPError as error:
            status, raw = error.code, error.read()
        if status != expect:
            sys.exit(
                f"journey: {method} {path} answered {status}, expected {expect}: {raw[:500]!r}"
            )
        print(f"journey: {method} {path} -> {status}")
        return json.loads(raw) if raw else None


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("base")
    parser.add_argument("sku")
    parser.add_argument("--ca", help="certificate to trust (nginx's self-signed one)")
    parser.add_argument("--timeout", type=float, default=60)
    args = parser.parse_args()
    context = ssl.create_default_context(cafile=args.ca) if args.ca else None
    client = Client(args.base, context)

    email = f"smoke-{secrets.token_hex(5)}@example.com"
    password = f"Smoke-{secrets.token_urlsafe(12)}"
    client.call(
        "POST",
        "/api/v1/auth/register/",
        {"email": email, "password": password, "password_confirm": password},
        expect=201,
    )
    tokens = client.call(
        "POST", "/api/v1/auth/token/", {"email": email, "password": password}, expect=200
    )
    client.token = tokens["access"]

    client.call("POST", "/api/v1/cart/items/", {"sku": args.sku, "quantity": 2}, expect=201)
    methods = client.call("GET", "/api/v1/shipping-methods/", expect=200)
    methods = methods["results"] if isinstance(methods, dict) else methods
    client.call(
        "PUT", "/api/v1/cart/shipping-method/", {"shipping_method": methods[0]["id"]}, expect=200
    )
    order = client.call("POST", "/api/v1/checkout/", {"shipping_address": ADDRESS}, expect=201)
    payment = client.call("POST", f"/api/v1/orders/{order['id']}/pay/", expect=201)
    # The hosted pay step, at the address the sandbox announced (SANDBOX_PAY_URL).
    pay_path = urllib.parse.urlsplit(payment["redirect_url"]).path

    shopper = Client(args.base, context)  # the hosted pay step is anonymous, like a browser
    shopper.call(
        "POST",
        pay_path,
        {"client_secret": payment["client_secret"], "card_number": "4242 4242 4242 4242"},
        expect=200,
    )

    started = time.monotonic()
    while True:
        status = client.call("GET", f"/api/v1/orders/{order['id']}/", expect=200)["status"]
        if status == "paid":
            break
        if time.monotonic() - started > args.timeout:
            sys.exit(f"journey: order {order['number']} still {status} after {args.timeout:.0f} s")
        time.sleep(0.5)
    waited = time.monotonic() - started
    print(f"journey: order {order['number']} paid ({waited:.1f} s after the sandbox payment)")
    print(f"JOURNEY_ORDER_ID={order['id']}")


if __name__ == "__main__":
    main()
