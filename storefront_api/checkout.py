"""Checkout under /api/v1: shipping methods for the cart, holding stock, placing the order.

Guest carts by token (/carts/{token}/...) and the signed-in customer's cart (/cart/...):

    GET  .../shipping-methods   the methods that serve the cart's shipping address, priced
    PUT  .../shipping-method    {"shipping_method_id": n}
    POST .../checkout           hold the cart's stock for CHECKOUT_HOLD_SECONDS
    POST .../orders             place the order; header Idempotency-Key (required),
                                body {"payment_method": "stripe" | "bank_transfer" |
                                "cash_on_delivery"}; 201 with the order and, for Stripe, the
                                PaymentIntent's client secret; the same key again answers 200
                                with the same order (and the same PaymentIntent)
"""

from __future__ import annotations

from typing import Any

from flask import current_app, jsonify, request

from commerce.carts import service as carts
from commerce.carts.reading import price_cart
from commerce.checkout import service as checkout
from commerce.customers.history import order_detail
from commerce.errors import InvalidInput
from commerce.orders.models import PAYMENT_METHODS, Order
from commerce.payments.gateway import gateway_from_config
from commerce.payments.service import start_stripe_payment
from commerce.shipping.engine import ShippingItem, quote_shipping
from storefront_api import api, openapi
from storefront_api.carts import _actor, _customer_id, _guest
from storefront_api.limits import checkout_limit, limiter
from storefront_api.text_input import json_body


def _mine() -> int:
    return carts.get_cart_for_customer(_customer_id(), actor=_actor()).id


def _money(amount: int, currency: str) -> dict[str, Any]:
    return {"amount": amount, "currency": currency}


# --- handlers shared by guest and signed-in routes -----------------------------------------------


def _shipping_methods(cart_id: int):
    cart = carts.cart_by_id(cart_id)
    view = price_cart(cart.id)
    variants = {line.variant_id: line.variant for line in cart.lines}
    items = [
        ShippingItem(
            weight_grams=variants[line.variant_id].weight_grams or 0,
            quantity=line.quantity,
            is_digital=variants[line.variant_id].is_digital,
            shipping_class=variants[line.variant_id].shipping_class,
        )
        for line in cart.lines
    ]
    requires = any(not item.is_digital for item in items)
    methods: list[dict[str, Any]] = []
    if requires and cart.shipping_address:
        quotes = quote_shipping(
            cart.shipping_address,
            items,
            view.quote.subtotal - view.quote.discount,
            cart.currency,
        )
        methods = [
            {
                "id": q.method_id,
                "code": q.code,
                "name": q.name,
                "price": _money(q.amount, q.currency),
                "min_days": q.min_days,
                "max_days": q.max_days,
                "carrier": q.carrier,
            }
            for q in quotes
        ]
    return jsonify(
        {
            "data": methods,
            "requires_shipping": requires,
            "has_address": bool(cart.shipping_address),
        }
    )


def _set_method(cart_id: int):
    body = json_body()
    method_id = body.get("shipping_method_id")
    if method_id is not None and (isinstance(method_id, bool) or not isinstance(method_id, int)):
        raise InvalidInput(
            "shipping_method_id: must be an integer or null",
            fields={"shipping_method_id": "must be an integer or null"},
        )
    carts.set_shipping_method(cart_id, method_id, actor=_actor())
    return jsonify({"data": {"shipping_method_id": method_id}})


def _hold(cart_id: int):
    hold = checkout.start_checkout(cart_id, actor=_actor())
    return jsonify(
        {
            "data": {
                "expires_at": hold.expires_at.isoformat(),
                "lines": [{"variant_id": v, "quantity": q} for v, q in hold.lines],
            }
        }
    )


def _place(cart_id: int, scope: str | None = None):
    body = json_body()
    method = body.get("payment_method")
    if not isinstance(method, str):
        raise InvalidInput(
            "payment_method: is required",
            fields={"payment_method": f"one of {', '.join(PAYMENT_METHODS)}"},
        )
    placed = checkout.place_order(
        cart_id,
        idempotency_key=request.headers.get("Idempotency-Key", ""),
        payment_method=method,
        actor=_actor(),
        channel="app" if request.headers.get("X-Channel") == "app" else "web",
        scope=scope,
    )
    order = placed.order
    response = jsonify({"data": _order_with_payment(order)})
    response.headers["Location"] = f"/api/v1/orders/{order.number}"
    return response, 201 if placed.created else 200


