"""Sales for the reporting tests: categorised variants with costs, orders with discounts, tax and
shipping placed at chosen moments, refunds issued on chosen days, and the independent figures the
rollups must match (plain Python over the raw rows, not the rollup SQL)."""

from __future__ import annotations

import datetime as dt
import itertools
from collections import defaultdict
from collections.abc import Iterable

from sqlalchemy import select, text

from commerce import db
from commerce.catalog.models import Category, Product, Variant
from commerce.orders.models import Order, OrderLine
from commerce.payments.models import Refund

_n = itertools.count(1)
COUNTED = ("paid", "partially_fulfilled", "fulfilled", "delivered", "on_hold")


def at(day: dt.date, hour: int = 12) -> dt.datetime:
    """A UTC moment on `day`."""
    return dt.datetime.combine(day, dt.time(hour), tzinfo=dt.UTC)


def make_category(name: str) -> Category:
    n = next(_n)
    category = Category(name=name, slug=f"{name.lower()}-{n}")
    db.session.add(category)
    db.session.commit()
    return category


def make_variant(category: Category | None, *, price: int = 2500, cost: int | None = 1000):
    """A variant of a new active product in `category`, with `cost` (committed)."""
    n = next(_n)
    product = Product(
        title=f"Report Tee {n}", slug=f"report-tee-{n}", status="active", category=category
    )
    variant = Variant(
        product=product, sku=f"RPT-{n:05d}", price_amount=price, cost_amount=cost, currency="EUR"
    )
    db.session.add(variant)
    db.session.commit()
    return variant


def make_sale(
    placed_at: dt.datetime,
    lines: Iterable[tuple[Variant | None, int, int, int]],
    *,
    status: str = "paid",
    country: str | None = "DE",
    channel: str = "web",
    shipping: int = 0,
    tax_rate_percent: int = 19,
    currency: str = "EUR",
) -> Order:
    """An order of `lines` ((variant, quantity, unit price, discount), ...), tax added on top of
    each discounted line and on shipping (committed)."""
    n = next(_n)
    order_lines = []
    for i, (variant, quantity, price, discount) in enumerate(lines):
        tax = (quantity * price - discount) * tax_rate_percent // 100
        order_lines.append(
            OrderLine(
                variant_id=variant.id if variant else None,
                sku=variant.sku if variant else f"GONE-{n}-{i}",
                title=f"Line {i}",
                quantity=quantity,
                unit_price_amount=price,
                discount_amount=discount,
                tax_amount=tax,
                total_amount=quantity * price - discount + tax,
            )
        )
    subtotal = sum(line.quantity * line.unit_price_amount for line in order_lines)
    discount = sum(line.discount_amount for line in order_lines)
    tax = sum(line.tax_amount for line in order_lines) + shipping * tax_rate_percent // 100
    order = Order(
        email=f"report{n}@example.com",
        status=status,
        payment_status="paid" if status in COUNTED else "pending",
        channel=channel,
        currency=currency,
        subtotal_amount=subtotal,
        discount_amount=discount,
        shipping_amount=shipping,
        tax_amount=tax,
        total_amount=subtotal - discount + shipping + tax,
        shipping_country=country,
        placed_at=placed_at,
        lines=order_lines,
    )
    db.session.add(order)
    db.session.commit()
    return order


def make_refund(
    order: Order,
    amount: int,
    created_at: dt.datetime,
    *,
    lines: list[tuple[OrderLine, int, int]] = (),
    status: str = "succeeded",
) -> Refund:
    """A refund row written directly (a gift-card refund, so it needs no payment), issued at
    `created_at`; `lines` are (order line, quantity, amount)."""
    n = next(_n)
    refund = Refund(
        order_id=order.id,
        provider="gift_card",
        amount=amount,
        payment_amount=0,
        gift_card_amount=amount,
        currency=order.currency,
        reason="test",
        status=status,
        failure_reason="declined" if status == "failed" else None,
        idempotency_key=f"report-refund-{n}",
        lines=[
            {"order_line_id": line.id, "quantity": quantity, "amount": part}
            for line, quantity, part in lines
        ],
        actor_kind="staff",
        actor_label="test",
        created_at=created_at,
        completed_at=created_at,
    )
    db.session.add(refund)
    db.session.commit()
    return refund


