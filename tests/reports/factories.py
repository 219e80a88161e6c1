"""A small shop of orders, refunds and stock for the report tests, and the expected figures
worked out from the same plain values in Python (not through the report code's SQL)."""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal

from commerce import db
from commerce.payments.models import Refund
from tests.checkout.factories import make_order

_refunds = itertools.count(1)
COUNTED = ("paid", "fulfilled", "delivered", "on_hold", "partially_fulfilled")


def at(day: str, hour: int = 12) -> dt.datetime:
    return dt.datetime.combine(dt.date.fromisoformat(day), dt.time(hour), tzinfo=dt.UTC)


def place(day: str, *, status="paid", lines=((1, 2500),), discount=0, shipping=0, tax_lines=(),
          country="DE", currency="EUR", hour=12):  # fmt: skip
    """An order placed on `day` with tax added on top (its tax = the sum of `tax_lines`)."""
    subtotal = sum(q * p for q, p in lines)
    tax = sum(t["tax_amount"] for t in tax_lines)
    return make_order(
        lines=lines,
        status=status,
        payment_status="paid" if status in COUNTED else "pending",
        placed_at=at(day, hour),
        discount_amount=discount,
        shipping_amount=shipping,
        tax_amount=tax,
        total_amount=subtotal - discount + shipping + tax,
        tax_lines=[dict(t) for t in tax_lines],
        shipping_country=country,
        currency=currency,
    )


def refund(order, amount: int, day: str, status: str = "succeeded") -> Refund:
    """A refund of `amount` onto gift cards (no payment row needed), issued on `day`."""
    row = Refund(
        order_id=order.id,
        provider="gift_card",
        amount=amount,
        payment_amount=0,
        gift_card_amount=amount,
        currency=order.currency,
        reason="test",
        status=status,
        idempotency_key=f"test-refund-{next(_refunds)}",
        actor_kind="system",
        created_at=at(day, 15),
    )
    db.session.add(row)
    db.session.commit()
    return row


def vat(rate: str, taxable: int) -> dict:
    tax = int((Decimal(rate) * taxable).quantize(Decimal(1)))
    return {"name": "VAT", "rate": rate, "taxable_amount": taxable, "tax_amount": tax}


def money(minor: int, places: int = 2) -> str:
    """Minor units as the CSV writes them ("25.00")."""
    return f"{Decimal(minor).scaleb(-places):.{places}f}"
