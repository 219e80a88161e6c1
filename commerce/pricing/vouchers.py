"""Vouchers: staff create them; checkout records their use, within their limits, even when many
checkouts use one code at the same moment.

`record_voucher_redemption` locks the voucher's row (SELECT ... FOR UPDATE) before it counts uses,
so two checkouts of one code take turns: the second sees the first's redemption, in all and per
customer. A CHECK (times_used <= usage_limit) refuses an overspent code even if a service were
wrong.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from commerce import audit, db, events
from commerce.audit import Actor
from commerce.db import utcnow
from commerce.errors import Conflict
from commerce.inventory.ledger import unit_of_work
from commerce.pricing.errors import VoucherRejected
from commerce.pricing.lookups import check_voucher_usable, normalise_voucher_code
from commerce.pricing.models import VOUCHER_KINDS, VOUCHER_SCOPES, Voucher, VoucherRedemption
from commerce.pricing.rules import check_targets
from commerce.pricing.validation import (
    currency_code,
    id_list,
    percent_value,
    problem,
    text_value,
    whole_number,
    window,
)

VOUCHER_FIELDS = (
    "code", "description", "kind", "percent", "amount", "currency", "scope", "category_ids",
    "product_ids", "minimum_subtotal_amount", "usage_limit", "usage_limit_per_customer",
    "starts_at", "ends_at",
)  # fmt: skip


def create_voucher(
    code: str,
    kind: str,
    *,
    currency: str,
    percent: Decimal | str | int | None = None,
    amount: int | None = None,
    scope: str = "order",
    category_ids: Sequence[int] = (),
    product_ids: Sequence[int] = (),
    minimum_subtotal_amount: int | None = None,
    usage_limit: int | None = None,
    usage_limit_per_customer: int | None = None,
    starts_at: dt.datetime | None = None,
    ends_at: dt.datetime | None = None,
    description: str = "",
    actor: Actor,
) -> Voucher:
    """Create a voucher: `percent` off (kind "percentage"), `amount` off (kind "fixed") or free
    shipping (kind "free_shipping"), on the whole order or some categories (with their
    subcategories) or products. Codes are case-insensitive (stored upper case). Raises InvalidInput
    naming the field, Conflict (the code exists)."""
    normalised = normalise_voucher_code(code)
    if not 3 <= len(normalised) <= 40 or not all(c.isalnum() or c in "-_" for c in normalised):
        raise problem("code", "must be 3 to 40 letters, digits, '-' or '_'")
    if not normalised.isascii():
        raise problem("code", "must be 3 to 40 letters, digits, '-' or '_'")
    if kind not in VOUCHER_KINDS:
        raise problem("kind", f"must be one of {', '.join(VOUCHER_KINDS)}")
    if scope not in VOUCHER_SCOPES:
        raise problem("scope", f"must be one of {', '.join(VOUCHER_SCOPES)}")
    values: dict[str, Any] = {"percent": None, "amount": None}
    if kind == "percentage":
        values["percent"] = percent_value(percent)
    elif kind == "fixed":
        values["amount"] = whole_number(amount, "amount", minimum=1)
    if kind != "percentage" and percent is not None:
        raise problem("percent", f"a {kind} voucher takes no percent")
    if kind != "fixed" and amount is not None:
        raise problem("amount", f"a {kind} voucher takes no amount")
    categories, products = (
        id_list(category_ids, "category_ids"),
        id_list(product_ids, "product_ids"),
    )
    check_targets(scope, categories, products, "order")
    start, end = window(starts_at, ends_at)
    voucher = Voucher(
        code=normalised,
        kind=kind,
        currency=currency_code(currency),
        scope=scope,
        category_ids=categories,
        product_ids=products,
        minimum_subtotal_amount=whole_number(
            minimum_subtotal_amount, "minimum_subtotal_amount", optional=True
        ),
        usage_limit=whole_number(usage_limit, "usage_limit", minimum=1, optional=True),
        usage_limit_per_customer=whole_number(
            usage_limit_per_customer, "usage_limit_per_customer", minimum=1, optional=True
        ),
        starts_at=start,
        ends_at=end,
        description=text_value(description, "description", max_length=255, required=False),
        times_used=0,
        **values,
    )
    if db.session.scalar(select(Voucher.id).where(Voucher.code == normalised)):
        raise Conflict(
            f"code: a voucher {normalised} exists", details={"fields": {"code": "is taken"}}
        )
    db.session.add(voucher)
    db.session.flush()
    audit.record(
        actor,
        "voucher.create",
        "voucher",
        voucher.id,
        audit.diff({}, audit.snapshot(voucher, VOUCHER_FIELDS)),
    )
    events.record("voucher.created", voucher_id=voucher.id)
    db.session.commit()
    return voucher


def record_voucher_redemption(
    code: str,
    *,
    reference: str,
    amount: int,
    currency: str,
    customer_id: int | None = None,
    email: str | None = None,
    order_id: int | None = None,
    actor: Actor,
    session: Session | None = None,
    commit: bool = True,
    now: dt.datetime | None = None,
) -> VoucherRedemption:
    """Record one use of voucher `code` by checkout `reference` (an order, or a cart before the
    order exists), worth `amount` off. Raises VoucherRejected (unknown, not_yet_valid, expired,
    used_up, customer_limit_reached), InvalidInput, Conflict (the reference used another voucher).

    Idempotent per reference: recording the same reference again returns the first redemption. The
    voucher's row is locked while its uses are counted (see the module docstring). With `commit`
    False the caller's transaction (on `session`) commits it with the order.
    """
    reference = text_value(reference, "reference", max_length=120)
    whole_number(amount, "amount")
    currency = currency_code(currency)
    normalised = normalise_voucher_code(code)
    with unit_of_work(session, commit=commit) as s:
        voucher = s.scalar(
            select(Voucher)
            .where(Voucher.code == normalised)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        if voucher is None:
            raise VoucherRejected("unknown", normalised)
        existing = s.scalar(
            select(VoucherRedemption).where(VoucherRedemption.reference == reference)
        )
        if existing is not None:
            if existing.voucher_id != voucher.id:
                raise Conflict(
                    f"reference: {reference} already used another voucher",
                    details={"reference": reference},
                )
            return existing
        check_voucher_usable(
            voucher, normalised, now=now or utcnow(), customer_id=customer_id, email=email
        )
        if voucher.currency != currency:
            raise VoucherRejected("not_applicable", normalised)
        redemption = VoucherRedemption(
            voucher_id=voucher.id,
            order_id=order_id,
            reference=reference,
            customer_id=customer_id,
            email=email.strip() if email else None,
            amount=amount,
            currency=currency,
        )
        s.add(redemption)
        voucher.times_used += 1
        s.flush()
        events.record(
            "voucher.redeemed",
            voucher_id=voucher.id,
            redemption_id=redemption.id,
            reference=reference,
            order_id=order_id,
        )
        if actor.kind == "staff":
            audit.record(
                actor, "voucher.redeem", "voucher", voucher.id, {"reference": [None, reference]}
            )
    return redemption


def cancel_voucher_redemption(
    reference: str, *, actor: Actor, session: Session | None = None, commit: bool = True
) -> bool:
    """Give a use back to the voucher when checkout `reference` did not become a paid order (or
    the order was cancelled). Returns whether there was a redemption; calling it twice is
    harmless. Raises InvalidInput (reference)."""
    reference = text_value(reference, "reference", max_length=120)
    with unit_of_work(session, commit=commit) as s:
        redemption = s.scalar(
            select(VoucherRedemption).where(VoucherRedemption.reference == reference)
        )
        if redemption is None:
            return False
        voucher = s.get(
            Voucher, redemption.voucher_id, with_for_update=True, populate_existing=True
        )
        assert voucher is not None  # RESTRICT keeps a redeemed voucher
        voucher.times_used -= 1
        audit.record(
            actor,
            "voucher.cancel_redemption",
            "voucher",
            voucher.id,
            {
                "reference": [reference, None],
                "times_used": [voucher.times_used + 1, voucher.times_used],
            },
        )
        events.record("voucher.redemption_cancelled", voucher_id=voucher.id, reference=reference)
        s.delete(redemption)
    return True
