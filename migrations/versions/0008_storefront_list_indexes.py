"""storefront list indexes

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-24 03:15:00

Measured with bench/storefront_list.py on 135,000 products / 300,000 variants: without them the
storefront list seq-scans products and sorts on disk (60-80 ms a query); with them 1-4 ms.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | Sequence[str] | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ACTIVE = sa.text("status = 'active'")


def upgrade() -> None:
    op.create_index(
        "ix_products_active_created_at",
        "products",
        [sa.text("created_at DESC"), sa.text("id DESC")],
        postgresql_where=ACTIVE,
    )
    op.create_index(
        "ix_products_active_title", "products", ["title", "id"], postgresql_where=ACTIVE
    )
    op.create_index(
        "ix_variants_price_amount_product_id", "variants", ["price_amount", "product_id"]
    )


def downgrade() -> None:
    op.drop_index("ix_variants_price_amount_product_id", table_name="variants")
    op.drop_index("ix_products_active_title", table_name="products")
    op.drop_index("ix_products_active_created_at", table_name="products")
