"""Order use cases every other order service builds on: load and lock an order, move it through
the state machine (commerce/orders/states.py) with a timeline entry, an audit row and an event,
hold and release it, cancel it, mark an offline payment received, and staff notes.

Every use case locks the order's row (SELECT ... FOR UPDATE) before it reads what it checks, so
two staff members acting on one order at once take turns and neither change is lost.
"""

from __future__ import annotations

from sqlalchemy import select

from commerce import audit, db, events
from commerce.audit import Actor
from commerce.db import utcnow
from commerce.errors import Conflict, InvalidInput, NotFound
from commerce.inventory import service as inventory
from commerce.orders import states, timeline
from commerce.orders.models import Order
from commerce.payments.links import expire_open_links
from commerce.payments.models import Payment

__all__ = [
    "add_note",
    "cancel_order",
    "get_order",
    "hold_order",
    "lock_order",
    "mark_paid_offline",
    "move",
    "order_reference",
    "release_hold",
]

MAX_NOTE = 5000


def order_reference(order: Order) -> str:
    """The reference an order's stock allocation and ledger rows carry ("order:100042")."""
    return f"order:{order.number}"


def get_order(order_id: int) -> Order:
    """The order `order_id`. Raises NotFound."""
    order = db.session.get(Order, order_id)
    if order is None:
        raise NotFound(f"Order {order_id} does not exist.")
    return order


def lock_order(order_id: int) -> Order:
    """The order `order_id`, its row locked until the transaction ends and its fields fresh.
    Raises NotFound."""
    order = db.session.get(Order, order_id, with_for_update=True, populate_existing=True)
    if order is None:
        raise NotFound(f"Order {order_id} does not exist.")
    return order


def move(order: Order, target: str, *, actor: Actor, reason: str | None = None) -> None:
    """Move a locked order to `target` in the current transaction, with a timeline entry, an audit
    row and an `order.status_changed` event (the caller commits). Raises TransitionNotAllowed."""
    if order.status == target:
        return
    states.check(order.status, target, number=order.number, payment_method=order.payment_method)
    before = order.status
    order.status = target
    text = f"Status {before.replace('_', ' ')} → {target.replace('_', ' ')}"
    timeline.record(
        order.id,
        "status",
        f"{text}: {reason}" if reason else text,
        actor=actor,
        before=before,
        after=target,
    )
    audit.record(actor, "order.status", "order", order.id, {"status": [before, target]})
    events.record("order.status_changed", order_id=order.id, before=before, after=target)


def _reason(reason: str | None, *, required: bool) -> str | None:
    text = (reason or "").strip()
    if required and not text:
        raise InvalidInput("reason: is required", fields={"reason": "is required"})
    if len(text) > 500:
        raise InvalidInput("reason: at most 500 characters", fields={"reason": "too long"})
    return text or None


def hold_order(order_id: int, *, reason: str, actor: Actor) -> Order:
    """Put an order on hold (fraud check, address question ...). Raises NotFound, InvalidInput
    (no reason), TransitionNotAllowed."""
    why = _reason(reason, required=True)
    order = lock_order(order_id)
    states.check(order.status, "on_hold", number=order.number)
    order.held_from_status = order.status
    move(order, "on_hold", actor=actor, reason=why)
    db.session.commit()
    return order


def release_hold(order_id: int, *, actor: Actor) -> Order:
    """Release an order's hold: it goes back to the status it had. Raises NotFound, Conflict (not
    on hold)."""
    order = lock_order(order_id)
    if order.status != "on_hold":
        db.session.rollback()
        raise Conflict(f"Order #{order.number} is not on hold.")
    back = order.held_from_status or "pending_payment"
    order.held_from_status = None
    move(order, back, actor=actor, reason="hold released")
    db.session.commit()
    return order


