"""POST /api/v1/tracking/{carrier}: a carrier's tracking update for one parcel.

The carrier (or the integration relaying its webhooks) sends

    {"tracking_number": "CP123456785DE", "status": "delivered",
     "occurred_at": "2026-11-24T09:30:00Z"}

with the shared secret in the X-Tracking-Secret header (TRACKING_WEBHOOK_SECRET; while it is unset
every update is refused with 401). "picked_up", "in_transit" and "out_for_delivery" mark the
shipment shipped, "delivered" marks it delivered (and the order, once every parcel is); other
statuses are acknowledged and ignored. Updates are idempotent: a repeated one answers "unchanged".
Not rate limited (carriers send bursts from many addresses) and not CSRF-protected (no cookies).
"""

from __future__ import annotations

import datetime as dt
import hmac
import re

from flask import current_app, jsonify, request

from commerce.audit import Actor
from commerce.errors import InvalidInput, Unauthenticated
from commerce.fulfilment import service as fulfilment
from commerce.fulfilment.models import SHIPMENT_STATUSES
from storefront_api import api, openapi
from storefront_api.limits import limiter
from storefront_api.text_input import json_body

SECRET_HEADER = "X-Tracking-Secret"  # noqa: S105  (a header name, not a secret)
SHIPPED = ("picked_up", "in_transit", "out_for_delivery")
DELIVERED = "delivered"
_CARRIER = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")


def _authenticate() -> None:
    secret = str(current_app.config.get("TRACKING_WEBHOOK_SECRET") or "")
    given = request.headers.get(SECRET_HEADER, "")
    if not secret or not hmac.compare_digest(given.encode(), secret.encode()):
        raise Unauthenticated(f"A valid {SECRET_HEADER} header is required.")


def _occurred_at(value: object) -> dt.datetime | None:
    if value is None:
        return None
    problem = "must be an ISO 8601 date and time with a time zone"
    if not isinstance(value, str):
        raise InvalidInput(f"occurred_at: {problem}", fields={"occurred_at": problem})
    try:
        at = dt.datetime.fromisoformat(value)
    except ValueError:
        raise InvalidInput(f"occurred_at: {problem}", fields={"occurred_at": problem}) from None
    if at.tzinfo is None:
        raise InvalidInput(f"occurred_at: {problem}", fields={"occurred_at": problem})
    return at


@api.post("/tracking/<carrier>")
@limiter.exempt
def tracking_update(carrier: str):
    """Apply one tracking update. 200 {"received", "outcome", "status"}; 401 without the secret;
    404 for an unknown tracking number; 409 for a cancelled shipment."""
    _authenticate()
    code = carrier.strip().lower()
    if not _CARRIER.match(code):
        raise InvalidInput("carrier: not a carrier code", fields={"carrier": "unknown"})
    body = json_body()
    number, status = body.get("tracking_number"), body.get("status")
    if not isinstance(number, str) or not number.strip():
        raise InvalidInput("tracking_number: is required", fields={"tracking_number": "required"})
    if not isinstance(status, str) or not status.strip():
        raise InvalidInput("status: is required", fields={"status": "required"})
    status = status.strip().lower()
    at = _occurred_at(body.get("occurred_at"))
    shipment = fulfilment.find_shipment(number, code)
    before = shipment.status
    actor = Actor(kind="api_client", label=f"carrier:{code}", ip=request.remote_addr)
    if status == DELIVERED:
        shipment = fulfilment.mark_delivered(shipment.id, actor=actor, at=at)
    elif status in SHIPPED:
        shipment = fulfilment.mark_shipped(shipment.id, actor=actor, at=at)
    else:
        return jsonify({"received": True, "outcome": "ignored", "status": before})
    outcome = shipment.status if shipment.status != before else "unchanged"
    return jsonify({"received": True, "outcome": outcome, "status": shipment.status})


openapi.register(
    {
        "/tracking/{carrier}": {
            "post": {
                "operationId": "receiveTrackingUpdate",
                "summary": "A carrier's tracking update (shipped, delivered) for one parcel",
                "parameters": [
                    {
                        "name": "carrier",
                        "in": "path",
                        "required": True,
                        "schema": {"type": "string"},
                        "description": "The carrier code the shipment was sent with",
                    },
                    {
                        "name": SECRET_HEADER,
                        "in": "header",
                        "required": True,
                        "schema": {"type": "string"},
                        "description": "The shared secret (TRACKING_WEBHOOK_SECRET)",
                    },
                ],
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {
                            "schema": {
                                "type": "object",
                                "required": ["tracking_number", "status"],
                                "properties": {
                                    "tracking_number": {"type": "string"},
                                    "status": {
                                        "type": "string",
                                        "description": "picked_up, in_transit, out_for_delivery"
                                        " and delivered are applied; others are ignored",
                                    },
                                    "occurred_at": {"type": "string", "format": "date-time"},
                                },
                            }
                        }
                    },
                },
                "responses": {
                    "200": openapi.json_response(
                        openapi.closed_object(
                            ["received", "outcome", "status"],
                            {
                                "received": {"type": "boolean"},
                                "outcome": {
                                    "type": "string",
                                    "enum": ["shipped", "delivered", "unchanged", "ignored"],
                                },
                                "status": {
                                    "type": "string",
                                    "enum": list(SHIPMENT_STATUSES),
                                },
                            },
                        ),
                        "Applied, or already applied before (a repeat changes nothing)",
                    ),
                    "400": openapi.json_response(
                        openapi.ref("Error"), "The body is not a valid tracking update"
                    ),
                    "401": openapi.json_response(
                        openapi.ref("Error"), "The shared secret is missing or wrong"
                    ),
                    "404": openapi.json_response(
                        openapi.ref("Error"), "No shipment of this carrier has the number"
                    ),
                    "409": openapi.json_response(
                        openapi.ref("Error"), "The shipment was cancelled"
                    ),
                },
            }
        }
    }
)
