"""reporting: rollup tables the dashboards read

Revision ID: 0023
Revises: 0022
Create Date: 2026-11-24 05:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0023"
down_revision: str | Sequence[str] | None = "0022"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_MONEY = ("gross_amount", "discount_amount", "refund_amount", "net_amount", "tax_amount")


def _sales_columns() -> list[sa.Column]:
    return [
        sa.Column("id", sa.BigInteger(), sa.Identity(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("currency", sa.CHAR(3), nullable=False),
        sa.Column("country", sa.String(2), nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
    ]


def _sales_measures() -> list[sa.Column]:
    return [
        sa.Column("orders", sa.Integer(), nullable=False),
        sa.Column("units", sa.BigInteger(), nullable=False),
        *(sa.Column(name, sa.BigInteger(), nullable=False) for name in _MONEY),
        sa.Column("shipping_amount", sa.BigInteger(), nullable=False),
    ]


def upgrade() -> None:
    op.create_table(
        "sales_daily",
        *_sales_columns(),
        *_sales_measures(),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sales_daily")),
    )
    op.create_index("ix_sales_daily_day", "sales_daily", ["day"])
    op.create_table(
        "category_sales_daily",
        *_sales_columns(),
        sa.Column("category_id", sa.BigInteger(), nullable=True),
        *_sales_measures(),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_category_sales_daily")),
    )
    op.create_index(
        "ix_category_sales_daily_day_category_id", "category_sales_daily", ["day", "category_id"]
    )
    op.create_table(
        "product_sales_daily",
        sa.Column("id", sa.BigInteger(), sa.Identity(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("currency", sa.CHAR(3), nullable=False),
        sa.Column("variant_id", sa.BigInteger(), nullable=True),
        sa.Column("product_id", sa.BigInteger(), nullable=True),
        sa.Column("category_id", sa.BigInteger(), nullable=True),
        sa.Column("sku", sa.String(64), nullable=False),
        sa.Column("title", sa.String(255), nullable=False),
        sa.Column("units", sa.BigInteger(), nullable=False),
        sa.Column("revenue_amount", sa.BigInteger(), nullable=False),
        sa.Column("costed_revenue_amount", sa.BigInteger(), nullable=False),
        sa.Column("cost_amount", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_product_sales_daily")),
    )
    op.create_index("ix_product_sales_daily_day", "product_sales_daily", ["day"])


def downgrade() -> None:
    op.drop_table("product_sales_daily")
    op.drop_table("category_sales_daily")
    op.drop_table("sales_daily")
