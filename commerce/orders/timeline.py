"""An order's timeline: every transition, payment, refund, shipment, return, email and staff note,
in the order they happened, with who did it. Append-only, written in the same transaction as the
change it describes."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import BigInteger, DateTime, ForeignKey, Index, String, Text, func, select
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from commerce import db
from commerce.audit import Actor
from commerce.db import Base

KINDS = ("status", "note", "payment", "refund", "shipment", "return", "email", "edit", "invoice")


class OrderEvent(Base):
    """One entry of an order's timeline."""

    __tablename__ = "order_events"
    __table_args__ = (Index("ix_order_events_order_id_id", "order_id", "id"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), nullable=False)
    kind: Mapped[str] = mapped_column(String(16), nullable=False)
    message: Mapped[str] = mapped_column(Text, nullable=False)
    data: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False, default=dict)
    actor_kind: Mapped[str] = mapped_column(String(20), nullable=False)
    actor_id: Mapped[int | None] = mapped_column(BigInteger)
    actor_label: Mapped[str] = mapped_column(String(255), nullable=False, default="")
    created_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), nullable=False
    )


def record(order_id: int, kind: str, message: str, *, actor: Actor, **data: Any) -> OrderEvent:
    """Add an entry to the order's timeline in the current transaction (the caller commits).
    Raises ValueError for an unknown kind (a programming error)."""
    if kind not in KINDS:
        raise ValueError(f"unknown timeline kind {kind!r}")
    entry = OrderEvent(
        order_id=order_id,
        kind=kind,
        message=message,
        data=data,
        actor_kind=actor.kind,
        actor_id=actor.id,
        actor_label=actor.label[:255],
    )
    db.session.add(entry)
    return entry


def entries(order_id: int, *, limit: int = 200) -> list[OrderEvent]:
    """The order's timeline, newest first."""
    return list(
        db.session.scalars(
            select(OrderEvent)
            .where(OrderEvent.order_id == order_id)
            .order_by(OrderEvent.id.desc())
            .limit(limit)
        )
    )
