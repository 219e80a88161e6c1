"""Read-side queries for the customers dashboard: new and returning customers, cohort retention,
lifetime value and sales by country or US state, and the `customer_months` rollup they read.

What the figures mean:

- Counted orders are the rollups' sales (commerce.reporting.rollups): every status but draft,
  pending_payment and cancelled. An order's *value* is its net sales: subtotal - discounts -
  its succeeded refunds (shipping and tax left out, as in the sales dashboard).
- A customer is a customer account (`orders.customer_id`). Guest orders are left out of the
  customer figures: a guest's email is no identity (typos, shared inboxes, and a guest who later
  signs up would count twice); their sales still show on the map and on the sales dashboard.
- A customer's *first order* is their first counted order anywhere (any country, channel or
  currency): they are *new* in the month of it and *returning* in every later month they order.
  The country and channel filters narrow the orders looked at, never the first order.
- Months are UTC calendar months; the date range picks the months that overlap it.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

from sqlalchemy import text

from commerce import db
from commerce.errors import InvalidInput

COUNTED = "o.status NOT IN ('draft', 'pending_payment', 'cancelled')"
LTV_BINS = 20


@dataclasses.dataclass(frozen=True, slots=True)
class CustomerFilter:
    """Which orders to look at: UTC days `start`..`end` inclusive, one currency, optionally one
    shipping country ('' for none) and channel."""

    start: dt.date
    end: dt.date
    currency: str
    country: str | None = None
    channel: str | None = None

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise InvalidInput(f"end {self.end} is before start {self.start}")

    def params(self) -> dict[str, Any]:
        """Bind parameters: the first and last month of the range, currency, country, channel."""
        return {
            "first": self.start.replace(day=1),
            "last": self.end.replace(day=1),
            "currency": self.currency,
            "country": self.country,
            "channel": self.channel,
        }


def _next_month(month: dt.date) -> dt.date:
    return (month.replace(day=28) + dt.timedelta(days=4)).replace(day=1)


def months(f: CustomerFilter) -> list[dt.date]:
    """The first days of the months overlapping `f`'s range."""
    out, month = [], f.start.replace(day=1)
    while month <= f.end:
        out.append(month)
        month = _next_month(month)
    return out


# --- the rollup: customer_months ------------------------------------------------------------

# One lock for every customer rollup write (not the sales rollups' lock: they do not overlap).
_LOCK_KEY = 0xC057_0E25

_REFRESH_SQL = f"""
INSERT INTO customer_months (customer_id, month, first_month, currency, country, channel,
    orders, net_amount)
WITH refunded AS (
    SELECT r.order_id, sum(r.amount) AS amount
    FROM refunds r JOIN orders o ON o.id = r.order_id
    WHERE r.status = 'succeeded' AND {COUNTED} AND o.customer_id = ANY(:ids)
    GROUP BY 1
), counted AS (
    SELECT o.customer_id, date_trunc('month', o.placed_at AT TIME ZONE 'UTC')::date AS month,
           o.currency, coalesce(o.shipping_country, '') AS country, o.channel,
           o.subtotal_amount - o.discount_amount - coalesce(r.amount, 0) AS net
    FROM orders o LEFT JOIN refunded r ON r.order_id = o.id
    WHERE {COUNTED} AND o.customer_id = ANY(:ids)
)
SELECT customer_id, month, min(min(month)) OVER (PARTITION BY customer_id), currency, country,
       channel, count(*), sum(net)
FROM counted
GROUP BY customer_id, month, currency, country, channel
"""  # noqa: S608  (constants)


def refresh_customers(customer_ids: list[int], *, commit: bool = True) -> None:
    """Rewrite the customer_months rows of `customer_ids` from their orders and refunds, in one
    transaction (idempotent). Raises nothing of its own."""
    ids = sorted({int(i) for i in customer_ids})
    if not ids:
        return
    session = db.session
    session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _LOCK_KEY})
    session.execute(text("DELETE FROM customer_months WHERE customer_id = ANY(:ids)"), {"ids": ids})
    session.execute(text(_REFRESH_SQL), {"ids": ids})
    if commit:
        session.commit()


