"""Inventory test factories (plain functions with defaults) and the independent ledger check.

Products and variants are inserted through the session directly: the catalog's services are
another context's, and these tests only need rows to hold stock for.
"""

from __future__ import annotations

import itertools

from sqlalchemy import text

from commerce import db
from commerce.audit import Actor
from commerce.catalog.models import Product, Variant
from commerce.inventory import service as inventory
from commerce.inventory.models import Warehouse

_counter = itertools.count(1)
CLERK = Actor(kind="staff", id=None, label="clerk@shop.example")
BUYER = Actor(kind="customer", id=None, label="buyer@shop.example")


def make_product(**overrides) -> Product:
    """An active product (committed)."""
    n = next(_counter)
    values = {"title": f"Test Tee {n}", "slug": f"test-tee-{n}", "status": "active"}
    values.update(overrides)
    product = Product(**values)
    db.session.add(product)
    db.session.commit()
    return product


def make_variant(**overrides) -> Variant:
    """A variant of a new product unless `product` / `product_id` is given (committed)."""
    n = next(_counter)
    if "product" not in overrides and "product_id" not in overrides:
        overrides["product"] = make_product()
    values = {"sku": f"TEE-{n:05d}", "price_amount": 1999, "currency": "EUR"}
    values.update(overrides)
    variant = Variant(**values)
    db.session.add(variant)
    db.session.commit()
    return variant


def make_warehouse(**overrides) -> Warehouse:
    """A warehouse opened through the inventory service."""
    n = next(_counter)
    actor = overrides.pop("actor", CLERK)
    values = {"code": f"WH{n}", "name": f"Warehouse {n}", "country": "DE", "priority": 10 * n}
    values.update(overrides)
    return inventory.create_warehouse(actor=actor, **values)


# Every stock level's buckets next to the sum of their ledger deltas, computed in SQL from the
# raw tables (not through the services), including ledger rows for levels that do not exist.
LEDGER_CHECK = text(
    """
    WITH levels AS (
        SELECT l.variant_id, l.warehouse_id, b.bucket, b.amount
        FROM stock_levels l
        CROSS JOIN LATERAL (VALUES ('on_hand', l.on_hand), ('allocated', l.allocated),
                                   ('reserved', l.reserved), ('backordered', l.backordered))
                           AS b(bucket, amount)
    ), ledger AS (
        SELECT variant_id, warehouse_id, bucket, SUM(delta) AS amount
        FROM stock_movements GROUP BY variant_id, warehouse_id, bucket
    )
    SELECT COALESCE(levels.variant_id, ledger.variant_id),
           COALESCE(levels.warehouse_id, ledger.warehouse_id),
           COALESCE(levels.bucket, ledger.bucket),
           COALESCE(levels.amount, 0), COALESCE(ledger.amount, 0)
    FROM levels FULL JOIN ledger USING (variant_id, warehouse_id, bucket)
    WHERE COALESCE(levels.amount, 0) <> COALESCE(ledger.amount, 0)
    """
)


def ledger_mismatches(session) -> list[tuple]:
    """(variant_id, warehouse_id, bucket, stock level, ledger sum) wherever the two differ."""
    return [tuple(row) for row in session.execute(LEDGER_CHECK)]
