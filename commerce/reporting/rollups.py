"""Daily sales rollups: recomputed from orders, order lines and refunds, read by the dashboards.

What the figures mean (amounts as the orders show them, in minor units of their currency; for
orders whose prices include tax, gross and net include that tax too):

- A *sale* is an order placed and not taken back: drafts, orders still awaiting payment
  (`pending_payment`) and cancelled orders are not counted. Cash-on-delivery orders that shipped
  unpaid are counted; orders on hold are counted.
- **gross sales** = units x unit price of the lines sold (the order subtotal), before discounts,
  without shipping and (when prices exclude tax) without tax.
- **discounts** = the promotion and voucher amounts taken off those lines (order-wide discounts
  are already spread over lines). Gift cards are a tender, not a discount.
- **refunds** = money given back by succeeded refunds (card and gift-card parts, including any
  shipping or tax refunded). A refund counts on the UTC day it was *issued* (`refunds.created_at`),
  not on the order's day, so a day already reported never changes because of a later refund; a
  refund reversed later drops out of its issue day.
- **net sales** = gross - discounts - refunds.
- **tax**, **shipping** = the orders' tax (lines and shipping) and shipping charges.
- Orders, units, gross, discounts, tax and shipping count on the UTC day the order was placed.
- By category: a line's category is its product's category now. Shipping, its tax and refunds
  not made by line sit in the "no category" row; line refunds count in their line's category.
- Products: revenue = units x unit price - discounts (before refunds); cost = units x the
  variant's cost now (orders do not snapshot cost); margin = revenue - cost over costed units.

`refresh_days` rewrites a range of days in one transaction (DELETE then INSERT ... SELECT) under
an advisory lock, so running it twice, or from two workers at once, gives the same rows. It also
sums those days' product rows again into `product_sales_monthly` when their calendar month has
ended, so a long range reads its closed months there (`product_sales_between`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from sqlalchemy import select, text

from commerce import db
from commerce.errors import InvalidInput
from commerce.orders.models import Order
from commerce.payments.models import Refund

# One lock for every rollup write: a day's refresh takes milliseconds.
_LOCK_KEY = 0x5EA1_DA11
ROLLUP_TABLES = ("sales_daily", "category_sales_daily", "product_sales_daily")
_DELETES = tuple(
    "DELETE FROM " + table + " WHERE day BETWEEN :first AND :last"  # noqa: S608  (constants)
    for table in ROLLUP_TABLES
)

# Counted orders: o.status NOT IN ('draft', 'pending_payment', 'cancelled'); days are UTC.

_SALES_SQL = """
INSERT INTO sales_daily (day, currency, country, channel, orders, units, gross_amount,
    discount_amount, refund_amount, net_amount, tax_amount, shipping_amount)
WITH placed AS (
    SELECT (o.placed_at AT TIME ZONE 'UTC')::date AS day, o.currency,
           coalesce(o.shipping_country, '') AS country, o.channel, count(*) AS orders,
           sum(o.subtotal_amount) AS gross,
           sum(o.discount_amount) AS discount, sum(o.tax_amount) AS tax,
           sum(o.shipping_amount) AS shipping
    FROM orders o
    WHERE o.placed_at >= :since AND o.placed_at < :until
      AND o.status NOT IN ('draft', 'pending_payment', 'cancelled')
    GROUP BY 1, 2, 3, 4
), sold AS (
    SELECT (o.placed_at AT TIME ZONE 'UTC')::date AS day, o.currency,
           coalesce(o.shipping_country, '') AS country, o.channel, sum(l.quantity) AS units
    FROM orders o JOIN order_lines l ON l.order_id = o.id
    WHERE o.placed_at >= :since AND o.placed_at < :until
      AND o.status NOT IN ('draft', 'pending_payment', 'cancelled')
    GROUP BY 1, 2, 3, 4
), refunded AS (
    SELECT (r.created_at AT TIME ZONE 'UTC')::date AS day, o.currency,
           coalesce(o.shipping_country, '') AS country, o.channel, sum(r.amount) AS refunds
    FROM refunds r JOIN orders o ON o.id = r.order_id
    WHERE r.status = 'succeeded' AND r.created_at >= :since AND r.created_at < :until
      AND o.status NOT IN ('draft', 'pending_payment', 'cancelled')
    GROUP BY 1, 2, 3, 4
)
SELECT day, currency, country, channel, coalesce(p.orders, 0), coalesce(s.units, 0),
       coalesce(p.gross, 0), coalesce(p.discount, 0), coalesce(r.refunds, 0),
       coalesce(p.gross, 0) - coalesce(p.discount, 0) - coalesce(r.refunds, 0),
       coalesce(p.tax, 0), coalesce(p.shipping, 0)
