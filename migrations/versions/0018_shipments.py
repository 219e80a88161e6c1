"""fulfilment: shipments, shipment lines, labels and packing slips

Revision ID: 0018
Revises: 0017
Create Date: 2026-11-24 04:50:00
"""

from collections.abc import Sequence

revision: str = "0018"
down_revision: str | Sequence[str] | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
