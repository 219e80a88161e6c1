"""Customer loose ends: token lifetimes are settings, old tokens are pruned daily, and the
customer's group is mapped on the model, and the models match what the migrations built."""

from __future__ import annotations

import datetime as dt

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import func, select

from commerce import db
from commerce.customers import tokens
from commerce.customers.models import Customer, CustomerToken
from commerce.db import Base, utcnow
from commerce.pricing import rules
from config import load_config
from jobs.maintenance import prune_customer_tokens
from jobs.schedule import SCHEDULE
from tests.carts.factories import STAFF, make_customer


def test_token_lifetimes_are_settings_with_the_documented_defaults(app, db_session, monkeypatch):
    defaults = load_config({})
    assert defaults["CUSTOMER_TOKEN_TTL_SECONDS"] == 30 * 24 * 3600
    assert defaults["CUSTOMER_VERIFY_TTL_SECONDS"] == 48 * 3600
    assert defaults["CUSTOMER_RESET_TTL_SECONDS"] == 3600
    assert defaults["ABANDONED_CART_AFTER_HOURS"] == 4
    assert load_config({"CUSTOMER_RESET_TTL_SECONDS": "600"})["CUSTOMER_RESET_TTL_SECONDS"] == 600
    assert set(tokens.CONFIG_NAMES.values()) <= set(defaults)

    monkeypatch.setitem(app.config, "CUSTOMER_RESET_TTL_SECONDS", 600)
    assert tokens.ttl("password_reset") == dt.timedelta(minutes=10)


def test_old_tokens_are_pruned_by_a_daily_job(db_session):
    (entry,) = [e for e in SCHEDULE if e.func == "jobs.maintenance.prune_customer_tokens"]
    assert entry.cron and entry.cron.split()[2:] == ["*", "*", "*"]  # once a day
    customer = make_customer()
    long_ago = utcnow() - dt.timedelta(days=40)
    stale = tokens.issue(customer.id, "access").row
    live = tokens.issue(customer.id, "access").row
    stale.created_at, stale.expires_at = long_ago - dt.timedelta(days=1), long_ago
    db_session.commit()

    assert prune_customer_tokens() == 1
    left = db_session.scalars(
        select(CustomerToken.id).where(CustomerToken.customer_id == customer.id)
    )
    assert list(left) == [live.id]


def test_the_customers_group_is_read_from_the_model(db_session):
    group = rules.create_customer_group("Wholesale", actor=STAFF)
    customer = make_customer()
    rules.set_customer_group(customer.id, group.id, actor=STAFF)

    reloaded = db_session.get(Customer, customer.id, populate_existing=True)
    assert reloaded.customer_group_id == group.id
    in_group = select(func.count()).where(Customer.customer_group_id == group.id)
    assert db_session.scalar(in_group) == 1


def test_the_models_match_the_migrated_schema(db_session):
    """What `flask db check` does: autogenerate finds nothing to migrate."""
    with db.engine().connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, Base.metadata) == []