def cancel_order(order_id: int, *, reason: str, actor: Actor, restock: bool = True) -> Order:
    """Cancel an order that has shipped nothing and holds no money (refund a captured payment,
    void an authorised one first): its
    stock allocation is given back (`restock`), a voucher use and gift card spend stay as they
    are until refunded. Raises NotFound, InvalidInput (no reason), TransitionNotAllowed, Conflict
    (money still captured or authorised)."""
    why = _reason(reason, required=True)
    order = lock_order(order_id)
    states.check(order.status, "cancelled", number=order.number)
    held = (
        db.session.execute(
            select(Payment.status).where(
                Payment.order_id == order.id,
                ((Payment.status == "succeeded") & (Payment.refunded_amount < Payment.amount))
                | (Payment.status == "authorized"),
            )
        )
        .scalars()
        .all()
    )
    if "succeeded" in held:
        db.session.rollback()
        raise Conflict(
            f"Order #{order.number} has a captured payment; refund it before cancelling.",
            details={"reason": "refund the payment first"},
        )
    if "authorized" in held:
        db.session.rollback()
        raise Conflict(
            f"Order #{order.number} has an authorised payment; void it before cancelling.",
            details={"reason": "void the payment first"},
        )
    if restock:
        inventory.deallocate_stock(order_reference(order), actor=actor, commit=False)
    if order.payment_status == "pending":
        order.payment_status = "voided"
    move(order, "cancelled", actor=actor, reason=why)
    events.record("order.cancelled", order_id=order.id)
    db.session.commit()
    return order


def mark_paid_offline(order_id: int, *, reference: str, actor: Actor) -> Order:
    """Record that an offline payment (bank transfer, cash on delivery) arrived for the amount
    due. Raises NotFound, InvalidInput (no reference), Conflict (not an offline order, or already
    paid), TransitionNotAllowed."""
    ref = _reason(reference, required=True)
    order = lock_order(order_id)
    if order.payment_method not in ("bank_transfer", "cash_on_delivery"):
        db.session.rollback()
        raise Conflict(f"Order #{order.number} is not paid offline ({order.payment_method}).")
    if order.payment_status == "paid":
        db.session.rollback()
        raise Conflict(f"Order #{order.number} is already paid.")
    payment = Payment(
        order_id=order.id,
        provider=order.payment_method,
        amount=order.amount_due,
        currency=order.currency,
        status="succeeded",
        idempotency_key=f"order-{order.id}-offline-{utcnow():%Y%m%d%H%M%S%f}",
        provider_reference=ref,
        succeeded_at=utcnow(),
    )
    db.session.add(payment)
    expire_open_links(order.id, reason=f"paid by {order.payment_method}", actor=actor)
    before = order.payment_status
    order.payment_status = "paid"
    if order.status in ("pending_payment", "draft", "on_hold"):
        if order.status == "on_hold":
            order.held_from_status = "paid"
        else:
            move(order, "paid", actor=actor, reason=f"payment received ({ref})")
    db.session.flush()
    timeline.record(
        order.id,
        "payment",
        f"Payment of {order.amount_due} {order.currency} received by "
        f"{order.payment_method.replace('_', ' ')} ({ref})",
        actor=actor,
        payment_id=payment.id,
    )
    audit.record(actor, "order.mark_paid", "order", order.id, {"payment_status": [before, "paid"]})
    events.record("order.paid", order_id=order.id, payment_id=payment.id, amount=payment.amount)
    db.session.commit()
    return order


def add_note(order_id: int, text: str, *, actor: Actor) -> timeline.OrderEvent:
    """Add a staff note to the order's timeline. Raises NotFound, InvalidInput (empty or too
    long)."""
    body = (text or "").strip()
    if not body:
        raise InvalidInput("note: is required", fields={"note": "is required"})
    if len(body) > MAX_NOTE:
        raise InvalidInput(
            f"note: at most {MAX_NOTE} characters", fields={"note": f"at most {MAX_NOTE}"}
        )
    order = lock_order(order_id)
    entry = timeline.record(order.id, "note", body, actor=actor)
    audit.record(actor, "order.note", "order", order.id, {"note": [None, body[:200]]})
    db.session.commit()
    return entry
