"""Handlers for order events: the confirmation email, and on payment the receipt with the digital
goods (download links and license keys) and the gift cards bought, whose codes come in an email of
their own. Each may run twice: grants, keys and gift cards are issued once per order line (unit)
and every email carries a dedupe key."""

from __future__ import annotations

from typing import Any

from flask import current_app
from sqlalchemy import select

from commerce import db
from commerce.audit import Actor
from commerce.catalog import downloads
from commerce.catalog.digital import DigitalFile, LicensePool
from commerce.errors import Conflict
from commerce.kv import get_redis
from commerce.notifications.mailer import send_email
from commerce.notifications.models import EmailMessage
from commerce.orders import gift_cards
from commerce.orders.models import Order
from jobs.registry import subscribe


def _order(event: dict[str, Any]) -> Order | None:
    return db.session.get(Order, event["payload"]["order_id"])


def _name(order: Order) -> str:
    if order.shipping_address and order.shipping_address.get("name"):
        return str(order.shipping_address["name"])
    if order.customer is not None:
        return order.customer.first_name
    return "there"


@subscribe("order.placed", queue="mail")
def send_order_confirmation(event: dict[str, Any]) -> str:
    """Email the buyer the confirmation of a placed order (once per order)."""
    order = _order(event)
    if order is None:
        return "skipped: order no longer exists"
    sent = send_email(
        "order_confirmation",
        order.email,
        {"order": order, "name": _name(order)},
        dedupe_key=f"order_confirmation:{order.id}",
    )
    return "sent" if sent else "skipped: already sent"


@subscribe("order.paid", queue="mail")
def deliver_paid_order(event: dict[str, Any]) -> str:
    """Issue the digital goods of a paid order (download grants, license keys) and email the
    receipt with them (once per order). Raises OutOfLicenseKeys when a pool has run dry (the job
    retries with backoff while staff import keys; the pool's low alert came earlier)."""
    order = _order(event)
    if order is None:
        return "skipped: order no longer exists"
    base = current_app.config["PUBLIC_URL"].rstrip("/")
    files, keys = [], []
    for line in order.lines:
        if not line.is_digital or line.variant_id is None:
            continue
        for grant in downloads.grant_downloads(line.id):
            file = db.session.get(DigitalFile, grant.file_id)
            assert file is not None
            token = downloads.download_token(grant.id)
            files.append(
                {
                    "title": line.title,
                    "filename": file.filename,
                    "url": f"{base}/api/v1/downloads/{token}",
                    "expires_at": grant.expires_at,
                    "download_limit": grant.download_limit,
                }
            )
        has_pool = db.session.scalar(
            select(LicensePool.variant_id).where(LicensePool.variant_id == line.variant_id)
        )
        if has_pool is not None:
            keys += [
                {"title": line.title, "key": key} for key in downloads.issue_license_keys(line.id)
            ]
    sent = send_email(
        "payment_received",
        order.email,
        {
            "order": order,
            "name": _name(order),
            "amount": event["payload"].get("amount", order.amount_due),
            "downloads": files,
            "license_keys": keys,
            "has_shipping": any(not line.is_digital for line in order.lines),
        },
        dedupe_key=f"payment_received:{order.id}",
    )
    return "sent" if sent else "skipped: already sent"


def _sent_or_sending(dedupe_key: str) -> bool:
    status = db.session.scalar(
        select(EmailMessage.status).where(EmailMessage.dedupe_key == dedupe_key)
    )
    return status is not None and status != "failed"


@subscribe("order.paid", queue="mail")
def deliver_gift_cards(event: dict[str, Any]) -> str:
    """Issue the gift cards a paid order bought (one per unit) and email the buyer their codes
    (once per order). Raises Conflict while another run delivers them, and what the mailer raises;
    the job is retried, and a retry replaces the codes that were never sent (codes are stored
    hashed, so an unsent one cannot be shown again; see commerce/orders/gift_cards.py)."""
    order = _order(event)
    if order is None:
        return "skipped: order no longer exists"
    if not gift_cards.gift_card_lines(order.id):
        return "skipped: no gift cards bought"
    dedupe_key = f"gift_card_delivery:{order.id}"
    # New codes must never be made while another run is emailing the previous ones.
    lock = get_redis().lock(f"lock:{dedupe_key}", timeout=300)
    if not lock.acquire(blocking=False):
        raise Conflict(f"The gift cards of order #{order.number} are being delivered.")
    try:
        if _sent_or_sending(dedupe_key):
            return "skipped: already sent"
        sold = gift_cards.issue_sold_gift_cards(order.id, actor=Actor.system("order.paid"))
        sent = send_email(
            "gift_card_delivery",
            order.email,
            {"order": order, "name": _name(order), "cards": sold},
            dedupe_key=dedupe_key,
        )
    finally:
        lock.release()
    return f"sent {len(sold)} gift card(s)" if sent else "skipped: already sent"
