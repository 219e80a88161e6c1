"""Read-side queries for the operations dashboard: the backlog of orders waiting to ship, time
to ship, returns and payment failures, and the `shipped_orders` rollup time to ship reads.

The backlog, returns and payment failures read the orders, returns and payments themselves (the
units sold, for the return rate, come from the sales rollup): each is one aggregate over the
chosen range. Time to ship needs each order's *first* shipment (the
earliest `shipped_at` of any of its shipments, whatever their sequence or later status), which
over a year of orders is too slow to find on every click; `shipped_orders` keeps it, one row per
shipped order, rewritten by the shipment and order event handlers (`refresh_shipped_order`) and
rebuilt nightly (`rebuild_shipped_orders`). Weeks start on Monday (UTC); durations are hours.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

from sqlalchemy import text

from commerce import db
from commerce.errors import InvalidInput

# Orders that have been paid for and still have something to send (on_hold is its own status).
WAITING_STATUSES = ("paid", "partially_fulfilled")
# Orders whose units count as sold (as in the sales rollups).
SOLD_STATUSES = ("paid", "partially_fulfilled", "fulfilled", "delivered", "on_hold")
# A payment attempt either went through or did not; pending and authorized ones are undecided.
ATTEMPT_STATUSES = ("succeeded", "failed", "cancelled")
FAILED_STATUSES = ("failed", "cancelled")
# (label, from hours, to hours) of a waiting order's age.
AGE_BUCKETS = (
    ("under 1 day", 0, 24),
    ("1-2 days", 24, 72),
    ("3-7 days", 72, 192),
    ("over 7 days", 192, None),
)


@dataclasses.dataclass(frozen=True, slots=True)
class OperationsFilter:
    """Orders placed (payments made) on UTC days `start`..`end` inclusive, optionally of one
    channel."""

    start: dt.date
    end: dt.date
    channel: str | None = None

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise InvalidInput(f"end {self.end} is before start {self.start}")

    @property
    def params(self) -> dict[str, Any]:
        return {
            "start": dt.datetime.combine(self.start, dt.time(), tzinfo=dt.UTC),
            "end": dt.datetime.combine(self.end + dt.timedelta(days=1), dt.time(), tzinfo=dt.UTC),
            "channel": self.channel,
        }


def _rows(sql: str, **params: Any) -> list[dict[str, Any]]:
    return [dict(row._mapping) for row in db.session.execute(text(sql), params)]


def has_orders(f: OperationsFilter) -> bool:
    """Whether any order was placed in `f`'s range (and channel): else the page shows its empty
    state. Raises nothing of its own."""
    found = db.session.execute(
        text(
            "SELECT EXISTS (SELECT 1 FROM orders WHERE placed_at >= :start AND placed_at < :end"
            " AND (CAST(:channel AS text) IS NULL OR channel = :channel))"
        ),
        f.params,
    ).scalar()
    return bool(found)


def waiting_to_ship(
    channel: str | None, *, now: dt.datetime | None = None, limit: int = 20
) -> dict[str, Any]:
    """The orders waiting to ship now (paid or partially fulfilled): {"buckets": [{bucket,
    orders, oldest_hours}] in AGE_BUCKETS order, "oldest": the `limit` oldest [{id, number,
    placed_at, age_hours, status, channel}]}. Raises nothing of its own."""
    now = now or dt.datetime.now(dt.UTC)
    ages = _rows(
        "SELECT extract(epoch FROM :now - placed_at) / 3600.0 AS hours FROM orders"
        " WHERE status IN ('paid', 'partially_fulfilled')"
        " AND (CAST(:channel AS text) IS NULL OR channel = :channel)",
        now=now,
        channel=channel,
    )
    buckets = []
    for label, low, high in AGE_BUCKETS:
        inside = [
            row["hours"]
            for row in ages
            if (low == 0 or row["hours"] >= low) and (high is None or row["hours"] < high)
        ]
        oldest_hours = max(inside, default=None)
        buckets.append({"bucket": label, "orders": len(inside), "oldest_hours": oldest_hours})
    oldest = _rows(
        "SELECT id, number, placed_at, status, channel,"
        " extract(epoch FROM :now - placed_at) / 3600.0 AS age_hours"
        " FROM orders WHERE status IN ('paid', 'partially_fulfilled')"
        " AND (CAST(:channel AS text) IS NULL OR channel = :channel)"
        " ORDER BY placed_at, id LIMIT :limit",
        now=now,
        channel=channel,
        limit=limit,
    )
    return {"buckets": buckets, "oldest": oldest}


# --- the rollup: shipped_orders ------------------------------------------------------------

# One lock for every shipped_orders write: each statement after it sees every commit before it,
# so a refresh never writes figures older than the rows another refresh already wrote.
_SHIPPED_LOCK_KEY = 0x5417_0DE5
# One rebuild transaction covers this many order ids.
REBUILD_CHUNK_ORDERS = 100_000

_SHIPPED_UPSERT = """
INSERT INTO shipped_orders (order_id, placed_at, channel, hours_to_ship)
SELECT o.id, o.placed_at, o.channel, extract(epoch FROM min(s.shipped_at) - o.placed_at) / 3600.0
FROM orders o JOIN shipments s ON s.order_id = o.id
WHERE o.id BETWEEN :first AND :last AND s.shipped_at IS NOT NULL
GROUP BY o.id
ON CONFLICT (order_id) DO UPDATE
SET placed_at = excluded.placed_at, channel = excluded.channel,
    hours_to_ship = excluded.hours_to_ship
