"""Payment use cases: start collecting an order's amount due, and apply the provider's webhooks.

Stripe: `start_stripe_payment` writes the Payment row and its idempotency key and commits BEFORE
calling Stripe, then creates the PaymentIntent with that key, so a retry after any failure (ours
or the network's) gets the same PaymentIntent back instead of a second charge. The client secret
goes back to the storefront and is never stored.

Webhooks: `apply_stripe_webhook` verifies the signature on the raw body, then, in one
transaction, records the event id (a replay finds it and changes nothing), re-reads the
PaymentIntent from Stripe (events may arrive late, twice or out of order; the intent's current
state is the truth) and moves the payment and its order on. An order is marked paid once, however
many events say so, and never goes back from paid because of a late failure event.

With STRIPE_CAPTURE_METHOD=manual (default automatic) the intent only authorises the card; the
webhook records the payment "authorized" and staff capture or void it (commerce.payments.captures).
Refund events (charge.refunded, charge.refund.updated, refund.*) are applied by
commerce.payments.refunds, dispute events (charge.dispute.*) by commerce.payments.disputes, each
from the object re-read from Stripe.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Mapping
from typing import Any

from flask import current_app
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert

from commerce import audit, db, events
from commerce.audit import Actor
from commerce.db import utcnow
from commerce.errors import Conflict, DomainError, NotFound, PaymentError
from commerce.orders import timeline
from commerce.orders.models import Order
from commerce.payments import captures, disputes, links, refunds
from commerce.payments.gateway import StripeGateway
from commerce.payments.models import Payment, ProviderEvent

__all__ = ["StartedPayment", "apply_stripe_webhook", "start_stripe_payment"]

log = logging.getLogger(__name__)
STRIPE_ACTOR = Actor(kind="system", label="stripe webhook")
_INTENT_EVENTS = {
    "payment_intent.succeeded",
    "payment_intent.payment_failed",
    "payment_intent.canceled",
    "payment_intent.processing",
    "payment_intent.amount_capturable_updated",
}
_REFUND_EVENTS = {
    "charge.refunded",
    "charge.refund.updated",
    "refund.created",
    "refund.updated",
    "refund.failed",
}
_DISPUTE_EVENTS = {
    "charge.dispute.created",
    "charge.dispute.updated",
    "charge.dispute.closed",
    "charge.dispute.funds_withdrawn",
    "charge.dispute.funds_reinstated",
}


@dataclasses.dataclass(frozen=True, slots=True)
class StartedPayment:
    """A payment under way: what the storefront needs to let the shopper pay."""

    payment_id: int
    provider_reference: str
    client_secret: str | None
    status: str
    amount: int
    currency: str


def start_stripe_payment(order_id: int, gateway: StripeGateway) -> StartedPayment:
    """Create (or, called again, return) the Stripe PaymentIntent collecting the order's amount
    due. Raises NotFound, Conflict (nothing to collect, or the order is paid or cancelled), and
    the gateway's InvalidInput / PaymentError."""
    capture_method = _capture_method()
    order = db.session.get(Order, order_id, with_for_update=True)
    if order is None:
        raise NotFound(f"Order {order_id} does not exist.")
    if order.payment_status == "paid" or order.status == "cancelled":
        db.session.rollback()
        raise Conflict(f"Order #{order.number} is {order.status}; there is nothing to pay.")
    if order.payment_status == "authorized":
        db.session.rollback()
        raise Conflict(f"Order #{order.number}'s payment is authorised; capture or void it.")
    if order.amount_due <= 0:
        db.session.rollback()
        raise Conflict(f"Order #{order.number} has nothing left to pay.")
    payment = db.session.scalar(
        select(Payment)
        .where(Payment.order_id == order.id, Payment.provider == "stripe")
        .where(Payment.status == "pending")
        .order_by(Payment.id.desc())
        .limit(1)
    )
    stale = None
    if payment is not None and (payment.amount, payment.currency) != (
        order.amount_due,
        order.currency,
    ):
        # The order was edited since: that intent asks for the old amount. It is cancelled at
        # Stripe after the new one exists (a late success on it still lands through the webhook).
        payment.status, payment.failure_message = "cancelled", "order amount changed"
        stale, payment = payment, None
    if payment is None:
        attempt = 1 + len(
            db.session.scalars(select(Payment.id).where(Payment.order_id == order.id)).all()
        )
        payment = Payment(
            order_id=order.id,
            provider="stripe",
            amount=order.amount_due,
            currency=order.currency,
            status="pending",
            idempotency_key=f"order-{order.id}-payment-{attempt}",
        )
        db.session.add(payment)
        db.session.flush()
        audit.record(
            Actor.system("checkout"),
            "payment.start",
            "order",
            order.id,
            {"payment_id": [None, payment.id], "amount": [None, payment.amount]},
        )
    # The key is committed before Stripe hears of it: a crash after Stripe's answer and before
    # ours is saved is healed by the next call, which sends the same key and gets the same intent.
    db.session.commit()
    intent = gateway.create_payment_intent(
        payment.amount,
        payment.currency,
        idempotency_key=payment.idempotency_key,
        metadata={"order_id": order.id, "order_number": order.number, "payment_id": payment.id},
        receipt_email=order.email,
        description=f"Order #{order.number}",
        capture_method=capture_method,
    )
    if payment.provider_reference != intent.id:
        payment.provider_reference = intent.id
        db.session.commit()
    if stale is not None and stale.provider_reference:
        try:
            gateway.cancel_payment_intent(
                stale.provider_reference, idempotency_key=f"{stale.idempotency_key}-cancel"
            )
        except DomainError:
            log.warning("could not cancel the stale PaymentIntent %s", stale.provider_reference)
    return StartedPayment(
        payment.id, intent.id, intent.client_secret, intent.status, payment.amount, payment.currency
    )


