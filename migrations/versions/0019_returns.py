"""returns: return requests, lines, receipts

Revision ID: 0019
Revises: 0018
Create Date: 2026-11-24 04:50:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0019"
down_revision: str | Sequence[str] | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

STATUSES = "'requested', 'approved', 'rejected', 'received', 'refunded', 'closed'"
REASONS = (
    "'damaged', 'defective', 'wrong_item', 'not_as_described', 'size_or_fit', "
    "'no_longer_needed', 'other'"
)
RESOLUTIONS = "'refund', 'store_credit'"
CONDITIONS = "'unopened', 'opened', 'used', 'damaged', 'faulty'"


def _timestamp(name: str) -> sa.Column:
    return sa.Column(
        name, sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
    )


def _when(name: str) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=True)


def upgrade() -> None:
    op.execute(sa.schema.CreateSequence(sa.Sequence("return_numbers", start=1001)))
    op.create_table(
        "returns",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column(
            "number",
            sa.BigInteger(),
            server_default=sa.text("nextval('return_numbers')"),
            nullable=False,
        ),
        sa.Column("order_id", sa.BigInteger(), nullable=False),
        sa.Column("customer_id", sa.BigInteger(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.String(length=32), nullable=False),
        sa.Column("customer_note", sa.Text(), nullable=True),
        sa.Column("staff_note", sa.Text(), nullable=True),
        sa.Column("rejection_reason", sa.Text(), nullable=True),
        sa.Column("resolution", sa.String(length=16), nullable=True),
        sa.Column("currency", sa.CHAR(length=3), nullable=False),
        sa.Column("refund_amount", sa.BigInteger(), nullable=True),
        sa.Column("refund_id", sa.BigInteger(), nullable=True),
        sa.Column("refund_attempts", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("gift_card_id", sa.BigInteger(), nullable=True),
        sa.Column("warehouse_id", sa.BigInteger(), nullable=True),
        sa.Column("requested_by_kind", sa.String(length=20), nullable=False),
        sa.Column("requested_by_label", sa.String(length=255), nullable=False),
        sa.Column("decided_by_label", sa.String(length=255), nullable=True),
        sa.Column("received_by_label", sa.String(length=255), nullable=True),
        sa.Column("resolved_by_label", sa.String(length=255), nullable=True),
        _when("approved_at"),
        _when("rejected_at"),
        _when("received_at"),
        _when("resolved_at"),
        _when("closed_at"),
        _timestamp("created_at"),
        _timestamp("updated_at"),
        sa.CheckConstraint(f"status IN ({STATUSES})", name=op.f("ck_returns_status_known")),
        sa.CheckConstraint(f"reason IN ({REASONS})", name=op.f("ck_returns_reason_known")),
        sa.CheckConstraint(
            f"resolution IS NULL OR resolution IN ({RESOLUTIONS})",
            name=op.f("ck_returns_resolution_known"),
        ),
        sa.CheckConstraint("currency ~ '^[A-Z]{3}$'", name=op.f("ck_returns_currency_iso")),
        sa.CheckConstraint(
            "refund_amount IS NULL OR refund_amount >= 0",
            name=op.f("ck_returns_refund_amount_non_negative"),
        ),
        sa.CheckConstraint(
            "status <> 'refunded' OR (resolution IS NOT NULL AND refund_amount IS NOT NULL"
            " AND resolved_at IS NOT NULL)",
            name=op.f("ck_returns_refunded_has_resolution"),
        ),
        sa.CheckConstraint(
            "status <> 'rejected' OR rejection_reason IS NOT NULL",
            name=op.f("ck_returns_rejected_has_reason"),
        ),
        sa.CheckConstraint(
            "status NOT IN ('received', 'refunded') OR (received_at IS NOT NULL"
            " AND warehouse_id IS NOT NULL)",
            name=op.f("ck_returns_received_has_warehouse"),
        ),
        sa.CheckConstraint(
            "resolution <> 'store_credit' OR status <> 'refunded' OR gift_card_id IS NOT NULL",
            name=op.f("ck_returns_store_credit_has_gift_card"),
        ),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name=op.f("fk_returns_order_id_orders")
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name=op.f("fk_returns_customer_id_customers")
        ),
        sa.ForeignKeyConstraint(
            ["gift_card_id"], ["gift_cards.id"], name=op.f("fk_returns_gift_card_id_gift_cards")
        ),
        sa.ForeignKeyConstraint(
            ["warehouse_id"], ["warehouses.id"], name=op.f("fk_returns_warehouse_id_warehouses")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_returns")),
        sa.UniqueConstraint("number", name=op.f("uq_returns_number")),
    )
    op.create_index("ix_returns_order_id", "returns", ["order_id"])
    op.create_index("ix_returns_customer_id_id", "returns", ["customer_id", "id"])
    op.create_index("ix_returns_status_created_at", "returns", ["status", "created_at"])

    op.create_table(
        "return_lines",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("return_id", sa.BigInteger(), nullable=False),
        sa.Column("order_line_id", sa.BigInteger(), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("reason_code", sa.String(length=32), nullable=False),
        sa.Column("condition", sa.String(length=16), nullable=True),
        sa.Column("received_quantity", sa.Integer(), server_default="0", nullable=False),
        sa.Column("restocked_quantity", sa.Integer(), server_default="0", nullable=False),
        sa.Column("written_off_quantity", sa.Integer(), server_default="0", nullable=False),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_return_lines_quantity_positive")),
        sa.CheckConstraint(
            f"reason_code IN ({REASONS})", name=op.f("ck_return_lines_reason_code_known")
        ),
        sa.CheckConstraint(
            f"condition IS NULL OR condition IN ({CONDITIONS})",
            name=op.f("ck_return_lines_condition_known"),
        ),
        sa.CheckConstraint(
            "restocked_quantity >= 0", name=op.f("ck_return_lines_restocked_quantity_non_negative")
        ),
        sa.CheckConstraint(
            "written_off_quantity >= 0",
            name=op.f("ck_return_lines_written_off_quantity_non_negative"),
        ),
        sa.CheckConstraint(
            "received_quantity = restocked_quantity + written_off_quantity",
            name=op.f("ck_return_lines_received_quantity_adds_up"),
        ),
        sa.CheckConstraint(
            "received_quantity <= quantity", name=op.f("ck_return_lines_received_within_quantity")
        ),
        sa.ForeignKeyConstraint(
            ["return_id"],
            ["returns.id"],
            name=op.f("fk_return_lines_return_id_returns"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["order_line_id"],
            ["order_lines.id"],
            name=op.f("fk_return_lines_order_line_id_order_lines"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_return_lines")),
        sa.UniqueConstraint("return_id", "order_line_id", name="uq_return_lines_return_order_line"),
    )
    op.create_index("ix_return_lines_order_line_id", "return_lines", ["order_line_id"])


def downgrade() -> None:
    op.drop_index("ix_return_lines_order_line_id", table_name="return_lines")
    op.drop_table("return_lines")
    op.drop_index("ix_returns_status_created_at", table_name="returns")
    op.drop_index("ix_returns_customer_id_id", table_name="returns")
    op.drop_index("ix_returns_order_id", table_name="returns")
    op.drop_table("returns")
    op.execute(sa.schema.DropSequence(sa.Sequence("return_numbers")))
