"""/api/v1/carts... (guest carts, by their secret token) and /api/v1/cart... (the signed-in
customer's own cart): lines, voucher, gift cards, email and addresses.

The views read the JSON body, find the cart (an unknown token, or a cart merged or checked out, is
404), call commerce.carts' services and answer the cart as `read_cart` sees it: every line checked
and priced again, with notices of what changed. Errors use the API's one envelope: 400 for a body
that is not a JSON object or a field of the wrong type, 409 when stock is short (naming the SKU and
what is available), 422 for a variant not on sale and for voucher and gift card refusals (with a
reason). Answers are `Cache-Control: private, no-store`.
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Any

from flask import Response, current_app, jsonify, request

from commerce.audit import Actor
from commerce.carts import service as carts
from commerce.carts.cache import cart_answer
from commerce.carts.reading import CartView, read_cart
from commerce.errors import InvalidInput, Unauthenticated
from storefront_api import api, openapi
from storefront_api.cart_schemas import CART_PATHS, CART_SCHEMAS
from storefront_api.text_input import json_body

openapi.register(CART_PATHS, CART_SCHEMAS)


# --- request helpers -----------------------------------------------------------------------------


def _auth() -> ModuleType | None:
    """storefront_api.auth (bearer tokens), or None while the accounts work is not installed."""
    try:
        return importlib.import_module("storefront_api.auth")
    except ImportError:
        return None


def _actor() -> Actor:
    auth = _auth()
    if auth is not None:
        return auth.actor()
    return Actor(kind="customer", id=None, label="storefront", ip=request.remote_addr)


def _customer_id() -> int:
    """The signed-in customer's id. Raises Unauthenticated (401)."""
    auth = _auth()
    if auth is None:
        raise Unauthenticated("Sign in to continue.")
    return auth.current_customer().id


def _integer(body: dict[str, Any], field: str, default: Any = None) -> Any:
    value = body.get(field, default)
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidInput(f"{field}: must be a whole number", fields={field: "must be a number"})
    return value


def _text(body: dict[str, Any], field: str) -> str:
    value = body.get(field)
    if not isinstance(value, str) or not value.strip():
        raise InvalidInput(f"{field}: is required", fields={field: "must be a non-empty string"})
    return value


# --- answers -------------------------------------------------------------------------------------


def _money(amount: int, currency: str) -> dict[str, Any]:
    return {"amount": amount, "currency": currency}


def cart_data(view: CartView) -> dict[str, Any]:
    """A cart as the API shows it (schema `Cart`)."""
    cart, quote = view.cart, view.quote
    currency = quote.currency

    def money(amount: int) -> dict[str, Any]:
        return _money(amount, currency)

    lines = []
    for line in view.lines:
        priced = line.priced
        lines.append(
            {
                "id": line.line_id,
                "variant_id": priced.variant_id,
                "sku": priced.sku,
                "title": priced.title,
                "quantity": priced.quantity,
                "available": line.available,
                "is_digital": priced.is_digital,
                "base_unit_price": money(priced.base_unit_price),
                "unit_price": money(priced.unit_price),
                "subtotal": money(priced.subtotal),
                "discount": money(priced.discount),
                "promotions": [
                    {"id": p.promotion_id, "name": p.name, "discount": money(p.amount)}
                    for p in priced.promotions
                ],
                "tax": money(priced.tax),
                "total": money(priced.total),
            }
        )
    voucher = None
    if quote.voucher is not None:
        voucher = {
            "code": quote.voucher.code,
            "kind": quote.voucher.kind,
            "applied": True,
            "discount": money(quote.voucher.amount),
            "shipping_discount": money(quote.voucher.shipping_discount),
            "problem": None,
        }
    elif cart.voucher is not None:
        rejection = quote.voucher_rejection
        voucher = {
            "code": cart.voucher.code,
            "kind": cart.voucher.kind,
            "applied": False,
            "discount": money(0),
            "shipping_discount": money(0),
            "problem": {"reason": rejection.reason, "message": rejection.message}
            if rejection
            else None,
        }
    gift_cards = [
        {
            "id": item.gift_card_id,
            "last4": item.last4,
            "applied": money(item.amount),
            "balance": money(item.balance_before),
            "problem": None,
        }
        for item in quote.gift_cards
    ]
    balances = {held.gift_card_id: held.gift_card.balance_amount for held in cart.gift_cards}
    gift_cards += [
        {
            "id": problem.gift_card_id,
            "last4": problem.last4,
            "applied": money(0),
            "balance": money(balances.get(problem.gift_card_id, 0)),
            "problem": problem.reason,
        }
        for problem in quote.gift_card_problems
    ]
    return {
        "id": cart.id,
        "status": cart.status,
        "currency": currency,
        "email": cart.email,
        "shipping_address": cart.shipping_address,
        "billing_address": cart.billing_address,
        "shipping_method_id": cart.shipping_method_id,
        "lines": lines,
        "promotions": [
            {"id": p.promotion_id, "name": p.name, "discount": money(p.amount)}
            for p in quote.promotions
        ],
        "voucher": voucher,
        "gift_cards": gift_cards,
        "prices_include_tax": quote.prices_include_tax,
        "tax_status": quote.tax_status,
        "totals": {
            "subtotal": money(quote.subtotal),
            "discount": money(quote.discount),
            "shipping": money(quote.shipping),
            "shipping_discount": money(quote.shipping_discount),
            "tax": money(quote.tax),
            "total": money(quote.total),
            "gift_cards": money(quote.gift_card_total),
            "amount_due": money(quote.amount_due),
        },
        "notices": [
            {
                "code": notice.code,
                "message": notice.message,
                "line_id": notice.line_id,
                "sku": notice.sku,
                "details": dict(notice.details),
            }
            for notice in view.notices
        ],
    }


