"""Digital goods: downloadable files, per-purchase download grants, and license-key pools.

Files live in private storage (never served directly); a buyer gets a grant per purchased line with
a download limit and an expiry, and downloads through a signed, time-limited link. License keys are
imported into a pool per variant and issued one per unit sold."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    BigInteger,
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
from sqlalchemy.orm import Mapped, mapped_column

from commerce.db import Base, TimestampMixin, one_of

KEY_STATUSES = ("available", "issued", "revoked")


class DigitalFile(TimestampMixin, Base):
    """A file delivered to buyers of a digital variant, with the limits each purchase gets."""

    __tablename__ = "digital_files"
    __table_args__ = (
        CheckConstraint("download_limit IS NULL OR download_limit > 0", name="limit_positive"),
        CheckConstraint(
            "expires_after_days IS NULL OR expires_after_days > 0", name="expiry_positive"
        ),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    variant_id: Mapped[int] = mapped_column(
        ForeignKey("variants.id", ondelete="CASCADE"), nullable=False, index=True
    )
    filename: Mapped[str] = mapped_column(String(255), nullable=False)  # shown to the buyer
    storage_path: Mapped[str] = mapped_column(String(500), nullable=False)  # under private storage
    size_bytes: Mapped[int] = mapped_column(BigInteger, nullable=False)
    sha256: Mapped[str] = mapped_column(String(64), nullable=False)
    download_limit: Mapped[int | None] = mapped_column(Integer)  # None: unlimited
    expires_after_days: Mapped[int | None] = mapped_column(Integer)  # None: never


class DownloadGrant(Base):
    """One buyer's right to download one file: how often, and until when."""

    __tablename__ = "download_grants"
    __table_args__ = (
        CheckConstraint("downloads_used >= 0", name="used_non_negative"),
        CheckConstraint(
            "download_limit IS NULL OR downloads_used <= download_limit", name="within_limit"
        ),
        UniqueConstraint("order_line_id", "file_id", name="uq_download_grants_line_file"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    file_id: Mapped[int] = mapped_column(
        ForeignKey("digital_files.id", ondelete="CASCADE"), nullable=False, index=True
    )
    order_line_id: Mapped[int] = mapped_column(
        ForeignKey("order_lines.id", ondelete="CASCADE"), nullable=False
    )
    download_limit: Mapped[int | None] = mapped_column(Integer)
    downloads_used: Mapped[int] = mapped_column(
        Integer, nullable=False, default=0, server_default=text("0")
    )
    expires_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), nullable=False
    )
    last_download_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class LicenseKey(Base):
    """A license key of a digital variant: available in the pool until issued to an order line."""

    __tablename__ = "license_keys"
    __table_args__ = (
        CheckConstraint(one_of("status", KEY_STATUSES), name="status_known"),
        CheckConstraint("(status = 'issued') = (order_line_id IS NOT NULL)", name="issued_to_line"),
        UniqueConstraint("variant_id", "key", name="uq_license_keys_variant_key"),
        Index(
            "ix_license_keys_available",
            "variant_id",
            "id",
            postgresql_where=text("status = 'available'"),
        ),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    variant_id: Mapped[int] = mapped_column(
        ForeignKey("variants.id", ondelete="CASCADE"), nullable=False
    )
    key: Mapped[str] = mapped_column(String(255), nullable=False)
    status: Mapped[str] = mapped_column(
        String(20), nullable=False, default="available", server_default=text("'available'")
    )
    order_line_id: Mapped[int | None] = mapped_column(
        ForeignKey("order_lines.id", ondelete="RESTRICT"), index=True
    )
    imported_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), nullable=False
    )
    issued_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class LicensePool(Base):
    """Per-variant settings of its key pool: below `low_threshold` available keys, alert."""

    __tablename__ = "license_pools"
    __table_args__ = (CheckConstraint("low_threshold >= 0", name="threshold_non_negative"),)

    variant_id: Mapped[int] = mapped_column(
        ForeignKey("variants.id", ondelete="CASCADE"), primary_key=True
    )
    low_threshold: Mapped[int] = mapped_column(
        Integer, nullable=False, default=10, server_default=text("10")
    )
    low_alerted_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
