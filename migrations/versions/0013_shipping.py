"""shipping: zones, methods and rates; the SMS log (sms_messages)

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-24 04:45:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0013"
down_revision: str | Sequence[str] | None = "0012"
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


def _text_array(length: int, *, char: bool = False) -> postgresql.ARRAY:
    return postgresql.ARRAY(sa.CHAR(length) if char else sa.String(length))


def upgrade() -> None:
    op.create_table(
        "shipping_zones",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column(
            "countries", _text_array(2, char=True), server_default=sa.text("'{}'"), nullable=False
        ),
        sa.Column("regions", _text_array(6), server_default=sa.text("'{}'"), nullable=False),
        sa.Column(
            "postcode_prefixes", _text_array(10), server_default=sa.text("'{}'"), nullable=False
        ),
        sa.Column("rest_of_world", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("priority", sa.Integer(), server_default=sa.text("100"), nullable=False),
        *_timestamps(),
        sa.CheckConstraint(
            "code ~ '^[A-Z0-9][A-Z0-9_-]{0,31}$'", name=op.f("ck_shipping_zones_code_format")
        ),
        sa.CheckConstraint("name <> ''", name=op.f("ck_shipping_zones_name_not_blank")),
        sa.CheckConstraint(
            "array_to_string(countries, ',') ~ '^([A-Z]{2}(,|$))*$'",
            name=op.f("ck_shipping_zones_countries_iso"),
        ),
        sa.CheckConstraint(
            "array_to_string(regions, ',') ~ '^([A-Z]{2}-[A-Z0-9]{1,3}(,|$))*$'",
            name=op.f("ck_shipping_zones_regions_iso"),
        ),
        sa.CheckConstraint(
            "array_to_string(postcode_prefixes, ',') ~ '^([A-Z0-9]{1,10}(,|$))*$'",
            name=op.f("ck_shipping_zones_postcode_prefixes_normalised"),
        ),
        sa.CheckConstraint("priority >= 0", name=op.f("ck_shipping_zones_priority_non_negative")),
        sa.CheckConstraint(
            "CASE WHEN rest_of_world THEN cardinality(countries) = 0 AND cardinality(regions) = 0 "
            "AND cardinality(postcode_prefixes) = 0 ELSE cardinality(countries) > 0 END",
            name=op.f("ck_shipping_zones_countries_or_rest_of_world"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_shipping_zones")),
        sa.UniqueConstraint("code", name=op.f("uq_shipping_zones_code")),
    )
    op.create_table(
        "shipping_methods",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("zone_id", sa.BigInteger(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("currency", sa.CHAR(length=3), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=True),
        sa.Column("free_over_amount", sa.BigInteger(), nullable=True),
        sa.Column("min_days", sa.Integer(), nullable=False),
        sa.Column("max_days", sa.Integer(), nullable=False),
        sa.Column("max_weight_grams", sa.Integer(), nullable=True),
        sa.Column(
            "shipping_classes", _text_array(40), server_default=sa.text("'{}'"), nullable=False
        ),
        sa.Column("active", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("carrier", sa.String(length=32), nullable=False),
        sa.Column("carrier_service", sa.String(length=40), nullable=False),
        *_timestamps(),
        sa.CheckConstraint(
            "code ~ '^[a-z0-9][a-z0-9_-]{0,39}$'", name=op.f("ck_shipping_methods_code_format")
        ),
        sa.CheckConstraint("name <> ''", name=op.f("ck_shipping_methods_name_not_blank")),
        sa.CheckConstraint(
            "kind IN ('flat', 'free_over', 'by_weight', 'by_price')",
            name=op.f("ck_shipping_methods_kind_known"),
        ),
        sa.CheckConstraint(
            "currency ~ '^[A-Z]{3}$'", name=op.f("ck_shipping_methods_currency_iso")
        ),
        sa.CheckConstraint("amount >= 0", name=op.f("ck_shipping_methods_amount_non_negative")),
        sa.CheckConstraint(
            "free_over_amount > 0", name=op.f("ck_shipping_methods_free_over_amount_positive")
        ),
        sa.CheckConstraint(
            "(kind IN ('flat', 'free_over')) = (amount IS NOT NULL)",
            name=op.f("ck_shipping_methods_amount_by_kind"),
        ),
        sa.CheckConstraint(
            "(kind = 'free_over') = (free_over_amount IS NOT NULL)",
            name=op.f("ck_shipping_methods_free_over_by_kind"),
        ),
        sa.CheckConstraint(
            "min_days >= 0 AND max_days >= min_days",
            name=op.f("ck_shipping_methods_delivery_days_ordered"),
        ),
        sa.CheckConstraint(
            "max_weight_grams > 0", name=op.f("ck_shipping_methods_max_weight_positive")
        ),
        sa.CheckConstraint(
            "carrier ~ '^[a-z0-9][a-z0-9_]{0,31}$'",
            name=op.f("ck_shipping_methods_carrier_code_format"),
        ),
        sa.CheckConstraint(
            "carrier_service <> ''", name=op.f("ck_shipping_methods_carrier_service_not_blank")
        ),
        sa.ForeignKeyConstraint(
            ["zone_id"],
            ["shipping_zones.id"],
            name=op.f("fk_shipping_methods_zone_id_shipping_zones"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_shipping_methods")),
        sa.UniqueConstraint("zone_id", "code", name="uq_shipping_methods_zone_id_code"),
    )
    op.create_index(
        op.f("ix_shipping_methods_zone_id"), "shipping_methods", ["zone_id"], unique=False
    )
    op.create_table(
        "shipping_rates",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("method_id", sa.BigInteger(), nullable=False),
        sa.Column("up_to", sa.BigInteger(), nullable=True),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.CheckConstraint("up_to >= 0", name=op.f("ck_shipping_rates_up_to_non_negative")),
        sa.CheckConstraint("amount >= 0", name=op.f("ck_shipping_rates_amount_non_negative")),
        sa.ForeignKeyConstraint(
            ["method_id"],
            ["shipping_methods.id"],
            name=op.f("fk_shipping_rates_method_id_shipping_methods"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_shipping_rates")),
        sa.UniqueConstraint("method_id", "up_to", name="uq_shipping_rates_method_id_up_to"),
    )
    op.create_index(
        "uq_shipping_rates_open_bracket",
        "shipping_rates",
        ["method_id"],
        unique=True,
        postgresql_where=sa.text("up_to IS NULL"),
    )
    op.create_table(
        "sms_messages",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("dedupe_key", sa.String(length=200), nullable=True),
        sa.Column("to_number", sa.String(length=16), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("backend", sa.String(length=20), nullable=False),
        sa.Column("sid", sa.String(length=64), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            r"to_number ~ '^\+[1-9][0-9]{6,14}$'", name=op.f("ck_sms_messages_to_number_e164")
        ),
        sa.CheckConstraint(
            "char_length(body) BETWEEN 1 AND 1600", name=op.f("ck_sms_messages_body_length")
        ),
        sa.CheckConstraint("status <> ''", name=op.f("ck_sms_messages_status_not_blank")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sms_messages")),
        sa.UniqueConstraint("dedupe_key", name=op.f("uq_sms_messages_dedupe_key")),
    )
    op.create_index("ix_sms_messages_to_number", "sms_messages", ["to_number", "id"])


def downgrade() -> None:
    op.drop_index("ix_sms_messages_to_number", table_name="sms_messages")
    op.drop_table("sms_messages")
    op.drop_index("uq_shipping_rates_open_bracket", table_name="shipping_rates")
    op.drop_table("shipping_rates")
    op.drop_index(op.f("ix_shipping_methods_zone_id"), table_name="shipping_methods")
    op.drop_table("shipping_methods")
    op.drop_table("shipping_zones")