def _answer(cart_id: int, status: int = 200, **extra: Any) -> tuple[Response, int]:
    """The cart as `read_cart` sees it, under "data" with `extra` beside it. Without `extra` the
    answer comes from commerce.carts.cache while nothing it depends on has changed."""
    if extra:
        return jsonify({"data": cart_data(read_cart(cart_id)), **extra}), status

    def build() -> bytes:
        return (current_app.json.dumps({"data": cart_data(read_cart(cart_id))}) + "\n").encode()

    return Response(cart_answer(cart_id, build), mimetype="application/json"), status


@api.after_request
def _private(response: Response) -> Response:
    path = request.path
    if path.startswith(("/api/v1/carts", "/api/v1/cart/")) or path == "/api/v1/cart":
        response.headers["Cache-Control"] = "private, no-store"
    return response


# --- operations on one cart, shared by the guest and signed-in routes -----------------------------


def _add_line(cart_id: int) -> tuple[Response, int]:
    body = json_body()
    carts.add_item(
        cart_id,
        _integer(body, "variant_id"),
        _integer(body, "quantity", 1),
        actor=_actor(),
    )
    return _answer(cart_id)


def _change_line(cart_id: int, line_id: int) -> tuple[Response, int]:
    body = json_body()
    carts.set_quantity(cart_id, line_id, _integer(body, "quantity"), actor=_actor())
    return _answer(cart_id)


def _remove_line(cart_id: int, line_id: int) -> tuple[Response, int]:
    carts.remove_item(cart_id, line_id, actor=_actor())
    return _answer(cart_id)


def _set_voucher(cart_id: int) -> tuple[Response, int]:
    carts.set_voucher(cart_id, _text(json_body(), "code"), actor=_actor())
    return _answer(cart_id)


def _remove_voucher(cart_id: int) -> tuple[Response, int]:
    carts.remove_voucher(cart_id, actor=_actor())
    return _answer(cart_id)


def _add_gift_card(cart_id: int) -> tuple[Response, int]:
    carts.add_gift_card(cart_id, _text(json_body(), "code"), actor=_actor())
    return _answer(cart_id)


def _remove_gift_card(cart_id: int, gift_card_id: int) -> tuple[Response, int]:
    carts.remove_gift_card(cart_id, gift_card_id, actor=_actor())
    return _answer(cart_id)


def _set_email(cart_id: int) -> tuple[Response, int]:
    body = json_body()
    consent = body.get("marketing_consent", False)
    carts.set_email(cart_id, _text(body, "email"), actor=_actor(), marketing_consent=consent)
    return _answer(cart_id)


def _set_addresses(cart_id: int) -> tuple[Response, int]:
    body = json_body()
    unknown = set(body) - {"shipping_address", "billing_address"}
    if unknown:
        raise InvalidInput(
            "Only shipping_address and billing_address can be set here.",
            fields=dict.fromkeys(sorted(unknown), "is not a field of this request"),
        )
    current = carts.cart_by_id(cart_id)
    carts.set_addresses(
        cart_id,
        shipping_address=body.get("shipping_address", current.shipping_address),
        billing_address=body.get("billing_address", current.billing_address),
        actor=_actor(),
    )
    return _answer(cart_id)


# --- guest carts, by token -----------------------------------------------------------------------


def _guest(token: str) -> int:
    return carts.get_cart_for_token(token).id


@api.post("/carts")
def create_cart():
    """Open a guest cart (201 with its token, shown only this once)."""
    cart, token = carts.create_guest_cart(actor=_actor())
    return _answer(cart.id, 201, token=token)


@api.get("/carts/<token>")
def get_cart(token: str):
    """The guest cart, checked and priced again. Raises NotFound (404: unknown token, or a cart
    merged or ordered)."""
    return _answer(carts.cart_id_for_token(token))


