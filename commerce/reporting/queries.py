"""Read-side queries over the rollups for the sales and products dashboards.

Every figure here reads `sales_daily`, `category_sales_daily` or `product_sales_daily` (with
whole months from `product_sales_monthly`; see commerce.reporting.rollups for what gross,
discounts, refunds and net mean), never the orders, so a year of a busy shop answers quickly.
Amounts are minor units of one currency.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

from sqlalchemy import and_, func, select, text, true

from commerce import db
from commerce.catalog.models import Category, Product, Variant
from commerce.errors import InvalidInput
from commerce.inventory.models import StockLevel
from commerce.reporting import rollups
from commerce.reporting.models import CategorySalesDay, SalesDay

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
# One statement per page: the range is aggregated per variant once (a materialized CTE) and the
# top lists, the categories and the slow movers are cut from it, so only their rows come back.

DELETED = "(deleted variants)"

_PRODUCTS_OVERVIEW = f"""
WITH agg AS MATERIALIZED (
    SELECT variant_id, max(category_id) AS category_id, sum(units) AS units,
           sum(revenue_amount) AS revenue, sum(costed_revenue_amount) AS costed,
           sum(cost_amount) AS cost
    FROM {rollups.PRODUCT_SALES_SQL} AS sales
    WHERE currency = :currency
      AND (CAST(:category AS bigint) IS NULL OR category_id = :category)
    GROUP BY variant_id
), stock AS (
    SELECT sl.variant_id, sum(sl.on_hand) AS on_hand
    FROM stock_levels sl
    JOIN variants v ON v.id = sl.variant_id
    JOIN products p ON p.id = v.product_id
    WHERE p.status = 'active'
      AND (CAST(:category AS bigint) IS NULL OR p.category_id = :category)
    GROUP BY sl.variant_id
    HAVING sum(sl.on_hand) > 0
)
(SELECT 'revenue' AS kind, variant_id, category_id, units, revenue, costed, cost FROM agg
 ORDER BY revenue DESC, variant_id LIMIT :limit)
UNION ALL
(SELECT 'units', variant_id, category_id, units, revenue, costed, cost FROM agg
 ORDER BY units DESC, variant_id LIMIT :limit)
UNION ALL
(SELECT 'category', NULL, category_id, sum(units), sum(revenue), sum(costed), sum(cost) FROM agg
 GROUP BY category_id)
UNION ALL
(SELECT 'slow', s.variant_id, NULL, coalesce(a.units, 0), s.on_hand, 0, 0
 FROM stock s LEFT JOIN agg a ON a.variant_id = s.variant_id
 ORDER BY coalesce(a.units, 0), s.on_hand DESC, s.variant_id LIMIT :limit)
"""  # noqa: S608  (constants)


def _names(variant_ids: set[int]) -> dict[int, tuple[str, str]]:
    if not variant_ids:
        return {}
    rows = db.session.execute(
        select(Variant.id, Variant.sku, Product.title)
        .join(Product, Product.id == Variant.product_id)
        .where(Variant.id.in_(variant_ids))
    )
    return {variant_id: (sku, title) for variant_id, sku, title in rows}


def _on_hand(variant_ids: set[int]) -> dict[int, int]:
    if not variant_ids:
        return {}
    rows = db.session.execute(
        select(StockLevel.variant_id, func.sum(StockLevel.on_hand))
        .where(StockLevel.variant_id.in_(variant_ids))
        .group_by(StockLevel.variant_id)
    )
    return {variant_id: int(on_hand) for variant_id, on_hand in rows}


def _pct(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


def products_overview(
    start: dt.date,
    end: dt.date,
    currency: str,
    *,
    category_id: int | None = None,
    limit: int = 10,
) -> dict[str, list[dict[str, Any]]]:
    """What the products dashboard shows for the days `start`..`end` (optionally one category):

    - "by_revenue", "by_units": the `limit` best-selling variants: sku, title, units, revenue,
      cost, margin (revenue - cost of the units that have a cost; None when none has),
      margin_pct, on_hand (now, all warehouses) and sell_through_pct (units / (units + on hand));
    - "categories": units, revenue and margin per category (None: uncategorised), best first;
    - "slow": variants of active products with stock on hand that sold fewest units (none at all
      first, most stock first among equals): sku, title, units, on_hand, sell_through_pct.

    Raises nothing of its own."""
    rows = db.session.execute(
        text(_PRODUCTS_OVERVIEW),
        {
            **rollups.product_sales_between(start, end),
            "currency": currency,
            "category": category_id,
            "limit": limit,
        },
    ).all()
    variant_ids = {row.variant_id for row in rows if row.variant_id is not None}
    names = _names(variant_ids)
    top_ids = {row.variant_id for row in rows if row.kind in ("revenue", "units")}
    stock = _on_hand(top_ids - {None})
    overview: dict[str, list[dict[str, Any]]] = {
        "by_revenue": [],
        "by_units": [],
        "categories": [],
        "slow": [],
    }
    category_rows = []
    for row in rows:
        sku, title = names.get(row.variant_id, (DELETED, DELETED))
        if row.kind == "slow":
            units, on_hand = int(row.units), int(row.revenue)
            overview["slow"].append(
                {
                    "variant_id": row.variant_id,
                    "sku": sku,
                    "title": title,
                    "units": units,
                    "on_hand": on_hand,
                    "sell_through_pct": _pct(units, units + on_hand),
                }
            )
            continue
        units, revenue, costed, cost = (int(v) for v in row[3:7])
        margin = costed - cost if costed else None
        if row.kind == "category":
            category_rows.append((row.category_id, units, revenue, margin))
            continue
        on_hand = stock.get(row.variant_id, 0)
        overview["by_" + row.kind].append(
            {
                "variant_id": row.variant_id,
                "sku": sku,
                "title": title,
                "units": units,
                "revenue": revenue,
                "cost": cost if costed else None,
                "margin": margin,
                "margin_pct": _pct(margin, costed) if margin is not None else None,
                "on_hand": on_hand,
                "sell_through_pct": _pct(units, units + on_hand),
            }
        )
    ids = [cid for cid, *_rest in category_rows if cid is not None]
    found = db.session.execute(select(Category.id, Category.name).where(Category.id.in_(ids)))
    category_names = {cid: name for cid, name in found}
    overview["categories"] = sorted(
        (
            {
                "category_id": cid,
                "category": category_names.get(cid, "Uncategorised"),
                "units": units,
                "revenue": revenue,
                "margin": margin,
            }
            for cid, units, revenue, margin in category_rows
        ),
        key=lambda row: (-row["revenue"], row["category"]),
    )
    return overview
