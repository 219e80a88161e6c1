"""The order state machine: which status may follow which, and why not when it may not.

    draft ──► pending_payment ──► paid ──► partially_fulfilled ──► fulfilled ──► delivered
      │              │              │
      └──────────────┴──────────────┴──► cancelled

    on_hold: any of pending_payment, paid, partially_fulfilled can be put on hold and released
    back to where it was.

Payment status (pending, authorized, paid, partially_refunded, refunded, voided, failed) and
fulfilment status (unfulfilled, partial, fulfilled) are kept alongside by the payment and
fulfilment services; the order status follows from them through the transitions below and never
jumps past them (an order is not "fulfilled" while a unit is unshipped).
"""

from __future__ import annotations

from commerce.errors import Conflict

TRANSITIONS: dict[str, frozenset[str]] = {
    "draft": frozenset({"pending_payment", "paid", "cancelled"}),
    # Shipping an unpaid order is for cash on delivery only (checked by `check`).
    "pending_payment": frozenset(
        {"paid", "cancelled", "on_hold", "partially_fulfilled", "fulfilled"}
    ),
    "paid": frozenset({"partially_fulfilled", "fulfilled", "cancelled", "on_hold"}),
    "partially_fulfilled": frozenset({"fulfilled", "on_hold"}),
    "fulfilled": frozenset({"delivered"}),
    "delivered": frozenset(),
    "cancelled": frozenset(),
    "on_hold": frozenset({"pending_payment", "paid", "partially_fulfilled", "cancelled"}),
}

# What a staff member reads when a move is not allowed, by (from, to); the generic sentence
# covers the rest.
_WHY = {
    ("cancelled", "partially_fulfilled"): "cannot ship a cancelled order",
    ("cancelled", "fulfilled"): "cannot ship a cancelled order",
    ("pending_payment", "partially_fulfilled"): "cannot ship an order that is not paid",
    ("pending_payment", "fulfilled"): "cannot ship an order that is not paid",
    ("draft", "fulfilled"): "cannot ship a draft order",
    ("on_hold", "fulfilled"): "cannot ship an order on hold; release the hold first",
    ("on_hold", "partially_fulfilled"): "cannot ship an order on hold; release the hold first",
    ("partially_fulfilled", "cancelled"): (
        "cannot cancel an order with shipped units; open a return instead"
    ),
    ("fulfilled", "cancelled"): "cannot cancel a shipped order; open a return instead",
    ("delivered", "cancelled"): "cannot cancel a delivered order; open a return instead",
    ("cancelled", "paid"): "cannot take payment for a cancelled order",
}


class TransitionNotAllowed(Conflict):
    """The order cannot move from its status to the one asked for (409, with the reason)."""

    code = "transition_not_allowed"


def allowed(current: str, target: str) -> bool:
    """Whether an order in `current` may move to `target`."""
    return target in TRANSITIONS.get(current, frozenset())


SHIPPED = frozenset({"partially_fulfilled", "fulfilled"})


def check(
    current: str,
    target: str,
    *,
    number: int | None = None,
    payment_method: str | None = None,
) -> None:
    """Raise TransitionNotAllowed, saying why, unless `current` may move to `target` (an unpaid
    order ships only when it is paid on delivery)."""
    unpaid_shipping = (
        current == "pending_payment" and target in SHIPPED and payment_method != "cash_on_delivery"
    )
    if allowed(current, target) and not unpaid_shipping:
        return
    why = _WHY.get((current, target)) or (
        f"an order that is {current.replace('_', ' ')} cannot become {target.replace('_', ' ')}"
    )
    label = f"Order #{number}: " if number is not None else ""
    raise TransitionNotAllowed(
        f"{label}{why}.", details={"from": current, "to": target, "reason": why}
    )
