"""Authorised card payments (Stripe manual capture): capture them, or void them.

With STRIPE_CAPTURE_METHOD=manual, checkout's PaymentIntent only authorises the card; the webhook
then records the payment "authorized" and the order's payment status "authorized" (the order stays
pending_payment: nothing is taken, nothing ships). Staff capture it (all, or less: the rest of the
authorisation is released; the payment's amount becomes what was taken) and the order is paid, or
void it (the intent is cancelled; payment status "voided"; cancel the order separately).

Stripe is called without holding the order's row lock, and what it answers is applied under the
lock, idempotently: the webhook carrying the same news may come first. Each call's idempotency key
derives from the payment's stored key ("<key>-capture", "<key>-void"), so a repeated capture
sends the same key and Stripe never captures twice.
"""

from __future__ import annotations

from flask import current_app
from sqlalchemy import select

from commerce import audit, db, events
from commerce.audit import Actor
from commerce.db import utcnow
from commerce.errors import Conflict, InvalidInput, PermissionDenied
from commerce.money import format_money
from commerce.orders import timeline
from commerce.orders.models import Order
from commerce.orders.service import lock_order, move
from commerce.payments.gateway import PaymentIntentInfo, StripeGateway, gateway_from_config
from commerce.payments.models import Payment

__all__ = [
    "capture_payment",
    "record_authorization",
    "record_capture",
    "record_void",
    "void_payment",
]


def capture_payment(
    order_id: int,
    *,
    amount: int | None = None,
    actor: Actor,
    gateway: StripeGateway | None = None,
) -> Payment:
    """Capture the order's authorised card payment: all of it, or `amount` minor units (the rest
    of the authorisation is released). The order becomes paid. Raises NotFound, PermissionDenied,
    InvalidInput (`amount`), Conflict (nothing authorised), and the gateway's errors (nothing
    changes then)."""
    if actor.kind not in ("staff", "system"):
        raise PermissionDenied("payments.capture")
    if amount is not None and (isinstance(amount, bool) or not isinstance(amount, int)):
        raise InvalidInput("amount: must be a whole number", fields={"amount": "not a number"})
    order = lock_order(order_id)
    payment = _authorised(order)
    if amount is not None and not 0 < amount <= payment.amount:
        most = format_money(payment.amount, payment.currency)
        db.session.rollback()
        raise InvalidInput(
            f"amount: between 0.01 and the {most} authorised",
            fields={"amount": f"at most {payment.amount} ({most})"},
        )
    payment_id, intent_id, key = payment.id, payment.provider_reference, payment.idempotency_key
    db.session.rollback()  # no lock held while Stripe answers
    assert intent_id is not None
    intent = _gateway(gateway).capture_payment_intent(
        intent_id, amount, idempotency_key=f"{key}-capture"
    )
    order = lock_order(order_id)
    payment = db.session.get(Payment, payment_id, with_for_update=True, populate_existing=True)
    assert payment is not None
    record_capture(payment, order, intent, actor=actor)
    db.session.commit()
    return payment


def void_payment(order_id: int, *, actor: Actor, gateway: StripeGateway | None = None) -> Payment:
    """Void the order's authorised card payment (Stripe cancels the intent; the customer's hold
    is released). Raises NotFound, PermissionDenied, Conflict (nothing authorised), and the
    gateway's errors (nothing changes then)."""
    if actor.kind not in ("staff", "system"):
        raise PermissionDenied("payments.capture")
    order = lock_order(order_id)
    payment = _authorised(order)
    payment_id, intent_id, key = payment.id, payment.provider_reference, payment.idempotency_key
    db.session.rollback()
    assert intent_id is not None
    intent = _gateway(gateway).cancel_payment_intent(
        intent_id, f"{key}-void", reason="requested_by_customer"
    )
    order = lock_order(order_id)
    payment = db.session.get(Payment, payment_id, with_for_update=True, populate_existing=True)
    assert payment is not None
    record_void(payment, order, intent, actor=actor)
    db.session.commit()
    return payment


