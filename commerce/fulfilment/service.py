"""Fulfilment use cases: ship an order's units (`create_shipment`), hand a parcel to the carrier
(`mark_shipped`) and record its delivery (`mark_delivered`).

Every use case locks the order's row first (commerce.orders.service.lock_order), then reads what
it checks: two staff members shipping the last units of one line at once take turns, and the
second is refused with what is left. Lock order: order, then its shipments, then stock levels
(inside the inventory service), the same order cancellation uses.

Units leave the shelf when the shipment is created (the parcel is packed): the inventory service
(`ship_stock`) takes them off on-hand and allocated with ledger rows of reason "sold". The label
and packing slip follow in a job (documents.py, jobs/handlers/fulfilment.py).
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from collections.abc import Mapping

from sqlalchemy import func, select

from commerce import audit, db, events
from commerce.audit import Actor
from commerce.db import utcnow
from commerce.errors import Conflict, InvalidInput, NotFound
from commerce.fulfilment import documents
from commerce.fulfilment.models import LIVE_STATUSES, Shipment, ShipmentLine
from commerce.inventory import service as inventory
from commerce.inventory.models import Warehouse
from commerce.orders import service as orders
from commerce.orders import states, timeline
from commerce.orders.models import Order, OrderLine
from commerce.shipping.carriers import get_carrier

__all__ = [
    "create_shipment",
    "find_shipment",
    "get_shipment",
    "mark_delivered",
    "mark_shipped",
    "remaining_to_ship",
    "shipments_of",
]

_CODE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")
_TRACKING = re.compile(r"^[A-Z0-9-]{4,64}$")
# An order in these statuses may ship (what is left of) its units.
SHIPPABLE = ("paid", "partially_fulfilled")


def _invalid(field: str, problem: str) -> InvalidInput:
    return InvalidInput(f"{field}: {problem}", fields={field: problem})


# --- reads ------------------------------------------------------------------------------------


def get_shipment(shipment_id: int) -> Shipment:
    """The shipment `shipment_id`. Raises NotFound."""
    shipment = db.session.get(Shipment, shipment_id) if isinstance(shipment_id, int) else None
    if shipment is None:
        raise NotFound(f"Shipment {shipment_id} does not exist.")
    return shipment


def normalise_tracking_number(number: str | None) -> str:
    """A tracking number as stored: spaces removed, upper case. Raises InvalidInput naming
    `tracking_number`."""
    cleaned = re.sub(r"\s", "", str(number or "")).upper()
    if not _TRACKING.match(cleaned):
        raise _invalid("tracking_number", "must be 4 to 64 letters, digits or dashes")
    return cleaned


def find_shipment(tracking_number: str, carrier: str | None = None) -> Shipment:
    """The shipment with `tracking_number` (of `carrier`, when given). Raises InvalidInput (a
    malformed number), NotFound."""
    number = normalise_tracking_number(tracking_number)
    stmt = select(Shipment).where(Shipment.tracking_number == number)
    if carrier is not None:
        stmt = stmt.where(Shipment.carrier == carrier.strip().lower())
    found = list(db.session.scalars(stmt.order_by(Shipment.id).limit(2)))
    if not found:
        raise NotFound(f"No shipment has tracking number {number}.")
    if len(found) > 1:
        raise Conflict(
            f"Tracking number {number} belongs to shipments of several carriers; name the carrier."
        )
    return found[0]


def shipments_of(order_id: int) -> list[Shipment]:
    """The order's shipments, first one first (cancelled ones included)."""
    return list(
        db.session.scalars(
            select(Shipment).where(Shipment.order_id == order_id).order_by(Shipment.sequence)
        )
    )


def _shipped_by_line(order_id: int) -> dict[int, int]:
    stmt = (
        select(ShipmentLine.order_line_id, func.sum(ShipmentLine.quantity))
        .join(Shipment, Shipment.id == ShipmentLine.shipment_id)
        .where(Shipment.order_id == order_id, Shipment.status.in_(LIVE_STATUSES))
        .group_by(ShipmentLine.order_line_id)
    )
    return {line_id: int(total) for line_id, total in db.session.execute(stmt)}