def make_shop(day1: dt.date, day2: dt.date) -> tuple[Order, Order, Order]:
    """Two days of sales in two categories, with discounts, tax, shipping, refunds by line and by
    amount, and orders that do not count (cancelled, awaiting payment, draft)."""
    shirts, shoes = make_category("Shirts"), make_category("Shoes")
    tee = make_variant(shirts, price=2500, cost=1000)
    boot = make_variant(shoes, price=8000, cost=None)
    loose = make_variant(None, price=1200, cost=300)
    o1 = make_sale(at(day1, 9), [(tee, 2, 2500, 500), (boot, 1, 8000, 0)], shipping=495)
    o2 = make_sale(at(day1, 23), [(boot, 3, 8000, 1200)], country="FR", channel="app")
    make_sale(at(day1, 10), [(tee, 5, 2500, 0)], status="cancelled")
    make_sale(at(day1, 11), [(tee, 7, 2500, 0)], status="pending_payment")
    make_sale(at(day1, 12), [(tee, 9, 2500, 0)], status="draft", channel="draft")
    o6 = make_sale(at(day2, 0), [(tee, 1, 2500, 0), (loose, 2, 1200, 100)], country=None)
    make_refund(o1, 2000, at(day2, 8), lines=[(o1.lines[0], 1, 2000)])
    make_refund(o2, 1500, at(day2, 9))
    make_refund(o6, 900, at(day2, 10), status="failed")
    return o1, o2, o6


FIELDS = ("orders", "units", "gross", "discounts", "refunds", "net", "tax", "shipping")


def expected_sales(by_category: bool = False) -> dict[tuple, dict[str, int]]:
    """Sales per (day, currency, country, channel[, category id]) computed in Python from every
    order and refund in the database, following the definitions in commerce.reporting.rollups."""
    figures: dict[tuple, dict[str, int]] = defaultdict(lambda: dict.fromkeys(FIELDS, 0))
    orders_in: dict[tuple, set[int]] = defaultdict(set)
    category_of = dict(
        db.session.execute(
            select(Variant.id, Product.category_id).join(Product, Product.id == Variant.product_id)
        ).all()
    )
    orders = {o.id: o for o in db.session.scalars(select(Order))}
    for order in orders.values():
        if order.status not in COUNTED:
            continue
        base = (
            order.placed_at.astimezone(dt.UTC).date(),
            order.currency,
            order.shipping_country or "",
            order.channel,
        )
        line_tax = 0
        for line in order.lines:
            key = (*base, category_of.get(line.variant_id)) if by_category else base
            row = figures[key]
            row["units"] += line.quantity
            row["gross"] += line.quantity * line.unit_price_amount
            row["discounts"] += line.discount_amount
            if by_category:
                row["tax"] += line.tax_amount
                line_tax += line.tax_amount
            orders_in[key].add(order.id)
        rest = figures[(*base, None) if by_category else base]
        rest["tax"] += order.tax_amount - line_tax
        rest["shipping"] += order.shipping_amount
        if not by_category:
            orders_in[base].add(order.id)
    line_category = {
        line.id: category_of.get(line.variant_id)
        for order in orders.values()
        for line in order.lines
    }
    for refund in db.session.scalars(select(Refund).where(Refund.status == "succeeded")):
        order = orders[refund.order_id]
        if order.status not in COUNTED:
            continue
        base = (
            refund.created_at.astimezone(dt.UTC).date(),
            order.currency,
            order.shipping_country or "",
            order.channel,
        )
        if by_category:
            left = refund.amount
            for part in refund.lines:
                figures[(*base, line_category[part["order_line_id"]])]["refunds"] += part["amount"]
                left -= part["amount"]
            figures[(*base, None)]["refunds"] += left
        else:
            figures[base]["refunds"] += refund.amount
    for key, row in figures.items():
        row["orders"] = len(orders_in[key])
        row["net"] = row["gross"] - row["discounts"] - row["refunds"]
    return {k: v for k, v in figures.items() if any(v.values())}


_ROLLUP_QUERIES = {
    "sales_daily": (
        "SELECT day, currency, country, channel, orders, units, gross_amount, discount_amount,"
        " refund_amount, net_amount, tax_amount, shipping_amount FROM sales_daily"
    ),
    "category_sales_daily": (
        "SELECT day, currency, country, channel, category_id, orders, units, gross_amount,"
        " discount_amount, refund_amount, net_amount, tax_amount, shipping_amount"
        " FROM category_sales_daily"
    ),
}


def rollup_rows(table: str) -> dict[tuple, dict[str, int]]:
    """The rows of `sales_daily` or `category_sales_daily`, keyed like `expected_sales`."""
    rows = db.session.execute(text(_ROLLUP_QUERIES[table])).all()
    width = 5 if table == "category_sales_daily" else 4
    return {tuple(r[:width]): dict(zip(FIELDS, r[width:], strict=True)) for r in rows}
