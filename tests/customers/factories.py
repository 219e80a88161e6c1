"""Customer test factories: accounts through the services, orders made directly (placed orders
come from checkout, which these tests do not exercise)."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

from commerce import db
from commerce.audit import Actor
from commerce.customers import accounts
from commerce.customers.accounts import AccessGrant
from commerce.db import utcnow
from commerce.orders.models import Order, OrderLine

PASSWORD = "a long and winding road"
ANONYMOUS = Actor(kind="customer", label="storefront", ip="203.0.113.9")
_counter = itertools.count(1)


def register(**overrides: Any) -> AccessGrant:
    """Register a customer through the service; returns the grant (customer + access token)."""
    n = next(_counter)
    values: dict[str, Any] = {
        "email": f"shopper{n}@example.com",
        "password": PASSWORD,
        "first_name": "Ada",
        "last_name": f"Lovelace{n}",
        "country": "DE",
        "accepts_marketing": False,
    }
    values.update(overrides)
    return accounts.register(actor=ANONYMOUS, **values)


def make_order(
    customer_id: int | None,
    *,
    lines: tuple[tuple[int, int], ...] = ((1, 2500),),
    status: str = "delivered",
    placed_at: dt.datetime | None = None,
    **overrides: Any,
) -> Order:
    """A placed order of `lines` ((quantity, unit price), ...) in EUR for the customer."""
    n = next(_counter)
    order_lines = [
        OrderLine(
            sku=f"SKU-{n}-{i}",
            title=f"Item {i}",
            quantity=quantity,
            unit_price_amount=price,
            total_amount=quantity * price,
        )
        for i, (quantity, price) in enumerate(lines)
    ]
    subtotal = sum(line.total_amount for line in order_lines)
    values: dict[str, Any] = {
        "customer_id": customer_id,
        "email": f"buyer{n}@example.com",
        "status": status,
        "payment_status": "paid",
        "currency": "EUR",
        "subtotal_amount": subtotal,
        "total_amount": subtotal,
        "placed_at": placed_at or utcnow(),
        "lines": order_lines,
    }
    values.update(overrides)
    order = Order(**values)
    db.session.add(order)
    db.session.commit()
    return order
