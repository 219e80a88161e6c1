"""The back-office order list's read side: what a search word matches, the totals of a customer's
orders, and the rows of an order export (whose one write is its audit row, `record_export`). The
list's screen is backoffice/orders.py.

Search. A word that is an order number (with or without "#") finds just that order. Otherwise an
order matches when its email contains the word (starts with it, for a word with "@", which the
lower(email) index answers), its customer's or shipping name contains it, or one of its lines'
SKU starts with it (the upper(sku) index answers that). A word with a digit that starts some
line's SKU is taken as a SKU search (orders with that SKU, or whose email starts with the word),
so it does not read every order's email and names. Each part is its own `id IN (...)` arm of a
UNION ALL so PostgreSQL plans each apart, as commerce.catalog.product_list does.
"""

from __future__ import annotations

import dataclasses
import importlib
from collections.abc import Iterator, Sequence
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, Index, func, or_, select, text, union_all
from sqlalchemy.orm import aliased, selectinload

from commerce import audit, db
from commerce.audit import Actor
from commerce.catalog.product_list import contains, like_pattern, sku_prefix
from commerce.customers.models import Customer
from commerce.money import exponent, format_money
from commerce.orders.models import Order, OrderLine
from commerce.payments.models import Payment

MAX_SEARCH_TERMS = 5
# Orders whose payment was collected: what counts towards a customer's lifetime value.
COLLECTED_PAYMENT_STATUSES = ("paid", "partially_refunded", "refunded")

# The list's indexes, declared here (and created by migration 0021) so that the models match the
# schema: SKU prefix over every order line, email prefix, and the payment and fulfilment status
# filters newest first (the support desk's "authorized, to capture" and "paid, to ship").
LIST_INDEXES = (
    Index(
        "ix_order_lines_upper_sku", text("upper(sku) text_pattern_ops"), _table=OrderLine.__table__
    ),
    Index("ix_orders_lower_email", text("lower(email) text_pattern_ops"), _table=Order.__table__),
    Index("ix_orders_payment_status_placed_at", Order.payment_status, Order.placed_at),
    Index("ix_orders_fulfilment_status_placed_at", Order.fulfilment_status, Order.placed_at),
)


# --- search --------------------------------------------------------------------------------------


def order_number(term: str) -> int | None:
    """`term` as an order number ("100042" or "#100042"), None when it is not one."""
    digits = term.strip().removeprefix("#")
    return int(digits) if digits.isascii() and digits.isdigit() and len(digits) < 19 else None


def search_term(term: str) -> ColumnElement[bool]:
    """The condition one search word puts on orders (see the module docstring)."""
    term = term.replace("\x00", "")  # PostgreSQL text cannot hold NUL
    number = order_number(term)
    if number is not None:
        exact = select(Order.id).where(Order.number == number)
        if db.session.scalar(exact) is not None:
            return Order.id.in_(exact)
    searched = aliased(Order, name="searched")
    by_sku = select(OrderLine.order_id).where(sku_prefix(OrderLine.sku, term))
    # A word with a digit that starts some line's SKU is a SKU search: the SKU index answers it
    # at once, where the substring arms would read every order's email and names.
    sku_like = any(c.isdigit() for c in term) and "@" not in term
    if sku_like and db.session.scalar(select(by_sku.exists())):
        by_email_start = select(searched.id).where(
            func.lower(searched.email).like(
                like_pattern(term.lower(), prefix_only=True), escape="\\"
            )
        )
        return Order.id.in_(union_all(by_sku, by_email_start))
    if "@" in term:
        by_email = select(searched.id).where(
            func.lower(searched.email).like(
                like_pattern(term.lower(), prefix_only=True), escape="\\"
            )
        )
    else:
        by_email = select(searched.id).where(contains(searched.email, term))
    by_shipping_name = select(searched.id).where(
        contains(searched.shipping_address["name"].astext, term)
    )
    named = select(Customer.id).where(
        or_(contains(Customer.first_name, term), contains(Customer.last_name, term))
    )
    by_customer = select(searched.id).where(searched.customer_id.in_(named))
    return Order.id.in_(union_all(by_email, by_shipping_name, by_customer, by_sku))


def search_conditions(text_: str | None) -> list[ColumnElement[bool]]:
    """The conditions of a whole search: one per word (each must match), the first
    MAX_SEARCH_TERMS words."""
    return [search_term(term) for term in (text_ or "").split()[:MAX_SEARCH_TERMS]]


