"""inventory: warehouses, stock levels, reservations, the stock ledger, variant inventory settings

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24 02:29:51.681456
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "warehouses",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("country", sa.CHAR(length=2), nullable=False),
        sa.Column("priority", sa.Integer(), server_default=sa.text("100"), nullable=False),
        sa.Column("is_active", sa.Boolean(), server_default=sa.text("true"), nullable=False),
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
        sa.CheckConstraint("country ~ '^[A-Z]{2}$'", name=op.f("ck_warehouses_country_iso")),
        sa.CheckConstraint("priority >= 0", name=op.f("ck_warehouses_priority_non_negative")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_warehouses")),
        sa.UniqueConstraint("code", name=op.f("uq_warehouses_code")),
    )
    op.create_table(
        "stock_levels",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("variant_id", sa.BigInteger(), nullable=False),
        sa.Column("warehouse_id", sa.BigInteger(), nullable=False),
        sa.Column("on_hand", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("allocated", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("reserved", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("safety_stock", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("backordered", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("last_counted_at", sa.DateTime(timezone=True), nullable=True),
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
        sa.CheckConstraint(
            "allocated + reserved <= on_hand", name=op.f("ck_stock_levels_committed_within_on_hand")
        ),
        sa.CheckConstraint("allocated >= 0", name=op.f("ck_stock_levels_allocated_non_negative")),
        sa.CheckConstraint(
            "backordered >= 0", name=op.f("ck_stock_levels_backordered_non_negative")
        ),
        sa.CheckConstraint("on_hand >= 0", name=op.f("ck_stock_levels_on_hand_non_negative")),
        sa.CheckConstraint("reserved >= 0", name=op.f("ck_stock_levels_reserved_non_negative")),
        sa.CheckConstraint(
            "safety_stock >= 0", name=op.f("ck_stock_levels_safety_stock_non_negative")
        ),
        sa.ForeignKeyConstraint(
            ["variant_id"],
            ["variants.id"],
            name=op.f("fk_stock_levels_variant_id_variants"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["warehouse_id"],
            ["warehouses.id"],
            name=op.f("fk_stock_levels_warehouse_id_warehouses"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stock_levels")),
        sa.UniqueConstraint(
            "variant_id", "warehouse_id", name=op.f("uq_stock_levels_variant_id_warehouse_id")
        ),
    )
    op.create_index("ix_stock_levels_warehouse_id", "stock_levels", ["warehouse_id"], unique=False)
    op.create_table(
        "stock_movements",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("variant_id", sa.BigInteger(), nullable=False),
        sa.Column("warehouse_id", sa.BigInteger(), nullable=False),
        sa.Column("bucket", sa.String(length=12), nullable=False),
        sa.Column("reason", sa.String(length=16), nullable=False),
        sa.Column("delta", sa.Integer(), nullable=False),
        sa.Column("balance_after", sa.Integer(), nullable=False),
        sa.Column("actor_kind", sa.String(length=20), nullable=False),
        sa.Column("actor_id", sa.BigInteger(), nullable=True),
        sa.Column(
            "actor_label", sa.String(length=255), server_default=sa.text("''"), nullable=False
        ),
        sa.Column("reference", sa.String(length=120), nullable=True),
        sa.Column("note", sa.String(length=500), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "bucket IN ('on_hand', 'allocated', 'reserved', 'backordered')",
            name=op.f("ck_stock_movements_bucket_known"),
        ),
        sa.CheckConstraint(
            "reason IN ('received', 'sold', 'returned', 'adjusted', 'transferred', 'counted', "
            "'reserved', 'released', 'allocated', 'deallocated', 'expired')",
            name=op.f("ck_stock_movements_reason_known"),
        ),
        sa.CheckConstraint(
            "balance_after >= 0", name=op.f("ck_stock_movements_balance_after_non_negative")
        ),
        sa.CheckConstraint("delta <> 0", name=op.f("ck_stock_movements_delta_non_zero")),
        sa.ForeignKeyConstraint(
            ["variant_id"],
            ["variants.id"],
            name=op.f("fk_stock_movements_variant_id_variants"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["warehouse_id"],
            ["warehouses.id"],
            name=op.f("fk_stock_movements_warehouse_id_warehouses"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stock_movements")),
    )
    op.create_index("ix_stock_movements_reference", "stock_movements", ["reference"], unique=False)
    op.create_index(
        "ix_stock_movements_variant_id_id", "stock_movements", ["variant_id", "id"], unique=False
    )
    op.create_index(
        "ix_stock_movements_warehouse_id_id",
        "stock_movements",
        ["warehouse_id", "id"],
        unique=False,
    )
    op.create_table(
        "stock_reservations",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("variant_id", sa.BigInteger(), nullable=False),
        sa.Column("warehouse_id", sa.BigInteger(), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("backordered", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("reference", sa.String(length=120), nullable=False),
        sa.Column(
            "status", sa.String(length=12), server_default=sa.text("'active'"), nullable=False
        ),
        sa.Column("order_reference", sa.String(length=120), nullable=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "status IN ('active', 'released', 'converted', 'expired')",
            name=op.f("ck_stock_reservations_status_known"),
        ),
        sa.CheckConstraint(
            "backordered >= 0 AND backordered <= quantity",
            name=op.f("ck_stock_reservations_backordered_within_quantity"),
        ),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_stock_reservations_quantity_positive")),
        sa.ForeignKeyConstraint(
            ["variant_id"],
            ["variants.id"],
            name=op.f("fk_stock_reservations_variant_id_variants"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["warehouse_id"],
            ["warehouses.id"],
            name=op.f("fk_stock_reservations_warehouse_id_warehouses"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stock_reservations")),
    )
    op.create_index(
        "ix_stock_reservations_reference", "stock_reservations", ["reference"], unique=False
    )
    op.create_index(
        "ix_stock_reservations_status_expires_at",
        "stock_reservations",
        ["status", "expires_at"],
        unique=False,
    )
    op.create_table(
        "variant_inventories",
        sa.Column("variant_id", sa.BigInteger(), nullable=False),
        sa.Column(
            "backorder_policy",
            sa.String(length=10),
            server_default=sa.text("'deny'"),
            nullable=False,
        ),
        sa.Column("low_stock_threshold", sa.Integer(), nullable=True),
        sa.Column("low_stock_alerted_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "backorder_policy IN ('deny', 'allow')",
            name=op.f("ck_variant_inventories_policy_known"),
        ),
        sa.CheckConstraint(
            "low_stock_threshold >= 0",
            name=op.f("ck_variant_inventories_low_stock_threshold_non_negative"),
        ),
        sa.ForeignKeyConstraint(
            ["variant_id"],
            ["variants.id"],
            name=op.f("fk_variant_inventories_variant_id_variants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("variant_id", name=op.f("pk_variant_inventories")),
    )
    # The ledger is history: a movement is never edited (a mistake is corrected by another
    # movement). Rows still go when their variant is deleted, with its stock levels.
    op.execute(
        """
        CREATE FUNCTION stock_movements_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION 'stock_movements rows cannot be changed (UPDATE refused)'
                USING ERRCODE = 'insufficient_privilege';
        END $$;
        CREATE TRIGGER stock_movements_immutable BEFORE UPDATE ON stock_movements
            FOR EACH ROW EXECUTE FUNCTION stock_movements_immutable();
        """
    )


def downgrade() -> None:
    op.execute("DROP TRIGGER IF EXISTS stock_movements_immutable ON stock_movements")
    op.execute("DROP FUNCTION IF EXISTS stock_movements_immutable()")
    op.drop_table("variant_inventories")
    op.drop_index("ix_stock_reservations_status_expires_at", table_name="stock_reservations")
    op.drop_index("ix_stock_reservations_reference", table_name="stock_reservations")
    op.drop_table("stock_reservations")
    op.drop_index("ix_stock_movements_warehouse_id_id", table_name="stock_movements")
    op.drop_index("ix_stock_movements_variant_id_id", table_name="stock_movements")
    op.drop_index("ix_stock_movements_reference", table_name="stock_movements")
    op.drop_table("stock_movements")
    op.drop_index("ix_stock_levels_warehouse_id", table_name="stock_levels")
    op.drop_table("stock_levels")
    op.drop_table("warehouses")
