"""payments operations: refunds, captures and disputes

Revision ID: 0017
Revises: 0016
Create Date: 2026-11-24 04:50:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0017"
down_revision: str | Sequence[str] | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD_PAYMENT_STATES = "status IN ('pending', 'succeeded', 'failed', 'cancelled')"
NEW_PAYMENT_STATES = "status IN ('pending', 'authorized', 'succeeded', 'failed', 'cancelled')"


def _timestamps() -> list[sa.Column]:
    return [
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
    ]


def upgrade() -> None:
    op.drop_constraint(op.f("ck_payments_status_known"), "payments", type_="check")
    op.create_check_constraint(op.f("ck_payments_status_known"), "payments", NEW_PAYMENT_STATES)
    op.create_table(
        "refunds",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("order_id", sa.BigInteger(), nullable=False),
        sa.Column("payment_id", sa.BigInteger(), nullable=True),
        sa.Column("provider", sa.String(length=24), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("payment_amount", sa.BigInteger(), nullable=False),
        sa.Column("gift_card_amount", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.CHAR(length=3), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("idempotency_key", sa.String(length=120), nullable=False),
        sa.Column("provider_reference", sa.String(length=120), nullable=True),
        sa.Column("failure_reason", sa.String(length=500), nullable=True),
        sa.Column(
            "lines",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'[]'"),
            nullable=False,
        ),
        sa.Column("restock", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("actor_kind", sa.String(length=20), nullable=False),
        sa.Column("actor_id", sa.BigInteger(), nullable=True),
        sa.Column("actor_label", sa.String(length=255), nullable=False),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        *_timestamps(),
        sa.CheckConstraint("amount > 0", name=op.f("ck_refunds_amount_positive")),
        sa.CheckConstraint(
            "payment_amount >= 0 AND gift_card_amount >= 0",
            name=op.f("ck_refunds_parts_non_negative"),
        ),
        sa.CheckConstraint(
            "amount = payment_amount + gift_card_amount", name=op.f("ck_refunds_parts_add_up")
        ),
        sa.CheckConstraint(
            "(payment_id IS NULL) = (payment_amount = 0)",
            name=op.f("ck_refunds_payment_part_has_payment"),
        ),
        sa.CheckConstraint(
            "status IN ('pending', 'succeeded', 'failed')", name=op.f("ck_refunds_status_known")
        ),
        sa.CheckConstraint(
            "status <> 'failed' OR failure_reason IS NOT NULL",
            name=op.f("ck_refunds_failure_has_reason"),
        ),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name=op.f("fk_refunds_order_id_orders")
        ),
        sa.ForeignKeyConstraint(
            ["payment_id"], ["payments.id"], name=op.f("fk_refunds_payment_id_payments")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_refunds")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_refunds_idempotency_key")),
    )
    op.create_index(op.f("ix_refunds_order_id"), "refunds", ["order_id"], unique=False)
    op.create_index(op.f("ix_refunds_payment_id"), "refunds", ["payment_id"], unique=False)
    op.create_index(
        "uq_refunds_provider_reference",
        "refunds",
        ["provider", "provider_reference"],
        unique=True,
        postgresql_where="provider = 'stripe' AND provider_reference IS NOT NULL",
    )
    op.create_table(
        "disputes",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("order_id", sa.BigInteger(), nullable=False),
        sa.Column("payment_id", sa.BigInteger(), nullable=False),
        sa.Column("provider_reference", sa.String(length=120), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.CHAR(length=3), nullable=False),
        sa.Column("reason", sa.String(length=40), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        *_timestamps(),
        sa.CheckConstraint("amount > 0", name=op.f("ck_disputes_amount_positive")),
        sa.CheckConstraint(
            "status IN ('warning_needs_response', 'warning_under_review', 'warning_closed', "
            "'needs_response', 'under_review', 'won', 'lost', 'prevented')",
            name=op.f("ck_disputes_status_known"),
        ),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name=op.f("fk_disputes_order_id_orders")
        ),
        sa.ForeignKeyConstraint(
            ["payment_id"], ["payments.id"], name=op.f("fk_disputes_payment_id_payments")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_disputes")),
        sa.UniqueConstraint("provider_reference", name=op.f("uq_disputes_provider_reference")),
    )
    op.create_index(op.f("ix_disputes_order_id"), "disputes", ["order_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_disputes_order_id"), table_name="disputes")
    op.drop_table("disputes")
    op.drop_index("uq_refunds_provider_reference", table_name="refunds")
    op.drop_index(op.f("ix_refunds_payment_id"), table_name="refunds")
    op.drop_index(op.f("ix_refunds_order_id"), table_name="refunds")
    op.drop_table("refunds")
    # Authorised payments become cancelled ones: the old states have no place for them.
    op.execute("UPDATE payments SET status = 'cancelled' WHERE status = 'authorized'")
    op.drop_constraint(op.f("ck_payments_status_known"), "payments", type_="check")
    op.create_check_constraint(op.f("ck_payments_status_known"), "payments", OLD_PAYMENT_STATES)
