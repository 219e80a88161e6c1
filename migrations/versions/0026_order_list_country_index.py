"""order list indexes: the list sorted or filtered by shipping country

Revision ID: 0026
Revises: 0025
Create Date: 2026-11-24 05:55:00

bench/orders_admin.py at 1,000,000 orders: sorting by country sorted every order for each page
(~310 ms on 2 cores); an index on (shipping_country, id) answers it, and the country filter, by an
index scan. Declared on commerce.orders.models.Order.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0026"
down_revision: str | Sequence[str] | None = "0025"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_orders_shipping_country_id", "orders", ["shipping_country", "id"])


def downgrade() -> None:
    op.drop_index("ix_orders_shipping_country_id", table_name="orders")
