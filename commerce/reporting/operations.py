"""Read-side queries for the operations dashboard: the backlog of orders waiting to ship, time
to ship, returns and payment failures.

These read the orders, shipments, returns and payments themselves (there is no rollup of them):
each query is one aggregate over the chosen range, so it stays well under a second at 1,000,000
orders. Weeks start on Monday (UTC); durations are hours.
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


def time_to_ship(f: OperationsFilter) -> list[dict[str, Any]]:
    """Hours from placing an order to its first shipment leaving, by week the order was placed:
    [{week, orders, median_hours, p90_hours}] (orders placed in `f` that have shipped; p90 by
    linear interpolation). Raises nothing of its own."""
    return _rows(
        """
        WITH shipped AS (
            SELECT o.placed_at, min(s.shipped_at) AS first_shipped
            FROM orders o JOIN shipments s ON s.order_id = o.id
            WHERE o.placed_at >= :start AND o.placed_at < :end
              AND (CAST(:channel AS text) IS NULL OR o.channel = :channel)
              AND s.shipped_at IS NOT NULL
            GROUP BY o.id, o.placed_at
        )
        SELECT CAST(date_trunc('week', placed_at AT TIME ZONE 'UTC') AS date) AS week,
               count(*) AS orders,
               percentile_cont(0.5) WITHIN GROUP (
                   ORDER BY extract(epoch FROM first_shipped - placed_at) / 3600.0
               ) AS median_hours,
               percentile_cont(0.9) WITHIN GROUP (
                   ORDER BY extract(epoch FROM first_shipped - placed_at) / 3600.0
               ) AS p90_hours
        FROM shipped GROUP BY 1 ORDER BY 1
        """,
        **f.params,
    )


def returns_summary(f: OperationsFilter) -> dict[str, Any]:
    """Units sold in orders placed in `f` (paid or later), the units of them asked back in returns
    that were not rejected, the return rate (returned / sold, None without sales) and
    [{reason, units}] by return line reason, most first. Raises nothing of its own."""
    sold = db.session.execute(
        text(
            "SELECT coalesce(sum(l.quantity), 0) FROM orders o"
            " JOIN order_lines l ON l.order_id = o.id"
            " WHERE o.status IN"
            " ('paid', 'partially_fulfilled', 'fulfilled', 'delivered', 'on_hold')"
            " AND o.placed_at >= :start AND o.placed_at < :end"
            " AND (CAST(:channel AS text) IS NULL OR o.channel = :channel)"
        ),
        f.params,
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


def payment_failures(f: OperationsFilter) -> list[dict[str, Any]]:
    """Payment attempts made in `f` (succeeded, failed or cancelled) by week and provider:
    [{week, provider, attempts, failures, rate}] with rate = failures / attempts. Raises nothing
    of its own."""
    rows = _rows(
        """
        SELECT CAST(date_trunc('week', p.created_at AT TIME ZONE 'UTC') AS date) AS week,
               p.provider,
               count(*) AS attempts,
               count(*) FILTER (WHERE p.status IN ('failed', 'cancelled')) AS failures
        FROM payments p JOIN orders o ON o.id = p.order_id
        WHERE p.created_at >= :start AND p.created_at < :end
          AND p.status IN ('succeeded', 'failed', 'cancelled')
          AND (CAST(:channel AS text) IS NULL OR o.channel = :channel)
        GROUP BY 1, 2 ORDER BY 1, 2
        """,
        **f.params,
    )
    for row in rows:
        row["rate"] = row["failures"] / row["attempts"]
    return rows
