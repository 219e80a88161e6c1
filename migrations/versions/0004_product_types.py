"""product types, attributes, variant dimensions and classes

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-24 02:32:24.223951
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "attributes",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("code", sa.String(length=60), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("unit", sa.String(length=20), nullable=True),
        sa.Column(
            "choices", postgresql.ARRAY(sa.Text()), server_default=sa.text("'{}'"), nullable=False
        ),
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
        sa.CheckConstraint("code ~ '^[a-z][a-z0-9_]*$'", name=op.f("ck_attributes_code_format")),
        sa.CheckConstraint(
            "kind IN ('text', 'number', 'boolean', 'choice', 'multichoice', 'date')",
            name=op.f("ck_attributes_kind_known"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_attributes")),
        sa.UniqueConstraint("code", name=op.f("uq_attributes_code")),
    )
    op.create_table(
        "product_types",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("is_digital", sa.Boolean(), server_default=sa.text("false"), nullable=False),
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
        sa.PrimaryKeyConstraint("id", name=op.f("pk_product_types")),
        sa.UniqueConstraint("name", name=op.f("uq_product_types_name")),
    )
    op.create_table(
        "product_type_attributes",
        sa.Column("product_type_id", sa.BigInteger(), nullable=False),
        sa.Column("attribute_id", sa.BigInteger(), nullable=False),
        sa.Column("position", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("required", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("variant_axis", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.ForeignKeyConstraint(
            ["attribute_id"],
            ["attributes.id"],
            name=op.f("fk_product_type_attributes_attribute_id_attributes"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["product_type_id"],
            ["product_types.id"],
            name=op.f("fk_product_type_attributes_product_type_id_product_types"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "product_type_id", "attribute_id", name=op.f("pk_product_type_attributes")
        ),
    )
    op.create_index(
        op.f("ix_product_type_attributes_attribute_id"),
        "product_type_attributes",
        ["attribute_id"],
        unique=False,
    )
    op.add_column("products", sa.Column("product_type_id", sa.BigInteger(), nullable=True))
    op.add_column("products", sa.Column("seo_title", sa.String(length=255), nullable=True))
    op.add_column("products", sa.Column("seo_description", sa.String(length=320), nullable=True))
    op.create_index(
        op.f("ix_products_product_type_id"), "products", ["product_type_id"], unique=False
    )
    op.create_foreign_key(
        op.f("fk_products_product_type_id_product_types"),
        "products",
        "product_types",
        ["product_type_id"],
        ["id"],
        ondelete="RESTRICT",
    )
    op.add_column("variants", sa.Column("length_mm", sa.Integer(), nullable=True))
    op.add_column("variants", sa.Column("width_mm", sa.Integer(), nullable=True))
    op.add_column("variants", sa.Column("height_mm", sa.Integer(), nullable=True))
    op.add_column(
        "variants",
        sa.Column(
            "tax_class", sa.String(length=40), server_default=sa.text("'standard'"), nullable=False
        ),
    )
    op.add_column(
        "variants",
        sa.Column(
            "shipping_class",
            sa.String(length=40),
            server_default=sa.text("'standard'"),
            nullable=False,
        ),
    )
    op.create_check_constraint(
        op.f("ck_variants_dimensions_non_negative"),
        "variants",
        "length_mm >= 0 AND width_mm >= 0 AND height_mm >= 0",
    )


def downgrade() -> None:
    op.drop_constraint(op.f("ck_variants_dimensions_non_negative"), "variants", type_="check")
    op.drop_column("variants", "shipping_class")
    op.drop_column("variants", "tax_class")
    op.drop_column("variants", "height_mm")
    op.drop_column("variants", "width_mm")
    op.drop_column("variants", "length_mm")
    op.drop_constraint(
        op.f("fk_products_product_type_id_product_types"), "products", type_="foreignkey"
    )
    op.drop_index(op.f("ix_products_product_type_id"), table_name="products")
    op.drop_column("products", "seo_description")
    op.drop_column("products", "seo_title")
    op.drop_column("products", "product_type_id")
    op.drop_index(
        op.f("ix_product_type_attributes_attribute_id"), table_name="product_type_attributes"
    )
    op.drop_table("product_type_attributes")
    op.drop_table("product_types")
    op.drop_table("attributes")
