"""POST /api/v1/webhooks/stripe: Stripe's payment events.

The body is verified byte for byte against the Stripe-Signature header with the signing secret
(STRIPE_WEBHOOK_SECRET) before anything is read from it; a bad signature answers 400 and changes
nothing, a replayed event answers 200 and changes nothing. Not rate limited (Stripe retries on
any non-2xx, from many addresses) and not CSRF-protected (no cookies are involved).
"""

from __future__ import annotations

from flask import current_app, jsonify, request

from commerce.payments.gateway import gateway_from_config
from commerce.payments.service import apply_stripe_webhook
from storefront_api import api, openapi
from storefront_api.limits import limiter


@api.post("/webhooks/stripe")
@limiter.exempt
def stripe_webhook():
    """Apply one Stripe event. 200 {"received": true, "outcome": ...}; 400 for a bad signature."""
    outcome = apply_stripe_webhook(
        request.get_data(cache=False),
        request.headers.get("Stripe-Signature"),
        gateway=gateway_from_config(current_app.config),
        secret=current_app.config.get("STRIPE_WEBHOOK_SECRET") or "",
    )
    return jsonify({"received": True, "outcome": outcome})


openapi.register(
    {
        "/webhooks/stripe": {
            "post": {
                "operationId": "receiveStripeWebhook",
                "summary": (
                    "Stripe's webhook (payment_intent.*, charge.refunded, refund.*, "
                    "charge.dispute.* events), verified on the raw body"
                ),
                "parameters": [
                    {
                        "name": "Stripe-Signature",
                        "in": "header",
                        "required": True,
                        "schema": {"type": "string"},
                    }
                ],
                "requestBody": {
                    "required": True,
                    "content": {"application/json": {"schema": {"type": "object"}}},
                },
                "responses": {
                    "200": openapi.json_response(
                        openapi.closed_object(
                            ["received", "outcome"],
                            {
                                "received": {"type": "boolean"},
                                "outcome": {
                                    "type": "string",
                                    "enum": [
                                        "duplicate",
                                        "ignored",
                                        "paid",
                                        "failed",
                                        "unchanged",
                                        "authorized",
                                        "voided",
                                        "refunded",
                                        "refund_failed",
                                        "disputed",
                                        "dispute_updated",
                                        "dispute_closed",
                                    ],
                                },
                            },
                        ),
                        "Applied, or already applied before (a replay changes nothing)",
                    ),
                    "400": openapi.json_response(
                        openapi.ref("Error"), "The signature or body is not a valid Stripe event"
                    ),
                },
            }
        }
    }
)
