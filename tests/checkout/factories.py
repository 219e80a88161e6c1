"""Orders made directly (checkout's own tests place them through the service)."""

from __future__ import annotations

import itertools

from commerce import db
from commerce.db import utcnow
from commerce.orders.models import Order, OrderLine

_counter = itertools.count(1)


def make_order(*, lines=((1, 2500),), payment_method="stripe", **overrides) -> Order:
    """A placed, unpaid order of `lines` ((quantity, unit price), ...) in EUR (committed)."""
    n = next(_counter)
    order_lines = [
        OrderLine(
            sku=f"SKU-{n}-{i}",
            title=f"Item {i}",
            quantity=quantity,
            unit_price_amount=price,
            total_amount=quantity * price,
            **({"variant": variant} if (variant := overrides.pop(f"variant_{i}", None)) else {}),
            is_digital=overrides.pop(f"digital_{i}", False),
        )
        for i, (quantity, price) in enumerate(lines)
    ]
    subtotal = sum(line.total_amount for line in order_lines)
    values = {
        "email": f"buyer{n}@example.com",
        "status": "pending_payment",
        "payment_status": "pending",
        "currency": "EUR",
        "subtotal_amount": subtotal,
        "total_amount": subtotal,
        "placed_at": utcnow(),
        "payment_method": payment_method,
        "lines": order_lines,
    }
    values.update(overrides)
    order = Order(**values)
    db.session.add(order)
    db.session.commit()
    return order