FROM placed p
FULL JOIN sold s USING (day, currency, country, channel)
FULL JOIN refunded r USING (day, currency, country, channel)
"""

# Signed contributions per (day, currency, country, channel, category), summed at the end.
_CATEGORY_SQL = """
INSERT INTO category_sales_daily (day, currency, country, channel, category_id, orders, units,
    gross_amount, discount_amount, refund_amount, net_amount, tax_amount, shipping_amount)
WITH o AS (
    SELECT o.id, (o.placed_at AT TIME ZONE 'UTC')::date AS day, o.currency,
           coalesce(o.shipping_country, '') AS country, o.channel, o.tax_amount, o.shipping_amount
    FROM orders o
    WHERE o.placed_at >= :since AND o.placed_at < :until
      AND o.status NOT IN ('draft', 'pending_payment', 'cancelled')
), lines AS (
    SELECT o.day, o.currency, o.country, o.channel, p.category_id, l.order_id, l.quantity,
           l.quantity * l.unit_price_amount AS gross, l.discount_amount, l.tax_amount
    FROM o JOIN order_lines l ON l.order_id = o.id
    LEFT JOIN variants v ON v.id = l.variant_id
    LEFT JOIN products p ON p.id = v.product_id
), line_tax AS (
    SELECT order_id, sum(tax_amount) AS tax FROM lines GROUP BY order_id
), r AS (
    SELECT r.id, r.amount, r.lines, (r.created_at AT TIME ZONE 'UTC')::date AS day, o.currency,
           coalesce(o.shipping_country, '') AS country, o.channel
    FROM refunds r JOIN orders o ON o.id = r.order_id
    WHERE r.status = 'succeeded' AND r.created_at >= :since AND r.created_at < :until
      AND o.status NOT IN ('draft', 'pending_payment', 'cancelled')
), refund_lines AS (
    SELECT r.id AS refund_id, r.day, r.currency, r.country, r.channel, p.category_id,
           (e ->> 'amount')::bigint AS amount
    FROM r CROSS JOIN LATERAL jsonb_array_elements(r.lines) AS e
    LEFT JOIN order_lines l ON l.id = (e ->> 'order_line_id')::bigint
    LEFT JOIN variants v ON v.id = l.variant_id
    LEFT JOIN products p ON p.id = v.product_id
), parts AS (
    SELECT day, currency, country, channel, category_id, order_id, quantity AS units,
           gross, discount_amount AS discount, 0::bigint AS refund, tax_amount AS tax,
           0::bigint AS shipping
    FROM lines
    UNION ALL
    SELECT o.day, o.currency, o.country, o.channel, NULL, NULL, 0, 0, 0, 0,
           o.tax_amount - coalesce(t.tax, 0), o.shipping_amount
    FROM o LEFT JOIN line_tax t ON t.order_id = o.id
    UNION ALL
    SELECT day, currency, country, channel, category_id, NULL, 0, 0, 0, amount, 0, 0
    FROM refund_lines
    UNION ALL
    SELECT r.day, r.currency, r.country, r.channel, NULL, NULL, 0, 0, 0,
           r.amount - coalesce((SELECT sum(x.amount) FROM refund_lines x
                                WHERE x.refund_id = r.id), 0), 0, 0
    FROM r
)
SELECT day, currency, country, channel, category_id, count(DISTINCT order_id), sum(units),
       sum(gross), sum(discount), sum(refund), sum(gross) - sum(discount) - sum(refund),
       sum(tax), sum(shipping)
FROM parts
GROUP BY day, currency, country, channel, category_id
HAVING count(DISTINCT order_id) > 0 OR sum(refund) <> 0 OR sum(tax) <> 0 OR sum(shipping) <> 0
"""

_PRODUCTS_SQL = """
INSERT INTO product_sales_daily (day, currency, variant_id, product_id, category_id, sku, title,
    units, revenue_amount, costed_revenue_amount, cost_amount)
