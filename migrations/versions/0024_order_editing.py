"""order editing and draft orders: edit history and payment links

Revision ID: 0024
Revises: 0023
Create Date: 2026-11-24 05:20:00

order_edits keeps each edit's before/after lines and totals; payment_links are the links emailed to
a buyer to pay an edit's extra or a draft order's total (models: commerce/orders/edit_models.py).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0024"
down_revision: str | Sequence[str] | None = "0023"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _timestamp(name: str) -> sa.Column:
    return sa.Column(
        name, sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
    )


def upgrade() -> None:
    op.create_table(
        "payment_links",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("order_id", sa.BigInteger(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.CHAR(length=3), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("purpose", sa.String(length=40), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("payment_id", sa.BigInteger(), nullable=True),
        sa.Column("provider_reference", sa.String(length=120), nullable=True),
        sa.Column("paid_at", sa.DateTime(timezone=True), nullable=True),
        _timestamp("created_at"),
        _timestamp("updated_at"),
        sa.CheckConstraint("amount > 0", name=op.f("ck_payment_links_amount_positive")),
        sa.CheckConstraint("currency ~ '^[A-Z]{3}$'", name=op.f("ck_payment_links_currency_iso")),
        sa.CheckConstraint(
            "status IN ('open', 'paid', 'expired')", name=op.f("ck_payment_links_status_known")
        ),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["orders.id"],
            name=op.f("fk_payment_links_order_id_orders"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["payment_id"],
            ["payments.id"],
            name=op.f("fk_payment_links_payment_id_payments"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payment_links")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_payment_links_token_hash")),
        sa.UniqueConstraint("payment_id", name=op.f("uq_payment_links_payment_id")),
    )
    op.create_index("ix_payment_links_order_id", "payment_links", ["order_id"])
    op.create_table(
        "order_edits",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("order_id", sa.BigInteger(), nullable=False),
        sa.Column("actor_kind", sa.String(length=20), nullable=False),
        sa.Column("actor_id", sa.BigInteger(), nullable=True),
        sa.Column("actor_label", sa.String(length=255), nullable=False),
        sa.Column("before", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("after", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("difference", sa.BigInteger(), nullable=False),
        sa.Column("settlement", sa.String(length=20), nullable=False),
        sa.Column("payment_link_id", sa.BigInteger(), nullable=True),
        sa.Column("refund_id", sa.BigInteger(), nullable=True),
        _timestamp("created_at"),
        sa.CheckConstraint(
            "settlement IN ('none', 'payment_link', 'refunded', 'refund_pending')",
            name=op.f("ck_order_edits_settlement_known"),
        ),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["orders.id"],
            name=op.f("fk_order_edits_order_id_orders"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["payment_link_id"],
            ["payment_links.id"],
            name=op.f("fk_order_edits_payment_link_id_payment_links"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["refund_id"],
            ["refunds.id"],
            name=op.f("fk_order_edits_refund_id_refunds"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_order_edits")),
    )
    op.create_index("ix_order_edits_order_id", "order_edits", ["order_id"])


def downgrade() -> None:
    op.drop_index("ix_order_edits_order_id", table_name="order_edits")
    op.drop_table("order_edits")
    op.drop_index("ix_payment_links_order_id", table_name="payment_links")
    op.drop_table("payment_links")
