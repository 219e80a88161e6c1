"""Catalog rows for storefront tests: plain functions with defaults.

They write the models directly (the storefront only reads the catalog) and commit, which inside a
test releases a savepoint of the test's outer transaction, so the rows outlive the request's
session and are still rolled back when the test ends.
"""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

from commerce import db
from commerce.catalog.models import Brand, Category, Product, Variant

_counter = itertools.count(1)


def _n() -> int:
    return next(_counter)


def days_from_now(days: float) -> dt.datetime:
    """A timezone-aware UTC time `days` away (negative: in the past)."""
    return dt.datetime.now(dt.UTC) + dt.timedelta(days=days)


def make_category(parent: Category | None = None, **overrides: Any) -> Category:
    """A category (under `parent`, or a root)."""
    n = _n()
    values: dict[str, Any] = {"name": f"Category {n}", "slug": f"category-{n}", "position": 0}
    values.update(overrides)
    category = Category(parent=parent, **values)
    db.session.add(category)
    db.session.commit()
    return category


def make_brand(**overrides: Any) -> Brand:
    """A brand."""
    n = _n()
    values: dict[str, Any] = {"name": f"Brand {n}", "slug": f"brand-{n}"}
    values.update(overrides)
    brand = Brand(**values)
    db.session.add(brand)
    db.session.commit()
    return brand


def make_product(
    *,
    category: Category | None = None,
    brand: Brand | None = None,
    status: str = "active",
    attributes: dict[str, Any] | None = None,
    variants: list[int | dict[str, Any]] | None = None,
    **overrides: Any,
) -> Product:
    """A product with `variants`: each a price in minor units or a dict of Variant fields (a
    `price` key is taken as price_amount). Default: one variant at 19.99 EUR, published a day ago.
    """
    n = _n()
    values: dict[str, Any] = {
        "title": f"Product {n}",
        "slug": f"product-{n}",
        "description": f"The description of product {n}.",
        "status": status,
        "tags": [],
        "published_at": days_from_now(-1),
    }
    values.update(overrides)
    product = Product(
        category=category,
        brand=brand,
        attributes=attributes if attributes is not None else {},
        **values,
    )
    for index, spec in enumerate([1999] if variants is None else variants, 1):
        fields: dict[str, Any] = {"price_amount": spec} if isinstance(spec, int) else dict(spec)
        if "price" in fields:
            fields["price_amount"] = fields.pop("price")
        fields.setdefault("sku", f"SKU-{n}-{index}")
        fields.setdefault("currency", "EUR")
        product.variants.append(Variant(**fields))
    db.session.add(product)
    db.session.commit()
    return product
