"""Checkout through the API, end to end: a guest and a registered customer (with cart merge) walk
to a paid order through Stripe's webhook; an Idempotency-Key places one order however often and
however concurrently it is sent; the last units go to exactly as many buyers as there are units.
Every answer is validated against the served OpenAPI document."""

from __future__ import annotations

import threading
import uuid
from typing import Any

import pytest
from sqlalchemy import func, select, text

from commerce import db
from commerce.catalog.models import Variant
from commerce.inventory.models import StockLevel
from commerce.orders.models import Order
from commerce.shipping.service import load_default_shipping
from jobs.handlers.orders import deliver_paid_order, send_order_confirmation
from tests.carts.factories import ADDRESS, STAFF, make_tax_zone, make_variant
from tests.customers.factories import PASSWORD
from tests.inventory.factories import ledger_mismatches
from tests.storefront_api.test_openapi import assert_valid, schema_for

PREFIX = "/api/v1"


@pytest.fixture
def doc(client) -> dict[str, Any]:
    return client.get(f"{PREFIX}/openapi.json").get_json()


@pytest.fixture
def call(client, doc):
    """call(method, path, status, template=..., json=None, headers=None) -> body, validated."""

    def do(method, path, status, *, template, json=None, headers=None):
        response = client.open(PREFIX + path, method=method, json=json, headers=headers or {})
        assert response.status_code == status, response.get_json()
        body = response.get_json()
        assert_valid(doc, schema_for(doc, template, status, method.lower()), body)
        return body

    return do


@pytest.fixture
def shop(db_session):
    """German VAT, the default shipping methods, and a T-shirt with 5 units on the shelf."""
    make_tax_zone("DE", "0.19")
    load_default_shipping(STAFF)
    return make_variant(2500, stock=5, sku="TEE-BLK-M", weight_grams=200)


def fill_guest_cart(call, variant_id: int, quantity: int = 2, email: str = "ada@example.com"):
    """A guest cart with the line, email, address and the cheapest shipping method. -> token"""
    token = call("POST", "/carts", 201, template="/carts")["token"]
    call(
        "POST",
        f"/carts/{token}/lines",
        200,
        template="/carts/{token}/lines",
        json={"variant_id": variant_id, "quantity": quantity},
    )
    call(
        "PUT", f"/carts/{token}/email", 200, template="/carts/{token}/email", json={"email": email}
    )
    call(
        "PUT",
        f"/carts/{token}/addresses",
        200,
        template="/carts/{token}/addresses",
        json={"shipping_address": ADDRESS},
    )
    methods = call(
        "GET", f"/carts/{token}/shipping-methods", 200, template="/carts/{token}/shipping-methods"
    )
    assert methods["requires_shipping"] and methods["data"], methods
    call(
        "PUT",
        f"/carts/{token}/shipping-method",
        200,
        template="/carts/{token}/shipping-method",
        json={"shipping_method_id": methods["data"][0]["id"]},
    )
    return token, methods["data"][0]


def place(call, path: str, template: str, key: str, status: int = 201, method: str = "stripe"):
    return call(
        "POST",
        path,
        status,
        template=template,
        json={"payment_method": method},
        headers={"Idempotency-Key": key},
    )


def test_guest_checkout_to_a_paid_order_through_the_webhook(
    client, call, shop, db_session, stripe_server, gateway, mailbox
):
    token, method = fill_guest_cart(call, shop.id)
    cart = call("GET", f"/carts/{token}", 200, template="/carts/{token}")
    hold = call("POST", f"/carts/{token}/checkout", 200, template="/carts/{token}/checkout")
    assert hold["data"]["lines"] == [{"variant_id": shop.id, "quantity": 2}]

    key = str(uuid.uuid4())
    placed = place(call, f"/carts/{token}/orders", "/carts/{token}/orders", key)["data"]
    again = place(call, f"/carts/{token}/orders", "/carts/{token}/orders", key, status=200)["data"]

    order = placed["order"]
    assert again["order"]["number"] == order["number"]
    assert again["payment"]["payment_intent_id"] == placed["payment"]["payment_intent_id"]
    # 2 x 25.00 + shipping, 19% VAT added on top (prices exclude tax by default).
    shipping = method["price"]["amount"]
    assert order["subtotal"]["amount"] == 5000 and order["shipping"]["amount"] == shipping
    assert order["tax"]["amount"] == round(5000 * 0.19) + round(shipping * 0.19)
    assert (
        order["total"]["amount"]
        == cart["data"]["totals"]["subtotal"]["amount"] + shipping + (order["tax"]["amount"])
    )
    assert order["status"] == "pending_payment" and placed["payment"]["client_secret"]
    assert db_session.scalar(select(func.count()).select_from(Order)) == 1

    # The shopper pays in the browser; Stripe tells us by webhook.
    gateway.confirm_payment_intent(
        placed["payment"]["payment_intent_id"], "pm_card_visa", idempotency_key="confirm"
    )
    body, signature = stripe_server.signed_event(
        stripe_server.last_event("payment_intent.succeeded")
    )
    hook = client.post(
        f"{PREFIX}/webhooks/stripe", data=body, headers={"Stripe-Signature": signature}
    )
    assert hook.get_json()["outcome"] == "paid"

    saved = db_session.scalar(select(Order).where(Order.number == order["number"]))
    saved = db_session.get(Order, saved.id, populate_existing=True)
    assert (saved.status, saved.payment_status) == ("paid", "paid")
    assert saved.shipping_method["code"] == method["code"]
    assert saved.lines[0].sku == "TEE-BLK-M" and saved.tax_lines
    level = db_session.scalar(select(StockLevel).where(StockLevel.variant_id == shop.id))
    level = db_session.get(StockLevel, level.id, populate_existing=True)
    assert (level.on_hand, level.allocated, level.reserved) == (5, 2, 0)
    assert ledger_mismatches(db_session) == []
    # The cart is closed; its token no longer reads.
    call("GET", f"/carts/{token}", 404, template="/carts/{token}")
    # The emails the order's events send.
    send_order_confirmation({"payload": {"order_id": saved.id}})
    deliver_paid_order({"payload": {"order_id": saved.id, "amount": saved.total_amount}})
    subjects = sorted(m["Subject"] for m in mailbox())
    assert subjects == [
        f"Order #{saved.number} confirmed",
        f"Payment received for order #{saved.number}",
    ]


