"""Paid orders with tax worked out as checkout does, and helpers to read invoice PDFs."""

from __future__ import annotations

import base64
import itertools
import re
import zlib
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from commerce import db
from commerce.audit import Actor
from commerce.db import utcnow
from commerce.orders.models import Order, OrderLine

CLERK = Actor(kind="staff", id=1, label="clerk@shop.example")
_counter = itertools.count(1)


def _round(value: Decimal) -> int:
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def make_paid_order(
    *,
    lines: tuple[tuple[int, int, str], ...] = ((1, 2500, "0.19"),),
    discounts: tuple[int, ...] = (),
    shipping: int = 0,
    shipping_rate: str = "0.19",
    inclusive: bool = False,
    customer_id: int | None = None,
    gift_card: int = 0,
    **overrides: Any,
) -> Order:
    """A paid order of `lines` ((quantity, unit price, tax rate), ...) in EUR, taxed per line
    (and on shipping) and rounded half up like the tax engine, with its tax breakdown (committed).
    """
    n = next(_counter)
    groups: dict[str, list[int]] = {}
    order_lines, tax_total = [], 0
    for i, (quantity, price, rate) in enumerate(lines):
        discount = discounts[i] if i < len(discounts) else 0
        amount = quantity * price - discount
        r = Decimal(rate)
        tax = _round(amount * r / (1 + r)) if inclusive else _round(amount * r)
        net = amount - tax if inclusive else amount
        tax_total += tax
        group = groups.setdefault(rate, [0, 0])
        group[0] += net
        group[1] += tax
        order_lines.append(
            OrderLine(
                sku=f"INV-SKU-{n}-{i}",
                title=f"Product {n}-{i}",
                quantity=quantity,
                unit_price_amount=price,
                discount_amount=discount,
                tax_amount=tax,
                total_amount=amount if inclusive else amount + tax,
                tax_included=inclusive,
                tax_rate=r,
            )
        )
    if shipping:
        r = Decimal(shipping_rate)
        tax = _round(shipping * r / (1 + r)) if inclusive else _round(shipping * r)
        tax_total += tax
        group = groups.setdefault(shipping_rate, [0, 0])
        group[0] += shipping - tax if inclusive else shipping
        group[1] += tax
    subtotal = sum(line.quantity * line.unit_price_amount for line in order_lines)
    discount = sum(line.discount_amount for line in order_lines)
    total = subtotal - discount + shipping + (0 if inclusive else tax_total)
    address = {
        "name": f"Ada Lovelace {n}",
        "line1": "Unter den Linden 1",
        "city": "Berlin",
        "postcode": "10117",
        "country": "DE",
    }
    values: dict[str, Any] = {
        "customer_id": customer_id,
        "email": f"invoiced{n}@example.com",
        "status": "paid",
        "payment_status": "paid",
        "currency": "EUR",
        "prices_include_tax": inclusive,
        "subtotal_amount": subtotal,
        "discount_amount": discount,
        "shipping_amount": shipping,
        "tax_amount": tax_total,
        "total_amount": total,
        "gift_card_amount": gift_card,
        "placed_at": utcnow(),
        "payment_method": "stripe",
        "billing_address": address,
        "shipping_address": address,
        "shipping_method": {"name": "Standard"} if shipping else None,
        "shipping_country": "DE",
        "tax_lines": [
            {
                "name": f"VAT {(Decimal(rate) * 100).normalize():f}%",
                "rate": rate,
                "taxable_amount": net,
                "tax_amount": tax,
            }
            for rate, (net, tax) in sorted(groups.items(), key=lambda kv: -Decimal(kv[0]))
        ],
        "lines": order_lines,
    }
    values.update(overrides)
    order = Order(**values)
    db.session.add(order)
    db.session.commit()
    return order


def pdf_text(pdf: bytes) -> str:
    """The PDF with its content streams decoded (ASCII85 and Flate, as reportlab writes them)."""
    chunks = [pdf]
    for match in re.finditer(rb"<<([^>]*)>>\s*stream\r?\n(.*?)\s*endstream", pdf, re.S):
        header, data = match.groups()
        if b"ASCII85Decode" in header:
            data = base64.a85decode(data.strip(), adobe=True)
        if b"FlateDecode" in header:
            data = zlib.decompress(data)
        chunks.append(data)
    return b"\n".join(chunks).decode("latin-1")
