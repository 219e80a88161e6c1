"""Shipping models: ShippingZone (where), ShippingMethod (how, for how much) and ShippingRate (one
bracket of a method's rate table).

A zone lists countries (ISO 3166-1 alpha-2), optionally narrowed to regions (full ISO 3166-2
codes, "US-AK", because a zone may span countries) and/or postcode prefixes (normalised: upper
case, no spaces or hyphens). A `rest_of_world` zone lists nothing and matches any address. The
engine picks the most specific zone containing an address (commerce/shipping/engine.py) and offers
that zone's active methods only.

A method's `kind` says how its price is found:

    flat       `amount`, whatever the cart
    free_over  `amount`, or nothing when the subtotal is `free_over_amount` or more
    by_weight  the rate bracket containing the cart's weight in grams
    by_price   the rate bracket containing the cart's subtotal in minor units

Brackets are given by their inclusive upper limit `up_to` (NULL: no limit); a bracket covers the
values above the previous bracket's limit up to and including its own, so a table has no gaps and
no overlaps. A value above the last limit is not served by the method (a parcel too heavy for it).
"""

from __future__ import annotations

from sqlalchemy import (
    CHAR,
    BigInteger,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column, relationship

from commerce.db import Base, TimestampMixin, one_of

METHOD_KINDS = ("flat", "free_over", "by_weight", "by_price")
BRACKET_KINDS = ("by_weight", "by_price")
ZONE_CODE_PATTERN = "^[A-Z0-9][A-Z0-9_-]{0,31}$"
METHOD_CODE_PATTERN = "^[a-z0-9][a-z0-9_-]{0,39}$"
CARRIER_CODE_PATTERN = "^[a-z0-9][a-z0-9_]{0,31}$"
# Array elements are checked through their comma-joined text (a CHECK cannot hold a subquery).
COUNTRY_LIST_PATTERN = "^([A-Z]{2}(,|$))*$"
REGION_LIST_PATTERN = "^([A-Z]{2}-[A-Z0-9]{1,3}(,|$))*$"
POSTCODE_LIST_PATTERN = "^([A-Z0-9]{1,10}(,|$))*$"


def _joined(column: str, pattern: str) -> str:
    return f"array_to_string({column}, ',') ~ '{pattern}'"


class ShippingZone(TimestampMixin, Base):
    """Where a set of shipping methods applies: countries, narrowed by regions or postcode
    prefixes, or the rest of the world."""

    __tablename__ = "shipping_zones"
    __table_args__ = (
        CheckConstraint(f"code ~ '{ZONE_CODE_PATTERN}'", name="code_format"),
        CheckConstraint("name <> ''", name="name_not_blank"),
        CheckConstraint(_joined("countries", COUNTRY_LIST_PATTERN), name="countries_iso"),
        CheckConstraint(_joined("regions", REGION_LIST_PATTERN), name="regions_iso"),
        CheckConstraint(
            _joined("postcode_prefixes", POSTCODE_LIST_PATTERN), name="postcode_prefixes_normalised"
        ),
        CheckConstraint("priority >= 0", name="priority_non_negative"),
        # The rest of the world lists nothing; every other zone lists its countries.
        CheckConstraint(
            "CASE WHEN rest_of_world THEN cardinality(countries) = 0 AND cardinality(regions) = 0 "
            "AND cardinality(postcode_prefixes) = 0 ELSE cardinality(countries) > 0 END",
            name="countries_or_rest_of_world",
        ),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    code: Mapped[str] = mapped_column(String(32), nullable=False, unique=True)
    name: Mapped[str] = mapped_column(String(120), nullable=False)
    countries: Mapped[list[str]] = mapped_column(
        ARRAY(CHAR(2)), nullable=False, default=list, server_default=text("'{}'")
    )
    regions: Mapped[list[str]] = mapped_column(
        ARRAY(String(6)), nullable=False, default=list, server_default=text("'{}'")
    )
    postcode_prefixes: Mapped[list[str]] = mapped_column(
        ARRAY(String(10)), nullable=False, default=list, server_default=text("'{}'")
    )
    rest_of_world: Mapped[bool] = mapped_column(
        Boolean, nullable=False, default=False, server_default=text("false")
    )
    # Breaks ties between equally specific zones: the lower wins.
    priority: Mapped[int] = mapped_column(
        Integer, nullable=False, default=100, server_default=text("100")
    )

    methods: Mapped[list[ShippingMethod]] = relationship(
        back_populates="zone",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="ShippingMethod.id",
    )

    def __str__(self) -> str:
        return f"{self.code} ({self.name})"


class ShippingMethod(TimestampMixin, Base):
    """One way to ship to a zone ("Standard", "Express") with its price rule, currency, delivery
    time and the carrier (and carrier service) that makes its labels."""

    __tablename__ = "shipping_methods"
    __table_args__ = (
        UniqueConstraint("zone_id", "code", name="uq_shipping_methods_zone_id_code"),
        CheckConstraint(f"code ~ '{METHOD_CODE_PATTERN}'", name="code_format"),
        CheckConstraint("name <> ''", name="name_not_blank"),
        CheckConstraint(one_of("kind", METHOD_KINDS), name="kind_known"),
        CheckConstraint("currency ~ '^[A-Z]{3}$'", name="currency_iso"),
        CheckConstraint("amount >= 0", name="amount_non_negative"),
        CheckConstraint("free_over_amount > 0", name="free_over_amount_positive"),
        # flat and free_over charge `amount`; the bracket kinds price from their rate table.
        CheckConstraint(
            "(kind IN ('flat', 'free_over')) = (amount IS NOT NULL)", name="amount_by_kind"
        ),
        CheckConstraint(
            "(kind = 'free_over') = (free_over_amount IS NOT NULL)", name="free_over_by_kind"
        ),
        CheckConstraint("min_days >= 0 AND max_days >= min_days", name="delivery_days_ordered"),
        CheckConstraint("max_weight_grams > 0", name="max_weight_positive"),
        CheckConstraint(f"carrier ~ '{CARRIER_CODE_PATTERN}'", name="carrier_code_format"),
        CheckConstraint("carrier_service <> ''", name="carrier_service_not_blank"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    zone_id: Mapped[int] = mapped_column(
        ForeignKey("shipping_zones.id", ondelete="CASCADE"), nullable=False, index=True
    )
    code: Mapped[str] = mapped_column(String(40), nullable=False)
    name: Mapped[str] = mapped_column(String(120), nullable=False)
    kind: Mapped[str] = mapped_column(String(20), nullable=False)
    currency: Mapped[str] = mapped_column(CHAR(3), nullable=False)
    amount: Mapped[int | None] = mapped_column(BigInteger)
    free_over_amount: Mapped[int | None] = mapped_column(BigInteger)
    min_days: Mapped[int] = mapped_column(Integer, nullable=False)
    max_days: Mapped[int] = mapped_column(Integer, nullable=False)
    # A parcel heavier than this is not taken (NULL: no limit beyond the rate table's).
    max_weight_grams: Mapped[int | None] = mapped_column(Integer)
    # The variants' shipping classes this method takes; empty: every class.
    shipping_classes: Mapped[list[str]] = mapped_column(
        ARRAY(String(40)), nullable=False, default=list, server_default=text("'{}'")
    )
    active: Mapped[bool] = mapped_column(
        Boolean, nullable=False, default=True, server_default=text("true")
    )
    carrier: Mapped[str] = mapped_column(String(32), nullable=False)
    carrier_service: Mapped[str] = mapped_column(String(40), nullable=False)

    zone: Mapped[ShippingZone] = relationship(back_populates="methods")
    rates: Mapped[list[ShippingRate]] = relationship(
        back_populates="method",
        cascade="all, delete-orphan",
        passive_deletes=True,
        # Open bracket (NULL) last.
        order_by="ShippingRate.up_to.asc().nulls_last()",
    )

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"


class ShippingRate(Base):
    """One bracket of a by_weight (grams) or by_price (minor units) method: values above the
    previous bracket's `up_to`, up to and including this one's, cost `amount`."""

    __tablename__ = "shipping_rates"
    __table_args__ = (
        UniqueConstraint("method_id", "up_to", name="uq_shipping_rates_method_id_up_to"),
        # At most one open-ended bracket per method (NULLs are distinct in a plain UNIQUE).
        Index(
            "uq_shipping_rates_open_bracket",
            "method_id",
            unique=True,
            postgresql_where=text("up_to IS NULL"),
        ),
        CheckConstraint("up_to >= 0", name="up_to_non_negative"),
        CheckConstraint("amount >= 0", name="amount_non_negative"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    method_id: Mapped[int] = mapped_column(
        ForeignKey("shipping_methods.id", ondelete="CASCADE"), nullable=False
    )
    up_to: Mapped[int | None] = mapped_column(BigInteger)
    amount: Mapped[int] = mapped_column(BigInteger, nullable=False)

    method: Mapped[ShippingMethod] = relationship(back_populates="rates")