SELECT (o.placed_at AT TIME ZONE 'UTC')::date, o.currency, l.variant_id, max(v.product_id),
       max(p.category_id), l.sku,
       max(coalesce(p.title, l.title)), sum(l.quantity),
       sum(l.quantity * l.unit_price_amount - l.discount_amount),
       coalesce(sum(l.quantity * l.unit_price_amount - l.discount_amount)
                FILTER (WHERE v.cost_amount IS NOT NULL), 0),
       coalesce(sum(l.quantity * v.cost_amount), 0)
FROM orders o JOIN order_lines l ON l.order_id = o.id
LEFT JOIN variants v ON v.id = l.variant_id
LEFT JOIN products p ON p.id = v.product_id
WHERE o.placed_at >= :since AND o.placed_at < :until
      AND o.status NOT IN ('draft', 'pending_payment', 'cancelled')
GROUP BY 1, 2, l.variant_id, l.sku
"""


# --- product_sales_monthly: the product rows of closed months ----------------------------------
# A month is summed once it has ended (its days still change when an old order does, and then it
# is summed again); the month in progress is never summed, so the refresh an event of today's
# orders makes stays one day's work. A closed month with rows is complete: `product_sales_between`
# reads it whole from here, and any other day from product_sales_daily.

_MONTHS_DELETE = "DELETE FROM product_sales_monthly WHERE month = ANY(CAST(:months AS date[]))"
_MONTHS_SQL = """
INSERT INTO product_sales_monthly (month, currency, variant_id, category_id, units,
    revenue_amount, costed_revenue_amount, cost_amount)
SELECT CAST(date_trunc('month', day) AS date), currency, variant_id, category_id, sum(units),
       sum(revenue_amount), sum(costed_revenue_amount), sum(cost_amount)
FROM product_sales_daily
WHERE day >= :first AND day < :after
GROUP BY 1, 2, 3, 4
"""
# A closed month that has product rows but was never summed (it ended since the last refresh).
_UNSUMMED = """
SELECT EXISTS (SELECT 1 FROM product_sales_daily WHERE day >= :first AND day < :after)
   AND NOT EXISTS (SELECT 1 FROM product_sales_monthly WHERE month = :first)
