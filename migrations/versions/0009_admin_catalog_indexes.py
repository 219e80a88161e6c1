"""admin catalog indexes

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-24 03:21:00

Measured with bench/admin_catalog.py on 135,000 products / 300,000 variants: SKU-prefix search and
the services' duplicate-SKU check (upper(sku)) scanned every variant; the product list's default
sort (updated_at) sorted the whole table for deep pages.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | Sequence[str] | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_variants_upper_sku", "variants", [sa.text("upper(sku) text_pattern_ops")])
    op.create_index("ix_products_updated_at", "products", ["updated_at"])


def downgrade() -> None:
    op.drop_index("ix_products_updated_at", table_name="products")
    op.drop_index("ix_variants_upper_sku", table_name="variants")
