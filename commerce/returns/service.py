"""Return use cases: open a return (a customer through the API, or staff for them), approve or
reject it, receive the parcel, close it without giving anything back. Giving the value back (a
refund or store credit) lives in resolution.py; reads in queries.py.

    requested ──► approved ──► received ──► refunded   (resolution.py)
        │             │            │
        └─► rejected  └────────────┴──► closed

Every use case locks the order's row first (commerce.orders.service.lock_order), then the
return's: a customer opening a return while staff receive another one of the same order take
turns, so no unit is returned twice. Lock order: order, return, then stock levels (inside the
inventory service), the same as cancellation and fulfilment.

What may be returned: units shipped, less units in other returns. With commerce.fulfilment
installed, "shipped" is what its shipment lines carry in shipments that count as shipped for the
order (fulfilment.models.LIVE_STATUSES: the units are off the shelf); without it, every unit of a
line of an order whose status is partially_fulfilled, fulfilled or delivered. Another return holds
its units while requested or approved, then the units it received; a rejected return holds none.
Digital lines are never returnable (nothing comes back).

Receiving: units restocked go back on the warehouse's shelf through inventory.return_stock
(ledger reason "returned"); units written off go through return_stock too with restock=False,
which books them "returned" and at once "adjusted" away, so the ledger shows every unit that came
back and what became of it. A line whose variant was deleted since can only be written off, and
then only on the return (there is no stock level to book it on).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import case, func, select

from commerce import audit, db, events
from commerce.audit import Actor
from commerce.db import utcnow
from commerce.errors import Conflict, DomainError, InvalidInput, NotFound, PermissionDenied
from commerce.inventory import service as inventory
from commerce.inventory.models import Warehouse
from commerce.orders import timeline
from commerce.orders.models import Order, OrderLine
from commerce.orders.service import lock_order
from commerce.returns.models import CONDITIONS, REASONS, Return, ReturnLine

__all__ = [
    "approve_return",
    "close_return",
    "get_return",
    "lock_return",
    "open_return",
    "receive_return",
    "reject_return",
    "returnable_quantities",
    "shipped_quantities",
]

MAX_NOTE = 2000
MAX_REASON = 500
# Without commerce.fulfilment: orders in these statuses count every unit as shipped.
SHIPPED_ORDER_STATUSES = ("partially_fulfilled", "fulfilled", "delivered")


def _invalid(field: str, problem: str) -> InvalidInput:
    return InvalidInput(f"{field}: {problem}", fields={field: problem})


def _words(code: str) -> str:
    return code.replace("_", " ")


def _text(value: Any, field: str, *, required: bool, max_length: int) -> str | None:
    if value is not None and not isinstance(value, str):
        raise _invalid(field, "must be text")
    text = (value or "").strip()
    if required and not text:
        raise _invalid(field, "is required")
    if len(text) > max_length:
        raise _invalid(field, f"at most {max_length} characters")
    return text or None


def _reason(value: Any, field: str = "reason") -> str:
    if value not in REASONS:
        raise _invalid(field, f"must be one of {', '.join(REASONS)}")
    return str(value)


def _count(value: Any, field: str, *, minimum: int) -> int:
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if type(value) is not int or value < minimum:
        problem = "must be a whole number" + (" above 0" if minimum else " of 0 or more")
        raise _invalid(field, problem)
    return value


def _line_id(key: Any) -> int | None:
    if isinstance(key, str) and key.strip().isdigit():
        key = int(key.strip())
    return key if db.is_id(key) else None


def _staff(actor: Actor) -> None:
    if actor.kind not in ("staff", "system"):
        raise PermissionDenied("orders.edit")


# --- reads the rules need ------------------------------------------------------------------------


def get_return(return_id: int) -> Return:
    """The return `return_id`. Raises NotFound."""
    found = db.session.get(Return, return_id) if _line_id(return_id) else None
    if found is None:
        raise NotFound(f"Return {return_id} does not exist.")
    return found


def lock_return(return_id: int) -> Return:
    """The return `return_id` with its order's row and its own locked until the transaction
    ends, fields fresh. Raises NotFound."""
    order_id = (
        db.session.scalar(select(Return.order_id).where(Return.id == return_id))
        if _line_id(return_id)
        else None
    )
    if order_id is None:
        raise NotFound(f"Return {return_id} does not exist.")
    lock_order(order_id)
    found = db.session.get(Return, return_id, with_for_update=True, populate_existing=True)
    assert found is not None  # returns are never deleted
    return found


def shipped_quantities(order: Order) -> dict[int, int]:
    """{order_line_id: units shipped} for the order's physical lines (see the module
    docstring for what counts as shipped)."""
    physical = [line for line in order.lines if not line.is_digital]
    try:
        from commerce.fulfilment.models import LIVE_STATUSES, Shipment, ShipmentLine
    except ImportError:  # fulfilment not installed: the order's status says what shipped
        shipped = order.status in SHIPPED_ORDER_STATUSES
        return {line.id: line.quantity if shipped else 0 for line in physical}
    rows = db.session.execute(
        select(ShipmentLine.order_line_id, func.sum(ShipmentLine.quantity))
        .join(Shipment, Shipment.id == ShipmentLine.shipment_id)
        .where(Shipment.order_id == order.id, Shipment.status.in_(LIVE_STATUSES))
        .group_by(ShipmentLine.order_line_id)
    )
    counted = {line_id: int(units) for line_id, units in rows}
    return {line.id: counted.get(line.id, 0) for line in physical}


def returned_quantities(order_id: int, *, excluding: int | None = None) -> dict[int, int]:
    """{order_line_id: units held by the order's returns} (see the module docstring), leaving
    out return `excluding`."""
    held = case(
        (Return.status.in_(("requested", "approved")), ReturnLine.quantity),
        (Return.status == "rejected", 0),
        else_=ReturnLine.received_quantity,
    )
    stmt = (
        select(ReturnLine.order_line_id, func.sum(held))
        .join(Return, Return.id == ReturnLine.return_id)
        .where(Return.order_id == order_id)
        .group_by(ReturnLine.order_line_id)
    )
    if excluding is not None:
        stmt = stmt.where(Return.id != excluding)
    return {line_id: int(units) for line_id, units in db.session.execute(stmt)}


def returnable_quantities(order_id: int) -> dict[int, int]:
    """{order_line_id: units that may still be returned} for the order's physical lines.
    Raises NotFound."""
    order = db.session.get(Order, order_id)
    if order is None:
        raise NotFound(f"Order {order_id} does not exist.")
    shipped = shipped_quantities(order)
    returned = returned_quantities(order.id)
    return {line_id: max(units - returned.get(line_id, 0), 0) for line_id, units in shipped.items()}


# --- opening -------------------------------------------------------------------------------------


def _wanted(
    order: Order, lines: Mapping[Any, Any] | None, default_reason: str
) -> list[tuple[OrderLine, int, str]]:
    """The requested (order line, quantity, reason code) in line order. Raises InvalidInput
    naming every offending line ("lines.<order line id>")."""
    if not isinstance(lines, Mapping) or not lines:
        raise _invalid("lines", "choose at least one unit to return")
    by_id = {line.id: line for line in order.lines}
    shipped = shipped_quantities(order)
    returned = returned_quantities(order.id)
    wanted, problems = [], {}
    for key, value in lines.items():
        line_id = _line_id(key)
        field = f"lines.{key}"
        line = by_id.get(line_id) if line_id is not None else None
        if line is None:
            problems[field] = f"is not a line of order #{order.number}"
            continue
        reason = default_reason
        if isinstance(value, Mapping):
            reason = value.get("reason") or default_reason
            value = value.get("quantity")
        try:
            quantity = _count(value, field, minimum=1)
            reason = _reason(reason, f"{field}.reason")
        except InvalidInput as exc:
            problems.update(exc.fields)
            continue
        if line.is_digital:
            problems[field] = f"{line.sku} is a digital item and cannot be returned"
            continue
        sent, held = shipped.get(line.id, 0), returned.get(line.id, 0)
        left = max(sent - held, 0)
        if quantity > left:
            problems[field] = (
                f"only {left} of {line.sku} can be returned ({sent} shipped, {held} in other "
                "returns)"
                if held
                else f"only {left} of {line.sku} can be returned ({sent} shipped)"
            )
            continue
        wanted.append((line, quantity, reason))
    if problems:
        raise InvalidInput("; ".join(f"{k}: {v}" for k, v in problems.items()), fields=problems)
    return sorted(wanted, key=lambda item: item[0].id)


def open_return(
    order_id: int,
    lines: Mapping[Any, Any],
    reason: str,
    *,
    actor: Actor,
    customer_id: int | None = None,
    note: str | None = None,
) -> Return:
    """Open a return of `lines` ({order_line_id: quantity}, or {order_line_id: {"quantity": n,
    "reason": code}}) of an order, for `reason` (one of REASONS), with the customer's `note`.
    A customer (`customer_id`) may only return units of their own orders. Raises NotFound (no
    such order, or not the customer's), InvalidInput (naming `reason`, `note` or each offending
    line as "lines.<order line id>": not of the order, digital, or more than was shipped less
    what other returns hold)."""
    why = _reason(reason)
    text = _text(note, "note", required=False, max_length=MAX_NOTE)
    if actor.kind not in ("staff", "system") and customer_id is None:
        raise NotFound(f"Order {order_id} does not exist.")
    if _line_id(order_id) is None:
        raise NotFound(f"Order {order_id} does not exist.")
    order = lock_order(order_id)
    if customer_id is not None and order.customer_id != customer_id:
        db.session.rollback()
        raise NotFound(f"Order {order_id} does not exist.")
    try:
        wanted = _wanted(order, lines, why)
    except InvalidInput:
        db.session.rollback()
        raise
    ret = Return(
        order_id=order.id,
        customer_id=order.customer_id,
        status="requested",
        reason=why,
        customer_note=text,
        currency=order.currency,
        requested_by_kind=actor.kind,
        requested_by_label=actor.label[:255],
        lines=[
            ReturnLine(order_line_id=line.id, quantity=quantity, reason_code=code)
            for line, quantity, code in wanted
        ],
    )
    db.session.add(ret)
    db.session.flush()
    db.session.refresh(ret, ["number"])
    units = ", ".join(f"{quantity} x {line.sku}" for line, quantity, _code in wanted)
    timeline.record(
        order.id,
        "return",
        f"Return {ret.reference} requested ({_words(why)}): {units}",
        actor=actor,
        return_id=ret.id,
    )
    audit.record(
        actor,
        "return.open",
        "return",
        ret.id,
        {
            "status": [None, "requested"],
            "order": [None, order.number],
            "lines": [None, {str(line.id): quantity for line, quantity, _code in wanted}],
        },
    )
    events.record("return.opened", return_id=ret.id, order_id=order.id)
    db.session.commit()
    return ret


# --- staff decisions -----------------------------------------------------------------------------


def _refuse(ret: Return, doing: str, allowed: tuple[str, ...]) -> None:
    if ret.status not in allowed:
        db.session.rollback()
        raise Conflict(
            f"Return {ret.reference} is {ret.status}; only a return that is "
            f"{' or '.join(allowed)} can be {doing}.",
            details={"status": ret.status},
        )


# status -> the audit action that moves a return there
_ACTIONS = {
    "approved": "return.approve",
    "rejected": "return.reject",
    "received": "return.receive",
    "closed": "return.close",
}


def _move(ret: Return, target: str, actor: Actor, message: str, **changes: Any) -> None:
    before = ret.status
    ret.status = target
    timeline.record(ret.order_id, "return", message, actor=actor, return_id=ret.id)
    audit.record(actor, _ACTIONS[target], "return", ret.id, {"status": [before, target], **changes})


def approve_return(return_id: int, *, actor: Actor, note: str | None = None) -> Return:
    """Approve a requested return (staff); the customer is emailed that they may send the units
    back. Raises NotFound, PermissionDenied, InvalidInput (`note`), Conflict (not requested)."""
    _staff(actor)
    text = _text(note, "note", required=False, max_length=MAX_NOTE)
    ret = lock_return(return_id)
    _refuse(ret, "approved", ("requested",))
    ret.approved_at, ret.decided_by_label = utcnow(), actor.label[:255]
    if text:
        ret.staff_note = text
    _move(ret, "approved", actor, f"Return {ret.reference} approved")
    events.record("return.approved", return_id=ret.id, order_id=ret.order_id)
    db.session.commit()
    return ret


def reject_return(return_id: int, reason: str, *, actor: Actor) -> Return:
    """Reject a return not received yet (staff), saying why; the customer is emailed the
    reason. Raises NotFound, PermissionDenied, InvalidInput (`reason`), Conflict (received or
    finished already)."""
    _staff(actor)
    why = _text(reason, "reason", required=True, max_length=MAX_REASON)
    ret = lock_return(return_id)
    _refuse(ret, "rejected", ("requested", "approved"))
    ret.rejected_at, ret.decided_by_label = utcnow(), actor.label[:255]
    ret.rejection_reason = why
    _move(
        ret,
        "rejected",
        actor,
        f"Return {ret.reference} rejected: {why}",
        rejection_reason=[None, why],
    )
    events.record("return.rejected", return_id=ret.id, order_id=ret.order_id)
    db.session.commit()
    return ret


def close_return(return_id: int, note: str, *, actor: Actor) -> Return:
    """Close an approved or received return with nothing given back (staff), saying why (the
    parcel never came, nothing in it could be accepted). Raises NotFound, PermissionDenied,
    InvalidInput (`note`), Conflict (not approved or received, or its refund is under way)."""
    _staff(actor)
    why = _text(note, "note", required=True, max_length=MAX_NOTE)
    ret = lock_return(return_id)
    _refuse(ret, "closed", ("approved", "received"))
    if ret.resolution is not None:
        db.session.rollback()
        raise Conflict(f"Return {ret.reference} is being refunded; it cannot be closed now.")
    ret.closed_at, ret.staff_note = utcnow(), why
    _move(ret, "closed", actor, f"Return {ret.reference} closed: {why}", note=[None, why])
    events.record("return.closed", return_id=ret.id, order_id=ret.order_id)
    db.session.commit()
    return ret


# --- receiving -----------------------------------------------------------------------------------


def _received(
    ret: Return, lines: Mapping[Any, Any] | None
) -> list[tuple[ReturnLine, int, int, str | None]]:
    """The (return line, restock, write_off, condition) of each line received. Raises
    InvalidInput naming each offending field ("lines.<order line id>.restock", ...)."""
    if not isinstance(lines, Mapping) or not lines:
        raise _invalid("lines", "say how many units of each line arrived")
    by_line = {line.order_line_id: line for line in ret.lines}
    received, problems = [], {}
    for key, value in lines.items():
        field = f"lines.{key}"
        line_id = _line_id(key)
        line = by_line.get(line_id) if line_id is not None else None
        if line is None:
            problems[field] = f"is not a line of return {ret.reference}"
            continue
        if not isinstance(value, Mapping):
            problems[field] = 'must say {"restock": n, "write_off": m}'
            continue
        try:
            restock = _count(value.get("restock") or 0, f"{field}.restock", minimum=0)
            write_off = _count(value.get("write_off") or 0, f"{field}.write_off", minimum=0)
            condition = value.get("condition") or None
            if condition is not None and condition not in CONDITIONS:
                raise _invalid(f"{field}.condition", f"must be one of {', '.join(CONDITIONS)}")
        except InvalidInput as exc:
            problems.update(exc.fields)
            continue
        sku = line.order_line.sku
        if restock + write_off > line.quantity:
            problems[field] = (
                f"{restock + write_off} units of {sku} received, but the return is for "
                f"{line.quantity}"
            )
        elif restock and line.order_line.variant_id is None:
            problems[f"{field}.restock"] = f"{sku} is no longer in the catalog; write its units off"
        elif restock + write_off:
            received.append((line, restock, write_off, condition))
    if problems:
        raise InvalidInput("; ".join(f"{k}: {v}" for k, v in problems.items()), fields=problems)
    if not received:
        raise _invalid("lines", "no unit received; close the return instead")
    return received


def _book(
    ret: Return,
    warehouse_id: int,
    received: list[tuple[ReturnLine, int, int, str | None]],
    actor: Actor,
) -> tuple[int, int]:
    """Put the received units on the shelf or write them off (see the module docstring) and
    record them on the return's lines. Returns (units restocked, units written off). Raises
    what the inventory service raises."""
    reference = f"return:{ret.number}"
    for line, restock, write_off, condition in received:
        variant_id = line.order_line.variant_id
        if restock:
            inventory.return_stock(
                variant_id, warehouse_id, restock, True, actor=actor, reference=reference,
                commit=False,
            )  # fmt: skip
        if write_off and variant_id is not None:
            inventory.return_stock(
                variant_id, warehouse_id, write_off, False, actor=actor, reference=reference,
                commit=False,
            )  # fmt: skip
        line.restocked_quantity, line.written_off_quantity = restock, write_off
        line.received_quantity = restock + write_off
        line.condition = condition
    return sum(item[1] for item in received), sum(item[2] for item in received)


def receive_return(
    return_id: int,
    warehouse_id: int,
    lines: Mapping[Any, Any],
    *,
    actor: Actor,
    note: str | None = None,
) -> Return:
    """Record the parcel of an approved return arriving at `warehouse_id`: `lines` maps an order
    line id to {"restock": n, "write_off": m, "condition": code (optional)}; lines left out
    arrived with no unit. Restocked units go back on the shelf and written-off units are booked
    in and out again (see the module docstring), all in one transaction. Raises NotFound,
    PermissionDenied, InvalidInput (naming `warehouse_id`, `note` or the offending line's
    field), Conflict (not approved)."""
    _staff(actor)
    text = _text(note, "note", required=False, max_length=MAX_NOTE)
    if _line_id(warehouse_id) is None or db.session.get(Warehouse, warehouse_id) is None:
        raise _invalid("warehouse_id", "choose a warehouse")
    ret = lock_return(return_id)
    _refuse(ret, "received", ("approved",))
    try:
        received = _received(ret, lines)
    except InvalidInput:
        db.session.rollback()
        raise
    try:
        restocked, written_off = _book(ret, warehouse_id, received, actor)
    except DomainError:
        db.session.rollback()
        raise
    ret.warehouse_id, ret.received_at = warehouse_id, utcnow()
    ret.received_by_label = actor.label[:255]
    if text:
        ret.staff_note = text
    _move(
        ret,
        "received",
        actor,
        f"Return {ret.reference} received: {restocked} restocked, {written_off} written off",
        restocked=[None, restocked],
        written_off=[None, written_off],
        warehouse_id=[None, warehouse_id],
    )
    events.record(
        "return.received",
        return_id=ret.id,
        order_id=ret.order_id,
        restocked=restocked,
        written_off=written_off,
    )
    db.session.commit()
    return ret
