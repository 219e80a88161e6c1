"""invoices and credit notes numbered per year without gaps

Revision ID: 0020
Revises: 0019
Create Date: 2026-11-24 04:50:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0020"
down_revision: str | Sequence[str] | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NUMBER_SQL = (
    "(CASE kind WHEN 'invoice' THEN 'INV' ELSE 'CN' END) || '-' || year::text || '-' || "
    "(CASE WHEN sequence > 999999 THEN sequence::text ELSE lpad(sequence::text, 6, '0') END)"
)
# Every column but pdf_path (the file may move to other storage; its digest may not change).
FIXED_COLUMNS = (
    "kind", "order_id", "credited_invoice_id", "refund_id", "year", "sequence", "issued_at",
    "currency", "net_amount", "tax_amount", "gross_amount", "snapshot", "pdf_sha256", "created_at",
)  # fmt: skip


def upgrade() -> None:
    op.create_table(
        "invoice_counters",
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("last", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "kind IN ('invoice', 'credit_note')", name=op.f("ck_invoice_counters_kind_known")
        ),
        sa.CheckConstraint("last >= 0", name=op.f("ck_invoice_counters_last_non_negative")),
        sa.PrimaryKeyConstraint("kind", "year", name=op.f("pk_invoice_counters")),
    )
    op.create_table(
        "invoices",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("order_id", sa.BigInteger(), nullable=False),
        sa.Column("credited_invoice_id", sa.BigInteger(), nullable=True),
        sa.Column("refund_id", sa.BigInteger(), nullable=True),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column(
            "number", sa.String(length=32), sa.Computed(NUMBER_SQL, persisted=True), nullable=False
        ),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("currency", sa.CHAR(length=3), nullable=False),
        sa.Column("net_amount", sa.BigInteger(), nullable=False),
        sa.Column("tax_amount", sa.BigInteger(), nullable=False),
        sa.Column("gross_amount", sa.BigInteger(), nullable=False),
        sa.Column("snapshot", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("pdf_path", sa.String(length=500), nullable=False),
        sa.Column("pdf_sha256", sa.CHAR(length=64), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "kind IN ('invoice', 'credit_note')", name=op.f("ck_invoices_kind_known")
        ),
        sa.CheckConstraint("year BETWEEN 2000 AND 9999", name=op.f("ck_invoices_year_plausible")),
        sa.CheckConstraint("sequence > 0", name=op.f("ck_invoices_sequence_positive")),
        sa.CheckConstraint("currency ~ '^[A-Z]{3}$'", name=op.f("ck_invoices_currency_iso")),
        sa.CheckConstraint(
            "net_amount + tax_amount = gross_amount", name=op.f("ck_invoices_amounts_add_up")
        ),
        sa.CheckConstraint(
            "(kind = 'invoice' AND net_amount >= 0 AND tax_amount >= 0"
            " AND credited_invoice_id IS NULL)"
            " OR (kind = 'credit_note' AND gross_amount < 0 AND net_amount <= 0"
            " AND tax_amount <= 0 AND credited_invoice_id IS NOT NULL)",
            name=op.f("ck_invoices_signs_follow_kind"),
        ),
        sa.CheckConstraint(
            "pdf_sha256 ~ '^[0-9a-f]{64}$'", name=op.f("ck_invoices_pdf_sha256_hex")
        ),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name=op.f("fk_invoices_order_id_orders")
        ),
        sa.ForeignKeyConstraint(
            ["credited_invoice_id"],
            ["invoices.id"],
            name=op.f("fk_invoices_credited_invoice_id_invoices"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invoices")),
        sa.UniqueConstraint("kind", "year", "sequence", name="uq_invoices_kind_year_sequence"),
        sa.UniqueConstraint("number", name=op.f("uq_invoices_number")),
    )
    op.create_index(
        "ix_invoices_credited_invoice_id", "invoices", ["credited_invoice_id"], unique=False
    )
    op.create_index("ix_invoices_issued_at", "invoices", ["issued_at"], unique=False)
    op.create_index("ix_invoices_order_id_id", "invoices", ["order_id", "id"], unique=False)
    op.create_index(
        "uq_invoices_order_id_invoice",
        "invoices",
        ["order_id"],
        unique=True,
        postgresql_where=sa.text("kind = 'invoice'"),
    )
    op.create_index(
        "uq_invoices_refund_id",
        "invoices",
        ["refund_id"],
        unique=True,
        postgresql_where=sa.text("refund_id IS NOT NULL"),
    )
    new = ", ".join(f"NEW.{c}" for c in FIXED_COLUMNS)
    old = ", ".join(f"OLD.{c}" for c in FIXED_COLUMNS)
    # Issued invoices are kept as issued: the database refuses to change or delete one, whoever
    # asks (the law keeps them; a correction is a credit note). TRUNCATE, an owner's tool, is not
    # a row operation and stays possible (tests empty their tables with it).
    op.execute(
        f"""
        CREATE FUNCTION invoices_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP = 'DELETE' THEN
                RAISE EXCEPTION 'invoice % is issued and cannot be deleted', OLD.number
                    USING ERRCODE = 'insufficient_privilege';
            END IF;
            IF ROW({new}) IS DISTINCT FROM ROW({old}) THEN
                RAISE EXCEPTION 'invoice % is issued and cannot be changed', OLD.number
                    USING ERRCODE = 'insufficient_privilege';
            END IF;
            RETURN NEW;
        END $$;
        CREATE TRIGGER invoices_immutable BEFORE UPDATE OR DELETE ON invoices
            FOR EACH ROW EXECUTE FUNCTION invoices_immutable();

        CREATE FUNCTION invoice_counters_forward_only() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP = 'DELETE' OR NEW.last < OLD.last OR NEW.kind <> OLD.kind
                    OR NEW.year <> OLD.year THEN
                RAISE EXCEPTION 'invoice counters only count forward (% refused)', TG_OP
                    USING ERRCODE = 'insufficient_privilege';
            END IF;
            RETURN NEW;
        END $$;
        CREATE TRIGGER invoice_counters_forward_only BEFORE UPDATE OR DELETE ON invoice_counters
            FOR EACH ROW EXECUTE FUNCTION invoice_counters_forward_only();
        """
    )


def downgrade() -> None:
    op.execute("DROP TRIGGER IF EXISTS invoice_counters_forward_only ON invoice_counters")
    op.execute("DROP FUNCTION IF EXISTS invoice_counters_forward_only()")
    op.execute("DROP TRIGGER IF EXISTS invoices_immutable ON invoices")
    op.execute("DROP FUNCTION IF EXISTS invoices_immutable()")
    op.drop_index(
        "uq_invoices_refund_id",
        table_name="invoices",
        postgresql_where=sa.text("refund_id IS NOT NULL"),
    )
    op.drop_index(
        "uq_invoices_order_id_invoice",
        table_name="invoices",
        postgresql_where=sa.text("kind = 'invoice'"),
    )
    op.drop_index("ix_invoices_order_id_id", table_name="invoices")
    op.drop_index("ix_invoices_issued_at", table_name="invoices")
    op.drop_index("ix_invoices_credited_invoice_id", table_name="invoices")
    op.drop_table("invoices")
    op.drop_table("invoice_counters")