def apply_stripe_webhook(
    payload: bytes, signature: str | None, *, gateway: StripeGateway, secret: str
) -> str:
    """Verify and apply one Stripe webhook. Returns what happened ("duplicate", "ignored",
    "paid", "failed", "unchanged"; "authorized", "voided" for manual capture; "refunded",
    "refund_failed" for refunds; "disputed", "dispute_updated", "dispute_closed" for disputes).
    Raises InvalidInput for a bad signature or body (nothing is written then), and the gateway's
    errors when the PaymentIntent (refund, dispute) cannot be re-read (Stripe then retries the
    webhook)."""
    event = _plain(gateway.parse_webhook(payload, signature, secret).to_dict())
    data_object: Mapping[str, Any] = event["data"]["object"]
    object_id = data_object.get("id")
    claimed = db.session.scalar(
        insert(ProviderEvent)
        .values(
            id=event["id"],
            provider="stripe",
            type=event["type"],
            object_id=object_id,
            payload=event,
        )
        .on_conflict_do_nothing(index_elements=["id"])
        .returning(ProviderEvent.id)
    )
    if claimed is None:
        db.session.rollback()
        return "duplicate"
    if event["type"] in _REFUND_EVENTS and object_id:
        outcome = refunds.apply_stripe_refund_event(gateway, data_object)
        db.session.commit()
        return outcome
    if event["type"] in _DISPUTE_EVENTS and object_id:
        outcome = disputes.apply_stripe_dispute(gateway, object_id)
        db.session.commit()
        return outcome
    if event["type"] not in _INTENT_EVENTS or not object_id:
        db.session.commit()
        return "ignored"
    outcome = _apply_intent(gateway, object_id, data_object.get("metadata") or {})
    db.session.commit()
    return outcome


def _apply_intent(gateway: StripeGateway, intent_id: str, metadata: Mapping[str, Any]) -> str:
    intent = gateway.retrieve_payment_intent(intent_id)
    payment = db.session.scalar(
        select(Payment)
        .where(Payment.provider == "stripe", Payment.provider_reference == intent.id)
        .with_for_update()
    )
    if payment is None and str(metadata.get("payment_id", "")).isdigit():
        # The webhook beat our own write of the intent id: the metadata names the payment.
        payment = db.session.get(Payment, int(metadata["payment_id"]), with_for_update=True)
        if payment is not None and payment.provider_reference is None:
            payment.provider_reference = intent.id
    if payment is None:
        return "ignored"
    order = db.session.get(Order, payment.order_id, with_for_update=True)
    assert order is not None
    if intent.status == "requires_capture":
        return captures.record_authorization(payment, order, intent, actor=STRIPE_ACTOR)
    if payment.status == "authorized" and intent.status == "succeeded":
        return captures.record_capture(payment, order, intent, actor=STRIPE_ACTOR)
    if payment.status == "authorized" and intent.status == "canceled":
        return captures.record_void(payment, order, intent, actor=STRIPE_ACTOR)
    if intent.status == "succeeded":
        if payment.status == "succeeded":
            return "unchanged"
        before = {"status": order.status, "payment_status": order.payment_status}
        payment.status, payment.succeeded_at, payment.failure_message = "succeeded", utcnow(), None
        order.payment_status = "paid"
        if order.status in ("pending_payment", "draft"):
            order.status = "paid"
        after = {"status": order.status, "payment_status": order.payment_status}
        audit.record(STRIPE_ACTOR, "order.paid", "order", order.id, audit.diff(before, after))
        timeline.record(
            order.id,
            "payment",
            f"Stripe payment {intent.id} of {payment.amount} {payment.currency} succeeded",
            actor=STRIPE_ACTOR,
            payment_id=payment.id,
        )
        events.record("order.paid", order_id=order.id, payment_id=payment.id, amount=payment.amount)
        links.record_link_payment(payment, actor=STRIPE_ACTOR)  # a payment link's payment
        return "paid"
    if intent.status in ("requires_payment_method", "canceled") and payment.status == "pending":
        payment.status = "cancelled" if intent.status == "canceled" else "failed"
        payment.failure_message = (intent.failure_message or intent.decline_code or "")[:500]
        audit.record(
            STRIPE_ACTOR,
            "payment.failed",
            "order",
            order.id,
            {"payment_id": [None, payment.id], "reason": [None, payment.failure_message]},
        )
        timeline.record(
            order.id,
            "payment",
            f"Stripe payment {intent.id} failed: {payment.failure_message or intent.status}",
            actor=STRIPE_ACTOR,
            payment_id=payment.id,
        )
        events.record("payment.failed", order_id=order.id, payment_id=payment.id)
        return "failed"
    return "unchanged"


def _capture_method() -> str | None:
    """The capture method checkout asks Stripe for: "manual" when STRIPE_CAPTURE_METHOD says so
    (only the card is authorised), None for Stripe's automatic capture (the default). Raises
    PaymentError for another value."""
    setting = str(current_app.config.get("STRIPE_CAPTURE_METHOD") or "automatic").lower()
    if setting not in ("automatic", "manual"):
        raise PaymentError("STRIPE_CAPTURE_METHOD must be 'automatic' or 'manual'.")
    return "manual" if setting == "manual" else None


def _plain(value: Any) -> Any:
    """Stripe's event as plain JSON-ready dicts and lists."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value
