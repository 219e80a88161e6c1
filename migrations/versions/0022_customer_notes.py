"""customers back-office: notes and data-export archives

Revision ID: 0022
Revises: 0021
Create Date: 2026-11-24 04:50:00

customer_notes: staff notes on a customer (erasure deletes them). customer_data_exports: one row
per data-export archive built for a customer (the ZIP lives under CUSTOMER_EXPORTS_DIR; the row
stays, marked deleted, after the file is purged).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0022"
down_revision: str | Sequence[str] | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _now() -> sa.TextClause:
    return sa.text("now()")


def upgrade() -> None:
    op.create_table(
        "customer_notes",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("customer_id", sa.BigInteger(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("author_id", sa.BigInteger(), nullable=True),
        sa.Column("author_label", sa.String(length=255), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=_now(), nullable=False),
        sa.CheckConstraint(
            "char_length(btrim(body)) BETWEEN 1 AND 2000",
            name=op.f("ck_customer_notes_body_length"),
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_customer_notes_customer_id_customers"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["author_id"],
            ["staff_users.id"],
            name=op.f("fk_customer_notes_author_id_staff_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customer_notes")),
    )
    op.create_index("ix_customer_notes_customer_id_id", "customer_notes", ["customer_id", "id"])

    op.create_table(
        "customer_data_exports",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("customer_id", sa.BigInteger(), nullable=False),
        sa.Column("requested_by_id", sa.BigInteger(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("size_bytes", sa.BigInteger(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=_now(), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "status IN ('queued', 'running', 'ready', 'failed', 'deleted')",
            name=op.f("ck_customer_data_exports_status_known"),
        ),
        sa.CheckConstraint(
            "status <> 'ready' OR (finished_at IS NOT NULL AND expires_at IS NOT NULL"
            " AND size_bytes IS NOT NULL)",
            name=op.f("ck_customer_data_exports_ready_has_file"),
        ),
        sa.CheckConstraint(
            "(status = 'deleted') = (deleted_at IS NOT NULL)",
            name=op.f("ck_customer_data_exports_deleted_when"),
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_customer_data_exports_customer_id_customers"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["requested_by_id"],
            ["staff_users.id"],
            name=op.f("fk_customer_data_exports_requested_by_id_staff_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customer_data_exports")),
    )
    op.create_index(
        "ix_customer_data_exports_customer_id_id", "customer_data_exports", ["customer_id", "id"]
    )
    op.create_index(
        "ix_customer_data_exports_live",
        "customer_data_exports",
        ["created_at"],
        postgresql_where=sa.text("status <> 'deleted'"),
    )


def downgrade() -> None:
    op.drop_index("ix_customer_data_exports_live", table_name="customer_data_exports")
    op.drop_index("ix_customer_data_exports_customer_id_id", table_name="customer_data_exports")
    op.drop_table("customer_data_exports")
    op.drop_index("ix_customer_notes_customer_id_id", table_name="customer_notes")
    op.drop_table("customer_notes")
