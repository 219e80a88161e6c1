"""The OpenAPI paths and schemas of the account routes (storefront_api/accounts.py registers
them). Response schemas are closed, so a response that grows a field the document does not
describe fails the tests."""

from __future__ import annotations

from typing import Any

from storefront_api.openapi import closed as _closed
from storefront_api.openapi import data as _data
from storefront_api.openapi import error_response as _error
from storefront_api.openapi import json_response as _json
from storefront_api.openapi import ref as _ref
from storefront_api.openapi import request_body as _body

AUTH_NOTE = "Send the access token from sign-in or registration as `Authorization: Bearer <token>`."
STRING = {"type": "string"}
NULLABLE_STRING = {"type": ["string", "null"]}
DATE_TIME = {"type": "string", "format": "date-time"}


INVALID = _error(
    "A field is not valid; `error.details.fields` maps each offending field to what is wrong "
    "(code `invalid_input`)."
)
UNAUTHENTICATED = {
    **_error(
        "No bearer token, or it is unknown, expired or revoked (code `unauthenticated`); "
        "sign in again."
    ),
    "headers": {"WWW-Authenticate": {"schema": STRING, "description": 'Bearer realm="storefront"'}},
}
NOT_FOUND = _error("No such resource of this customer (code `not_found`).")
NO_CONTENT = {"description": "Done; no body."}
RATE_LIMITED = _error(
    "Too many sign-in, registration, verification or reset calls from this address "
    "(API_AUTH_RATE_LIMIT, 20 a minute by default); see Retry-After."
)
ACCEPTED = _json(_ref("AccountMessage"), "Accepted")

PROFILE_INPUT = {
    "first_name": {"type": "string", "maxLength": 100},
    "last_name": {"type": "string", "maxLength": 100},
    "phone": {"type": ["string", "null"], "maxLength": 32},
    "country": {"type": "string", "pattern": "^[A-Za-z]{2}$", "description": "ISO 3166-1 alpha-2"},
    "accepts_marketing": {"type": "boolean"},
}
ADDRESS_FIELDS: dict[str, Any] = {
    "name": {"type": "string", "maxLength": 200, "description": "Recipient's full name"},
    "company": {"type": ["string", "null"], "maxLength": 200},
    "line1": {"type": "string", "maxLength": 200},
    "line2": {"type": ["string", "null"], "maxLength": 200},
    "city": {"type": "string", "maxLength": 100},
    "region": {
        "type": ["string", "null"],
        "maxLength": 3,
        "description": "ISO 3166-2 subdivision code without the country (CA for California); "
        "required for US, CA and AU",
    },
    "postcode": {
        "type": ["string", "null"],
        "maxLength": 16,
        "description": "Required except in countries without postcodes",
    },
    "country": {"type": "string", "pattern": "^[A-Za-z]{2}$", "description": "ISO 3166-1 alpha-2"},
    "phone": {"type": ["string", "null"], "maxLength": 32},
    "is_default_shipping": {"type": "boolean"},
    "is_default_billing": {"type": "boolean"},
}

PROFILE_PROPERTIES: dict[str, Any] = {
    "id": {"type": "integer"},
    "email": STRING,
    "email_verified": {"type": "boolean"},
    "first_name": STRING,
    "last_name": STRING,
    "phone": NULLABLE_STRING,
    "country": {"type": "string", "pattern": "^[A-Z]{2}$"},
    "accepts_marketing": {"type": "boolean"},
    "created_at": DATE_TIME,
}

