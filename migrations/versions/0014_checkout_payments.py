"""checkout and payments: order snapshots, idempotent placement, payments, provider events

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-24 04:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0014"
down_revision: str | Sequence[str] | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSONB = postgresql.JSONB(astext_type=sa.Text())


def upgrade() -> None:
    false, zero = sa.text("false"), sa.text("0")
    op.add_column(
        "orders",
        sa.Column("prices_include_tax", sa.Boolean(), nullable=False, server_default=false),
    )
    op.add_column(
        "orders",
        sa.Column("gift_card_amount", sa.BigInteger(), nullable=False, server_default=zero),
    )
    op.add_column("orders", sa.Column("payment_method", sa.String(length=24), nullable=True))
    op.add_column("orders", sa.Column("shipping_address", JSONB, nullable=True))
    op.add_column("orders", sa.Column("billing_address", JSONB, nullable=True))
    op.add_column("orders", sa.Column("shipping_method", JSONB, nullable=True))
    op.add_column(
        "orders", sa.Column("tax_lines", JSONB, nullable=False, server_default=sa.text("'[]'"))
    )
    op.add_column(
        "orders", sa.Column("adjustments", JSONB, nullable=False, server_default=sa.text("'[]'"))
    )
    op.add_column("orders", sa.Column("cart_reference", sa.String(length=64), nullable=True))
    op.drop_constraint(op.f("ck_orders_total_amount_adds_up"), "orders", type_="check")
    op.create_check_constraint(
        op.f("ck_orders_total_amount_adds_up"),
        "orders",
        "total_amount = subtotal_amount - discount_amount + shipping_amount"
        " + CASE WHEN prices_include_tax THEN 0 ELSE tax_amount END",
    )
    op.create_check_constraint(
        op.f("ck_orders_gift_card_amount_within_total"),
        "orders",
        "gift_card_amount >= 0 AND gift_card_amount <= total_amount",
    )
    op.create_check_constraint(
        op.f("ck_orders_payment_method_known"),
        "orders",
        "payment_method IS NULL OR "
        "payment_method IN ('stripe', 'bank_transfer', 'cash_on_delivery')",
    )

    op.add_column(
        "order_lines", sa.Column("tax_included", sa.Boolean(), nullable=False, server_default=false)
    )
    op.add_column("order_lines", sa.Column("tax_rate", sa.Numeric(6, 5), nullable=True))
    op.add_column("order_lines", sa.Column("tax_class", sa.String(length=40), nullable=True))
    op.add_column(
        "order_lines",
        sa.Column("option_values", JSONB, nullable=False, server_default=sa.text("'{}'")),
    )
    op.add_column(
        "order_lines", sa.Column("is_digital", sa.Boolean(), nullable=False, server_default=false)
    )
    op.drop_constraint(op.f("ck_order_lines_total_amount_adds_up"), "order_lines", type_="check")
    op.create_check_constraint(
        op.f("ck_order_lines_total_amount_adds_up"),
        "order_lines",
        "total_amount = quantity * unit_price_amount - discount_amount"
        " + CASE WHEN tax_included THEN 0 ELSE tax_amount END",
    )

    op.create_table(
        "checkout_requests",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("scope", sa.String(length=80), nullable=False),
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("order_id", sa.BigInteger(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name=op.f("fk_checkout_requests_order_id_orders")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_checkout_requests")),
        sa.UniqueConstraint("scope", "key", name=op.f("uq_checkout_requests_scope")),
    )
    op.create_table(
        "payments",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("order_id", sa.BigInteger(), nullable=False),
        sa.Column("provider", sa.String(length=24), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.CHAR(length=3), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("refunded_amount", sa.BigInteger(), nullable=False),
        sa.Column("idempotency_key", sa.String(length=80), nullable=False),
        sa.Column("provider_reference", sa.String(length=120), nullable=True),
        sa.Column("failure_message", sa.String(length=500), nullable=True),
        sa.Column("succeeded_at", sa.DateTime(timezone=True), nullable=True),
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
        sa.CheckConstraint("amount > 0", name=op.f("ck_payments_amount_positive")),
        sa.CheckConstraint(
            "status IN ('pending', 'succeeded', 'failed', 'cancelled')",
            name=op.f("ck_payments_status_known"),
        ),
        sa.CheckConstraint(
            "refunded_amount >= 0 AND refunded_amount <= amount",
            name=op.f("ck_payments_refunded_within_amount"),
        ),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name=op.f("fk_payments_order_id_orders")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payments")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_payments_idempotency_key")),
    )
    op.create_index(op.f("ix_payments_order_id"), "payments", ["order_id"], unique=False)
    op.create_index(
        "uq_payments_provider_reference",
        "payments",
        ["provider", "provider_reference"],
        unique=True,
        postgresql_where="provider_reference IS NOT NULL",
    )
    op.create_table(
        "payment_provider_events",
        sa.Column("id", sa.String(length=120), nullable=False),
        sa.Column("provider", sa.String(length=24), nullable=False),
        sa.Column("type", sa.String(length=80), nullable=False),
        sa.Column("object_id", sa.String(length=120), nullable=True),
        sa.Column("payload", JSONB, nullable=False),
        sa.Column(
            "received_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payment_provider_events")),
    )


def downgrade() -> None:
    op.drop_table("payment_provider_events")
    op.drop_index("uq_payments_provider_reference", table_name="payments")
    op.drop_index(op.f("ix_payments_order_id"), table_name="payments")
    op.drop_table("payments")
    op.drop_table("checkout_requests")
    op.drop_constraint(op.f("ck_order_lines_total_amount_adds_up"), "order_lines", type_="check")
    op.create_check_constraint(
        op.f("ck_order_lines_total_amount_adds_up"),
        "order_lines",
        "total_amount = quantity * unit_price_amount - discount_amount + tax_amount",
    )
    for column in ("is_digital", "option_values", "tax_class", "tax_rate", "tax_included"):
        op.drop_column("order_lines", column)
    op.drop_constraint(op.f("ck_orders_payment_method_known"), "orders", type_="check")
    op.drop_constraint(op.f("ck_orders_gift_card_amount_within_total"), "orders", type_="check")
    op.drop_constraint(op.f("ck_orders_total_amount_adds_up"), "orders", type_="check")
    op.create_check_constraint(
        op.f("ck_orders_total_amount_adds_up"),
        "orders",
        "total_amount = subtotal_amount - discount_amount + shipping_amount + tax_amount",
    )
    for column in (
        "cart_reference", "adjustments", "tax_lines", "shipping_method", "billing_address",
        "shipping_address", "payment_method", "gift_card_amount", "prices_include_tax",
    ):  # fmt: skip
        op.drop_column("orders", column)
