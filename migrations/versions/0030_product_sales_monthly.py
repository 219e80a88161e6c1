"""reporting: product_sales_monthly, whole months of product_sales_daily for long ranges

Revision ID: 0030
Revises: 0029
Create Date: 2026-11-24 10:00:00

At 1,000,000 orders the products dashboard over a year summed ~1,000,000 product_sales_daily rows
per click (0.4 s quiet, up to 0.9 s on a busy 2-core machine). The same sums per calendar month,
variant and category are ~3x fewer rows; a range reads its closed months here and its other days
from the daily rows (commerce.reporting.rollups.product_sales_between). Declared on
commerce.reporting.models.ProductSalesMonth; summed again by rollups.refresh_days whenever it
rewrites a day of a closed month (order events, the nightly rebuild).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0030"
down_revision: str | Sequence[str] | None = "0029"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "product_sales_monthly",
        sa.Column("id", sa.BigInteger(), sa.Identity(), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("currency", sa.CHAR(3), nullable=False),
        sa.Column("variant_id", sa.BigInteger(), nullable=True),
        sa.Column("category_id", sa.BigInteger(), nullable=True),
        sa.Column("units", sa.BigInteger(), nullable=False),
        sa.Column("revenue_amount", sa.BigInteger(), nullable=False),
        sa.Column("costed_revenue_amount", sa.BigInteger(), nullable=False),
        sa.Column("cost_amount", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_product_sales_monthly")),
    )
    op.create_index("ix_product_sales_monthly_month", "product_sales_monthly", ["month"])
    # Sum the daily rows of the months that have ended, as the rebuild would (never the month in
    # progress: see commerce.reporting.rollups).
    op.execute(
        """
        INSERT INTO product_sales_monthly (month, currency, variant_id, category_id, units,
            revenue_amount, costed_revenue_amount, cost_amount)
        SELECT CAST(date_trunc('month', day) AS date), currency, variant_id, category_id,
               sum(units), sum(revenue_amount), sum(costed_revenue_amount), sum(cost_amount)
        FROM product_sales_daily
        WHERE day < CAST(date_trunc('month', now() AT TIME ZONE 'UTC') AS date)
        GROUP BY 1, 2, 3, 4
        """
    )


def downgrade() -> None:
    op.drop_table("product_sales_monthly")
