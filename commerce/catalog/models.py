"""Catalog models: Category (a tree), Brand, Product and the Variant that is actually sold.

A product is what a shopper browses; a variant (one size and colour, say) is what goes into a cart,
carries the SKU and the price. Prices are integer minor units of `currency`; typed attributes live
in JSONB so each product type can have its own without a schema change.
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
    Text,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column, relationship

from commerce.catalog.types import ProductType
from commerce.db import Base, TimestampMixin, one_of

PRODUCT_STATUSES = ("draft", "active", "archived")
DEFAULT_CURRENCY = "EUR"


class Category(TimestampMixin, Base):
    """A node of the category tree (Apparel > Men > T-shirts); `position` orders siblings."""

    __tablename__ = "categories"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    # A parent with children cannot be deleted: move or delete the children first.
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("categories.id"), index=True)
    name: Mapped[str] = mapped_column(String(120), nullable=False)
    slug: Mapped[str] = mapped_column(String(160), nullable=False, unique=True)
    position: Mapped[int] = mapped_column(
        Integer, nullable=False, default=0, server_default=text("0")
    )

    parent: Mapped[Category | None] = relationship(
        back_populates="children", remote_side="Category.id"
    )
    children: Mapped[list[Category]] = relationship(
        back_populates="parent", order_by="(Category.position, Category.id)"
    )

    def __str__(self) -> str:
        return self.name


class Brand(Base):
    """A brand products are sold under."""

    __tablename__ = "brands"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    name: Mapped[str] = mapped_column(String(120), nullable=False)
    slug: Mapped[str] = mapped_column(String(160), nullable=False, unique=True)

    def __str__(self) -> str:
        return self.name


class Product(TimestampMixin, Base):
    """A thing the shop sells, in one or more variants. Only `active` products are on sale."""

    __tablename__ = "products"
    __table_args__ = (
        CheckConstraint(
            one_of("status", PRODUCT_STATUSES),
            name="status_known",
        ),
        Index("ix_products_status_id", "status", "id"),
        Index("ix_products_attributes", "attributes", postgresql_using="gin"),
        Index("ix_products_tags", "tags", postgresql_using="gin"),
        # The storefront list's sort orders over visible products (keyset pagination).
        Index(
            "ix_products_active_created_at",
            text("created_at DESC"),
            text("id DESC"),
            postgresql_where=text("status = 'active'"),
        ),
        Index(
            "ix_products_active_title", "title", "id", postgresql_where=text("status = 'active'")
        ),
        Index("ix_products_updated_at", "updated_at"),  # the back-office list's default sort
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    title: Mapped[str] = mapped_column(String(255), nullable=False)
    slug: Mapped[str] = mapped_column(String(255), nullable=False, unique=True)
    description: Mapped[str] = mapped_column(
        Text, nullable=False, default="", server_default=text("''")
    )
    status: Mapped[str] = mapped_column(
        String(20), nullable=False, default="draft", server_default=text("'draft'")
    )
    category_id: Mapped[int | None] = mapped_column(
        ForeignKey("categories.id", ondelete="SET NULL"), index=True
    )
    brand_id: Mapped[int | None] = mapped_column(
        ForeignKey("brands.id", ondelete="SET NULL"), index=True
    )
    tags: Mapped[list[str]] = mapped_column(
        ARRAY(Text), nullable=False, default=list, server_default=text("'{}'")
    )
    attributes: Mapped[dict[str, Any]] = mapped_column(
        JSONB, nullable=False, default=dict, server_default=text("'{}'")
    )
    published_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    product_type_id: Mapped[int | None] = mapped_column(
        ForeignKey("product_types.id", ondelete="RESTRICT"), index=True
    )
    seo_title: Mapped[str | None] = mapped_column(String(255))
    seo_description: Mapped[str | None] = mapped_column(String(320))

    category: Mapped[Category | None] = relationship()
    brand: Mapped[Brand | None] = relationship()
    product_type: Mapped[ProductType | None] = relationship()
    variants: Mapped[list[Variant]] = relationship(
        back_populates="product",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="Variant.id",
    )

    def __str__(self) -> str:
        return self.title


class Variant(TimestampMixin, Base):
    """One purchasable version of a product (its option values, SKU and price).

    `price_amount` is what a shopper pays per unit before tax, `compare_at_amount` the struck-out
    "was" price shown beside it, `cost_amount` what the shop paid (for margins); all in minor units
    of `currency`."""

    __tablename__ = "variants"
    __table_args__ = (
        CheckConstraint("price_amount >= 0", name="price_amount_non_negative"),
        CheckConstraint("compare_at_amount >= 0", name="compare_at_amount_non_negative"),
        CheckConstraint("cost_amount >= 0", name="cost_amount_non_negative"),
        CheckConstraint("weight_grams >= 0", name="weight_grams_non_negative"),
        CheckConstraint(
            "length_mm >= 0 AND width_mm >= 0 AND height_mm >= 0", name="dimensions_non_negative"
        ),
        CheckConstraint("currency ~ '^[A-Z]{3}$'", name="currency_iso"),
        CheckConstraint("gift_card_value_amount > 0", name="gift_card_value_amount_positive"),
        CheckConstraint(
            "gift_card_value_amount IS NULL OR is_digital", name="gift_card_is_digital"
        ),
        Index("ix_variants_price_amount_product_id", "price_amount", "product_id"),
        # SKU-prefix search in the back-office and the services' case-insensitive SKU check.
        Index("ix_variants_upper_sku", text("upper(sku) text_pattern_ops")),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    product_id: Mapped[int] = mapped_column(
        ForeignKey("products.id", ondelete="CASCADE"), nullable=False, index=True
    )
    sku: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    barcode: Mapped[str | None] = mapped_column(String(64))
    option_values: Mapped[dict[str, str]] = mapped_column(
        JSONB, nullable=False, default=dict, server_default=text("'{}'")
    )
    price_amount: Mapped[int] = mapped_column(BigInteger, nullable=False)
    compare_at_amount: Mapped[int | None] = mapped_column(BigInteger)
    cost_amount: Mapped[int | None] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(
        CHAR(3), nullable=False, default=DEFAULT_CURRENCY, server_default=text("'EUR'")
    )
    weight_grams: Mapped[int | None] = mapped_column(Integer)
    length_mm: Mapped[int | None] = mapped_column(Integer)
    width_mm: Mapped[int | None] = mapped_column(Integer)
    height_mm: Mapped[int | None] = mapped_column(Integer)
    tax_class: Mapped[str] = mapped_column(
        String(40), nullable=False, default="standard", server_default=text("'standard'")
    )
    shipping_class: Mapped[str] = mapped_column(
        String(40), nullable=False, default="standard", server_default=text("'standard'")
    )
    is_digital: Mapped[bool] = mapped_column(
        Boolean, nullable=False, default=False, server_default=text("false")
    )
    # Set: the variant is a gift card; each unit paid for issues a card of this value (minor
    # units, in the order's currency) whose code is emailed to the buyer. Always digital.
    gift_card_value_amount: Mapped[int | None] = mapped_column(BigInteger)

    product: Mapped[Product] = relationship(back_populates="variants")

    def __str__(self) -> str:
        return self.sku
