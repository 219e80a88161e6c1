"""Handlers for shipment events: make the label and packing slip of a new shipment, then tell the
customer it shipped (email, and a text message when the shipping address has a phone number).

Both may run twice: the documents use case does nothing for a shipment past pending (the carrier
returns the same label for the shipment's idempotency key anyway), and the email and text message
carry dedupe keys per shipment."""

from __future__ import annotations

import logging
from typing import Any

from flask import current_app
from sqlalchemy import select

from commerce import db
from commerce.audit import Actor
from commerce.errors import InvalidInput, NotFound
from commerce.fulfilment import documents
from commerce.fulfilment.models import Shipment
from commerce.fulfilment.service import remaining_to_ship
from commerce.notifications.mailer import send_email
from commerce.notifications.sms import mask_phone, send_sms
from commerce.shipping.carriers import get_carrier
from jobs.registry import subscribe

log = logging.getLogger(__name__)


def _shipment(event: dict[str, Any]) -> Shipment | None:
    return db.session.scalar(select(Shipment).where(Shipment.id == event["payload"]["shipment_id"]))


@subscribe("shipment.created")
def make_shipping_documents(event: dict[str, Any]) -> str:
    """Buy the shipment's label through its carrier and draw its packing slip (once)."""
    shipment = _shipment(event)
    if shipment is None:
        return "skipped: shipment no longer exists"
    before = shipment.status
    done = documents.make_shipping_documents(shipment.id, actor=Actor.system("shipment.created"))
    if before != "pending":
        return f"skipped: already {before}"
    return f"{done.status}: {done.tracking_number}"


def _carrier_name(code: str) -> str:
    try:
        return str(getattr(get_carrier(code), "name", code.upper()))
    except NotFound:
        return code.upper()


@subscribe("shipment.documents_ready", queue="mail")
def notify_customer_of_shipment(event: dict[str, Any]) -> str:
    """Email the buyer that a parcel shipped (carrier, tracking number, lines), and text them
    when the shipping address has a phone number (once per shipment each)."""
    shipment = _shipment(event)
    if shipment is None:
        return "skipped: shipment no longer exists"
    if shipment.status == "cancelled" or shipment.tracking_number is None:
        return f"skipped: shipment is {shipment.status}"
    order = shipment.order
    address = order.shipping_address or {}
    try:
        address_lines = documents.recipient_of(order).lines()
    except InvalidInput:
        address_lines = []
    carrier_name = _carrier_name(shipment.carrier)
    lines = [
        {"sku": sl.order_line.sku, "title": sl.order_line.title, "quantity": sl.quantity}
        for sl in shipment.lines
    ]
    sent = send_email(
        "order_shipped",
        order.email,
        {
            "order": order,
            "shipment": shipment,
            "name": address.get("name") or "there",
            "carrier_name": carrier_name,
            "method_name": (order.shipping_method or {}).get("name"),
            "lines": lines,
            "remaining": any(remaining_to_ship(order.id).values()),
            "address": address_lines,
        },
        dedupe_key=f"order_shipped:{shipment.id}",
    )
    outcome = ["email sent" if sent else "email already sent"]
    phone = address.get("phone")
    if phone:
        shop = current_app.config.get("SHOP_NAME") or "Shop"
        body = (
            f"{shop}: your order #{order.number} has shipped with {carrier_name}. "
            f"Tracking number: {shipment.tracking_number}"
        )
        try:
            texted = send_sms(phone, body, dedupe_key=f"order_shipped:{shipment.id}")
        except InvalidInput:
            # A number the customer typed that is not E.164: the email is enough.
            log.warning(
                "shipment %s: no SMS, phone %s is not E.164", shipment.id, mask_phone(phone)
            )
            outcome.append("sms skipped: phone not in E.164 form")
        else:
            outcome.append("sms sent" if texted else "sms already sent")
    return ", ".join(outcome)
