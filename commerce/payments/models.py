"""Payments of orders and the payment provider's webhook events we have processed.

A Payment row is written, with its idempotency key, before the provider is called, so a retry of
the same checkout reuses the key and the provider answers with the same PaymentIntent instead of
charging twice. No card data is ever stored: only the provider's ids.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    CHAR,
    BigInteger,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    String,
    func,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from commerce.db import Base, TimestampMixin

PAYMENT_STATES = ("pending", "succeeded", "failed", "cancelled")


class Payment(TimestampMixin, Base):
    """One attempt to collect an order's amount due through one method."""

    __tablename__ = "payments"
    __table_args__ = (
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint(
            "status IN (" + ", ".join(f"'{s}'" for s in PAYMENT_STATES) + ")",
            name="status_known",
        ),
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
