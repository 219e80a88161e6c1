"""Inventory models: Warehouse, VariantInventory, StockLevel, StockReservation, StockMovement.

Stock is kept per variant and warehouse in four buckets (DESIGN.md, "Data rules"):

    on_hand      units physically in the warehouse
    allocated    units promised to placed orders (leave with `ship_stock`)
    reserved     units held by checkouts until their reservation expires or becomes an order
    backordered  units sold beyond stock, for variants whose backorder policy is "allow"

    available = on_hand - allocated - reserved - safety_stock     (computed, never stored)

The CHECK `allocated + reserved <= on_hand` lets the database itself refuse to sell a unit twice;
backorders are counted apart, never as allocation beyond what is on hand. Every change to a bucket
writes a StockMovement, so for each (variant, warehouse, bucket) the sum of `delta` over the ledger
equals the column on StockLevel. Only commerce.inventory's services write these tables.
"""

from __future__ import annotations

import datetime as dt

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
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, mapped_column, relationship

from commerce.catalog.models import Variant
from commerce.db import Base, TimestampMixin, one_of

BACKORDER_POLICIES = ("deny", "allow")
BUCKETS = ("on_hand", "allocated", "reserved", "backordered")
MOVEMENT_REASONS = (
    "received",
    "sold",
    "returned",
    "adjusted",
    "transferred",
    "counted",
    "reserved",
    "released",
    "allocated",
    "deallocated",
    "expired",
)
RESERVATION_STATUSES = ("active", "released", "converted", "expired")


class Warehouse(TimestampMixin, Base):
    """A place stock is kept and shipped from. Lower `priority` ships first; inactive warehouses
    keep their stock but are never reserved or allocated from."""

    __tablename__ = "warehouses"
    __table_args__ = (
        CheckConstraint("country ~ '^[A-Z]{2}$'", name="country_iso"),
        CheckConstraint("priority >= 0", name="priority_non_negative"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    code: Mapped[str] = mapped_column(String(32), nullable=False, unique=True)
    name: Mapped[str] = mapped_column(String(120), nullable=False)
    country: Mapped[str] = mapped_column(CHAR(2), nullable=False)
    priority: Mapped[int] = mapped_column(
        Integer, nullable=False, default=100, server_default=text("100")
    )
    is_active: Mapped[bool] = mapped_column(
        Boolean, nullable=False, default=True, server_default=text("true")
    )

    def __str__(self) -> str:
        return f"{self.code} ({self.name})"


class VariantInventory(Base):
    """Inventory settings of one variant, kept out of the catalog's variants table.

    A variant without a row denies backorders and has no low-stock threshold.
    `low_stock_alerted_at` is set when `stock.low` is raised and cleared when availability rises
    above the threshold again, so the event fires once per crossing.
    """

    __tablename__ = "variant_inventories"
    __table_args__ = (
        CheckConstraint(one_of("backorder_policy", BACKORDER_POLICIES), name="policy_known"),
        CheckConstraint("low_stock_threshold >= 0", name="low_stock_threshold_non_negative"),
    )

    variant_id: Mapped[int] = mapped_column(
        ForeignKey("variants.id", ondelete="CASCADE"), primary_key=True
    )
    backorder_policy: Mapped[str] = mapped_column(
        String(10), nullable=False, default="deny", server_default=text("'deny'")
    )
    low_stock_threshold: Mapped[int | None] = mapped_column(Integer)
    low_stock_alerted_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))

    variant: Mapped[Variant] = relationship()