ACCOUNT_SCHEMAS: dict[str, Any] = {
    "CustomerProfile": _closed(PROFILE_PROPERTIES),
    "CustomerSession": _closed(
        {
            "access_token": {"type": "string", "description": "Shown once; keep it secret"},
            "token_type": {"type": "string", "enum": ["Bearer"]},
            "expires_at": DATE_TIME,
            "customer": _ref("CustomerProfile"),
        }
    ),
    "AccountMessage": _data(_closed({"message": STRING})),
    "CustomerAddress": _closed(
        {
            "id": {"type": "integer"},
            **{
                name: {k: v for k, v in schema.items() if k != "pattern"}
                for name, schema in ADDRESS_FIELDS.items()
            },
            "created_at": DATE_TIME,
            "updated_at": DATE_TIME,
        }
    ),
    "AccountOrderSummary": _closed(
        {
            "number": {"type": "integer"},
            "status": STRING,
            "payment_status": STRING,
            "fulfilment_status": STRING,
            "placed_at": DATE_TIME,
            "item_count": {"type": "integer", "minimum": 0},
            "total": _ref("Money"),
        }
    ),
    "AccountOrderLine": _closed(
        {
            "id": {"type": "integer", "description": "The line's id (to name it in a return)"},
            "sku": STRING,
            "title": STRING,
            "quantity": {"type": "integer", "minimum": 1},
            "unit_price": _ref("Money"),
            "discount": _ref("Money"),
            "tax": _ref("Money"),
            "total": _ref("Money"),
        }
    ),
    "AccountOrder": _closed(
        {
            "number": {"type": "integer"},
            "status": STRING,
            "payment_status": STRING,
            "fulfilment_status": STRING,
            "channel": STRING,
            "email": STRING,
            "placed_at": DATE_TIME,
            "shipping_country": NULLABLE_STRING,
            "shipping_address": {"type": ["object", "null"], "description": "As placed"},
            "billing_address": {"type": ["object", "null"], "description": "As placed"},
            "subtotal": _ref("Money"),
            "discount": _ref("Money"),
            "shipping": _ref("Money"),
            "tax": _ref("Money"),
            "total": _ref("Money"),
            "lines": {"type": "array", "items": _ref("AccountOrderLine")},
        }
    ),
    "ErasureRequest": _closed(
        {
            "id": {"type": "integer"},
            "status": {"type": "string", "enum": ["pending", "completed"]},
            "requested_at": DATE_TIME,
            "completed_at": {"type": ["string", "null"], "format": "date-time"},
        }
    ),
    "AccountExport": _closed(
        {
            "exported_at": DATE_TIME,
            "profile": _closed(
                {
                    **PROFILE_PROPERTIES,
                    "email_verified_at": {"type": ["string", "null"], "format": "date-time"},
                    "has_password": {"type": "boolean"},
                }
            ),
            "consent": _closed(
                {
                    "accepts_marketing": {"type": "boolean"},
                    "history": {
                        "type": "array",
                        "items": _closed(
                            {
                                "accepts_marketing": {"type": "boolean"},
                                "at": DATE_TIME,
                                "action": STRING,
                            }
                        ),
                    },
                }
            ),
            "addresses": {"type": "array", "items": _ref("CustomerAddress")},
            "orders": {"type": "array", "items": _ref("AccountOrder")},
            "account_events": {
                "type": "array",
                "items": _closed(
                    {"action": STRING, "occurred_at": DATE_TIME, "ip": NULLABLE_STRING}
                ),
            },
            "erasure_requests": {"type": "array", "items": _ref("ErasureRequest")},
        }
    ),
}
SESSION = _json(_data(_ref("CustomerSession")), "Signed in: an access token and the profile")
PROFILE = _json(_data(_ref("CustomerProfile")), "The customer's profile")
ADDRESS = _json(_data(_ref("CustomerAddress")), "The address")
ADDRESS_ID = {"name": "address_id", "in": "path", "required": True, "schema": {"type": "integer"}}


def _op(
    operation_id: str,
    summary: str,
    responses: dict[str, Any],
    *,
    auth: bool = True,
    description: str = "",
    **extra: Any,
) -> dict[str, Any]:
    text = " ".join(part for part in (description, AUTH_NOTE if auth else "") if part)
    if auth:
        responses = {**responses, "401": UNAUTHENTICATED}
    return {
        "operationId": operation_id,
        "summary": summary,
        **({"description": text} if text else {}),
        **extra,
        "responses": responses,
    }


