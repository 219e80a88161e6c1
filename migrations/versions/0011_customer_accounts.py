"""customer accounts: credentials, tokens, verification and reset, addresses, erasure requests

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-24 04:45:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | Sequence[str] | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _timestamps() -> list[sa.Column]:
    return [
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
    ]


def upgrade() -> None:
    # Existing customers (seeded, or guests' records) have no password until they reset one.
    op.add_column("customers", sa.Column("password_hash", sa.String(length=255), nullable=True))
    op.add_column(
        "customers", sa.Column("email_verified_at", sa.DateTime(timezone=True), nullable=True)
    )
    op.add_column("customers", sa.Column("erased_at", sa.DateTime(timezone=True), nullable=True))
    op.create_check_constraint(
        op.f("ck_customers_erased_no_password"),
        "customers",
        "erased_at IS NULL OR password_hash IS NULL",
    )

    op.create_table(
        "customer_tokens",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("customer_id", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("token_hash", sa.CHAR(length=64), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "kind IN ('access', 'verify_email', 'password_reset')",
            name=op.f("ck_customer_tokens_kind_known"),
        ),
        sa.CheckConstraint(
            "expires_at > created_at", name=op.f("ck_customer_tokens_expires_after_creation")
        ),
        sa.CheckConstraint(
            "kind <> 'access' OR used_at IS NULL",
            name=op.f("ck_customer_tokens_access_not_single_use"),
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_customer_tokens_customer_id_customers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customer_tokens")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_customer_tokens_token_hash")),
    )
    op.create_index(
        "ix_customer_tokens_live",
        "customer_tokens",
        ["customer_id", "kind"],
        postgresql_where=sa.text("revoked_at IS NULL AND used_at IS NULL"),
    )

    op.create_table(
        "customer_addresses",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("customer_id", sa.BigInteger(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("company", sa.String(length=200), nullable=True),
        sa.Column("line1", sa.String(length=200), nullable=False),
        sa.Column("line2", sa.String(length=200), nullable=True),
        sa.Column("city", sa.String(length=100), nullable=False),
        sa.Column("region", sa.String(length=3), nullable=True),
        sa.Column("postcode", sa.String(length=16), nullable=True),
        sa.Column("country", sa.CHAR(length=2), nullable=False),
        sa.Column("phone", sa.String(length=32), nullable=True),
        sa.Column(
            "is_default_shipping", sa.Boolean(), server_default=sa.text("false"), nullable=False
        ),
        sa.Column(
            "is_default_billing", sa.Boolean(), server_default=sa.text("false"), nullable=False
        ),
        *_timestamps(),
        sa.CheckConstraint(
            "country ~ '^[A-Z]{2}$'", name=op.f("ck_customer_addresses_country_iso")
        ),
        sa.CheckConstraint(
            "region ~ '^[A-Z0-9]{1,3}$'", name=op.f("ck_customer_addresses_region_code")
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_customer_addresses_customer_id_customers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customer_addresses")),
    )
    op.create_index(
        op.f("ix_customer_addresses_customer_id"), "customer_addresses", ["customer_id"]
    )
    # One default shipping and one default billing address per customer.
    op.create_index(
        "uq_customer_addresses_default_shipping",
        "customer_addresses",
        ["customer_id"],
        unique=True,
        postgresql_where=sa.text("is_default_shipping"),
    )
    op.create_index(
        "uq_customer_addresses_default_billing",
        "customer_addresses",
        ["customer_id"],
        unique=True,
        postgresql_where=sa.text("is_default_billing"),
    )

    op.create_table(
        "customer_erasure_requests",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("customer_id", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column(
            "requested_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "status IN ('pending', 'completed')",
            name=op.f("ck_customer_erasure_requests_status_known"),
        ),
        sa.CheckConstraint(
            "(status = 'completed') = (completed_at IS NOT NULL)",
            name=op.f("ck_customer_erasure_requests_completed_when_done"),
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_customer_erasure_requests_customer_id_customers"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customer_erasure_requests")),
    )
    op.create_index(
        op.f("ix_customer_erasure_requests_customer_id"),
        "customer_erasure_requests",
        ["customer_id"],
    )
    # At most one open request per customer: asking again returns the pending one.
    op.create_index(
        "uq_customer_erasure_requests_pending",
        "customer_erasure_requests",
        ["customer_id"],
        unique=True,
        postgresql_where=sa.text("status = 'pending'"),
    )


def downgrade() -> None:
    op.drop_table("customer_erasure_requests")
    op.drop_table("customer_addresses")
    op.drop_table("customer_tokens")
    op.drop_constraint(op.f("ck_customers_erased_no_password"), "customers", type_="check")
    op.drop_column("customers", "erased_at")
    op.drop_column("customers", "email_verified_at")
    op.drop_column("customers", "password_hash")
