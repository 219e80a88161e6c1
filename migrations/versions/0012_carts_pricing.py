"""carts and pricing: carts, lines, customer groups, price lists, promotions, vouchers, gift cards

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-24 04:45:00
"""

from collections.abc import Sequence

revision: str = "0012"
down_revision: str | Sequence[str] | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