@api.post("/carts/<token>/lines")
def add_cart_line(token: str):
    """Add a variant to the guest cart. Raises InvalidInput (400), NotFound (404), OutOfStock
    (409), VariantUnavailable (422)."""
    return _add_line(_guest(token))


@api.patch("/carts/<token>/lines/<int:line_id>")
def change_cart_line(token: str, line_id: int):
    """Change a line's quantity (0 removes it). Raises InvalidInput, NotFound, OutOfStock."""
    return _change_line(_guest(token), line_id)


@api.delete("/carts/<token>/lines/<int:line_id>")
def remove_cart_line(token: str, line_id: int):
    """Remove a line. Raises NotFound."""
    return _remove_line(_guest(token), line_id)


@api.put("/carts/<token>/voucher")
def set_cart_voucher(token: str):
    """Apply a voucher. Raises InvalidInput, NotFound, VoucherRejected (422)."""
    return _set_voucher(_guest(token))


@api.delete("/carts/<token>/voucher")
def remove_cart_voucher(token: str):
    """Remove the voucher. Raises NotFound."""
    return _remove_voucher(_guest(token))


@api.post("/carts/<token>/gift-cards")
def add_cart_gift_card(token: str):
    """Add a gift card. Raises InvalidInput, NotFound, GiftCardRejected (422), Conflict."""
    return _add_gift_card(_guest(token))


@api.delete("/carts/<token>/gift-cards/<int:gift_card_id>")
def remove_cart_gift_card(token: str, gift_card_id: int):
    """Remove a gift card. Raises NotFound."""
    return _remove_gift_card(_guest(token), gift_card_id)


@api.put("/carts/<token>/email")
def set_cart_email(token: str):
    """Set the cart's email. Raises InvalidInput, NotFound."""
    return _set_email(_guest(token))


@api.put("/carts/<token>/addresses")
def set_cart_addresses(token: str):
    """Set the shipping and billing address. Raises InvalidInput, NotFound."""
    return _set_addresses(_guest(token))


# --- the signed-in customer's cart ---------------------------------------------------------------


def _mine() -> int:
    return carts.get_cart_for_customer(_customer_id(), actor=_actor()).id


@api.get("/cart")
def get_my_cart():
    """The signed-in customer's cart (created empty on first use). Raises Unauthenticated."""
    return _answer(_mine())


@api.post("/cart/lines")
def add_my_cart_line():
    """Add a variant to the customer's cart. Raises Unauthenticated, InvalidInput, OutOfStock,
    VariantUnavailable."""
    return _add_line(_mine())


@api.patch("/cart/lines/<int:line_id>")
def change_my_cart_line(line_id: int):
    """Change a line's quantity (0 removes it). Raises Unauthenticated, NotFound, OutOfStock."""
    return _change_line(_mine(), line_id)


@api.delete("/cart/lines/<int:line_id>")
def remove_my_cart_line(line_id: int):
    """Remove a line. Raises Unauthenticated, NotFound."""
    return _remove_line(_mine(), line_id)


@api.put("/cart/voucher")
def set_my_cart_voucher():
    """Apply a voucher. Raises Unauthenticated, InvalidInput, VoucherRejected (422)."""
    return _set_voucher(_mine())


@api.delete("/cart/voucher")
def remove_my_cart_voucher():
    """Remove the voucher. Raises Unauthenticated."""
    return _remove_voucher(_mine())


@api.post("/cart/gift-cards")
def add_my_cart_gift_card():
    """Add a gift card. Raises Unauthenticated, InvalidInput, GiftCardRejected (422)."""
    return _add_gift_card(_mine())


@api.delete("/cart/gift-cards/<int:gift_card_id>")
def remove_my_cart_gift_card(gift_card_id: int):
    """Remove a gift card. Raises Unauthenticated, NotFound."""
    return _remove_gift_card(_mine(), gift_card_id)


@api.put("/cart/email")
def set_my_cart_email():
    """Set the cart's email. Raises Unauthenticated, InvalidInput."""
    return _set_email(_mine())


@api.put("/cart/addresses")
def set_my_cart_addresses():
    """Set the shipping and billing address. Raises Unauthenticated, InvalidInput."""
    return _set_addresses(_mine())


@api.post("/cart/merge")
def merge_my_cart():
    """Fold a guest cart into the customer's cart. Raises Unauthenticated, InvalidInput,
    NotFound (404: no open guest cart with that token)."""
    customer_id = _customer_id()
    result = carts.merge_guest_cart(_text(json_body(), "guest_token"), customer_id, actor=_actor())
    return _answer(result.cart.id, capped=list(result.capped), dropped=list(result.dropped))
