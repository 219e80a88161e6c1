"""Handlers for inventory events, and the hourly low-stock digest (see jobs/schedule.py).

`stock.low` events only collect variants in a Redis set; the digest then sends one email per
recipient for the whole batch, so a busy day means one email an hour, not one per variant.
"""

from __future__ import annotations

import secrets
from typing import Any

from flask import current_app
from redis.exceptions import ResponseError
from sqlalchemy import select

from commerce import db
from commerce.db import utcnow
from commerce.inventory import service as inventory
from commerce.kv import get_redis
from commerce.notifications.mailer import send_email
from commerce.staff.models import StaffUser
from commerce.staff.permissions import ROLES, role_has
from jobs.registry import subscribe

PENDING_KEY = "inventory:low_stock:pending"
# The batch being sent, and its id (part of each email's dedupe key): a digest that failed
# halfway is finished by the next run without emailing anyone twice.
SENDING_KEY = "inventory:low_stock:sending"
DIGEST_ID_KEY = "inventory:low_stock:digest_id"
PERMISSION = "inventory.adjust"


@subscribe("stock.low", queue="mail")
def collect_low_stock(event: dict[str, Any]) -> str:
    """Add the event's variant to the next low-stock digest (a set, so running twice is
    harmless)."""
    variant_id = int(event["payload"]["variant_id"])
    get_redis().sadd(PENDING_KEY, variant_id)
    return f"variant {variant_id} added to the low-stock digest"


def _recipients() -> list[StaffUser]:
    roles = [role for role in ROLES if role_has(role, PERMISSION)]
    stmt = (
        select(StaffUser)
        .where(StaffUser.is_active, StaffUser.role.in_(roles))
        .order_by(StaffUser.id)
    )
    return list(db.session.scalars(stmt))


def _claim_batch() -> str | None:
    """Move the pending variants into the sending batch (unless a batch is still unsent).
    Returns the batch's digest id, or None when there is nothing to send."""
    redis = get_redis()
    if not redis.exists(SENDING_KEY):
        try:
            # RENAME is atomic: variants flagged from now on start the next batch.
            redis.rename(PENDING_KEY, SENDING_KEY)
        except ResponseError:  # no such key: nothing is pending
            return None
    stamp = f"{utcnow():%Y%m%dT%H%M%S}-{secrets.token_hex(4)}"
    redis.set(DIGEST_ID_KEY, stamp, nx=True)
    digest_id = redis.get(DIGEST_ID_KEY)
    return digest_id.decode() if isinstance(digest_id, bytes) else str(digest_id)


def send_low_stock_digest() -> str:
    """Email one digest of the variants that ran low (SKU, product, available, threshold) to
    every active staff member whose role may adjust inventory, then clear the batch. Raises
    what the mailer raises (the job is retried; emails already sent are not sent again).

    Variants restocked since their alert are left out. With nobody to email, the batch is kept for a
    later run."""
    digest_id = _claim_batch()
    if digest_id is None:
        return "nothing to send"
    redis = get_redis()
    variant_ids = [int(member) for member in redis.smembers(SENDING_KEY)]
    items = inventory.low_stock(variant_ids)
    recipients = _recipients()
    if items and not recipients:
        return "kept: no active staff member may adjust inventory"
    admin_url = current_app.config["PUBLIC_URL"].rstrip("/") + "/admin/"
    sent = 0
    for user in recipients if items else []:
        message = send_email(
            "low_stock_digest",
            user.email,
            {"name": user.name, "items": items, "admin_url": admin_url},
            dedupe_key=f"low_stock_digest:{digest_id}:{user.id}",
        )
        sent += message is not None
    redis.delete(SENDING_KEY, DIGEST_ID_KEY)
    return f"sent {sent} digest(s) listing {len(items)} variant(s)"
