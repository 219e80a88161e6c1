"""A customer's order history (read only): their placed orders, newest first, and one order with
its lines, as JSON-safe data.

Draft orders (staff still composing them) are not shown. Pages go by keyset on (placed_at, id), so
an order placed while the customer pages never shifts or repeats a row.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import datetime as dt
import json
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import selectinload

from commerce import db
from commerce.errors import InvalidInput, NotFound
from commerce.orders.models import Order, OrderLine

DEFAULT_LIMIT = 20
MAX_LIMIT = 100
HIDDEN_STATUSES = ("draft",)


@dataclasses.dataclass(frozen=True, slots=True)
class OrderPage:
    """One page of a customer's orders and the cursor of the next (None on the last page)."""

    items: list[dict[str, Any]]
    next_cursor: str | None
    limit: int


def _money(amount: int, currency: str) -> dict[str, Any]:
    return {"amount": amount, "currency": currency}


def _item_count(order: Order) -> int:
    return sum(line.quantity for line in order.lines)


def order_summary(order: Order) -> dict[str, Any]:
    """An order as a row of the history list."""
    return {
        "number": order.number,
        "status": order.status,
        "payment_status": order.payment_status,
        "fulfilment_status": order.fulfilment_status,
        "placed_at": order.placed_at.isoformat(),
        "item_count": _item_count(order),
        "total": _money(order.total_amount, order.currency),
    }


def line_data(line: OrderLine, currency: str) -> dict[str, Any]:
    """An order line as sold (its snapshot)."""
    return {
        "id": line.id,
        "sku": line.sku,
        "title": line.title,
        "quantity": line.quantity,
        "unit_price": _money(line.unit_price_amount, currency),
        "discount": _money(line.discount_amount, currency),
        "tax": _money(line.tax_amount, currency),
        "total": _money(line.total_amount, currency),
    }


def order_detail(order: Order) -> dict[str, Any]:
    """An order with its amounts and lines."""
    currency = order.currency
    return {
        "number": order.number,
        "status": order.status,
        "payment_status": order.payment_status,
        "fulfilment_status": order.fulfilment_status,
        "channel": order.channel,
        "email": order.email,
        "placed_at": order.placed_at.isoformat(),
        "shipping_country": order.shipping_country,
        "shipping_address": order.shipping_address,
        "billing_address": order.billing_address,
        "subtotal": _money(order.subtotal_amount, currency),
        "discount": _money(order.discount_amount, currency),
        "shipping": _money(order.shipping_amount, currency),
        "tax": _money(order.tax_amount, currency),
        "total": _money(order.total_amount, currency),
        "lines": [line_data(line, currency) for line in order.lines],
    }


def encode_cursor(placed_at: dt.datetime, order_id: int) -> str:
    """The opaque cursor of the page after the order placed at `placed_at` with id `order_id`."""
    raw = json.dumps({"t": placed_at.isoformat(), "id": order_id}, separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[dt.datetime, int]:
    """The (placed_at, id) a cursor carries. Raises InvalidInput naming `cursor`."""
    invalid = InvalidInput(
        "The cursor is not valid for this list; start again from the first page.",
        fields={"cursor": "is not a cursor of this list"},
    )
    try:
        data = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        placed_at, order_id = dt.datetime.fromisoformat(data["t"]), data["id"]
    except (binascii.Error, ValueError, TypeError, KeyError):
        raise invalid from None
    if type(order_id) is not int or placed_at.tzinfo is None:
        raise invalid
    return placed_at, order_id


def _visible(customer_id: int):
    return and_(Order.customer_id == customer_id, Order.status.not_in(HIDDEN_STATUSES))


def list_orders(
    customer_id: int, *, limit: int = DEFAULT_LIMIT, cursor: str | None = None
) -> OrderPage:
    """One page of the customer's orders, newest first. Raises InvalidInput naming `limit` or
    `cursor`."""
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidInput(
            f"limit: must be between 1 and {MAX_LIMIT}",
            fields={"limit": f"must be between 1 and {MAX_LIMIT}"},
        )
    stmt = (
        select(Order)
        .where(_visible(customer_id))
        .options(selectinload(Order.lines))
        .order_by(Order.placed_at.desc(), Order.id.desc())
        .limit(limit + 1)
    )
    if cursor:
        placed_at, order_id = decode_cursor(cursor)
        stmt = stmt.where(
            or_(
                Order.placed_at < placed_at,
                and_(Order.placed_at == placed_at, Order.id < order_id),
            )
        )
    orders = list(db.session.scalars(stmt))
    more = len(orders) > limit
    orders = orders[:limit]
    next_cursor = encode_cursor(orders[-1].placed_at, orders[-1].id) if more else None
    return OrderPage(items=[order_summary(o) for o in orders], next_cursor=next_cursor, limit=limit)


def get_order(customer_id: int, number: int) -> dict[str, Any]:
    """One of the customer's orders with its lines. Raises NotFound (also for another customer's
    order, so numbers cannot be probed)."""
    if not db.is_id(number):
        raise NotFound(f"Order {number} does not exist.")
    stmt = (
        select(Order)
        .where(_visible(customer_id), Order.number == number)
        .options(selectinload(Order.lines))
    )
    order = db.session.scalar(stmt)
    if order is None:
        raise NotFound(f"Order {number} does not exist.")
    return order_detail(order)


def all_orders(customer_id: int) -> list[dict[str, Any]]:
    """Every order of the customer with its lines, newest first (for the data export)."""
    stmt = (
        select(Order)
        .where(Order.customer_id == customer_id)
        .options(selectinload(Order.lines))
        .order_by(Order.placed_at.desc(), Order.id.desc())
    )
    return [order_detail(order) for order in db.session.scalars(stmt)]
