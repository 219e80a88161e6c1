"""What can still be refunded on an order, and what a refund of order lines is worth.

Refundable: each succeeded payment's amount less what was refunded of it and what refunds in flight
("pending") hold, plus what the order's gift cards paid less what went back onto them (their
ledger) and what pending refunds hold. Pending refunds count, so two refunds at once can never
give back more than was taken (refund_order checks it under the order's row lock).

By line: units k+1..k+q of a line of n units with total T are worth
floor(T*(k+q)/n) - floor(T*k/n), so refunding every unit of a line, in any number of steps, gives
back exactly the line's total and never a cent more.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from typing import Any

from sqlalchemy import func, select

from commerce import db
from commerce.errors import InvalidInput, NotFound
from commerce.orders.models import Order, OrderLine
from commerce.orders.service import order_reference
from commerce.payments.models import Payment, Refund
from commerce.pricing.models import GiftCardTransaction

__all__ = [
    "RefundState",
    "Refundable",
    "gift_cards_left",
    "payment_status",
    "refundable",
    "refunded_lines",
    "refunds_of",
    "state_of",
]


@dataclasses.dataclass(frozen=True, slots=True)
class Refundable:
    """What can still be refunded on an order: `payment` on its payments, `gift_cards` back onto
    its gift cards, and per order line the units not refunded yet."""

    currency: str
    payment: int
    gift_cards: int
    lines: dict[int, int]

    @property
    def total(self) -> int:
        """Everything that can still be refunded."""
        return self.payment + self.gift_cards


@dataclasses.dataclass
class RefundState:
    """An order's refund position as refund_order reads it under the order's lock."""

    payments: list[tuple[Payment, int]]  # succeeded payments, newest first, with what is left
    gift_cards: dict[int, int]  # gift card id -> left to put back (ledger), in applied order
    gift_pending: int
    lines: dict[int, int]

    def refundable(self, currency: str) -> Refundable:
        """The totals of this position."""
        gift = max(0, sum(self.gift_cards.values()) - self.gift_pending)
        return Refundable(currency, sum(left for _, left in self.payments), gift, self.lines)


def refundable(order_id: int) -> Refundable:
    """What can still be refunded on the order (for the refund form). Raises NotFound."""
    order = db.session.get(Order, order_id)
    if order is None:
        raise NotFound(f"Order {order_id} does not exist.")
    return state_of(order).refundable(order.currency)


def refunds_of(order_id: int) -> list[Refund]:
    """The order's refunds, newest first."""
    return list(
        db.session.scalars(
            select(Refund).where(Refund.order_id == order_id).order_by(Refund.id.desc())
        )
    )


def state_of(order: Order) -> RefundState:
    """What the order's payments and gift cards have left to refund (pending refunds hold their
    share), and per line the units not refunded yet (by refunds pending or succeeded)."""
    refunds = db.session.scalars(
        select(Refund).where(Refund.order_id == order.id, Refund.status != "failed")
    ).all()
    pending_on: dict[int, int] = defaultdict(int)
    gift_pending = 0
    units_refunded: dict[int, int] = defaultdict(int)
    for refund in refunds:
        if refund.status == "pending":
            if refund.payment_id is not None:
                pending_on[refund.payment_id] += refund.payment_amount
            gift_pending += refund.gift_card_amount
        for entry in refund.lines:
            units_refunded[int(entry["order_line_id"])] += int(entry["quantity"])
    payments = db.session.scalars(
        select(Payment)
        .where(Payment.order_id == order.id, Payment.status == "succeeded")
        .order_by(Payment.id.desc())
    ).all()
    left = [(p, max(0, p.amount - p.refunded_amount - pending_on[p.id])) for p in payments]
    return RefundState(
        payments=left,
        gift_cards=gift_cards_left(order),
        gift_pending=gift_pending,
        lines={line.id: line.quantity - units_refunded[line.id] for line in order.lines},
    )


def gift_cards_left(order: Order) -> dict[int, int]:
    """{gift card id: what the order spent of it less what went back}, from the cards' ledger,
    in the order the cards were applied."""
    moved = dict(
        db.session.execute(
            select(GiftCardTransaction.gift_card_id, func.sum(GiftCardTransaction.amount))
            .where(
                GiftCardTransaction.reference == order_reference(order),
                GiftCardTransaction.kind.in_(("redeemed", "refunded")),
            )
            .group_by(GiftCardTransaction.gift_card_id)
        ).all()
    )
    applied = [
        int(a["gift_card_id"]) for a in order.adjustments or [] if a.get("kind") == "gift_card"
    ]
    ordered = applied + sorted(set(moved) - set(applied))
    return {card: -int(moved[card]) for card in ordered if card in moved and moved[card] < 0}


def payment_status(order: Order) -> str:
    """paid, partially_refunded or refunded, from what the payments and gift cards took and what
    went back to them."""
    taken, back = db.session.execute(
        select(
            func.coalesce(func.sum(Payment.amount), 0),
            func.coalesce(func.sum(Payment.refunded_amount), 0),
        ).where(Payment.order_id == order.id, Payment.status == "succeeded")
    ).one()
    gift = db.session.execute(
        select(
            func.coalesce(
                func.sum(-GiftCardTransaction.amount).filter(
                    GiftCardTransaction.kind == "redeemed"
                ),
                0,
            ),
            func.coalesce(
                func.sum(GiftCardTransaction.amount).filter(GiftCardTransaction.kind == "refunded"),
                0,
            ),
        ).where(GiftCardTransaction.reference == order_reference(order))
    ).one()
    taken, back = int(taken) + int(gift[0]), int(back) + int(gift[1])
    if back <= 0:
        return "paid"
    return "refunded" if back >= taken else "partially_refunded"


def refunded_lines(
    order: Order, wanted: dict[int, int], left: dict[int, int]
) -> list[dict[str, Any]]:
    """[{order_line_id, sku, quantity, amount}] for `wanted`, amounts by the cumulative rounding
    rule of the module docstring. Raises InvalidInput naming `lines.<id>`."""
    by_id: dict[int, OrderLine] = {line.id: line for line in order.lines}
    out = []
    for line_id, quantity in sorted(wanted.items()):
        line = by_id.get(line_id)
        if line is None:
            raise InvalidInput(
                f"lines: line {line_id} is not on order #{order.number}",
                fields={f"lines.{line_id}": "not on this order"},
            )
        units_left = left.get(line_id, 0)
        if quantity > units_left:
            raise InvalidInput(
                f"lines: only {units_left} of {line.sku} can still be refunded",
                fields={f"lines.{line_id}": f"at most {units_left}"},
            )
        done = line.quantity - units_left
        total, n = line.total_amount, line.quantity
        amount = total * (done + quantity) // n - total * done // n
        out.append(
            {"order_line_id": line.id, "sku": line.sku, "quantity": quantity, "amount": amount}
        )
    return out
