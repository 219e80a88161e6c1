"""Order edits and payment links (migration 0024).

OrderEdit: one row per edit of an order's lines, with the lines and totals before and after (JSON
snapshots), the difference in amount due and how it was settled:
    none             nothing was paid yet (or nothing changed): just a new amount due
    payment_link     the buyer owes `difference` more: a payment link asks for it
    refunded         `-difference` was refunded through the payment (commerce.payments.refunds)
    refund_pending   an offline payment: staff pay `-difference` back by hand and record it

PaymentLink: a link emailed to the buyer to pay `amount` of an order (an edit's extra, a draft
order's total). Only the SHA-256 of its token is stored. Opening it creates (once, with an
idempotency key stored before the call) a Payment row and its Stripe PaymentIntent; the Stripe
webhook marks the payment succeeded and, with it, the link paid.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import CHAR, BigInteger, CheckConstraint, DateTime, ForeignKey, String, func
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from commerce.db import Base, TimestampMixin, one_of

SETTLEMENTS = ("none", "payment_link", "refunded", "refund_pending")
LINK_STATES = ("open", "paid", "expired")


class OrderEdit(Base):
    """One edit of an order's lines: before/after snapshots and how the difference was settled."""

    __tablename__ = "order_edits"
    __table_args__ = (CheckConstraint(one_of("settlement", SETTLEMENTS), name="settlement_known"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    order_id: Mapped[int] = mapped_column(
        ForeignKey("orders.id", ondelete="CASCADE"), nullable=False, index=True
    )
    actor_kind: Mapped[str] = mapped_column(String(20), nullable=False)
    actor_id: Mapped[int | None] = mapped_column(BigInteger)
    actor_label: Mapped[str] = mapped_column(String(255), nullable=False, default="")
    before: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False)
    after: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False)
    difference: Mapped[int] = mapped_column(BigInteger, nullable=False)  # new due - old due
    settlement: Mapped[str] = mapped_column(String(20), nullable=False, default="none")
    payment_link_id: Mapped[int | None] = mapped_column(
        ForeignKey("payment_links.id", ondelete="SET NULL")
    )
    refund_id: Mapped[int | None] = mapped_column(ForeignKey("refunds.id", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), nullable=False
    )


class PaymentLink(TimestampMixin, Base):
    """A link the buyer follows to pay `amount` of an order (see the module docstring)."""

    __tablename__ = "payment_links"
    __table_args__ = (
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint("currency ~ '^[A-Z]{3}$'", name="currency_iso"),
        CheckConstraint(one_of("status", LINK_STATES), name="status_known"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    order_id: Mapped[int] = mapped_column(
        ForeignKey("orders.id", ondelete="CASCADE"), nullable=False, index=True
    )
    amount: Mapped[int] = mapped_column(BigInteger, nullable=False)
    currency: Mapped[str] = mapped_column(CHAR(3), nullable=False)
    token_hash: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    status: Mapped[str] = mapped_column(String(16), nullable=False, default="open")
    purpose: Mapped[str] = mapped_column(String(40), nullable=False)  # "order edit", "draft order"
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    payment_id: Mapped[int | None] = mapped_column(
        ForeignKey("payments.id", ondelete="SET NULL"), unique=True
    )
    provider_reference: Mapped[str | None] = mapped_column(String(120))  # the PaymentIntent id
    paid_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
