"""Read-side queries over the rollups for the sales and products dashboards.

Every figure here reads `sales_daily`, `category_sales_daily` or `product_sales_daily` (see
commerce.reporting.rollups for what gross, discounts, refunds and net mean), never the orders, so
a year of a busy shop answers in milliseconds. Amounts are minor units of one currency.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

from sqlalchemy import Select, and_, func, select, true

from commerce import db
from commerce.catalog.models import Category, Product, Variant
from commerce.errors import InvalidInput
from commerce.inventory.models import StockLevel
from commerce.reporting.models import CategorySalesDay, ProductSalesDay, SalesDay

GRAINS = ("day", "week", "month")
MEASURES = ("orders", "units", "gross", "discounts", "refunds", "net", "tax", "shipping")


@dataclasses.dataclass(frozen=True, slots=True)
class SalesFilter:
    """Which sales to count: UTC days `start`..`end` inclusive, one currency, optionally one
    shipping country ('' for none), channel and category."""

    start: dt.date
    end: dt.date
    currency: str
    country: str | None = None
    channel: str | None = None
    category_id: int | None = None

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise InvalidInput(f"end {self.end} is before start {self.start}")

    def shifted(self, days: int) -> SalesFilter:
        """The same filter `days` earlier."""
        delta = dt.timedelta(days=days)
        return dataclasses.replace(self, start=self.start - delta, end=self.end - delta)

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


def _table(f: SalesFilter) -> type[SalesDay] | type[CategorySalesDay]:
    return CategorySalesDay if f.category_id is not None else SalesDay


def _where(f: SalesFilter, table: Any, start: dt.date | None = None) -> Any:
    conditions = [
        table.day >= (start or f.start),
        table.day <= f.end,
        table.currency == f.currency,
    ]
    if f.country is not None:
        conditions.append(table.country == f.country)
    if f.channel is not None:
        conditions.append(table.channel == f.channel)
    if f.category_id is not None:
        conditions.append(table.category_id == f.category_id)
    return and_(true(), *conditions)


def _sums(table: Any) -> list[Any]:
    return [
        func.coalesce(func.sum(getattr(table, column)), 0).label(name)
        for name, column in zip(
            MEASURES,
            (
                "orders",
                "units",
                "gross_amount",
                "discount_amount",
                "refund_amount",
                "net_amount",
                "tax_amount",
                "shipping_amount",
            ),
            strict=True,
        )
    ]


def sales_totals(f: SalesFilter) -> dict[str, int | None]:
    """The KPIs of `f`: orders, units, gross, discounts, refunds, net, tax, shipping and the
    average order value (AOV = (gross - discounts) / orders, rounded half up; None without
    orders). With a category, shipping is None (it belongs to no category) and tax is the
    category's lines' tax. Raises nothing of its own."""
    table = _table(f)
    row = db.session.execute(select(*_sums(table)).where(_where(f, table))).one()
    totals: dict[str, int | None] = {name: int(getattr(row, name)) for name in MEASURES}
    if f.category_id is not None:
        totals["shipping"] = None
    orders = totals["orders"] or 0
    sold = (totals["gross"] or 0) - (totals["discounts"] or 0)
    totals["aov"] = (2 * sold + orders) // (2 * orders) if orders else None
    return totals


def daily_sales(f: SalesFilter, *, since: dt.date | None = None) -> dict[dt.date, dict[str, int]]:
    """{day: measures} of `f` from `since` (default f.start) to f.end; days without sales are
    absent. Raises nothing of its own."""
    table = _table(f)
    rows = db.session.execute(
        select(table.day, *_sums(table))
        .where(_where(f, table, since))
        .group_by(table.day)
        .order_by(table.day)
    ).all()
    return {row.day: {name: int(getattr(row, name)) for name in MEASURES} for row in rows}


def bucket(day: dt.date, grain: str) -> dt.date:
    """The first day of the day/week (Monday)/month holding `day`. Raises InvalidInput for an
    unknown grain."""
    if grain == "day":
        return day
    if grain == "week":
        return day - dt.timedelta(days=day.weekday())
    if grain == "month":
        return day.replace(day=1)
    raise InvalidInput(f"grain must be one of {', '.join(GRAINS)}")


def _year_before(day: dt.date) -> dt.date:
    try:
        return day.replace(year=day.year - 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year - 1, day=28)


def sales_series(f: SalesFilter, grain: str, measure: str = "net") -> list[dict[str, Any]]:
    """`measure` per day/week/month bucket of `f`, next to the same measure of the previous
    period (the same number of days just before) and of the same days a year earlier, both moved
    onto the current buckets. Rows: {"period", "current", "previous", "last_year"}. Raises
    InvalidInput for an unknown grain or measure."""
    if measure not in MEASURES:
        raise InvalidInput(f"measure must be one of {', '.join(MEASURES)}")
    bucket(f.start, grain)
    year_shift = (f.start - _year_before(f.start)).days
    earliest = min(f.start - dt.timedelta(days=f.days), f.start - dt.timedelta(days=year_shift))
    days = daily_sales(f, since=earliest)
    periods: dict[dt.date, dict[str, int]] = {}
    day = f.start
    while day <= f.end:
        periods.setdefault(bucket(day, grain), {"current": 0, "previous": 0, "last_year": 0})
        day += dt.timedelta(days=1)
    for day, values in days.items():
        for name, shift in (("current", 0), ("previous", f.days), ("last_year", year_shift)):
            moved = day + dt.timedelta(days=shift)
            if f.start <= moved <= f.end:
                periods[bucket(moved, grain)][name] += values[measure]
    return [{"period": period, **values} for period, values in sorted(periods.items())]


def filter_options(currency: str) -> dict[str, list[Any]]:
    """What the sales filters offer: countries and channels seen in `currency`, and categories.
    Raises nothing of its own."""
    seen = db.session.execute(
        select(SalesDay.country, SalesDay.channel).where(SalesDay.currency == currency).distinct()
    ).all()
    categories = db.session.execute(select(Category.id, Category.name).order_by(Category.name))
    return {
        "countries": sorted({row.country for row in seen}),
        "channels": sorted({row.channel for row in seen}),
        "categories": [(row.id, row.name) for row in categories],
    }


def currencies() -> list[str]:
    """The currencies with sales in the rollups. Raises nothing of its own."""
    return list(db.session.scalars(select(SalesDay.currency).distinct().order_by("currency")))


# --- products -------------------------------------------------------------------------------


def _product_rows(
    start: dt.date, end: dt.date, currency: str, category_id: int | None
) -> Select[Any]:
    p = ProductSalesDay
    query = select(p).where(p.day >= start, p.day <= end, p.currency == currency)
    if category_id is not None:
        query = query.where(p.category_id == category_id)
    return query


def product_performance(
    start: dt.date,
    end: dt.date,
    currency: str,
    *,
    category_id: int | None = None,
    order_by: str = "revenue",
    limit: int = 20,
) -> list[dict[str, Any]]:
    """The best-selling variants of the days `start`..`end` by `order_by` ("revenue" or "units"):
    sku, title, units, revenue, cost, margin (revenue - cost of the units that have a cost; None
    when none has), margin_pct, on_hand (now, all warehouses) and sell-through (units / (units +
    on hand), a percentage). Raises InvalidInput for an unknown order_by."""
    if order_by not in ("revenue", "units"):
        raise InvalidInput("order_by must be revenue or units")
    p = _product_rows(start, end, currency, category_id).subquery()
    sums = (
        select(
            p.c.variant_id,
            p.c.sku,
            func.max(p.c.title).label("title"),
            func.sum(p.c.units).label("units"),
            func.sum(p.c.revenue_amount).label("revenue"),
            func.sum(p.c.costed_revenue_amount).label("costed_revenue"),
            func.sum(p.c.cost_amount).label("cost"),
        )
        .group_by(p.c.variant_id, p.c.sku)
        .order_by(
            func.sum(p.c.revenue_amount if order_by == "revenue" else p.c.units).desc(),
            p.c.sku,
        )
        .limit(limit)
    )
    rows = db.session.execute(sums).all()
    stock = _on_hand([row.variant_id for row in rows if row.variant_id is not None])
    return [_product_row(row, stock.get(row.variant_id, 0)) for row in rows]


def _on_hand(variant_ids: list[int]) -> dict[int, int]:
    if not variant_ids:
        return {}
    rows = db.session.execute(
        select(StockLevel.variant_id, func.sum(StockLevel.on_hand))
        .where(StockLevel.variant_id.in_(variant_ids))
        .group_by(StockLevel.variant_id)
    )
    return {variant_id: int(on_hand) for variant_id, on_hand in rows}


def _product_row(row: Any, on_hand: int) -> dict[str, Any]:
    units, revenue = int(row.units), int(row.revenue)
    costed, cost = int(row.costed_revenue), int(row.cost)
    margin = costed - cost if costed else None
    return {
        "variant_id": row.variant_id,
        "sku": row.sku,
        "title": row.title,
        "units": units,
        "revenue": revenue,
        "cost": cost if costed else None,
        "margin": margin,
        "margin_pct": round(100 * margin / costed, 1) if margin is not None else None,
        "on_hand": on_hand,
        "sell_through_pct": round(100 * units / (units + on_hand), 1) if units + on_hand else None,
    }


def category_performance(start: dt.date, end: dt.date, currency: str) -> list[dict[str, Any]]:
    """Units, revenue, cost and margin per category (None: uncategorised) of the days
    `start`..`end`, best revenue first. Raises nothing of its own."""
    p = _product_rows(start, end, currency, None).subquery()
    rows = db.session.execute(
        select(
            p.c.category_id,
            func.max(Category.name).label("name"),
            func.sum(p.c.units).label("units"),
            func.sum(p.c.revenue_amount).label("revenue"),
            func.sum(p.c.costed_revenue_amount).label("costed_revenue"),
            func.sum(p.c.cost_amount).label("cost"),
        )
        .outerjoin(Category, Category.id == p.c.category_id)
        .group_by(p.c.category_id)
        .order_by(func.sum(p.c.revenue_amount).desc())
    ).all()
    result = []
    for row in rows:
        costed, cost = int(row.costed_revenue), int(row.cost)
        result.append(
            {
                "category_id": row.category_id,
                "category": row.name or "Uncategorised",
                "units": int(row.units),
                "revenue": int(row.revenue),
                "margin": costed - cost if costed else None,
            }
        )
    return result


def slow_movers(
    start: dt.date,
    end: dt.date,
    currency: str,
    *,
    category_id: int | None = None,
    limit: int = 20,
) -> list[dict[str, Any]]:
    """Variants of active products with stock on hand that sold fewest units in `start`..`end`
    (none at all first), most stock first among equals: sku, title, units, on_hand,
    sell_through_pct. Raises nothing of its own."""
    p = _product_rows(start, end, currency, category_id).subquery()
    sold = (
        select(p.c.variant_id, func.sum(p.c.units).label("units"))
        .group_by(p.c.variant_id)
        .subquery()
    )
    stock = (
        select(StockLevel.variant_id, func.sum(StockLevel.on_hand).label("on_hand"))
        .group_by(StockLevel.variant_id)
        .having(func.sum(StockLevel.on_hand) > 0)
        .subquery()
    )
    units = func.coalesce(sold.c.units, 0)
    query = (
        select(Variant.id, Variant.sku, Product.title, units.label("units"), stock.c.on_hand)
        .join(stock, stock.c.variant_id == Variant.id)
        .join(Product, Product.id == Variant.product_id)
        .outerjoin(sold, sold.c.variant_id == Variant.id)
        .where(Product.status == "active")
        .order_by(units, stock.c.on_hand.desc(), Variant.sku)
        .limit(limit)
    )
    if category_id is not None:
        query = query.where(Product.category_id == category_id)
    result = []
    for row in db.session.execute(query):
        units, on_hand = int(row.units), int(row.on_hand)
        result.append(
            {
                "variant_id": row.id,
                "sku": row.sku,
                "title": row.title,
                "units": units,
                "on_hand": on_hand,
                "sell_through_pct": round(100 * units / (units + on_hand), 1),
            }
        )
    return result
