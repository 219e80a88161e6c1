"""Shipment and ShipmentLine: parcels sent for an order, and which order lines (how many units)
each one carries.

A shipment's life:

    pending ──► label_ready ──► shipped ──► delivered
       │             │
       └─────────────┴──► cancelled   (status reserved for a later "cancel shipment" use case)

pending      created by `create_shipment`: its units are off the shelf (ledger reason "sold") and
             the order counts them as shipped; the documents job has not run yet.
label_ready  the carrier's label and the packing slip are stored; the parcel waits for pickup.
shipped      handed to the carrier (a tracking update, staff, or a tracking number staff entered
             from a label bought elsewhere).
delivered    the carrier reported it delivered.

The rule that no order line ships more than was ordered is checked by the service under the
order's row lock (see service.py); the CHECK constraints here keep each row sensible.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from commerce.db import Base, TimestampMixin, one_of
from commerce.inventory.models import Warehouse
from commerce.orders.models import Order, OrderLine

SHIPMENT_STATUSES = ("pending", "label_ready", "shipped", "delivered", "cancelled")
# Statuses whose units count as shipped for the order (everything but a cancelled shipment).
LIVE_STATUSES = ("pending", "label_ready", "shipped", "delivered")


class Shipment(TimestampMixin, Base):
    """One parcel of an order, sent from one warehouse by one carrier service. `sequence` counts
    an order's shipments from 1; `idempotency_key` is stored before any carrier call, so a retried
    label job gets the same label back instead of buying a second one. File paths are relative to
    the SHIPPING_DOCS_DIR (see documents.py)."""

    __tablename__ = "shipments"
    __table_args__ = (
        CheckConstraint(one_of("status", SHIPMENT_STATUSES), name="status_known"),
        CheckConstraint("sequence > 0", name="sequence_positive"),
        CheckConstraint(
            "status NOT IN ('shipped', 'delivered') OR shipped_at IS NOT NULL",
            name="shipped_at_once_shipped",
        ),
        CheckConstraint(
            "status <> 'delivered' OR delivered_at IS NOT NULL",
            name="delivered_at_once_delivered",
        ),
        CheckConstraint(
            "status IN ('pending', 'cancelled') OR tracking_number IS NOT NULL",
            name="tracking_number_once_labelled",
        ),
        UniqueConstraint("order_id", "sequence", name="uq_shipments_order_sequence"),
        UniqueConstraint("idempotency_key", name="uq_shipments_idempotency_key"),
        Index(
            "uq_shipments_carrier_tracking_number",
            "carrier",
            "tracking_number",
            unique=True,
            postgresql_where=text("tracking_number IS NOT NULL"),
        ),
        Index("ix_shipments_tracking_number", "tracking_number"),
        Index("ix_shipments_status_created_at", "status", "created_at"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), nullable=False)
    sequence: Mapped[int] = mapped_column(Integer, nullable=False)
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouses.id"), nullable=False)
    carrier: Mapped[str] = mapped_column(String(40), nullable=False)
    service: Mapped[str] = mapped_column(String(64), nullable=False)
    tracking_number: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), nullable=False, default="pending")
    label_path: Mapped[str | None] = mapped_column(String(255))
    packing_slip_path: Mapped[str | None] = mapped_column(String(255))
    shipped_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    delivered_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    idempotency_key: Mapped[str] = mapped_column(String(120), nullable=False)

    order: Mapped[Order] = relationship()
    warehouse: Mapped[Warehouse] = relationship()
    lines: Mapped[list[ShipmentLine]] = relationship(
        back_populates="shipment",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="ShipmentLine.id",
    )

    @property
    def units(self) -> int:
        """How many units the parcel carries."""
        return sum(line.quantity for line in self.lines)

    def __str__(self) -> str:
        number = self.order.number if self.order is not None else self.order_id
        return f"#{number}-{self.sequence}"


class ShipmentLine(Base):
    """Units of one order line in one shipment."""

    __tablename__ = "shipment_lines"
    __table_args__ = (
        CheckConstraint("quantity > 0", name="quantity_positive"),
        UniqueConstraint("shipment_id", "order_line_id", name="uq_shipment_lines_shipment_line"),
        Index("ix_shipment_lines_order_line_id", "order_line_id"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    shipment_id: Mapped[int] = mapped_column(
        ForeignKey("shipments.id", ondelete="CASCADE"), nullable=False
    )
    order_line_id: Mapped[int] = mapped_column(ForeignKey("order_lines.id"), nullable=False)
    quantity: Mapped[int] = mapped_column(Integer, nullable=False)

    shipment: Mapped[Shipment] = relationship(back_populates="lines")
    order_line: Mapped[OrderLine] = relationship()

    def __str__(self) -> str:
        sku = self.order_line.sku if self.order_line is not None else self.order_line_id
        return f"{self.quantity} x {sku}"