def test_registered_checkout_merges_the_guest_cart_and_is_paid_through_the_webhook(
    client, call, shop, db_session, stripe_server, gateway
):
    guest = call("POST", "/carts", 201, template="/carts")["token"]
    call(
        "POST",
        f"/carts/{guest}/lines",
        200,
        template="/carts/{token}/lines",
        json={"variant_id": shop.id, "quantity": 1},
    )
    registered = client.post(
        f"{PREFIX}/account/register",
        json={
            "email": "grace@example.com",
            "password": PASSWORD,
            "first_name": "Grace",
            "last_name": "Hopper",
            "country": "DE",
            "accepts_marketing": False,
        },
    )
    assert registered.status_code == 201
    bearer = {"Authorization": f"Bearer {registered.get_json()['data']['access_token']}"}
    merged = call(
        "POST",
        "/cart/merge",
        200,
        template="/cart/merge",
        json={"guest_token": guest},
        headers=bearer,
    )
    assert [line["quantity"] for line in merged["data"]["lines"]] == [1]
    call(
        "PUT", "/cart/email", 200, template="/cart/email", json={"email": "grace@example.com"},
        headers=bearer,
    )  # fmt: skip
    call(
        "PUT", "/cart/addresses", 200, template="/cart/addresses",
        json={"shipping_address": ADDRESS}, headers=bearer,
    )  # fmt: skip
    methods = call(
        "GET", "/cart/shipping-methods", 200, template="/cart/shipping-methods", headers=bearer
    )
    call(
        "PUT", "/cart/shipping-method", 200, template="/cart/shipping-method",
        json={"shipping_method_id": methods["data"][0]["id"]}, headers=bearer,
    )  # fmt: skip
    call("GET", "/cart", 200, template="/cart", headers=bearer)
    key = {"Idempotency-Key": "order-attempt-1", **bearer}
    placed = call(
        "POST", "/cart/orders", 201, template="/cart/orders",
        json={"payment_method": "stripe"}, headers=key,
    )["data"]  # fmt: skip
    replay = call(
        "POST", "/cart/orders", 200, template="/cart/orders",
        json={"payment_method": "stripe"}, headers=key,
    )["data"]  # fmt: skip
    assert replay["order"]["number"] == placed["order"]["number"]
    assert replay["payment"]["payment_intent_id"] == placed["payment"]["payment_intent_id"]
    assert placed["order"]["email"] == "grace@example.com"

    gateway.confirm_payment_intent(
        placed["payment"]["payment_intent_id"], "pm_card_visa", idempotency_key="confirm"
    )
    body, signature = stripe_server.signed_event(
        stripe_server.last_event("payment_intent.succeeded")
    )
    hook = client.post(
        f"{PREFIX}/webhooks/stripe", data=body, headers={"Stripe-Signature": signature}
    )
    assert hook.get_json()["outcome"] == "paid"
    history = client.get(f"{PREFIX}/account/orders", headers=bearer).get_json()
    assert [(o["number"], o["payment_status"]) for o in history["data"]] == [
        (placed["order"]["number"], "paid")
    ]


def test_placing_needs_a_key_an_email_and_a_shipping_method(call, shop):
    token = call("POST", "/carts", 201, template="/carts")["token"]
    call(
        "POST",
        f"/carts/{token}/lines",
        200,
        template="/carts/{token}/lines",
        json={"variant_id": shop.id, "quantity": 1},
    )
    path, template = f"/carts/{token}/orders", "/carts/{token}/orders"
    no_key = call("POST", path, 400, template=template, json={"payment_method": "stripe"})
    assert "Idempotency-Key" in no_key["error"]["details"]["fields"]
    no_email = place(call, path, template, "k1", status=400)
    assert no_email["error"]["details"]["fields"] == {"email": "is required"}
    call(
        "PUT",
        f"/carts/{token}/email",
        200,
        template="/carts/{token}/email",
        json={"email": "a@b.de"},
    )
    no_address = place(call, path, template, "k2", status=400)
    assert "shipping_address" in no_address["error"]["details"]["fields"]
    bad_method = place(call, path, template, "k3", status=400, method="cheque")
    assert "payment_method" in bad_method["error"]["details"]["fields"]