def remaining_to_ship(order_id: int) -> dict[int, int]:
    """{order_line_id: units still to ship} for each physical line of the order (0 once it has
    all shipped; digital lines never ship and are left out). Raises NotFound."""
    order = orders.get_order(order_id)
    shipped = _shipped_by_line(order.id)
    return {
        line.id: line.quantity - shipped.get(line.id, 0)
        for line in order.lines
        if not line.is_digital
    }


# --- create -------------------------------------------------------------------------------------


def _check_lines(lines: Mapping[int, int] | None) -> dict[int, int] | None:
    """The requested {order_line_id: quantity} without zero quantities. Raises InvalidInput."""
    if lines is None:
        return None
    if not isinstance(lines, Mapping):
        raise _invalid("lines", "must map order line ids to quantities")
    wanted: dict[int, int] = {}
    for line_id, quantity in lines.items():
        field = f"lines[{line_id}]"
        if not isinstance(line_id, int) or isinstance(line_id, bool):
            raise _invalid(field, "is not an order line id")
        if not isinstance(quantity, int) or isinstance(quantity, bool) or quantity < 0:
            raise _invalid(field, "the quantity must be a whole number, 0 or more")
        if quantity:
            wanted[line_id] = quantity
    if not wanted:
        raise _invalid("lines", "choose at least one unit to ship")
    return wanted


def _code(value: str | None, field: str) -> str:
    code = (value or "").strip().lower()
    if not _CODE.match(code):
        raise _invalid(field, "must be a code of letters, digits, - or _ (up to 40)")
    return code


def _service(value: str | None) -> str:
    service = (value or "").strip()
    if not service or len(service) > 64:
        raise _invalid("service", "is required (up to 64 characters)")
    return service


def _refuse_status(order: Order) -> None:
    """Raise TransitionNotAllowed, saying why, when the order may not ship now."""
    if order.status in SHIPPABLE or order.status in ("fulfilled", "delivered"):
        return
    # Only paid and partially fulfilled orders may become fulfilled, so this names the reason
    # ("cannot ship a cancelled order", "... not paid", "... on hold; release the hold first").
    states.check(
        order.status, "fulfilled", number=order.number, payment_method=order.payment_method
    )


def _held(order: Order) -> dict[tuple[int, int], int]:
    """{(variant_id, warehouse_id): units allocated on the shelf} for the order."""
    return {
        (a.variant_id, a.warehouse_id): a.quantity
        for a in inventory.allocations(orders.order_reference(order))
        if a.quantity
    }


