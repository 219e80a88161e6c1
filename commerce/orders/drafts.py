"""Draft orders for phone and email sales: staff build an order for a buyer, then send it.

A draft is an Order in status "draft", channel "draft", priced exactly as checkout prices a cart
(commerce.orders.editing.price_order_lines: unit prices, promotions, the voucher, the shipping
method quoted for the address, tax). It holds no stock: a draft can sit for days. `send_draft_order`
allocates its units (refused with OutOfStock naming the line's SKU; the draft stays a draft), moves
it to pending payment, and emails the buyer a payment link for the amount due
(commerce.payments.links), in one transaction (the email goes after the commit).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import current_app

from commerce import audit, db, events
from commerce.audit import Actor
from commerce.catalog.models import Variant
from commerce.db import utcnow
from commerce.errors import Conflict, InvalidInput, PermissionDenied
from commerce.inventory import service as inventory
from commerce.orders import timeline
from commerce.orders.edit_models import PaymentLink
from commerce.orders.editing import MAX_QUANTITY, PricedOrder, price_order_lines
from commerce.orders.models import Order, OrderLine
from commerce.orders.service import lock_order, move, order_reference

__all__ = ["create_draft_order", "send_draft_order", "update_draft_order"]


def _staff(actor: Actor) -> None:
    if actor.kind not in ("staff", "system"):
        raise PermissionDenied("orders.create")


def _email(value: Any) -> str:
    email = str(value or "").strip()
    if "@" not in email or len(email) > 254 or " " in email:
        raise InvalidInput("email: a valid address is required", fields={"email": "invalid"})
    return email


def _lines(lines: Mapping[int, int] | None) -> list[tuple[str, int, int]]:
    out = []
    for variant_id, quantity in (lines or {}).items():
        field = f"lines[{variant_id}]"
        if isinstance(quantity, bool) or not isinstance(quantity, int):
            raise InvalidInput(f"{field}: a whole number", fields={field: "not a number"})
        if not 0 < quantity <= MAX_QUANTITY:
            problem = f"must be from 1 to {MAX_QUANTITY}"
            raise InvalidInput(f"{field}: {problem}", fields={field: problem})
        if db.session.get(Variant, variant_id) is None:
            raise InvalidInput(f"{field}: no such variant", fields={field: "no such variant"})
        out.append((f"variant:{variant_id}", int(variant_id), quantity))
    if not out:
        raise InvalidInput("lines: add at least one item", fields={"lines": "empty"})
    return out


def _price(
    lines: list[tuple[str, int, int]],
    *,
    email: str,
    customer_id: int | None,
    shipping_address: Mapping[str, Any] | None,
    shipping_method_id: int | None,
    voucher_code: str | None,
) -> PricedOrder:
    return price_order_lines(
        lines,
        currency=str(current_app.config.get("SHOP_CURRENCY") or "EUR"),
        customer_id=customer_id,
        email=email,
        voucher_code=voucher_code,
        shipping_address=shipping_address,
        billing_address=shipping_address,
        shipping_method_id=shipping_method_id,
    )


def _write(order: Order, priced: PricedOrder, shipping_address: Mapping[str, Any] | None) -> None:
    order.lines = [
        OrderLine(**{k: v for k, v in values.items() if k != "key"}) for values in priced.lines
    ]
    for name, value in priced.totals.items():
        setattr(order, name, value)
    order.shipping_method = priced.shipping_method
    ships = priced.shipping_method is not None
    order.shipping_address = dict(shipping_address) if ships and shipping_address else None
    order.billing_address = dict(shipping_address) if shipping_address else None
    order.shipping_country = (shipping_address or {}).get("country") if ships else None


def create_draft_order(
    *,
    email: str,
    lines: Mapping[int, int],
    shipping_address: Mapping[str, Any] | None = None,
    customer_id: int | None = None,
    shipping_method_id: int | None = None,
    voucher_code: str | None = None,
    actor: Actor,
) -> Order:
    """Create a draft order priced like checkout, holding no stock. `lines` is {variant_id:
    quantity}. Raises PermissionDenied, InvalidInput naming the field (email, lines, address,
    shipping method), NotFound."""
    _staff(actor)
    address = _email(email)
    wanted = _lines(lines)
    try:
        priced = _price(
            wanted,
            email=address,
            customer_id=customer_id,
            shipping_address=shipping_address,
            shipping_method_id=shipping_method_id,
            voucher_code=voucher_code,
        )
        order = Order(
            customer_id=customer_id,
            email=address,
            status="draft",
            payment_status="pending",
            channel="draft",
            placed_at=utcnow(),
            payment_method="stripe",
        )
        _write(order, priced, shipping_address)
        db.session.add(order)
        db.session.flush()
        timeline.record(order.id, "status", "Draft order created", actor=actor, after="draft")
        audit.record(
            actor,
            "order.draft_create",
            "order",
            order.id,
            {"number": [None, order.number], "total_amount": [None, order.total_amount]},
        )
        events.record("order.draft_created", order_id=order.id)
    except BaseException:
        db.session.rollback()
        raise
    db.session.commit()
    return order


def _lock_draft(order_id: int) -> Order:
    order = lock_order(order_id)
    if order.status != "draft":
        db.session.rollback()
        raise Conflict(
            f"Order #{order.number} is not a draft (it is {order.status.replace('_', ' ')}).",
            details={"reason": "not a draft"},
        )
    return order


def update_draft_order(
    order_id: int,
    *,
    email: str | None = None,
    lines: Mapping[int, int] | None = None,
    shipping_address: Mapping[str, Any] | None = None,
    customer_id: int | None = None,
    shipping_method_id: int | None = None,
    voucher_code: str | None = None,
    actor: Actor,
) -> Order:
    """Change a draft's buyer, lines ({variant_id: quantity}, replacing them), address, shipping
    method or voucher (None keeps what it has) and price it again. Raises PermissionDenied,
    NotFound, Conflict (not a draft), InvalidInput naming the field."""
    _staff(actor)
    order = _lock_draft(order_id)
    try:
        address = _email(email) if email is not None else order.email
        wanted = (
            _lines(lines)
            if lines is not None
            else [(f"variant:{ln.variant_id}", ln.variant_id, ln.quantity) for ln in order.lines]
        )
        ship_to = shipping_address if shipping_address is not None else order.shipping_address
        method_id = (
            shipping_method_id
            if shipping_method_id is not None
            else (order.shipping_method or {}).get("method_id")
        )
        code = voucher_code
        if code is None:
            code = next(
                (a.get("code") for a in order.adjustments if a.get("kind") == "voucher"), None
            )
        priced = _price(
            wanted,
            email=address,
            customer_id=customer_id if customer_id is not None else order.customer_id,
            shipping_address=ship_to,
            shipping_method_id=method_id,
            voucher_code=code or None,
        )
        before = order.total_amount
        order.email = address
        if customer_id is not None:
            order.customer_id = customer_id
        _write(order, priced, ship_to)
        db.session.flush()
        timeline.record(order.id, "edit", "Draft order updated", actor=actor)
        audit.record(
            actor,
            "order.draft_update",
            "order",
            order.id,
            {"total_amount": [before, order.total_amount]},
        )
    except BaseException:
        db.session.rollback()
        raise
    db.session.commit()
    return order


def send_draft_order(order_id: int, *, actor: Actor) -> tuple[Order, PaymentLink | None]:
    """Allocate the draft's stock, move it to pending payment and email the buyer a payment link
    for the amount due (none when nothing is due). Raises PermissionDenied, NotFound, Conflict
    (not a draft), OutOfStock (naming the line's SKU; the draft is unchanged)."""
    from commerce.payments.links import email_payment_link, new_payment_link

    _staff(actor)
    order = _lock_draft(order_id)
    try:
        stock = [(ln.variant_id, ln.quantity) for ln in order.lines if not ln.is_digital]
        if stock:
            inventory.allocate_stock(stock, order_reference(order), actor=actor, commit=False)
        order.placed_at = utcnow()
        move(order, "pending_payment", actor=actor, reason="draft sent to the buyer")
        link = token = None
        if order.amount_due > 0:
            link, token = new_payment_link(
                order, order.amount_due, purpose="draft order", actor=actor
            )
        events.record("order.placed", order_id=order.id)
    except BaseException:
        db.session.rollback()
        raise
    db.session.commit()
    if link is not None and token is not None:
        email_payment_link(order, link, token)
    return order, link
