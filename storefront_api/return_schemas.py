"""The OpenAPI paths and schemas of the return routes (storefront_api/returns.py registers them).
Response schemas are closed, so a response that grows a field the document does not describe fails
the tests."""

from __future__ import annotations

from typing import Any

from commerce.returns.models import REASONS, RESOLUTIONS, RETURN_STATUSES
from storefront_api.account_schemas import (
    AUTH_NOTE,
    DATE_TIME,
    INVALID,
    NULLABLE_STRING,
    STRING,
    UNAUTHENTICATED,
)
from storefront_api.openapi import closed as _closed
from storefront_api.openapi import data as _data
from storefront_api.openapi import error_response as _error
from storefront_api.openapi import json_response as _json
from storefront_api.openapi import ref as _ref
from storefront_api.openapi import request_body as _body

NULLABLE_DATE_TIME = {"type": ["string", "null"], "format": "date-time"}

RETURN_SCHEMAS: dict[str, Any] = {
    "AccountReturnLine": _closed(
        {
            "order_line_id": {"type": "integer"},
            "sku": STRING,
            "title": STRING,
            "quantity": {"type": "integer", "minimum": 1},
            "reason": {"type": "string", "enum": list(REASONS)},
            "received_quantity": {"type": "integer", "minimum": 0},
        }
    ),
    "AccountReturn": _closed(
        {
            "id": {"type": "integer"},
            "number": {"type": "integer"},
            "reference": {"type": "string", "description": 'The number as shown: "R1001"'},
            "order_number": {"type": "integer"},
            "status": {"type": "string", "enum": list(RETURN_STATUSES)},
            "reason": {"type": "string", "enum": list(REASONS)},
            "note": NULLABLE_STRING,
            "rejection_reason": NULLABLE_STRING,
            "resolution": {
                "anyOf": [{"type": "string", "enum": list(RESOLUTIONS)}, {"type": "null"}],
                "description": "How the value was given back, once refunded",
            },
            "refund": {
                "anyOf": [_ref("Money"), {"type": "null"}],
                "description": "The value given back (to the payment or as store credit)",
            },
            "created_at": DATE_TIME,
            "approved_at": NULLABLE_DATE_TIME,
            "rejected_at": NULLABLE_DATE_TIME,
            "received_at": NULLABLE_DATE_TIME,
            "resolved_at": NULLABLE_DATE_TIME,
            "closed_at": NULLABLE_DATE_TIME,
            "lines": {"type": "array", "items": _ref("AccountReturnLine")},
        }
    ),
}

RETURN = _json(_data(_ref("AccountReturn")), "The return")
NUMBER = {"name": "number", "in": "path", "required": True, "schema": {"type": "integer"}}
RETURN_ID = {"name": "return_id", "in": "path", "required": True, "schema": {"type": "integer"}}


def _op(operation_id: str, summary: str, responses: dict[str, Any], **extra: Any) -> dict:
    description = extra.pop("description", "")
    return {
        "operationId": operation_id,
        "summary": summary,
        "description": " ".join(part for part in (description, AUTH_NOTE) if part),
        **extra,
        "responses": {**responses, "401": UNAUTHENTICATED},
    }


RETURN_PATHS: dict[str, Any] = {
    "/account/orders/{number}/returns": {
        "post": _op(
            "openAccountReturn",
            "Ask to return units of one of the customer's orders",
            {
                "201": RETURN,
                "400": INVALID,
                "404": _error("No such order of this customer (code `not_found`)."),
            },
            description=(
                "Shipped units can be returned, less those in the order's other returns; "
                "digital items cannot. Name each line by `order_line_id` (the `id` of the "
                "order's line) or by `sku`. A refused line is named in "
                "`error.details.fields` as `lines.<order line id>`. Staff approve or reject the "
                "request; the customer is emailed either way."
            ),
            parameters=[NUMBER],
            requestBody=_body(
                {
                    "type": "object",
                    "required": ["lines", "reason"],
                    "properties": {
                        "reason": {"type": "string", "enum": list(REASONS)},
                        "note": {"type": "string", "maxLength": 2000},
                        "lines": {
                            "type": "array",
                            "minItems": 1,
                            "items": {
                                "type": "object",
                                "required": ["quantity"],
                                "properties": {
                                    "order_line_id": {"type": "integer"},
                                    "sku": STRING,
                                    "quantity": {"type": "integer", "minimum": 1},
                                    "reason": {"type": "string", "enum": list(REASONS)},
                                },
                            },
                        },
                    },
                }
            ),
        )
    },
    "/account/returns": {
        "get": _op(
            "listAccountReturns",
            "The customer's returns, newest first (the newest 100)",
            {
                "200": _json(
                    _closed({"data": {"type": "array", "items": _ref("AccountReturn")}}),
                    "The returns",
                )
            },
        )
    },
    "/account/returns/{return_id}": {
        "get": _op(
            "getAccountReturn",
            "One of the customer's returns",
            {
                "200": RETURN,
                "404": _error("No such return of this customer (code `not_found`)."),
            },
            parameters=[RETURN_ID],
        )
    },
}
