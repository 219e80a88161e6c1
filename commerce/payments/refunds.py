"""Refunds of orders: in full, in part or by line; to the card through Stripe, paid back by staff
for offline payments, and back onto the gift cards that paid.

What can be refunded, and what a refund of order lines is worth (with its rounding rule), is
commerce.payments.refundable; pending refunds hold their amount, and the order row is locked
while a refund is checked, so refunds at the same moment never give back more than was taken.

Which tender gets the money: the payment first (the customer's own money back where it came
from), then the gift cards, in the order they were applied. One refund uses one payment; an order
paid twice (rare) is refunded in two steps. Shipping belongs to no line; refund it with `amount`
(a full refund includes it).

Through Stripe: (1) the order is locked, the refund checked and its row written as "pending" with
its idempotency key, and committed; (2) Stripe's Refunds API is called with that key (a retry
sends the same key and Stripe answers with the same refund); (3) Stripe's answer is applied. Only
a refund Stripe reports "succeeded" (now or later, by webhook) is recorded as refunded: the
payment's refunded amount, gift cards credited, the order's payment status
(partially_refunded/refunded), stock given back when asked, a timeline entry, an audit row and an
`order.refunded` event (order_id, refund_id, amount). A refund Stripe refuses or fails keeps
status "failed" with Stripe's reason, on the timeline too. Refunds never change the order's status
(cancel it separately once nothing is captured).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from flask import current_app
from sqlalchemy import select

from commerce import audit, db
from commerce.audit import Actor
from commerce.errors import (
    Conflict,
    DomainError,
    InvalidInput,
    NotFound,
    PaymentDeclined,
    PaymentError,
    PermissionDenied,
)
from commerce.money import format_money
from commerce.orders.models import Order
from commerce.orders.service import lock_order
from commerce.payments.gateway import RefundInfo, StripeGateway, gateway_from_config
from commerce.payments.models import Payment, Refund
from commerce.payments.refund_outcomes import record_failure, record_reversal, record_success
from commerce.payments.refundable import (
    Refundable,
    refundable,
    refunded_lines,
    refunds_of,
    state_of,
)

__all__ = [
    "RefundFailed",
    "Refundable",
    "apply_stripe_refund",
    "apply_stripe_refund_event",
    "refund_order",
    "refundable",
    "refunds_of",
    "retry_refund",
]

OFFLINE_PROVIDERS = ("bank_transfer", "cash_on_delivery")
REFUNDABLE_PAYMENT_STATUSES = ("paid", "partially_refunded", "refunded")
STRIPE_ACTOR = Actor(kind="system", label="stripe webhook")


class RefundFailed(Conflict):
    """The payment provider refused or failed the refund (409). The refund is kept, status
    "failed", with the provider's reason; `details` has refund_id and reason."""

    code = "refund_failed"


# --- refund_order ---------------------------------------------------------------------------------


def refund_order(
    order_id: int,
    *,
    amount: int | None = None,
    lines: Mapping[int, int] | None = None,
    reason: str,
    restock: bool = False,
    reference: str | None = None,
    idempotency_key: str | None = None,
    actor: Actor,
    gateway: StripeGateway | None = None,
) -> Refund:
    """Refund a paid order: everything left (no `amount`, no `lines`), `amount` minor units, or
    units of lines (`{order_line_id: quantity}`; `amount` then overrides the computed sum).
    `restock` gives the refunded lines' units back to stock once the refund succeeds (unshipped
    units are deallocated, shipped ones returned to the warehouse they left). `reference` (how
    staff paid it back) is required for an offline payment. `idempotency_key` (from the form)
    makes a repeated submission return the first refund. Returns the Refund: "succeeded", or
    "pending" while Stripe processes it.

    Raises NotFound, PermissionDenied, InvalidInput naming the field (`amount` above what is
    refundable names the refundable amount), Conflict (the order is not paid), RefundFailed
    (Stripe refused it: kept as failed, with the reason), PaymentError (Stripe could not be
    reached: kept as pending; retry_refund sends it again, safely)."""
    if actor.kind not in ("staff", "system"):
        raise PermissionDenied("payments.refund")
    why = _text(reason, "reason", required=True, max_length=500)
    paid_back_by = _text(reference, "reference", required=False, max_length=120)
    key_part = _text(idempotency_key, "idempotency_key", required=False, max_length=64)
    if amount is not None:
        _positive(amount, "amount")
    wanted = _lines(lines)
    if not isinstance(restock, bool):
        raise InvalidInput("restock: must be true or false", fields={"restock": "not a flag"})
    order = lock_order(order_id)
    key = f"order-{order.id}-refund-{key_part or uuid.uuid4().hex}"
    existing = db.session.scalar(select(Refund).where(Refund.idempotency_key == key))
    if existing is not None:
        db.session.rollback()
        if existing.status == "pending" and existing.provider == "stripe":
            return retry_refund(existing.id, actor=actor, gateway=gateway)
        return _outcome(existing)
    try:
        refund = _new_refund(order, amount, wanted, why, restock, paid_back_by, key, actor)
    except DomainError:
        db.session.rollback()
        raise
    if refund.provider != "stripe":
        # Gift cards and offline payments: no one to ask, the money moves now.
        record_success(order, refund, actor=actor)
        db.session.commit()
        return refund
    # The key is committed before Stripe hears of it: a crash after Stripe's answer and before
    # ours is saved is healed by retry_refund, which sends the same key and gets the same refund.
    db.session.commit()
    return _send(refund, actor=actor, gateway=gateway)


