"""Read-side queries for the inventory dashboard: stock value, low and out of stock, days of
cover and aging. They read stock_levels, stock_movements and product_sales_daily directly (stock
is a snapshot "now", so there is nothing to roll up); each is one statement.

What the figures mean:

- **stock value** = on hand x the variant's cost now (`variants.cost_amount`), in the variant's
  currency, over every warehouse (active or not: their stock is still the shop's). Variants with
  units on hand and no cost are not valued: they are counted as "unvalued" instead.
- **available** = on_hand - allocated - reserved - safety_stock, summed over the selected *active*
  warehouses per variant (as the low-stock alert counts it; inactive warehouses never sell).
  Only variants of active products that have a stock level there are listed.
  *Out of stock*: available <= 0. *Low stock*: 0 < available <= the variant's low-stock threshold
  (variants without a threshold are never "low").
- **days of cover** = available / (units sold over the last N days / N), sales from the
  `product_sales_daily` rollup, whole months from `product_sales_monthly` (all currencies and
  warehouses: sales are not recorded per warehouse, so with a warehouse selected the cover is that
  warehouse's stock at the shop's whole rate). Nothing available gives 0 days; no sales in N days
  gives infinite cover (None here).
- **aging** approximates the age of stock by the age of its last receipt: every unit on hand of
  a (variant, warehouse) is as old as the latest "received" movement of that pair. The ledger
  keeps no lots, so older units received before a newer delivery look younger (FIFO is not
  modelled), and stock that never had a receipt (counted, adjusted or transferred in) is shown as
  "no receipt". Buckets by whole UTC days: 0-30, 31-90, 91-180, over 180.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select, text

from commerce import db
from commerce.catalog.models import Category, Product, Variant
from commerce.inventory.models import Warehouse
from commerce.reporting import rollups

AGE_BUCKETS = ("0-30", "31-90", "91-180", "180+", "no receipt")
COVER_BUCKETS = ("0-7", "8-30", "31-90", "90+", "no sales")
UNCATEGORISED = "Uncategorised"

_FILTERS = """
      AND (CAST(:warehouse AS bigint) IS NULL OR s.warehouse_id = :warehouse)
      AND (CAST(:category AS bigint) IS NULL OR p.category_id = :category)
"""

_VALUE_SQL = (
    """
SELECT s.warehouse_id, p.category_id, v.currency,
       sum(s.on_hand) AS units,
       coalesce(sum(s.on_hand::bigint * v.cost_amount), 0) AS value,
       coalesce(sum(s.on_hand) FILTER (WHERE v.cost_amount IS NULL), 0) AS unvalued_units,
       count(DISTINCT s.variant_id) FILTER (WHERE v.cost_amount IS NULL) AS unvalued,
       GROUPING(s.warehouse_id) AS total
FROM stock_levels s
JOIN variants v ON v.id = s.variant_id
JOIN products p ON p.id = v.product_id
WHERE s.on_hand > 0"""
    + _FILTERS
    + """
GROUP BY GROUPING SETS ((s.warehouse_id, p.category_id, v.currency), ())
"""
)

_AVAILABILITY_SQL = """
WITH stock AS (
    SELECT s.variant_id, sum(s.on_hand - s.allocated - s.reserved - s.safety_stock) AS available
    FROM stock_levels s
    JOIN warehouses w ON w.id = s.warehouse_id AND w.is_active
    JOIN variants v ON v.id = s.variant_id
    JOIN products p ON p.id = v.product_id AND p.status = 'active'
    WHERE (CAST(:warehouse AS bigint) IS NULL OR s.warehouse_id = :warehouse)
      AND (CAST(:category AS bigint) IS NULL OR p.category_id = :category)
    GROUP BY s.variant_id
), sold AS (
    SELECT variant_id, sum(units) AS units
    FROM {sales} AS sales
    WHERE variant_id IS NOT NULL
    GROUP BY variant_id
), per_variant AS MATERIALIZED (
    SELECT st.variant_id, st.available, vi.low_stock_threshold AS threshold,
           coalesce(sd.units, 0) AS sold,
           CASE WHEN coalesce(sd.units, 0) <= 0 THEN NULL
                WHEN st.available <= 0 THEN 0.0
                ELSE st.available * CAST(:days AS numeric) / sd.units END AS cover
    FROM stock st
    LEFT JOIN variant_inventories vi ON vi.variant_id = st.variant_id
    LEFT JOIN sold sd ON sd.variant_id = st.variant_id
), flagged AS (
    SELECT CASE WHEN available <= 0 THEN 'out' ELSE 'low' END AS kind, *
    FROM per_variant
    WHERE available <= 0 OR available <= threshold
    UNION ALL
    SELECT 'cover', * FROM per_variant WHERE cover IS NOT NULL
), ranked AS (
    SELECT *, count(*) OVER (PARTITION BY kind) AS total,
           row_number() OVER (PARTITION BY kind ORDER BY CASE WHEN kind = 'cover' THEN cover END,
                              available, variant_id) AS n
    FROM flagged
)
SELECT kind, variant_id, available, threshold, sold, cover, total
FROM ranked WHERE n <= :limit
UNION ALL
SELECT 'bucket:' || CASE WHEN cover IS NULL THEN 'no sales'
                         WHEN cover <= 7 THEN '0-7'
                         WHEN cover <= 30 THEN '8-30'
                         WHEN cover <= 90 THEN '31-90'
                         ELSE '90+' END,
       NULL, NULL, NULL, NULL, NULL, count(*)
