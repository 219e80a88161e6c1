"""Idempotent order placement: one row per Idempotency-Key a storefront client sends.

The row is inserted first, in the placing transaction; a second request with the same key waits
on the unique index until the first commits and then answers with the first one's order, so the
same key always means the same order, even when both requests arrive at once.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, DateTime, ForeignKey, String, UniqueConstraint, func
from sqlalchemy.orm import Mapped, mapped_column

from commerce.db import Base


class CheckoutRequest(Base):
    __tablename__ = "checkout_requests"
    __table_args__ = (UniqueConstraint("scope", "key"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    # Whose key it is: "cart:<id>", so two clients can never collide on a key.
    scope: Mapped[str] = mapped_column(String(80), nullable=False)
    key: Mapped[str] = mapped_column(String(255), nullable=False)
    # A digest of what was asked (cart, payment method), to refuse a reused key for another request.
    fingerprint: Mapped[str] = mapped_column(String(64), nullable=False)
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id"))
    created_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), nullable=False
    )
