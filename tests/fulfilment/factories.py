"""Fulfilment test factories: a paid order with its stock allocated, ready to ship, and a reader
for the text of reportlab's PDFs."""

from __future__ import annotations

import re
import zlib
from base64 import a85decode

from commerce.audit import Actor
from commerce.inventory import service as inventory
from commerce.orders.models import Order
from commerce.orders.service import order_reference
from commerce.shipping.service import load_default_shipping
from tests.checkout.factories import make_order
from tests.factories import SYSTEM
from tests.inventory.factories import make_variant, make_warehouse

PACKER = Actor(kind="staff", id=None, label="packer@shop.example")
ADDRESS = {
    "name": "Camille Martin",
    "company": None,
    "line1": "Torstraße 12",
    "line2": None,
    "city": "Berlin",
    "region": None,
    "postcode": "10119",
    "country": "DE",
    "phone": "+4915123456789",
}
STANDARD = {
    "method_id": 0,
    "code": "standard",
    "name": "Standard",
    "amount": 490,
    "currency": "EUR",
    "min_days": 1,
    "max_days": 3,
    "carrier": "table",
    "service": "standard",
    "zone_code": "DE",
}


def make_shippable_order(
    quantities=(3, 1),
    *,
    warehouse=None,
    status="paid",
    digital=(),
    allocate=True,
    **overrides,
) -> Order:
    """A paid order of one new variant per quantity (on the shelf in `warehouse`, 10 each, and
    allocated to the order), shipping to Berlin by the table carrier's Standard service.
    Indexes in `digital` are digital lines (no stock). The shop's default shipping tables are
    loaded, so the carrier offers its services."""
    load_default_shipping(SYSTEM)
    warehouse = warehouse or make_warehouse()
    variants = {}
    for i, _quantity in enumerate(quantities):
        variant = make_variant(weight_grams=400, is_digital=i in digital)
        if i not in digital:
            inventory.receive_stock(variant.id, warehouse.id, 10, actor=PACKER)
        variants[f"variant_{i}"] = variant
        overrides.setdefault(f"digital_{i}", i in digital)
    values = {
        "status": status,
        "payment_status": "paid" if status != "pending_payment" else "pending",
        "shipping_address": dict(ADDRESS),
        "shipping_country": "DE",
        "shipping_method": dict(STANDARD),
    }
    values.update(overrides)
    order = make_order(lines=[(q, 2500) for q in quantities], **variants, **values)
    wanted = [(line.variant_id, line.quantity) for line in order.lines if not line.is_digital]
    if allocate and wanted:
        inventory.allocate_stock(wanted, order_reference(order), actor=PACKER)
    return order


def pdf_text(pdf: bytes) -> str:
    """The PDF with its page content streams decoded (ASCII85 and Flate, as reportlab writes)."""
    chunks = [pdf]
    for match in re.finditer(rb"<<([^>]*)>>\s*stream\r?\n(.*?)\s*endstream", pdf, re.S):
        header, data = match.groups()
        if b"ASCII85Decode" in header:
            data = a85decode(data.strip(), adobe=True)
        if b"FlateDecode" in header:
            data = zlib.decompress(data)
        chunks.append(data)
    return b"\n".join(chunks).decode("latin-1")
