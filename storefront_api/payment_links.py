"""GET /api/v1/pay/<token>: a payment link emailed to a buyer (an order edit's extra, a draft
order's total). Answers the amount and the client secret of the Stripe PaymentIntent that collects
it (commerce.payments.links); the Stripe webhook marks the link paid. The token is the credential:
no sign-in, never cached, rate limited like checkout."""

from __future__ import annotations

from flask import jsonify

from commerce.payments.links import open_payment_link
from storefront_api import api, openapi
from storefront_api.limits import checkout_limit, limiter


@api.get("/pay/<token>")
@limiter.limit(checkout_limit)
def open_link(token: str):
    """200 with the amount, status and client secret; 404 unknown link; 410 expired link."""
    body = open_payment_link(token)
    response = jsonify(body)
    response.headers["Cache-Control"] = "private, no-store"
    return response


openapi.register(
    {
        "/pay/{token}": {
            "get": {
                "operationId": "openPaymentLink",
                "summary": "A payment link: the amount to pay and a Stripe PaymentIntent for it",
                "parameters": [
                    {"name": "token", "in": "path", "required": True, "schema": {"type": "string"}}
                ],
                "responses": {
                    "200": openapi.json_response(
                        openapi.ref("PaymentLink"), "What the link asks to pay"
                    ),
                    "404": openapi.json_response(openapi.ref("Error"), "No such link"),
                    "410": openapi.json_response(openapi.ref("Error"), "The link has expired"),
                    "429": openapi.json_response(openapi.ref("Error"), "Too many requests"),
                },
            }
        }
    },
    {
        "PaymentLink": openapi.closed_object(
            [
                "order_number",
                "amount",
                "currency",
                "status",
                "expires_at",
                "payment_intent",
                "client_secret",
            ],
            {
                "order_number": {"type": "integer"},
                "amount": {"type": "integer", "minimum": 1},
                "currency": {"type": "string", "pattern": "^[A-Z]{3}$"},
                "status": {"type": "string", "enum": ["open", "paid", "expired"]},
                "expires_at": {"type": "string", "format": "date-time"},
                "payment_intent": openapi.nullable({"type": "string"}),
                "client_secret": openapi.nullable({"type": "string"}),
            },
        )
    },
)
