"""Reporting handlers: keep the daily sales rollups right as orders and refunds change.

Every order event recomputes each day the order counts on (its placed day and its refunds' issue
days) from the raw rows, so a handler that runs twice, late or out of order leaves the same
figures. The nightly `rebuild_all` (jobs/schedule.py) mends anything an event missed.
"""

from __future__ import annotations

from typing import Any

from commerce.reporting import customers, rollups
from jobs.registry import subscribe

ORDER_EVENTS = (
    "order.placed",
    "order.paid",
    "order.status_changed",
    "order.cancelled",
    "order.refunded",
    "order.refund_failed",
)


def refresh_order_rollups(event: dict[str, Any]) -> str:
    """Recompute the rollup days of the event's order. Raises what the database raises (the job
    is retried)."""
    order_id = int(event["payload"]["order_id"])
    days = rollups.refresh_order(order_id)
    if not days:
        return "skipped: order no longer exists"
    return "refreshed " + ", ".join(day.isoformat() for day in days)


def refresh_customer_rollups(event: dict[str, Any]) -> str:
    """Rewrite the customer_months rows of the event's order's customer. Raises what the database
    raises (the job is retried)."""
    customer_id = customers.refresh_order_customer(int(event["payload"]["order_id"]))
    if customer_id is None:
        return "skipped: a guest order, or no longer exists"
    return f"refreshed customer {customer_id}"


for _name in ORDER_EVENTS:
    subscribe(_name)(refresh_order_rollups)
    subscribe(_name)(refresh_customer_rollups)