def _order_with_payment(order: Order) -> dict[str, Any]:
    payment: dict[str, Any] = {
        "method": order.payment_method,
        "status": order.payment_status,
        "amount_due": _money(order.amount_due, order.currency),
        "client_secret": None,
        "payment_intent_id": None,
        "instructions": None,
    }
    if order.payment_method == "stripe" and order.amount_due > 0 and order.payment_status != "paid":
        started = start_stripe_payment(order.id, gateway_from_config(current_app.config))
        payment["client_secret"] = started.client_secret
        payment["payment_intent_id"] = started.provider_reference
    elif order.payment_method == "bank_transfer":
        payment["instructions"] = (
            f"Transfer the amount due with the reference Order {order.number}."
        )
    elif order.payment_method == "cash_on_delivery":
        payment["instructions"] = "Pay the amount due to the courier on delivery."
    return {
        "order": order_detail(order),
        "gift_cards": _money(order.gift_card_amount, order.currency),
        "payment": payment,
    }


# --- routes ---------------------------------------------------------------------------------------


@api.get("/carts/<token>/shipping-methods")
def guest_shipping_methods(token: str):
    """Methods serving the guest cart's address, priced for the cart."""
    return _shipping_methods(_guest(token))


@api.put("/carts/<token>/shipping-method")
def set_guest_shipping_method(token: str):
    """Choose the guest cart's shipping method (null clears it)."""
    return _set_method(_guest(token))


@api.post("/carts/<token>/checkout")
def start_guest_checkout(token: str):
    """Hold the guest cart's stock while the shopper pays."""
    return _hold(_guest(token))


@api.post("/carts/<token>/orders")
@limiter.limit(checkout_limit)
def place_guest_order(token: str):
    """Place the guest cart's order once per Idempotency-Key."""
    return _place(carts.cart_id_for_token(token))


@api.get("/cart/shipping-methods")
def my_shipping_methods():
    """Methods serving the signed-in customer's cart address."""
    return _shipping_methods(_mine())


@api.put("/cart/shipping-method")
def set_my_shipping_method():
    """Choose the signed-in customer's shipping method."""
    return _set_method(_mine())


@api.post("/cart/checkout")
def start_my_checkout():
    """Hold the signed-in customer's cart stock."""
    return _hold(_mine())


@api.post("/cart/orders")
@limiter.limit(checkout_limit)
def place_my_order():
    """Place the signed-in customer's order once per Idempotency-Key."""
    customer_id = _customer_id()
    return _place(_mine(), scope=f"customer:{customer_id}")


# --- OpenAPI ------------------------------------------------------------------------------------

