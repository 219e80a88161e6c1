"""The report tables: what each report's rows are, read straight from the orders, refunds and stock.

Every report is a header, rows and one total row per currency. Amounts are in the currency's major
units as exact `Decimal`s (25.00 EUR, 2500 JPY); days are UTC; a range is `first`..`last`
inclusive. What counts matches the dashboards' rollups (commerce/reporting/rollups.py):

- **orders**: every order placed in the range except drafts, whatever its status (the status and
  payment status columns say where it stands); `refunded` is what its succeeded refunds gave back,
  whenever they were issued.
- **sales by day**: counted orders (not draft, `pending_payment` or cancelled) by the day they were
  placed: orders, units, gross (subtotal), discounts, tax, shipping; refunds (succeeded) by the day
  they were issued; net = gross - discounts - refunds.
- **tax owed**: the counted orders' own tax breakdown (`orders.tax_lines`, snapshotted when they
  were placed), per currency, shipping country, tax name and rate. Refunds are *not* deducted: a
  refund records the money given back, not the tax in it, so the tax to reclaim on credit notes is
  left to the accountant (the orders export lists what each order refunded).
- **inventory valuation**: every stock level now (the range is ignored): on hand x the variant's
  cost. Variants without a cost show an empty value and are left out of the totals.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select, text

from commerce import db
from commerce.catalog.models import Product, Variant
from commerce.errors import InvalidInput
from commerce.inventory.models import StockLevel, Warehouse
from commerce.money import exponent
from commerce.orders.models import Order, OrderLine
from commerce.payments.models import Refund

NOT_SALES = ("draft", "pending_payment", "cancelled")
MAX_DAYS = 3 * 366
BATCH = 2000


@dataclasses.dataclass(slots=True)
class Table:
    """A report's header, its rows (streamed), how many there are, and which columns add up.

    `totals()` gives one row per currency ("Total", ..., currency, sums) once the rows have been
    read: the sums are taken as the rows go by, so a long report is read only once."""

    header: list[str]
    rows: Iterator[list[Any]]
    count: int
    currency_column: int
    sum_columns: tuple[int, ...]
    _sums: dict[str, dict[int, Any]] = dataclasses.field(default_factory=dict)

    def __post_init__(self) -> None:
        self.rows = self._summing(self.rows)

    def _summing(self, rows: Iterator[list[Any]]) -> Iterator[list[Any]]:
        for row in rows:
            sums = self._sums.setdefault(row[self.currency_column], defaultdict(int))
            for column in self.sum_columns:
                if row[column] not in (None, ""):
                    sums[column] += row[column]
            yield row

    def totals(self) -> list[list[Any]]:
        """One total row per currency, in currency order (call after reading `rows`)."""
        out = []
        for currency in sorted(self._sums):
            row: list[Any] = [""] * len(self.header)
            row[0] = "Total"
            row[self.currency_column] = currency
            for column in self.sum_columns:
                row[column] = self._sums[currency][column]
            out.append(row)
        return out


def major(amount: int | None, currency: str) -> Decimal | None:
    """Minor units as an exact amount in major units (2500 EUR cents -> Decimal("25.00"))."""
    if amount is None:
        return None
    places = exponent(currency)
    return Decimal(int(amount)).scaleb(-places).quantize(Decimal(1).scaleb(-places))


def _bounds(first: dt.date, last: dt.date) -> tuple[dt.datetime, dt.datetime]:
    since = dt.datetime.combine(first, dt.time(), tzinfo=dt.UTC)
    return since, dt.datetime.combine(last + dt.timedelta(days=1), dt.time(), tzinfo=dt.UTC)


def check_range(first: dt.date | None, last: dt.date | None) -> tuple[dt.date, dt.date]:
    """The range, checked. Raises InvalidInput when a date is missing, `last` is before `first`
    or the range is longer than three years."""
    if first is None or last is None:
        field = "first" if first is None else "last"
        raise InvalidInput(f"{field}: a date is required", fields={field: "is required"})
    if last < first:
        problem = "must not be before the first day"
        raise InvalidInput(f"last: {problem}", fields={"last": problem})
    if (last - first).days >= MAX_DAYS:
        problem = "a range is at most three years"
        raise InvalidInput(f"last: {problem}", fields={"last": problem})
    return first, last


# --- orders -------------------------------------------------------------------------------------

ORDER_COLUMNS = [
    "number", "placed_at", "status", "payment_status", "email", "country", "currency",
    "subtotal", "discount", "shipping", "tax", "total", "refunded",
]  # fmt: skip


def orders_table(first: dt.date, last: dt.date) -> Table:
    """One row per order placed in the range (drafts left out), oldest first."""
    since, until = _bounds(first, last)
    refunded = (
        select(Refund.order_id, func.sum(Refund.amount).label("amount"))
        .where(Refund.status == "succeeded")
        .group_by(Refund.order_id)
        .subquery()
    )
    where = (Order.placed_at >= since, Order.placed_at < until, Order.status != "draft")
    stmt = (
        select(Order, func.coalesce(refunded.c.amount, 0))
        .outerjoin(refunded, refunded.c.order_id == Order.id)
        .where(*where)
        .order_by(Order.placed_at, Order.id)
        .execution_options(yield_per=BATCH)
    )
    count = db.session.scalar(select(func.count()).select_from(Order).where(*where)) or 0

    def generate() -> Iterator[list[Any]]:
        for order, refund_amount in db.session.execute(stmt):
            c = order.currency
            yield [
                order.number,
                order.placed_at.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S"),
                order.status,
                order.payment_status,
                order.email,
                order.shipping_country or "",
                c,
                major(order.subtotal_amount, c),
                major(order.discount_amount, c),
                major(order.shipping_amount, c),
                major(order.tax_amount, c),
                major(order.total_amount, c),
                major(refund_amount, c),
            ]

    return Table(ORDER_COLUMNS, generate(), count, 6, tuple(range(7, 13)))


# --- sales by day -------------------------------------------------------------------------------

SALES_COLUMNS = [
    "day", "currency", "orders", "units", "gross", "discounts", "refunds", "net", "tax", "shipping",
]  # fmt: skip


def sales_by_day(first: dt.date, last: dt.date) -> dict[tuple[dt.date, str], dict[str, int]]:
    """{(day, currency): {"orders", "units", "gross", "discounts", "refunds", "net", "tax",
    "shipping"}} in minor units, for the days that had sales or refunds."""
    since, until = _bounds(first, last)
    day = func.date(func.timezone("UTC", Order.placed_at))
    counted = (
        Order.placed_at >= since,
        Order.placed_at < until,
        Order.status.not_in(NOT_SALES),
    )
    out: dict[tuple[dt.date, str], dict[str, int]] = defaultdict(
        lambda: dict.fromkeys(SALES_COLUMNS[2:], 0)
    )
    placed = select(
        day,
        Order.currency,
        func.count(),
        func.sum(Order.subtotal_amount),
        func.sum(Order.discount_amount),
        func.sum(Order.tax_amount),
        func.sum(Order.shipping_amount),
    ).where(*counted)
    for d, c, orders, gross, discounts, tax, shipping in db.session.execute(
        placed.group_by(day, Order.currency)
    ):
        out[(d, c)].update(
            orders=orders, gross=gross, discounts=discounts, tax=tax, shipping=shipping
        )
    units = select(day, Order.currency, func.sum(OrderLine.quantity)).join(
        OrderLine, OrderLine.order_id == Order.id
    )
    for d, c, n in db.session.execute(units.where(*counted).group_by(day, Order.currency)):
        out[(d, c)]["units"] = n
    refund_day = func.date(func.timezone("UTC", Refund.created_at))
    refunds = (
        select(refund_day, Order.currency, func.sum(Refund.amount))
        .join(Order, Order.id == Refund.order_id)
        .where(
            Refund.status == "succeeded",
            Refund.created_at >= since,
            Refund.created_at < until,
            Order.status.not_in(NOT_SALES),
        )
        .group_by(refund_day, Order.currency)
    )
    for d, c, amount in db.session.execute(refunds):
        out[(d, c)]["refunds"] = amount
    for figures in out.values():
        figures["net"] = figures["gross"] - figures["discounts"] - figures["refunds"]
    return {key: {k: int(v) for k, v in figures.items()} for key, figures in sorted(out.items())}


def sales_table(first: dt.date, last: dt.date) -> Table:
    """Per day and currency: orders, units, gross, discounts, refunds, net, tax, shipping."""
    figures = sales_by_day(first, last)
    rows = [
        [d.isoformat(), c, f["orders"], f["units"]]
        + [major(f[k], c) for k in ("gross", "discounts", "refunds", "net", "tax", "shipping")]
        for (d, c), f in figures.items()
    ]
    return Table(SALES_COLUMNS, iter(rows), len(rows), 1, tuple(range(2, 10)))


# --- tax owed -----------------------------------------------------------------------------------

TAX_COLUMNS = ["country", "tax", "rate", "currency", "orders", "taxable_amount", "tax_amount"]

_TAX_SQL = text(
    """
    SELECT coalesce(o.shipping_country, '') AS country, coalesce(t->>'name', '') AS name,
           coalesce(t->>'rate', '') AS rate, o.currency, count(DISTINCT o.id) AS orders,
           sum((t->>'taxable_amount')::bigint) AS taxable, sum((t->>'tax_amount')::bigint) AS tax
    FROM orders o CROSS JOIN LATERAL jsonb_array_elements(o.tax_lines) AS t
    WHERE o.placed_at >= :since AND o.placed_at < :until
      AND o.status NOT IN ('draft', 'pending_payment', 'cancelled')
    GROUP BY 1, 2, 3, 4
    ORDER BY 1, 2, 4, 3
    """
)


def _percent(rate: str) -> str:
    """ "0.2" -> "20%", "0.08875" -> "8.875%" (kept as given when it is not a number)."""
    try:
        value = (Decimal(rate) * 100).normalize()
    except ArithmeticError:
        return rate
    return f"{value:f}%"


def tax_table(first: dt.date, last: dt.date) -> Table:
    """Per shipping country, tax name and rate: the taxable amount and the tax charged."""
    since, until = _bounds(first, last)
    rows = [
        [country, name, _percent(rate), c, orders, major(taxable, c), major(tax, c)]
        for country, name, rate, c, orders, taxable, tax in db.session.execute(
            _TAX_SQL, {"since": since, "until": until}
        )
    ]
    return Table(TAX_COLUMNS, iter(rows), len(rows), 3, (5, 6))


# --- inventory valuation ------------------------------------------------------------------------

INVENTORY_COLUMNS = [
    "sku", "product", "warehouse", "on_hand", "unit_cost", "currency", "value",
]  # fmt: skip


def inventory_table(_first: dt.date | None = None, _last: dt.date | None = None) -> Table:
    """Per variant and warehouse, now: on hand, unit cost and on hand x cost."""
    stmt = (
        select(Variant.sku, Product.title, Warehouse.code, StockLevel.on_hand)
        .add_columns(Variant.cost_amount, Variant.currency)
        .join(Variant, Variant.id == StockLevel.variant_id)
        .join(Product, Product.id == Variant.product_id)
        .join(Warehouse, Warehouse.id == StockLevel.warehouse_id)
        .order_by(Variant.sku, Warehouse.code)
    )
    rows = [
        [
            sku,
            title,
            warehouse,
            on_hand,
            "" if cost is None else major(cost, c),
            c,
            "" if cost is None else major(on_hand * cost, c),
        ]
        for sku, title, warehouse, on_hand, cost, c in db.session.execute(stmt)
    ]
    return Table(INVENTORY_COLUMNS, iter(rows), len(rows), 5, (3, 6))


@dataclasses.dataclass(frozen=True, slots=True)
class Report:
    """A report the Reports page offers."""

    key: str
    title: str
    uses_range: bool
    build: Callable[[dt.date, dt.date], Table]


REPORTS: dict[str, Report] = {
    r.key: r
    for r in (
        Report("orders", "Orders", True, orders_table),
        Report("sales_by_day", "Sales by day", True, sales_table),
        Report("tax", "Tax owed by jurisdiction", True, tax_table),
        Report("inventory_valuation", "Inventory valuation", False, inventory_table),
    )
}


def get_report(key: str) -> Report:
    """The report called `key`. Raises InvalidInput for an unknown one."""
    try:
        return REPORTS[key]
    except KeyError:
        problem = "must be one of " + ", ".join(REPORTS)
        raise InvalidInput(f"report: {problem}", fields={"report": problem}) from None
