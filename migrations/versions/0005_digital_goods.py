"""digital files, download grants, license keys

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-24 02:34:05.999241
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "digital_files",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("variant_id", sa.BigInteger(), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("storage_path", sa.String(length=500), nullable=False),
        sa.Column("size_bytes", sa.BigInteger(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("download_limit", sa.Integer(), nullable=True),
        sa.Column("expires_after_days", sa.Integer(), nullable=True),
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
            "download_limit IS NULL OR download_limit > 0",
            name=op.f("ck_digital_files_limit_positive"),
        ),
        sa.CheckConstraint(
            "expires_after_days IS NULL OR expires_after_days > 0",
            name=op.f("ck_digital_files_expiry_positive"),
        ),
        sa.ForeignKeyConstraint(
            ["variant_id"],
            ["variants.id"],
            name=op.f("fk_digital_files_variant_id_variants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_digital_files")),
    )
    op.create_index(
        op.f("ix_digital_files_variant_id"), "digital_files", ["variant_id"], unique=False
    )
    op.create_table(
        "license_pools",
        sa.Column("variant_id", sa.BigInteger(), nullable=False),
        sa.Column("low_threshold", sa.Integer(), server_default=sa.text("10"), nullable=False),
        sa.Column("low_alerted_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "low_threshold >= 0", name=op.f("ck_license_pools_threshold_non_negative")
        ),
        sa.ForeignKeyConstraint(
            ["variant_id"],
            ["variants.id"],
            name=op.f("fk_license_pools_variant_id_variants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("variant_id", name=op.f("pk_license_pools")),
    )
    op.create_table(
        "download_grants",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("file_id", sa.BigInteger(), nullable=False),
        sa.Column("order_line_id", sa.BigInteger(), nullable=False),
        sa.Column("download_limit", sa.Integer(), nullable=True),
        sa.Column("downloads_used", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("last_download_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "download_limit IS NULL OR downloads_used <= download_limit",
            name=op.f("ck_download_grants_within_limit"),
        ),
        sa.CheckConstraint(
            "downloads_used >= 0", name=op.f("ck_download_grants_used_non_negative")
        ),
        sa.ForeignKeyConstraint(
            ["file_id"],
            ["digital_files.id"],
            name=op.f("fk_download_grants_file_id_digital_files"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["order_line_id"],
            ["order_lines.id"],
            name=op.f("fk_download_grants_order_line_id_order_lines"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_download_grants")),
        sa.UniqueConstraint("order_line_id", "file_id", name="uq_download_grants_line_file"),
    )
    op.create_index(
        op.f("ix_download_grants_file_id"), "download_grants", ["file_id"], unique=False
    )
    op.create_table(
        "license_keys",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("variant_id", sa.BigInteger(), nullable=False),
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column(
            "status", sa.String(length=20), server_default=sa.text("'available'"), nullable=False
        ),
        sa.Column("order_line_id", sa.BigInteger(), nullable=True),
        sa.Column(
            "imported_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "(status = 'issued') = (order_line_id IS NOT NULL)",
            name=op.f("ck_license_keys_issued_to_line"),
        ),
        sa.CheckConstraint(
            "status IN ('available', 'issued', 'revoked')",
            name=op.f("ck_license_keys_status_known"),
        ),
        sa.ForeignKeyConstraint(
            ["order_line_id"],
            ["order_lines.id"],
            name=op.f("fk_license_keys_order_line_id_order_lines"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["variant_id"],
            ["variants.id"],
            name=op.f("fk_license_keys_variant_id_variants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_license_keys")),
        sa.UniqueConstraint("variant_id", "key", name="uq_license_keys_variant_key"),
    )
    op.create_index(
        "ix_license_keys_available",
        "license_keys",
        ["variant_id", "id"],
        unique=False,
        postgresql_where=sa.text("status = 'available'"),
    )
    op.create_index(
        op.f("ix_license_keys_order_line_id"), "license_keys", ["order_line_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_license_keys_order_line_id"), table_name="license_keys")
    op.drop_index(
        "ix_license_keys_available",
        table_name="license_keys",
        postgresql_where=sa.text("status = 'available'"),
    )
    op.drop_table("license_keys")
    op.drop_index(op.f("ix_download_grants_file_id"), table_name="download_grants")
    op.drop_table("download_grants")
    op.drop_table("license_pools")
    op.drop_index(op.f("ix_digital_files_variant_id"), table_name="digital_files")
    op.drop_table("digital_files")
