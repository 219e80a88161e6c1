"""Product types and their typed attributes.

A product type (T-shirt, Book, E-book) lists the attributes its products carry and which of them
make variants (size x colour). An attribute has a kind — text, number (with a unit), boolean,
single choice, multiple choice or date — and products store their values in `products.attributes`
(JSONB), validated against the type by `commerce.catalog.attributes`.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Integer,
    String,
    Text,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column, relationship

from commerce.db import Base, TimestampMixin, one_of

ATTRIBUTE_KINDS = ("text", "number", "boolean", "choice", "multichoice", "date")


class Attribute(TimestampMixin, Base):
    """A typed attribute products can carry (code "material", kind "choice", choices [...])."""

    __tablename__ = "attributes"
    __table_args__ = (
        CheckConstraint(one_of("kind", ATTRIBUTE_KINDS), name="kind_known"),
        CheckConstraint("code ~ '^[a-z][a-z0-9_]*$'", name="code_format"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    code: Mapped[str] = mapped_column(String(60), nullable=False, unique=True)
    name: Mapped[str] = mapped_column(String(120), nullable=False)
    kind: Mapped[str] = mapped_column(String(20), nullable=False)
    unit: Mapped[str | None] = mapped_column(String(20))  # for numbers: "cm", "g", "W"
    choices: Mapped[list[str]] = mapped_column(
        ARRAY(Text), nullable=False, default=list, server_default=text("'{}'")
    )

    def __str__(self) -> str:
        return f"{self.name} ({self.kind})"


class ProductType(TimestampMixin, Base):
    """A kind of product and the attributes it carries."""

    __tablename__ = "product_types"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    name: Mapped[str] = mapped_column(String(120), nullable=False, unique=True)
    is_digital: Mapped[bool] = mapped_column(
        Boolean, nullable=False, default=False, server_default=text("false")
    )

    attribute_links: Mapped[list[ProductTypeAttribute]] = relationship(
        back_populates="product_type",
        cascade="all, delete-orphan",
        order_by="ProductTypeAttribute.position",
        lazy="selectin",
    )

    @property
    def variant_axes(self) -> list[Attribute]:
        """The attributes whose values make variants, in order."""
        return [link.attribute for link in self.attribute_links if link.variant_axis]

    @property
    def product_attributes(self) -> list[ProductTypeAttribute]:
        """The links of attributes stored on the product (not variant axes)."""
        return [link for link in self.attribute_links if not link.variant_axis]

    def __str__(self) -> str:
        return self.name


class ProductTypeAttribute(Base):
    """An attribute of a product type: required or not, and whether it makes variants."""

    __tablename__ = "product_type_attributes"

    product_type_id: Mapped[int] = mapped_column(
        ForeignKey("product_types.id", ondelete="CASCADE"), primary_key=True
    )
    attribute_id: Mapped[int] = mapped_column(
        ForeignKey("attributes.id", ondelete="RESTRICT"), primary_key=True, index=True
    )
    position: Mapped[int] = mapped_column(
        Integer, nullable=False, default=0, server_default=text("0")
    )
    required: Mapped[bool] = mapped_column(
        Boolean, nullable=False, default=False, server_default=text("false")
    )
    variant_axis: Mapped[bool] = mapped_column(
        Boolean, nullable=False, default=False, server_default=text("false")
    )

    product_type: Mapped[ProductType] = relationship(back_populates="attribute_links")
    attribute: Mapped[Attribute] = relationship(lazy="joined")
