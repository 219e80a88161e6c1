"""Tax models: TaxZone (where a rate applies) and TaxRate (zone and tax class -> rate).

Tax classes are the constant tuple TAX_CLASSES rather than a table. They are the vocabulary the
engine, the published rate tables and the variants' `tax_class` share; a new class is only useful
once every zone has a rate for it, which is a data release (commerce/tax/published.py), not an edit
in the back-office. A CHECK keeps rates to these classes.

    standard   the zone's standard rate
    reduced    the zone's principal reduced rate (see published.py for how it was chosen)
    zero       zero-rated goods: taxable at 0%, shown as such on invoices
    digital    electronically supplied services; in the EU the buyer's country's standard rate

A zone matches an address by country, optionally narrowed by region (state, province: the
subdivision part of ISO 3166-2, "CA" for US-CA) and by postcode prefix. The engine picks the most
specific match: postcode prefix > region > country (commerce/tax/engine.py).
"""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import (
    CHAR,
    BigInteger,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from commerce.db import Base, TimestampMixin, one_of

TAX_CLASSES = ("standard", "reduced", "zero", "digital")
DEFAULT_TAX_CLASS = "standard"


class TaxZone(TimestampMixin, Base):
    """Where a set of tax rates applies: a country, or a region of it, or a postcode range.

    Among equally specific matches a longer postcode prefix wins, then the lower `priority`."""

    __tablename__ = "tax_zones"
    __table_args__ = (
        CheckConstraint("country ~ '^[A-Z]{2}$'", name="country_iso"),
        CheckConstraint("region ~ '^[A-Z0-9]{1,3}$'", name="region_code"),
        CheckConstraint("postcode_prefix ~ '^[A-Z0-9]{1,10}$'", name="postcode_prefix_normalised"),
        CheckConstraint("priority >= 0", name="priority_non_negative"),
        # One zone per place: NULL region / prefix count as equal here, unlike in a plain UNIQUE.
        Index(
            "uq_tax_zones_place",
            "country",
            text("coalesce(region, '')"),
            text("coalesce(postcode_prefix, '')"),
            unique=True,
        ),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    code: Mapped[str] = mapped_column(String(32), nullable=False, unique=True)
    name: Mapped[str] = mapped_column(String(120), nullable=False)
    country: Mapped[str] = mapped_column(CHAR(2), nullable=False)
    region: Mapped[str | None] = mapped_column(String(3))
    postcode_prefix: Mapped[str | None] = mapped_column(String(10))
    priority: Mapped[int] = mapped_column(
        Integer, nullable=False, default=100, server_default=text("100")
    )

    rates: Mapped[list[TaxRate]] = relationship(
        back_populates="zone",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="TaxRate.tax_class",
    )

    @property
    def specificity(self) -> int:
        """2 for a postcode zone, 1 for a region zone, 0 for a whole country."""
        return 2 if self.postcode_prefix else 1 if self.region else 0

    def __str__(self) -> str:
        return f"{self.code} ({self.name})"


class TaxRate(TimestampMixin, Base):
    """The rate charged in one zone on one tax class, e.g. DE, reduced: 0.07 "VAT 7%"."""

    __tablename__ = "tax_rates"
    __table_args__ = (
        UniqueConstraint("zone_id", "tax_class", name="uq_tax_rates_zone_id_tax_class"),
        CheckConstraint("rate >= 0 AND rate <= 1", name="rate_between_0_and_1"),
        CheckConstraint(one_of("tax_class", TAX_CLASSES), name="tax_class_known"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    zone_id: Mapped[int] = mapped_column(
        ForeignKey("tax_zones.id", ondelete="CASCADE"), nullable=False
    )
    tax_class: Mapped[str] = mapped_column(String(40), nullable=False)
    rate: Mapped[Decimal] = mapped_column(Numeric(7, 6), nullable=False)
    name: Mapped[str] = mapped_column(String(80), nullable=False)

    zone: Mapped[TaxZone] = relationship(back_populates="rates")

    def __str__(self) -> str:
        return f"{self.name} ({self.tax_class})"
