"""Recording what happened to a refund, under the order's row lock in the caller's transaction:
succeeded (the money is recorded as refunded, gift cards credited, stock given back when asked),
failed (kept with the provider's reason), or failed after succeeding (the card part is owed
again). Each writes a timeline entry, an audit row and an event; the caller commits."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy import func, select

from commerce import audit, db, events
from commerce.audit import Actor
from commerce.db import utcnow
from commerce.errors import Conflict
from commerce.inventory import service as inventory
from commerce.inventory.models import StockMovement
from commerce.money import format_money
from commerce.orders import timeline
from commerce.orders.models import Order, OrderLine
from commerce.orders.service import order_reference
from commerce.payments.models import Payment, Refund
from commerce.payments.refundable import gift_cards_left, payment_status
from commerce.pricing.gift_cards import refund_gift_card

__all__ = ["record_failure", "record_reversal", "record_success"]


def record_success(order: Order, refund: Refund, *, actor: Actor) -> None:
    """A pending refund succeeded: the payment's refunded amount, gift cards credited, the
    order's payment status, stock given back (`refund.restock`), timeline, audit and the
    `order.refunded` event (order_id, refund_id, amount)."""
    before = order.payment_status
    if refund.payment_id is not None:
        payment = db.session.get(
            Payment, refund.payment_id, with_for_update=True, populate_existing=True
        )
        assert payment is not None
        payment.refunded_amount += refund.payment_amount
    if refund.gift_card_amount:
        _credit_gift_cards(order, refund.gift_card_amount, actor=actor)
    refund.status, refund.completed_at = "succeeded", utcnow()
    db.session.flush()
    order.payment_status = payment_status(order)
    restocked = _restock(order, refund, actor=actor) if refund.restock else 0
    money = format_money(refund.amount, refund.currency)
    parts = []
    if refund.payment_amount:
        how = {"stripe": "to the card", "bank_transfer": "by bank transfer"}.get(
            refund.provider, "in cash"
        )
        ref = f" ({refund.provider_reference})" if refund.provider_reference else ""
        parts.append(f"{format_money(refund.payment_amount, refund.currency)} {how}{ref}")
    if refund.gift_card_amount:
        parts.append(f"{format_money(refund.gift_card_amount, refund.currency)} to gift cards")
    stock = f"; {restocked} unit{'s' * (restocked != 1)} back in stock" if restocked else ""
    timeline.record(
        order.id,
        "refund",
        f"Refunded {money} ({', '.join(parts)}): {refund.reason}{stock}",
        actor=actor,
        refund_id=refund.id,
        amount=refund.amount,
        status="succeeded",
    )
    changes: dict[str, Any] = {"refunded": [None, refund.amount], "refund_id": [None, refund.id]}
    if before != order.payment_status:
        changes["payment_status"] = [before, order.payment_status]
    audit.record(actor, "order.refund", "order", order.id, changes)
    events.record("order.refunded", order_id=order.id, refund_id=refund.id, amount=refund.amount)


def record_failure(order: Order, refund: Refund, reason: str, *, actor: Actor) -> None:
    """A pending refund failed: kept with `reason`; timeline, audit and `order.refund_failed`
    (order_id, refund_id, reversed_amount 0)."""
    refund.status, refund.failure_reason, refund.completed_at = "failed", reason[:500], utcnow()
    money = format_money(refund.amount, refund.currency)
    timeline.record(
        order.id,
        "refund",
        f"Refund of {money} failed: {reason}",
        actor=actor,
        refund_id=refund.id,
        amount=refund.amount,
        status="failed",
    )
    audit.record(
        actor,
        "order.refund_failed",
        "order",
        order.id,
        {"refund_id": [None, refund.id], "failure_reason": [None, refund.failure_reason]},
    )
    events.record("order.refund_failed", order_id=order.id, refund_id=refund.id, reversed_amount=0)


def record_reversal(order: Order, refund: Refund, reason: str, *, actor: Actor) -> None:
    """A refund Stripe reported succeeded fails later (the card was closed, say): the card part
    is owed again. What went onto gift cards and back to stock stays there. Timeline, audit and
    `order.refund_failed` (order_id, refund_id, reversed_amount)."""
    before = order.payment_status
    payment = db.session.get(Payment, refund.payment_id, with_for_update=True)
    assert payment is not None
    payment.refunded_amount -= refund.payment_amount
    refund.status, refund.completed_at = "failed", utcnow()
    refund.failure_reason = f"{reason} (after it had succeeded)"[:500]
    db.session.flush()
    order.payment_status = payment_status(order)
    money = format_money(refund.payment_amount, refund.currency)
    timeline.record(
        order.id,
        "refund",
        f"Refund of {money} to the card failed after it had succeeded: {reason}; the customer "
        "has not been paid back",
        actor=actor,
        refund_id=refund.id,
        amount=-refund.payment_amount,
        status="failed",
    )
    audit.record(
        actor,
        "order.refund_failed",
        "order",
        order.id,
        {
            "refund_id": [None, refund.id],
            "refunded": [refund.payment_amount, 0],
            "payment_status": [before, order.payment_status],
        },
    )
    events.record(
        "order.refund_failed",
        order_id=order.id,
        refund_id=refund.id,
        reversed_amount=refund.payment_amount,
    )


def _credit_gift_cards(order: Order, amount: int, *, actor: Actor) -> None:
    for card_id, left in gift_cards_left(order).items():
        part = min(amount, left)
        if part > 0:
            refund_gift_card(card_id, part, order_reference(order), actor=actor, commit=False)
            amount -= part
        if amount == 0:
            return
    raise Conflict(f"Order #{order.number}: the gift cards cannot take back this much.")


def _restock(order: Order, refund: Refund, *, actor: Actor) -> int:
    """Give the refunded lines' units back: those still allocated to the order first (they never
    left), then shipped ones into the warehouse they left. Returns how many units came back."""
    reference = order_reference(order)
    units: dict[int, int] = defaultdict(int)
    for entry in refund.lines:
        line = db.session.get(OrderLine, int(entry["order_line_id"]))
        if line is not None and line.variant_id is not None and not line.is_digital:
            units[line.variant_id] += int(entry["quantity"])
    if not units:
        return 0
    held: dict[int, int] = defaultdict(int)
    for allocation in inventory.allocations(reference):
        held[allocation.variant_id] += allocation.quantity + allocation.backordered
    back = 0
    unshipped = [(v, min(n, held[v])) for v, n in sorted(units.items()) if min(n, held[v]) > 0]
    if unshipped:
        inventory.deallocate_stock(reference, unshipped, actor=actor, commit=False)
        back += sum(n for _, n in unshipped)
    for variant_id, wanted in sorted(units.items()):
        rest = wanted - min(wanted, held[variant_id])
        for warehouse_id, out in _shipped(reference, variant_id):
            n = min(rest, out)
            if n > 0:
                restock = True  # refunded units go back on sale
                inventory.return_stock(
                    variant_id, warehouse_id, n, restock, actor=actor, reference=reference,
                    commit=False,
                )  # fmt: skip
                rest -= n
                back += n
    return back


def _shipped(reference: str, variant_id: int) -> list[tuple[int, int]]:
    """[(warehouse id, units shipped to the order and not returned)] for one variant."""
    out = func.sum(StockMovement.delta).filter(StockMovement.reason.in_(("sold", "returned")))
    rows = db.session.execute(
        select(StockMovement.warehouse_id, out)
        .where(
            StockMovement.reference == reference,
            StockMovement.variant_id == variant_id,
            StockMovement.bucket == "on_hand",
        )
        .group_by(StockMovement.warehouse_id)
        .order_by(StockMovement.warehouse_id)
    ).all()
    return [(warehouse_id, -int(total)) for warehouse_id, total in rows if total and total < 0]