def _new_refund(
    order: Order,
    amount: int | None,
    wanted: dict[int, int] | None,
    reason: str,
    restock: bool,
    paid_back_by: str,
    key: str,
    actor: Actor,
) -> Refund:
    label = f"order #{order.number}"
    if order.payment_status not in REFUNDABLE_PAYMENT_STATUSES:
        authorised = order.payment_status == "authorized"
        hint = "void the authorisation instead" if authorised else "nothing was taken"
        raise Conflict(
            f"Order #{order.number} is not paid (payment {order.payment_status}); {hint}.",
            details={"payment_status": order.payment_status},
        )
    state = state_of(order)
    can = state.refundable(order.currency)
    full = wanted is None and amount is None
    if full:  # everything left: every unit not refunded yet, and shipping
        wanted = {line_id: units for line_id, units in state.lines.items() if units > 0}
    line_refunds = refunded_lines(order, wanted or {}, state.lines)
    if amount is None:
        amount = can.total if full else sum(e["amount"] for e in line_refunds)
    if can.total <= 0:
        raise InvalidInput(
            f"amount: nothing is left to refund on {label}", fields={"amount": "0 refundable"}
        )
    if amount <= 0:
        raise InvalidInput(
            "amount: these lines have nothing to refund", fields={"amount": "must be above 0"}
        )
    if amount > can.total:
        most = format_money(can.total, order.currency)
        raise InvalidInput(
            f"amount: at most {most} can be refunded on {label}",
            fields={"amount": f"at most {can.total} ({most})"},
        )
    if restock and not line_refunds:
        raise InvalidInput(
            "restock: name the lines whose units go back to stock",
            fields={"restock": "no lines to restock"},
        )
    payment, payment_part = None, 0
    for candidate, left in state.payments:
        if left > 0:
            payment, payment_part = candidate, min(amount, left)
            break
    gift_part = amount - payment_part
    if gift_part > can.gift_cards:
        most = format_money(payment_part + can.gift_cards, order.currency)
        raise InvalidInput(
            f"amount: at most {most} in one refund on {label} (it was paid twice); refund the "
            "rest separately",
            fields={"amount": f"at most {payment_part + can.gift_cards} in one refund"},
        )
    provider = payment.provider if payment is not None else "gift_card"
    offline = provider in OFFLINE_PROVIDERS
    if offline and not paid_back_by:
        raise InvalidInput(
            "reference: say how the money was paid back (transfer reference, cash receipt)",
            fields={"reference": "is required for an offline payment"},
        )
    refund = Refund(
        order_id=order.id,
        payment_id=payment.id if payment is not None else None,
        provider=provider,
        amount=amount,
        payment_amount=payment_part,
        gift_card_amount=gift_part,
        currency=order.currency,
        reason=reason,
        status="pending",
        idempotency_key=key,
        provider_reference=paid_back_by if offline else None,
        lines=line_refunds,
        restock=restock,
        actor_kind=actor.kind,
        actor_id=actor.id,
        actor_label=actor.label[:255],
    )
    db.session.add(refund)
    db.session.flush()
    audit.record(
        actor,
        "order.refund_start",
        "order",
        order.id,
        {"refund_id": [None, refund.id], "amount": [None, amount], "reason": [None, reason]},
    )
    return refund


