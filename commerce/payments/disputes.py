"""Disputes (chargebacks): the customer's bank contests a card payment.

Stripe's `charge.dispute.*` webhooks are applied by re-reading the dispute (events come late,
twice, in any order): the first time we see a dispute, a Dispute row is written and the order is
put on hold (when its status allows; the timeline says so either way) so nothing more ships while
it is contested; later news updates its status, and a closed dispute (won: the money stays; lost:
the bank took it back) is written on the timeline. Releasing the hold is the staff's decision
(commerce.orders.service.release_hold). A disputed charge cannot be refunded at Stripe.
"""

from __future__ import annotations

from sqlalchemy import select

from commerce import audit, db, events
from commerce.audit import Actor
from commerce.db import utcnow
from commerce.money import format_money
from commerce.orders import states, timeline
from commerce.orders.models import Order
from commerce.orders.service import lock_order, move
from commerce.payments.gateway import DisputeInfo, StripeGateway
from commerce.payments.models import DISPUTE_STATES, Dispute, Payment

__all__ = ["CLOSED", "apply_stripe_dispute", "disputes_of"]

CLOSED = ("won", "lost", "warning_closed", "prevented")
STRIPE_ACTOR = Actor(kind="system", label="stripe webhook")


def disputes_of(order_id: int) -> list[Dispute]:
    """The order's disputes, newest first."""
    return list(
        db.session.scalars(
            select(Dispute).where(Dispute.order_id == order_id).order_by(Dispute.id.desc())
        )
    )


def apply_stripe_dispute(gateway: StripeGateway, dispute_id: str) -> str:
    """Apply a `charge.dispute.*` webhook in the caller's transaction, from the dispute as Stripe
    has it now. Returns "disputed" (new), "dispute_closed", "dispute_updated", "unchanged" or
    "ignored" (not one of our payments). Raises the gateway's errors (Stripe then retries)."""
    info = gateway.retrieve_dispute(dispute_id)
    payment = db.session.scalar(
        select(Payment).where(
            Payment.provider == "stripe", Payment.provider_reference == info.payment_intent
        )
    )
    if payment is None or info.status not in DISPUTE_STATES:
        return "ignored"
    order = lock_order(payment.order_id)
    dispute = db.session.scalar(
        select(Dispute).where(Dispute.provider_reference == info.id).with_for_update()
    )
    if dispute is None:
        _open(order, payment, info)
        return "dispute_closed" if info.status in CLOSED else "disputed"
    if dispute.status == info.status:
        return "unchanged"
    before = dispute.status
    dispute.status, dispute.amount = info.status, info.amount
    audit.record(
        STRIPE_ACTOR, "order.dispute", "order", order.id, {"status": [before, info.status]}
    )
    if info.status in CLOSED and before not in CLOSED:
        _closed(order, dispute)
        return "dispute_closed"
    timeline.record(
        order.id,
        "payment",
        f"Dispute {info.id} is now {info.status.replace('_', ' ')}",
        actor=STRIPE_ACTOR,
        dispute_id=dispute.id,
    )
    return "dispute_updated"


def _open(order: Order, payment: Payment, info: DisputeInfo) -> Dispute:
    dispute = Dispute(
        order_id=order.id,
        payment_id=payment.id,
        provider_reference=info.id,
        amount=info.amount,
        currency=info.currency.upper(),
        reason=info.reason[:40],
        status=info.status,
    )
    db.session.add(dispute)
    db.session.flush()
    money = format_money(dispute.amount, dispute.currency)
    why = info.reason.replace("_", " ")
    timeline.record(
        order.id,
        "payment",
        f"The customer's bank disputed {money} (Stripe {info.id}, reason: {why})",
        actor=STRIPE_ACTOR,
        dispute_id=dispute.id,
    )
    audit.record(
        STRIPE_ACTOR,
        "order.dispute",
        "order",
        order.id,
        {"dispute_id": [None, dispute.id], "status": [None, dispute.status]},
    )
    events.record("order.disputed", order_id=order.id, dispute_id=dispute.id, amount=info.amount)
    if info.status in CLOSED:
        _closed(order, dispute)
    elif order.status != "on_hold":
        if states.allowed(order.status, "on_hold"):
            order.held_from_status = order.status
            move(order, "on_hold", actor=STRIPE_ACTOR, reason=f"payment disputed ({why})")
        else:
            timeline.record(
                order.id,
                "payment",
                f"Not put on hold: the order is {order.status.replace('_', ' ')}",
                actor=STRIPE_ACTOR,
                dispute_id=dispute.id,
            )
    return dispute


def _closed(order: Order, dispute: Dispute) -> None:
    dispute.closed_at = utcnow()
    money = format_money(dispute.amount, dispute.currency)
    outcome = {
        "won": "won: the money stays with us",
        "lost": f"lost: the bank took back {money}",
    }.get(dispute.status, dispute.status.replace("_", " "))
    timeline.record(
        order.id,
        "payment",
        f"Dispute {dispute.provider_reference} closed, {outcome}",
        actor=STRIPE_ACTOR,
        dispute_id=dispute.id,
    )
    events.record(
        "order.dispute_closed", order_id=order.id, dispute_id=dispute.id, status=dispute.status
    )