FROM per_variant GROUP BY 1
""".replace("{sales}", rollups.PRODUCT_SALES_SQL)

_AGING_SQL = """
WITH received AS (
    SELECT m.variant_id, m.warehouse_id, max(m.created_at) AS last_received
    FROM stock_movements m
    WHERE m.reason = 'received' AND m.bucket = 'on_hand'
      AND (CAST(:warehouse AS bigint) IS NULL OR m.warehouse_id = :warehouse)
    GROUP BY m.variant_id, m.warehouse_id
)
SELECT CASE WHEN r.last_received IS NULL THEN 'no receipt'
            ELSE CASE WHEN age <= 30 THEN '0-30' WHEN age <= 90 THEN '31-90'
                      WHEN age <= 180 THEN '91-180' ELSE '180+' END
       END AS bucket,
       sum(s.on_hand) AS units, count(*) AS levels
FROM stock_levels s
LEFT JOIN received r ON r.variant_id = s.variant_id AND r.warehouse_id = s.warehouse_id
CROSS JOIN LATERAL (
    SELECT :today - (r.last_received AT TIME ZONE 'UTC')::date AS age
) a
WHERE s.on_hand > 0
  AND (CAST(:warehouse AS bigint) IS NULL OR s.warehouse_id = :warehouse)
  {category}
