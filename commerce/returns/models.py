"""Return and ReturnLine: a request to send units of an order back, and which order lines (how
many units, why, in what condition) it covers.

A return's life (commerce/returns/service.py moves it):

    requested ──► approved ──► received ──► refunded   (resolution: refund or store_credit)
        │             │            │
        └─► rejected  └────────────┴──► closed          (ended with nothing given back)

`refund_amount` is the value given back (to the payment or as a gift card), in `currency`, the
order's. A line's `received_quantity` is always `restocked_quantity + written_off_quantity` and
never more than it asked to return; the CHECK constraints below hold those rules even if a
service were wrong.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    CHAR,
    BigInteger,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Sequence,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from commerce.db import Base, TimestampMixin, one_of
from commerce.orders.models import Order, OrderLine

RETURN_STATUSES = ("requested", "approved", "rejected", "received", "refunded", "closed")
# Statuses after which nothing more happens to a return.
FINAL_STATUSES = ("rejected", "refunded", "closed")
RESOLUTIONS = ("refund", "store_credit")
REASONS = (
    "damaged",
    "defective",
    "wrong_item",
    "not_as_described",
    "size_or_fit",
    "no_longer_needed",
    "other",
)
CONDITIONS = ("unopened", "opened", "used", "damaged", "faulty")

# Human return numbers come from their own sequence (R1001, R1002, ...).
RETURN_NUMBERS = Sequence("return_numbers", start=1001, metadata=Base.metadata)


class Return(TimestampMixin, Base):
    """A return of units of one order. `requested_by_*` says who opened it (the customer through
    the API, or a staff member for them); the other `*_by` labels say which staff member took
    each later step (the audit trail has their ids)."""

    __tablename__ = "returns"
    __table_args__ = (
        CheckConstraint(one_of("status", RETURN_STATUSES), name="status_known"),
        CheckConstraint(one_of("reason", REASONS), name="reason_known"),
        CheckConstraint(
            "resolution IS NULL OR " + one_of("resolution", RESOLUTIONS), name="resolution_known"
        ),
        CheckConstraint("currency ~ '^[A-Z]{3}$'", name="currency_iso"),
        CheckConstraint(
            "refund_amount IS NULL OR refund_amount >= 0", name="refund_amount_non_negative"
        ),
        CheckConstraint(
            "status <> 'refunded' OR (resolution IS NOT NULL AND refund_amount IS NOT NULL"
            " AND resolved_at IS NOT NULL)",
            name="refunded_has_resolution",
        ),
        CheckConstraint(
            "status <> 'rejected' OR rejection_reason IS NOT NULL", name="rejected_has_reason"
        ),
        CheckConstraint(
            "status NOT IN ('received', 'refunded') OR (received_at IS NOT NULL"
            " AND warehouse_id IS NOT NULL)",
            name="received_has_warehouse",
        ),
        CheckConstraint(
            "resolution <> 'store_credit' OR status <> 'refunded' OR gift_card_id IS NOT NULL",
            name="store_credit_has_gift_card",
        ),
        Index("ix_returns_order_id", "order_id"),
        Index("ix_returns_customer_id_id", "customer_id", "id"),
        Index("ix_returns_status_created_at", "status", "created_at"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    number: Mapped[int] = mapped_column(
        BigInteger, nullable=False, unique=True, server_default=RETURN_NUMBERS.next_value()
    )
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), nullable=False)
    # The order's customer when it has one (guests' returns are opened by staff).
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id"))
    status: Mapped[str] = mapped_column(String(16), nullable=False, default="requested")
    reason: Mapped[str] = mapped_column(String(32), nullable=False)
    customer_note: Mapped[str | None] = mapped_column(Text)
    staff_note: Mapped[str | None] = mapped_column(Text)
    rejection_reason: Mapped[str | None] = mapped_column(Text)
    resolution: Mapped[str | None] = mapped_column(String(16))
    currency: Mapped[str] = mapped_column(CHAR(3), nullable=False)
    refund_amount: Mapped[int | None] = mapped_column(BigInteger)
    # The refund (commerce.payments.refunds) or gift card that gave the value back.
    refund_id: Mapped[int | None] = mapped_column(BigInteger)
    # Tries at refunding, part of the refund's idempotency key (see resolution.py).
    refund_attempts: Mapped[int] = mapped_column(
        Integer, nullable=False, default=0, server_default=text("0")
    )
    gift_card_id: Mapped[int | None] = mapped_column(ForeignKey("gift_cards.id"))
    warehouse_id: Mapped[int | None] = mapped_column(ForeignKey("warehouses.id"))
    requested_by_kind: Mapped[str] = mapped_column(String(20), nullable=False)
    requested_by_label: Mapped[str] = mapped_column(String(255), nullable=False, default="")
    decided_by_label: Mapped[str | None] = mapped_column(String(255))
    received_by_label: Mapped[str | None] = mapped_column(String(255))
    resolved_by_label: Mapped[str | None] = mapped_column(String(255))
    approved_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    rejected_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    received_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    resolved_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    closed_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))

    order: Mapped[Order] = relationship()
    lines: Mapped[list[ReturnLine]] = relationship(
        back_populates="return_",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="ReturnLine.id",
    )

    @property
    def reference(self) -> str:
        """The number as customers and staff see it ("R1001")."""
        return f"R{self.number}"

    @property
    def units(self) -> int:
        """How many units the return asks to send back."""
        return sum(line.quantity for line in self.lines)

    @property
    def received_units(self) -> int:
        """How many units arrived."""
        return sum(line.received_quantity for line in self.lines)

    def __str__(self) -> str:
        return self.reference


class ReturnLine(Base):
    """Units of one order line in a return: how many are asked for and why; once the parcel is
    in, how many arrived, in what condition, and how many went back on the shelf or were written
    off."""

    __tablename__ = "return_lines"
    __table_args__ = (
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint(one_of("reason_code", REASONS), name="reason_code_known"),
        CheckConstraint(
            "condition IS NULL OR " + one_of("condition", CONDITIONS), name="condition_known"
        ),
        CheckConstraint("restocked_quantity >= 0", name="restocked_quantity_non_negative"),
        CheckConstraint("written_off_quantity >= 0", name="written_off_quantity_non_negative"),
        CheckConstraint(
            "received_quantity = restocked_quantity + written_off_quantity",
            name="received_quantity_adds_up",
        ),
        CheckConstraint("received_quantity <= quantity", name="received_within_quantity"),
        UniqueConstraint("return_id", "order_line_id", name="uq_return_lines_return_order_line"),
        Index("ix_return_lines_order_line_id", "order_line_id"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    return_id: Mapped[int] = mapped_column(
        ForeignKey("returns.id", ondelete="CASCADE"), nullable=False
    )
    order_line_id: Mapped[int] = mapped_column(ForeignKey("order_lines.id"), nullable=False)
    quantity: Mapped[int] = mapped_column(Integer, nullable=False)
    reason_code: Mapped[str] = mapped_column(String(32), nullable=False)
    condition: Mapped[str | None] = mapped_column(String(16))
    received_quantity: Mapped[int] = mapped_column(
        Integer, nullable=False, default=0, server_default=text("0")
    )
    restocked_quantity: Mapped[int] = mapped_column(
        Integer, nullable=False, default=0, server_default=text("0")
    )
    written_off_quantity: Mapped[int] = mapped_column(
        Integer, nullable=False, default=0, server_default=text("0")
    )

    return_: Mapped[Return] = relationship(back_populates="lines")
    order_line: Mapped[OrderLine] = relationship()

    def __str__(self) -> str:
        sku = self.order_line.sku if self.order_line is not None else self.order_line_id
        return f"{self.quantity} x {sku}"
