"""EmailMessage: the log of every email the shop sends, which also makes sending idempotent."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, DateTime, Index, String, Text, func
from sqlalchemy.orm import Mapped, mapped_column

from commerce.db import Base


class EmailMessage(Base):
    __tablename__ = "email_messages"
    __table_args__ = (Index("ix_email_messages_to_address", "to_address", "id"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    # A caller-chosen key ("welcome:staff_user:7"): the same key is never sent twice.
    dedupe_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    template: Mapped[str] = mapped_column(String(80), nullable=False)
    to_address: Mapped[str] = mapped_column(String(254), nullable=False)
    subject: Mapped[str] = mapped_column(String(255), nullable=False)
    status: Mapped[str] = mapped_column(String(20), nullable=False, default="sending")
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), nullable=False
    )
    sent_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
