"""customers back-office: notes and data-export archives

Revision ID: 0022
Revises: 0021
Create Date: 2026-11-24 04:50:00
"""

from collections.abc import Sequence

revision: str = "0022"
down_revision: str | Sequence[str] | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
