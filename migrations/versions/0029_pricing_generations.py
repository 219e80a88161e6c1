"""carts: pricing_generations, bumped by triggers when a table every cart's price reads changes

Revision ID: 0029
Revises: 0028
Create Date: 2026-11-24 09:00:00

A cart read is answered from Redis while nothing it depends on has changed
(commerce/carts/cache.py). The cart's own rows (its lines, voucher, gift cards, variants, stock)
are checked row by row; the shop-wide tables every price reads (promotions, tax zones and rates,
the category tree, warehouses, customer groups and their price lists) are checked through one
counter per table here, which a statement-level trigger on each of them bumps in the writing
transaction itself, whatever wrote it (a service, an import by COPY, psql).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0029"
down_revision: str | Sequence[str] | None = "0028"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Keep in step with commerce.pricing.models.GENERATION_TABLES.
TABLES = (
    "promotions",
    "tax_zones",
    "tax_rates",
    "categories",
    "warehouses",
    "customer_groups",
    "price_lists",
)


def upgrade() -> None:
    op.create_table(
        "pricing_generations",
        sa.Column("name", sa.String(63), nullable=False),
        sa.Column("generation", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_pricing_generations")),
    )
    op.execute(
        """
        CREATE FUNCTION bump_pricing_generation() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            INSERT INTO pricing_generations (name, generation) VALUES (TG_TABLE_NAME, 1)
            ON CONFLICT (name) DO UPDATE SET generation = pricing_generations.generation + 1;
            RETURN NULL;
        END
        $$
        """
    )
    for table in TABLES:
        op.execute(
            f"CREATE TRIGGER {table}_bump_pricing_generation"
            f" AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {table}"
            " FOR EACH STATEMENT EXECUTE FUNCTION bump_pricing_generation()"
        )


def downgrade() -> None:
    for table in TABLES:
        op.execute(f"DROP TRIGGER {table}_bump_pricing_generation ON {table}")
    op.execute("DROP FUNCTION bump_pricing_generation()")
    op.drop_table("pricing_generations")