def refresh_order_customer(order_id: int, *, commit: bool = True) -> int | None:
    """Rewrite the rows of the order's customer; returns the customer id, or None for a guest
    order or a missing one. Raises nothing of its own."""
    customer_id = db.session.scalar(
        text("SELECT customer_id FROM orders WHERE id = :id"), {"id": order_id}
    )
    if customer_id is None:
        return None
    refresh_customers([customer_id], commit=commit)
    return int(customer_id)


REBUILD_CHUNK_CUSTOMERS = 20_000


def rebuild_customers() -> str:
    """The nightly job: rewrite every customer's rows, REBUILD_CHUNK_CUSTOMERS customers per
    transaction, and drop the rows of customers left without counted orders. Raises nothing of
    its own."""
    ids = list(
        db.session.scalars(
            text(
                "SELECT DISTINCT customer_id FROM orders WHERE customer_id IS NOT NULL"
                " UNION SELECT DISTINCT customer_id FROM customer_months ORDER BY 1"
            )
        )
    )
    db.session.rollback()
    for i in range(0, len(ids), REBUILD_CHUNK_CUSTOMERS):
        refresh_customers(ids[i : i + REBUILD_CHUNK_CUSTOMERS])
    return f"rebuilt {len(ids)} customers"


# --- the dashboard's figures ---------------------------------------------------------------

_WHERE = """
    currency = :currency
    AND (CAST(:country AS text) IS NULL OR country = :country)
    AND (CAST(:channel AS text) IS NULL OR channel = :channel)
"""

# Customers active per (month, first-order month): enough for new/returning and the cohorts.
_ACTIVITY = f"""
SELECT month, first_month, count(DISTINCT customer_id) AS customers
FROM customer_months
WHERE month BETWEEN :first AND :last AND {_WHERE}
GROUP BY 1, 2
"""  # noqa: S608  (constants)


def activity(f: CustomerFilter) -> dict[tuple[dt.date, dt.date], int]:
    """{(month, first-order month): customers with an order of `f` that month}. Raises nothing
    of its own."""
    rows = db.session.execute(text(_ACTIVITY), f.params()).all()
    return {(row.month, row.first_month): int(row.customers) for row in rows}


def new_and_returning(f: CustomerFilter) -> list[dict[str, Any]]:
    """Per month of `f`: {"month", "new", "returning"} customers (see the module docstring).
    Raises nothing of its own."""
    return split_new_and_returning(activity(f), months(f))


def split_new_and_returning(
    counts: dict[tuple[dt.date, dt.date], int], all_months: list[dt.date]
) -> list[dict[str, Any]]:
    """New and returning customers per month of `all_months`, from `activity`'s counts."""
    rows = {m: {"month": m, "new": 0, "returning": 0} for m in all_months}
    for (month, cohort), customers in counts.items():
        if month in rows:
            rows[month]["new" if cohort == month else "returning"] += customers
    return list(rows.values())


def retention(f: CustomerFilter) -> list[dict[str, Any]]:
    """The cohorts of customers whose first order falls in `f`'s months (and who ordered under
    `f`'s filters that month): {"cohort", "customers", "shares"}, shares[k-1] being the share of
    the cohort ordering (under `f`) k months later, up to the range's last month. Raises nothing
    of its own."""
    return cohorts(activity(f), months(f))


def cohorts(
    counts: dict[tuple[dt.date, dt.date], int], all_months: list[dt.date]
) -> list[dict[str, Any]]:
    """The retention rows of `all_months`, from `activity`'s counts."""
    out = []
    for i, cohort in enumerate(all_months):
        size = counts.get((cohort, cohort), 0)
        if not size:
            continue
        shares = [counts.get((later, cohort), 0) / size for later in all_months[i + 1 :]]
        out.append({"cohort": cohort, "customers": size, "shares": shares})
    return out


_LTV = f"""
WITH per_customer AS MATERIALIZED (
    SELECT customer_id, sum(net_amount) AS value
    FROM customer_months
    WHERE first_month BETWEEN :first AND :last AND {_WHERE}
    GROUP BY 1
), span AS (
    SELECT count(*) AS customers, sum(value) AS total, min(value) AS low, max(value) AS high
    FROM per_customer
)
SELECT s.customers, s.total, s.low, s.high,
       CASE WHEN s.high > s.low
            THEN least(width_bucket(p.value, s.low, s.high, :bins), :bins) ELSE 1 END AS bin,
       count(p.customer_id) AS in_bin
FROM span s LEFT JOIN per_customer p ON true
GROUP BY 1, 2, 3, 4, 5
ORDER BY bin
"""  # noqa: S608  (constants)


