"""fulfilment: shipments, shipment lines, labels and packing slips

Revision ID: 0018
Revises: 0017
Create Date: 2026-11-24 04:50:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018"
down_revision: str | Sequence[str] | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


STATUSES = "'pending', 'label_ready', 'shipped', 'delivered', 'cancelled'"


def _timestamp(name: str) -> sa.Column:
    return sa.Column(
        name, sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
    )


def upgrade() -> None:
    op.create_table(
        "shipments",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("order_id", sa.BigInteger(), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("warehouse_id", sa.BigInteger(), nullable=False),
        sa.Column("carrier", sa.String(length=40), nullable=False),
        sa.Column("service", sa.String(length=64), nullable=False),
        sa.Column("tracking_number", sa.String(length=64), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("label_path", sa.String(length=255), nullable=True),
        sa.Column("packing_slip_path", sa.String(length=255), nullable=True),
        sa.Column("shipped_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("idempotency_key", sa.String(length=120), nullable=False),
        _timestamp("created_at"),
        _timestamp("updated_at"),
        sa.CheckConstraint(f"status IN ({STATUSES})", name=op.f("ck_shipments_status_known")),
        sa.CheckConstraint("sequence > 0", name=op.f("ck_shipments_sequence_positive")),
        sa.CheckConstraint(
            "status NOT IN ('shipped', 'delivered') OR shipped_at IS NOT NULL",
            name=op.f("ck_shipments_shipped_at_once_shipped"),
        ),
        sa.CheckConstraint(
            "status <> 'delivered' OR delivered_at IS NOT NULL",
            name=op.f("ck_shipments_delivered_at_once_delivered"),
        ),
        sa.CheckConstraint(
            "status IN ('pending', 'cancelled') OR tracking_number IS NOT NULL",
            name=op.f("ck_shipments_tracking_number_once_labelled"),
        ),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name=op.f("fk_shipments_order_id_orders")
        ),
        sa.ForeignKeyConstraint(
            ["warehouse_id"], ["warehouses.id"], name=op.f("fk_shipments_warehouse_id_warehouses")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_shipments")),
        sa.UniqueConstraint("order_id", "sequence", name="uq_shipments_order_sequence"),
        sa.UniqueConstraint("idempotency_key", name="uq_shipments_idempotency_key"),
    )
    op.create_index(
        "uq_shipments_carrier_tracking_number",
        "shipments",
        ["carrier", "tracking_number"],
        unique=True,
        postgresql_where=sa.text("tracking_number IS NOT NULL"),
    )
    op.create_index("ix_shipments_tracking_number", "shipments", ["tracking_number"])
    op.create_index("ix_shipments_status_created_at", "shipments", ["status", "created_at"])

    op.create_table(
        "shipment_lines",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("shipment_id", sa.BigInteger(), nullable=False),
        sa.Column("order_line_id", sa.BigInteger(), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_shipment_lines_quantity_positive")),
        sa.ForeignKeyConstraint(
            ["shipment_id"],
            ["shipments.id"],
            name=op.f("fk_shipment_lines_shipment_id_shipments"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["order_line_id"],
            ["order_lines.id"],
            name=op.f("fk_shipment_lines_order_line_id_order_lines"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_shipment_lines")),
        sa.UniqueConstraint("shipment_id", "order_line_id", name="uq_shipment_lines_shipment_line"),
    )
    op.create_index("ix_shipment_lines_order_line_id", "shipment_lines", ["order_line_id"])


def downgrade() -> None:
    op.drop_index("ix_shipment_lines_order_line_id", table_name="shipment_lines")
    op.drop_table("shipment_lines")
    op.drop_index("ix_shipments_status_created_at", table_name="shipments")
    op.drop_index("ix_shipments_tracking_number", table_name="shipments")
    op.drop_index("uq_shipments_carrier_tracking_number", table_name="shipments")
    op.drop_table("shipments")