# --- Stripe ---------------------------------------------------------------------------------------


def retry_refund(refund_id: int, *, actor: Actor, gateway: StripeGateway | None = None) -> Refund:
    """Send a pending Stripe refund again with its stored idempotency key (after Stripe could not
    be reached), or re-read it from Stripe when Stripe already has it, and apply the answer.
    Returns the refund. Raises NotFound, PermissionDenied, Conflict (not a pending Stripe
    refund), RefundFailed, PaymentError."""
    if actor.kind not in ("staff", "system"):
        raise PermissionDenied("payments.refund")
    refund = db.session.get(Refund, refund_id, populate_existing=True)
    if refund is None:
        raise NotFound(f"Refund {refund_id} does not exist.")
    if refund.provider != "stripe" or refund.status != "pending":
        raise Conflict(
            f"Refund {refund.id} is {refund.status}; only a pending Stripe refund is retried.",
            details={"status": refund.status},
        )
    if refund.provider_reference:
        info = _gateway(gateway).retrieve_refund(refund.provider_reference)
        _apply(refund.id, info, actor=actor)
        db.session.commit()
        return _outcome(refund)
    return _send(refund, actor=actor, gateway=gateway)


def _send(refund: Refund, *, actor: Actor, gateway: StripeGateway | None) -> Refund:
    payment = db.session.get(Payment, refund.payment_id)
    assert payment is not None and payment.provider_reference
    try:
        info = _gateway(gateway).refund(
            payment.provider_reference,
            refund.payment_amount,
            idempotency_key=refund.idempotency_key,
            metadata={"order_id": refund.order_id, "refund_id": refund.id},
        )
    except PaymentError as exc:
        if not isinstance(exc, PaymentDeclined):
            # Unknown outcome (outage, network): the refund stays pending with its key.
            raise PaymentError(
                f"{exc.message} The refund of {format_money(refund.amount, refund.currency)} "
                "is saved as pending; retry it (repeating is safe).",
                details={**exc.details, "refund_id": refund.id},
            ) from None
        return _fail_now(refund, exc.message, actor=actor)
    except DomainError as exc:  # Stripe refused it: InvalidInput, NotFound, Conflict
        return _fail_now(refund, exc.message, actor=actor)
    _apply(refund.id, info, actor=actor)
    db.session.commit()
    return _outcome(refund)


def _fail_now(refund: Refund, reason: str, *, actor: Actor) -> Refund:
    """Record Stripe's refusal and raise RefundFailed (unless a webhook settled it already)."""
    order = lock_order(refund.order_id)
    locked = _lock_refund(refund.id)
    if locked.status == "pending":
        record_failure(order, locked, f"Stripe: {reason}", actor=actor)
    db.session.commit()
    return _outcome(locked)


def _outcome(refund: Refund) -> Refund:
    """The refund, raising RefundFailed when it failed."""
    db.session.refresh(refund)
    if refund.status == "failed":
        raise RefundFailed(
            f"The refund of {format_money(refund.amount, refund.currency)} failed: "
            f"{refund.failure_reason}",
            details={"refund_id": refund.id, "reason": refund.failure_reason},
        )
    return refund


def apply_stripe_refund_event(gateway: StripeGateway, data_object: Mapping[str, Any]) -> str:
    """Apply a refund webhook (charge.refunded, charge.refund.updated, refund.*) in the caller's
    transaction: re-read the refunds from Stripe (events come late, twice, in any order) and
    apply each. Returns "refunded", "refund_failed", "unchanged" or "ignored". Raises the
    gateway's errors (Stripe then retries the webhook)."""
    if data_object.get("object") == "charge":
        intent = data_object.get("payment_intent")
        infos = gateway.list_refunds(intent) if isinstance(intent, str) else []
    else:
        infos = [gateway.retrieve_refund(str(data_object["id"]))]
    outcomes = [apply_stripe_refund(info, actor=STRIPE_ACTOR) for info in infos]
    for wanted in ("refund_failed", "refunded", "unchanged"):
        if wanted in outcomes:
            return wanted
    return "ignored"