"""
_SUMMED = """
SELECT m FROM unnest(CAST(:months AS date[])) AS m
WHERE EXISTS (SELECT 1 FROM product_sales_monthly p WHERE p.month = m)
"""

_PRODUCT_MEASURES = (
    "currency, variant_id, category_id, units, revenue_amount, costed_revenue_amount, cost_amount"
)
PRODUCT_SALES_SQL = f"""(
    SELECT {_PRODUCT_MEASURES} FROM product_sales_daily
    WHERE day = ANY(CAST(:ps_days AS date[]))
    UNION ALL
    SELECT {_PRODUCT_MEASURES} FROM product_sales_monthly
    WHERE month = ANY(CAST(:ps_months AS date[]))
)"""  # noqa: S608  (constants)


def _next_month(day: dt.date) -> dt.date:
    return (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1)


def _this_month() -> dt.date:
    return dt.datetime.now(dt.UTC).date().replace(day=1)


def product_sales_between(first: dt.date, last: dt.date) -> dict[str, list[dt.date]]:
    """The bind parameters of PRODUCT_SALES_SQL for the days `first`..`last`: a subquery of the
    product_sales_daily rows of those days (currency, variant_id, category_id and the measures),
    closed calendar months inside the range summed from product_sales_monthly, every other day
    from product_sales_daily, so sums over it equal sums over the daily rows. Raises InvalidInput
    if `last` is before `first`."""
    if last < first:
        raise InvalidInput(f"last day {last} is before first day {first}")
    one = dt.timedelta(days=1)
    this_month = _this_month()
    whole, month = [], first if first.day == 1 else _next_month(first)
    while _next_month(month) - one <= last and month < this_month:
        whole.append(month)
        month = _next_month(month)
    summed = set(db.session.scalars(text(_SUMMED), {"months": whole})) if whole else set()
    days, day = [], first
    while day <= last:
        if day.replace(day=1) in summed:
            day = _next_month(day)
            continue
        days.append(day)
        day += one
    return {"ps_days": days, "ps_months": sorted(summed)}


def refresh_product_months(first: dt.date, last: dt.date, *, commit: bool = True) -> None:
    """Sum again the product_sales_monthly rows of the closed calendar months holding the days
    `first`..`last` from their product_sales_daily rows, and sum last month if it ended since
    (refresh_days does this after rewriting days). Raises InvalidInput if `last` is before
    `first`."""
    if last < first:
        raise InvalidInput(f"last day {last} is before first day {first}")
    session = db.session
    session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _LOCK_KEY})
    this_month = _this_month()  # after the lock: a refresh that waited sees the month it runs in
    months, month = [], first.replace(day=1)
    while month <= last:
        months.append(month)
        month = _next_month(month)
    previous = (this_month - dt.timedelta(days=1)).replace(day=1)
    if previous not in months:
        bounds = {"first": previous, "after": this_month}
        if session.execute(text(_UNSUMMED), bounds).scalar_one():
            months.append(previous)
    # Rows of a month in progress would look complete once it ends: there are none, ever.
    session.execute(text(_MONTHS_DELETE), {"months": months})
    for month in months:
        if month < this_month:
            session.execute(text(_MONTHS_SQL), {"first": month, "after": _next_month(month)})
    if commit:
        session.commit()


def _bounds(first: dt.date, last: dt.date) -> dict[str, dt.datetime]:
    since = dt.datetime.combine(first, dt.time.min, tzinfo=dt.UTC)
    until = dt.datetime.combine(last + dt.timedelta(days=1), dt.time.min, tzinfo=dt.UTC)
    return {"since": since, "until": until}


def refresh_days(first: dt.date, last: dt.date, *, commit: bool = True) -> None:
    """Recompute every rollup row of the days `first`..`last` (inclusive, UTC) from the raw orders
    and refunds, in one transaction. Raises InvalidInput if `last` is before `first`."""
    if last < first:
        raise InvalidInput(f"last day {last} is before first day {first}")
    params = {**_bounds(first, last), "first": first, "last": last}
    session = db.session
    session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _LOCK_KEY})
    for delete in _DELETES:
        session.execute(text(delete), params)
    for sql in (_SALES_SQL, _CATEGORY_SQL, _PRODUCTS_SQL):
        session.execute(text(sql), params)
    refresh_product_months(first, last, commit=False)
    if commit:
        session.commit()


def refresh_day(day: dt.date, *, commit: bool = True) -> None:
    """Recompute one UTC day of every rollup (idempotent). Raises nothing of its own."""
    refresh_days(day, day, commit=commit)


def order_days(order_id: int) -> set[dt.date]:
    """The days an order's figures count on: its placed day and the issue day of each of its
    refunds. Empty if the order does not exist. Raises nothing."""
    placed = db.session.scalar(select(Order.placed_at).where(Order.id == order_id))
    if placed is None:
        return set()
    refunded = db.session.scalars(select(Refund.created_at).where(Refund.order_id == order_id))
    return {moment.astimezone(dt.UTC).date() for moment in (placed, *refunded)}


def refresh_order(order_id: int, *, commit: bool = True) -> list[dt.date]:
    """Recompute every day an order counts on (see `order_days`); returns those days, sorted.
    A missing order refreshes nothing. Raises nothing of its own."""
    days = sorted(order_days(order_id))
    for day in days:
        refresh_day(day, commit=False)
    if commit:
        db.session.commit()
    return days


def rebuild(
    first: dt.date | None = None,
    last: dt.date | None = None,
    *,
    progress: Callable[[str], None] | None = None,
) -> tuple[dt.date, dt.date] | None:
    """Rebuild the rollups of `first`..`last` (default: from the first order or refund to today),
    one transaction per calendar month. Returns the range rebuilt, or None when there are no
    orders. Raises InvalidInput if `last` is before `first`."""
    if first is None or last is None:
        span = db.session.execute(
            text(
                "SELECT least(min(o.placed_at), (SELECT min(created_at) FROM refunds)),"
                " greatest(max(o.placed_at), (SELECT max(created_at) FROM refunds)) FROM orders o"
            )
        ).one()
        db.session.rollback()
        if span[0] is None:
            return None
        first = first or span[0].astimezone(dt.UTC).date()
        last = last or max(span[1].astimezone(dt.UTC).date(), dt.datetime.now(dt.UTC).date())
    if last < first:
        raise InvalidInput(f"last day {last} is before first day {first}")
    start = first
    while start <= last:
        end = min(_next_month(start) - dt.timedelta(days=1), last)
        refresh_days(start, end)
        if progress:
            progress(f"{start} .. {end}")
        start = end + dt.timedelta(days=1)
    return first, last


def rebuild_all() -> str:
    """The nightly job: rebuild every day's rollups from the raw orders. Raises nothing of its
    own."""
    done = rebuild()
    return "no orders" if done is None else f"rebuilt {done[0]} .. {done[1]}"
