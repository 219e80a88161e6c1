"""tax: tax zones and tax rates by zone and tax class

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-24 04:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | Sequence[str] | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "tax_zones",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("country", sa.CHAR(length=2), nullable=False),
        sa.Column("region", sa.String(length=3), nullable=True),
        sa.Column("postcode_prefix", sa.String(length=10), nullable=True),
        sa.Column("priority", sa.Integer(), server_default=sa.text("100"), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint("country ~ '^[A-Z]{2}$'", name=op.f("ck_tax_zones_country_iso")),
        sa.CheckConstraint(
            "postcode_prefix ~ '^[A-Z0-9]{1,10}$'",
            name=op.f("ck_tax_zones_postcode_prefix_normalised"),
        ),
        sa.CheckConstraint("priority >= 0", name=op.f("ck_tax_zones_priority_non_negative")),
        sa.CheckConstraint("region ~ '^[A-Z0-9]{1,3}$'", name=op.f("ck_tax_zones_region_code")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tax_zones")),
        sa.UniqueConstraint("code", name=op.f("uq_tax_zones_code")),
    )
    op.create_index(
        "uq_tax_zones_place",
        "tax_zones",
        ["country", sa.text("coalesce(region, '')"), sa.text("coalesce(postcode_prefix, '')")],
        unique=True,
    )
    op.create_table(
        "tax_rates",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("zone_id", sa.BigInteger(), nullable=False),
        sa.Column("tax_class", sa.String(length=40), nullable=False),
        sa.Column("rate", sa.Numeric(precision=7, scale=6), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "rate >= 0 AND rate <= 1", name=op.f("ck_tax_rates_rate_between_0_and_1")
        ),
        sa.CheckConstraint(
            "tax_class IN ('standard', 'reduced', 'zero', 'digital')",
            name=op.f("ck_tax_rates_tax_class_known"),
        ),
        sa.ForeignKeyConstraint(
            ["zone_id"],
            ["tax_zones.id"],
            name=op.f("fk_tax_rates_zone_id_tax_zones"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tax_rates")),
        sa.UniqueConstraint("zone_id", "tax_class", name="uq_tax_rates_zone_id_tax_class"),
    )


def downgrade() -> None:
    op.drop_table("tax_rates")
    op.drop_index("uq_tax_zones_place", table_name="tax_zones")
    op.drop_table("tax_zones")