def apply_stripe_refund(info: RefundInfo, *, actor: Actor) -> str:
    """Apply what Stripe says of one refund, in the caller's transaction. A refund made outside
    the shop (Stripe's dashboard) on a payment we know is recorded too. Returns "refunded",
    "refund_failed", "unchanged" or "ignored"."""
    refund = db.session.scalar(
        select(Refund).where(Refund.provider == "stripe", Refund.provider_reference == info.id)
    )
    if refund is None and str(info.metadata.get("refund_id", "")).isdigit():
        refund = db.session.get(Refund, int(info.metadata["refund_id"]))
        if refund is not None and refund.provider != "stripe":
            refund = None
    if refund is None:
        return _record_outside_refund(info, actor=actor)
    return _apply(refund.id, info, actor=actor)


def _record_outside_refund(info: RefundInfo, *, actor: Actor) -> str:
    if info.status != "succeeded" or not info.payment_intent:
        return "ignored"
    payment = db.session.scalar(
        select(Payment).where(
            Payment.provider == "stripe", Payment.provider_reference == info.payment_intent
        )
    )
    if payment is None or payment.status != "succeeded":
        return "ignored"
    order = lock_order(payment.order_id)
    refund = Refund(
        order_id=order.id,
        payment_id=payment.id,
        provider="stripe",
        amount=info.amount,
        payment_amount=info.amount,
        gift_card_amount=0,
        currency=order.currency,
        reason="Refunded in Stripe's dashboard",
        status="pending",
        idempotency_key=f"stripe-{info.id}",
        provider_reference=info.id,
        actor_kind=actor.kind,
        actor_id=actor.id,
        actor_label=actor.label[:255],
    )
    db.session.add(refund)
    db.session.flush()
    record_success(order, refund, actor=actor)
    return "refunded"


def _apply(refund_id: int, info: RefundInfo, *, actor: Actor) -> str:
    """Move our refund to what Stripe reports (the caller commits)."""
    existing = db.session.get(Refund, refund_id)
    assert existing is not None
    order = lock_order(existing.order_id)
    refund = _lock_refund(refund_id)
    if refund.provider_reference is None:
        refund.provider_reference = info.id
    if info.status == "succeeded" and refund.status == "pending":
        record_success(order, refund, actor=actor)
        return "refunded"
    if info.status in ("failed", "canceled"):
        reason = info.failure_reason or info.status
        if refund.status == "pending":
            record_failure(order, refund, f"Stripe: {reason.replace('_', ' ')}", actor=actor)
            return "refund_failed"
        if refund.status == "succeeded":
            record_reversal(order, refund, f"Stripe: {reason.replace('_', ' ')}", actor=actor)
            return "refund_failed"
    return "unchanged"


def _lock_refund(refund_id: int) -> Refund:
    refund = db.session.get(Refund, refund_id, with_for_update=True, populate_existing=True)
    assert refund is not None
    return refund


# --- recording outcomes (under the order's lock; the caller commits) -----------------------------


# --- small helpers --------------------------------------------------------------------------------


def _gateway(gateway: StripeGateway | None) -> StripeGateway:
    return gateway or gateway_from_config(current_app.config)


def _text(value: Any, field: str, *, required: bool, max_length: int) -> str:
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise InvalidInput(f"{field}: must be text", fields={field: "must be text"})
    value = value.strip()
    if required and not value:
        raise InvalidInput(f"{field}: is required", fields={field: "is required"})
    if len(value) > max_length:
        raise InvalidInput(
            f"{field}: at most {max_length} characters", fields={field: f"at most {max_length}"}
        )
    return value


def _positive(value: Any, field: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise InvalidInput(
            f"{field}: must be a positive whole number of minor units",
            fields={field: "must be a positive whole number"},
        )
    return value


def _lines(lines: Mapping[int, int] | None) -> dict[int, int] | None:
    if lines is None:
        return None
    if not isinstance(lines, Mapping) or not lines:
        raise InvalidInput(
            "lines: give {order line id: quantity}", fields={"lines": "no lines given"}
        )
    out: dict[int, int] = {}
    for line_id, quantity in lines.items():
        try:
            key = int(line_id)
        except (TypeError, ValueError):
            raise InvalidInput(
                f"lines: {line_id!r} is not an order line id", fields={"lines": "bad line id"}
            ) from None
        if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity <= 0:
            raise InvalidInput(
                f"lines: the quantity of line {key} must be a positive whole number",
                fields={f"lines.{key}": "must be a positive whole number"},
            )
        out[key] = quantity
    return out