# --- customers -----------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True, slots=True)
class CustomerSummary:
    """What a customer's orders add up to: how many were placed, and their lifetime value per
    currency ({currency: minor units})."""

    orders: int
    lifetime_value: dict[str, int]

    def lifetime_value_text(self) -> str:
        """The lifetime value as "1,234.50 EUR + 99.00 USD" ("0" with no paid orders)."""
        parts = [format_money(amount, cur) for cur, amount in sorted(self.lifetime_value.items())]
        return " + ".join(parts) or "0"


def customer_summary(customer_id: int) -> CustomerSummary:
    """How many orders a customer placed and their lifetime value, as the customers context
    counts them (commerce.customers.lifetime: orders not in draft; totals of orders whose payment
    was collected, less refunds) so that the order page and the customer's page agree. While that
    module is absent, the same rule on the payments' refunded amounts."""
    try:
        lifetime = importlib.import_module("commerce.customers.lifetime")
    except ModuleNotFoundError as exc:
        if exc.name not in ("commerce.customers.lifetime", "commerce.customers"):
            raise
        lifetime = None
    if lifetime is not None and hasattr(lifetime, "order_stats"):
        stats = lifetime.order_stats(customer_id)
        return CustomerSummary(orders=stats.order_count, lifetime_value=dict(stats.lifetime_value))
    placed = (Order.customer_id == customer_id, Order.status != "draft")
    count = db.session.scalar(select(func.count()).select_from(Order).where(*placed))
    refunded = (
        select(func.coalesce(func.sum(Payment.refunded_amount), 0))
        .where(Payment.order_id == Order.id)
        .scalar_subquery()
    )
    rows = db.session.execute(
        select(Order.currency, func.sum(Order.total_amount - refunded))
        .where(*placed, Order.payment_status.in_(COLLECTED_PAYMENT_STATUSES))
        .group_by(Order.currency)
    ).all()
    return CustomerSummary(orders=count or 0, lifetime_value={c: int(t) for c, t in rows})


# --- export --------------------------------------------------------------------------------------

EXPORT_COLUMNS = (
    "number", "placed_at", "status", "payment_status", "fulfilment_status", "channel",
    "payment_method", "email", "customer", "shipping_name", "shipping_country", "currency",
    "subtotal", "discount", "shipping", "tax", "total", "gift_cards", "amount_due", "items",
)  # fmt: skip


def _major(amount: int, currency: str) -> str:
    """Minor units as a plain decimal for a spreadsheet ("1234.50": no grouping, no code)."""
    places = exponent(currency)
    return f"{Decimal(amount).scaleb(-places):.{places}f}"


def export_rows(order_ids: Sequence[int], *, batch: int = 200) -> Iterator[list[Any]]:
    """One row per order in `order_ids` (by number, newest first), in EXPORT_COLUMNS' order,
    read `batch` orders at a time so a streamed export never holds them all."""
    ids = list(
        db.session.scalars(
            select(Order.id).where(Order.id.in_(list(order_ids))).order_by(Order.number.desc())
        )
    )
    for start in range(0, len(ids), batch):
        orders = db.session.scalars(
            select(Order)
            .where(Order.id.in_(ids[start : start + batch]))
            .options(selectinload(Order.lines), selectinload(Order.customer))
            .order_by(Order.number.desc())
        )
        for order in orders:
            customer = order.customer
            cur = order.currency
            yield [
                order.number,
                order.placed_at.isoformat(),
                order.status,
                order.payment_status,
                order.fulfilment_status,
                order.channel,
                order.payment_method or "",
                order.email,
                f"{customer.first_name} {customer.last_name}".strip() if customer else "",
                (order.shipping_address or {}).get("name") or "",
                order.shipping_country or "",
                cur,
                _major(order.subtotal_amount, cur),
                _major(order.discount_amount, cur),
                _major(order.shipping_amount, cur),
                _major(order.tax_amount, cur),
                _major(order.total_amount, cur),
                _major(order.gift_card_amount, cur),
                _major(order.amount_due, cur),
                "; ".join(f"{line.quantity} x {line.sku}" for line in order.lines),
            ]


def record_export(order_ids: Sequence[int], *, actor: Actor) -> list[int]:
    """Audit that `actor` exported the orders (their emails and names leave the system); returns
    the ids that exist, by number. One audit row for the whole export."""
    found = list(
        db.session.execute(
            select(Order.id, Order.number)
            .where(Order.id.in_(list(order_ids)))
            .order_by(Order.number.desc())
        )
    )
    numbers = [row.number for row in found]
    audit.record(
        actor,
        "order.export",
        "order_list",
        "orders",
        {"count": [None, len(numbers)], "numbers": [None, numbers]},
    )
    db.session.commit()
    return [row.id for row in found]
