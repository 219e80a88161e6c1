"""Housekeeping jobs (see jobs/schedule.py)."""

from __future__ import annotations

from commerce import events
from commerce.audit import Actor
from commerce.customers import data_exports, tokens
from commerce.inventory import service as inventory


def prune_outbox(days: int = 30) -> int:
    """Delete outbox rows relayed more than `days` days ago. Returns how many went."""
    return events.prune_sent(older_than_days=days, actor=Actor.system("scheduler"))


def expire_stock_reservations() -> int:
    """Give back the stock of checkout reservations past their expiry. Returns how many."""
    return inventory.expire_reservations(actor=Actor.system("scheduler"))


def prune_customer_tokens(days: int = 30) -> int:
    """Delete customer tokens expired, revoked or used more than `days` days ago. Returns how
    many went."""
    return tokens.prune(older_than_days=days)


def purge_customer_exports() -> int:
    """Delete customer data-export archives past their keeping period (CUSTOMER_EXPORT_KEEP_DAYS)
    or of erased customers. Returns how many went."""
    return data_exports.purge_exports(actor=Actor.system("scheduler"))
