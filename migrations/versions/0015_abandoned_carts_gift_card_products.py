"""abandoned carts and gift cards sold as products: carts.reminded_at and marketing_consent,
variants.gift_card_value_amount, one issue per gift card reference

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-24 06:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | Sequence[str] | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("carts", sa.Column("reminded_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column(
        "carts",
        sa.Column(
            "marketing_consent", sa.Boolean(), nullable=False, server_default=sa.text("false")
        ),
    )

    op.add_column("variants", sa.Column("gift_card_value_amount", sa.BigInteger(), nullable=True))
    op.create_check_constraint(
        op.f("ck_variants_gift_card_value_amount_positive"),
        "variants",
        "gift_card_value_amount > 0",
    )
    op.create_check_constraint(
        op.f("ck_variants_gift_card_is_digital"),
        "variants",
        "gift_card_value_amount IS NULL OR is_digital",
    )

    # A gift card sold in an order is issued under "order-line:<id>:<n>": at most one card each.
    op.create_index(
        "uq_gift_card_transactions_issue_reference",
        "gift_card_transactions",
        ["reference"],
        unique=True,
        postgresql_where=sa.text("kind = 'issued'"),
    )


def downgrade() -> None:
    op.drop_index("uq_gift_card_transactions_issue_reference", table_name="gift_card_transactions")
    op.drop_constraint(op.f("ck_variants_gift_card_is_digital"), "variants", type_="check")
    op.drop_constraint(
        op.f("ck_variants_gift_card_value_amount_positive"), "variants", type_="check"
    )
    op.drop_column("variants", "gift_card_value_amount")
    op.drop_column("carts", "marketing_consent")
    op.drop_column("carts", "reminded_at")
