"""Cart models: a Cart, its lines and the gift cards a shopper added to it.

A cart belongs to a customer (at most one open cart each, a partial unique index) or is a guest
cart found by an unguessable token, of which only the sha256 is stored. A cart is `open` while the
shopper fills it, `merged` once a guest cart was folded into a customer's cart at sign-in, and
`converted` once checkout turned it into an order; only open carts can be read or changed.

`unit_price_amount` on a line is the unit price the shopper was last shown, so that a read can tell
them when the price changed since (see commerce/carts/reading.py). Addresses are JSON snapshots
validated by commerce/carts/addresses.py.
"""

from __future__ import annotations

import datetime as dt
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
    String,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column, relationship

from commerce.catalog.models import Variant
from commerce.db import Base, TimestampMixin, one_of, utcnow
from commerce.pricing.models import GiftCard, Voucher

CART_STATUSES = ("open", "merged", "converted")


class Cart(TimestampMixin, Base):
    """A shopper's cart (see the module docstring)."""

    __tablename__ = "carts"
    __table_args__ = (
        CheckConstraint(one_of("status", CART_STATUSES), name="status_known"),
        CheckConstraint("customer_id IS NOT NULL OR token_hash IS NOT NULL", name="has_owner"),
        CheckConstraint("token_hash ~ '^[0-9a-f]{64}$'", name="token_hash_sha256"),
        CheckConstraint("currency ~ '^[A-Z]{3}$'", name="currency_iso"),
        CheckConstraint("(status = 'open') = (closed_at IS NULL)", name="closed_when_not_open"),
        Index(
            "uq_carts_open_customer",
            "customer_id",
            unique=True,
            postgresql_where=text("status = 'open'"),
        ),
        Index("ix_carts_customer_id", "customer_id"),
        Index("ix_carts_open_updated_at", "updated_at", postgresql_where=text("status = 'open'")),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    token_hash: Mapped[str | None] = mapped_column(CHAR(64), unique=True)
    status: Mapped[str] = mapped_column(
        String(16), nullable=False, default="open", server_default=text("'open'")
    )
    currency: Mapped[str] = mapped_column(CHAR(3), nullable=False)
    email: Mapped[str | None] = mapped_column(String(254))
    shipping_address: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    billing_address: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    voucher_id: Mapped[int | None] = mapped_column(
        ForeignKey("vouchers.id", ondelete="SET NULL"), index=True
    )
    # Chosen among the shipping context's methods; no foreign key, that table is not ours.
    shipping_method_id: Mapped[int | None] = mapped_column(BigInteger)
    closed_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    # A guest's explicit yes to marketing email, given with the cart's email (a customer's cart
    # goes by the customer's accepts_marketing instead); see commerce/carts/abandoned.py.
    marketing_consent: Mapped[bool] = mapped_column(
        Boolean, nullable=False, default=False, server_default=text("false")
    )
    # When the abandoned-cart reminder went out; a cart is reminded once.
    reminded_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))

    voucher: Mapped[Voucher | None] = relationship()
    lines: Mapped[list[CartLine]] = relationship(
        back_populates="cart",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="CartLine.id",
    )
    gift_cards: Mapped[list[CartGiftCard]] = relationship(
        cascade="all, delete-orphan", passive_deletes=True, order_by="CartGiftCard.added_at"
    )

    def __str__(self) -> str:
        return f"cart:{self.id}"


class CartLine(TimestampMixin, Base):
    """One variant in a cart and how many of it; a variant appears once per cart."""

    __tablename__ = "cart_lines"
    __table_args__ = (
        UniqueConstraint("cart_id", "variant_id", name="uq_cart_lines_cart_variant"),
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint("unit_price_amount >= 0", name="unit_price_amount_non_negative"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    cart_id: Mapped[int] = mapped_column(ForeignKey("carts.id", ondelete="CASCADE"), nullable=False)
    variant_id: Mapped[int] = mapped_column(
        ForeignKey("variants.id", ondelete="CASCADE"), nullable=False, index=True
    )
    quantity: Mapped[int] = mapped_column(Integer, nullable=False)
    unit_price_amount: Mapped[int] = mapped_column(BigInteger, nullable=False)

    cart: Mapped[Cart] = relationship(back_populates="lines")
    variant: Mapped[Variant] = relationship()


class CartGiftCard(Base):
    """A gift card the shopper added to a cart, spent in the order added."""

    __tablename__ = "cart_gift_cards"

    cart_id: Mapped[int] = mapped_column(
        ForeignKey("carts.id", ondelete="CASCADE"), primary_key=True
    )
    gift_card_id: Mapped[int] = mapped_column(
        ForeignKey("gift_cards.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    added_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, server_default=func.now(), nullable=False
    )

    gift_card: Mapped[GiftCard] = relationship()
