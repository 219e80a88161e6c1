"""Read helpers: availability, stock per warehouse, the variants running low. No writes."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from commerce import db
from commerce.catalog.models import Product, Variant
from commerce.inventory.ledger import available_by_variant
from commerce.inventory.models import StockLevel, VariantInventory, Warehouse


def availability(variant_ids: Iterable[int]) -> dict[int, int]:
    """{variant_id: units available to sell} summed over active warehouses, in one query; a
    variant without stock reads 0."""
    return available_by_variant(db.session(), variant_ids)


@dataclasses.dataclass(frozen=True, slots=True)
class LowStock:
    """A variant at or below its low-stock threshold, as the digest lists it."""

    variant_id: int
    sku: str
    product_title: str
    available: int
    threshold: int


def low_stock(variant_ids: Iterable[int]) -> list[LowStock]:
    """Those of `variant_ids` that are at or below their low-stock threshold now, lowest
    availability first."""
    ids = sorted(set(variant_ids))
    stmt = (
        select(Variant.id, Variant.sku, Product.title, VariantInventory.low_stock_threshold)
        .join(Product, Product.id == Variant.product_id)
        .join(VariantInventory, VariantInventory.variant_id == Variant.id)
        .where(Variant.id.in_(ids), VariantInventory.low_stock_threshold.is_not(None))
    )
    rows = db.session.execute(stmt).all()
    available = available_by_variant(db.session(), ids)
    found = [
        LowStock(variant_id, sku, title, available[variant_id], threshold)
        for variant_id, sku, title, threshold in rows
        if available[variant_id] <= threshold
    ]
    return sorted(found, key=lambda item: (item.available, item.sku))


def stock_for_variant(variant_id: int) -> list[StockLevel]:
    """A variant's stock level in every warehouse that has held it, by warehouse priority."""
    stmt = (
        select(StockLevel)
        .join(StockLevel.warehouse)
        .options(joinedload(StockLevel.warehouse))
        .where(StockLevel.variant_id == variant_id)
        .order_by(Warehouse.priority, Warehouse.id)
        .execution_options(populate_existing=True)
    )
    return list(db.session.scalars(stmt))
