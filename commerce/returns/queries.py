"""Reads of returns: an order's returns (the order page's panel), a customer's returns and one of
them as JSON-safe data (the storefront API)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from commerce import db
from commerce.errors import NotFound
from commerce.orders.models import Order, OrderLine
from commerce.returns.models import Return, ReturnLine

MAX_CUSTOMER_RETURNS = 100


def _loaded():
    return (
        selectinload(Return.lines).joinedload(ReturnLine.order_line),
        selectinload(Return.order),
    )


def returns_for_order(order_id: int) -> list[Return]:
    """The order's returns, oldest first, with their lines and order lines loaded."""
    stmt = select(Return).where(Return.order_id == order_id).options(*_loaded()).order_by(Return.id)
    return list(db.session.scalars(stmt))


def customer_returns(customer_id: int) -> list[dict[str, Any]]:
    """The customer's returns (their newest MAX_CUSTOMER_RETURNS), newest first, as API data."""
    stmt = (
        select(Return)
        .where(Return.customer_id == customer_id)
        .options(*_loaded())
        .order_by(Return.id.desc())
        .limit(MAX_CUSTOMER_RETURNS)
    )
    return [return_data(ret) for ret in db.session.scalars(stmt)]


def customer_return(customer_id: int, return_id: int) -> dict[str, Any]:
    """One of the customer's returns as API data. Raises NotFound (also for another customer's
    return, so ids cannot be probed)."""
    ret = None
    if db.is_id(return_id):
        ret = db.session.scalar(
            select(Return)
            .where(Return.id == return_id, Return.customer_id == customer_id)
            .options(*_loaded())
        )
    if ret is None:
        raise NotFound(f"Return {return_id} does not exist.")
    return return_data(ret)


def line_ids_by_sku(order_id: int) -> dict[str, list[int]]:
    """{sku: [order line ids]} of an order, for a customer naming lines by SKU."""
    found: dict[str, list[int]] = {}
    rows = db.session.execute(
        select(OrderLine.sku, OrderLine.id).where(OrderLine.order_id == order_id)
    )
    for sku, line_id in rows:
        found.setdefault(sku, []).append(line_id)
    return found


def customer_order_id(customer_id: int, number: int) -> int:
    """The id of the customer's order `number`. Raises NotFound (also for another customer's
    order)."""
    order_id = None
    if db.is_id(number):
        order_id = db.session.scalar(
            select(Order.id).where(
                Order.number == number,
                Order.customer_id == customer_id,
                Order.status != "draft",
            )
        )
    if order_id is None:
        raise NotFound(f"Order {number} does not exist.")
    return order_id


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def return_data(ret: Return) -> dict[str, Any]:
    """A return as the customer sees it (no staff note, no staff names)."""
    return {
        "id": ret.id,
        "number": ret.number,
        "reference": ret.reference,
        "order_number": ret.order.number,
        "status": ret.status,
        "reason": ret.reason,
        "note": ret.customer_note,
        "rejection_reason": ret.rejection_reason,
        "resolution": ret.resolution if ret.status == "refunded" else None,
        "refund": (
            {"amount": ret.refund_amount, "currency": ret.currency}
            if ret.refund_amount is not None and ret.status == "refunded"
            else None
        ),
        "created_at": ret.created_at.isoformat(),
        "approved_at": _iso(ret.approved_at),
        "rejected_at": _iso(ret.rejected_at),
        "received_at": _iso(ret.received_at),
        "resolved_at": _iso(ret.resolved_at),
        "closed_at": _iso(ret.closed_at),
        "lines": [
            {
                "order_line_id": line.order_line_id,
                "sku": line.order_line.sku,
                "title": line.order_line.title,
                "quantity": line.quantity,
                "reason": line.reason_code,
                "received_quantity": line.received_quantity,
            }
            for line in ret.lines
        ],
    }