def lifetime_value(f: CustomerFilter) -> dict[str, Any]:
    """The lifetime value in `f.currency` of the customers whose first order falls in `f`'s
    months: the net value of all their counted orders to date (under `f`'s country and channel).
    {"customers", "total", "average" (rounded half up; None without customers), "bins":
    [(low, high, customers)]} with LTV_BINS equal-width bins. Raises nothing of its own."""
    rows = db.session.execute(text(_LTV), {**f.params(), "bins": LTV_BINS}).all()
    customers = int(rows[0].customers) if rows else 0
    if not customers:
        return {"customers": 0, "total": 0, "average": None, "bins": []}
    total, low, high = int(rows[0].total), int(rows[0].low), int(rows[0].high)
    width = (high - low) / LTV_BINS if high > low else 0
    counted = {int(row.bin): int(row.in_bin) for row in rows}
    n_bins = LTV_BINS if width else 1
    bins = [
        (
            round(low + width * i),
            round(low + width * (i + 1)) if width else high,
            counted.get(i + 1, 0),
        )
        for i in range(n_bins)
    ]
    return {
        "customers": customers,
        "total": total,
        "average": (2 * total + customers) // (2 * customers),
        "bins": bins,
    }


_BY_COUNTRY = """
SELECT country, sum(net_amount) AS net, sum(orders) AS orders
FROM sales_daily
WHERE day BETWEEN :start AND :end AND currency = :currency
  AND (CAST(:country AS text) IS NULL OR country = :country)
  AND (CAST(:channel AS text) IS NULL OR channel = :channel)
GROUP BY 1
ORDER BY 1
"""

_BY_US_STATE = """
WITH placed AS (
    SELECT coalesce(o.shipping_address ->> 'region', '') AS state, count(*) AS orders,
           sum(o.subtotal_amount - o.discount_amount) AS sold
    FROM orders o
    WHERE o.status NOT IN ('draft', 'pending_payment', 'cancelled') AND o.shipping_country = 'US'
      AND o.currency = :currency AND o.placed_at >= :since AND o.placed_at < :until
      AND (CAST(:channel AS text) IS NULL OR o.channel = :channel)
    GROUP BY 1
), refunded AS (
    SELECT coalesce(o.shipping_address ->> 'region', '') AS state, sum(r.amount) AS refunds
    FROM refunds r JOIN orders o ON o.id = r.order_id
    WHERE r.status = 'succeeded' AND r.created_at >= :since AND r.created_at < :until
      AND o.status NOT IN ('draft', 'pending_payment', 'cancelled') AND o.shipping_country = 'US'
      AND o.currency = :currency AND (CAST(:channel AS text) IS NULL OR o.channel = :channel)
    GROUP BY 1
)
SELECT state, coalesce(p.sold, 0) - coalesce(r.refunds, 0) AS net, coalesce(p.orders, 0) AS orders
FROM placed p FULL JOIN refunded r USING (state)
ORDER BY 1
"""


def sales_by_place(f: CustomerFilter) -> list[dict[str, Any]]:
    """Net sales and orders of `f`'s days (the rollups' definition: refunds on their issue day),
    per shipping country ({"place": ISO-2 or ''}), or per US state (the address's region) when
    `f.country` is 'US'. Raises nothing of its own."""
    if f.country == "US":
        start = dt.datetime.combine(f.start, dt.time.min, tzinfo=dt.UTC)
        until = dt.datetime.combine(f.end + dt.timedelta(days=1), dt.time.min, tzinfo=dt.UTC)
        params = {"since": start, "until": until, "currency": f.currency, "channel": f.channel}
        rows = db.session.execute(text(_BY_US_STATE), params).all()
        return [{"place": r.state, "net": int(r.net), "orders": int(r.orders)} for r in rows]
    params = {
        "start": f.start,
        "end": f.end,
        "currency": f.currency,
        "country": f.country,
        "channel": f.channel,
    }
    rows = db.session.execute(text(_BY_COUNTRY), params).all()
    return [{"place": r.country, "net": int(r.net), "orders": int(r.orders)} for r in rows]
