"""Customer models: the person, their sign-in and email tokens, address book and erasure requests.

A customer with `password_hash` NULL has no password (seeded, or a guest whose record exists) and
cannot sign in until they set one through a password reset, which proves they own the email. An
erased customer (`erased_at` set) keeps their row, anonymised, so their orders still point at it.
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
    String,
    func,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from commerce.db import Base, TimestampMixin, one_of

TOKEN_KINDS = ("access", "verify_email", "password_reset")
ERASURE_STATUSES = ("pending", "completed")


class Customer(TimestampMixin, Base):
    """A shopper with an account. Emails are unique regardless of case."""

    __tablename__ = "customers"
    __table_args__ = (
        Index("uq_customers_email_lower", text("lower(email)"), unique=True),
        CheckConstraint("country ~ '^[A-Z]{2}$'", name="country_iso"),
        CheckConstraint("erased_at IS NULL OR password_hash IS NULL", name="erased_no_password"),
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
    # The pricing context's customer group (price lists, tax exemption); set through
    # commerce.pricing.rules.set_customer_group.
    customer_group_id: Mapped[int | None] = mapped_column(
        ForeignKey("customer_groups.id", ondelete="SET NULL"), index=True
    )
    # argon2id; NULL: no password yet (cannot sign in) or erased.
    password_hash: Mapped[str | None] = mapped_column(String(255))
    email_verified_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    erased_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))

    @property
    def full_name(self) -> str:
        """First and last name, as on an envelope."""
        return f"{self.first_name} {self.last_name}".strip()

    def __str__(self) -> str:
        return f"{self.full_name} <{self.email}>"


class CustomerToken(Base):
    """A bearer credential, stored as the sha256 of the random token the customer holds.

    `access` tokens authenticate API calls until they expire or are revoked; `verify_email` and
    `password_reset` tokens are emailed links, used once (`used_at`).
    """

    __tablename__ = "customer_tokens"
    __table_args__ = (
        CheckConstraint(one_of("kind", TOKEN_KINDS), name="kind_known"),
        CheckConstraint("expires_at > created_at", name="expires_after_creation"),
        CheckConstraint("kind <> 'access' OR used_at IS NULL", name="access_not_single_use"),
        Index(
            "ix_customer_tokens_live",
            "customer_id",
            "kind",
            postgresql_where=text("revoked_at IS NULL AND used_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    customer_id: Mapped[int] = mapped_column(
        ForeignKey("customers.id", ondelete="CASCADE"), nullable=False
    )
    kind: Mapped[str] = mapped_column(String(20), nullable=False)
    token_hash: Mapped[str] = mapped_column(CHAR(64), nullable=False, unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), nullable=False
    )
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    used_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class CustomerAddress(TimestampMixin, Base):
    """An address in a customer's address book; at most one default shipping and one default
    billing address per customer (partial unique indexes)."""

    __tablename__ = "customer_addresses"
    __table_args__ = (
        CheckConstraint("country ~ '^[A-Z]{2}$'", name="country_iso"),
        CheckConstraint("region ~ '^[A-Z0-9]{1,3}$'", name="region_code"),
        Index(
            "uq_customer_addresses_default_shipping",
            "customer_id",
            unique=True,
            postgresql_where=text("is_default_shipping"),
        ),
        Index(
            "uq_customer_addresses_default_billing",
            "customer_id",
            unique=True,
            postgresql_where=text("is_default_billing"),
        ),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    customer_id: Mapped[int] = mapped_column(
        ForeignKey("customers.id", ondelete="CASCADE"), nullable=False, index=True
    )
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    company: Mapped[str | None] = mapped_column(String(200))
    line1: Mapped[str] = mapped_column(String(200), nullable=False)
    line2: Mapped[str | None] = mapped_column(String(200))
    city: Mapped[str] = mapped_column(String(100), nullable=False)
    # The ISO 3166-2 subdivision code without the country (CA for California), as tax zones use.
    region: Mapped[str | None] = mapped_column(String(3))
    postcode: Mapped[str | None] = mapped_column(String(16))
    country: Mapped[str] = mapped_column(CHAR(2), nullable=False)
    phone: Mapped[str | None] = mapped_column(String(32))
    is_default_shipping: Mapped[bool] = mapped_column(
        Boolean, nullable=False, default=False, server_default=text("false")
    )
    is_default_billing: Mapped[bool] = mapped_column(
        Boolean, nullable=False, default=False, server_default=text("false")
    )


class ErasureRequest(Base):
    """A customer's request to be forgotten; staff (or a job) complete it with erase_customer."""

    __tablename__ = "customer_erasure_requests"
    __table_args__ = (
        CheckConstraint(
            one_of("status", ERASURE_STATUSES),
            name="status_known",
        ),
        CheckConstraint(
            "(status = 'completed') = (completed_at IS NOT NULL)", name="completed_when_done"
        ),
        Index(
            "uq_customer_erasure_requests_pending",
            "customer_id",
            unique=True,
            postgresql_where=text("status = 'pending'"),
        ),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), nullable=False, index=True)
    status: Mapped[str] = mapped_column(String(16), nullable=False, default="pending")
    requested_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), nullable=False
    )
    completed_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