def test_a_price_change_since_the_last_read_refuses_the_order(call, shop, db_session):
    token, _ = fill_guest_cart(call, shop.id, quantity=1)
    call("GET", f"/carts/{token}", 200, template="/carts/{token}")
    variant = db_session.get(Variant, shop.id)
    variant.price_amount = 2900
    db_session.commit()

    refused = place(call, f"/carts/{token}/orders", "/carts/{token}/orders", "k", status=409)

    assert refused["error"]["code"] == "cart_changed"
    assert "changed from 25.00 EUR to 29.00 EUR" in refused["error"]["message"]
    # Reading the cart shows the new price; then the order goes through at it.
    call("GET", f"/carts/{token}", 200, template="/carts/{token}")
    placed = place(
        call, f"/carts/{token}/orders", "/carts/{token}/orders", "k2", method="cash_on_delivery"
    )
    assert placed["data"]["order"]["lines"][0]["unit_price"]["amount"] == 2900


def test_more_than_is_available_is_refused_naming_the_line(call, shop, db_session):
    token, _ = fill_guest_cart(call, shop.id, quantity=2)
    other, _ = fill_guest_cart(call, shop.id, quantity=4, email="b@example.com")
    call("GET", f"/carts/{other}", 200, template="/carts/{token}")
    place(call, f"/carts/{token}/orders", "/carts/{token}/orders", "a", method="bank_transfer")

    refused = place(call, f"/carts/{other}/orders", "/carts/{token}/orders", "b", status=409)

    assert refused["error"]["code"] == "out_of_stock"
    assert "TEE-BLK-M" in refused["error"]["message"]
    assert db_session.scalar(select(func.count()).select_from(Order)) == 1


# --- concurrency on real parallel connections -------------------------------------------------


def _parallel(app, jobs: list) -> list:
    """Run each job(client) in its own thread at once; return their results in order."""
    results: list = [None] * len(jobs)
    start = threading.Barrier(len(jobs))

    def run(i: int, job) -> None:
        with app.app_context():
            client = app.test_client()
            start.wait()
            try:
                results[i] = job(client)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(i, job)) for i, job in enumerate(jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    return results


def _order_job(token: str, key: str, method: str = "bank_transfer"):
    def job(client):
        response = client.post(
            f"{PREFIX}/carts/{token}/orders",
            json={"payment_method": method},
            headers={"Idempotency-Key": key},
        )
        return response.status_code, response.get_json()

    return job


@pytest.mark.committed
def test_fifty_parallel_checkouts_for_ten_units_make_exactly_ten_orders(app, call):
    make_tax_zone("DE", "0.19")
    load_default_shipping(STAFF)
    variant = make_variant(1000, stock=10, sku="LAST-TEN")
    tokens = [fill_guest_cart(call, variant.id, 1, f"buyer{i}@example.com")[0] for i in range(50)]
    for token in tokens:
        call("GET", f"/carts/{token}", 200, template="/carts/{token}")
    app.config["API_CHECKOUT_RATE_LIMIT"] = "1000 per minute"

    results = _parallel(app, [_order_job(token, f"key-{i}") for i, token in enumerate(tokens)])

    statuses = sorted(status for status, _ in results)
    assert statuses.count(201) == 10 and statuses.count(409) == 40, statuses
    assert {body["error"]["code"] for status, body in results if status == 409} == {"out_of_stock"}
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Order)) == 10
        level = db.session.scalar(select(StockLevel).where(StockLevel.variant_id == variant.id))
        assert (level.on_hand, level.allocated, level.reserved) == (10, 10, 0)
        assert ledger_mismatches(db.session) == []
    app.config["API_CHECKOUT_RATE_LIMIT"] = "60 per minute"


@pytest.mark.committed
def test_one_key_sent_eight_times_at_once_places_one_order(app, call):
    make_tax_zone("DE", "0.19")
    load_default_shipping(STAFF)
    variant = make_variant(1000, stock=10, sku="ONCE")
    token, _ = fill_guest_cart(call, variant.id, 3)
    call("GET", f"/carts/{token}", 200, template="/carts/{token}")

    results = _parallel(app, [_order_job(token, "the-same-key") for _ in range(8)])

    statuses = sorted(status for status, _ in results)
    assert statuses == [200] * 7 + [201], [body for _, body in results]
    assert len({body["data"]["order"]["number"] for _, body in results}) == 1
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Order)) == 1
        allocated = db.session.scalar(text("SELECT sum(allocated) FROM stock_levels"))
        assert allocated == 3
