"""invoices and credit notes numbered per year without gaps

Revision ID: 0020
Revises: 0019
Create Date: 2026-11-24 04:50:00
"""

from collections.abc import Sequence

revision: str = "0020"
down_revision: str | Sequence[str] | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