def _warehouse_codes(ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    rows = db.session.execute(select(Warehouse.id, Warehouse.code).where(Warehouse.id.in_(ids)))
    return {wid: code for wid, code in rows}


def _choose_warehouse(
    order: Order,
    wanted: dict[int, int],
    by_id: dict[int, OrderLine],
    held: dict[tuple[int, int], int],
) -> int:
    """The one warehouse holding the wanted lines' units. Raises InvalidInput naming
    `warehouse_id` when they sit in several (or none)."""
    variants = {by_id[line_id].variant_id for line_id in wanted}
    places: dict[int, int] = defaultdict(int)
    for (variant_id, warehouse_id), units in held.items():
        if variant_id in variants:
            places[warehouse_id] += units
    if len(places) == 1:
        return next(iter(places))
    if not places:
        raise _invalid(
            "warehouse_id",
            f"no units of order #{order.number} are on a shelf yet (allocated stock is needed)",
        )
    codes = _warehouse_codes(set(places))
    spread = ", ".join(f"{codes[w]} ({places[w]})" for w in sorted(places, key=codes.__getitem__))
    raise _invalid("warehouse_id", f"the units are held in {spread}: choose one warehouse")


def _plan(
    order: Order,
    requested: dict[int, int] | None,
    warehouse_id: int | None,
) -> tuple[dict[int, int], int, dict[int, int]]:
    """(wanted {order_line_id: quantity}, warehouse id, remaining {line id: units left after this
    shipment}). Raises InvalidInput naming the line, `lines` or `warehouse_id`."""
    by_id = {line.id: line for line in order.lines}
    physical = [line for line in order.lines if not line.is_digital]
    if not physical:
        raise _invalid("lines", f"order #{order.number} has nothing to ship (digital goods only)")
    shipped = _shipped_by_line(order.id)
    remaining = {line.id: line.quantity - shipped.get(line.id, 0) for line in physical}
    if not any(remaining.values()):
        raise _invalid("lines", f"every unit of order #{order.number} has shipped already")
    held = _held(order)

    if requested is None:
        wanted = {line_id: left for line_id, left in remaining.items() if left}
    else:
        wanted = {}
        for line_id, quantity in requested.items():
            field = f"lines[{line_id}]"
            line = by_id.get(line_id)
            if line is None:
                raise _invalid(field, f"is not a line of order #{order.number}")
            if line.is_digital:
                raise _invalid(field, f"{line.sku} is digital: there is nothing to ship")
            left = remaining[line_id]
            if quantity > left:
                raise _invalid(
                    field,
                    f"{line.sku}: only {left} left to ship ({line.quantity} ordered, "
                    f"{line.quantity - left} shipped), not {quantity}",
                )
            wanted[line_id] = quantity
    for line_id in wanted:
        if by_id[line_id].variant_id is None:
            raise _invalid(
                f"lines[{line_id}]",
                f"{by_id[line_id].sku}: its variant was deleted, so no stock is held for it",
            )

    if warehouse_id is None:
        warehouse_id = _choose_warehouse(order, wanted, by_id, held)
    elif not isinstance(warehouse_id, int) or db.session.get(Warehouse, warehouse_id) is None:
        raise _invalid("warehouse_id", "no such warehouse")

    # What the warehouse holds for the order, shared out over the lines of each variant.
    free = {v: units for (v, w), units in held.items() if w == warehouse_id}
    if requested is None:
        capped: dict[int, int] = {}
        for line_id, quantity in wanted.items():
            variant_id = by_id[line_id].variant_id
            take = min(quantity, free.get(variant_id, 0))  # type: ignore[arg-type]
            if take:
                capped[line_id] = take
                free[variant_id] -= take  # type: ignore[index]
        if not capped:
            code = _warehouse_codes({warehouse_id})[warehouse_id]
            raise _invalid(
                "warehouse_id", f"{code} holds none of the units left to ship on this order"
            )
        wanted = capped
    else:
        for line_id, quantity in wanted.items():
            variant_id = by_id[line_id].variant_id
            have = free.get(variant_id, 0)  # type: ignore[arg-type]
            if quantity > have:
                code = _warehouse_codes({warehouse_id})[warehouse_id]
                raise _invalid(
                    f"lines[{line_id}]",
                    f"{by_id[line_id].sku}: only {have} allocated in {code}, not {quantity}",
                )
            free[variant_id] = have - quantity  # type: ignore[index]
    after = {line_id: left - wanted.get(line_id, 0) for line_id, left in remaining.items()}
    return wanted, warehouse_id, after


def create_shipment(
    order_id: int,
    lines: Mapping[int, int] | None = None,
    *,
    warehouse_id: int | None = None,
    carrier: str | None = None,
    service: str | None = None,
    tracking_number: str | None = None,
    idempotency_key: str | None = None,
    actor: Actor,
) -> Shipment:
    """Ship `lines` ({order_line_id: quantity}; None: every unit left) of a paid order from one
    warehouse. Raises NotFound, TransitionNotAllowed (cancelled, unpaid, on hold: saying why),
    InvalidInput (naming the line and how many are left, `lines` when nothing is left or the
    order is digital only, `warehouse_id`, `carrier`, `service`, `tracking_number`), Conflict
    (tracking number or idempotency key already used).

    The units leave the shelf now (ledger rows "sold"), the order becomes partially fulfilled or
    fulfilled, and `shipment.created` makes the label and packing slip in a job. `carrier` and
    `service` default to the order's shipping method. With `tracking_number` (a label bought
    elsewhere) no label is bought: the parcel counts as shipped once its packing slip is made.
    `warehouse_id` may be left out when the units sit in one warehouse. The same
    `idempotency_key` (a double-clicked form) returns the shipment it made before.
    """
    requested = _check_lines(lines)
    tracking = normalise_tracking_number(tracking_number) if tracking_number else None
    key = (idempotency_key or "").strip() or None
    if key is not None and len(key) > 120:
        raise _invalid("idempotency_key", "at most 120 characters")
    try:
        order = orders.lock_order(order_id)
        if key is not None:
            existing = db.session.scalar(select(Shipment).where(Shipment.idempotency_key == key))
            if existing is not None:
                if existing.order_id != order.id:
                    raise Conflict(
                        "This idempotency key was used for another order's shipment.",
                        details={"field": "idempotency_key"},
                    )
                db.session.commit()
                return existing
        _refuse_status(order)
        method = order.shipping_method or {}
        carrier_code = _code(carrier or method.get("carrier") or "table", "carrier")
        service_name = _service(service or method.get("service"))
        wanted, warehouse_id, after = _plan(order, requested, warehouse_id)
        warehouse = db.session.get(Warehouse, warehouse_id)
        assert warehouse is not None
        by_id = {line.id: line for line in order.lines}
        items = [(by_id[line_id], quantity) for line_id, quantity in wanted.items()]
        if tracking is not None:
            taken = db.session.scalar(
                select(Shipment.id).where(
                    Shipment.carrier == carrier_code, Shipment.tracking_number == tracking
                )
            )
            if taken is not None:
                raise Conflict(
                    f"Tracking number {tracking} is already on another shipment.",
                    details={"field": "tracking_number"},
                )
        else:
            _check_service(order, warehouse, items, carrier_code, service_name)

        per_variant: dict[int, int] = defaultdict(int)
        for line, quantity in items:
            per_variant[line.variant_id] += quantity  # type: ignore[index]
        inventory.ship_stock(
            orders.order_reference(order),
            sorted(per_variant.items()),
            actor=actor,
            warehouse_id=warehouse_id,
            commit=False,
        )

        sequence = (
            db.session.scalar(
                select(func.max(Shipment.sequence)).where(Shipment.order_id == order.id)
            )
            or 0
        ) + 1
        shipment = Shipment(
            order_id=order.id,
            sequence=sequence,
            warehouse_id=warehouse_id,
            carrier=carrier_code,
            service=service_name,
            tracking_number=tracking,
            status="pending",
            idempotency_key=key or f"order-{order.number}-shipment-{sequence}",
            lines=[ShipmentLine(order_line_id=line.id, quantity=q) for line, q in items],
        )
        db.session.add(shipment)
        db.session.flush()

        done = not any(after.values())
        order.fulfilment_status = "fulfilled" if done else "partial"
        orders.move(
            order,
            "fulfilled" if done else "partially_fulfilled",
            actor=actor,
            reason=f"shipment {sequence}",
        )
        listed = ", ".join(f"{q} x {line.sku}" for line, q in items)
        timeline.record(
            order.id,
            "shipment",
            f"Shipment {sequence} from {warehouse.code} by {carrier_code} {service_name}: {listed}"
            + (f" (tracking {tracking})" if tracking else ""),
            actor=actor,
            shipment_id=shipment.id,
            lines={str(line.id): q for line, q in items},
        )
        audit.record(
            actor,
            "shipment.create",
            "shipment",
            shipment.id,
            {
                "order_id": [None, order.id],
                "warehouse": [None, warehouse.code],
                "carrier": [None, carrier_code],
                "service": [None, service_name],
                "tracking_number": [None, tracking],
                "lines": [None, {line.sku: q for line, q in items}],
            },
        )
        events.record("shipment.created", shipment_id=shipment.id, order_id=order.id)
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    return shipment


def _check_service(
    order: Order,
    warehouse: Warehouse,
    items: list[tuple[OrderLine, int]],
    carrier_code: str,
    service_name: str,
) -> None:
    """Raise InvalidInput naming `service` (or `carrier`) unless the carrier offers the service
    for this parcel and address, so the label job cannot fail on it later."""
    parcel = documents.parcel_for(order, warehouse, items)
    try:
        offered = {rate.service_code for rate in get_carrier(carrier_code).rates(parcel)}
    except NotFound as exc:
        raise _invalid("carrier", exc.message) from None
    if service_name not in offered:
        choices = ", ".join(sorted(offered)) or "none"
        raise _invalid(
            "service",
            f"{carrier_code} has no service {service_name!r} for this parcel and address "
            f"(offered: {choices})",
        )


# --- shipped and delivered ------------------------------------------------------------------


def _when(at: dt.datetime | None) -> dt.datetime:
    if at is None:
        return utcnow()
    if not isinstance(at, dt.datetime) or at.tzinfo is None:
        raise _invalid("at", "must be a date and time with a time zone")
    return at.astimezone(dt.UTC)


def _lock_shipment(
    shipment_id: int | None, tracking_number: str | None, carrier: str | None
) -> tuple[Order, Shipment]:
    """Lock the shipment's order, then the shipment. Raises InvalidInput, NotFound."""
    if shipment_id is not None:
        found = get_shipment(shipment_id)
    elif tracking_number:
        found = find_shipment(tracking_number, carrier)
    else:
        raise _invalid("shipment_id", "give a shipment id or a tracking number")
    order = orders.lock_order(found.order_id)
    shipment = db.session.get(Shipment, found.id, with_for_update=True, populate_existing=True)
    assert shipment is not None
    return order, shipment


def _refuse_unlabelled(shipment: Shipment, what: str) -> None:
    if shipment.status == "cancelled":
        raise Conflict(f"Shipment {shipment} was cancelled; it cannot be {what}.")
    if shipment.tracking_number is None:
        raise Conflict(
            f"Shipment {shipment} has no label yet; wait for it (or enter a tracking number) "
            f"before it is {what}."
        )


def mark_shipped(
    shipment_id: int | None = None,
    *,
    tracking_number: str | None = None,
    carrier: str | None = None,
    actor: Actor,
    at: dt.datetime | None = None,
) -> Shipment:
    """Record that the parcel was handed to the carrier (by shipment id, or by tracking number
    and optionally carrier). A shipment already shipped or delivered is left as it is. Raises
    InvalidInput, NotFound, Conflict (cancelled, or no label yet)."""
    when = _when(at)
    try:
        order, shipment = _lock_shipment(shipment_id, tracking_number, carrier)
        if shipment.status in ("shipped", "delivered"):
            db.session.commit()
            return shipment
        _refuse_unlabelled(shipment, "shipped")
        shipment.status, shipment.shipped_at = "shipped", when
        timeline.record(
            order.id,
            "shipment",
            f"Shipment {shipment.sequence} handed to {shipment.carrier} "
            f"(tracking {shipment.tracking_number})",
            actor=actor,
            shipment_id=shipment.id,
        )
        audit.record(
            actor, "shipment.ship", "shipment", shipment.id, {"status": ["label_ready", "shipped"]}
        )
        events.record("shipment.shipped", shipment_id=shipment.id, order_id=order.id)
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    return shipment


def mark_delivered(
    shipment_id: int | None = None,
    *,
    tracking_number: str | None = None,
    carrier: str | None = None,
    actor: Actor,
    at: dt.datetime | None = None,
) -> Shipment:
    """Record the parcel's delivery (by shipment id, or by tracking number and optionally
    carrier) at `at` (default now); the order becomes delivered once all of it has shipped and
    every shipment is delivered. A delivered shipment is left as it is (carriers resend updates).
    Raises InvalidInput, NotFound, Conflict (cancelled, or no label yet)."""
    when = _when(at)
    try:
        order, shipment = _lock_shipment(shipment_id, tracking_number, carrier)
        if shipment.status == "delivered":
            db.session.commit()
            return shipment
        _refuse_unlabelled(shipment, "delivered")
        before = shipment.status
        shipment.status, shipment.delivered_at = "delivered", when
        shipment.shipped_at = shipment.shipped_at or when
        db.session.flush()
        timeline.record(
            order.id,
            "shipment",
            f"Shipment {shipment.sequence} delivered (tracking {shipment.tracking_number})",
            actor=actor,
            shipment_id=shipment.id,
            delivered_at=when.isoformat(),
        )
        audit.record(
            actor, "shipment.deliver", "shipment", shipment.id, {"status": [before, "delivered"]}
        )
        events.record("shipment.delivered", shipment_id=shipment.id, order_id=order.id)
        undelivered = db.session.scalar(
            select(func.count()).where(
                Shipment.order_id == order.id,
                Shipment.status.in_(("pending", "label_ready", "shipped")),
            )
        )
        if not undelivered and order.status == "fulfilled":
            orders.move(order, "delivered", actor=actor, reason="every shipment delivered")
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    return shipment