_ERRORS = {
    "400": openapi.json_response(
        openapi.ref("Error"), "Malformed body or parameter (`invalid_input`, with details.fields)"
    ),
    "404": openapi.json_response(openapi.ref("Error"), "No such open cart (`not_found`)"),
}
_CUSTOMER = {
    "401": openapi.json_response(
        openapi.ref("Error"), "Missing, expired or revoked bearer token (`unauthenticated`)"
    )
}
_CONFLICT = {
    "409": openapi.json_response(
        openapi.ref("Error"),
        "Not enough stock (`out_of_stock`, naming each line and what is available), the cart "
        "changed since it was read (`cart_changed`), was already ordered, or the key was used "
        "for another request",
    ),
    "422": openapi.json_response(
        openapi.ref("Error"), "A voucher or gift card cannot be used (with its reason)"
    ),
    "429": openapi.json_response(openapi.ref("Error"), "Too many requests (Retry-After)"),
}
_TOKEN = {"name": "token", "in": "path", "required": True, "schema": {"type": "string"}}
_KEY = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": True,
    "description": "A unique key per order attempt; the same key always answers with the same "
    "order",
    "schema": {"type": "string", "minLength": 1, "maxLength": 255},
}
_MONEY = openapi.ref("Money")
_SCHEMAS = {
    "CartShippingMethod": openapi.closed_object(
        ["id", "code", "name", "price", "min_days", "max_days", "carrier"],
        {
            "id": {"type": "integer"},
            "code": {"type": "string"},
            "name": {"type": "string"},
            "price": _MONEY,
            "min_days": {"type": ["integer", "null"]},
            "max_days": {"type": ["integer", "null"]},
            "carrier": {"type": ["string", "null"]},
        },
    ),
    "CartShippingMethods": openapi.closed_object(
        ["data", "requires_shipping", "has_address"],
        {
            "data": {"type": "array", "items": openapi.ref("CartShippingMethod")},
            "requires_shipping": {"type": "boolean"},
            "has_address": {"type": "boolean"},
        },
    ),
    "ChosenShippingMethod": openapi.closed_object(
        ["data"],
        {
            "data": openapi.closed_object(
                ["shipping_method_id"], {"shipping_method_id": {"type": ["integer", "null"]}}
            )
        },
    ),
    "CheckoutHold": openapi.closed_object(
        ["data"],
        {
            "data": openapi.closed_object(
                ["expires_at", "lines"],
                {
                    "expires_at": {"type": "string", "format": "date-time"},
                    "lines": {
                        "type": "array",
                        "items": openapi.closed_object(
                            ["variant_id", "quantity"],
                            {"variant_id": {"type": "integer"}, "quantity": {"type": "integer"}},
                        ),
                    },
                },
            )
        },
    ),
    "PlacedOrder": openapi.closed_object(
        ["data"],
        {
            "data": openapi.closed_object(
                ["order", "gift_cards", "payment"],
                {
                    "order": openapi.ref("AccountOrder"),
                    "gift_cards": _MONEY,
                    "payment": openapi.closed_object(
                        [
                            "method",
                            "status",
                            "amount_due",
                            "client_secret",
                            "payment_intent_id",
                            "instructions",
                        ],
                        {
                            "method": {
                                "type": ["string", "null"],
                                "enum": [*PAYMENT_METHODS, None],
                            },
                            "status": {"type": "string"},
                            "amount_due": _MONEY,
                            "client_secret": {
                                "type": ["string", "null"],
                                "description": "Stripe: confirm the payment with it in the "
                                "browser (Stripe.js); never stored by us",
                            },
                            "payment_intent_id": {"type": ["string", "null"]},
                            "instructions": {"type": ["string", "null"]},
                        },
                    ),
                },
            )
        },
    ),
}
_METHOD_BODY = {
    "required": True,
    "content": {
        "application/json": {
            "schema": openapi.closed_object(
                ["shipping_method_id"], {"shipping_method_id": {"type": ["integer", "null"]}}
            )
        }
    },
}
_ORDER_BODY = {
    "required": True,
    "content": {
        "application/json": {
            "schema": {
                "type": "object",
                "required": ["payment_method"],
                "properties": {"payment_method": {"type": "string", "enum": list(PAYMENT_METHODS)}},
            }
        }
    },
}


def _operations(prefix: str, params: list[dict[str, Any]], extra: dict[str, Any], tag: str):
    ok = openapi.json_response
    return {
        f"{prefix}/shipping-methods": {
            "get": {
                "operationId": f"list{tag}ShippingMethods",
                "summary": "Shipping methods serving the cart's address, priced for the cart",
                "parameters": params,
                "responses": {
                    "200": ok(openapi.ref("CartShippingMethods"), "The methods, cheapest first"),
                    **_ERRORS,
                    **extra,
                },
            }
        },
        f"{prefix}/shipping-method": {
            "put": {
                "operationId": f"set{tag}ShippingMethod",
                "summary": "Choose the cart's shipping method",
                "parameters": params,
                "requestBody": _METHOD_BODY,
                "responses": {
                    "200": ok(openapi.ref("ChosenShippingMethod"), "Chosen"),
                    **_ERRORS,
                    **extra,
                },
            }
        },
        f"{prefix}/checkout": {
            "post": {
                "operationId": f"start{tag}Checkout",
                "summary": "Hold the cart's stock while the shopper pays (renewable)",
                "parameters": params,
                "responses": {
                    "200": ok(openapi.ref("CheckoutHold"), "Held until expires_at"),
                    **_ERRORS,
                    **extra,
                    **_CONFLICT,
                },
            }
        },
        f"{prefix}/orders": {
            "post": {
                "operationId": f"place{tag}Order",
                "summary": "Place the order (once per Idempotency-Key)",
                "parameters": [*params, _KEY],
                "requestBody": _ORDER_BODY,
                "responses": {
                    "201": ok(openapi.ref("PlacedOrder"), "Placed"),
                    "200": ok(openapi.ref("PlacedOrder"), "Placed before with this key"),
                    **_ERRORS,
                    **extra,
                    **_CONFLICT,
                },
            }
        },
    }


openapi.register(
    {
        **_operations("/carts/{token}", [_TOKEN], {}, "Guest"),
        **_operations("/cart", [], _CUSTOMER, "My"),
    },
    _SCHEMAS,
)
