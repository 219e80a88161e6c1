"""Order and OrderLine: a placed order and the snapshot of what it sold.

Amounts are integer minor units of the order's `currency`. With `prices_include_tax` false
(US-style) tax is added on top of prices; with it true (EU-style) prices already contain it and
`tax_amount` says how much of them is tax. The totals always obey these rules (the two per-row
ones are CHECK constraints as well), where T is the tax when added on top and 0 when included:

    line.total_amount     = line.quantity * line.unit_price_amount - line.discount_amount + T
    order.subtotal_amount = sum(line.quantity * line.unit_price_amount)
    order.discount_amount = sum(line.discount_amount)   (order-wide discounts are spread over lines)
    order.tax_amount      = sum(line.tax_amount) + the tax on shipping
    order.total_amount    = subtotal - discount + shipping + T
    order.gift_card_amount <= order.total_amount        (gift cards are a tender, not a discount)
    amount due            = total - gift_card_amount    (what the payment method collects)

Tax is computed per line on its discounted amount (quantity * unit price - discount), and on the
shipping amount, each rounded half up to the minor unit.

Lines copy the SKU, title and unit price at the time of sale, so later catalog edits never change a
placed order; `variant_id` becomes NULL if the variant is deleted.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    CHAR,
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    Sequence,
    String,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column, relationship

from commerce.catalog.models import Variant
from commerce.customers.models import Customer
from commerce.db import Base, TimestampMixin, one_of

ORDER_STATUSES = (
    "draft",
    "pending_payment",
    "paid",
    "partially_fulfilled",
    "fulfilled",
    "delivered",
    "cancelled",
    "on_hold",
)
PAYMENT_STATUSES = (
    "pending",
    "authorized",
    "paid",
    "partially_refunded",
    "refunded",
    "voided",
    "failed",
)
FULFILMENT_STATUSES = ("unfulfilled", "partial", "fulfilled")
CHANNELS = ("web", "app", "draft")
PAYMENT_METHODS = ("stripe", "bank_transfer", "cash_on_delivery")

# Human order numbers come from their own sequence, so they stay short and never collide.
ORDER_NUMBERS = Sequence("order_numbers", start=100001, metadata=Base.metadata)


class Order(TimestampMixin, Base):
    """An order placed by a customer (or a guest, with `customer_id` NULL). See the module
    docstring for how its amounts add up."""

    __tablename__ = "orders"
    __table_args__ = (
        CheckConstraint(one_of("status", ORDER_STATUSES), name="status_known"),
        CheckConstraint(one_of("payment_status", PAYMENT_STATUSES), name="payment_status_known"),
        CheckConstraint(
            one_of("fulfilment_status", FULFILMENT_STATUSES), name="fulfilment_status_known"
        ),
        CheckConstraint(one_of("channel", CHANNELS), name="channel_known"),
        CheckConstraint("currency ~ '^[A-Z]{3}$'", name="currency_iso"),
        CheckConstraint("shipping_country ~ '^[A-Z]{2}$'", name="shipping_country_iso"),
        CheckConstraint("subtotal_amount >= 0", name="subtotal_amount_non_negative"),
        CheckConstraint(
            "discount_amount >= 0 AND discount_amount <= subtotal_amount",
            name="discount_amount_within_subtotal",
        ),
        CheckConstraint("shipping_amount >= 0", name="shipping_amount_non_negative"),
        CheckConstraint("tax_amount >= 0", name="tax_amount_non_negative"),
        CheckConstraint("total_amount >= 0", name="total_amount_non_negative"),
        CheckConstraint(
            "total_amount = subtotal_amount - discount_amount + shipping_amount"
            " + CASE WHEN prices_include_tax THEN 0 ELSE tax_amount END",
            name="total_amount_adds_up",
        ),
        CheckConstraint(
            "gift_card_amount >= 0 AND gift_card_amount <= total_amount",
            name="gift_card_amount_within_total",
        ),
        CheckConstraint(
            "payment_method IS NULL OR " + one_of("payment_method", PAYMENT_METHODS),
            name="payment_method_known",
        ),
        Index("ix_orders_placed_at", "placed_at"),
        Index("ix_orders_customer_id_placed_at", "customer_id", "placed_at"),
        Index("ix_orders_status_placed_at", "status", "placed_at"),
        Index("ix_orders_total_amount_id", "total_amount", "id"),  # the list sorted by total
        Index("ix_orders_shipping_country_id", "shipping_country", "id"),  # ... by country
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    number: Mapped[int] = mapped_column(
        BigInteger, nullable=False, unique=True, server_default=ORDER_NUMBERS.next_value()
    )
    # Customers are anonymised, never deleted, while they have orders (the law keeps orders).
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id"))
    email: Mapped[str] = mapped_column(String(254), nullable=False)
    status: Mapped[str] = mapped_column(String(24), nullable=False, default="draft")
    payment_status: Mapped[str] = mapped_column(String(24), nullable=False, default="pending")
    fulfilment_status: Mapped[str] = mapped_column(
        String(24), nullable=False, default="unfulfilled"
    )
    channel: Mapped[str] = mapped_column(String(16), nullable=False, default="web")
    currency: Mapped[str] = mapped_column(CHAR(3), nullable=False)
    subtotal_amount: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    discount_amount: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    shipping_amount: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    tax_amount: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    total_amount: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    # Absent when nothing ships (digital goods only) or a draft has no address yet.
    shipping_country: Mapped[str | None] = mapped_column(CHAR(2))
    placed_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    prices_include_tax: Mapped[bool] = mapped_column(
        Boolean, nullable=False, default=False, server_default=text("false")
    )
    gift_card_amount: Mapped[int] = mapped_column(
        BigInteger, nullable=False, default=0, server_default=text("0")
    )
    payment_method: Mapped[str | None] = mapped_column(String(24))
    # Snapshots taken when the order is placed (later edits elsewhere never change them).
    shipping_address: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    billing_address: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    shipping_method: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    tax_lines: Mapped[list[dict[str, Any]]] = mapped_column(
        JSONB, nullable=False, default=list, server_default=text("'[]'")
    )
    adjustments: Mapped[list[dict[str, Any]]] = mapped_column(
        JSONB, nullable=False, default=list, server_default=text("'[]'")
    )  # promotions, voucher and gift cards applied, as the pricing engine described them
    cart_reference: Mapped[str | None] = mapped_column(String(64))
    # While on hold: the status the order goes back to when the hold is released.
    held_from_status: Mapped[str | None] = mapped_column(String(24))

    @property
    def amount_due(self) -> int:
        """What the payment method collects: the total less gift cards."""
        return self.total_amount - self.gift_card_amount

    customer: Mapped[Customer | None] = relationship()
    lines: Mapped[list[OrderLine]] = relationship(
        back_populates="order",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="OrderLine.id",
    )

    def __str__(self) -> str:
        return f"#{self.number}"


class OrderLine(Base):
    """One line of an order: a snapshot of the variant sold, its quantity and amounts."""

    __tablename__ = "order_lines"
    __table_args__ = (
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint("unit_price_amount >= 0", name="unit_price_amount_non_negative"),
        CheckConstraint(
            "discount_amount >= 0 AND discount_amount <= quantity * unit_price_amount",
            name="discount_amount_within_price",
        ),
        CheckConstraint("tax_amount >= 0", name="tax_amount_non_negative"),
        CheckConstraint(
            "total_amount = quantity * unit_price_amount - discount_amount"
            " + CASE WHEN tax_included THEN 0 ELSE tax_amount END",
            name="total_amount_adds_up",
        ),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    order_id: Mapped[int] = mapped_column(
        ForeignKey("orders.id", ondelete="CASCADE"), nullable=False, index=True
    )
    variant_id: Mapped[int | None] = mapped_column(
        ForeignKey("variants.id", ondelete="SET NULL"), index=True
    )
    sku: Mapped[str] = mapped_column(String(64), nullable=False)
    title: Mapped[str] = mapped_column(String(255), nullable=False)
    quantity: Mapped[int] = mapped_column(Integer, nullable=False)
    unit_price_amount: Mapped[int] = mapped_column(BigInteger, nullable=False)
    discount_amount: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    tax_amount: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    total_amount: Mapped[int] = mapped_column(BigInteger, nullable=False)
    tax_included: Mapped[bool] = mapped_column(
        Boolean, nullable=False, default=False, server_default=text("false")
    )
    tax_rate: Mapped[Decimal | None] = mapped_column(Numeric(6, 5))
    tax_class: Mapped[str | None] = mapped_column(String(40))
    option_values: Mapped[dict[str, Any]] = mapped_column(
        JSONB, nullable=False, default=dict, server_default=text("'{}'")
    )
    is_digital: Mapped[bool] = mapped_column(
        Boolean, nullable=False, default=False, server_default=text("false")
    )

    order: Mapped[Order] = relationship(back_populates="lines")
    variant: Mapped[Variant | None] = relationship()

    def __str__(self) -> str:
        return f"{self.quantity} x {self.sku}"
