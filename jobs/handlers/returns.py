"""Handlers for return events: the email telling the customer a return was approved or rejected,
and the one carrying the code of their store credit. Each may run twice: every email carries a
dedupe key, and a store credit code is made again only while its email has not gone out (codes are
stored hashed, so an unsent one cannot be shown again; see commerce/returns/resolution.py)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from commerce import db
from commerce.audit import Actor
from commerce.errors import Conflict
from commerce.kv import get_redis
from commerce.notifications.mailer import send_email
from commerce.notifications.models import EmailMessage
from commerce.orders.models import Order
from commerce.pricing.models import GiftCard
from commerce.returns import resolution
from commerce.returns.models import Return
from jobs.registry import subscribe


def _return(event: dict[str, Any]) -> Return | None:
    return db.session.get(Return, event["payload"]["return_id"])


def _name(order: Order) -> str:
    if order.shipping_address and order.shipping_address.get("name"):
        return str(order.shipping_address["name"])
    if order.customer is not None and order.customer.first_name:
        return order.customer.first_name
    return "there"


def _sent_or_sending(dedupe_key: str) -> bool:
    status = db.session.scalar(
        select(EmailMessage.status).where(EmailMessage.dedupe_key == dedupe_key)
    )
    return status is not None and status != "failed"


@subscribe("return.approved", queue="mail")
@subscribe("return.rejected", queue="mail")
def send_return_update(event: dict[str, Any]) -> str:
    """Email the customer that their return was approved (with what to send back) or rejected
    (with the reason), once per return and decision."""
    ret = _return(event)
    if ret is None:
        return "skipped: return no longer exists"
    decision = "approved" if event["name"] == "return.approved" else "rejected"
    order = ret.order
    sent = send_email(
        "return_update",
        order.email,
        {"ret": ret, "order": order, "name": _name(order), "decision": decision},
        dedupe_key=f"return_update:{ret.id}:{decision}",
    )
    return "sent" if sent else "skipped: already sent"


@subscribe("return.resolved", queue="mail")
def deliver_store_credit(event: dict[str, Any]) -> str:
    """Email the customer the code of the gift card a return was resolved with (once per
    return). Raises Conflict while another run delivers it, and what the mailer raises; the job
    is retried, and a retry replaces the code that was never sent."""
    if event["payload"].get("resolution") != "store_credit":
        return "skipped: not store credit"
    ret = _return(event)
    if ret is None:
        return "skipped: return no longer exists"
    dedupe_key = f"store_credit:{ret.id}"
    # A new code must never be made while another run is emailing the previous one.
    lock = get_redis().lock(f"lock:{dedupe_key}", timeout=300)
    if not lock.acquire(blocking=False):
        raise Conflict(f"The store credit of return {ret.reference} is being delivered.")
    try:
        if _sent_or_sending(dedupe_key):
            return "skipped: already sent"
        issued = resolution.store_credit_code(ret.id, actor=Actor.system("return.resolved"))
        card = issued.gift_card if issued else db.session.get(GiftCard, ret.gift_card_id)
        order = ret.order
        sent = send_email(
            "store_credit",
            order.email,
            {
                "ret": ret,
                "order": order,
                "name": _name(order),
                "card": card,
                "code": issued.code if issued else None,
            },
            dedupe_key=dedupe_key,
        )
    finally:
        lock.release()
    return "sent" if sent else "skipped: already sent"
