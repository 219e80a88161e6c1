"""reporting: shipped_orders, the rollup the operations dashboard's time to ship reads

Revision ID: 0028
Revises: 0027
Create Date: 2026-11-24 08:00:00

At 1,000,000 orders "time to ship" over a year took 1.07-1.4 s joining orders to shipments for
each order's first shipment (2 cores). One row per shipped order (placed_at, channel, hours to its
first shipment), read through an index on placed_at that carries the other two, answers it exactly
in a fraction of that. Declared on commerce.reporting.models.ShippedOrder; filled by
`flask reporting rebuild-shipped` (and nightly) and kept right by the shipment and order event
handlers (jobs/handlers/reporting.py).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0028"
down_revision: str | Sequence[str] | None = "0027"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "shipped_orders",
        sa.Column("order_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("placed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("hours_to_ship", sa.Double(), nullable=False),
        sa.PrimaryKeyConstraint("order_id", name=op.f("pk_shipped_orders")),
    )
    op.create_index(
        "ix_shipped_orders_placed_at",
        "shipped_orders",
        ["placed_at"],
        postgresql_include=["channel", "hours_to_ship"],
    )
    # Fill it for the orders already shipped, as the nightly rebuild would.
    op.execute(
        """
        INSERT INTO shipped_orders (order_id, placed_at, channel, hours_to_ship)
        SELECT o.id, o.placed_at, o.channel,
               extract(epoch FROM min(s.shipped_at) - o.placed_at) / 3600.0
        FROM orders o JOIN shipments s ON s.order_id = o.id
        WHERE s.shipped_at IS NOT NULL
        GROUP BY o.id
        """
    )


def downgrade() -> None:
    op.drop_table("shipped_orders")
