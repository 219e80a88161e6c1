"""Invoice and credit note rows, and the per-(kind, year) counters their numbers come from.

An invoice or credit note row exists only once issued: its number, amounts, snapshot and PDF
digest never change afterwards. The migration backs this with a trigger that refuses an UPDATE
of any of them and every DELETE, so not even a wrong service (or a console session) can alter or
remove an issued document; the law wants them kept as issued.

Amounts are integer minor units of `currency`, `net + tax = gross`. A credit note's amounts are
negative (it takes back part or all of the invoice it names in `credited_invoice_id`).

Numbers read "INV-2026-000123" / "CN-2026-000007": the prefix of the kind, the year of issue and
the sequence within (kind, year), padded to six digits. The database computes `number` from those
three columns, so it can never disagree with them, and UNIQUE (kind, year, sequence) refuses a
duplicate; commerce/invoicing/numbering.py explains why there are no gaps.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    CHAR,
    BigInteger,
    CheckConstraint,
    Computed,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column, relationship

from commerce.db import Base
from commerce.orders.models import Order

KINDS = ("invoice", "credit_note")
PREFIXES = {"invoice": "INV", "credit_note": "CN"}

# The SQL behind Invoice.number (immutable functions only, as a generated column needs).
NUMBER_SQL = (
    "(CASE kind WHEN 'invoice' THEN 'INV' ELSE 'CN' END) || '-' || year::text || '-' || "
    "(CASE WHEN sequence > 999999 THEN sequence::text ELSE lpad(sequence::text, 6, '0') END)"
)


def format_number(kind: str, year: int, sequence: int) -> str:
    """The printed number of the `sequence`th document of `kind` in `year` ("INV-2026-000123");
    the same rule as the database's generated column."""
    return f"{PREFIXES[kind]}-{year}-{sequence:06d}"


class InvoiceCounter(Base):
    """The last sequence taken for one kind and year (a row per kind and year, made on first
    use)."""

    __tablename__ = "invoice_counters"
    __table_args__ = (
        CheckConstraint("kind IN ('invoice', 'credit_note')", name="kind_known"),
        CheckConstraint("last >= 0", name="last_non_negative"),
    )

    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    last: Mapped[int] = mapped_column(Integer, nullable=False, default=0)


class Invoice(Base):
    """An issued invoice or credit note (see the module docstring)."""

    __tablename__ = "invoices"
    __table_args__ = (
        CheckConstraint("kind IN ('invoice', 'credit_note')", name="kind_known"),
        CheckConstraint("year BETWEEN 2000 AND 9999", name="year_plausible"),
        CheckConstraint("sequence > 0", name="sequence_positive"),
        CheckConstraint("currency ~ '^[A-Z]{3}$'", name="currency_iso"),
        CheckConstraint("net_amount + tax_amount = gross_amount", name="amounts_add_up"),
        CheckConstraint(
            "(kind = 'invoice' AND net_amount >= 0 AND tax_amount >= 0"
            " AND credited_invoice_id IS NULL)"
            " OR (kind = 'credit_note' AND gross_amount < 0 AND net_amount <= 0"
            " AND tax_amount <= 0 AND credited_invoice_id IS NOT NULL)",
            name="signs_follow_kind",
        ),
        CheckConstraint("pdf_sha256 ~ '^[0-9a-f]{64}$'", name="pdf_sha256_hex"),
        UniqueConstraint("kind", "year", "sequence", name="uq_invoices_kind_year_sequence"),
        # One invoice per order; one credit note per refund.
        Index(
            "uq_invoices_order_id_invoice",
            "order_id",
            unique=True,
            postgresql_where=text("kind = 'invoice'"),
        ),
        Index(
            "uq_invoices_refund_id",
            "refund_id",
            unique=True,
            postgresql_where=text("refund_id IS NOT NULL"),
        ),
        Index("ix_invoices_order_id_id", "order_id", "id"),
        Index("ix_invoices_issued_at", "issued_at"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), nullable=False)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), nullable=False)
    # A credit note names the invoice it credits.
    credited_invoice_id: Mapped[int | None] = mapped_column(ForeignKey("invoices.id"), index=True)
    # The refund a credit note was issued for (payments' refund id), when there is one.
    refund_id: Mapped[int | None] = mapped_column(BigInteger)
    year: Mapped[int] = mapped_column(Integer, nullable=False)
    sequence: Mapped[int] = mapped_column(Integer, nullable=False)
    number: Mapped[str] = mapped_column(
        String(32), Computed(NUMBER_SQL, persisted=True), nullable=False, unique=True
    )
    issued_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    currency: Mapped[str] = mapped_column(CHAR(3), nullable=False)
    net_amount: Mapped[int] = mapped_column(BigInteger, nullable=False)
    tax_amount: Mapped[int] = mapped_column(BigInteger, nullable=False)
    gross_amount: Mapped[int] = mapped_column(BigInteger, nullable=False)
    # Everything the document prints: seller, buyer, lines, tax breakdown, totals (documents.py).
    snapshot: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False)
    pdf_path: Mapped[str] = mapped_column(String(500), nullable=False)  # relative to INVOICES_DIR
    pdf_sha256: Mapped[str] = mapped_column(CHAR(64), nullable=False)
    created_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), nullable=False
    )

    order: Mapped[Order] = relationship()
    credited_invoice: Mapped[Invoice | None] = relationship(remote_side=[id])

    @property
    def title(self) -> str:
        """ "Invoice" or "Credit note"."""
        return "Invoice" if self.kind == "invoice" else "Credit note"

    def __str__(self) -> str:
        return self.number