ACCOUNT_PATHS: dict[str, Any] = {
    "/account/register": {
        "post": _op(
            "registerCustomer",
            "Open an account and sign in",
            {
                "201": SESSION,
                "400": INVALID,
                "409": _error("The email already has an account (code `conflict`)."),
                "429": RATE_LIMITED,
            },
            auth=False,
            description=(
                "Passwords need at least 10 characters and may not be the email or a common "
                "password. A verification email is sent; signing in does not wait for it."
            ),
            requestBody=_body(
                {
                    "type": "object",
                    "required": ["email", "password", "first_name", "country"],
                    "properties": {
                        "email": {"type": "string", "format": "email"},
                        "password": {"type": "string", "minLength": 10, "maxLength": 256},
                        **PROFILE_INPUT,
                    },
                }
            ),
        )
    },
    "/account/sign-in": {
        "post": _op(
            "signInCustomer",
            "Exchange email and password for an access token",
            {
                "200": SESSION,
                "400": INVALID,
                "401": _error(
                    "Email or password is incorrect (code `invalid_credentials`; one message "
                    "for both)."
                ),
                "429": _error(
                    "Too many failed sign-ins for this email from this address (code "
                    "`account_locked`; `details.retry_after` in seconds), or too many calls from "
                    "this address (API_AUTH_RATE_LIMIT; see Retry-After)."
                ),
            },
            auth=False,
            requestBody=_body(
                {
                    "type": "object",
                    "required": ["email", "password"],
                    "properties": {"email": STRING, "password": STRING},
                }
            ),
        )
    },
    "/account/sign-out": {
        "post": _op("signOutCustomer", "Revoke the token of this request", {"204": NO_CONTENT})
    },
    "/account/sign-out-everywhere": {
        "post": _op(
            "signOutCustomerEverywhere",
            "Revoke every access token of the customer",
            {"204": NO_CONTENT},
        )
    },
    "/account/verify-email": {
        "post": _op(
            "verifyCustomerEmail",
            "Confirm the email address with the emailed token",
            {"200": PROFILE, "400": INVALID, "429": RATE_LIMITED},
            auth=False,
            description="The link works once and expires after 48 hours.",
            requestBody=_body(
                {"type": "object", "required": ["token"], "properties": {"token": STRING}}
            ),
        )
    },
    "/account/verification-email": {
        "post": _op(
            "resendVerificationEmail",
            "Send a new verification email (at most one a minute)",
            {"202": ACCEPTED},
        )
    },
    "/account/password-reset": {
        "post": _op(
            "requestPasswordReset",
            "Email a password reset link",
            {"202": ACCEPTED, "400": INVALID, "429": RATE_LIMITED},
            auth=False,
            description=(
                "Always 202 for a well-formed email, whether or not it has an account. The link "
                "works once and expires after an hour; at most one email a minute."
            ),
            requestBody=_body(
                {"type": "object", "required": ["email"], "properties": {"email": STRING}}
            ),
        )
    },
    "/account/password-reset/confirm": {
        "post": _op(
            "confirmPasswordReset",
            "Set a new password with the emailed token",
            {"204": NO_CONTENT, "400": INVALID, "429": RATE_LIMITED},
            auth=False,
            description="Signs the customer out on every device and confirms the email.",
            requestBody=_body(
                {
                    "type": "object",
                    "required": ["token", "password"],
                    "properties": {"token": STRING, "password": STRING},
                }
            ),
        )
    },
    "/account/password": {
        "post": _op(
            "changeCustomerPassword",
            "Change the password; other sessions are signed out",
            {"204": NO_CONTENT, "400": INVALID},
            requestBody=_body(
                {
                    "type": "object",
                    "required": ["current_password", "new_password"],
                    "properties": {"current_password": STRING, "new_password": STRING},
                }
            ),
        )
    },
    "/account": {
        "get": _op("getAccount", "The signed-in customer's profile", {"200": PROFILE}),
        "patch": _op(
            "updateAccount",
            "Change names, phone, country or marketing consent",
            {"200": PROFILE, "400": INVALID},
            description="The email cannot be changed here (400 naming `email`).",
            requestBody=_body({"type": "object", "properties": PROFILE_INPUT}),
        ),
    },
    "/account/addresses": {
        "get": _op(
            "listAddresses",
            "The customer's address book, oldest first",
            {"200": _json(_data({"type": "array", "items": _ref("CustomerAddress")}), "Addresses")},
        ),
        "post": _op(
            "createAddress",
            "Add an address",
            {
                "201": {
                    **ADDRESS,
                    "headers": {"Location": {"schema": STRING, "description": "The address"}},
                },
                "400": INVALID,
                "409": _error("The address book is full (50 addresses; code `conflict`)."),
            },
            description=(
                "The first address becomes the default shipping and billing address unless the "
                "flags say otherwise; setting a default flag moves it from the other address."
            ),
            requestBody=_body(
                {
                    "type": "object",
                    "required": ["name", "line1", "city", "country"],
                    "properties": ADDRESS_FIELDS,
                }
            ),
        ),
    },
    "/account/addresses/{address_id}": {
        "parameters": [ADDRESS_ID],
        "get": _op("getAddress", "One address", {"200": ADDRESS, "404": NOT_FOUND}),
        "patch": _op(
            "updateAddress",
            "Change fields or default flags of an address",
            {"200": ADDRESS, "400": INVALID, "404": NOT_FOUND},
            requestBody=_body({"type": "object", "properties": ADDRESS_FIELDS}),
        ),
        "delete": _op("deleteAddress", "Remove an address", {"204": NO_CONTENT, "404": NOT_FOUND}),
    },
    "/account/orders": {
        "get": _op(
            "listAccountOrders",
            "The customer's orders, newest first, paged by cursor",
            {
                "200": _json(
                    _closed(
                        {
                            "data": {"type": "array", "items": _ref("AccountOrderSummary")},
                            "page": _ref("Page"),
                        }
                    ),
                    "A page of orders",
                ),
                "400": INVALID,
            },
            parameters=[
                {
                    "name": "limit",
                    "in": "query",
                    "required": False,
                    "schema": {"type": "integer", "minimum": 1, "maximum": 100, "default": 20},
                },
                {
                    "name": "cursor",
                    "in": "query",
                    "required": False,
                    "description": "`page.next_cursor` of the previous page",
                    "schema": STRING,
                },
            ],
        )
    },
    "/account/orders/{number}": {
        "get": _op(
            "getAccountOrder",
            "One of the customer's orders with its lines",
            {
                "200": _json(_data(_ref("AccountOrder")), "The order"),
                "404": _error("No such order of this customer (code `not_found`)."),
            },
            parameters=[
                {"name": "number", "in": "path", "required": True, "schema": {"type": "integer"}}
            ],
        )
    },
    "/account/export": {
        "get": _op(
            "exportAccountData",
            "Everything the shop holds on the customer (a JSON download)",
            {"200": _json(_data(_ref("AccountExport")), "The customer's data")},
        )
    },
    "/account/erasure-request": {
        "post": _op(
            "requestAccountErasure",
            "Ask to be erased (confirmed with the password)",
            {"202": _json(_data(_ref("ErasureRequest")), "The request"), "400": INVALID},
            description=(
                "Staff complete the request: the person is anonymised, orders are kept for the "
                "law. Asking again while a request is pending returns that request."
            ),
            requestBody=_body(
                {"type": "object", "required": ["password"], "properties": {"password": STRING}}
            ),
        )
    },
}