WHERE (shipped_orders.placed_at, shipped_orders.channel, shipped_orders.hours_to_ship)
      IS DISTINCT FROM (excluded.placed_at, excluded.channel, excluded.hours_to_ship)
"""

# Rows of orders that no longer exist or no longer have a shipment that left.
_SHIPPED_PRUNE = """
DELETE FROM shipped_orders t
WHERE t.order_id BETWEEN :first AND :last
  AND NOT EXISTS (SELECT 1 FROM orders o JOIN shipments s ON s.order_id = o.id
                  WHERE o.id = t.order_id AND s.shipped_at IS NOT NULL)
"""


def refresh_shipped_orders(first_id: int, last_id: int, *, commit: bool = True) -> None:
    """Rewrite the shipped_orders rows of the orders with ids `first_id`..`last_id` from their
    orders and shipments, in one transaction (idempotent; unchanged rows are not written).
    Raises InvalidInput if `last_id` is below `first_id`."""
    if last_id < first_id:
        raise InvalidInput(f"last order id {last_id} is below first order id {first_id}")
    session = db.session
    params = {"first": first_id, "last": last_id}
    session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _SHIPPED_LOCK_KEY})
    session.execute(text(_SHIPPED_UPSERT), params)
    session.execute(text(_SHIPPED_PRUNE), params)
    if commit:
        session.commit()


def refresh_shipped_order(order_id: int, *, commit: bool = True) -> bool:
    """Rewrite the order's shipped_orders row (none unless a shipment of it has left); returns
    whether it has one now. Raises nothing of its own."""
    refresh_shipped_orders(order_id, order_id, commit=False)
    found = db.session.execute(
        text("SELECT EXISTS (SELECT 1 FROM shipped_orders WHERE order_id = :id)"),
        {"id": order_id},
    ).scalar_one()
    if commit:
        db.session.commit()
    return bool(found)


def rebuild_shipped_orders() -> str:
    """The nightly job: rewrite every order's shipped_orders row, REBUILD_CHUNK_ORDERS order ids
    per transaction, and drop rows of orders that are gone. Raises nothing of its own."""
    low, high = db.session.execute(
        text(
            "SELECT least((SELECT min(id) FROM orders),"
            " (SELECT min(order_id) FROM shipped_orders)),"
            " greatest((SELECT max(id) FROM orders), (SELECT max(order_id) FROM shipped_orders))"
        )
    ).one()
    db.session.rollback()
    if low is None:
        return "no orders"
    for first in range(low, high + 1, REBUILD_CHUNK_ORDERS):
        refresh_shipped_orders(first, min(first + REBUILD_CHUNK_ORDERS - 1, high))
    shipped = db.session.scalar(text("SELECT count(*) FROM shipped_orders"))
    db.session.rollback()
    return f"rebuilt orders {low} .. {high}: {shipped} shipped"


# --- the dashboard's figures ---------------------------------------------------------------


def time_to_ship(f: OperationsFilter) -> list[dict[str, Any]]:
    """Hours from placing an order to its first shipment leaving, by week the order was placed:
    [{week, orders, median_hours, p90_hours}] (orders placed in `f` that have shipped; p90 by
    linear interpolation), read from shipped_orders. Raises nothing of its own."""
    return _rows(
        """
        SELECT CAST(date_trunc('week', placed_at AT TIME ZONE 'UTC') AS date) AS week,
               count(*) AS orders,
               percentile_cont(0.5) WITHIN GROUP (ORDER BY hours_to_ship) AS median_hours,
               percentile_cont(0.9) WITHIN GROUP (ORDER BY hours_to_ship) AS p90_hours
        FROM shipped_orders
        WHERE placed_at >= :start AND placed_at < :end
          AND (CAST(:channel AS text) IS NULL OR channel = :channel)
        GROUP BY 1 ORDER BY 1
        """,
        **f.params,
    )


def returns_summary(f: OperationsFilter) -> dict[str, Any]:
    """Units sold in orders placed in `f` (paid or later), the units of them asked back in returns
    that were not rejected, the return rate (returned / sold, None without sales) and
    [{reason, units}] by return line reason, most first. Raises nothing of its own."""
    # The units of the sales rollup's orders (every status but draft, pending_payment and
    # cancelled: SOLD_STATUSES) placed on these UTC days, in every currency and country.
    sold = db.session.execute(
        text(
            "SELECT coalesce(sum(units), 0) FROM sales_daily"
            " WHERE day BETWEEN :first AND :last"
            " AND (CAST(:channel AS text) IS NULL OR channel = :channel)"
        ),
        {"first": f.start, "last": f.end, "channel": f.channel},
    ).scalar_one()
    reasons = _rows(
        """
        SELECT rl.reason_code AS reason, sum(rl.quantity) AS units
        FROM orders o
        JOIN returns r ON r.order_id = o.id
        JOIN return_lines rl ON rl.return_id = r.id
        WHERE o.status IN ('paid', 'partially_fulfilled', 'fulfilled', 'delivered', 'on_hold')
          AND o.placed_at >= :start AND o.placed_at < :end
          AND (CAST(:channel AS text) IS NULL OR o.channel = :channel)
          AND r.status <> 'rejected'
        GROUP BY 1 ORDER BY 2 DESC, 1
        """,
        **f.params,
    )
    returned = sum(int(row["units"]) for row in reasons)
    sold = int(sold)
    return {
        "sold": sold,
        "returned": returned,
        "rate": returned / sold if sold else None,
        "reasons": [{"reason": row["reason"], "units": int(row["units"])} for row in reasons],
    }


_PAYMENT_ATTEMPTS = """
SELECT CAST(date_trunc('week', p.created_at AT TIME ZONE 'UTC') AS date) AS week,
       p.provider,
       count(*) AS attempts,
       count(*) FILTER (WHERE p.status IN ('failed', 'cancelled')) AS failures
FROM payments p
WHERE p.created_at >= :start AND p.created_at < :end
  AND p.status IN ('succeeded', 'failed', 'cancelled') {channel}
GROUP BY 1, 2 ORDER BY 1, 2
"""
# Every payment has its order: the orders are read only to choose a channel.
_PAYMENT_FAILURES = {
    False: _PAYMENT_ATTEMPTS.format(channel=""),
    True: _PAYMENT_ATTEMPTS.format(
        channel="AND p.order_id IN (SELECT id FROM orders WHERE channel = :channel)"
    ),
}


def payment_failures(f: OperationsFilter) -> list[dict[str, Any]]:
    """Payment attempts made in `f` (succeeded, failed or cancelled) by week and provider:
    [{week, provider, attempts, failures, rate}] with rate = failures / attempts. Raises nothing
    of its own."""
    rows = _rows(_PAYMENT_FAILURES[f.channel is not None], **f.params)
    for row in rows:
        row["rate"] = row["failures"] / row["attempts"]
    return rows
