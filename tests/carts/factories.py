"""Factories for cart and pricing tests: plain functions with defaults.

Catalog rows are written directly (another context's); stock, vouchers, promotions and gift cards
go through their services, as staff would make them.
"""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal
from typing import Any

from commerce import db
from commerce.audit import Actor
from commerce.catalog.models import Category, Variant
from commerce.customers.models import Customer
from commerce.inventory import service as inventory
from commerce.pricing import gift_cards, rules, vouchers
from commerce.tax.models import TaxRate, TaxZone
from tests.inventory.factories import make_warehouse
from tests.storefront_api.catalog_factories import make_product

STAFF = Actor(kind="staff", id=None, label="merch@shop.example")
SHOPPER = Actor(kind="customer", id=None, label="storefront", ip="203.0.113.7")
_counter = itertools.count(1)


def now_plus(days: float) -> dt.datetime:
    """A timezone-aware UTC time `days` from now (negative: in the past)."""
    return dt.datetime.now(dt.UTC) + dt.timedelta(days=days)


def make_variant(
    price: int = 1000,
    *,
    stock: int | None = 10,
    category: Category | None = None,
    **fields: Any,
) -> Variant:
    """A variant of a new active product at `price` minor units (EUR) with `stock` units on the
    shelf of a fresh warehouse (None: no stock level at all). `status` and `published_at` go to
    the product, the rest to the variant."""
    product_fields = {k: fields.pop(k) for k in ("status", "published_at", "title") if k in fields}
    n = next(_counter)
    fields.setdefault("sku", f"CART-{n:04d}")
    product = make_product(
        category=category, variants=[{"price": price, **fields}], **product_fields
    )
    variant = product.variants[0]
    if stock:
        warehouse = make_warehouse()
        inventory.receive_stock(variant.id, warehouse.id, stock, actor=STAFF)
    return variant


def make_customer(**overrides: Any) -> Customer:
    """A customer row (no password: these tests never sign in through the service)."""
    n = next(_counter)
    values: dict[str, Any] = {
        "email": f"cart-shopper{n}@example.com",
        "first_name": "Grace",
        "last_name": f"Hopper{n}",
        "country": "DE",
    }
    values.update(overrides)
    customer = Customer(**values)
    db.session.add(customer)
    db.session.commit()
    return customer


def make_tax_zone(country: str = "DE", rate: str = "0.19", reduced: str | None = None) -> TaxZone:
    """A tax zone for `country` with a standard rate (and a reduced one when given)."""
    zone = TaxZone(code=f"T-{country}-{next(_counter)}", name=country, country=country)
    zone.rates = [TaxRate(tax_class="standard", rate=Decimal(rate), name=f"VAT {rate}")]
    if reduced:
        zone.rates.append(TaxRate(tax_class="reduced", rate=Decimal(reduced), name="Reduced"))
    db.session.add(zone)
    db.session.commit()
    return zone


def make_voucher(code: str | None = None, kind: str = "percentage", **overrides: Any):
    """A voucher through the service; 10 % off the order unless told otherwise."""
    values: dict[str, Any] = {"currency": "EUR"}
    if kind == "percentage":
        values["percent"] = "10"
    elif kind == "fixed":
        values["amount"] = 500
    values.update(overrides)
    return vouchers.create_voucher(code or f"SAVE{next(_counter)}", kind, actor=STAFF, **values)


def make_promotion(kind: str = "percentage", **overrides: Any):
    """An automatic promotion through the service; 10 % off everything unless told otherwise."""
    values: dict[str, Any] = {"name": f"Promotion {next(_counter)}"}
    if kind == "percentage":
        values["percent"] = "10"
    else:
        values.update(amount=100, currency="EUR")
    values.update(overrides)
    return rules.create_promotion(kind=kind, actor=STAFF, **values)


def make_gift_card(amount: int = 5000, **overrides: Any) -> gift_cards.IssuedGiftCard:
    """A gift card issued by staff; returns the card and its code."""
    return gift_cards.issue_gift_card(
        amount, overrides.pop("currency", "EUR"), actor=STAFF, **overrides
    )


ADDRESS = {
    "name": "Ada Lovelace",
    "line1": "Unter den Linden 1",
    "city": "Berlin",
    "postcode": "10117",
    "country": "DE",
}
