"""A customer's order figures for the back-office (read only): how many orders, the first and
last, and the lifetime value.

Lifetime value, per currency, is what the customer paid us and we kept: the totals of their
orders whose payment was collected (payment status paid, partially_refunded or refunded; gift
cards count, being money paid earlier) minus what was refunded on those orders. Refunds are the
succeeded rows of the refunds ledger (payments.models.Refund: to the card and back onto gift
cards) where that ledger exists; without it, the refunded total each payment carries
(`payments.refunded_amount`). Orders still in draft are not orders yet and count nowhere.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

from sqlalchemy import Select, func, select

from commerce import db
from commerce.orders.models import Order
from commerce.payments import models as payment_models
from commerce.payments.models import Payment

NOT_PLACED = ("draft",)
COLLECTED_PAYMENT_STATUSES = ("paid", "partially_refunded", "refunded")


@dataclasses.dataclass(frozen=True, slots=True)
class OrderStats:
    """A customer's order count, first and last order date, and lifetime value per currency
    ({currency: minor units}, paid totals less refunds) with the refunds it subtracted."""

    order_count: int
    first_order_at: dt.datetime | None
    last_order_at: dt.datetime | None
    lifetime_value: dict[str, int]
    refunded: dict[str, int]


def _refunded(collected: tuple[Any, ...]) -> Select[tuple[str, int]]:
    """{currency: refunded} of the collected orders, from the refunds ledger when it exists."""
    refund = getattr(payment_models, "Refund", None)
    if refund is not None:
        return (
            select(Order.currency, func.sum(refund.amount))
            .join(refund, refund.order_id == Order.id)
            .where(*collected, refund.status == "succeeded")
            .group_by(Order.currency)
        )
    return (
        select(Order.currency, func.sum(Payment.refunded_amount))
        .join(Payment, Payment.order_id == Order.id)
        .where(*collected, Payment.refunded_amount > 0)
        .group_by(Order.currency)
    )


def order_stats(customer_id: int) -> OrderStats:
    """The customer's order figures (three small queries on the customer's orders)."""
    placed = (Order.customer_id == customer_id, Order.status.not_in(NOT_PLACED))
    count, first, last = db.session.execute(
        select(func.count(), func.min(Order.placed_at), func.max(Order.placed_at)).where(*placed)
    ).one()
    collected = (*placed, Order.payment_status.in_(COLLECTED_PAYMENT_STATUSES))
    paid = {
        currency: total
        for currency, total in db.session.execute(
            select(Order.currency, func.sum(Order.total_amount))
            .where(*collected)
            .group_by(Order.currency)
        )
    }
    refunded = {currency: amount for currency, amount in db.session.execute(_refunded(collected))}
    value = {
        currency: int(total) - int(refunded.get(currency, 0))
        for currency, total in sorted(paid.items())
    }
    return OrderStats(
        order_count=count,
        first_order_at=first,
        last_order_at=last,
        lifetime_value=value,
        refunded={currency: int(amount) for currency, amount in sorted(refunded.items())},
    )
