"""Payment links: ask a buyer to pay an amount of an order by email (an edit's extra, a draft
order's total).

`create_payment_link` stores the link with the SHA-256 of a random token (the token itself is only
ever in the email: PUBLIC_URL/api/v1/pay/<token>) and emails it. `open_payment_link` (the
storefront's GET /api/v1/pay/<token>) answers the amount and the client secret of a Stripe
PaymentIntent for it: the first call writes a Payment row (provider stripe, amount = the link's,
its idempotency key) and commits BEFORE calling Stripe, so every later call sends the same key and
gets the same intent back. The PaymentIntent's metadata names that payment, so the existing
webhook (commerce.payments.service.apply_stripe_webhook) applies it like any other payment and
then calls `record_link_payment`, which marks the link paid.

A link expires after PAYMENT_LINK_DAYS (default 7); an expired link answers 410.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from typing import Any

from flask import current_app
from sqlalchemy import select

from commerce import audit, db, events
from commerce.audit import Actor
from commerce.db import utcnow
from commerce.errors import Conflict, InvalidInput, NotFound
from commerce.notifications.mailer import send_email
from commerce.orders import timeline
from commerce.orders.edit_models import PaymentLink
from commerce.orders.models import Order
from commerce.payments.gateway import StripeGateway, gateway_from_config
from commerce.payments.models import Payment

__all__ = [
    "LinkExpired",
    "create_payment_link",
    "email_payment_link",
    "new_payment_link",
    "open_payment_link",
    "record_link_payment",
]


class LinkExpired(Conflict):
    """The payment link is past its expiry (410 link_expired)."""

    code = "link_expired"
    status = 410


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _days() -> int:
    return int(current_app.config.get("PAYMENT_LINK_DAYS") or 7)


def link_url(token: str) -> str:
    """The address the buyer follows (PUBLIC_URL/api/v1/pay/<token>)."""
    base = str(current_app.config.get("PUBLIC_URL") or "").rstrip("/")
    return f"{base}/api/v1/pay/{token}"


def expire_open_links(order_id: int, *, reason: str, actor: Actor) -> int:
    """Close the order's open payment links in the current transaction (the caller commits), so
    only what is owed now can be paid: when a new link replaces them, an edit changes what is
    owed, or the money arrived another way. Returns how many were closed."""
    links = list(
        db.session.scalars(
            select(PaymentLink).where(
                PaymentLink.order_id == order_id, PaymentLink.status == "open"
            )
        )
    )
    for link in links:
        link.status = "expired"
        timeline.record(
            order_id,
            "payment",
            f"Payment link for {link.amount} {link.currency} closed: {reason}",
            actor=actor,
            payment_link_id=link.id,
        )
    return len(links)


def new_payment_link(
    order: Order, amount: int, *, purpose: str, actor: Actor
) -> tuple[PaymentLink, str]:
    """Add a link for `amount` of the locked `order` to the current transaction (the caller commits,
    then emails it with `email_payment_link`). Returns the link and its token. Raises InvalidInput
    (amount not a positive whole number)."""
    if isinstance(amount, bool) or not isinstance(amount, int) or amount <= 0:
        problem = "must be a whole number of minor units above zero"
        raise InvalidInput(f"amount: {problem}", fields={"amount": problem})
    expire_open_links(order.id, reason="a new link replaces it", actor=actor)
    token = secrets.token_urlsafe(32)
    link = PaymentLink(
        order_id=order.id,
        amount=amount,
        currency=order.currency,
        token_hash=_hash(token),
        status="open",
        purpose=purpose,
        expires_at=utcnow() + dt.timedelta(days=_days()),
    )
    db.session.add(link)
    db.session.flush()
    timeline.record(
        order.id,
        "payment",
        f"Payment link for {amount} {order.currency} ({purpose}) sent to {order.email}",
        actor=actor,
        payment_link_id=link.id,
    )
    audit.record(
        actor,
        "order.payment_link",
        "order",
        order.id,
        {"payment_link_id": [None, link.id], "amount": [None, amount]},
    )
    events.record("payment_link.created", order_id=order.id, payment_link_id=link.id)
    return link, token


def email_payment_link(order: Order, link: PaymentLink, token: str) -> None:
    """Email the buyer the link (after the link's transaction committed; once per link)."""
    send_email(
        "payment_link",
        order.email,
        {
            "order": order,
            "amount": link.amount,
            "purpose": link.purpose,
            "url": link_url(token),
            "expires_at": link.expires_at,
        },
        dedupe_key=f"payment-link-{link.id}",
    )


def create_payment_link(
    order_id: int, amount: int, *, actor: Actor, purpose: str = "order edit"
) -> PaymentLink:
    """Create a payment link for `amount` of the order and email it to the buyer. Raises NotFound,
    InvalidInput (amount), Conflict (the order is cancelled)."""
    from commerce.orders.service import lock_order

    order = lock_order(order_id)
    if order.status == "cancelled":
        db.session.rollback()
        raise Conflict(f"Order #{order.number} is cancelled; there is nothing to pay.")
    try:
        link, token = new_payment_link(order, amount, purpose=purpose, actor=actor)
    except InvalidInput:
        db.session.rollback()
        raise
    db.session.commit()
    email_payment_link(order, link, token)
    return link


def _find(token: str) -> PaymentLink:
    if not token or len(token) > 200:
        raise NotFound("No such payment link.")
    link = db.session.scalar(
        select(PaymentLink).where(PaymentLink.token_hash == _hash(token)).with_for_update()
    )
    if link is None:
        raise NotFound("No such payment link.")
    return link


def open_payment_link(token: str, *, gateway: StripeGateway | None = None) -> dict[str, Any]:
    """What the link asks to pay and, while it is open, the client secret of its Stripe
    PaymentIntent (created once; the same intent on every later call). Raises NotFound,
    LinkExpired, and the gateway's PaymentError. `gateway` defaults to the app's (built only when
    Stripe is called)."""
    link = _find(token)
    order = db.session.get(Order, link.order_id)
    assert order is not None
    if link.status == "open" and link.expires_at <= utcnow():
        link.status = "expired"
        db.session.commit()
    if link.status == "expired":
        db.session.commit()
        raise LinkExpired("This payment link has expired; ask the shop for a new one.")
    body: dict[str, Any] = {
        "order_number": order.number,
        "amount": link.amount,
        "currency": link.currency,
        "status": link.status,
        "expires_at": link.expires_at.isoformat(),
        "payment_intent": link.provider_reference,
        "client_secret": None,
    }
    if link.status == "paid":
        db.session.commit()
        return body
    if link.payment_id is None:
        payment = Payment(
            order_id=order.id,
            provider="stripe",
            amount=link.amount,
            currency=link.currency,
            status="pending",
            idempotency_key=f"payment-link-{link.id}",
        )
        db.session.add(payment)
        db.session.flush()
        link.payment_id = payment.id
    else:
        payment = db.session.get(Payment, link.payment_id)
        assert payment is not None
    # The key is committed before Stripe hears of it (see the module docstring).
    db.session.commit()
    gateway = gateway or gateway_from_config(current_app.config)
    intent = gateway.create_payment_intent(
        payment.amount,
        payment.currency,
        idempotency_key=payment.idempotency_key,
        metadata={
            "order_id": order.id,
            "order_number": order.number,
            "payment_id": payment.id,
            "payment_link_id": link.id,
        },
        receipt_email=order.email,
        description=f"Order #{order.number} ({link.purpose})",
    )
    if payment.provider_reference != intent.id or link.provider_reference != intent.id:
        payment.provider_reference = intent.id
        link.provider_reference = intent.id
        db.session.commit()
    body.update(payment_intent=intent.id, client_secret=intent.client_secret)
    return body


def record_link_payment(payment: Payment, *, actor: Actor) -> None:
    """Mark the link whose payment `payment` is paid (the webhook calls it, in its transaction,
    once the payment succeeded; nothing happens for a payment that is no link's)."""
    link = db.session.scalar(
        select(PaymentLink).where(PaymentLink.payment_id == payment.id).with_for_update()
    )
    if link is None or link.status == "paid":
        return
    link.status, link.paid_at = "paid", utcnow()
    audit.record(
        actor, "payment_link.paid", "order", link.order_id, {"payment_link_id": [None, link.id]}
    )
    events.record("payment_link.paid", order_id=link.order_id, payment_link_id=link.id)
