"""Rollup tables: daily sales figures, customer months and shipped orders, which the dashboards
read instead of scanning orders.

They hold nothing that cannot be recomputed: `commerce.reporting.rollups` rewrites the sales rows
from orders, order lines and refunds (see there for what each figure means),
`commerce.reporting.customers` the customer months and `commerce.reporting.operations` the shipped
orders. Amounts are integer minor
units of the row's `currency`; `country` is '' for orders that ship nowhere.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import CHAR, BigInteger, Date, DateTime, Double, Identity, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from commerce.db import Base


class _SalesFigures:
    """The measures of a sales row (shared by the whole-order and the per-category rollup)."""

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    day: Mapped[dt.date] = mapped_column(Date, nullable=False)
    currency: Mapped[str] = mapped_column(CHAR(3), nullable=False)
    country: Mapped[str] = mapped_column(String(2), nullable=False)
    channel: Mapped[str] = mapped_column(String(16), nullable=False)
    orders: Mapped[int] = mapped_column(Integer, nullable=False)
    units: Mapped[int] = mapped_column(BigInteger, nullable=False)
    gross_amount: Mapped[int] = mapped_column(BigInteger, nullable=False)
    discount_amount: Mapped[int] = mapped_column(BigInteger, nullable=False)
    refund_amount: Mapped[int] = mapped_column(BigInteger, nullable=False)
    net_amount: Mapped[int] = mapped_column(BigInteger, nullable=False)
    tax_amount: Mapped[int] = mapped_column(BigInteger, nullable=False)
    shipping_amount: Mapped[int] = mapped_column(BigInteger, nullable=False)


class SalesDay(_SalesFigures, Base):
    """Sales of one day, currency, shipping country and channel (whole orders)."""

    __tablename__ = "sales_daily"
    __table_args__ = (Index("ix_sales_daily_day", "day"),)


class CategorySalesDay(_SalesFigures, Base):
    """Sales of one day, currency, country, channel and product category. `category_id` NULL holds
    uncategorised lines and what belongs to no line (shipping, its tax, refunds not by line);
    `orders` counts the orders with a line in the category, so it does not add up across them."""

    __tablename__ = "category_sales_daily"
    __table_args__ = (Index("ix_category_sales_daily_day_category_id", "day", "category_id"),)

    category_id: Mapped[int | None] = mapped_column(BigInteger)


class ProductSalesDay(Base):
    """Units, revenue (after discounts, before refunds) and cost of one variant on one day.
    `costed_revenue_amount` is the revenue of the units whose variant has a cost, so a margin
    compares like with like."""

    __tablename__ = "product_sales_daily"
    __table_args__ = (Index("ix_product_sales_daily_day", "day"),)

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    day: Mapped[dt.date] = mapped_column(Date, nullable=False)
    currency: Mapped[str] = mapped_column(CHAR(3), nullable=False)
    variant_id: Mapped[int | None] = mapped_column(BigInteger)
    product_id: Mapped[int | None] = mapped_column(BigInteger)
    category_id: Mapped[int | None] = mapped_column(BigInteger)
    sku: Mapped[str] = mapped_column(String(64), nullable=False)
    title: Mapped[str] = mapped_column(String(255), nullable=False)
    units: Mapped[int] = mapped_column(BigInteger, nullable=False)
    revenue_amount: Mapped[int] = mapped_column(BigInteger, nullable=False)
    costed_revenue_amount: Mapped[int] = mapped_column(BigInteger, nullable=False)
    cost_amount: Mapped[int] = mapped_column(BigInteger, nullable=False)


class ProductSalesMonth(Base):
    """The product_sales_daily rows of one closed UTC calendar month summed per currency, variant
    and category: a long range reads its closed months here and its other days there
    (commerce.reporting.rollups.product_sales_between). The month in progress has no rows; a
    closed month is summed again whenever one of its days is refreshed."""

    __tablename__ = "product_sales_monthly"
    __table_args__ = (Index("ix_product_sales_monthly_month", "month"),)

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    month: Mapped[dt.date] = mapped_column(Date, nullable=False)
    currency: Mapped[str] = mapped_column(CHAR(3), nullable=False)
    variant_id: Mapped[int | None] = mapped_column(BigInteger)
    category_id: Mapped[int | None] = mapped_column(BigInteger)
    units: Mapped[int] = mapped_column(BigInteger, nullable=False)
    revenue_amount: Mapped[int] = mapped_column(BigInteger, nullable=False)
    costed_revenue_amount: Mapped[int] = mapped_column(BigInteger, nullable=False)
    cost_amount: Mapped[int] = mapped_column(BigInteger, nullable=False)


class CustomerMonth(Base):
    """One customer's counted orders in one UTC month, currency, shipping country and channel,
    with the month of their first counted order anywhere (`first_month`) and the net value of
    those orders (subtotal - discounts - every succeeded refund of them, whenever issued).
    Rewritten per customer by commerce.reporting.customers.refresh_customers."""

    __tablename__ = "customer_months"
    __table_args__ = (
        Index("ix_customer_months_month", "month"),
        Index("ix_customer_months_first_month", "first_month"),
        Index("ix_customer_months_customer_id", "customer_id"),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    customer_id: Mapped[int] = mapped_column(BigInteger, nullable=False)
    month: Mapped[dt.date] = mapped_column(Date, nullable=False)
    first_month: Mapped[dt.date] = mapped_column(Date, nullable=False)
    currency: Mapped[str] = mapped_column(CHAR(3), nullable=False)
    country: Mapped[str] = mapped_column(String(2), nullable=False)
    channel: Mapped[str] = mapped_column(String(16), nullable=False)
    orders: Mapped[int] = mapped_column(Integer, nullable=False)
    net_amount: Mapped[int] = mapped_column(BigInteger, nullable=False)


class ShippedOrder(Base):
    """An order with at least one shipment handed to the carrier: when it was placed, its channel
    and the hours from placing it to its first shipment leaving (the earliest `shipped_at` of any
    of its shipments). Rewritten per order by commerce.reporting.operations.refresh_shipped_orders;
    the index on `placed_at` carries the channel and hours, so a year of weeks is read from the
    index alone."""

    __tablename__ = "shipped_orders"
    __table_args__ = (
        Index(
            "ix_shipped_orders_placed_at",
            "placed_at",
            postgresql_include=["channel", "hours_to_ship"],
        ),
    )

    order_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    placed_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    channel: Mapped[str] = mapped_column(String(16), nullable=False)
    hours_to_ship: Mapped[float] = mapped_column(Double, nullable=False)