def _authorised(order: Order) -> Payment:
    payment = db.session.scalar(
        select(Payment)
        .where(
            Payment.order_id == order.id,
            Payment.provider == "stripe",
            Payment.status == "authorized",
        )
        .order_by(Payment.id.desc())
        .limit(1)
    )
    if payment is None or not payment.provider_reference:
        db.session.rollback()
        raise Conflict(
            f"Order #{order.number} has no authorised payment (payment {order.payment_status}).",
            details={"payment_status": order.payment_status},
        )
    return payment


def _gateway(gateway: StripeGateway | None) -> StripeGateway:
    return gateway or gateway_from_config(current_app.config)


# --- applying Stripe's news (under the order's lock; the caller commits) -------------------------


def record_authorization(
    payment: Payment, order: Order, intent: PaymentIntentInfo, *, actor: Actor
) -> str:
    """A pending payment's card is authorised (`requires_capture`). Returns "authorized" or
    "unchanged"."""
    if payment.status != "pending":
        return "unchanged"
    before = order.payment_status
    payment.status = "authorized"
    payment.amount = intent.amount_capturable or payment.amount
    if order.payment_status in ("pending", "failed"):
        order.payment_status = "authorized"
    money = format_money(payment.amount, payment.currency)
    timeline.record(
        order.id,
        "payment",
        f"Card authorised for {money} (Stripe {intent.id}); capture it to take the money",
        actor=actor,
        payment_id=payment.id,
    )
    audit.record(
        actor,
        "payment.authorize",
        "order",
        order.id,
        {"payment_status": [before, order.payment_status], "payment_id": [None, payment.id]},
    )
    events.record(
        "order.payment_authorized", order_id=order.id, payment_id=payment.id, amount=payment.amount
    )
    return "authorized"


def record_capture(
    payment: Payment, order: Order, intent: PaymentIntentInfo, *, actor: Actor
) -> str:
    """An authorised payment was captured (`succeeded`): the payment takes what Stripe received
    and the order is paid. Returns "paid" or "unchanged"."""
    if payment.status == "succeeded" or intent.status != "succeeded":
        return "unchanged"
    before = {"status": order.status, "payment_status": order.payment_status}
    authorised = payment.amount
    payment.status, payment.succeeded_at, payment.failure_message = "succeeded", utcnow(), None
    payment.amount = intent.amount_received or payment.amount
    order.payment_status = "paid"
    if order.status in ("pending_payment", "draft"):
        move(order, "paid", actor=actor, reason="payment captured")
    elif order.status == "on_hold" and order.held_from_status in ("pending_payment", "draft"):
        order.held_from_status = "paid"
    money = format_money(payment.amount, payment.currency)
    released = authorised - payment.amount
    rest = f"; {format_money(released, payment.currency)} released" if released > 0 else ""
    timeline.record(
        order.id,
        "payment",
        f"Captured {money} of the card payment (Stripe {intent.id}){rest}",
        actor=actor,
        payment_id=payment.id,
    )
    after = {"status": order.status, "payment_status": order.payment_status}
    audit.record(actor, "order.paid", "order", order.id, audit.diff(before, after))
    events.record("order.paid", order_id=order.id, payment_id=payment.id, amount=payment.amount)
    return "paid"


def record_void(payment: Payment, order: Order, intent: PaymentIntentInfo, *, actor: Actor) -> str:
    """An authorised payment was voided (`canceled`). Returns "voided" or "unchanged"."""
    if payment.status != "authorized" or intent.status != "canceled":
        return "unchanged"
    before = order.payment_status
    payment.status, payment.failure_message = "cancelled", "authorisation voided"
    if order.payment_status == "authorized":
        order.payment_status = "voided"
    money = format_money(payment.amount, payment.currency)
    timeline.record(
        order.id,
        "payment",
        f"Authorisation of {money} voided (Stripe {intent.id}); nothing was taken",
        actor=actor,
        payment_id=payment.id,
    )
    audit.record(
        actor,
        "payment.void",
        "order",
        order.id,
        {"payment_status": [before, order.payment_status], "payment_id": [None, payment.id]},
    )
    events.record("order.payment_voided", order_id=order.id, payment_id=payment.id)
    return "voided"
