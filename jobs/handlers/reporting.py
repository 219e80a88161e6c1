"""Reporting handlers: keep the rollups right as orders, refunds and shipments change.

Every order event recomputes each day the order counts on (its placed day and its refunds' issue
days), its customer's months and its shipped_orders row from the raw rows; every shipment event
that can set a `shipped_at` recomputes its order's shipped_orders row. So a handler that runs
twice, late or out of order leaves the same figures. The nightly rebuilds (jobs/schedule.py) mend
anything an event missed.
"""

from __future__ import annotations

from typing import Any

from commerce.reporting import customers, operations, rollups
from jobs.registry import subscribe

ORDER_EVENTS = (
    "order.placed",
    "order.paid",
    "order.status_changed",
    "order.cancelled",
    "order.refunded",
    "order.refund_failed",
    "order.edited",
)
# A parcel leaves with `shipment.shipped`, with `shipment.delivered` when no "shipped" update came
# first, and with `shipment.documents_ready` when staff had entered its tracking number.
SHIPMENT_EVENTS = ("shipment.shipped", "shipment.delivered", "shipment.documents_ready")


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


def refresh_shipped_order_rollup(event: dict[str, Any]) -> str:
    """Rewrite the shipped_orders row of the event's order (an order or shipment event). Raises
    what the database raises (the job is retried)."""
    order_id = int(event["payload"]["order_id"])
    if operations.refresh_shipped_order(order_id):
        return f"refreshed order {order_id}: shipped"
    return f"refreshed order {order_id}: nothing shipped"


for _name in ORDER_EVENTS:
    subscribe(_name)(refresh_order_rollups)
    subscribe(_name)(refresh_customer_rollups)
    subscribe(_name)(refresh_shipped_order_rollup)
for _name in SHIPMENT_EVENTS:
    subscribe(_name)(refresh_shipped_order_rollup)
