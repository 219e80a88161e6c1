"""The OpenAPI paths and schemas of the cart routes (storefront_api/carts.py registers them).
Response schemas are closed, so a response that grows a field the document does not describe fails
the tests."""

from __future__ import annotations

from typing import Any

from storefront_api.openapi import closed as _closed
from storefront_api.openapi import error_response as _error
from storefront_api.openapi import json_response as _json
from storefront_api.openapi import nullable as _nullable
from storefront_api.openapi import ref as _ref
from storefront_api.openapi import request_body as _body

STRING = {"type": "string"}
NULLABLE_STRING = {"type": ["string", "null"]}
INTEGER = {"type": "integer"}
NULLABLE_INTEGER = {"type": ["integer", "null"]}


MONEY = _ref("Money")
CART_OK = _json(_ref("CartDetail"), "The cart, every line checked and priced again")
INVALID = _error(
    "Malformed JSON or a field of the wrong type or value; `error.details.fields` maps each "
    "offending field to what is wrong (code `invalid_input`)."
)
NOT_FOUND = _error(
    "No such cart (unknown token, or the cart was merged or checked out), or no such line or "
    "gift card in it (code `not_found`)."
)
UNAUTHENTICATED = _error(
    "No bearer token, or it is unknown, expired or revoked (code `unauthenticated`)."
)
OUT_OF_STOCK = _error(
    "More than is available (code `out_of_stock`): the message names the line's SKU, and "
    "`error.details.lines` holds `sku`, `variant_id`, `line_id`, `requested` and `available`."
)
VARIANT_UNAVAILABLE = _error(
    "The variant does not exist, is not on sale or is priced in another currency than the cart "
    "(code `variant_unavailable`, `error.details.fields.variant_id`)."
)
VOUCHER_REJECTED = _error(
    "The voucher cannot be used (code `voucher_rejected`); `error.details.reason` is one of "
    "unknown, expired, not_yet_valid, used_up, customer_limit_reached, minimum_not_met, "
    "not_applicable."
)
GIFT_CARD_REJECTED = _error(
    "The gift card cannot be used (code `gift_card_rejected`); `error.details.reason` is one of "
    "unknown, disabled, expired, wrong_currency, empty."
)
CONFLICT = _error("The cart holds as many lines or gift cards as it may (code `conflict`).")

ADDRESS_INPUT: dict[str, Any] = {
    "type": "object",
    "description": "ISO 3166-1 alpha-2 `country`; `region` is the ISO 3166-2 subdivision code "
    "without the country (required for US, CA, AU); postcode formats are checked for some "
    "countries.",
    "required": ["name", "line1", "city", "country"],
    "properties": {
        "name": {"type": "string", "maxLength": 200},
        "company": {"type": ["string", "null"], "maxLength": 200},
        "line1": {"type": "string", "maxLength": 200},
        "line2": {"type": ["string", "null"], "maxLength": 200},
        "city": {"type": "string", "maxLength": 100},
        "region": {"type": ["string", "null"], "maxLength": 3},
        "postcode": {"type": ["string", "null"], "maxLength": 16},
        "country": {"type": "string", "pattern": "^[A-Za-z]{2}$"},
        "phone": {"type": ["string", "null"], "maxLength": 32},
    },
    "additionalProperties": False,
}