class StockLevel(TimestampMixin, Base):
    """Stock of one variant in one warehouse. Changed only through commerce.inventory's services,
    which write a StockMovement for every change of a bucket."""

    __tablename__ = "stock_levels"
    __table_args__ = (
        UniqueConstraint(
            "variant_id", "warehouse_id", name="uq_stock_levels_variant_id_warehouse_id"
        ),
        CheckConstraint("on_hand >= 0", name="on_hand_non_negative"),
        CheckConstraint("allocated >= 0", name="allocated_non_negative"),
        CheckConstraint("reserved >= 0", name="reserved_non_negative"),
        CheckConstraint("safety_stock >= 0", name="safety_stock_non_negative"),
        CheckConstraint("backordered >= 0", name="backordered_non_negative"),
        # The last line of defence against overselling: whatever a service gets wrong, the
        # database refuses to promise more units than are on the shelf.
        CheckConstraint("allocated + reserved <= on_hand", name="committed_within_on_hand"),
        Index("ix_stock_levels_warehouse_id", "warehouse_id"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    variant_id: Mapped[int] = mapped_column(
        ForeignKey("variants.id", ondelete="CASCADE"), nullable=False
    )
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouses.id"), nullable=False)
    on_hand: Mapped[int] = mapped_column(
        Integer, nullable=False, default=0, server_default=text("0")
    )
    allocated: Mapped[int] = mapped_column(
        Integer, nullable=False, default=0, server_default=text("0")
    )
    reserved: Mapped[int] = mapped_column(
        Integer, nullable=False, default=0, server_default=text("0")
    )
    safety_stock: Mapped[int] = mapped_column(
        Integer, nullable=False, default=0, server_default=text("0")
    )
    backordered: Mapped[int] = mapped_column(
        Integer, nullable=False, default=0, server_default=text("0")
    )
    last_counted_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))

    variant: Mapped[Variant] = relationship()
    warehouse: Mapped[Warehouse] = relationship()

    @hybrid_property
    def available(self) -> int:
        """Units that can still be reserved or allocated here (negative when below safety
        stock). Works in Python and in queries: `select(StockLevel.available)`."""
        return self.on_hand - self.allocated - self.reserved - self.safety_stock

    def __repr__(self) -> str:
        return (
            f"<StockLevel variant={self.variant_id} warehouse={self.warehouse_id} "
            f"on_hand={self.on_hand} allocated={self.allocated} reserved={self.reserved}>"
        )


class StockReservation(Base):
    """Units held for a checkout (`reference`) until `expires_at`, in one warehouse.

    `backordered` of the `quantity` units are not on the shelf (backorder policy "allow"): they
    are counted in StockLevel.backordered rather than in StockLevel.reserved.
    """

    __tablename__ = "stock_reservations"
    __table_args__ = (
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint(
            "backordered >= 0 AND backordered <= quantity", name="backordered_within_quantity"
        ),
        CheckConstraint(one_of("status", RESERVATION_STATUSES), name="status_known"),
        Index("ix_stock_reservations_status_expires_at", "status", "expires_at"),
        Index("ix_stock_reservations_reference", "reference"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    variant_id: Mapped[int] = mapped_column(
        ForeignKey("variants.id", ondelete="CASCADE"), nullable=False
    )
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouses.id"), nullable=False)
    quantity: Mapped[int] = mapped_column(Integer, nullable=False)
    backordered: Mapped[int] = mapped_column(
        Integer, nullable=False, default=0, server_default=text("0")
    )
    reference: Mapped[str] = mapped_column(String(120), nullable=False)
    status: Mapped[str] = mapped_column(
        String(12), nullable=False, default="active", server_default=text("'active'")
    )
    # Set when the reservation became an order's allocation.
    order_reference: Mapped[str | None] = mapped_column(String(120))
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    created_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), nullable=False
    )

    @property
    def on_shelf(self) -> int:
        """Units of this reservation counted in StockLevel.reserved."""
        return self.quantity - self.backordered


class StockMovement(Base):
    """One change of one bucket of one stock level: the append-only stock ledger.

    `reference` names what caused it: a checkout for reservations, an order for allocations,
    shipments and backorders (their sums per order reference are that order's allocation), a
    purchase order or transfer for receipts.
    """

    __tablename__ = "stock_movements"
    __table_args__ = (
        CheckConstraint(one_of("bucket", BUCKETS), name="bucket_known"),
        CheckConstraint(one_of("reason", MOVEMENT_REASONS), name="reason_known"),
        CheckConstraint("delta <> 0", name="delta_non_zero"),
        CheckConstraint("balance_after >= 0", name="balance_after_non_negative"),
        Index("ix_stock_movements_variant_id_id", "variant_id", "id"),
        Index("ix_stock_movements_warehouse_id_id", "warehouse_id", "id"),
        Index("ix_stock_movements_reference", "reference"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    variant_id: Mapped[int] = mapped_column(
        ForeignKey("variants.id", ondelete="CASCADE"), nullable=False
    )
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouses.id"), nullable=False)
    bucket: Mapped[str] = mapped_column(String(12), nullable=False)
    reason: Mapped[str] = mapped_column(String(16), nullable=False)
    delta: Mapped[int] = mapped_column(Integer, nullable=False)
    balance_after: Mapped[int] = mapped_column(Integer, nullable=False)
    actor_kind: Mapped[str] = mapped_column(String(20), nullable=False)
    actor_id: Mapped[int | None] = mapped_column(BigInteger)
    actor_label: Mapped[str] = mapped_column(
        String(255), nullable=False, default="", server_default=text("''")
    )
    reference: Mapped[str | None] = mapped_column(String(120))
    note: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), nullable=False
    )

    def __repr__(self) -> str:
        return (
            f"<StockMovement {self.reason} {self.bucket} {self.delta:+d} "
            f"variant={self.variant_id} warehouse={self.warehouse_id}>"
        )
