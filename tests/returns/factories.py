"""Return test factories: paid orders of real variants whose units went out in a shipment.

Shipments are inserted directly (the fulfilment service is another context's, and needs stock
allocated and a carrier); what these tests need is units that count as shipped."""

from __future__ import annotations

import itertools

from sqlalchemy import select

from commerce import db
from commerce.audit import Actor
from commerce.db import utcnow
from commerce.events import OutboxEvent
from commerce.orders.models import Order
from tests.checkout.factories import make_order
from tests.inventory.factories import make_variant, make_warehouse

SUPPORT = Actor(kind="staff", id=None, label="support@shop.example")
_counter = itertools.count(1)


def shipped_order(
    *,
    lines=((2, 2500),),
    shipped: tuple[int, ...] | None = None,
    digital: tuple[int, ...] = (),
    customer_id: int | None = None,
    **overrides,
) -> Order:
    """A paid, fulfilled order of `lines` ((quantity, unit price), ...), each a new variant, of
    which `shipped` units per line (default: all of them; none for `digital` line indexes) went out
    in one shipped parcel (committed)."""
    extra = {f"variant_{i}": make_variant() for i in range(len(lines))}
    extra.update({f"digital_{i}": True for i in digital})
    order = make_order(
        lines=lines,
        customer_id=customer_id,
        status="fulfilled",
        payment_status="paid",
        fulfilment_status="fulfilled",
        shipping_country="DE",
        **extra,
        **overrides,
    )
    counts = shipped if shipped is not None else tuple(q for q, _price in lines)
    ship(order, {line.id: n for line, n in zip(order.lines, counts, strict=True) if n})
    return order


def ship(order: Order, units: dict[int, int]) -> None:
    """Record a shipped parcel of the order carrying `units` ({order_line_id: n}; committed).
    Without commerce.fulfilment the order's status alone says what shipped."""
    try:
        from commerce.fulfilment.models import Shipment, ShipmentLine
    except ImportError:
        return
    if not units:
        return
    n = next(_counter)
    sequence = len(db.session.scalars(select(Shipment).where(Shipment.order_id == order.id)).all())
    shipment = Shipment(
        order_id=order.id,
        sequence=sequence + 1,
        warehouse_id=make_warehouse().id,
        carrier="offline",
        service="standard",
        tracking_number=f"RT{n:08d}DE",
        status="shipped",
        shipped_at=utcnow(),
        idempotency_key=f"test-return-shipment-{order.id}-{n}",
        lines=[ShipmentLine(order_line_id=line_id, quantity=q) for line_id, q in units.items()],
    )
    db.session.add(shipment)
    db.session.commit()


def event_of(session, name: str, **payload) -> dict:
    """The newest outbox event `name` whose payload has `payload`, as a handler receives it."""
    events = session.scalars(
        select(OutboxEvent).where(OutboxEvent.name == name).order_by(OutboxEvent.id.desc())
    )
    for event in events:
        if all(event.payload.get(k) == v for k, v in payload.items()):
            return event.as_message()
    raise AssertionError(f"no {name} event with {payload}")