CART_SCHEMAS: dict[str, Any] = {
    "CartAddress": _closed(
        {
            "name": STRING,
            "company": NULLABLE_STRING,
            "line1": STRING,
            "line2": NULLABLE_STRING,
            "city": STRING,
            "region": NULLABLE_STRING,
            "postcode": NULLABLE_STRING,
            "country": {"type": "string", "pattern": "^[A-Z]{2}$"},
            "phone": NULLABLE_STRING,
        }
    ),
    "CartPromotion": _closed({"id": INTEGER, "name": STRING, "discount": MONEY}),
    "CartLine": _closed(
        {
            "id": INTEGER,
            "variant_id": INTEGER,
            "sku": STRING,
            "title": STRING,
            "quantity": {"type": "integer", "minimum": 1},
            "available": {
                "type": ["integer", "null"],
                "description": "Units available to sell now; null when there is no limit "
                "(digital goods, backorders allowed)",
            },
            "is_digital": {"type": "boolean"},
            "base_unit_price": {**MONEY, "description": "The variant's own price"},
            "unit_price": {
                **MONEY,
                "description": "The price this shopper pays per unit before discounts (their "
                "customer group's price list first)",
            },
            "subtotal": MONEY,
            "discount": {**MONEY, "description": "Promotions plus this line's voucher share"},
            "promotions": {"type": "array", "items": _ref("CartPromotion")},
            "tax": MONEY,
            "total": MONEY,
        }
    ),
    "CartVoucher": _closed(
        {
            "code": STRING,
            "kind": {"type": "string", "enum": ["percentage", "fixed", "free_shipping"]},
            "applied": {"type": "boolean"},
            "discount": MONEY,
            "shipping_discount": MONEY,
            "problem": _nullable(
                _closed({"reason": STRING, "message": STRING}),
            ),
        }
    ),
    "CartGiftCard": _closed(
        {
            "id": INTEGER,
            "last4": STRING,
            "applied": {**MONEY, "description": "What the card pays of this cart"},
            "balance": {**MONEY, "description": "The card's balance now"},
            "problem": {
                "type": ["string", "null"],
                "enum": [None, "disabled", "expired", "wrong_currency", "empty"],
            },
        }
    ),
    "CartTotals": _closed(
        {
            "subtotal": MONEY,
            "discount": MONEY,
            "shipping": MONEY,
            "shipping_discount": MONEY,
            "tax": MONEY,
            "total": MONEY,
            "gift_cards": MONEY,
            "amount_due": MONEY,
        }
    ),
    "CartNotice": _closed(
        {
            "code": {
                "type": "string",
                "enum": [
                    "line_removed",
                    "price_changed",
                    "insufficient_stock",
                    "voucher_not_applied",
                    "gift_card_not_applied",
                ],
            },
            "message": STRING,
            "line_id": NULLABLE_INTEGER,
            "sku": NULLABLE_STRING,
            "details": {"type": "object"},
        }
    ),
    "Cart": _closed(
        {
            "id": INTEGER,
            "status": {"type": "string", "enum": ["open"]},
            "currency": {"type": "string", "pattern": "^[A-Z]{3}$"},
            "email": NULLABLE_STRING,
            "shipping_address": _nullable(_ref("CartAddress")),
            "billing_address": _nullable(_ref("CartAddress")),
            "shipping_method_id": NULLABLE_INTEGER,
            "lines": {"type": "array", "items": _ref("CartLine")},
            "promotions": {"type": "array", "items": _ref("CartPromotion")},
            "voucher": _nullable(_ref("CartVoucher")),
            "gift_cards": {"type": "array", "items": _ref("CartGiftCard")},
            "prices_include_tax": {"type": "boolean"},
            "tax_status": {
                "type": "string",
                "enum": ["calculated", "exempt", "no_tax_zone", "no_address"],
                "description": "no_address: tax follows once an address is given",
            },
            "totals": _ref("CartTotals"),
            "notices": {
                "type": "array",
                "items": _ref("CartNotice"),
                "description": "What changed since the shopper last saw the cart",
            },
        }
    ),
    "CartDetail": _closed({"data": _ref("Cart")}),
    "CartCreated": _closed(
        {
            "data": _ref("Cart"),
            "token": {
                "type": "string",
                "description": "The cart's secret token: keep it, it is shown only this once",
            },
        }
    ),
    "CartMerged": _closed(
        {
            "data": _ref("Cart"),
            "capped": {
                "type": "array",
                "description": "Lines whose summed quantity was cut to what is available",
                "items": _closed(
                    {
                        "sku": STRING,
                        "variant_id": INTEGER,
                        "requested": INTEGER,
                        "available": NULLABLE_INTEGER,
                        "quantity": INTEGER,
                    }
                ),
            },
            "dropped": {
                "type": "array",
                "description": "Guest lines left out: no longer on sale",
                "items": _closed({"sku": STRING, "variant_id": INTEGER}),
            },
        }
    ),
}

TOKEN = {
    "name": "token",
    "in": "path",
    "required": True,
    "description": "The token POST /carts returned",
    "schema": STRING,
}
LINE_ID = {"name": "line_id", "in": "path", "required": True, "schema": INTEGER}
GIFT_CARD_ID = {"name": "gift_card_id", "in": "path", "required": True, "schema": INTEGER}
AUTH_NOTE = " Send the access token as `Authorization: Bearer <token>`."

LINE_INPUT = _closed(
    {
        "variant_id": {"type": "integer", "minimum": 1},
        "quantity": {"type": "integer", "minimum": 1, "maximum": 999, "default": 1},
    },
    required=["variant_id"],
)
QUANTITY_INPUT = _closed(
    {
        "quantity": {
            "type": "integer",
            "minimum": 0,
            "maximum": 999,
            "description": "0 removes the line",
        }
    }
)
CODE_INPUT = _closed({"code": {"type": "string", "maxLength": 64}})
EMAIL_INPUT = _closed(
    {
        "email": {"type": "string", "format": "email", "maxLength": 254},
        "marketing_consent": {
            "type": "boolean",
            "description": "the shopper agrees to marketing email (one abandoned-cart reminder); "
            "false when left out, so each email states it again",
        },
    },
    required=["email"],
)
ADDRESSES_INPUT = _closed(
    {
        "shipping_address": _nullable(ADDRESS_INPUT),
        "billing_address": _nullable(ADDRESS_INPUT),
    },
    required=[],
)


