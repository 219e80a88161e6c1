"""carts and pricing: carts, lines, customer groups, price lists, promotions, vouchers, gift cards

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-24 04:45:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0012"
down_revision: str | Sequence[str] | None = "0011"
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


def _ids(name: str) -> sa.Column:
    return sa.Column(
        name, postgresql.ARRAY(sa.BigInteger()), server_default=sa.text("'{}'"), nullable=False
    )


def upgrade() -> None:
    op.create_table(
        "customer_groups",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("tax_exempt", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        *_timestamps(),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customer_groups")),
        sa.UniqueConstraint("name", name=op.f("uq_customer_groups_name")),
    )
    op.add_column("customers", sa.Column("customer_group_id", sa.BigInteger(), nullable=True))
    op.create_foreign_key(
        op.f("fk_customers_customer_group_id_customer_groups"),
        "customers",
        "customer_groups",
        ["customer_group_id"],
        ["id"],
        ondelete="SET NULL",
    )
    op.create_index(
        op.f("ix_customers_customer_group_id"), "customers", ["customer_group_id"], unique=False
    )

    op.create_table(
        "price_lists",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("customer_group_id", sa.BigInteger(), nullable=False),
        sa.Column("variant_id", sa.BigInteger(), nullable=False),
        sa.Column("price_amount", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.CHAR(length=3), nullable=False),
        *_timestamps(),
        sa.CheckConstraint(
            "price_amount >= 0", name=op.f("ck_price_lists_price_amount_non_negative")
        ),
        sa.CheckConstraint("currency ~ '^[A-Z]{3}$'", name=op.f("ck_price_lists_currency_iso")),
        sa.ForeignKeyConstraint(
            ["customer_group_id"],
            ["customer_groups.id"],
            name=op.f("fk_price_lists_customer_group_id_customer_groups"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["variant_id"],
            ["variants.id"],
            name=op.f("fk_price_lists_variant_id_variants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_price_lists")),
        sa.UniqueConstraint("customer_group_id", "variant_id", name="uq_price_lists_group_variant"),
    )
    op.create_index(op.f("ix_price_lists_variant_id"), "price_lists", ["variant_id"], unique=False)

    op.create_table(
        "promotions",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("percent", sa.Numeric(precision=5, scale=2), nullable=True),
        sa.Column("amount", sa.BigInteger(), nullable=True),
        sa.Column("currency", sa.CHAR(length=3), nullable=True),
        sa.Column("scope", sa.String(length=20), nullable=False),
        _ids("category_ids"),
        _ids("product_ids"),
        sa.Column("combinable", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("is_active", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=True),
        *_timestamps(),
        sa.CheckConstraint(
            "kind IN ('percentage', 'fixed')", name=op.f("ck_promotions_kind_known")
        ),
        sa.CheckConstraint(
            "scope IN ('all', 'categories', 'products')", name=op.f("ck_promotions_scope_known")
        ),
        sa.CheckConstraint(
            "(kind = 'percentage' AND percent > 0 AND percent <= 100 AND amount IS NULL)"
            " OR (kind = 'fixed' AND amount > 0 AND currency IS NOT NULL AND percent IS NULL)",
            name=op.f("ck_promotions_value_fits_kind"),
        ),
        sa.CheckConstraint("currency ~ '^[A-Z]{3}$'", name=op.f("ck_promotions_currency_iso")),
        sa.CheckConstraint(
            "scope = 'all' OR (scope = 'categories' AND cardinality(category_ids) > 0)"
            " OR (scope = 'products' AND cardinality(product_ids) > 0)",
            name=op.f("ck_promotions_scope_has_targets"),
        ),
        sa.CheckConstraint("ends_at > starts_at", name=op.f("ck_promotions_ends_after_start")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_promotions")),
    )
    op.create_index(
        "ix_promotions_active",
        "promotions",
        ["id"],
        unique=False,
        postgresql_where=sa.text("is_active"),
    )

    op.create_table(
        "vouchers",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column(
            "description", sa.String(length=255), server_default=sa.text("''"), nullable=False
        ),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("percent", sa.Numeric(precision=5, scale=2), nullable=True),
        sa.Column("amount", sa.BigInteger(), nullable=True),
        sa.Column("currency", sa.CHAR(length=3), nullable=False),
        sa.Column("scope", sa.String(length=20), nullable=False),
        _ids("category_ids"),
        _ids("product_ids"),
        sa.Column("minimum_subtotal_amount", sa.BigInteger(), nullable=True),
        sa.Column("usage_limit", sa.Integer(), nullable=True),
        sa.Column("usage_limit_per_customer", sa.Integer(), nullable=True),
        sa.Column("times_used", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=True),
        *_timestamps(),
        sa.CheckConstraint(
            "kind IN ('percentage', 'fixed', 'free_shipping')", name=op.f("ck_vouchers_kind_known")
        ),
        sa.CheckConstraint(
            "scope IN ('order', 'categories', 'products')", name=op.f("ck_vouchers_scope_known")
        ),
        sa.CheckConstraint("code ~ '^[A-Z0-9_-]{3,40}$'", name=op.f("ck_vouchers_code_normalised")),
        sa.CheckConstraint(
            "(kind = 'percentage' AND percent > 0 AND percent <= 100 AND amount IS NULL)"
            " OR (kind = 'fixed' AND amount > 0 AND percent IS NULL)"
            " OR (kind = 'free_shipping' AND amount IS NULL AND percent IS NULL)",
            name=op.f("ck_vouchers_value_fits_kind"),
        ),
        sa.CheckConstraint("currency ~ '^[A-Z]{3}$'", name=op.f("ck_vouchers_currency_iso")),
        sa.CheckConstraint(
            "scope = 'order' OR (scope = 'categories' AND cardinality(category_ids) > 0)"
            " OR (scope = 'products' AND cardinality(product_ids) > 0)",
            name=op.f("ck_vouchers_scope_has_targets"),
        ),
        sa.CheckConstraint(
            "minimum_subtotal_amount >= 0", name=op.f("ck_vouchers_minimum_non_negative")
        ),
        sa.CheckConstraint("usage_limit > 0", name=op.f("ck_vouchers_usage_limit_positive")),
        sa.CheckConstraint(
            "usage_limit_per_customer > 0",
            name=op.f("ck_vouchers_usage_limit_per_customer_positive"),
        ),
        sa.CheckConstraint(
            "times_used >= 0 AND (usage_limit IS NULL OR times_used <= usage_limit)",
            name=op.f("ck_vouchers_times_used_within_limit"),
        ),
        sa.CheckConstraint("ends_at > starts_at", name=op.f("ck_vouchers_ends_after_start")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_vouchers")),
        sa.UniqueConstraint("code", name=op.f("uq_vouchers_code")),
    )

    op.create_table(
        "voucher_redemptions",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("voucher_id", sa.BigInteger(), nullable=False),
        sa.Column("order_id", sa.BigInteger(), nullable=True),
        sa.Column("reference", sa.String(length=120), nullable=False),
        sa.Column("customer_id", sa.BigInteger(), nullable=True),
        sa.Column("email", sa.String(length=254), nullable=True),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.CHAR(length=3), nullable=False),
        sa.Column(
            "redeemed_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint("amount >= 0", name=op.f("ck_voucher_redemptions_amount_non_negative")),
        sa.CheckConstraint(
            "currency ~ '^[A-Z]{3}$'", name=op.f("ck_voucher_redemptions_currency_iso")
        ),
        sa.ForeignKeyConstraint(
            ["voucher_id"],
            ["vouchers.id"],
            name=op.f("fk_voucher_redemptions_voucher_id_vouchers"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["orders.id"],
            name=op.f("fk_voucher_redemptions_order_id_orders"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_voucher_redemptions_customer_id_customers"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_voucher_redemptions")),
        sa.UniqueConstraint("order_id", name=op.f("uq_voucher_redemptions_order_id")),
        sa.UniqueConstraint("reference", name=op.f("uq_voucher_redemptions_reference")),
    )
    op.create_index(
        op.f("ix_voucher_redemptions_customer_id"),
        "voucher_redemptions",
        ["customer_id"],
        unique=False,
    )
    op.create_index(
        "ix_voucher_redemptions_voucher_customer",
        "voucher_redemptions",
        ["voucher_id", "customer_id"],
        unique=False,
    )
    op.create_index(
        "ix_voucher_redemptions_voucher_email",
        "voucher_redemptions",
        ["voucher_id", sa.text("lower(email)")],
        unique=False,
    )

    op.create_table(
        "gift_cards",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("code_hash", sa.CHAR(length=64), nullable=False),
        sa.Column("last4", sa.CHAR(length=4), nullable=False),
        sa.Column("currency", sa.CHAR(length=3), nullable=False),
        sa.Column("initial_amount", sa.BigInteger(), nullable=False),
        sa.Column("balance_amount", sa.BigInteger(), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("is_active", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("note", sa.String(length=255), server_default=sa.text("''"), nullable=False),
        *_timestamps(),
        sa.CheckConstraint(
            "code_hash ~ '^[0-9a-f]{64}$'", name=op.f("ck_gift_cards_code_hash_sha256")
        ),
        sa.CheckConstraint(
            "initial_amount > 0", name=op.f("ck_gift_cards_initial_amount_positive")
        ),
        sa.CheckConstraint(
            "balance_amount >= 0 AND balance_amount <= initial_amount",
            name=op.f("ck_gift_cards_balance_in_range"),
        ),
        sa.CheckConstraint("currency ~ '^[A-Z]{3}$'", name=op.f("ck_gift_cards_currency_iso")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_gift_cards")),
        sa.UniqueConstraint("code_hash", name=op.f("uq_gift_cards_code_hash")),
    )

    op.create_table(
        "gift_card_transactions",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("gift_card_id", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("balance_after", sa.BigInteger(), nullable=False),
        sa.Column("reference", sa.String(length=120), nullable=False),
        sa.Column("actor_kind", sa.String(length=20), nullable=False),
        sa.Column("actor_id", sa.BigInteger(), nullable=True),
        sa.Column(
            "actor_label", sa.String(length=255), server_default=sa.text("''"), nullable=False
        ),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "kind IN ('issued', 'redeemed', 'refunded')",
            name=op.f("ck_gift_card_transactions_kind_known"),
        ),
        sa.CheckConstraint(
            "(kind = 'redeemed' AND amount < 0) OR (kind IN ('issued', 'refunded') AND amount > 0)",
            name=op.f("ck_gift_card_transactions_amount_sign_fits_kind"),
        ),
        sa.CheckConstraint(
            "balance_after >= 0", name=op.f("ck_gift_card_transactions_balance_after_non_negative")
        ),
        sa.ForeignKeyConstraint(
            ["gift_card_id"],
            ["gift_cards.id"],
            name=op.f("fk_gift_card_transactions_gift_card_id_gift_cards"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_gift_card_transactions")),
    )
    op.create_index(
        "ix_gift_card_transactions_card",
        "gift_card_transactions",
        ["gift_card_id", "id"],
        unique=False,
    )
    op.create_index(
        "uq_gift_card_transactions_redemption",
        "gift_card_transactions",
        ["gift_card_id", "reference"],
        unique=True,
        postgresql_where=sa.text("kind = 'redeemed'"),
    )

    op.create_table(
        "carts",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("customer_id", sa.BigInteger(), nullable=True),
        sa.Column("token_hash", sa.CHAR(length=64), nullable=True),
        sa.Column("status", sa.String(length=16), server_default=sa.text("'open'"), nullable=False),
        sa.Column("currency", sa.CHAR(length=3), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=True),
        sa.Column("shipping_address", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("billing_address", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("voucher_id", sa.BigInteger(), nullable=True),
        sa.Column("shipping_method_id", sa.BigInteger(), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        *_timestamps(),
        sa.CheckConstraint(
            "status IN ('open', 'merged', 'converted')", name=op.f("ck_carts_status_known")
        ),
        sa.CheckConstraint(
            "customer_id IS NOT NULL OR token_hash IS NOT NULL", name=op.f("ck_carts_has_owner")
        ),
        sa.CheckConstraint(
            "token_hash ~ '^[0-9a-f]{64}$'", name=op.f("ck_carts_token_hash_sha256")
        ),
        sa.CheckConstraint("currency ~ '^[A-Z]{3}$'", name=op.f("ck_carts_currency_iso")),
        sa.CheckConstraint(
            "(status = 'open') = (closed_at IS NULL)", name=op.f("ck_carts_closed_when_not_open")
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_carts_customer_id_customers"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["voucher_id"],
            ["vouchers.id"],
            name=op.f("fk_carts_voucher_id_vouchers"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_carts")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_carts_token_hash")),
    )
    op.create_index("ix_carts_customer_id", "carts", ["customer_id"], unique=False)
    op.create_index(op.f("ix_carts_voucher_id"), "carts", ["voucher_id"], unique=False)
    op.create_index(
        "uq_carts_open_customer",
        "carts",
        ["customer_id"],
        unique=True,
        postgresql_where=sa.text("status = 'open'"),
    )
    op.create_index(
        "ix_carts_open_updated_at",
        "carts",
        ["updated_at"],
        unique=False,
        postgresql_where=sa.text("status = 'open'"),
    )

    op.create_table(
        "cart_lines",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("cart_id", sa.BigInteger(), nullable=False),
        sa.Column("variant_id", sa.BigInteger(), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("unit_price_amount", sa.BigInteger(), nullable=False),
        *_timestamps(),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_cart_lines_quantity_positive")),
        sa.CheckConstraint(
            "unit_price_amount >= 0", name=op.f("ck_cart_lines_unit_price_amount_non_negative")
        ),
        sa.ForeignKeyConstraint(
            ["cart_id"],
            ["carts.id"],
            name=op.f("fk_cart_lines_cart_id_carts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["variant_id"],
            ["variants.id"],
            name=op.f("fk_cart_lines_variant_id_variants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cart_lines")),
        sa.UniqueConstraint("cart_id", "variant_id", name="uq_cart_lines_cart_variant"),
    )
    op.create_index(op.f("ix_cart_lines_variant_id"), "cart_lines", ["variant_id"], unique=False)

    op.create_table(
        "cart_gift_cards",
        sa.Column("cart_id", sa.BigInteger(), nullable=False),
        sa.Column("gift_card_id", sa.BigInteger(), nullable=False),
        sa.Column(
            "added_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["cart_id"],
            ["carts.id"],
            name=op.f("fk_cart_gift_cards_cart_id_carts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["gift_card_id"],
            ["gift_cards.id"],
            name=op.f("fk_cart_gift_cards_gift_card_id_gift_cards"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("cart_id", "gift_card_id", name=op.f("pk_cart_gift_cards")),
    )
    op.create_index(
        op.f("ix_cart_gift_cards_gift_card_id"), "cart_gift_cards", ["gift_card_id"], unique=False
    )


def downgrade() -> None:
    op.drop_table("cart_gift_cards")
    op.drop_table("cart_lines")
    op.drop_table("carts")
    op.drop_table("gift_card_transactions")
    op.drop_table("gift_cards")
    op.drop_table("voucher_redemptions")
    op.drop_table("vouchers")
    op.drop_table("promotions")
    op.drop_table("price_lists")
    op.drop_index(op.f("ix_customers_customer_group_id"), table_name="customers")
    op.drop_constraint(
        op.f("fk_customers_customer_group_id_customer_groups"), "customers", type_="foreignkey"
    )
    op.drop_column("customers", "customer_group_id")
    op.drop_table("customer_groups")
