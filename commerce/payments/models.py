"""Payments of orders, their refunds and disputes, and the provider's webhook events we have
processed.

A Payment (or Refund) row is written, with its idempotency key, before the provider is called, so
a retry reuses the key and the provider answers with the same PaymentIntent (or refund) instead of
charging (or refunding) twice. No card data is ever stored: only the provider's ids.
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
    String,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from commerce.db import Base, TimestampMixin, one_of

# "authorized": the card is authorised (Stripe manual capture), nothing taken yet.
PAYMENT_STATES = ("pending", "authorized", "succeeded", "failed", "cancelled")
REFUND_STATES = ("pending", "succeeded", "failed")
# Stripe's dispute statuses.
DISPUTE_STATES = (
    "warning_needs_response",
    "warning_under_review",
    "warning_closed",
    "needs_response",
    "under_review",
    "won",
    "lost",
    "prevented",
)


class Payment(TimestampMixin, Base):
    """One attempt to collect an order's amount due through one method."""

    __tablename__ = "payments"
    __table_args__ = (
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint(one_of("status", PAYMENT_STATES), name="status_known"),
        CheckConstraint(
            "refunded_amount >= 0 AND refunded_amount <= amount", name="refunded_within_amount"
        ),
        Index(
            "uq_payments_provider_reference",
            "provider",
            "provider_reference",
            unique=True,
            postgresql_where="provider_reference IS NOT NULL",
        ),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), nullable=False, index=True)
    provider: Mapped[str] = mapped_column(String(24), nullable=False)  # stripe | bank_transfer ...
    amount: Mapped[int] = mapped_column(BigInteger, nullable=False)
    currency: Mapped[str] = mapped_column(CHAR(3), nullable=False)
    status: Mapped[str] = mapped_column(String(16), nullable=False, default="pending")
    refunded_amount: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    idempotency_key: Mapped[str] = mapped_column(String(80), nullable=False, unique=True)
    provider_reference: Mapped[str | None] = mapped_column(String(120))  # e.g. pi_...
    failure_message: Mapped[str | None] = mapped_column(String(500))
    succeeded_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class ProviderEvent(Base):
    """A webhook event already processed (its id is the primary key), written in the same
    transaction as its effect so a replay finds it and changes nothing."""

    __tablename__ = "payment_provider_events"

    id: Mapped[str] = mapped_column(String(120), primary_key=True)  # evt_...
    provider: Mapped[str] = mapped_column(String(24), nullable=False)
    type: Mapped[str] = mapped_column(String(80), nullable=False)
    object_id: Mapped[str | None] = mapped_column(String(120))
    payload: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False)
    received_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), nullable=False
    )


class Refund(TimestampMixin, Base):
    """Money given back on an order: `payment_amount` to the payment (card through Stripe, or
    paid out by staff for an offline payment) and `gift_card_amount` back onto the gift cards that
    paid. Only a "succeeded" refund has moved money; a "pending" one holds its amount so that
    refunds in flight never exceed what was taken; a "failed" one says why in `failure_reason`.

    `lines` lists the order lines refunded: [{"order_line_id", "quantity", "amount"}]."""

    __tablename__ = "refunds"
    __table_args__ = (
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint("payment_amount >= 0 AND gift_card_amount >= 0", name="parts_non_negative"),
        CheckConstraint("amount = payment_amount + gift_card_amount", name="parts_add_up"),
        CheckConstraint(
            "(payment_id IS NULL) = (payment_amount = 0)", name="payment_part_has_payment"
        ),
        CheckConstraint(one_of("status", REFUND_STATES), name="status_known"),
        CheckConstraint(
            "status <> 'failed' OR failure_reason IS NOT NULL", name="failure_has_reason"
        ),
        Index(
            "uq_refunds_provider_reference",
            "provider",
            "provider_reference",
            unique=True,
            postgresql_where="provider = 'stripe' AND provider_reference IS NOT NULL",
        ),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), nullable=False, index=True)
    payment_id: Mapped[int | None] = mapped_column(ForeignKey("payments.id"), index=True)
    # stripe | bank_transfer | cash_on_delivery (the payment's) | gift_card (no payment part)
    provider: Mapped[str] = mapped_column(String(24), nullable=False)
    amount: Mapped[int] = mapped_column(BigInteger, nullable=False)
    payment_amount: Mapped[int] = mapped_column(BigInteger, nullable=False)
    gift_card_amount: Mapped[int] = mapped_column(BigInteger, nullable=False)
    currency: Mapped[str] = mapped_column(CHAR(3), nullable=False)
    reason: Mapped[str] = mapped_column(String(500), nullable=False)
    status: Mapped[str] = mapped_column(String(16), nullable=False, default="pending")
    idempotency_key: Mapped[str] = mapped_column(String(120), nullable=False, unique=True)
    provider_reference: Mapped[str | None] = mapped_column(String(120))  # re_..., or staff's
    failure_reason: Mapped[str | None] = mapped_column(String(500))
    lines: Mapped[list[dict[str, Any]]] = mapped_column(
        JSONB, nullable=False, default=list, server_default=text("'[]'")
    )
    restock: Mapped[bool] = mapped_column(
        Boolean, nullable=False, default=False, server_default=text("false")
    )
    actor_kind: Mapped[str] = mapped_column(String(20), nullable=False)
    actor_id: Mapped[int | None] = mapped_column(BigInteger)
    actor_label: Mapped[str] = mapped_column(String(255), nullable=False, default="")
    completed_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class Dispute(TimestampMixin, Base):
    """A chargeback the customer's bank opened on a payment, as the provider last reported it."""

    __tablename__ = "disputes"
    __table_args__ = (
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint(one_of("status", DISPUTE_STATES), name="status_known"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), nullable=False, index=True)
    payment_id: Mapped[int] = mapped_column(ForeignKey("payments.id"), nullable=False)
    provider_reference: Mapped[str] = mapped_column(String(120), nullable=False, unique=True)
    amount: Mapped[int] = mapped_column(BigInteger, nullable=False)
    currency: Mapped[str] = mapped_column(CHAR(3), nullable=False)
    reason: Mapped[str] = mapped_column(String(40), nullable=False)
    status: Mapped[str] = mapped_column(String(32), nullable=False)
    closed_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
