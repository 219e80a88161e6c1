"""Giving a received return's value back: a refund to the order's payment (through
commerce.payments.refunds, when installed) or store credit (a gift card, emailed to the customer).

The value of returned units is their share of what the customer paid for the line (its total,
after discounts, with tax), shipping excluded. Shares are cut so that a line returned in several
returns adds up to exactly its total: the first k units credited of a line of quantity q and
total T are worth floor(T * k / q), so units k+1..k+n are worth
floor(T * (k + n) / q) - floor(T * k / q), where k counts the units of the line that earlier
resolved returns received.

A refund calls the payment provider, outside our transaction, so resolving by refund is two
transactions around refund_order (which commits on its own): the first claims the return
(`resolution` set while it is still "received", and a new try counted in `refund_attempts`, which
makes the refund's idempotency key), the second marks the return refunded. A refund refused for
good undoes the claim; one whose outcome is unknown (the provider could not be reached, a crash)
keeps it, and resolving by refund again resumes it with the same key, which refund_order answers
with the first refund: the customer is never paid twice. The refund itself may still be pending
at the provider; its outcome shows on the order's refunds. Store credit is one
transaction: the gift card is issued with the return's change. Its code is stored hashed, so the
handler that emails it (jobs/handlers/returns.py) gives the card its one code shown through
`store_credit_code`, as gift cards sold in orders are delivered.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

from sqlalchemy import func, select

from commerce import audit, db, events
from commerce.audit import Actor
from commerce.db import utcnow
from commerce.errors import Conflict, DomainError, PaymentDeclined, PaymentError
from commerce.money import format_money
from commerce.orders import timeline
from commerce.orders.models import OrderLine
from commerce.pricing.gift_cards import IssuedGiftCard, issue_gift_card, renew_gift_card_code
from commerce.pricing.models import GiftCard
from commerce.returns.models import RESOLUTIONS, Return, ReturnLine
from commerce.returns.service import _invalid, _staff, get_return, lock_return

__all__ = ["refunds_available", "resolve_return", "return_value", "store_credit_code"]

REFUNDS_MODULE = "commerce.payments.refunds"


def _refund_order() -> Callable[..., Any] | None:
    try:
        module = importlib.import_module(REFUNDS_MODULE)
    except ImportError:
        return None
    return getattr(module, "refund_order", None)


def refunds_available() -> bool:
    """Whether refunds to the payment can be made (commerce.payments.refunds is installed)."""
    return _refund_order() is not None


def _credited_before(line_id: int, return_id: int) -> int:
    """Units of an order line received by returns resolved before (not `return_id`)."""
    return int(
        db.session.scalar(
            select(func.coalesce(func.sum(ReturnLine.received_quantity), 0))
            .join(Return, Return.id == ReturnLine.return_id)
            .where(
                ReturnLine.order_line_id == line_id,
                Return.id != return_id,
                Return.status == "refunded",
            )
        )
        or 0
    )


def _unit_share(line: OrderLine, before: int, units: int) -> int:
    return line.total_amount * (before + units) // line.quantity - (
        line.total_amount * before // line.quantity
    )


def return_value(return_id: int) -> int:
    """The value (minor units of the return's currency) of the units a return received, as the
    module docstring cuts it. Raises NotFound."""
    ret = get_return(return_id)
    return sum(
        _unit_share(
            line.order_line, _credited_before(line.order_line_id, ret.id), line.received_quantity
        )
        for line in ret.lines
        if line.received_quantity
    )


def _finish(ret: Return, resolution: str, amount: int, actor: Actor) -> None:
    ret.status, ret.resolution, ret.refund_amount = "refunded", resolution, amount
    ret.resolved_at, ret.resolved_by_label = utcnow(), actor.label[:255]
    how = "refunded" if resolution == "refund" else "given as store credit"
    timeline.record(
        ret.order_id,
        "return",
        f"Return {ret.reference} resolved: {format_money(amount, ret.currency)} {how}",
        actor=actor,
        return_id=ret.id,
        amount=amount,
        resolution=resolution,
    )
    audit.record(
        actor,
        "return.resolve",
        "return",
        ret.id,
        {
            "status": ["received", "refunded"],
            "resolution": [None, resolution],
            "refund_amount": [None, amount],
        },
    )
    events.record(
        "return.resolved",
        return_id=ret.id,
        order_id=ret.order_id,
        resolution=resolution,
        amount=amount,
    )


def _claim(return_id: int, resolution: str) -> Return:
    """The received return, locked; refused when resolved, or when a refund is under way and
    `resolution` is not "refund" (resolving by refund again resumes that refund)."""
    ret = lock_return(return_id)
    resumable = ret.resolution == "refund" and resolution == "refund"
    if ret.status != "received" or (ret.resolution is not None and not resumable):
        db.session.rollback()
        detail = (
            "its refund is under way"
            if ret.status == "received"
            else f"it is {ret.status}; only a received return can be resolved"
        )
        raise Conflict(f"Return {ret.reference} cannot be resolved: {detail}.")
    return ret


def resolve_return(
    return_id: int,
    resolution: str,
    *,
    actor: Actor,
    gateway: Any = None,
    reference: str | None = None,
) -> Return:
    """Give a received return's value back (staff): "refund" refunds the received units to the
    order's payment (commerce.payments.refunds.refund_order, with `gateway`; `reference` says how
    staff paid back an offline payment), "store_credit" issues a gift card of their value,
    emailed to the customer by a job. Raises NotFound, PermissionDenied, InvalidInput
    (`resolution`), Conflict (not received, resolved or being refunded, nothing to give back, or
    refunds are not available), and what refund_order raises.

    A refund that fails for good (refused, invalid) leaves the return to resolve again; one whose
    outcome is unknown (PaymentError: the provider could not be reached) keeps the claim, and
    resolving by refund again resumes it with the same idempotency key, so the customer is never
    paid twice."""
    _staff(actor)
    if resolution not in RESOLUTIONS:
        raise _invalid("resolution", f"must be one of {', '.join(RESOLUTIONS)}")
    refund_order = _refund_order() if resolution == "refund" else None
    if resolution == "refund" and refund_order is None:
        raise Conflict(
            "Refunds are not available; give store credit instead.",
            details={"fields": {"resolution": "refunds are not available"}},
        )
    ret = _claim(return_id, resolution)
    amount = return_value(ret.id)
    if amount <= 0:
        db.session.rollback()
        raise Conflict(
            f"Return {ret.reference} has nothing to give back (the units were free); close it."
        )
    if resolution == "store_credit":
        issued = issue_gift_card(
            amount,
            ret.currency,
            note=f"Store credit for return {ret.reference}",
            reference=f"return:{ret.id}",
            actor=actor,
            commit=False,
        )
        ret.gift_card_id = issued.gift_card.id
        _finish(ret, "store_credit", amount, actor)
        db.session.commit()
        return ret

    assert refund_order is not None
    lines = {line.order_line_id: line.received_quantity for line in ret.lines}
    lines = {line_id: units for line_id, units in lines.items() if units}
    if ret.resolution is None:  # a new try (not resuming one): a new idempotency key
        ret.resolution, ret.refund_attempts = "refund", ret.refund_attempts + 1
    order_id, return_reference = ret.order_id, ret.reference
    key = f"return-{ret.id}-{ret.refund_attempts}"
    db.session.commit()  # the claim: another resolve now waits for this one, or resumes it
    try:
        refund = refund_order(
            order_id,
            lines=lines,
            reason=f"Return {return_reference}",
            restock=False,  # the return's receipt restocked them already
            reference=reference,
            idempotency_key=key,
            actor=actor,
            gateway=gateway,
        )
    except DomainError as exc:
        db.session.rollback()
        if isinstance(exc, PaymentError) and not isinstance(exc, PaymentDeclined):
            raise  # the outcome is unknown: keep the claim, to resume with the same key
        _release(return_id)  # refused for good: the return may be resolved again
        raise
    except BaseException:
        db.session.rollback()  # the outcome is unknown: keep the claim, as above
        raise
    ret = lock_return(return_id)
    ret.refund_id = getattr(refund, "id", None)
    refunded = getattr(refund, "amount", None)
    _finish(ret, "refund", int(refunded) if refunded is not None else amount, actor)
    db.session.commit()
    return ret


def _release(return_id: int) -> None:
    """Undo a refund's claim on a return (the refund failed for good)."""
    claimed = lock_return(return_id)
    if claimed.status == "received":
        claimed.resolution = None
    db.session.commit()


def store_credit_code(return_id: int, *, actor: Actor) -> IssuedGiftCard | None:
    """Give the store credit card of a return its code to email (codes are stored hashed and
    shown once; see the module docstring), and commit. Returns None when the card was spent from
    already (its code reached its owner). Raises NotFound, Conflict (no store credit)."""
    ret = get_return(return_id)
    if ret.resolution != "store_credit" or ret.gift_card_id is None:
        raise Conflict(f"Return {ret.reference} was not resolved with store credit.")
    card = db.session.get(GiftCard, ret.gift_card_id)
    assert card is not None
    if card.balance_amount < card.initial_amount:
        return None
    return renew_gift_card_code(
        card.id, reason=f"emailed to the customer for return {ret.reference}", actor=actor
    )
