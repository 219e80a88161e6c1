"""GET /api/v1/shipping/methods: the shipping methods for an address, priced for display.

For product pages and the cart's "shipping from" line: the client gives the country (region and
postcode when it has them) and, optionally, a subtotal and a weight. Checkout prices the real cart
with commerce.shipping.engine.get_quote instead.
"""

from __future__ import annotations

import re
from typing import Any

from flask import jsonify, request

from commerce.catalog.models import DEFAULT_CURRENCY
from commerce.errors import InvalidInput
from commerce.shipping.engine import ShippingItem, quote_shipping
from storefront_api import api
from storefront_api.openapi import ERROR_RESPONSES, register

DIGITS = re.compile(r"[0-9]{1,12}")


def _whole(name: str, what: str, problems: dict[str, str]) -> int:
    raw = request.args.get(name, "").strip()
    if not raw:
        return 0
    if not DIGITS.fullmatch(raw):
        problems[name] = f"must be a whole number of {what} (0 or more)"
        return 0
    return int(raw)


@api.get("/shipping/methods")
def list_shipping_methods():
    """The methods shipping to the given address, cheapest first, priced for the given subtotal
    and weight. Raises InvalidInput (400) naming the parameter that cannot be read."""
    problems: dict[str, str] = {}
    subtotal = _whole("subtotal", "minor units", problems)
    weight = _whole("weight", "grams", problems)
    if not request.args.get("country", "").strip():
        problems["country"] = "is required: a two-letter ISO country code"
    if problems:
        raise InvalidInput("Some parameters are not valid.", fields=problems)
    quotes = quote_shipping(
        {
            "country": request.args["country"],
            "region": request.args.get("region"),
            "postcode": request.args.get("postcode"),
        },
        [ShippingItem(weight, 1)],
        subtotal,
        request.args.get("currency", "").strip() or DEFAULT_CURRENCY,
    )
    body = {
        "zone": quotes.zone_code,
        "methods": [
            {
                "id": q.method_id,
                "code": q.code,
                "name": q.name,
                "price": {"amount": q.amount, "currency": q.currency},
                "min_days": q.min_days,
                "max_days": q.max_days,
                "carrier": q.carrier,
            }
            for q in quotes
        ],
    }
    return jsonify(body)


def _query(name: str, schema: dict[str, Any], description: str, required: bool = False):
    return {
        "name": name,
        "in": "query",
        "required": required,
        "description": description,
        "schema": schema,
    }


SCHEMAS: dict[str, Any] = {
    "ShippingMethodQuote": {
        "type": "object",
        "required": ["id", "code", "name", "price", "min_days", "max_days", "carrier"],
        "additionalProperties": False,
        "properties": {
            "id": {"type": "integer", "description": "Pass as shipping_method at checkout"},
            "code": {"type": "string"},
            "name": {"type": "string"},
            "price": {"$ref": "#/components/schemas/Money"},
            "min_days": {"type": "integer", "minimum": 0},
            "max_days": {"type": "integer", "minimum": 0},
            "carrier": {"type": "string"},
        },
    },
    "ShippingMethodList": {
        "type": "object",
        "required": ["zone", "methods"],
        "additionalProperties": False,
        "properties": {
            "zone": {
                "type": ["string", "null"],
                "description": "The shipping zone of the address; null when the shop does not "
                "ship there",
            },
            "methods": {
                "type": "array",
                "items": {"$ref": "#/components/schemas/ShippingMethodQuote"},
            },
        },
    },
}

PATHS: dict[str, Any] = {
    "/shipping/methods": {
        "get": {
            "summary": "Shipping methods to an address, priced for a subtotal and weight",
            "description": "For display only: checkout prices the actual cart. Methods of the "
            "most specific zone containing the address, cheapest first; a method whose weight "
            "limit or rate table does not cover the weight is left out.",
            "parameters": [
                _query(
                    "country",
                    {"type": "string", "pattern": "^[A-Za-z]{2}$"},
                    "ISO 3166-1 alpha-2 country code",
                    required=True,
                ),
                _query("region", {"type": "string"}, "Region, e.g. CA or US-CA"),
                _query("postcode", {"type": "string"}, "Postcode"),
                _query(
                    "subtotal",
                    {"type": "integer", "minimum": 0},
                    "Order subtotal in minor units (decides free-over and by-price methods)",
                ),
                _query("weight", {"type": "integer", "minimum": 0}, "Parcel weight in grams"),
                _query(
                    "currency",
                    {"type": "string", "pattern": "^[A-Za-z]{3}$"},
                    f"ISO currency (default {DEFAULT_CURRENCY}); only methods in it are listed",
                ),
            ],
            "responses": {
                "200": {
                    "description": "The methods (possibly none)",
                    "content": {
                        "application/json": {
                            "schema": {"$ref": "#/components/schemas/ShippingMethodList"}
                        }
                    },
                },
                **ERROR_RESPONSES,
            },
        }
    }
}

register(PATHS, SCHEMAS)