GROUP BY 1
"""
# Only joined when a category is chosen: without one, the whole stock needs no catalog rows.
_AGING_CATEGORY = """AND s.variant_id IN (
      SELECT v.id FROM variants v JOIN products p ON p.id = v.product_id
      WHERE p.category_id = :category)"""


def _settings() -> None:
    """For this transaction: these queries aggregate every stock level, and the default 4 MB
    would spill their hashes to disk; parallel workers would each build the same hash of
    receipts or stock again, which on a small server is slower, not faster."""
    db.session.execute(text("SET LOCAL work_mem = '64MB'"))
    db.session.execute(text("SET LOCAL max_parallel_workers_per_gather = 0"))


def _params(warehouse_id: int | None, category_id: int | None, **more: Any) -> dict[str, Any]:
    return {"warehouse": warehouse_id, "category": category_id, **more}


def filter_options() -> dict[str, list[tuple[int, str]]]:
    """The warehouses ((id, "CODE (name)"), by priority) and categories ((id, name)) to filter
    by."""
    warehouses = db.session.execute(
        select(Warehouse.id, Warehouse.code, Warehouse.name).order_by(
            Warehouse.priority, Warehouse.id
        )
    )
    categories = db.session.execute(select(Category.id, Category.name).order_by(Category.name))
    return {
        "warehouses": [(wid, f"{code} ({name})") for wid, code, name in warehouses],
        "categories": [(cid, name) for cid, name in categories],
    }


def _names(table: Any, ids: set[int], label: Any) -> dict[int, str]:
    if not ids:
        return {}
    rows = db.session.execute(select(table.id, label).where(table.id.in_(ids)))
    return {row_id: name for row_id, name in rows}


def _variants(ids: set[int]) -> dict[int, tuple[str, str]]:
    if not ids:
        return {}
    rows = db.session.execute(
        select(Variant.id, Variant.sku, Product.title)
        .join(Product, Product.id == Variant.product_id)
        .where(Variant.id.in_(ids))
    )
    return {variant_id: (sku, title) for variant_id, sku, title in rows}


def stock_value(
    *, warehouse_id: int | None = None, category_id: int | None = None
) -> dict[str, Any]:
    """Stock on hand at cost: "rows" per warehouse, category and currency (warehouse, category,
    currency, units, value, unvalued_units, unvalued: variants without a cost), "totals" per
    currency {currency: value}, "units" on hand and "unvalued" variants overall (each variant
    once). Raises nothing of its own."""
    _settings()
    result = db.session.execute(text(_VALUE_SQL), _params(warehouse_id, category_id)).all()
    detail = [row for row in result if not row.total]
    overall = next((row for row in result if row.total), None)
    warehouses = _names(Warehouse, {row.warehouse_id for row in detail}, Warehouse.code)
    categories = _names(
        Category, {row.category_id for row in detail if row.category_id}, Category.name
    )
    rows = [
        {
            "warehouse_id": row.warehouse_id,
            "warehouse": warehouses.get(row.warehouse_id, str(row.warehouse_id)),
            "category_id": row.category_id,
            "category": categories.get(row.category_id, UNCATEGORISED),
            "currency": row.currency,
            "units": int(row.units),
            "value": int(row.value),
            "unvalued_units": int(row.unvalued_units),
            "unvalued": int(row.unvalued),
        }
        for row in detail
    ]
    rows.sort(key=lambda r: (r["currency"], -r["value"], r["warehouse"], r["category"]))
    totals: dict[str, int] = {}
    for row in rows:
        totals[row["currency"]] = totals.get(row["currency"], 0) + row["value"]
    return {
        "rows": rows,
        "totals": dict(sorted(totals.items(), key=lambda item: -item[1])),
        "units": int(overall.units) if overall and overall.units is not None else 0,
        "unvalued": int(overall.unvalued) if overall else 0,
    }


def availability(
    today: dt.date,
    *,
    days: int = 30,
    warehouse_id: int | None = None,
    category_id: int | None = None,
    limit: int = 20,
) -> dict[str, Any]:
    """Low stock, out of stock and days of cover (sales over the `days` days up to `today`):
    "out", "low", "cover": the first `limit` variants (lowest availability / shortest cover
    first) as rows of variant_id, sku, title, available, threshold, sold, cover (days, None for
    no sales); "counts" {"out", "low", "cover"}: how many there are in all; "buckets"
    {COVER_BUCKETS: variants}. Raises nothing of its own."""
    _settings()
    sales = rollups.product_sales_between(today - dt.timedelta(days=days - 1), today)
    result = db.session.execute(
        text(_AVAILABILITY_SQL),
        _params(warehouse_id, category_id, today=today, days=days, limit=limit, **sales),
    ).all()
    names = _variants({row.variant_id for row in result if row.variant_id is not None})
    data: dict[str, Any] = {
        "out": [],
        "low": [],
        "cover": [],
        "counts": {"out": 0, "low": 0, "cover": 0},
        "buckets": dict.fromkeys(COVER_BUCKETS, 0),
    }
    for row in result:
        if row.kind.startswith("bucket:"):
            data["buckets"][row.kind.removeprefix("bucket:")] = int(row.total)
            continue
        sku, title = names.get(row.variant_id, ("?", "?"))
        data["counts"][row.kind] = int(row.total)
        data[row.kind].append(
            {
                "variant_id": row.variant_id,
                "sku": sku,
                "title": title,
                "available": int(row.available),
                "threshold": row.threshold,
                "sold": int(row.sold),
                "cover": None if row.cover is None else round(float(row.cover), 1),
            }
        )
    for kind in ("out", "low", "cover"):
        data[kind].sort(
            key=lambda r: (r["cover"] if kind == "cover" else 0, r["available"], r["variant_id"])
        )
    return data


def aging(
    today: dt.date, *, warehouse_id: int | None = None, category_id: int | None = None
) -> list[dict[str, Any]]:
    """Units on hand by the age of their stock level's last receipt (see the module's note), one
    row per AGE_BUCKETS entry: bucket, units, levels. Raises nothing of its own."""
    sql = _AGING_SQL.format(category=_AGING_CATEGORY if category_id is not None else "")
    _settings()
    result = db.session.execute(text(sql), _params(warehouse_id, category_id, today=today)).all()
    found = {row.bucket: (int(row.units), int(row.levels)) for row in result}
    rows = []
    for bucket in AGE_BUCKETS:
        units, levels = found.get(bucket, (0, 0))
        rows.append({"bucket": bucket, "units": units, "levels": levels})
    return rows
