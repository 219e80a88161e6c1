"""The Customer model: a person with an account (guests order without one)."""

from __future__ import annotations

from sqlalchemy import CHAR, BigInteger, Boolean, CheckConstraint, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column

from commerce.db import Base, TimestampMixin


class Customer(TimestampMixin, Base):
    """A shopper with an account. Emails are unique regardless of case."""

    __tablename__ = "customers"
    __table_args__ = (
        Index("uq_customers_email_lower", text("lower(email)"), unique=True),
        CheckConstraint("country ~ '^[A-Z]{2}$'", name="country_iso"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    email: Mapped[str] = mapped_column(String(254), nullable=False)
    first_name: Mapped[str] = mapped_column(String(100), nullable=False)
    last_name: Mapped[str] = mapped_column(String(100), nullable=False)
    phone: Mapped[str | None] = mapped_column(String(32))
    # ISO 3166-1 alpha-2, the country the customer lives in (default shipping country).
    country: Mapped[str] = mapped_column(CHAR(2), nullable=False)
    accepts_marketing: Mapped[bool] = mapped_column(
        Boolean, nullable=False, default=False, server_default=text("false")
    )

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    def __str__(self) -> str:
        return f"{self.full_name} <{self.email}>"
