"""back-office: saved order list views per staff member

Revision ID: 0021
Revises: 0020
Create Date: 2026-11-24 04:50:00

The order list searches line SKUs by prefix (upper(sku) text_pattern_ops, as 0009 did for
variants) and emails by prefix (lower(email) text_pattern_ops), and filters by payment and
fulfilment status newest first. The indexes are declared in commerce/orders/order_list.py.

No trigram index: the embedded PostgreSQL has no pg_trgm, and an index made only where the
extension exists would be one the models cannot declare (`flask db check` would flag it).
A search word without "@" scans the emails, as the catalog's title search scans titles.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0021"
down_revision: str | Sequence[str] | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "saved_views",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("staff_user_id", sa.BigInteger(), nullable=False),
        sa.Column("list", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("query", sa.Text(), nullable=False),
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
        sa.ForeignKeyConstraint(
            ["staff_user_id"],
            ["staff_users.id"],
            name=op.f("fk_saved_views_staff_user_id_staff_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_saved_views")),
    )
    op.create_index(
        "uq_saved_views_staff_user_id_list_name",
        "saved_views",
        ["staff_user_id", "list", sa.text("lower(name)")],
        unique=True,
    )
    op.create_index(
        "ix_order_lines_upper_sku", "order_lines", [sa.text("upper(sku) text_pattern_ops")]
    )
    op.create_index("ix_orders_payment_status_placed_at", "orders", ["payment_status", "placed_at"])
    op.create_index(
        "ix_orders_fulfilment_status_placed_at", "orders", ["fulfilment_status", "placed_at"]
    )
    op.create_index("ix_orders_lower_email", "orders", [sa.text("lower(email) text_pattern_ops")])


def downgrade() -> None:
    op.drop_index("ix_orders_lower_email", table_name="orders")
    op.drop_index("ix_orders_fulfilment_status_placed_at", table_name="orders")
    op.drop_index("ix_orders_payment_status_placed_at", table_name="orders")
    op.drop_index("ix_order_lines_upper_sku", table_name="order_lines")
    op.drop_index("uq_saved_views_staff_user_id_list_name", table_name="saved_views")
    op.drop_table("saved_views")