def _operations(prefix: str, signed_in: bool) -> dict[str, Any]:
    """The operations on one cart, under /carts/{token} (guest) or /cart (signed in)."""
    who = "the signed-in customer's cart" if signed_in else "a guest cart"
    params = [] if signed_in else [TOKEN]
    base = {"401": UNAUTHENTICATED} if signed_in else {"404": NOT_FOUND}
    if signed_in:
        base["404"] = NOT_FOUND
    op = "Mine" if signed_in else ""

    def operation(name: str, summary: str, responses: dict[str, Any], **extra: Any) -> dict:
        spec = {
            "operationId": f"{name}{op}",
            "summary": f"{summary} ({who})",
            "parameters": params + extra.pop("parameters", []),
            "responses": {"200": CART_OK, **responses, **base},
            **extra,
        }
        if signed_in:
            spec["description"] = AUTH_NOTE.strip()
        return spec

    return {
        prefix: {
            "get": operation(
                "getCart",
                "Read the cart: every line is checked and priced again; `notices` say what "
                "changed (prices, lines no longer for sale, stock, voucher)",
                {},
            )
        },
        f"{prefix}/lines": {
            "post": operation(
                "addCartLine",
                "Add a variant (added to its line when the cart holds it already)",
                {"400": INVALID, "409": OUT_OF_STOCK, "422": VARIANT_UNAVAILABLE},
                requestBody=_body(LINE_INPUT),
            )
        },
        f"{prefix}/lines/{{line_id}}": {
            "patch": operation(
                "changeCartLine",
                "Change a line's quantity (0 removes it)",
                {"400": INVALID, "409": OUT_OF_STOCK},
                parameters=[LINE_ID],
                requestBody=_body(QUANTITY_INPUT),
            ),
            "delete": operation("removeCartLine", "Remove a line", {}, parameters=[LINE_ID]),
        },
        f"{prefix}/voucher": {
            "put": operation(
                "setCartVoucher",
                "Apply a voucher code (one per cart: it replaces any other)",
                {"400": INVALID, "422": VOUCHER_REJECTED},
                requestBody=_body(CODE_INPUT),
            ),
            "delete": operation("removeCartVoucher", "Remove the voucher", {}),
        },
        f"{prefix}/gift-cards": {
            "post": operation(
                "addCartGiftCard",
                "Add a gift card to pay with; it pays after tax, up to its balance",
                {"400": INVALID, "409": CONFLICT, "422": GIFT_CARD_REJECTED},
                requestBody=_body(CODE_INPUT),
            )
        },
        f"{prefix}/gift-cards/{{gift_card_id}}": {
            "delete": operation(
                "removeCartGiftCard", "Remove a gift card", {}, parameters=[GIFT_CARD_ID]
            )
        },
        f"{prefix}/email": {
            "put": operation(
                "setCartEmail",
                "Set the email the order confirmation goes to",
                {"400": INVALID},
                requestBody=_body(EMAIL_INPUT),
            )
        },
        f"{prefix}/addresses": {
            "put": operation(
                "setCartAddresses",
                "Set the shipping and billing address (a key left out keeps that address, "
                "null clears it); tax follows the address",
                {"400": INVALID},
                requestBody=_body(ADDRESSES_INPUT),
            )
        },
    }


CART_PATHS: dict[str, Any] = {
    "/carts": {
        "post": {
            "operationId": "createGuestCart",
            "summary": "Open a guest cart; the answer carries its secret token, shown only once",
            "responses": {"201": _json(_ref("CartCreated"), "The new, empty cart and its token")},
        }
    },
    **_operations("/carts/{token}", signed_in=False),
    **_operations("/cart", signed_in=True),
    "/cart/merge": {
        "post": {
            "operationId": "mergeGuestCart",
            "summary": "Fold a guest cart into the signed-in customer's cart (quantities add up, "
            "capped by what is available; the guest cart closes)",
            "description": AUTH_NOTE.strip(),
            "requestBody": _body(
                _closed({"guest_token": {"type": "string"}}, required=["guest_token"])
            ),
            "responses": {
                "200": _json(_ref("CartMerged"), "The customer's cart after the merge"),
                "400": INVALID,
                "401": UNAUTHENTICATED,
                "404": _error("No open guest cart with that token (code `not_found`)."),
            },
        }
    },
}
